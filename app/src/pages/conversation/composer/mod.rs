//! The composer: Enter sends, Shift+Enter makes a new line; the text stays, with the reason,
//! when sending fails. What is typed is kept as a draft per conversation (`drafts`) and
//! survives switching and reloading. Before the app has taken over the page, Send does
//! nothing rather than reload the page (it is a plain button, not a form submission), and
//! what was typed then is picked up when it does. Typing `@` offers the members to mention
//! (`mentions`), typing `:` and a shortcode offers emoji and a closing `:` turns a known one
//! into its emoji (`shortcodes`), both in one list (`options`). Files come in by the paperclip (`attach`), by pasting them into the text,
//! or dropped on the conversation, and wait in the tray above the text (`tray`) while they
//! upload; a message may be text, files or both, and Send waits for uploads still running.

mod attach;
mod mentions;
mod options;
mod reply;
mod shortcodes;
mod tray;

use crate::components::Alert;
use crate::drafts;
use crate::live::{use_live, use_room};
use crate::skin_tone;
use crate::uploads::{tray::send_label, use_uploads};
use leptos::prelude::*;
use mentions::{byte_offset, pick_state, utf16_offset, PickKind, Picking};
use palaver::model::EventKind;
use palaver::validate::MESSAGE_MAX;
use palaver::{ConversationId, MessageBody};

/// Why Send does nothing while a file of the tray has failed.
const FAILED_FILES: &str = "A file did not upload: retry or remove it, then send.";

#[component]
pub fn Composer(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let draft_key = drafts::key(live.me_id(), id);
    let text = RwSignal::new(drafts::initial(&draft_key, "composer"));
    let error = RwSignal::new(None::<String>);
    let draft_key = StoredValue::new(draft_key);
    // The @mention list, while the caret is in an `@name` that matches someone.
    let picking = RwSignal::new(None::<Picking>);
    let room = use_room();
    let uploads = use_uploads();
    // Files stored for this message on an earlier page come back, once the page is
    // hydrated (the server's page had none).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        uploads.restore(id);
    });
    // Send was pressed while files were still uploading: it goes when they are done.
    let waiting = RwSignal::new(false);

    // A valid message (text, stored files or both) leaves the composer at once as a pending
    // bubble (queued while offline); otherwise everything stays here with the reason.
    let submit = move || {
        let files = uploads.summary_untracked(id);
        let body = text.get_untracked();
        let blank = body.trim().is_empty();
        if files.failed > 0 {
            waiting.set(false);
            error.set(Some(FAILED_FILES.to_owned()));
            return;
        }
        let body = if blank && (!files.done.is_empty() || files.uploading > 0) {
            String::new()
        } else {
            match MessageBody::parse(&body) {
                Ok(_) => body,
                Err(e) => {
                    waiting.set(false);
                    error.set(Some(e.to_string()));
                    return;
                }
            }
        };
        if files.uploading > 0 {
            waiting.set(true);
            error.set(None);
            return;
        }
        waiting.set(false);
        live.enqueue(id, body, room.replying.get_untracked(), files.done.clone());
        uploads.sent(id, &files.done);
        room.replying.set(None);
        text.set(String::new());
        picking.set(None);
        draft_key.with_value(|k| drafts::save(k, ""));
        error.set(None);
    };
    // The last upload a waiting send was held for has ended (or was removed).
    Effect::new(move |_| {
        let files = uploads.summary(id);
        if !waiting.get() || files.uploading > 0 {
            return;
        }
        if files.is_empty() && text.with_untracked(|t| t.trim().is_empty()) {
            // Every file was removed and there is no text: nothing left to send.
            waiting.set(false);
        } else {
            submit();
        }
    });

    let textarea = NodeRef::<leptos::html::Textarea>::new();
    // Where the caret is, in bytes of the text (the DOM counts UTF-16 units).
    let caret = move || text.with_untracked(|t| caret_in(t, textarea));
    let update_picker = move || {
        let state = caret().and_then(|at| {
            let me = live.me_id();
            room.members
                .with_untracked(|ms| text.with_untracked(|t| pick_state(t, at, ms, me)))
                .or_else(|| text.with_untracked(|t| shortcodes::pick_state(t, at)))
        });
        picking.set(state);
    };
    // The text changes under the reader's hands (a pick, a converted shortcode): stored as
    // the draft, shown, and the caret put at byte `at`, not at the end of the text.
    let replace_text = move |value: String, at: usize| {
        let at16 = utf16_offset(&value, at);
        draft_key.with_value(|k| drafts::save(k, &value));
        text.set(value.clone());
        if let Some(el) = textarea.get_untracked() {
            el.set_value(&value);
            let _ = el.set_selection_range(at16, at16);
        }
    };
    let pick = Callback::new(move |option: String| {
        let Some(p) = picking.get_untracked() else {
            return;
        };
        let done = text.with_untracked(|t| match p.kind {
            PickKind::Member => Some(mentions::complete(t, p.range.clone(), &option)),
            PickKind::Emoji => shortcodes::emoji_of(&option, skin_tone::preferred())
                .map(|emoji| shortcodes::complete(t, p.range.clone(), emoji)),
        });
        picking.set(None);
        if let Some((value, at)) = done {
            replace_text(value, at);
        }
    });
    // While the list is open, the arrows, Enter, Tab and Escape belong to it.
    let picker_keys = move |ev: &leptos::ev::KeyboardEvent| -> bool {
        let Some(p) = picking.get_untracked() else {
            return false;
        };
        let n = p.options.len();
        match ev.key().as_str() {
            "ArrowDown" => picking.update(|p| {
                if let Some(p) = p {
                    p.active = (p.active + 1) % n;
                }
            }),
            "ArrowUp" => picking.update(|p| {
                if let Some(p) = p {
                    p.active = (p.active + n - 1) % n;
                }
            }),
            "Enter" | "Tab" if !ev.shift_key() => pick.run(p.options[p.active].clone()),
            // Only the list closes: not the member sheet or settings around the composer.
            "Escape" => {
                ev.stop_propagation();
                picking.set(None);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if picker_keys(&ev) {
            return;
        }
        // Enter sends; Shift+Enter (and Enter while an IME is composing) makes a new line.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
        // Escape gives up the reply being written (the text stays).
        if ev.key() == "Escape" && room.replying.with_untracked(Option::is_some) {
            ev.prevent_default();
            ev.stop_propagation();
            room.replying.set(None);
        }
        // Up in an empty composer edits my last message, as in Slack and Element.
        let plain = !(ev.shift_key() || ev.alt_key() || ev.ctrl_key() || ev.meta_key());
        if ev.key() == "ArrowUp" && plain && text.with_untracked(String::is_empty) {
            let me = live.me_id();
            let last = room.timeline.with_untracked(|t| {
                t.messages
                    .iter()
                    .rev()
                    .find(|m| {
                        m.author_id == me
                            && m.kind == EventKind::Message
                            && !m.deleted
                            && !m.body.is_empty()
                    })
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
            <reply::ReplyBar />
            <tray::Tray id />
            <attach::AttachButton id />
            <label for="composer" class="sr-only">"Message"</label>
            <options::ComposerOptions picking on_pick=pick />
            <textarea
                id="composer"
                node_ref=textarea
                rows="1"
                placeholder="Write a message…"
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    // A closing `:` just typed (or pasted, not left by a deletion) after a
                    // known shortcode makes it its emoji.
                    let grew = text.with_untracked(|t| value.len() > t.len());
                    let converted = caret_in(&value, textarea)
                        .filter(|_| grew)
                        .and_then(|at| shortcodes::convert_closed(&value, at, skin_tone::preferred()));
                    match converted {
                        Some((value, at)) => replace_text(value, at),
                        None => {
                            draft_key.with_value(|k| drafts::save(k, &value));
                            text.set(value);
                        }
                    }
                    update_picker();
                    live.typing_now(id);
                    if error.get_untracked().is_some() {
                        error.set(None);
                    }
                }
                on:keydown=on_keydown
                on:click=move |_| update_picker()
                on:keyup=move |ev: leptos::ev::KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                        update_picker();
                    }
                }
                on:blur=move |_| picking.set(None)
                on:paste=move |ev: leptos::ev::ClipboardEvent| {
                    // Pasted files (a screenshot, a copied image) join the tray; text pastes
                    // as always.
                    #[cfg(feature = "hydrate")]
                    {
                        let files = crate::uploads::files_of(ev.clipboard_data());
                        if !files.is_empty() {
                            ev.prevent_default();
                            uploads.add(id, files);
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
                aria-autocomplete="list"
                aria-controls=move || picking.with(|p| p.as_ref().map(|p| p.kind.list_id()))
                aria-activedescendant=move || picking.with(|p| p.as_ref().map(|p| p.kind.option_id(p.active)))
                aria-describedby=move || {
                    if room.replying.with(Option::is_some) {
                        format!("{} composer-hint composer-count", reply::REPLYING_ID)
                    } else {
                        "composer-hint composer-count".to_owned()
                    }
                }
            ></textarea>
            <span id="composer-count" class="count" class:over=move || text.with(|t| palaver::text::graphemes(t) > MESSAGE_MAX)>
                {move || {
                    let n = text.with(|t| palaver::text::graphemes(t));
                    (n > MESSAGE_MAX - 500).then(|| format!("{n}/{MESSAGE_MAX}"))
                }}
            </span>
            <span id="composer-hint" class="sr-only">"Enter sends, Shift+Enter starts a new line. Type @ to mention someone, or a colon and a name for an emoji."</span>
            <button
                type="button"
                class="primary send"
                aria-busy=move || waiting.get().then_some("true")
                on:click=move |_| submit()
            >
                {move || send_label(waiting.get(), uploads.summary(id).uploading)}
            </button>
            <Alert message=error />
        </form>
    }
}

/// The caret of `textarea` as a byte offset into `value` (the text it now holds).
fn caret_in(value: &str, textarea: NodeRef<leptos::html::Textarea>) -> Option<usize> {
    let at = textarea.get_untracked()?.selection_start().ok()??;
    Some(byte_offset(value, at))
}
