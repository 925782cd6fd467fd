//! "Replying to alice: …" above the composer while a reply is being written, with a button
//! (and Escape in the composer) to cancel it.

use crate::components::focus_by_id;
use crate::live::use_room;
use leptos::prelude::*;

/// The id the composer's text field names in `aria-describedby` while replying.
pub const REPLYING_ID: &str = "composer-replying";

#[component]
pub fn ReplyBar() -> impl IntoView {
    let room = use_room();
    move || {
        room.replying.get().map(|q| {
            let text = if q.deleted {
                "Message deleted".to_owned()
            } else {
                q.excerpt.clone()
            };
            view! {
                <div class="replying" id=REPLYING_ID>
                    <span class="replying-to">"Replying to "<strong>{q.author.clone()}</strong></span>
                    <span class="quote-text">{text}</span>
                    <button type="button" class="ghost" aria-label="Cancel reply" title="Cancel reply (Escape)" on:click=move |_| {
                        room.replying.set(None);
                        focus_by_id("composer");
                    }>"✕"</button>
                </div>
            }
        })
    }
}
