//! The compact quote a reply shows of the message it answers: author and first line ("Message
//! deleted" once it is; its files for a message of files only). Clicking it takes the reader
//! to the original (`jump`).

use super::jump::jump_to;
use crate::live::use_room;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::ReplyQuote;
use palaver::ConversationId;

/// The quote inside a reply's bubble (`clickable` false for a reply still being sent).
#[component]
pub fn Quote(
    #[prop(into)] quote: Signal<Option<ReplyQuote>>,
    id: ConversationId,
    #[prop(default = true)] clickable: bool,
    #[prop(optional)] error: Option<RwSignal<Option<String>>>,
) -> impl IntoView {
    let room = use_room();
    move || {
        quote.get().map(|q| {
            let text = if q.deleted {
                "Message deleted".to_owned()
            } else if q.excerpt.is_empty() {
                files_of(room, q.seq)
            } else {
                q.excerpt.clone()
            };
            let label = format!("Reply to {}: {text}. Show the original message.", q.author);
            let seq = q.seq;
            let inner = view! {
                <span class="quote-author">{q.author.clone()}</span>
                <span class="quote-text" class:deleted=q.deleted>{text}</span>
            };
            if clickable {
                view! {
                    <button type="button" class="quote" aria-label=label on:click=move |_| {
                        spawn_local(async move {
                            if let (Err(e), Some(error)) = (jump_to(room, id, seq).await, error) {
                                error.set(Some(e.to_string()));
                            }
                        });
                    }>{inner}</button>
                }
                .into_any()
            } else {
                view! { <div class="quote">{inner}</div> }.into_any()
            }
        })
    }
}

/// What a quote of a message without text shows: its files when the original is loaded
/// ("📎 plan.pdf and 2 more"), else that it has some.
fn files_of(room: crate::live::Room, seq: palaver::Seq) -> String {
    room.timeline
        .try_with_untracked(|t| {
            t.messages
                .iter()
                .find(|m| m.seq == seq)
                .map(|m| crate::live::preview::excerpt_of(&m.body, &m.attachments))
        })
        .flatten()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "📎 Attachment".to_owned())
}
