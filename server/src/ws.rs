//! The /ws gateway. A socket must authenticate with a token within 10 seconds; from then on
//! it receives the events of every conversation its user belongs to, and may send messages
//! and ask to catch up. Identity comes from the verified token only; membership from the
//! database on every action.

use crate::middleware::OriginPolicy;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use palaver::model::MessageView;
use palaver::model::UserView;
use palaver::protocol::RemovalReason;
use palaver::protocol::{
    close, ClientFrame, ErrorCode, ServerFrame, AUTH_TIMEOUT_SECS, MAX_FRAME_BYTES, SYNC_BATCH,
};
use palaver::server::{Chat, HubEvent, Topic};
use palaver::{ConversationId, CoreError, Seq, UserId};
use palaver_app::api::ssr::SESSION_COOKIE;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{interval, timeout, Instant, MissedTickBehavior};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamMap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::startup::ServerState;

/// How often a socket re-checks that its session is still signed in.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(15);
/// A write that takes longer than this means the client stopped reading: drop it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// tungstenite's default 128 KiB read buffer per socket adds up; frames are small.
const SOCKET_BUFFER: usize = 4 * 1024;

#[derive(Clone)]
pub struct Gateway {
    chat: Arc<Chat>,
    origins: OriginPolicy,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    /// A socket that has sent nothing, not even a pong, for this long is gone.
    idle_limit: Duration,
}

impl Gateway {
    pub fn new(
        chat: Arc<Chat>,
        origins: OriginPolicy,
        shutdown: CancellationToken,
        idle_limit: Duration,
    ) -> Self {
        Self {
            chat,
            origins,
            shutdown,
            tracker: TaskTracker::new(),
            idle_limit: idle_limit.max(Duration::from_secs(1)),
        }
    }

    /// Pings go out often enough that a live client answers at least twice per idle limit.
    fn ping_every(&self) -> Duration {
        self.idle_limit * 5 / 12
    }

    /// Waits (bounded) for every socket task to send its close frame and end.
    pub async fn wait_closed(&self, limit: Duration) {
        self.tracker.close();
        let _ = timeout(limit, self.tracker.wait()).await;
    }
}

/// Who may open a socket: the browser's session cookie (sent with the handshake, same
/// origin), or for other clients `Authorization: Bearer <token from ws_token>`.
async fn handshake_user(
    chat: &Chat,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Result<Option<UserId>, CoreError> {
    if let Some(secret) = CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        let addr = addr.ip().to_string();
        if let Some(s) = chat.session(secret.value(), Some(&addr)).await? {
            return Ok(Some(s.user.id));
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        if let Ok(id) = chat.verify_ws_token(token.trim()).await {
            return Ok(Some(id.user_id));
        }
    }
    Ok(None)
}

pub async fn ws_handler(
    State(state): State<ServerState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let gateway = state.gateway;
    // Browsers send Origin on every WebSocket handshake: a foreign one is cross-site
    // WebSocket hijacking, refused before upgrading.
    if gateway.origins.is_cross_site(&headers) {
        return (StatusCode::FORBIDDEN, "Cross-site WebSocket refused.").into_response();
    }
    if gateway.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "Shutting down.").into_response();
    }
    let user = match handshake_user(&gateway.chat, &headers, addr).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return (
                StatusCode::UNAUTHORIZED,
                "Sign in first: the handshake needs a session cookie or a bearer token.",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot check socket credentials");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response();
        }
    };
    // Counted from the handshake on, not from `auth`: sockets opened all at once count
    // like sockets opened one by one. The slot is freed when the connection ends (or the
    // upgrade fails and the closure holding it is dropped).
    let slot = match gateway.chat.reserve_socket(user) {
        Ok(slot) => slot,
        Err(e) => return (StatusCode::TOO_MANY_REQUESTS, e.to_string()).into_response(),
    };
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| {
            let tracker = gateway.tracker.clone();
            tracker.track_future(async move {
                Connection::serve(gateway, socket, user).await;
                drop(slot);
            })
        })
}

type Sink = SplitSink<WebSocket, Message>;

struct Connection {
    gateway: Gateway,
    sink: Sink,
    user: UserView,
    session_id: String,
    /// When the current token expires (Unix seconds). The socket is closed then unless the
    /// client renews: a stolen socket cannot outlive the token that opened it.
    expires_at: i64,
    /// The newest seq this socket has sent per conversation: duplicates are skipped and a
    /// lagging subscription is resynced from here.
    sent: HashMap<ConversationId, Seq>,
    subscriptions: StreamMap<ConversationId, BroadcastStream<HubEvent>>,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
}

/// Writes one message, giving up after [`WRITE_TIMEOUT`]: a client that stops reading fills
/// its TCP window and would otherwise hold this task (and its place in memory) forever. Its
/// broadcast receiver meanwhile lags within a fixed-size ring, and is dropped with it.
async fn write(sink: &mut Sink, message: Message) -> bool {
    matches!(timeout(WRITE_TIMEOUT, sink.send(message)).await, Ok(Ok(())))
}

async fn send_frame(sink: &mut Sink, frame: &ServerFrame) -> bool {
    write(sink, Message::Text(frame.to_json().into())).await
}

async fn close_with(sink: &mut Sink, code: u16, reason: &'static str) {
    if code == ABNORMAL {
        // The connection is already broken: there is nobody to send a close frame to.
        return;
    }
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    if write(sink, Message::Close(Some(frame))).await {
        let _ = timeout(WRITE_TIMEOUT, sink.close()).await;
    }
}

/// Close code for "the connection broke" (never sent on the wire).
const ABNORMAL: u16 = 1006;

impl Connection {
    async fn serve(gateway: Gateway, socket: WebSocket, handshake_user: UserId) {
        let (mut sink, mut stream) = socket.split();
        let auth = tokio::select! {
            r = timeout(Duration::from_secs(AUTH_TIMEOUT_SECS), authenticate(&gateway.chat, &mut sink, &mut stream, handshake_user)) => r,
            _ = gateway.shutdown.cancelled() => {
                close_with(&mut sink, close::GOING_AWAY, "server shutting down").await;
                return;
            }
        };
        let (user, session_id, expires_at) = match auth {
            Ok(Ok(who)) => who,
            Ok(Err((code, reason))) => {
                close_with(&mut sink, code, reason).await;
                return;
            }
            Err(_) => {
                let _ = send_frame(
                    &mut sink,
                    &ServerFrame::error(
                        ErrorCode::Unauthenticated,
                        "No valid token within 10 seconds.",
                        None,
                    ),
                )
                .await;
                close_with(&mut sink, close::POLICY, "authentication timeout").await;
                return;
            }
        };
        let mut conn = Connection {
            gateway,
            sink,
            user,
            session_id,
            expires_at,
            sent: HashMap::new(),
            subscriptions: StreamMap::new(),
        };
        // Subscribe before saying ready: anything published from now on reaches this socket,
        // and anything before it the client fetches with `sync`.
        let mut personal = conn.gateway.chat.subscribe(Topic::User(conn.user.id));
        match conn.gateway.chat.conversation_ids(conn.user.id).await {
            Ok(ids) => ids.into_iter().for_each(|id| conn.subscribe(id)),
            Err(e) => {
                tracing::error!(error = %e, "cannot load memberships for socket");
                close_with(&mut conn.sink, 1011, "internal error").await;
                return;
            }
        }
        if !send_frame(
            &mut conn.sink,
            &ServerFrame::Ready {
                user: conn.user.clone(),
                expires_at: conn.expires_at * 1000,
            },
        )
        .await
        {
            return;
        }
        conn.gateway.chat.socket_opened(conn.user.id).await;
        let reason = conn.run(&mut stream, &mut personal).await;
        conn.gateway.chat.socket_closed(conn.user.id).await;
        if let Some((code, text)) = reason {
            close_with(&mut conn.sink, code, text).await;
        }
    }

    fn unsubscribe(&mut self, id: ConversationId) {
        self.subscriptions.remove(&id);
        self.sent.remove(&id);
    }

    fn subscribe(&mut self, id: ConversationId) {
        if !self.subscriptions.contains_key(&id) {
            let rx = self.gateway.chat.subscribe(Topic::Conversation(id));
            self.subscriptions.insert(id, BroadcastStream::new(rx));
        }
    }

    /// The socket's event loop. Returns the close code to send, if any.
    async fn run(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        personal: &mut tokio::sync::broadcast::Receiver<HubEvent>,
    ) -> Option<(u16, &'static str)> {
        let mut ping = interval(self.gateway.ping_every());
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut session_check = interval(SESSION_CHECK_EVERY);
        session_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let shutdown = self.gateway.shutdown.clone();
        loop {
            let expiry = tokio::time::sleep(until_unix(self.expires_at));
            let flow = tokio::select! {
                _ = shutdown.cancelled() => Flow::Close(close::GOING_AWAY, "server shutting down"),
                _ = expiry => Flow::Close(close::TOKEN_EXPIRED, "token expired"),
                incoming = stream.next() => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => self.on_text(&text).await,
                        Some(Ok(Message::Binary(_))) => {
                            self.reply(&ServerFrame::error(ErrorCode::BadFrame, "Frames must be JSON text.", None)).await
                        }
                        Some(Ok(Message::Close(_))) | None => return None,
                        Some(Ok(_)) => Flow::Continue,
                        Some(Err(e)) => {
                            // tungstenite reports an oversized frame as a capacity error.
                            let text = e.to_string();
                            tracing::debug!(error = %text, "socket read error");
                            if text.contains("Space limit exceeded") || text.to_ascii_lowercase().contains("too long") || text.contains("Capacity") {
                                Flow::Close(close::TOO_BIG, "frame too large")
                            } else {
                                return None;
                            }
                        }
                    }
                }
                Some((id, event)) = self.subscriptions.next() => match event {
                    Ok(event) => {
                        // The user's own departure, in order with the conversation's events:
                        // nothing of it after this one reaches the socket, whether or not the
                        // personal notice arrives (SECURITY 29).
                        let departed =
                            matches!(&event, HubEvent::MemberLeft { user, .. } if *user == self.user.id);
                        let flow = self.forward(event).await;
                        if departed {
                            self.unsubscribe(id);
                        }
                        flow
                    }
                    Err(BroadcastStreamRecvError::Lagged(skipped)) => {
                        tracing::warn!(conversation = %id, skipped, "subscriber lagged; resyncing from the database");
                        let after = self.sent.get(&id).copied().unwrap_or(0);
                        self.sync(id, after, true).await
                    }
                },
                event = personal.recv() => match event {
                    Ok(HubEvent::SessionsEnded { sessions, payload }) => {
                        if sessions.contains(&self.session_id) {
                            let _ = self.forward(HubEvent::Frame { payload }).await;
                            Flow::Close(close::SESSION_ENDED, "session ended")
                        } else {
                            Flow::Continue
                        }
                    }
                    Ok(event) => {
                        match &event {
                            HubEvent::Subscribe { conversation, .. } => self.subscribe(*conversation),
                            // Removed from the conversation: nothing more of it reaches this
                            // socket, from this event on.
                            HubEvent::Unsubscribe { conversation, .. } => self.unsubscribe(*conversation),
                            _ => {}
                        }
                        self.forward(event).await
                    }
                    // Events for this user were lost (a removal, a new membership, a signed-out
                    // session): what the socket believes is stale. Closing makes the client
                    // reconnect, which re-reads memberships and resumes from its last seq.
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(user = %self.user.id, skipped, "personal channel lagged; closing for a resync");
                        Flow::Close(close::RESYNC, "fell behind; reconnect")
                    }
                    Err(RecvError::Closed) => Flow::Close(1011, "internal error"),
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() > self.gateway.idle_limit {
                        Flow::Close(close::POLICY, "idle timeout")
                    } else if !write(&mut self.sink, Message::Ping(Default::default())).await {
                        return None;
                    } else {
                        Flow::Continue
                    }
                }
                _ = session_check.tick() => match self.gateway.chat.session_active(&self.session_id).await {
                    Ok(false) => Flow::Close(close::SESSION_ENDED, "session ended"),
                    _ => Flow::Continue,
                },
            };
            if let Flow::Close(code, reason) = flow {
                return Some((code, reason));
            }
        }
    }

    async fn reply(&mut self, frame: &ServerFrame) -> Flow {
        if send_frame(&mut self.sink, frame).await {
            Flow::Continue
        } else {
            Flow::Close(ABNORMAL, "write failed")
        }
    }

    async fn forward(&mut self, event: HubEvent) -> Flow {
        if let HubEvent::Sequenced {
            conversation, seq, ..
        } = &event
        {
            let sent = self.sent.entry(*conversation).or_insert(0);
            if *seq <= *sent {
                return Flow::Continue;
            }
            *sent = *seq;
        }
        let Ok(text) = Utf8Bytes::try_from(event.payload().clone()) else {
            return Flow::Continue;
        };
        if write(&mut self.sink, Message::Text(text)).await {
            Flow::Continue
        } else {
            Flow::Close(ABNORMAL, "write failed")
        }
    }

    async fn on_text(&mut self, text: &str) -> Flow {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                return self
                    .reply(&ServerFrame::error(
                        ErrorCode::BadFrame,
                        format!("Malformed frame: {e}"),
                        None,
                    ))
                    .await
            }
        };
        match frame {
            ClientFrame::Renew { token } => match self.gateway.chat.renew_allowed(self.user.id) {
                Ok(()) => self.renew(&token).await,
                Err(e) => self.reply(&error_frame(e, None)).await,
            },
            ClientFrame::Auth { .. } => {
                self.reply(&ServerFrame::error(
                    ErrorCode::BadFrame,
                    "Already authenticated.",
                    None,
                ))
                .await
            }
            ClientFrame::Send {
                conversation_id,
                client_id,
                body,
            } => {
                let result = self
                    .gateway
                    .chat
                    .send_message(&self.user, conversation_id, &client_id, &body)
                    .await;
                self.acknowledge(conversation_id, client_id, result).await
            }
            ClientFrame::Sync {
                conversation_id,
                after_seq,
            } => match self.gateway.chat.sync_allowed(self.user.id) {
                Ok(()) => self.sync(conversation_id, after_seq.max(0), false).await,
                Err(e) => self.reply(&error_frame(e, None)).await,
            },
            ClientFrame::Edit {
                conversation_id,
                seq,
                client_id,
                body,
            } => {
                let result = self
                    .gateway
                    .chat
                    .edit_message(&self.user, conversation_id, seq, &client_id, &body)
                    .await;
                self.acknowledge(conversation_id, client_id, result).await
            }
            ClientFrame::Delete {
                conversation_id,
                seq,
                client_id,
            } => {
                let result = self
                    .gateway
                    .chat
                    .delete_message(&self.user, conversation_id, seq, &client_id)
                    .await;
                self.acknowledge(conversation_id, client_id, result).await
            }
            ClientFrame::Read {
                conversation_id,
                seq,
            } => {
                let result = self
                    .gateway
                    .chat
                    .mark_read(&self.user, conversation_id, seq)
                    .await;
                self.quietly(result.map(drop)).await
            }
            ClientFrame::Typing { conversation_id } => {
                let result = self.gateway.chat.typing(&self.user, conversation_id).await;
                self.quietly(result).await
            }
        }
    }

    /// Frames that need no answer unless they fail.
    async fn quietly(&mut self, result: Result<(), CoreError>) -> Flow {
        match result {
            Ok(()) => Flow::Continue,
            Err(e) => self.reply(&error_frame(e, None)).await,
        }
    }

    /// Answers a send, edit or delete: `ack` with the stored seq, or an `error` naming the
    /// client id so the client can mark that one message as failed.
    async fn acknowledge(
        &mut self,
        conversation_id: ConversationId,
        client_id: String,
        result: Result<(MessageView, bool), CoreError>,
    ) -> Flow {
        let frame = match result {
            Ok((m, _created)) => ServerFrame::Ack {
                conversation_id,
                client_id,
                seq: m.seq,
                created_at: m.created_at,
            },
            Err(e) => error_frame(e, Some(client_id)),
        };
        self.reply(&frame).await
    }

    /// Accepts a fresh token for the same user and session holder; anything else ends the
    /// socket, since it means the client is confused or hostile.
    async fn renew(&mut self, token: &str) -> Flow {
        match self.gateway.chat.verify_ws_token(token).await {
            Ok(id) if id.user_id == self.user.id => {
                self.expires_at = id.expires_at;
                self.session_id = id.session_id;
                self.reply(&ServerFrame::Renewed {
                    expires_at: id.expires_at * 1000,
                })
                .await
            }
            Ok(_) | Err(_) => {
                let _ = self
                    .reply(&ServerFrame::error(
                        ErrorCode::Unauthenticated,
                        "Invalid token for this socket.",
                        None,
                    ))
                    .await;
                Flow::Close(close::POLICY, "invalid token")
            }
        }
    }

    /// Sends the messages after `after` from the database. A client's `sync` gets one batch
    /// and a `synced` frame saying whether more wait; a lag resync runs until caught up.
    async fn sync(&mut self, id: ConversationId, after: Seq, until_caught_up: bool) -> Flow {
        let mut after = after;
        loop {
            let batch = match self
                .gateway
                .chat
                .messages_after(self.user.id, id, after, SYNC_BATCH)
                .await
            {
                Ok(b) => b,
                Err(CoreError::NotMember) if until_caught_up => {
                    // Lagged past the departure: stop forwarding and say so.
                    self.unsubscribe(id);
                    return self
                        .reply(&ServerFrame::ConversationRemoved {
                            conversation_id: id,
                            reason: RemovalReason::Removed,
                        })
                        .await;
                }
                Err(e) => return self.reply(&error_frame(e, None)).await,
            };
            let complete = (batch.len() as i64) < SYNC_BATCH;
            for message in batch {
                after = message.seq;
                let sent = self.sent.entry(id).or_insert(0);
                *sent = (*sent).max(message.seq);
                if let Flow::Close(c, r) = self.reply(&ServerFrame::Message { message }).await {
                    return Flow::Close(c, r);
                }
            }
            if complete || !until_caught_up {
                return self
                    .reply(&ServerFrame::Synced {
                        conversation_id: id,
                        last_seq: after,
                        complete,
                    })
                    .await;
            }
        }
    }
}

/// Reads frames until a valid `auth` arrives. Anything else first is a protocol violation.
async fn authenticate(
    chat: &Chat,
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
    handshake_user: UserId,
) -> Result<(UserView, String, i64), (u16, &'static str)> {
    loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(_)) | None => return Err((close::POLICY, "authentication required")),
            Some(Err(_)) => return Err((close::TOO_BIG, "frame too large")),
        };
        let token = match serde_json::from_str::<ClientFrame>(&text) {
            Ok(ClientFrame::Auth { token }) => token,
            _ => {
                return Err(refuse(
                    sink,
                    "The first frame must be auth.",
                    "authentication required",
                )
                .await)
            }
        };
        let identity = match chat.verify_ws_token(&token).await {
            Ok(id) => id,
            Err(e) => {
                tracing::info!(error = %e, "socket token rejected");
                return Err(refuse(sink, "Invalid or expired token.", "invalid token").await);
            }
        };
        if identity.user_id != handshake_user {
            return Err(refuse(
                sink,
                "The token belongs to another user than the session.",
                "invalid token",
            )
            .await);
        }
        return match chat.user_by_id(identity.user_id).await {
            Ok(user) => Ok((user, identity.session_id, identity.expires_at)),
            Err(_) => Err((close::POLICY, "unknown user")),
        };
    }
}

/// Tells an unauthenticated client why, and returns the close code and reason to end with.
async fn refuse(
    sink: &mut Sink,
    message: &'static str,
    reason: &'static str,
) -> (u16, &'static str) {
    let _ = send_frame(
        sink,
        &ServerFrame::error(ErrorCode::Unauthenticated, message, None),
    )
    .await;
    (close::POLICY, reason)
}

/// Time from now until the Unix second `at` (zero if it has passed).
fn until_unix(at: i64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(at.max(0) as u64).saturating_sub(now)
}

fn error_frame(e: CoreError, client_id: Option<String>) -> ServerFrame {
    let code = match &e {
        CoreError::Invalid(_) => ErrorCode::InvalidMessage,
        CoreError::NotMember => ErrorCode::NotMember,
        CoreError::NotFound(_) => ErrorCode::NotFound,
        CoreError::NotYours | CoreError::OwnerCannotLeave | CoreError::Forbidden(_) => {
            ErrorCode::Forbidden
        }
        CoreError::RateLimited {
            retry_after_secs, ..
        } => {
            let retry_after_secs = *retry_after_secs;
            return ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: e.to_string(),
                client_id,
                retry_after_secs: Some(retry_after_secs),
            };
        }
        CoreError::Unauthenticated => ErrorCode::Unauthenticated,
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error on socket");
            return ServerFrame::error(
                ErrorCode::Internal,
                "Something went wrong on our side. Please try again.",
                client_id,
            );
        }
        _ => ErrorCode::BadFrame,
    };
    ServerFrame::error(code, e.to_string(), client_id)
}
