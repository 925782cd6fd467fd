//! The composer: Enter sends, Shift+Enter makes a new line; the text stays, with the reason,
//! when sending fails.

use crate::components::Alert;
use crate::live::use_live;
use leptos::prelude::*;
use palaver::validate::MESSAGE_MAX;
use palaver::{ConversationId, MessageBody};

#[component]
pub fn Composer(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    // Valid text leaves the composer at once as a pending bubble (queued while offline);
    // invalid text stays here with the reason.
    let submit = move || {
        let body = text.get_untracked();
        if let Err(e) = MessageBody::parse(&body) {
            error.set(Some(e.to_string()));
            return;
        }
        live.enqueue(id, body);
        text.set(String::new());
        error.set(None);
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Enter sends; Shift+Enter (and Enter while an IME is composing) makes a new line.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <label for="composer" class="sr-only">"Message"</label>
            <textarea
                id="composer"
                rows="1"
                placeholder="Write a message…  (Enter to send, Shift+Enter for a new line)"
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    live.typing_now(id);
                    if error.get_untracked().is_some() {
                        error.set(None);
                    }
                }
                on:keydown=on_keydown
                aria-describedby="composer-count"
            ></textarea>
            <span id="composer-count" class="count" class:over=move || text.with(|t| palaver::text::graphemes(t) > MESSAGE_MAX)>
                {move || {
                    let n = text.with(|t| palaver::text::graphemes(t));
                    (n > MESSAGE_MAX - 500).then(|| format!("{n}/{MESSAGE_MAX}"))
                }}
            </span>
            <button type="submit" class="primary">
                "Send"
            </button>
            <Alert message=error />
        </form>
    }
}
