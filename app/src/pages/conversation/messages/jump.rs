//! Taking the reader to one message of the open conversation (a reply's quote): older pages
//! are loaded first while it is not on screen yet, then it is scrolled to the middle of the
//! list, focused (so the keyboard and screen readers are there too) and briefly highlighted.

use crate::api::history;
use crate::live::Room;
use leptos::prelude::*;
use palaver::{ConversationId, Seq};

/// Pages of history loaded at most to reach a message (50 events each): beyond that the
/// reader is told to scroll, rather than the page holding thousands of rows.
pub const MAX_PAGES: usize = 40;

/// Why the reader could not be taken to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JumpError {
    /// Further back than [`MAX_PAGES`] pages.
    TooFarBack,
    /// Not in the conversation's history (it never was, or the history failed to load).
    Unavailable(String),
}

impl std::fmt::Display for JumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JumpError::TooFarBack => {
                f.write_str("That message is far back: load older messages to reach it.")
            }
            JumpError::Unavailable(why) => write!(f, "Could not show that message: {why}"),
        }
    }
}

/// Loads older pages until message `seq` is in the timeline (at most [`MAX_PAGES`]), then
/// shows it.
pub async fn jump_to(room: Room, id: ConversationId, seq: Seq) -> Result<(), JumpError> {
    for _ in 0..=MAX_PAGES {
        let (first, has_older) = room
            .timeline
            .try_with_untracked(|t| (t.first_seq(), t.has_older))
            .ok_or_else(|| JumpError::Unavailable("the conversation was closed".into()))?;
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
    Err(JumpError::TooFarBack)
}

/// Scrolls to the row of `seq` once it is drawn, focuses it and highlights it for 2 s.
async fn show(seq: Seq) -> Result<(), JumpError> {
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
