//! Message search: the box in the top bar (on every page of the signed-in layout, `/` or
//! Ctrl+K focuses it) and the results page, `/search?q=…`. Each result opens its
//! conversation at the message (`/c/{id}?at={seq}`).

mod results;
mod search_box;

use crate::api::search;
use crate::components::{http_status, Alert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use palaver::search::QUERY_MAX;

use search_box::PAGE_BOX_ID;
pub use search_box::{SearchBox, SearchShortcut};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Resource::new(
        move || q.get(),
        |q| async move {
            if q.trim().is_empty() {
                return Ok(None);
            }
            search(q, None).await.map(Some)
        },
    );
    let title = move || {
        let q = q.get();
        if q.trim().is_empty() {
            "Search".to_owned()
        } else {
            format!("“{}” – Search", q.trim())
        }
    };
    view! {
        <Title text=title />
        <div class="page search-page">
            <header class="page-head">
                <h1>"Search messages"</h1>
                // leptos_router's Form adds the submit button to the query even without a
                // name ("?q=x&="): dropped here, so that the address is `/search?q=x`.
                <Form
                    method="get"
                    action="/search"
                    on_form_data=std::sync::Arc::new(|data: &leptos::web_sys::FormData| data.delete(""))
                    attr:class="search-form"
                    attr:role="search"
                    attr:aria-label="Search messages"
                >
                    <label for=PAGE_BOX_ID class="sr-only">"Search messages"</label>
                    <input
                        id=PAGE_BOX_ID
                        type="search"
                        name="q"
                        value=move || q.get()
                        placeholder="Words or \"a phrase\""
                        maxlength=QUERY_MAX * 4
                        autocomplete="off"
                        enterkeyhint="search"
                    />
                    <button type="submit" class="primary">"Search"</button>
                </Form>
                <p class="hint">
                    "Finds messages in your conversations that contain every word, in any case, also inside longer words. Put a phrase in double quotes."
                </p>
            </header>
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(first)) => view! { <results::Results q=q.get_untracked() first /> }.into_any(),
                        Err(e) => {
                            if matches!(e, AppError::Invalid(_)) {
                                http_status(422);
                            }
                            view! { <Alert message=Some(e.to_string()) /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}
