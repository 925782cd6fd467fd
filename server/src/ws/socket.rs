//! A socket's life: its opening (the `auth` frame, its memberships, `ready`), its loop (see
//! [`connection`](super::connection)), its close.

use super::connection::Connection;
use super::handshake::{self, Caller};
use super::writes::{close_with, send_frame, ABNORMAL};
use super::Gateway;
use axum::extract::ws::WebSocket;
use palaver::protocol::ServerFrame;
use palaver::server::Topic;

/// Serves one upgraded socket, from its `auth` frame to its close; `slot` (the socket's
/// place in the per-user count) is freed when it ends.
///
/// Every open socket holds the returned future for its whole life, sized for its largest
/// await point (`ws::tests` bounds it). So it is not an `async fn`, whose arguments would stay
/// in it for good: the opening (handshake, memberships, `ready`) runs in a box of its own,
/// freed once the socket is live, and the awaits of the loop that reach the store or the
/// chat's rules (frames from the client, acks, a resync, the session check) are boxed too.
/// An idle socket then holds only its [`Connection`] and the loop's own state.
pub(super) fn serve<S: Send + 'static>(
    gateway: Gateway,
    socket: WebSocket,
    caller: Caller,
    slot: S,
) -> impl std::future::Future<Output = ()> + Send {
    let opening = Box::pin(open(gateway, socket, caller));
    async move {
        if let Some(mut conn) = opening.await {
            conn.live().await;
        }
        drop(slot);
    }
}

/// From the `auth` frame to `ready`: `None` if the socket was refused or failed (it has
/// been closed).
async fn open(gateway: Gateway, mut socket: WebSocket, caller: Caller) -> Option<Connection> {
    let identity = handshake::identify(&gateway, &mut socket, caller).await?;
    // Subscribe before reading the session and memberships: anything published from now on
    // reaches this socket (a sign-out, a new membership), and anything before it the read
    // sees or the client fetches with `sync`.
    let personal = gateway.chat.subscribe(Topic::User(identity.user.id));
    let mut conn = Connection::new(gateway, socket, identity, personal);
    let memberships = conn
        .gateway
        .chat
        .socket_memberships(&conn.session_id, conn.user.id)
        .await;
    match memberships {
        Ok(Some(ids)) => ids.into_iter().for_each(|id| conn.subscribe(id)),
        // The token's session was signed out (or the account disabled) since it was issued.
        Ok(None) => {
            let (code, reason) = handshake::refuse(
                &mut conn.socket,
                "Invalid or expired token.",
                "invalid token",
            )
            .await;
            close_with(&mut conn.socket, code, reason).await;
            return None;
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot load memberships for socket");
            close_with(&mut conn.socket, 1011, "internal error").await;
            return None;
        }
    }
    let ready = ServerFrame::Ready {
        user: conn.user.clone(),
        expires_at: conn.expires_at,
    };
    if !send_frame(&mut conn.socket, &ready).await {
        return None;
    }
    conn.gateway.chat.socket_opened(conn.user.id).await;
    Some(conn)
}

impl Connection {
    /// The live socket: its loop, then its close.
    async fn live(&mut self) {
        let reason = self.run().await;
        Box::pin(self.closing(reason)).await;
    }

    /// After the loop: the socket no longer counts as online, and gets its close frame.
    async fn closing(&mut self, reason: Option<(u16, &'static str)>) {
        self.gateway.chat.socket_closed(self.user.id).await;
        if let Some((code, text)) = reason {
            if code != ABNORMAL {
                // Messages already queued are committed whatever happens: say so before
                // closing, so the client need not send them again.
                let _ = self.acknowledge_in_flight().await;
            }
            close_with(&mut self.socket, code, text).await;
        }
    }
}
