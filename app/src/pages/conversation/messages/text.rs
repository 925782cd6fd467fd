//! A message's text with its @mentions drawn as such (see `palaver::mentions`): the name of
//! a member the message mentions is highlighted, and stands out more when it is the reader.

use crate::live::{use_live, use_room};
use leptos::prelude::*;
use palaver::mentions;
use palaver::UserId;

#[component]
pub(super) fn MessageText(body: String, mentions: Vec<UserId>) -> impl IntoView {
    let me = use_live().me_id();
    // The names of the mentioned members as they are now; someone who has left since is
    // no longer highlighted (their id still counts for the mention itself).
    let named: Vec<(String, UserId)> = if mentions.is_empty() {
        Vec::new()
    } else {
        use_room().members.with_untracked(|ms| {
            ms.iter()
                .filter(|m| mentions.contains(&m.user.id))
                .map(|m| (m.user.username.to_ascii_lowercase(), m.user.id))
                .collect()
        })
    };
    let parts = mentions::segments(&body, |key| {
        named.iter().find(|(k, _)| k == key).map(|(_, id)| *id)
    });
    let pieces = parts
        .into_iter()
        .map(|(range, user)| {
            let text = body[range].to_owned();
            match user {
                Some(user) => {
                    view! { <span class="mention" class:me=user == me>{text}</span> }.into_any()
                }
                None => text.into_any(),
            }
        })
        .collect_view();
    view! { <p class="body" dir="auto">{pieces}</p> }
}
