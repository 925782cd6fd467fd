//! The composer: Enter sends, Shift+Enter makes a new line; the text stays, with the reason,
//! when sending fails. What is typed is kept as a draft per conversation (`drafts`) and
//! survives switching and reloading. Before the app has taken over the page, Send does
//! nothing rather than reload the page (it is a plain button, not a form submission), and
//! what was typed then is picked up when it does.

use crate::components::Alert;
use crate::drafts;
use crate::live::{use_live, use_room};
use leptos::prelude::*;
use palaver::model::EventKind;
use palaver::validate::MESSAGE_MAX;
use palaver::{ConversationId, MessageBody};

#[component]
pub fn Composer(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let draft_key = drafts::key(live.me_id(), id);
    let text = RwSignal::new(drafts::initial(&draft_key, "composer"));
    let error = RwSignal::new(None::<String>);
    let draft_key = StoredValue::new(draft_key);

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
        draft_key.with_value(|k| drafts::save(k, ""));
        error.set(None);
    };

    let room = use_room();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Enter sends; Shift+Enter (and Enter while an IME is composing) makes a new line.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
        // Up in an empty composer edits my last message, as in Slack and Element.
        let plain = !(ev.shift_key() || ev.alt_key() || ev.ctrl_key() || ev.meta_key());
        if ev.key() == "ArrowUp" && plain && text.with_untracked(String::is_empty) {
            let me = live.me_id();
            let last = room.timeline.with_untracked(|t| {
                t.messages
                    .iter()
                    .rev()
                    .find(|m| m.author_id == me && m.kind == EventKind::Message && !m.deleted)
                    .map(|m| m.seq)
            });
            if let Some(seq) = last {
                ev.prevent_default();
                room.edit_request.set(Some(seq));
            }
        }
    };

    view! {
        <form class="composer" on:submit=move |ev| ev.prevent_default()>
            <label for="composer" class="sr-only">"Message"</label>
            <textarea
                id="composer"
                rows="1"
                placeholder="Write a message…"
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    draft_key.with_value(|k| drafts::save(k, &value));
                    text.set(value);
                    live.typing_now(id);
                    if error.get_untracked().is_some() {
                        error.set(None);
                    }
                }
                on:keydown=on_keydown
                aria-describedby="composer-hint composer-count"
            ></textarea>
            <span id="composer-count" class="count" class:over=move || text.with(|t| palaver::text::graphemes(t) > MESSAGE_MAX)>
                {move || {
                    let n = text.with(|t| palaver::text::graphemes(t));
                    (n > MESSAGE_MAX - 500).then(|| format!("{n}/{MESSAGE_MAX}"))
                }}
            </span>
            <span id="composer-hint" class="sr-only">"Enter sends, Shift+Enter starts a new line."</span>
            <button type="button" class="primary" on:click=move |_| submit()>
                "Send"
            </button>
            <Alert message=error />
        </form>
    }
}
