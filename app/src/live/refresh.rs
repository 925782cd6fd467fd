//! Reloading what frames only report as changes, after a reconnect or an edit, without
//! losing the frames that arrive while the reload is in flight.

// Called by the socket, which runs in the browser only.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::*;

/// A reload in flight. Frames that arrive meanwhile are kept and applied again on top of
/// the reloaded state: each of them is idempotent, and the last one about any member or
/// conversation is at least as new as the reloaded state, so replaying them in order gives
/// the current state whichever side of the reload they happened on.
pub(super) struct Refresh {
    pub(super) generation: u64,
    /// This reload includes the open conversation's details.
    pub(super) with_room: bool,
    pub(super) journal: Vec<ServerFrame>,
}

impl Live {
    /// After (re)connecting: reloads what frames only report as changes (members, roles,
    /// presence, title, visibility) and, after a reconnect, the side nav, so that nothing
    /// that happened while the socket was down stays on screen. Messages need none of this:
    /// `sync` fetches them by sequence number.
    pub fn refresh(self, reconnected: bool) {
        self.reload(self.room(), reconnected);
    }

    /// Reloads the side nav only (after an edit or deletion, whose effect on a preview or an
    /// unread count only the server knows). A reload in flight that includes the open
    /// conversation is not dropped: it is redone, side nav included.
    pub fn reload_side_nav(self) {
        let room_pending = self
            .refresh
            .with_value(|r| r.as_ref().is_some_and(|r| r.with_room));
        let room = if room_pending { self.room() } else { None };
        self.reload(room, true);
    }

    fn reload(self, room: Option<Room>, reconnected: bool) {
        if room.is_none() && !reconnected {
            return;
        }
        let generation = self
            .refresh
            .with_value(|r| r.as_ref().map_or(0, |r| r.generation))
            .wrapping_add(1);
        self.refresh.set_value(Some(Refresh {
            generation,
            with_room: room.is_some(),
            journal: Vec::new(),
        }));
        spawn_local(async move {
            let detail = async {
                match room {
                    Some(r) => Some(crate::api::conversation(r.id).await),
                    None => None,
                }
            };
            let list = async {
                if reconnected {
                    Some(crate::api::list_conversations().await)
                } else {
                    None
                }
            };
            let (detail, list) = futures::join!(detail, list);
            // A newer reload (another reconnect) supersedes this one; a disposed `live`
            // (signed out) ends here too.
            let Some(Some(journal)) = self.refresh.try_update_value(|r| match r {
                Some(x) if x.generation == generation => r.take().map(|x| x.journal),
                _ => None,
            }) else {
                return;
            };
            if let Some(Ok(list)) = list {
                self.conversations.try_set(list);
            }
            if let (Some(room), Some(detail)) = (room.filter(Room::alive), detail) {
                match detail {
                    Ok(detail) => room.reset(&detail),
                    Err(AppError::Forbidden(_) | AppError::NotFound(_)) => {
                        room.closed.try_set(Some(Closed::Gone));
                    }
                    // Unreachable server: presence stays unknown; the next connection
                    // reloads again.
                    Err(_) => {}
                }
            }
            for frame in journal {
                self.apply(frame);
            }
            // The reloaded side nav may count as unread what is on screen.
            if self.room().and_then(|r| r.at_bottom.try_get_untracked()) == Some(true) {
                self.mark_read();
            }
        });
    }
}
