//! Who wrote a group of messages, as others' groups show it (Slack's layout): their avatar
//! beside the group and, in its header, the display name followed by the username in muted
//! text (`Ada Lovelace @ada`; the username alone without a display name). Both follow the
//! member list, so a profile change redraws them live; someone who has left is shown by the
//! username the message carries, with its initials.

use crate::components::{Avatar, AvatarSize};
use crate::live::use_room;
use leptos::prelude::*;
use palaver::model::Profile;
use palaver::profiles::shown_name;
use palaver::UserId;

/// The author's profile while they are a member (tracked).
pub(super) fn author_profile(author: UserId) -> Memo<Option<Profile>> {
    let room = use_room();
    Memo::new(move |_| room.profile_of(author))
}

/// The avatar beside the first message of a group; decoration, since the header names them.
#[component]
pub(super) fn AuthorAvatar(
    author: UserId,
    username: String,
    profile: Memo<Option<Profile>>,
) -> impl IntoView {
    let name = Signal::derive(move || {
        profile.with(|p| match p {
            Some(p) => shown_name(&p.display_name, &username).to_owned(),
            None => username.clone(),
        })
    });
    let url = Signal::derive(move || profile.with(|p| p.as_ref().and_then(Profile::avatar_url)));
    view! { <Avatar user=author name url size=AvatarSize::S40 /> }
}

/// `<span class="author">Ada Lovelace <span class="username">@ada</span></span>`; only for
/// screen readers on the group's later messages.
#[component]
pub(super) fn AuthorName(
    username: String,
    profile: Memo<Option<Profile>>,
    continues: bool,
) -> impl IntoView {
    let display = move || {
        profile.with(|p| {
            p.as_ref()
                .map(|p| p.display_name.clone())
                .filter(|d| !d.is_empty())
        })
    };
    let plain = username.clone();
    view! {
        <span class="author" class:sr-only=continues>
            {move || match display() {
                Some(name) => {
                    let at = format!("@{username}");
                    view! { {name} " " <span class="username">{at}</span> }.into_any()
                }
                None => plain.clone().into_any(),
            }}
        </span>
    }
}
