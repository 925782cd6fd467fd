//! The browser's WebSocket: connect, authenticate with a token from the `ws_token` server
//! function, apply frames, reconnect with exponential backoff and jitter.

use super::network::{self, NetworkChange, PING_EVERY_MS};
use super::{ConnStatus, Live, OutState, SendError, SendResult};
use crate::api::ws_token;
use crate::error::AppError;
use futures::channel::{mpsc, oneshot};
use futures::future::{select, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::protocol::{ClientFrame, ErrorCode, ServerFrame};
use palaver::{ConversationId, Seq, Timestamp};
use std::collections::HashMap;

/// How long a send may wait for its acknowledgement before the composer reports a failure.
const ACK_TIMEOUT_MS: u32 = 10_000;
/// Typing signals are sent at most this often; receivers show them for 5 s.
const TYPING_EVERY_MS: i64 = 3_000;

type Pending = HashMap<String, oneshot::Sender<SendResult>>;

/// The socket's mutable parts, shared by the UI and the connection task.
#[derive(Clone, Copy)]
pub struct Handle {
    outgoing: StoredValue<Option<mpsc::UnboundedSender<String>>, LocalStorage>,
    pending: StoredValue<Pending, LocalStorage>,
    /// When the open socket's token expires (Unix ms).
    expires_at: StoredValue<Timestamp>,
    /// Bumped on every connection, so a renewal timer of an old one stops.
    generation: StoredValue<u64>,
    last_typing: StoredValue<Timestamp>,
    last_read: StoredValue<Option<(ConversationId, Seq)>>,
    /// Wakes the outbox sender.
    kick: StoredValue<Option<mpsc::UnboundedSender<()>>, LocalStorage>,
}

impl Handle {
    pub fn new() -> Self {
        Self {
            outgoing: StoredValue::new_local(None),
            pending: StoredValue::new_local(HashMap::new()),
            expires_at: StoredValue::new(Timestamp::EPOCH),
            generation: StoredValue::new(0),
            last_typing: StoredValue::new(Timestamp::EPOCH),
            last_read: StoredValue::new(None),
            kick: StoredValue::new_local(None),
        }
    }

    fn push(&self, frame: &ClientFrame) -> bool {
        let Ok(text) = serde_json::to_string(frame) else {
            return false;
        };
        self.outgoing.with_value(|tx| {
            tx.as_ref()
                .is_some_and(|tx| tx.unbounded_send(text).is_ok())
        })
    }

    pub fn request_sync(&self, conversation_id: ConversationId, after_seq: Seq) {
        self.push(&ClientFrame::Sync {
            conversation_id,
            after_seq,
        });
    }

    /// Sends a frame that the server answers with `ack` or `error` for its client id, and
    /// waits for that answer.
    pub async fn request(&self, live: Live, client_id: String, frame: ClientFrame) -> SendResult {
        const OFFLINE: &str =
            "Not connected. Your text was kept; try again when the connection is back.";
        if live.status.get_untracked() != ConnStatus::Online {
            return Err(SendError::Unconfirmed(OFFLINE.into()));
        }
        let (tx, rx) = oneshot::channel();
        self.pending.update_value(|p| {
            p.insert(client_id.clone(), tx);
        });
        if !self.push(&frame) {
            self.pending.update_value(|p| {
                p.remove(&client_id);
            });
            return Err(SendError::Unconfirmed(OFFLINE.into()));
        }
        let timeout = gloo_timers::future::TimeoutFuture::new(ACK_TIMEOUT_MS);
        futures::pin_mut!(timeout);
        match futures::future::select(rx, timeout).await {
            futures::future::Either::Left((Ok(result), _)) => result,
            futures::future::Either::Left((Err(_), _)) => Err(SendError::Unconfirmed(
                "The connection dropped before the server confirmed. Try again.".into(),
            )),
            futures::future::Either::Right(_) => {
                self.pending.update_value(|p| {
                    p.remove(&client_id);
                });
                Err(SendError::Unconfirmed(
                    "The server did not confirm in time. Try again.".into(),
                ))
            }
        }
    }

    /// Tells the others the user is typing, at most once per [`TYPING_EVERY_MS`].
    pub fn typing(&self, conversation_id: ConversationId) {
        let now = super::now_ms();
        if now.ms_since(self.last_typing.get_value()) >= TYPING_EVERY_MS {
            self.last_typing.set_value(now);
            self.push(&ClientFrame::Typing { conversation_id });
        }
    }

    /// Reports the read position when it moved (or when the side nav still shows unread).
    pub fn read(&self, conversation_id: ConversationId, seq: Seq, force: bool) {
        let key = (conversation_id, seq);
        if force || self.last_read.get_value() != Some(key) {
            self.last_read.set_value(Some(key));
            self.push(&ClientFrame::Read {
                conversation_id,
                seq,
            });
        }
    }

    pub fn kick(&self) {
        self.kick.with_value(|k| {
            if let Some(k) = k {
                let _ = k.unbounded_send(());
            }
        });
    }

    fn settle(&self, client_id: &str, result: SendResult) {
        if let Some(tx) = self
            .pending
            .try_update_value(|p| p.remove(client_id))
            .flatten()
        {
            let _ = tx.send(result);
        }
    }

    /// The connection is gone: every waiting send fails now rather than at its timeout.
    fn fail_all(&self) {
        let waiting = self
            .pending
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for (_, tx) in waiting {
            let _ = tx.send(Err(SendError::Unconfirmed(
                "The connection dropped before the server confirmed. Try again.".into(),
            )));
        }
    }
}

/// The session is gone (signed out elsewhere, expired): back to sign-in, saying why. Not
/// when the user signed out here: the sign-out's own redirect is on its way.
fn session_ended() {
    if super::signing_out() {
        return;
    }
    let _ = window().location().set_href("/login?reason=session_ended");
}

/// An administrator disabled or deleted the account: straight to sign-in, saying which
/// (`reason`: `account_disabled` or `account_deleted`); the socket is closing, and no
/// reconnection could succeed.
fn account_ended(reason: &str) {
    let _ = window()
        .location()
        .set_href(&format!("/login?reason={reason}"));
}

/// Renews the token on the open socket before it expires (a third of the remaining lifetime
/// ahead, at most a minute), without reconnecting. Stops when the connection it was started
/// for is replaced or the page leaves the chat.
fn keep_token_fresh(live: Live, generation: u64) {
    spawn_local(async move {
        loop {
            let Some(expires_at) = live.socket.expires_at.try_get_value() else {
                return;
            };
            let remaining = expires_at.ms_since(super::now_ms());
            let wait = (remaining - (remaining / 3).min(60_000)).max(500);
            gloo_timers::future::TimeoutFuture::new(wait as u32).await;
            if live.socket.generation.try_get_value() != Some(generation) {
                return;
            }
            match ws_token().await {
                Ok(ticket) => {
                    live.socket.push(&ClientFrame::Renew {
                        token: ticket.token,
                    });
                    // `renewed` moves expires_at; until it does, this retries shortly.
                    gloo_timers::future::TimeoutFuture::new(2_000).await;
                }
                Err(AppError::Unauthenticated) => return session_ended(),
                Err(_) => gloo_timers::future::TimeoutFuture::new(5_000).await,
            }
        }
    });
}

pub fn run(live: Live) {
    // Leaving the chat (signing out) disposes `live`; stop the connection with it.
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    on_cleanup(move || {
        let _ = stop_tx.send(());
    });
    let (kick_tx, kicks) = mpsc::unbounded::<()>();
    live.socket.kick.set_value(Some(kick_tx));
    spawn_local(async move {
        let work = futures::future::join(connect_loop(live), send_outbox(live, kicks));
        futures::pin_mut!(work);
        futures::future::select(work, stop_rx).await;
    });
}

/// Sends the outbox one message at a time, in the order typed, whenever it is kicked (a
/// message was queued or retried, or the socket became ready). A message the server refuses
/// is marked failed and the rest go on; one left unconfirmed waits for the next connection
/// and is resent under the same client id, so it is stored once whatever happened to it.
async fn send_outbox(live: Live, mut kicks: mpsc::UnboundedReceiver<()>) {
    while kicks.next().await.is_some() {
        while live.status.get_untracked() == ConnStatus::Online {
            let next = live
                .outbox
                .with_untracked(|o| o.iter().find(|m| m.state == OutState::Waiting).cloned());
            let Some(m) = next else { break };
            live.set_out_state(&m.client_id, OutState::Sending);
            let frame = ClientFrame::Send {
                conversation_id: m.conversation,
                client_id: m.client_id.clone(),
                body: m.body.clone(),
                reply_to: m.reply_to.as_ref().map(|q| q.seq),
                attachments: m.attachments.iter().map(|a| a.id.clone()).collect(),
            };
            match live.socket.request(live, m.client_id.clone(), frame).await {
                Ok(_) => live.discard(&m.client_id),
                Err(SendError::Rejected(reason)) => {
                    live.set_out_state(&m.client_id, OutState::Failed(reason))
                }
                Err(SendError::Unconfirmed(_)) => {
                    live.set_out_state(&m.client_id, OutState::Waiting);
                    break;
                }
            }
        }
    }
}

async fn connect_loop(live: Live) {
    let mut attempt: u32 = 0;
    let mut connected_before = false;
    let (mut network, _listening) = network::watch();
    loop {
        if attempt > 0 {
            live.status.set(ConnStatus::Reconnecting);
            // Wait out the backoff; the network coming back cuts it short. While the browser
            // says it is offline, wait for it to come back (a connection cannot succeed).
            let backoff = gloo_timers::future::TimeoutFuture::new(network::backoff_ms(attempt));
            let back_online = async {
                while let Some(change) = network.next().await {
                    if change == NetworkChange::Online {
                        return;
                    }
                }
            };
            futures::pin_mut!(back_online);
            if network::online_now() {
                select(backoff, back_online).await;
            } else {
                back_online.await;
            }
        }
        attempt += 1;
        let ticket = match ws_token().await {
            Ok(t) => t,
            Err(AppError::Unauthenticated) => return session_ended(),
            Err(_) => continue,
        };
        let Some(url) = network::ws_url() else { return };
        let Ok(ws) = WebSocket::open(&url) else {
            continue;
        };
        let (mut write, mut read) = ws.split();
        let auth = ClientFrame::Auth {
            token: ticket.token,
        };
        let Ok(auth) = serde_json::to_string(&auth) else {
            return;
        };
        // The socket opens when `auth` can be written. One that never opens (a proxy that
        // accepts the connection and never upgrades it, a socket closed before it opened)
        // would otherwise leave the app "Connecting…" for good.
        let opened = {
            let send = write.send(Message::Text(auth));
            futures::pin_mut!(send);
            let deadline = gloo_timers::future::TimeoutFuture::new(network::CONNECT_TIMEOUT_MS);
            matches!(select(send, deadline).await, Either::Left((Ok(()), _)))
        };
        if !opened {
            continue;
        }
        let (tx, mut rx) = mpsc::unbounded::<String>();
        live.socket.outgoing.set_value(Some(tx));
        spawn_local(async move {
            while let Some(text) = rx.next().await {
                if write.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        });
        let mut last_heard = super::now_ms().as_millis();
        // One interval per connection, not a timer per frame.
        let mut ticks = gloo_timers::future::IntervalStream::new(PING_EVERY_MS);
        loop {
            // The next frame, a ping tick, or word from the browser that the network is gone.
            let wake = select(ticks.next(), network.next());
            let msg = match select(read.next(), wake).await {
                Either::Left((Some(Ok(msg)), _)) => msg,
                // Closed by the server or broken.
                Either::Left((_, _)) => break,
                Either::Right((Either::Right((Some(NetworkChange::Offline), _)), _)) => break,
                Either::Right(_) => {
                    if network::is_silent(last_heard, super::now_ms().as_millis()) {
                        break;
                    }
                    live.socket.push(&ClientFrame::Ping);
                    continue;
                }
            };
            last_heard = super::now_ms().as_millis();
            let Message::Text(text) = msg else { continue };
            let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else {
                continue;
            };
            match frame {
                ServerFrame::Ready { expires_at, .. } => {
                    attempt = 0;
                    live.status.set(ConnStatus::Online);
                    live.socket.expires_at.set_value(expires_at);
                    let generation = live.socket.generation.get_value() + 1;
                    live.socket.generation.set_value(generation);
                    keep_token_fresh(live, generation);
                    live.catch_up();
                    // Presence, members and roles only arrive as changes: reload them (and
                    // after a reconnect the side nav) rather than trust what was on screen.
                    live.refresh(connected_before);
                    connected_before = true;
                    // What was typed while offline goes out now, in order.
                    live.socket.kick();
                    if live.room().and_then(|r| r.at_bottom.try_get_untracked()) == Some(true) {
                        live.mark_read();
                    }
                }
                ServerFrame::Renewed { expires_at } => live.socket.expires_at.set_value(expires_at),
                ServerFrame::Ack { client_id, seq, .. } => live.socket.settle(&client_id, Ok(seq)),
                ServerFrame::Error {
                    code: ErrorCode::AccountDisabled,
                    ..
                } => return account_ended("account_disabled"),
                ServerFrame::Error {
                    code: ErrorCode::AccountDeleted,
                    ..
                } => return account_ended("account_deleted"),
                ServerFrame::Error {
                    client_id: Some(client_id),
                    message,
                    ..
                } => live
                    .socket
                    .settle(&client_id, Err(SendError::Rejected(message))),
                ServerFrame::Synced {
                    complete: false, ..
                } => live.catch_up(),
                other => live.apply(other),
            }
        }
        // Dropping the sender ends the writer task, which drops the socket.
        live.socket.outgoing.set_value(None);
        live.socket.fail_all();
        live.connection_lost();
        if live.status.try_get_untracked() == Some(ConnStatus::Online) {
            live.status.set(ConnStatus::Reconnecting);
        }
    }
}
