//! Presence and the per-user socket count of this node. In a cluster the hub knows which
//! users have sockets on other nodes (see `Hub::local_presence`).

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

    /// Whether `user` has a socket open on this node or, in a cluster, on another.
    pub fn is_online(&self, user: UserId) -> bool {
        self.presence
            .lock()
            .map(|p| p.contains_key(&user))
            .unwrap_or(false)
            || self.hub.online_elsewhere(user)
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
        // The hub hears of the change under the lock, so that a quick close and reopen
        // reach the other nodes in the order they happened.
        let changed = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            let n = p.entry(user).or_insert(0);
            *n += 1;
            *n == 1 && self.hub.local_presence(user, true)
        };
        if changed {
            self.announce_presence(user, true).await;
        }
    }

    /// A socket of `user` closed; announces them offline when it was their last.
    pub async fn socket_closed(&self, user: UserId) {
        crate::server::metrics::socket_count(-1.0);
        let changed = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            match p.get_mut(&user) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    p.remove(&user);
                    self.hub.local_presence(user, false)
                }
                None => false,
            }
        };
        if changed {
            self.announce_presence(user, false).await;
        }
    }

    /// Tells this node's sockets in `user`'s conversations that they came online or went
    /// offline. Every node of a cluster does this for its own sockets (see
    /// [`Hub::publish_local`]): one frame per socket and change, however many nodes.
    pub(super) async fn announce_presence(&self, user: UserId, online: bool) {
        let Ok(ids) = self.store.conversation_ids_for(user).await else {
            return;
        };
        for id in ids {
            let frame = ServerFrame::Presence {
                conversation_id: id,
                user_id: user,
                online,
            };
            self.hub.publish_local(
                Topic::Conversation(id),
                HubEvent::Frame {
                    payload: frame_bytes(&frame),
                },
            );
        }
    }

    /// Announces to this node's sockets the changes of presence other nodes cause (see
    /// [`Hub::remote_presence`]), until `stop`. Returns at once on one node.
    pub async fn run_remote_presence(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let Some(mut changes) = self.hub.remote_presence() else {
            return;
        };
        tokio::pin!(stop);
        loop {
            let change = tokio::select! {
                _ = &mut stop => return,
                change = changes.recv() => change,
            };
            let Some((user, online)) = change else { return };
            self.announce_presence(user, online).await;
        }
    }
}
