//! The /ws gateway. A socket must authenticate with a token within 10 seconds; from then on
//! it receives the events of every conversation its user belongs to, and may send messages
//! and ask to catch up. Identity comes from the verified token only; membership from the
//! database on every action.
//!
//! One job per file: this one admits a socket (origin, shutdown, identity, a socket slot)
//! and upgrades it; [`handshake`] checks who is calling, at the handshake and in the `auth`
//! frame; [`socket`] opens a socket, runs it and closes it; [`connection`] is its event
//! loop, [`sources`] what it listens to, [`deliver`] writes its conversations' events;
//! [`frames`] answers what the client sends; [`writes`] puts frames on the wire without
//! letting a slow reader hold the task.
//!
//! The gateway takes only what it needs (`State<Gateway>`, extracted from the router's state
//! by the host): it never names the host's types, so the dependency runs one way.

mod connection;
mod deliver;
mod duties;
mod frames;
mod handshake;
mod socket;
mod sources;
mod writes;

use crate::middleware::OriginPolicy;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use palaver::protocol::MAX_FRAME_BYTES;
use palaver::server::Chat;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tungstenite::error::{CapacityError, Error as WsError};

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
    /// Events written to sockets (`palaver_deliveries_total`).
    deliveries: metrics::Counter,
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
            deliveries: palaver::server::metrics::deliveries(),
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

pub async fn ws_handler(
    State(gateway): State<Gateway>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Browsers send Origin on every WebSocket handshake: a foreign one is cross-site
    // WebSocket hijacking, refused before upgrading.
    if gateway.origins.is_cross_site(&headers) {
        return (StatusCode::FORBIDDEN, "Cross-site WebSocket refused.").into_response();
    }
    if gateway.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "Shutting down.").into_response();
    }
    let user = match handshake::handshake_user(&gateway.chat, &headers, addr).await {
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
    let slot = match gateway.chat.reserve_socket(user.id) {
        Ok(slot) => slot,
        Err(e) => return (StatusCode::TOO_MANY_REQUESTS, e.to_string()).into_response(),
    };
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| {
            let tracker = gateway.tracker.clone();
            tracker.track_future(socket::serve(gateway, socket, user, slot))
        })
}

/// Whether a read failed because the client sent a frame over [`MAX_FRAME_BYTES`]: that
/// one gets a 1009 close, any other read error means the connection is gone. axum wraps
/// tungstenite's error (the same tungstenite version, so the downcast finds it); its type
/// says what happened, where its wording could change in any release.
fn frame_too_big(e: axum::Error) -> bool {
    matches!(
        e.into_inner().downcast_ref::<WsError>(),
        Some(WsError::Capacity(CapacityError::MessageTooLong { .. }))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of what `f` returns, without calling it.
    fn size_of_output<A, B, C, D, F>(_: fn(A, B, C, D) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn an_idle_socket_task_stays_small() {
        // Every open socket is one task holding this future for its whole life, sized for
        // its largest await point: the bound keeps idle memory per socket in check (issue
        // 12: RSS per idle socket within 1.5x of a bare broadcast server's). It was 3.3 KB
        // with the handshake, the frames' handling and the arguments held in it; 2,224
        // bytes in the dev profile since, of which the socket itself (tungstenite's state)
        // is 368. The deliveries' async path lives in a box for this reason (deliver.rs).
        let size = size_of_output(socket::serve::<()> as fn(_, _, _, _) -> _);
        println!("socket task: {size} bytes");
        assert!(size <= 2_304, "a socket's task holds {size} bytes");
    }

    #[test]
    fn only_an_oversized_message_counts_as_too_big() {
        let too_long = CapacityError::MessageTooLong {
            size: 2,
            max_size: 1,
        };
        assert!(frame_too_big(axum::Error::new(WsError::Capacity(too_long))));
        assert!(!frame_too_big(axum::Error::new(WsError::ConnectionClosed)));
        assert!(!frame_too_big(axum::Error::new(std::io::Error::other(
            "Space limit exceeded: message too long"
        ))));
    }
}
