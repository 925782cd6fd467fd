//! Fan-out of live events to subscribers. [`LocalHub`] serves one process; a NATS-backed hub
//! implements the same trait to carry events between nodes.

use crate::ids::{ConversationId, Seq, SessionId, UserId};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Where an event goes: everyone in a conversation, or every socket of one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Conversation(ConversationId),
    User(UserId),
}

/// One event, serialized once: every subscriber gets a clone of the same `Bytes` (the JSON
/// text of a `ServerFrame`), plus what the socket must do besides forwarding it.
#[derive(Debug, Clone)]
pub enum HubEvent {
    /// An event of a conversation's sequence: a lagging subscriber resyncs from `seq`.
    Sequenced {
        conversation: ConversationId,
        seq: Seq,
        payload: Bytes,
    },
    /// Forwarded as it is (typing, presence, member and conversation updates, read
    /// positions).
    Frame { payload: Bytes },
    /// On a conversation's channel: `user` is no longer a member. Their sockets forward this
    /// event and nothing after it from that conversation.
    MemberLeft { user: UserId, payload: Bytes },
    /// On a user's channel: their sockets start listening to `conversation`.
    Subscribe {
        conversation: ConversationId,
        payload: Bytes,
    },
    /// On a user's channel: their sockets stop listening to `conversation`.
    Unsubscribe {
        conversation: ConversationId,
        payload: Bytes,
    },
    /// On a user's channel: sockets opened under one of `sessions` send `payload` and
    /// close; the user's other sockets ignore it.
    SessionsEnded {
        sessions: Arc<[SessionId]>,
        payload: Bytes,
    },
    /// Events of this topic may have been lost on the way between nodes (the event bus
    /// disconnected or dropped messages): a conversation's subscribers read what they missed
    /// back from the database, as after a lag; a personal channel's sockets close with
    /// `resync` so their clients reconnect. Never forwarded, never sent between nodes.
    Resync,
}

/// What [`HubEvent::Resync`] forwards: nothing.
static NO_PAYLOAD: Bytes = Bytes::from_static(b"");

impl HubEvent {
    /// The frame to forward.
    pub fn payload(&self) -> &Bytes {
        match self {
            HubEvent::Sequenced { payload, .. }
            | HubEvent::Frame { payload }
            | HubEvent::MemberLeft { payload, .. }
            | HubEvent::Subscribe { payload, .. }
            | HubEvent::Unsubscribe { payload, .. }
            | HubEvent::SessionsEnded { payload, .. } => payload,
            HubEvent::Resync => &NO_PAYLOAD,
        }
    }

    /// The frame to forward, taken out of the event: a socket forwarding its copy of an
    /// event drops one reference to the shared bytes instead of taking a second.
    pub fn into_payload(self) -> Bytes {
        match self {
            HubEvent::Sequenced { payload, .. }
            | HubEvent::Frame { payload }
            | HubEvent::MemberLeft { payload, .. }
            | HubEvent::Subscribe { payload, .. }
            | HubEvent::Unsubscribe { payload, .. }
            | HubEvent::SessionsEnded { payload, .. } => payload,
            HubEvent::Resync => NO_PAYLOAD.clone(),
        }
    }
}

pub trait Hub: Send + Sync + 'static {
    fn publish(&self, topic: Topic, event: HubEvent);
    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<HubEvent>;
    /// Whether events reach every node now; `Err` says why not, for the readiness check. A
    /// hub that serves one process is always ready.
    fn ready(&self) -> Result<(), String> {
        Ok(())
    }

    /// Publishes to this node's subscribers only: presence, which every node of a cluster
    /// works out for itself and tells its own sockets. One node: the same as `publish`.
    fn publish_local(&self, topic: Topic, event: HubEvent) {
        self.publish(topic, event)
    }

    /// This node's first socket of `user` opened (`online`) or its last one closed. Returns
    /// whether the user's presence as a whole changed (they have no sockets on another
    /// node), so that this node tells its own sockets. One node: always.
    fn local_presence(&self, _user: UserId, _online: bool) -> bool {
        true
    }

    /// Whether `user` has sockets on another node.
    fn online_elsewhere(&self, _user: UserId) -> bool {
        false
    }

    /// Changes of presence that other nodes caused (their sockets opened or closed, or the
    /// node died), as (user, online): this node tells its own sockets. Taken once; None on
    /// one node.
    fn remote_presence(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<(UserId, bool)>> {
        None
    }
}

/// Events a subscriber may be behind on a conversation's channel before it lags; a lagging
/// socket is resynced from the database, so this bounds memory, not correctness.
pub const CHANNEL_CAPACITY: usize = 256;

/// The same for a user's personal channel. Its events are rare (a membership gained or
/// lost, sessions signed out, a setting changed), and a tokio broadcast channel allocates
/// all its slots up front: 256 would cost ~24 KiB per online user for nothing, 64 cost ~6 KiB. A socket
/// that lags here closes with `resync` and the client reconnects (see the gateway).
pub const PERSONAL_CAPACITY: usize = 64;

/// The capacity of `topic`'s channel.
pub fn capacity(topic: Topic) -> usize {
    match topic {
        Topic::Conversation(_) => CHANNEL_CAPACITY,
        Topic::User(_) => PERSONAL_CAPACITY,
    }
}

/// One broadcast channel per topic, created on first subscribe and dropped when its last
/// subscriber is gone.
///
/// The map sits behind a std `Mutex`, not a tokio one: it is held only for a hash-map look-up
/// and a non-blocking `send`, never across an `.await`, which is the case where a std mutex is
/// cheaper and cannot deadlock the runtime (the reasoning of tokio's mini-redis `db.rs`).
#[derive(Default)]
pub struct LocalHub {
    channels: Mutex<HashMap<Topic, broadcast::Sender<HubEvent>>>,
}

impl LocalHub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Topics with at least one live channel (for tests and metrics).
    pub fn topic_count(&self) -> usize {
        self.channels.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Sends [`HubEvent::Resync`] on every live channel: what reached this process from
    /// elsewhere may have gaps. Returns how many channels were told.
    pub fn resync_all(&self) -> usize {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.retain(|_, tx| tx.send(HubEvent::Resync).is_ok());
        channels.len()
    }
}

impl Hub for LocalHub {
    fn publish(&self, topic: Topic, event: HubEvent) {
        let Ok(mut channels) = self.channels.lock() else {
            return;
        };
        if let Some(tx) = channels.get(&topic) {
            if tx.send(event).is_err() {
                // No receivers left: forget the channel so the map does not grow forever.
                channels.remove(&topic);
            }
        }
    }

    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<HubEvent> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        channels
            .entry(topic)
            .or_insert_with(|| broadcast::channel(capacity(topic)).0)
            .subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &'static str) -> HubEvent {
        HubEvent::Frame {
            payload: Bytes::from_static(text.as_bytes()),
        }
    }

    #[tokio::test]
    async fn subscribers_share_one_payload_allocation() {
        let hub = LocalHub::new();
        let topic = Topic::Conversation(ConversationId(1));
        let mut a = hub.subscribe(topic);
        let mut b = hub.subscribe(topic);
        hub.publish(topic, event("hello"));
        let (ea, eb) = (a.recv().await.unwrap(), b.recv().await.unwrap());
        assert_eq!(ea.payload(), "hello");
        assert_eq!(
            ea.payload().as_ptr(),
            eb.payload().as_ptr(),
            "payload must be shared, not copied"
        );
    }

    #[tokio::test]
    async fn topics_are_isolated() {
        let hub = LocalHub::new();
        let mut one = hub.subscribe(Topic::Conversation(ConversationId(1)));
        let _two = hub.subscribe(Topic::Conversation(ConversationId(2)));
        hub.publish(Topic::Conversation(ConversationId(2)), event("for two"));
        hub.publish(Topic::User(UserId(1)), event("for user 1"));
        assert!(one.try_recv().is_err());
    }

    #[tokio::test]
    async fn resync_all_reaches_every_live_channel_and_forgets_dead_ones() {
        let hub = LocalHub::new();
        let mut conversation = hub.subscribe(Topic::Conversation(ConversationId(1)));
        let mut personal = hub.subscribe(Topic::User(UserId(1)));
        drop(hub.subscribe(Topic::User(UserId(2))));
        assert_eq!(hub.resync_all(), 2);
        assert!(matches!(conversation.try_recv(), Ok(HubEvent::Resync)));
        assert!(matches!(personal.try_recv(), Ok(HubEvent::Resync)));
        assert_eq!(hub.topic_count(), 2);
    }

    #[tokio::test]
    async fn channel_is_dropped_after_last_subscriber_leaves() {
        let hub = LocalHub::new();
        let topic = Topic::User(UserId(9));
        drop(hub.subscribe(topic));
        assert_eq!(hub.topic_count(), 1);
        hub.publish(topic, event("nobody listens"));
        assert_eq!(hub.topic_count(), 0);
    }
}
