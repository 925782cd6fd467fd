//! What the user typed and has not sent yet, kept in the browser's local storage so that
//! switching conversations, a reload or a crash never loses it: the composer's draft per
//! (user, conversation), cleared on send. [`load`] and [`save`] are the app's one way to
//! local storage: the outbox (`live::outbox`), uploaded files waiting to be sent, recent
//! reactions and the skin tone are kept with them too. Nothing here reaches the server.

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

/// The text saved under `key`, if any (browser only).
pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        storage()?.get_item(key).ok().flatten()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_kept_per_user_and_conversation() {
        assert_eq!(key(UserId(3), ConversationId(7)), "palaver.draft.3.7");
        assert_ne!(
            key(UserId(3), ConversationId(7)),
            key(UserId(7), ConversationId(3))
        );
    }
}
