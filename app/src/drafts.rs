//! What the user typed and has not sent yet, kept in the browser's local storage so that
//! switching conversations, a reload or a crash never loses it: the composer's draft per
//! (user, conversation), cleared on send, and the outbox of messages waiting for the server
//! (each with its fixed client id, so a message sent before the reload and again after it is
//! stored once). Nothing here reaches the server.

use crate::live::{OutState, Outgoing};
use palaver::{ConversationId, UserId};

/// The local-storage key of a user's draft in one conversation.
pub fn key(user: UserId, conversation: ConversationId) -> String {
    format!("palaver.draft.{user}.{conversation}")
}

/// The text to start the composer with: what the user typed into the server-rendered page
/// before the app took over (`dom_id`'s current value), else the saved draft, else nothing.
pub fn initial(key: &str, dom_id: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        // Only while hydrating: afterwards an element with that id is another
        // conversation's composer, about to be replaced.
        let document = leptos::prelude::document();
        let hydrated = document
            .body()
            .is_some_and(|b| b.has_attribute("data-hydrated"));
        let typed = (!hydrated)
            .then(|| document.get_element_by_id(dom_id))
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            .map(|el| el.value())
            .filter(|v| !v.is_empty());
        typed
            .or_else(|| storage()?.get_item(key).ok().flatten())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (key, dom_id);
        String::new()
    }
}

/// Saves `text` as the draft (an empty text removes it). Storage that is full or disabled
/// (private windows) loses the draft, never the text on screen.
pub fn save(key: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(s) = storage() {
        let _ = if text.is_empty() {
            s.remove_item(key)
        } else {
            s.set_item(key, text)
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, text);
}

/// The local-storage key of a user's outbox.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn outbox_key(user: UserId) -> String {
    format!("palaver.outbox.{user}")
}

/// The saved outbox; what was on the wire when the page went away waits to be sent again.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn load_outbox(key: &str) -> Vec<Outgoing> {
    #[cfg(feature = "hydrate")]
    {
        let saved = storage().and_then(|s| s.get_item(key).ok().flatten());
        parse_outbox(saved.as_deref().unwrap_or("[]"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        Vec::new()
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn save_outbox(key: &str, outbox: &[Outgoing]) {
    let json = serde_json::to_string(outbox).unwrap_or_else(|_| "[]".to_owned());
    save(key, if outbox.is_empty() { "" } else { &json });
}

/// Anything unreadable (another version's format, a hand-edited entry) is dropped, never a
/// reason not to start.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn parse_outbox(json: &str) -> Vec<Outgoing> {
    let mut list: Vec<Outgoing> = serde_json::from_str(json).unwrap_or_default();
    for m in &mut list {
        if m.state == OutState::Sending {
            m.state = OutState::Waiting;
        }
    }
    list
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_outbox_comes_back_waiting_and_garbage_is_dropped() {
        let m = |id: &str, state| Outgoing {
            client_id: id.into(),
            conversation: ConversationId(1),
            body: "hi".into(),
            state,
        };
        let saved = serde_json::to_string(&[
            m("a", OutState::Sending),
            m("b", OutState::Waiting),
            m("c", OutState::Failed("too long".into())),
        ])
        .unwrap();
        let back = parse_outbox(&saved);
        assert_eq!(
            back,
            [
                m("a", OutState::Waiting),
                m("b", OutState::Waiting),
                m("c", OutState::Failed("too long".into()))
            ]
        );
        assert!(parse_outbox("{not json").is_empty());
        assert!(parse_outbox("[{\"client_id\":1}]").is_empty());
    }

    #[test]
    fn drafts_are_kept_per_user_and_conversation() {
        assert_eq!(key(UserId(3), ConversationId(7)), "palaver.draft.3.7");
        assert_ne!(
            key(UserId(3), ConversationId(7)),
            key(UserId(7), ConversationId(3))
        );
    }
}
