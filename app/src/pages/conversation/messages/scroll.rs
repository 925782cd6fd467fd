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
