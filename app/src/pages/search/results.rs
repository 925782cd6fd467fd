//! The results of one search: newest first, the matches marked, "More results" for the next
//! page. Nothing of a message becomes markup: the excerpt is drawn as text runs and `<mark>`
//! elements around text.

use crate::api::search;
use crate::components::Alert;
use crate::time::{full, iso, short, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use palaver::model::{SearchHit, SearchPage};

#[component]
pub fn Results(q: String, first: SearchPage) -> impl IntoView {
    let hits = RwSignal::new(first.hits);
    let next = RwSignal::new(first.next);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Read out after "More results": how many came (focus stays on the button).
    let status = RwSignal::new(String::new());
    let q = StoredValue::new(q);
    let more = move |_| {
        let Some(before) = next.get_untracked() else {
            return;
        };
        loading.set(true);
        spawn_local(async move {
            match search(q.get_value(), Some(before)).await {
                Ok(page) => {
                    error.set(None);
                    status.set(match page.hits.len() {
                        0 => "No more results in this part.".to_owned(),
                        1 => "1 more result.".to_owned(),
                        n => format!("{n} more results."),
                    });
                    hits.update(|h| h.extend(page.hits));
                    next.set(page.next);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            loading.set(false);
        });
    };
    let summary = move || {
        let n = hits.with(Vec::len);
        let more = next.with(Option::is_some);
        match (n, more) {
            (0, false) => format!("No messages match “{}”.", q.get_value().trim()),
            (0, true) => "No matches among the newest messages searched so far.".to_owned(),
            (1, false) => "1 message".to_owned(),
            (n, false) => format!("{n} messages"),
            (n, true) => format!("{n} messages so far"),
        }
    };
    view! {
        <p class="results-summary" role="status">{summary}</p>
        <ol class="hits" aria-label="Results">
            <For
                each=move || hits.get()
                key=|h| (h.conversation_id, h.seq)
                children=|hit| view! { <Hit hit /> }
            />
        </ol>
        <Alert message=error />
        <Show when=move || next.with(Option::is_some)>
            <button type="button" class="more-results" on:click=more disabled=move || loading.get()>
                {move || {
                    if loading.get() {
                        "Searching…"
                    } else if hits.with(Vec::is_empty) {
                        "Search older messages"
                    } else {
                        "More results"
                    }
                }}
            </button>
        </Show>
        <p class="sr-only" aria-live="polite">{move || status.get()}</p>
    }
}

#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let zone = use_tz_offset();
    let now = crate::live::now_ms();
    let href = format!("/c/{}?at={}", hit.conversation_id, hit.seq);
    let at = hit.created_at;
    let parts: Vec<(String, bool)> = hit
        .excerpt
        .parts()
        .into_iter()
        .map(|(text, marked)| (text.to_owned(), marked))
        .collect();
    view! {
        <li class="hit">
            <A href=href attr:class="hit-link">
                <span class="hit-head">
                    <span class="hit-title" dir="auto">{hit.conversation_title}</span>
                    <span class="hit-author">{hit.author}</span>
                    <time datetime=iso(at) title=move || full(at, zone)>{move || short(at, now, zone)}</time>
                </span>
                <span class="excerpt" dir="auto">
                    {parts
                        .into_iter()
                        .map(|(text, marked)| {
                            if marked {
                                view! { <mark>{text}</mark> }.into_any()
                            } else {
                                text.into_any()
                            }
                        })
                        .collect_view()}
                </span>
            </A>
        </li>
    }
}
