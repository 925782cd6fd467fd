//! Scroll positions of the message list: where a conversation opens, and keeping the reader's
//! place when older messages are put above.

use palaver::Seq;

/// Whether the list is scrolled to (within `threshold` px of) its bottom.
pub fn is_at_bottom(el: &leptos::web_sys::HtmlDivElement, threshold: i32) -> bool {
    el.scroll_height() - el.scroll_top() - el.client_height() < threshold
}

/// Scrolls the "New messages" divider to the top of the list, if there is one; false if not.
pub fn to_divider(el: &leptos::web_sys::HtmlDivElement) -> bool {
    let Ok(Some(divider)) = el.query_selector("li.divider") else {
        return false;
    };
    let Some(divider) = wasm_cast(divider) else {
        return false;
    };
    el.set_scroll_top((divider.offset_top() - 8).max(0));
    true
}

/// A message's distance from the top of the visible list, to put it back there after the
/// list has changed above it.
pub struct Anchor {
    seq: Seq,
    from_top: i32,
}

impl Anchor {
    pub fn take(el: &leptos::web_sys::HtmlDivElement, seq: Seq) -> Option<Anchor> {
        let row = row(el, seq)?;
        Some(Anchor {
            seq,
            from_top: row.offset_top() - el.scroll_top(),
        })
    }

    /// Waits for the rows to be drawn (a few frames at most), then scrolls so the message is
    /// where it was.
    pub async fn restore(self, el: &leptos::web_sys::HtmlDivElement) {
        for _ in 0..10 {
            leptos::task::tick().await;
            if let Some(row) = row(el, self.seq) {
                let top = row.offset_top() - self.from_top;
                if top != el.scroll_top() {
                    el.set_scroll_top(top);
                }
                if row.offset_top() - el.scroll_top() == self.from_top {
                    return;
                }
            }
            #[cfg(feature = "hydrate")]
            gloo_timers::future::TimeoutFuture::new(16).await;
        }
    }
}

fn row(el: &leptos::web_sys::HtmlDivElement, seq: Seq) -> Option<leptos::web_sys::HtmlElement> {
    let found = el
        .query_selector(&format!("[data-seq=\"{}\"]", seq.0))
        .ok()
        .flatten()?;
    wasm_cast(found)
}

fn wasm_cast(el: leptos::web_sys::Element) -> Option<leptos::web_sys::HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    el.dyn_into::<leptos::web_sys::HtmlElement>().ok()
}

/// Keeps a list that is at its bottom there when it gets shorter: the composer grows (files
/// in its tray, more lines of text) and would otherwise cover the newest messages. A list
/// scrolled up stays where it is, and so does one that only just appeared (its opening
/// position is decided elsewhere). Stops with the calling view.
#[cfg(feature = "hydrate")]
pub fn stick_when_shorter(
    el: &leptos::web_sys::HtmlDivElement,
    at_bottom: leptos::prelude::RwSignal<bool>,
) {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    let list = el.clone();
    let mut height = el.client_height();
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        let now = list.client_height();
        if now < height && at_bottom.try_get_untracked() == Some(true) {
            list.set_scroll_top(list.scroll_height());
        }
        height = now;
    });
    let Ok(observer) = leptos::web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref())
    else {
        return;
    };
    observer.observe(el);
    let kept = StoredValue::new_local(Some((observer, on_resize)));
    on_cleanup(move || {
        if let Some(Some((observer, _callback))) = kept.try_update_value(Option::take) {
            observer.disconnect();
        }
    });
}
