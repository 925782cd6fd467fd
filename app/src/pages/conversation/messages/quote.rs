//! The compact quote a reply shows of the message it answers: author and first line ("Message
//! deleted" once it is). Clicking it takes the reader to the original (`jump`).

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
