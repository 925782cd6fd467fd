//! Where keyboard focus goes: to an element by id or selector, back after a dialog closes,
//! and somewhere sensible after in-app navigation (the replaced page would otherwise leave it
//! on the body). A page that loaded from the server keeps the browser's own start, so the
//! first Tab still offers the skip link.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the app has navigated in the browser (not on the page it loaded with).
static NAVIGATED: AtomicBool = AtomicBool::new(false);

/// Set by an action whose point is to write (a member's "Message"): the next conversation to
/// open focuses its composer even on a phone, where it would otherwise focus the title.
static COMPOSER_WANTED: AtomicBool = AtomicBool::new(false);

/// Asks the next conversation that opens to focus its composer (see [`take_composer_request`]).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn request_composer() {
    COMPOSER_WANTED.store(true, Ordering::Relaxed);
}

/// Whether the conversation opening now was asked to focus its composer; clears the request.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn take_composer_request() -> bool {
    COMPOSER_WANTED.swap(false, Ordering::Relaxed)
}

/// Whether the current page was reached by in-app navigation.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn navigated() -> bool {
    NAVIGATED.load(Ordering::Relaxed)
}

/// Watches the route: after each in-app navigation, once the new page has rendered, a focus
/// left on the body moves to the page's main heading. Pages that know better (a
/// conversation focuses its composer) do so themselves.
#[component]
pub fn FocusOnNavigate() -> impl IntoView {
    let location = use_location();
    Effect::new(move |first: Option<()>| {
        location.pathname.track();
        if first.is_some() {
            NAVIGATED.store(true, Ordering::Relaxed);
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async {
                leptos::task::tick().await;
                if focus_lost() {
                    focus_selector("main h1");
                }
            });
        }
    });
}

/// Moves keyboard focus to the element with this id, if there is one (browser only).
pub fn focus_by_id(id: &str) {
    focus_selector(&format!("#{id}"));
}

/// Moves keyboard focus to the first element matching a CSS selector, if any (browser
/// only). A heading gets `tabindex="-1"` first, so it can hold focus without joining the Tab
/// order. Returns whether something was focused.
pub fn focus_selector(selector: &str) -> bool {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(el)) = document().query_selector(selector) {
        use leptos::wasm_bindgen::JsCast;
        if matches!(el.tag_name().as_str(), "H1" | "H2") && !el.has_attribute("tabindex") {
            let _ = el.set_attribute("tabindex", "-1");
        }
        if let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() {
            return el.focus().is_ok();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
    false
}

/// Focus has nowhere to be: on the page body (its element was replaced) or nowhere.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn focus_lost() -> bool {
    #[cfg(feature = "hydrate")]
    {
        let doc = document();
        match doc.active_element() {
            None => true,
            Some(el) => doc.body().is_some_and(|b| {
                let body: &leptos::web_sys::Element = b.as_ref();
                body == &el
            }),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Whether the screen is a phone's (the one-pane layout below 700 px, see style.scss).
/// Focusing a text field there would open the on-screen keyboard over the page.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn narrow_screen() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .match_media("(max-width: 700px)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches())
    }
    #[cfg(not(feature = "hydrate"))]
    false
}
