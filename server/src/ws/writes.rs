//! Putting frames on the wire. Every write is bounded in time, a failed write ends the
//! socket, and every core error becomes an `error` frame in one place, so no path can leak
//! internal detail to a client.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use palaver::protocol::{close, ErrorCode, ServerFrame};
use palaver::CoreError;
use std::task::Poll;
use std::time::Duration;
use tokio::time::{timeout, timeout_at, Instant};

/// A write that takes longer than this means the client stopped reading: drop it.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Close code for "the connection broke" (never sent on the wire).
pub(super) const ABNORMAL: u16 = 1006;

/// The socket, read and written by its one task: not split into halves, whose shared lock
/// every read and write took (2% of a 1,000-socket fan-out's profile).
pub(super) type Socket = WebSocket;

/// Writes one message, giving up after [`WRITE_TIMEOUT`]: a client that stops reading fills
/// its TCP window and would otherwise hold this task (and its place in memory) forever. Its
/// broadcast receiver meanwhile lags within a fixed-size ring, and is dropped with it.
pub(super) async fn write(socket: &mut Socket, message: Message) -> bool {
    bounded(socket.send(message), None).await
}

/// Queues one message in the socket's write buffer without flushing it, giving up at the
/// batch's `deadline`: [`WRITE_TIMEOUT`] after the first of the batch's writes that had to
/// wait, set then (a batch whose writes all complete at once reads no clock). A batch of
/// queued messages goes out with one [`flush`]: one `write` system call for all of them (or
/// one per 4 KiB of frames) instead of one each.
pub(super) async fn feed(
    socket: &mut Socket,
    message: Message,
    deadline: &mut Option<Instant>,
) -> bool {
    bounded(socket.feed(message), Some(deadline)).await
}

/// Sends what [`feed`] queued, giving up after [`WRITE_TIMEOUT`].
pub(super) async fn flush(socket: &mut Socket) -> bool {
    bounded(socket.flush(), None).await
}

/// Runs a write until a deadline: [`WRITE_TIMEOUT`] from when it first has to wait, or a
/// batch's (`shared`: set by the batch's first write that waits, kept for the rest). The
/// write is polled once first: one that completes at once (room in the buffer, or the kernel
/// took the bytes), as nearly every write does, reads no clock and arms no timer. A timer
/// per write cost a fan-out 2-3% of the server's CPU (a fetch of the runtime's handle and a
/// timer entry per frame; `make profile`). The timer lives in a box of its own, made only for
/// a write that waits: this future stays small enough to live in the socket's task, where
/// a fan-out's every delivery would otherwise allocate and free it.
async fn bounded<E>(
    write: impl std::future::Future<Output = Result<(), E>>,
    shared: Option<&mut Option<Instant>>,
) -> bool {
    let mut write = std::pin::pin!(write);
    match futures::poll!(write.as_mut()) {
        Poll::Ready(done) => done.is_ok(),
        Poll::Pending => {
            let from_now = || Instant::now() + WRITE_TIMEOUT;
            let deadline = match shared {
                Some(shared) => *shared.get_or_insert_with(from_now),
                None => from_now(),
            };
            matches!(Box::pin(timeout_at(deadline, write)).await, Ok(Ok(())))
        }
    }
}

pub(super) async fn send_frame(socket: &mut Socket, frame: &ServerFrame) -> bool {
    write(socket, Message::Text(frame.to_json().into())).await
}

pub(super) async fn close_with(socket: &mut Socket, code: u16, reason: &'static str) {
    if code == ABNORMAL {
        // The connection is already broken: there is nobody to send a close frame to.
        return;
    }
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    if write(socket, Message::Close(Some(frame))).await {
        let _ = timeout(WRITE_TIMEOUT, socket.close()).await;
    }
    if code == close::TOO_BIG {
        // The rest of the oversized frame is still arriving, unread. Closing the TCP
        // connection with unread data sends a reset, and a reset makes the client's kernel
        // drop what it had received but not yet read: the close frame with 1009 would be lost
        // and the client would see 1006. Holding the connection briefly lets the close frame
        // be read first (RFC 6455 7.1.1: the server closes TCP after the closing handshake).
        tokio::time::sleep(OVERSIZE_LINGER).await;
    }
}

/// How long a connection closed for an oversized frame stays open after its close frame.
const OVERSIZE_LINGER: Duration = Duration::from_millis(500);

/// What the event loop does after one event.
pub(super) enum Flow {
    Continue,
    Close(u16, &'static str),
}

/// A write that failed or timed out means the client is gone or not reading: stop.
pub(super) fn flow(written: bool) -> Flow {
    if written {
        Flow::Continue
    } else {
        Flow::Close(ABNORMAL, "write failed")
    }
}

/// The `error` frame for a core error. The code is the core's own ([`CoreError::code`]);
/// waits (rate limits, a busy server) say how long in `retry_after_secs`; an internal error
/// is logged with its detail and answered with a generic message.
pub(super) fn error_frame(e: CoreError, client_id: Option<String>) -> ServerFrame {
    let retry_after_secs = match &e {
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error on socket");
            return ServerFrame::error(
                ErrorCode::Internal,
                "Something went wrong on our side. Please try again.",
                client_id,
            );
        }
        CoreError::RateLimited {
            retry_after_secs, ..
        }
        | CoreError::Busy { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    };
    ServerFrame::Error {
        code: e.code(),
        message: e.to_string(),
        client_id,
        retry_after_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_carry_retry_after_and_internal_detail_stays_in_the_log() {
        let busy = error_frame(
            CoreError::Busy {
                retry_after_secs: 3,
            },
            None,
        );
        assert!(matches!(
            busy,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                retry_after_secs: Some(3),
                ..
            }
        ));
        let ServerFrame::Error { code, message, .. } =
            error_frame(CoreError::internal("db password is hunter2"), None)
        else {
            panic!("an internal error must be an error frame");
        };
        assert_eq!(code, ErrorCode::Internal);
        assert!(!message.contains("hunter2"), "{message}");
    }
}
