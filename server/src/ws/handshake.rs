//! Who is calling. Twice: at the HTTP handshake (the session cookie or a bearer token, so
//! that only signed-in users get a socket and a socket slot at all), and in the first frame,
//! `auth`, whose token must belong to the same user (its signature and expiry are checked
//! here; its session, with the socket's memberships, once the socket listens to the user's
//! channel: see `socket::open`). Everything after trusts only what these checks established,
//! never ids sent in frames.

use super::writes::{close_with, send_frame, Socket, ABNORMAL};
use super::{frame_too_big, Gateway};
use axum::extract::ws::Message;
use axum::http::{header, HeaderMap};
use axum_extra::extract::cookie::CookieJar;
use futures::StreamExt;
use palaver::model::UserView;
use palaver::protocol::{close, ClientFrame, ErrorCode, ServerFrame, AUTH_TIMEOUT_SECS};
use palaver::server::Chat;
use palaver::{CoreError, SessionId, Timestamp, UserId};
use palaver_app::api::ssr::SESSION_COOKIE;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::timeout;

/// An authenticated socket's identity, from its verified token.
pub(super) struct Identity {
    pub user: UserView,
    /// The session the token was issued under: the socket closes when it is signed out.
    pub session_id: SessionId,
    /// When the token expires.
    pub expires_at: Timestamp,
}

/// Who the handshake found calling.
pub(super) struct Caller {
    pub id: UserId,
    /// Their account as the session cookie's lookup read it (`None` for a bearer token):
    /// the `auth` frame then does not read it again, one query less per socket (a connect
    /// storm on PostgreSQL pays a network round trip for each).
    pub account: Option<UserView>,
}

/// Who may open a socket: the browser's session cookie (sent with the handshake, same
/// origin), or for other clients `Authorization: Bearer <token from ws_token>`.
pub(super) async fn handshake_user(
    chat: &Chat,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Result<Option<Caller>, CoreError> {
    if let Some(secret) = CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        let addr = addr.ip().to_string();
        if let Some(s) = chat.session(secret.value(), Some(&addr)).await? {
            return Ok(Some(Caller {
                id: s.user.id,
                account: Some(s.user),
            }));
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        if let Ok(id) = chat.verify_ws_token(token.trim()).await {
            return Ok(Some(Caller {
                id: id.user_id,
                account: None,
            }));
        }
    }
    Ok(None)
}

/// Waits for a valid `auth` frame, for at most [`AUTH_TIMEOUT_SECS`] and not past shutdown.
/// `None` means the socket was refused: it has been told why and closed.
pub(super) async fn identify(
    gateway: &Gateway,
    socket: &mut Socket,
    caller: Caller,
) -> Option<Identity> {
    let limit = Duration::from_secs(AUTH_TIMEOUT_SECS);
    let auth = tokio::select! {
        r = timeout(limit, authenticate(&gateway.chat, socket, caller)) => r,
        _ = gateway.shutdown.cancelled() => {
            close_with(socket, close::GOING_AWAY, "server shutting down").await;
            return None;
        }
    };
    match auth {
        Ok(Ok(identity)) => Some(identity),
        Ok(Err((code, reason))) => {
            close_with(socket, code, reason).await;
            None
        }
        Err(_) => {
            let _ = send_frame(
                socket,
                &ServerFrame::error(
                    ErrorCode::Unauthenticated,
                    "No valid token within 10 seconds.",
                    None,
                ),
            )
            .await;
            close_with(socket, close::POLICY, "authentication timeout").await;
            None
        }
    }
}

/// Reads frames until a valid `auth` arrives. Anything else first is a protocol violation.
async fn authenticate(
    chat: &Chat,
    socket: &mut Socket,
    caller: Caller,
) -> Result<Identity, (u16, &'static str)> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(_)) | None => return Err((close::POLICY, "authentication required")),
            // An oversized first frame is answered like one later on; any other read error
            // means the connection is gone and there is nobody to tell.
            Some(Err(e)) => {
                return Err(if frame_too_big(e) {
                    (close::TOO_BIG, "frame too large")
                } else {
                    (ABNORMAL, "connection broken")
                })
            }
        };
        let token = match serde_json::from_str::<ClientFrame>(&text) {
            Ok(ClientFrame::Auth { token }) => token,
            _ => {
                return Err(refuse(
                    socket,
                    "The first frame must be auth.",
                    "authentication required",
                )
                .await)
            }
        };
        // The signature and expiry here; the session, with the memberships, once the socket
        // listens to the user's channel (`socket::open`).
        let identity = match chat.verify_ws_token_claims(&token) {
            Ok(id) => id,
            Err(e) => {
                tracing::info!(error = %e, "socket token rejected");
                return Err(refuse(socket, "Invalid or expired token.", "invalid token").await);
            }
        };
        if identity.user_id != caller.id {
            return Err(refuse(
                socket,
                "The token belongs to another user than the session.",
                "invalid token",
            )
            .await);
        }
        let account = match caller.account {
            Some(account) => Ok(account),
            None => chat.user_by_id(identity.user_id).await,
        };
        return match account {
            Ok(user) => Ok(Identity {
                user,
                session_id: identity.session_id,
                expires_at: identity.expires_at,
            }),
            Err(_) => Err((close::POLICY, "unknown user")),
        };
    }
}

/// Tells an unauthenticated client why, and returns the close code and reason to end with.
pub(super) async fn refuse(
    socket: &mut Socket,
    message: &'static str,
    reason: &'static str,
) -> (u16, &'static str) {
    let _ = send_frame(
        socket,
        &ServerFrame::error(ErrorCode::Unauthenticated, message, None),
    )
    .await;
    (close::POLICY, reason)
}
