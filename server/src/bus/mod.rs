//! The cluster's hub (`--nats-url`): live events between nodes over NATS core pub/sub.
//!
//! Every node hands its own events to its own sockets at once (the [`LocalHub`] inside) and
//! publishes them to NATS; every node subscribes to all of the prefix's subjects and hands
//! what other nodes published to its local channels. NATS core delivers at most once, and two
//! nodes' publishes can arrive in either order, so NATS only wakes nodes and the database
//! stays the source of truth:
//! - a sequenced event more than one past a socket's last seq makes the socket read the gap
//!   from the database; one at or below it is dropped (the gateway's `forward`);
//! - after a disconnect, a reconnect or a slow-consumer report, once the subscription is back
//!   (a message to the node's own inbox and back proves it) every local channel gets
//!   [`HubEvent::Resync`]: conversation subscribers read what they missed from the database
//!   and personal channels make their clients reconnect.
//!
//! Presence is not an event: each node tells the others which users it has sockets of and
//! works out everyone's presence for its own sockets (see `presence`).
//!
//! Subjects are `<prefix>.c.<conversation id>`, `<prefix>.u.<user id>` and
//! `<prefix>.presence`. An event is one JSON header line (`{"node":…,"kind":{"k":…}}`), a
//! newline, then the frame's JSON exactly as the publishing node serialized it: never parsed
//! or re-serialized here.

mod news;
mod presence;
mod wire;

use async_nats::{Client, ConnectOptions, Event};
use bytes::Bytes;
use futures::StreamExt;
use palaver::server::{Hub, HubEvent, LocalHub, Topic};
use palaver::UserId;
use presence::{Change, PresenceBook};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
pub use wire::check_prefix;
use wire::{decode, encode, subject, topic_of, PresenceNews};

/// Events waiting for the NATS client, at most. The client takes them as fast as it can
/// write (and holds what it cannot send while it reconnects); past this, further events reach
/// only this node's sockets, and the other nodes' fill the gap from the database when the
/// conversation's next event reaches them.
const OUTBOX: usize = 65_536;
/// The longest wait between two reconnect attempts, in ms: a node is back within about this
/// long after NATS is.
const RECONNECT_MAX_MS: u64 = 1_000;

pub struct NatsHub {
    local: LocalHub,
    /// This process's random id: a node skips what it published itself.
    node: u64,
    prefix: String,
    /// `<prefix>.presence`, made once (every received event is compared with it).
    presence_subject: String,
    outbox: mpsc::Sender<(String, Bytes)>,
    connected: Arc<AtomicBool>,
    client: Client,
    /// Who has sockets on which node. Its news go into the outbox under this lock, so they
    /// leave in the order the book changed.
    book: Mutex<PresenceBook>,
    /// Changes other nodes caused, for the core to announce (see `Hub::remote_presence`).
    changes: mpsc::UnboundedSender<Change>,
    changes_out: Mutex<Option<mpsc::UnboundedReceiver<Change>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        source: async_nats::ConnectError,
    },
    #[error("NATS at {url} did not answer: {why}")]
    RoundTrip { url: String, why: String },
    #[error("cannot subscribe to {subject}: {source}")]
    Subscribe {
        subject: String,
        source: async_nats::SubscribeError,
    },
}

impl NatsHub {
    /// Connects to `url` and subscribes to `<prefix>.>`. Fails when NATS does not answer at
    /// start; later disconnects are retried forever (see [`RECONNECT_MAX_MS`]) and make the
    /// node unready meanwhile. The tasks stop when `shutdown` is cancelled.
    pub async fn connect(
        url: &str,
        prefix: &str,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, BusError> {
        let node = uuid::Uuid::new_v4().as_u64_pair().0;
        let (events_tx, events) = mpsc::unbounded_channel();
        let client = ConnectOptions::new()
            .name(format!("palaver-{node:016x}"))
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((attempts as u64 * 100).min(RECONNECT_MAX_MS))
            })
            .event_callback(move |event| {
                let _ = events_tx.send(event);
                async {}
            })
            .connect(url)
            .await
            .map_err(|source| BusError::Connect {
                url: url.to_owned(),
                source,
            })?;
        let subject = format!("{prefix}.>");
        let subscription =
            client
                .subscribe(subject.clone())
                .await
                .map_err(|source| BusError::Subscribe {
                    subject: subject.clone(),
                    source,
                })?;
        round_trip(&client)
            .await
            .map_err(|why| BusError::RoundTrip {
                url: url.to_owned(),
                why,
            })?;
        let (outbox, outgoing) = mpsc::channel(OUTBOX);
        let (changes, changes_out) = mpsc::unbounded_channel();
        let hub = Arc::new(Self {
            book: Mutex::new(PresenceBook::default()),
            changes,
            changes_out: Mutex::new(Some(changes_out)),
            local: LocalHub::new(),
            node,
            prefix: prefix.to_owned(),
            presence_subject: wire::presence_subject(prefix),
            outbox,
            connected: Arc::new(AtomicBool::new(true)),
            client: client.clone(),
        });
        tracing::info!(node = %format!("{node:016x}"), %url, %subject, "event bus connected");
        // Not stopped by `shutdown`: what a draining node still publishes must go out (see
        // [`NatsHub::drain`]); it ends with the hub.
        tokio::spawn(publish_loop(client.clone(), outgoing));
        tokio::spawn(hub.clone().receive_loop(subscription, shutdown.clone()));
        tokio::spawn(hub.clone().heartbeat(shutdown.clone()));
        tokio::spawn(hub.clone().watch(client, events, shutdown));
        Ok(hub)
    }

    /// Hands what other nodes publish to this node's channels.
    async fn receive_loop(
        self: Arc<Self>,
        mut subscription: async_nats::Subscriber,
        shutdown: CancellationToken,
    ) {
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => return,
                message = subscription.next() => message,
            };
            let Some(message) = message else {
                tracing::error!("the event bus subscription ended");
                return;
            };
            if message.subject.as_str() == self.presence_subject {
                self.on_presence(&message.payload);
                continue;
            }
            let Some(topic) = topic_of(&self.prefix, message.subject.as_str()) else {
                tracing::warn!(subject = %message.subject, "event on an unknown subject; dropped");
                continue;
            };
            match decode(message.payload) {
                Ok((node, _)) if node == self.node => {}
                Ok((_, event)) => self.local.publish(topic, event),
                Err(e) => {
                    // An event this node cannot read may be one its sockets needed.
                    tracing::warn!(subject = %message.subject, error = %e, "unreadable event; resyncing");
                    self.local.publish(topic, HubEvent::Resync);
                }
            }
        }
    }

    /// Follows the connection: unready while disconnected; every channel resyncs once the
    /// subscription is back after a disconnect, and after NATS dropped messages for this
    /// node (a slow consumer).
    async fn watch(
        self: Arc<Self>,
        client: Client,
        mut events: mpsc::UnboundedReceiver<Event>,
        shutdown: CancellationToken,
    ) {
        // The first `Connected` is the connection made at start: nothing was missed yet.
        let mut was_down = false;
        loop {
            let event = tokio::select! {
                _ = shutdown.cancelled() => return,
                event = events.recv() => event,
            };
            let Some(event) = event else { return };
            match event {
                Event::Connected if !was_down => {}
                Event::Disconnected => {
                    was_down = true;
                    self.connected.store(false, Ordering::SeqCst);
                    tracing::warn!("event bus disconnected; not ready until it is back");
                }
                Event::Connected => {
                    // The client has sent its subscription again; a round trip proves the
                    // server has it, so nothing published from here on is missed. Until one
                    // succeeds the node stays unready: no later event would make it ready.
                    while let Err(e) = round_trip(&client).await {
                        tracing::warn!(error = %e, "event bus round trip after reconnect failed; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_millis(RECONNECT_MAX_MS)) => {}
                        }
                    }
                    let told = self.local.resync_all();
                    self.connected.store(true, Ordering::SeqCst);
                    // The others may have missed this node's news meanwhile.
                    self.tell_list();
                    tracing::info!(
                        channels = told,
                        "event bus reconnected; local channels resync"
                    );
                }
                Event::SlowConsumer(_) => {
                    let told = self.local.resync_all();
                    tracing::warn!(
                        channels = told,
                        "the event bus dropped events for this node; local channels resync"
                    );
                }
                other => tracing::info!(event = %other, "event bus"),
            }
        }
    }
}

impl NatsHub {
    /// Waits, at most `limit`, until every event published so far has reached the NATS
    /// server: the end of a graceful shutdown, so that the other nodes hear this node's last
    /// events.
    pub async fn drain(&self, limit: Duration) {
        {
            let _book = self.book();
            self.tell(PresenceNews::Gone);
        }
        let emptied = async {
            while self.outbox.capacity() < self.outbox.max_capacity() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = self.client.flush().await;
        };
        if tokio::time::timeout(limit, emptied).await.is_err() {
            tracing::warn!("event bus: not every event went out before shutdown");
        }
    }
}

/// How long a round trip to NATS may take, in ms.
const ROUND_TRIP_MS: u64 = 5_000;

/// A message to a fresh inbox of this client's and back: the server handles a connection's
/// commands in order, so once it is back, every subscription sent before it is in place.
/// (`Client::flush` only empties the client's write buffer.)
async fn round_trip(client: &Client) -> Result<(), String> {
    let inbox = client.new_inbox();
    let mut probe = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| e.to_string())?;
    client
        .publish(inbox, Bytes::new())
        .await
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_millis(ROUND_TRIP_MS), probe.next()).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the probe subscription ended".to_owned()),
        Err(_) => Err(format!("no answer within {ROUND_TRIP_MS} ms")),
    }
}

/// Hands queued events to the NATS client, in the order they were published.
async fn publish_loop(client: Client, mut outgoing: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, bytes)) = outgoing.recv().await {
        if let Err(e) = client.publish(subject, bytes).await {
            tracing::warn!(error = %e, "event not published to the bus");
        }
    }
}

impl Hub for NatsHub {
    fn publish(&self, topic: Topic, event: HubEvent) {
        if let Some(bytes) = encode(self.node, &event) {
            let subject = subject(&self.prefix, topic);
            if self.outbox.try_send((subject, bytes)).is_err() {
                tracing::warn!("event bus outbox full; an event reaches this node only");
            }
        }
        self.local.publish(topic, event);
    }

    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<HubEvent> {
        self.local.subscribe(topic)
    }

    fn publish_local(&self, topic: Topic, event: HubEvent) {
        self.local.publish(topic, event);
    }

    fn local_presence(&self, user: UserId, online: bool) -> bool {
        let mut book = self.book();
        self.tell(PresenceNews::Changed { user, online });
        book.local(user, online)
    }

    fn online_elsewhere(&self, user: UserId) -> bool {
        self.book().elsewhere(user)
    }

    fn remote_presence(&self) -> Option<mpsc::UnboundedReceiver<Change>> {
        self.changes_out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn ready(&self) -> Result<(), String> {
        if self.connected.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("NATS disconnected".to_owned())
        }
    }
}
