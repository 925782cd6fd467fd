//! A node's presence news on the bus: what it tells the others of its own users and what it
//! makes of theirs (the rules are `presence`'s).

use super::presence::HEARTBEAT_EVERY;
use super::wire::{decode_presence, encode_presence, PresenceNews};
use super::{Change, NatsHub, PresenceBook};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

impl NatsHub {
    pub(super) fn book(&self) -> std::sync::MutexGuard<'_, PresenceBook> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues presence news; the caller holds the book, so news leave in the book's order.
    pub(super) fn tell(&self, news: PresenceNews) {
        let bytes = encode_presence(self.node, news);
        if self
            .outbox
            .try_send((self.presence_subject.clone(), bytes))
            .is_err()
        {
            tracing::warn!(
                "event bus outbox full; presence news dropped (the next heartbeat repairs it)"
            );
        }
    }

    /// Sends this node's whole list of users.
    pub(super) fn tell_list(&self) {
        let book = self.book();
        self.tell(PresenceNews::Online {
            users: book.local_users(),
        });
    }

    fn announce(&self, changes: impl IntoIterator<Item = Change>) {
        for change in changes {
            let _ = self.changes.send(change);
        }
    }

    /// Another node's presence news.
    pub(super) fn on_presence(&self, bytes: &[u8]) {
        let message = match decode_presence(bytes) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable presence news; the next heartbeat repairs it");
                return;
            }
        };
        if message.node == self.node {
            return;
        }
        let now = Instant::now();
        let (changes, stranger) = match message.news {
            PresenceNews::Changed { user, online } => {
                let (change, stranger) = self.book().changed(message.node, user, online, now);
                (change.into_iter().collect(), stranger)
            }
            PresenceNews::Online { users } => self.book().listed(message.node, users, now),
            PresenceNews::Gone => (self.book().forget(message.node), false),
        };
        self.announce(changes);
        // A node this one did not know (it just started): it learns this node's users now,
        // not at the next heartbeat.
        if stranger {
            self.tell_list();
        }
    }

    /// Every [`HEARTBEAT_EVERY`]: this node's list out, silent nodes' users offline.
    pub(super) async fn heartbeat(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            self.tell_list();
            let (changes, dead) = self.book().expire(Instant::now());
            if !dead.is_empty() {
                tracing::warn!(
                    nodes = dead.len(),
                    users = changes.len(),
                    "nodes silent too long; their users are offline"
                );
            }
            self.announce(changes);
        }
    }
}
