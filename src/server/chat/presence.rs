//! Presence and the per-user socket count of this node.

use super::*;
use std::collections::HashMap;
use std::sync::Mutex;

/// Open sockets per user on this node, counted from the handshake (SECURITY 17).
pub(super) type SocketCounts = Arc<Mutex<HashMap<UserId, usize>>>;

/// One of a user's sockets, held from the handshake until the connection ends; dropping it
/// frees the place. Counting at the handshake, not after `auth`, means that sockets opened
/// all at once are counted like sockets opened one by one.
#[derive(Debug)]
pub struct SocketSlot {
    counts: SocketCounts,
    user: UserId,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

impl Chat {
    /// Takes one of `user`'s socket places on this node, or refuses (429) when they hold
    /// `sockets_per_user` already.
    pub fn reserve_socket(&self, user: UserId) -> Result<SocketSlot, CoreError> {
        let mut counts = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let open = counts.entry(user).or_insert(0);
        if *open >= self.config.limits.sockets_per_user {
            return Err(CoreError::RateLimited {
                what: "You have too many open connections. Close some tabs.",
                retry_after_secs: 30,
            });
        }
        *open += 1;
        Ok(SocketSlot {
            counts: self.sockets.clone(),
            user,
        })
    }

    pub fn is_online(&self, user: UserId) -> bool {
        self.presence
            .lock()
            .map(|p| p.contains_key(&user))
            .unwrap_or(false)
    }

    /// WebSockets open on this node now (every tab of every user).
    pub fn open_sockets(&self) -> i64 {
        self.presence
            .lock()
            .map(|p| p.values().map(|n| *n as i64).sum())
            .unwrap_or(0)
    }

    /// A socket of `user` opened; announces them online when it is their first.
    pub async fn socket_opened(&self, user: UserId) {
        crate::server::metrics::socket_count(1.0);
        let first = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            let n = p.entry(user).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            self.announce_presence(user, true).await;
        }
    }

    /// A socket of `user` closed; announces them offline when it was their last.
    pub async fn socket_closed(&self, user: UserId) {
        crate::server::metrics::socket_count(-1.0);
        let last = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            match p.get_mut(&user) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    p.remove(&user);
                    true
                }
                None => false,
            }
        };
        if last {
            self.announce_presence(user, false).await;
        }
    }

    pub(super) async fn announce_presence(&self, user: UserId, online: bool) {
        let Ok(ids) = self.store.conversation_ids_for(user).await else {
            return;
        };
        for id in ids {
            self.publish(
                Topic::Conversation(id),
                &ServerFrame::Presence {
                    conversation_id: id,
                    user_id: user,
                    online,
                },
            );
        }
    }
}
