//! An authenticated socket: what it listens to and its event loop.
//!
//! A socket listens to one hub channel per conversation its user belongs to and to the
//! user's personal channel (new and ended memberships, signed-out sessions). It also pings,
//! drops a client that has gone quiet, re-checks its session, and closes when its token
//! expires unless the client renewed it.
//!
//! # A socket that lags resyncs or closes, never skips
//!
//! The hub's channels are fixed-size rings, so a socket that reads too slowly loses events.
//! Each kind of loss has one answer, fixed by the channel it happened on:
//! - A conversation channel lagged: the socket reads what it missed back from the database,
//!   from the last seq it sent ([`Catchup::Lagged`]). That read re-checks membership: if the
//!   user is no longer a member, the socket unsubscribes and sends `conversation_removed`
//!   instead; if the read fails, the socket closes with [`close::RESYNC`].
//! - The personal channel lagged: what was lost (a removal, a new membership, a signed-out
//!   session) cannot be read back, so the socket closes with [`close::RESYNC`] (4009). The
//!   client reconnects, which re-reads memberships and resumes from its last seq.
//! - Between nodes, events may be lost when the event bus disconnects or drops messages; the
//!   bus's hub then sends `HubEvent::Resync` on every channel, answered as a lag on the
//!   same channel.
//! - The user's own departure (`HubEvent::MemberLeft` for this user on a conversation
//!   channel) is forwarded, then the subscription is dropped: nothing of that conversation
//!   after it reaches the socket, whether or not the personal notice arrives (SECURITY 29).
//!
//! The matches on both channels' results and on the personal channel's events have no
//! catch-all arm, so a new kind of error or event does not compile until someone decides
//! what a socket does with it.

use super::duties::{instant_of, Duties};
use super::handshake::Identity;
use super::sources::{Event, Next, Sources};
use super::writes::{flow, send_frame, write, Flow, Socket};
use super::Gateway;
use axum::extract::ws::Message;
use futures::future::BoxFuture;
use palaver::model::UserView;
use palaver::protocol::{close, ErrorCode, ServerFrame};
use palaver::server::{metrics, HubEvent, Topic};
use palaver::{ConversationId, CoreError, Seq, SessionId, Timestamp};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// How often a socket re-checks that its session is still signed in.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(15);

/// Conversation events written to a socket before one flush, at most: what is already
/// queued for it when it wakes goes out in one write (one system call) instead of one each,
/// as the raw broadcast baseline of the benchmark does. Bounded so that a busy socket still
/// gets to its reads, pings and timers between batches.
pub(super) const BATCH_MAX: usize = 64;

pub(super) struct Connection {
    pub gateway: Gateway,
    pub socket: Socket,
    pub user: UserView,
    pub session_id: SessionId,
    /// When the current token expires. The socket is closed then unless the
    /// client renews: a stolen socket cannot outlive the token that opened it.
    pub expires_at: Timestamp,
    /// The newest seq this socket has sent per conversation: duplicates are skipped and a
    /// lagging subscription is resynced from here.
    pub sent: FxHashMap<ConversationId, Seq>,
    /// When this socket last answered a `ping` (see [`PONG_EVERY`]).
    pub last_pong: Option<Instant>,
    /// While a batch is being written (see [`BATCH_MAX`]): forwarded frames are queued
    /// without a flush, the batch's end flushes them. The inner value is the batch's
    /// deadline, set when one of its writes first has to wait (see `writes::feed`).
    pub(super) batching: Option<Option<Instant>>,
    /// Events written since the count last went to the deliveries metric: once per batch,
    /// not per event, so a fan-out pays for the metric once per socket and batch.
    pub(super) delivered: u64,
    /// The client's frames aside, what the socket listens to: the user's personal channel
    /// and one channel per conversation.
    pub(super) sources: Sources,
    /// Messages queued and not yet acknowledged, oldest first: acknowledged in the order
    /// they arrived (see [`SENDS_IN_FLIGHT`]). Each waits in a task of its own (or is
    /// already answered), so only the oldest is polled, and an idle socket's empty queue
    /// costs no allocation.
    pub acks: VecDeque<BoxFuture<'static, Acked>>,
}

/// Messages a socket has queued whose commit it has not yet acknowledged, at most: past
/// this the socket reads no more frames until the oldest is acknowledged (back-pressure).
/// One client's messages in flight share the writer's commits (see `Chat::queue_send`).
pub(super) const SENDS_IN_FLIGHT: usize = 128;

/// A queued message's answer: its conversation, client id and outcome (the seq and time
/// it was stored under). Only what the `ack` needs: the answer sits in the socket's loop
/// while it is written, so a whole message here would make every socket's task larger.
pub(super) type Acked = (ConversationId, String, Result<(Seq, Timestamp), CoreError>);

/// A socket gets at most one `pong` per this interval; faster pings go unanswered, so a
/// ping flood costs the server a JSON parse per frame and nothing else.
pub(super) const PONG_EVERY: Duration = Duration::from_secs(1);

impl Connection {
    /// A socket whose `auth` frame gave `identity`, listening to the user's `personal`
    /// channel and to no conversation yet.
    pub(super) fn new(
        gateway: Gateway,
        socket: Socket,
        identity: Identity,
        personal: broadcast::Receiver<HubEvent>,
    ) -> Self {
        let Identity {
            user,
            session_id,
            expires_at,
        } = identity;
        Self {
            gateway,
            socket,
            user,
            session_id,
            expires_at,
            sent: FxHashMap::default(),
            last_pong: None,
            batching: None,
            delivered: 0,
            sources: Sources::new(personal),
            acks: VecDeque::new(),
        }
    }
}

impl Connection {
    pub(super) fn unsubscribe(&mut self, id: ConversationId) {
        self.sources.unsubscribe(id);
        self.sent.remove(&id);
    }

    /// Whether this socket listens to conversation `id`: it does while its user is a member
    /// (see `Chat::queue_send`).
    pub(super) fn listens_to(&self, id: ConversationId) -> bool {
        self.sources.contains(id)
    }

    pub(super) fn subscribe(&mut self, id: ConversationId) {
        let chat = &self.gateway.chat;
        self.sources
            .subscribe(id, || chat.subscribe(Topic::Conversation(id)));
    }

    /// The socket's event loop. Returns the close code to send, if any.
    pub(super) async fn run(&mut self) -> Option<(u16, &'static str)> {
        // The first ping and session check come one period after the socket opened, not at
        // once: the handshake has just checked the session.
        let mut armed_for = self.expires_at;
        let mut duties = Duties::new(
            Instant::now(),
            self.gateway.ping_every(),
            SESSION_CHECK_EVERY,
            instant_of(armed_for),
        );
        // The loop's waits live as long as the socket: one registered each, instead of one
        // made and dropped on every wake (a fan-out wakes every socket for every event), and
        // each polled only after it woke.
        let duty = tokio::time::sleep_until(duties.next());
        tokio::pin!(duty);
        let mut duty = self.sources.woken(duty);
        let mut last_heard = Instant::now();
        let shutdown = self.gateway.shutdown.clone().cancelled_owned();
        tokio::pin!(shutdown);
        let mut shutdown = self.sources.woken(shutdown);
        loop {
            // A renewal moved the token's expiry.
            if self.expires_at != armed_for {
                armed_for = self.expires_at;
                duties.renewed(instant_of(armed_for));
                duty.touch().as_mut().reset(duties.next());
            }
            // Past SENDS_IN_FLIGHT unacknowledged messages the client's frames wait.
            let reading = self.acks.len() < SENDS_IN_FLIGHT;
            // In order, not at random (no random number per wake): the rare waits first,
            // which are ready once a period or once in a socket's life and so starve nothing;
            // the sources take turns among themselves (sources.rs).
            let flow = tokio::select! {
                biased;
                _ = &mut shutdown => Flow::Close(close::GOING_AWAY, "server shutting down"),
                _ = &mut duty => {
                    let due = duties.due(Instant::now());
                    duty.touch().as_mut().reset(duties.next());
                    if due.expired {
                        Flow::Close(close::TOKEN_EXPIRED, "token expired")
                    } else if due.ping && last_heard.elapsed() > self.gateway.idle_limit {
                        Flow::Close(close::POLICY, "idle timeout")
                    } else if due.ping && !Box::pin(write(&mut self.socket, Message::Ping(Default::default()))).await {
                        return None;
                    } else if due.session_check {
                        match Box::pin(self.gateway.chat.session_active(&self.session_id)).await {
                            Ok(false) => Flow::Close(close::SESSION_ENDED, "session ended"),
                            _ => Flow::Continue,
                        }
                    } else {
                        Flow::Continue
                    }
                }
                acked = oldest(&mut self.acks), if !self.acks.is_empty() => Box::pin(self.on_acked(acked)).await,
                next = self.sources.next(reading.then_some(&mut self.socket)) => match next {
                    Next::Read(incoming) => {
                        last_heard = Instant::now();
                        match incoming {
                            Some(Ok(Message::Text(text))) => Box::pin(self.on_text(&text)).await,
                            Some(Ok(Message::Binary(_))) => {
                                Box::pin(self.reply(&ServerFrame::error(ErrorCode::BadFrame, "Frames must be JSON text.", None))).await
                            }
                            Some(Ok(Message::Close(_))) | None => return None,
                            Some(Ok(_)) => Flow::Continue,
                            Some(Err(e)) => {
                                tracing::debug!(error = %e, "socket read error");
                                if super::frame_too_big(e) {
                                    Flow::Close(close::TOO_BIG, "frame too large")
                                } else {
                                    return None;
                                }
                            }
                        }
                    }
                    Next::Conversation(id, event) => self.deliver(id, event).await,
                    Next::Personal(event) => Box::pin(self.on_personal(event)).await,
                },
            };
            if let Flow::Close(code, reason) = flow {
                return Some((code, reason));
            }
        }
    }

    /// One event, or a lag, on the user's personal channel.
    async fn on_personal(&mut self, event: Option<Event>) -> Flow {
        let event = match event {
            Some(Ok(event)) => event,
            // Events for this user were lost (a removal, a new membership, a signed-out
            // session): what the socket believes is stale. Closing makes the client
            // reconnect, which re-reads memberships and resumes from its last seq.
            Some(Err(BroadcastStreamRecvError::Lagged(skipped))) => {
                tracing::warn!(user = %self.user.id, skipped, "personal channel lagged; closing for a resync");
                metrics::lagged("personal");
                return Flow::Close(close::RESYNC, "fell behind; reconnect");
            }
            None => return Flow::Close(1011, "internal error"),
        };
        match &event {
            HubEvent::SessionsEnded { sessions, .. } => {
                if !sessions.contains(&self.session_id) {
                    return Flow::Continue;
                }
                let _ = self.forward(event).await;
                return Flow::Close(close::SESSION_ENDED, "session ended");
            }
            HubEvent::Subscribe { conversation, .. } => self.subscribe(*conversation),
            // Removed from the conversation: nothing more of it reaches this socket, from
            // this event on.
            HubEvent::Unsubscribe { conversation, .. } => self.unsubscribe(*conversation),
            // Personal events from other nodes may have been lost and cannot be read back:
            // the client reconnects, as after a lag.
            HubEvent::Resync => {
                tracing::info!(user = %self.user.id, "event bus resync; closing for a reconnect");
                metrics::lagged("bus");
                return Flow::Close(close::RESYNC, "events may be missing; reconnect");
            }
            HubEvent::Sequenced { .. } | HubEvent::Frame { .. } | HubEvent::MemberLeft { .. } => {}
        }
        self.forward(event).await
    }
}

/// The oldest queued message's answer, once known; taken off the queue then. Cancel-safe: a
/// pending wait leaves the queue as it was.
pub(super) async fn oldest(acks: &mut VecDeque<BoxFuture<'static, Acked>>) -> Acked {
    let acked = std::future::poll_fn(|cx| match acks.front_mut() {
        Some(first) => first.as_mut().poll(cx),
        None => std::task::Poll::Pending,
    })
    .await;
    acks.pop_front();
    acked
}

/// Why messages are read back from the database.
pub(super) enum Catchup {
    /// The client's `sync`: one batch, then a `synced` frame saying whether more wait.
    Asked,
    /// A subscription lagged: everything since the last seq sent, until caught up. A socket
    /// that cannot catch up closes rather than skip (see `connection`).
    Lagged,
}

impl Connection {
    /// Sends a frame of the socket's own (an answer, a resynced message).
    pub(super) async fn reply(&mut self, frame: &ServerFrame) -> Flow {
        flow(send_frame(&mut self.socket, frame).await)
    }
}
