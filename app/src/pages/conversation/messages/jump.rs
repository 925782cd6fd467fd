//! Taking the reader to one message of the open conversation (a reply's quote): older pages
//! are loaded first while it is not on screen yet, then it is scrolled to the middle of the
//! list, focused (so the keyboard and screen readers are there too) and briefly highlighted.
//!
//! A conversation can also open at a message (`/c/{id}?at={seq}`, a search result): its page
//! then loads the history page that ends [`AFTER`] events after the message ([`window_end`])
//! and shows it the same way. Far back in a long conversation that page is a window of older
//! messages, not joined to the newest ones (loading everything in between could mean
//! thousands of rows): the timeline knows it ([`crate::live::Timeline::has_newer`]), new
//! messages wait, "Load newer messages" fetches what follows in batches, and "Jump to
//! latest" reopens the conversation at its end. A quote leading further back than
//! [`MAX_PAGES`], or past the end of such a window, opens the conversation at it.

use crate::api::history;
use crate::live::Room;
use leptos::prelude::*;
use palaver::{ConversationId, Seq};

/// Pages of history loaded at most to reach a message (50 events each): beyond that the
/// conversation opens at the message instead, rather than the page holding thousands of rows.
pub const MAX_PAGES: usize = 40;
/// Events shown after the message a conversation is opened at; the rest of the page (of
/// `HISTORY_PAGE`) comes before it.
pub const AFTER: i64 = 25;

/// The `before` of the history page that opens a conversation at `at`: the page ends
/// [`AFTER`] events after it. None (the newest page) without `at`.
pub fn window_end(at: Option<Seq>) -> Option<Seq> {
    at.map(|s| s.plus(AFTER + 1))
}

/// Whether events follow that page, which makes it a window of older messages, given the
/// conversation's last seq.
pub fn window_has_newer(at: Option<Seq>, last_seq: Seq) -> bool {
    at.is_some_and(|s| s.plus(AFTER + 1) <= last_seq)
}

/// Why the reader could not be taken to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JumpError {
    /// Not in the conversation's history (it never was, or the history failed to load).
    Unavailable(String),
}

impl std::fmt::Display for JumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JumpError::Unavailable(why) => write!(f, "Could not show that message: {why}"),
        }
    }
}

/// Loads older pages until message `seq` is in the timeline (at most [`MAX_PAGES`]), then
/// shows it; further back, or after the end of a window of older messages, opens the
/// conversation at it.
pub async fn jump_to(room: Room, id: ConversationId, seq: Seq) -> Result<(), JumpError> {
    for _ in 0..=MAX_PAGES {
        let (first, has_older, last, window) = room
            .timeline
            .try_with_untracked(|t| (t.first_seq(), t.has_older, t.last_seq, t.has_newer))
            .ok_or_else(|| JumpError::Unavailable("the conversation was closed".into()))?;
        if window && seq > last {
            open_at(id, seq);
            return Ok(());
        }
        match first {
            Some(first) if first > seq && has_older => {
                let page = history(id, Some(first))
                    .await
                    .map_err(|e| JumpError::Unavailable(e.to_string()))?;
                room.timeline
                    .try_update(|t| t.prepend(page.messages, page.has_older));
            }
            _ => return show(seq).await,
        }
    }
    open_at(id, seq);
    Ok(())
}

/// Opens conversation `id` at message `seq` (a new history entry, so Back returns here).
fn open_at(id: ConversationId, seq: Seq) {
    #[cfg(feature = "hydrate")]
    {
        let path = format!("/c/{id}?at={seq}");
        if let Ok(history) = window().history() {
            let _ =
                history.push_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&path));
            // The router follows `popstate`.
            if let Ok(ev) = leptos::web_sys::Event::new("popstate") {
                let _ = window().dispatch_event(&ev);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, seq);
}

/// Scrolls to the row of `seq` once it is drawn, focuses it and highlights it for 2 s.
pub async fn show(seq: Seq) -> Result<(), JumpError> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let selector = format!("#messages [data-seq=\"{}\"]", seq.0);
        for _ in 0..10 {
            leptos::task::tick().await;
            let found = leptos::prelude::document()
                .query_selector(&selector)
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            if let Some(row) = found {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                row.scroll_into_view_with_scroll_into_view_options(&options);
                let _ = row.set_attribute("tabindex", "-1");
                let _ = row.focus();
                let _ = row.class_list().add_1("flash");
                gloo_timers::future::TimeoutFuture::new(2_000).await;
                let _ = row.class_list().remove_1("flash");
                return Ok(());
            }
            gloo_timers::future::TimeoutFuture::new(16).await;
        }
        Err(JumpError::Unavailable(
            "it is not in this conversation".into(),
        ))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = seq;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_opened_at_a_message_loads_the_page_that_ends_after_it() {
        assert_eq!(window_end(None), None);
        assert_eq!(window_end(Some(Seq(100))), Some(Seq(126)));
        // Events after the page: a window; the page reaching the end: the usual timeline.
        assert!(window_has_newer(Some(Seq(100)), Seq(126)));
        assert!(!window_has_newer(Some(Seq(100)), Seq(125)));
        assert!(!window_has_newer(None, Seq(1_000)));
    }
}
