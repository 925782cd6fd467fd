//! The generator's side of a socket: connect (with the session cookie, as the browser does),
//! authenticate, wait for `ready`; the frames it sends and how it reads the ones it gets.
//! Each `send` carries its id and intended send time in its 64-byte body, so every receiver
//! can match a delivery to its schedule without a shared table.

use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Bytes of every message body.
pub const BODY_LEN: usize = 64;
const MARK: &str = "~ld~";

/// The instant all intended send times count from.
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub fn micros_since_epoch(t: Instant) -> u64 {
    t.saturating_duration_since(epoch()).as_micros() as u64
}

/// Waits until `due`, to within the kernel's timer slack (about 50 µs) instead of tokio's
/// millisecond: tokio rounds a deadline up to the next whole millisecond and its driver sleeps
/// in whole milliseconds, so a message would go out up to about 2 ms after its intended time,
/// and every latency is measured from that time: the generator's own lateness was charged to
/// the server (the echo baseline's send-to-ack p50 read 1.58 ms). A blocking thread sleeps
/// the wait (an hrtimer) and then wakes this task; the generator's thread keeps receiving
/// meanwhile, and nothing spins.
pub async fn wait_until(due: Instant) {
    if due <= Instant::now() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        std::thread::sleep(due.saturating_duration_since(Instant::now()))
    })
    .await;
}

/// Opens a socket, sends `auth` and waits for `ready` (frames before it are skipped).
pub async fn connect(addr: SocketAddr, cookie: Option<&str>, auth: &str) -> Result<Ws, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut req = format!("ws://{addr}/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    if let Some(cookie) = cookie {
        req.headers_mut()
            .insert("cookie", cookie.parse().map_err(|_| "bad cookie")?);
    }
    // Small buffers: the generator holds up to 15,000 sockets.
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    ws.send(Message::text(auth))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
            Err(_) => return Err("no ready within 60 s".into()),
            Ok(None) => return Err("closed before ready".into()),
            Ok(Some(Err(e))) => return Err(format!("before ready: {e}")),
            Ok(Some(Ok(Message::Text(t)))) => {
                if t.contains(r#""type":"ready""#) {
                    return Ok(ws);
                }
                if t.contains(r#""type":"error""#) {
                    return Err(format!("refused: {}", t.as_str()));
                }
            }
            Ok(Some(Ok(Message::Close(c)))) => return Err(format!("closed: {c:?}")),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A UUID-shaped idempotency key naming message `id` of run `run`.
pub fn client_id(run: u32, id: u64) -> String {
    format!("{run:08x}-0000-4000-8000-{id:012x}")
}

/// A `send` of message `id` into `conversation`, its body carrying `id` and `intended_us`.
pub fn send_frame(conversation: i64, run: u32, id: u64, intended_us: u64) -> Message {
    let mut body = format!("{MARK}{id}~{intended_us}~");
    while body.len() < BODY_LEN {
        body.push('x');
    }
    Message::text(format!(
        r#"{{"type":"send","conversation_id":{conversation},"client_id":"{}","body":"{body}"}}"#,
        client_id(run, id)
    ))
}

/// (id, intended_us) of a `message` frame the generator sent, if `text` is one.
pub fn delivery(text: &str) -> Option<(u64, u64)> {
    if !text.contains(r#""type":"message""#) {
        return None;
    }
    let rest = &text[text.find(MARK)? + MARK.len()..];
    let mut parts = rest.splitn(3, '~');
    let id = parts.next()?.parse().ok()?;
    let intended = parts.next()?.parse().ok()?;
    Some((id, intended))
}

/// The message id an `ack` frame acknowledges, if `text` is one.
pub fn ack(text: &str) -> Option<u64> {
    if !text.contains(r#""type":"ack""#) {
        return None;
    }
    const KEY: &str = r#""client_id":""#;
    let rest = &text[text.find(KEY)? + KEY.len()..];
    let cid = rest.get(..36)?;
    u64::from_str_radix(&cid[24..], 16).ok()
}

pub fn is_error(text: &str) -> bool {
    text.contains(r#""type":"error""#)
}

/// Latencies in microseconds, 1 µs to 10 min, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

/// What the receivers of the fan-out room saw of one step's messages (ids `lo..hi`).
pub struct Deliveries {
    lo: u64,
    hi: u64,
    pub count: u64,
    /// Deliveries of messages of an earlier step.
    pub stale: u64,
    pub latency: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Deliveries {
    pub fn new() -> Deliveries {
        Deliveries {
            lo: 0,
            hi: 0,
            count: 0,
            stale: 0,
            latency: histogram(),
            errors: 0,
            first_error: None,
        }
    }

    /// Starts counting the messages `lo..hi`.
    pub fn window(&mut self, lo: u64, hi: u64) {
        self.lo = lo;
        self.hi = hi;
        self.count = 0;
        self.stale = 0;
        self.latency.reset();
    }

    pub fn on_text(&mut self, text: &str, now_us: u64) {
        if let Some((id, intended)) = delivery(text) {
            if (self.lo..self.hi).contains(&id) {
                self.count += 1;
                self.latency
                    .saturating_record(now_us.saturating_sub(intended).max(1));
            } else {
                self.stale += 1;
            }
        } else if is_error(text) {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(text.to_owned());
            }
        }
    }
}

/// Milliseconds, for printing a histogram's microseconds.
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}
