//! Profiles on screen: every name and avatar in a conversation is drawn from its member list
//! (through [`Room::profiles`]), so a `profile` frame that updates the list redraws them all;
//! the viewer's own profile (the top bar) is kept beside the live state.

use super::{Live, Room};
use leptos::prelude::*;
use palaver::model::{Member, Profile};
use palaver::profiles::shown_name;
use palaver::{ConversationId, UserId};
use std::collections::HashMap;

impl Live {
    /// `user` changed their profile (the server sends it once per conversation they share
    /// with the viewer): the open conversation's member entry, and the viewer's own profile
    /// when it is theirs (changed on another tab or device, or on the account page).
    pub(super) fn apply_profile(
        self,
        conversation: ConversationId,
        user: UserId,
        profile: Profile,
    ) {
        if user == self.me_id() {
            self.set_my_profile(profile.clone());
        }
        let Some(room) = self.room().filter(|r| r.id == conversation) else {
            return;
        };
        let stale = room
            .members
            .try_with_untracked(|ms| ms.iter().any(|m| m.user.id == user && m.profile != profile))
            .unwrap_or(false);
        if stale {
            room.members.try_update(|ms| {
                if let Some(m) = ms.iter_mut().find(|m| m.user.id == user) {
                    m.profile = profile;
                }
            });
        }
    }

    /// The viewer's profile as the top bar shows it; unchanged values notify nobody (the
    /// frame for one change comes once per conversation).
    pub fn set_my_profile(self, profile: Profile) {
        if self.my_profile.with_untracked(|p| *p != profile) {
            self.my_profile.set(profile);
        }
    }
}

/// [`Room::profiles`]: one map per conversation, so that each name and avatar on screen
/// looks its person up at once (a member list may hold thousands) and is told only when the
/// profiles change, not when a role or the order does.
pub(super) fn index(members: RwSignal<Vec<Member>>) -> Memo<HashMap<UserId, Profile>> {
    Memo::new(move |_| {
        members.with(|ms| ms.iter().map(|m| (m.user.id, m.profile.clone())).collect())
    })
}

impl Room {
    /// `user`'s profile as the member list has it now (tracked); None for someone who is no
    /// longer a member (their messages stay, shown by username).
    pub fn profile_of(&self, user: UserId) -> Option<Profile> {
        self.profiles.try_with(|p| p.get(&user).cloned()).flatten()
    }

    /// The name to show for `user`: their display name while they are a member and have one,
    /// else `username` (tracked).
    pub fn shown_name_of(&self, user: UserId, username: &str) -> String {
        self.profiles
            .try_with(|p| {
                p.get(&user)
                    .map(|p| shown_name(&p.display_name, username).to_owned())
            })
            .flatten()
            .unwrap_or_else(|| username.to_owned())
    }
}
