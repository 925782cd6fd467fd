//! Profiles on screen: every name and avatar in a conversation is drawn from its member list,
//! so a `profile` frame that updates the list redraws them all; the viewer's own profile (the
//! top bar) is kept beside the live state.

use super::{Live, Room};
use leptos::prelude::*;
use palaver::model::Profile;
use palaver::profiles::shown_name;
use palaver::{ConversationId, UserId};

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

impl Room {
    /// `user`'s profile as the member list has it now (tracked); None for someone who is no
    /// longer a member (their messages stay, shown by username).
    pub fn profile_of(&self, user: UserId) -> Option<Profile> {
        self.members
            .try_with(|ms| {
                ms.iter()
                    .find(|m| m.user.id == user)
                    .map(|m| m.profile.clone())
            })
            .flatten()
    }

    /// The name to show for `user`: their display name while they are a member and have one,
    /// else `username` (tracked).
    pub fn shown_name_of(&self, user: UserId, username: &str) -> String {
        self.members
            .try_with(|ms| {
                ms.iter()
                    .find(|m| m.user.id == user)
                    .map(|m| shown_name(&m.profile.display_name, username).to_owned())
            })
            .flatten()
            .unwrap_or_else(|| username.to_owned())
    }
}
