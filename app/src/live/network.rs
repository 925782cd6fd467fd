//! Noticing a dead connection quickly. A network that drops silently (Wi-Fi gone, a laptop
//! waking up, a proxy that stops forwarding) closes nothing: the socket just goes quiet. So
//! the client pings every [`PING_EVERY_MS`] and treats [`SILENT_FOR_MS`] without any frame
//! as a dead connection; the browser's `offline` event ends it at once and `online` cuts the
//! reconnect wait short.

use futures::channel::mpsc;
use leptos::prelude::*;

/// How often the client pings an open socket (the server answers `pong`).
pub const PING_EVERY_MS: u32 = 3_000;
/// No frame for this long means the connection is dead: reconnect.
pub const SILENT_FOR_MS: i64 = 7_000;
/// A socket that has not opened after this long is given up and tried again.
pub const CONNECT_TIMEOUT_MS: u32 = 8_000;

/// What the browser says about the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChange {
    Online,
    Offline,
}

/// The browser's `online`/`offline` events, as a stream, until the returned handles drop.
pub fn watch() -> (
    mpsc::UnboundedReceiver<NetworkChange>,
    [WindowListenerHandle; 2],
) {
    let (tx, rx) = mpsc::unbounded();
    let online = {
        let tx = tx.clone();
        window_event_listener_untyped("online", move |_| {
            let _ = tx.unbounded_send(NetworkChange::Online);
        })
    };
    let offline = window_event_listener_untyped("offline", move |_| {
        let _ = tx.unbounded_send(NetworkChange::Offline);
    });
    (rx, [online, offline])
}

/// Whether the browser believes it has a network at all.
pub fn online_now() -> bool {
    window().navigator().on_line()
}

/// Whether a connection last heard from at `last_heard_ms` counts as dead at `now_ms`.
pub fn is_silent(last_heard_ms: i64, now_ms: i64) -> bool {
    now_ms - last_heard_ms > SILENT_FOR_MS
}

/// The first reconnection waits about this long, doubling with each failed attempt up to
/// [`BACKOFF_MAX_MS`].
const BACKOFF_BASE_MS: f64 = 500.0;
const BACKOFF_MAX_MS: f64 = 15_000.0;

/// The /ws address of the page's own origin (`wss:` under https).
pub fn ws_url() -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

/// How long to wait before reconnection attempt `attempt` (1, 2, ...), in ms.
pub fn backoff_ms(attempt: u32) -> u32 {
    let exp = (BACKOFF_BASE_MS * 2f64.powi(attempt.min(10) as i32)).min(BACKOFF_MAX_MS);
    // Full jitter: a restarted server is not hit by every client at the same instant.
    (exp * (0.5 + js_sys::Math::random() * 0.5)) as u32
}
