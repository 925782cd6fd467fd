//! The search box of the top bar, and the keys that reach it from anywhere: `/` (outside a
//! text field, as in GitHub, Slack and Gmail) and Ctrl+K or ⌘K. On a phone the top bar has
//! room for a search button only; it opens the search page, whose box the keys then focus.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use palaver::search::QUERY_MAX;

/// The id of the top bar's search field.
const BOX_ID: &str = "search-q";
/// The id of the search page's own field.
pub(super) const PAGE_BOX_ID: &str = "search-page-q";

#[component]
pub fn SearchBox() -> impl IntoView {
    view! {
        <Form method="get" action="/search" attr:class="search-box" attr:role="search" attr:aria-label="Search">
            <label for=BOX_ID class="sr-only">"Search messages"</label>
            <span class="search-icon" aria-hidden="true"><MagnifierIcon /></span>
            <input
                id=BOX_ID
                type="search"
                name="q"
                placeholder="Search messages"
                maxlength=QUERY_MAX * 4
                autocomplete="off"
                enterkeyhint="search"
                aria-keyshortcuts="/ Control+K"
            />
            <kbd class="search-key" aria-hidden="true">"/"</kbd>
        </Form>
        <A href="/search" attr:class="search-link button ghost" attr:aria-label="Search messages">
            <MagnifierIcon />
        </A>
    }
}

#[component]
fn MagnifierIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2" />
            <path d="M15.5 15.5L20 20" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
        </svg>
    }
}

/// Listens for the search keys while the signed-in layout is on screen (browser only).
#[component]
pub fn SearchShortcut() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.default_prevented() || ev.alt_key() || ev.is_composing() {
                return;
            }
            let command = ev.ctrl_key() || ev.meta_key();
            let wanted = match ev.key().as_str() {
                "/" => !command && !ev.shift_key() && !typing_in(&ev),
                "k" | "K" => command && !ev.shift_key(),
                _ => false,
            };
            if !wanted {
                return;
            }
            ev.prevent_default();
            if !focus_field(BOX_ID) && !focus_field(PAGE_BOX_ID) {
                // The phone layout hides the top bar's box: the search page has one.
                navigate("/search", Default::default());
                leptos::task::spawn_local(async {
                    for _ in 0..20 {
                        leptos::task::tick().await;
                        if focus_field(PAGE_BOX_ID) {
                            return;
                        }
                        gloo_timers::future::TimeoutFuture::new(16).await;
                    }
                });
            }
        });
        on_cleanup(move || handle.remove());
    }
}

/// Whether the key went to something the user types into.
#[cfg(feature = "hydrate")]
fn typing_in(ev: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
}

/// Focuses and selects the field with this id if it is on screen; false if not.
#[cfg(feature = "hydrate")]
fn focus_field(id: &str) -> bool {
    use leptos::wasm_bindgen::JsCast;
    let Some(input) = document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
    else {
        return false;
    };
    // Hidden by the layout (display: none) means no box on this screen.
    if input.offset_parent().is_none() {
        return false;
    }
    input.focus().is_ok() && {
        input.select();
        true
    }
}
