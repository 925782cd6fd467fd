//! The suite's clients. A receiver keeps one socket on some node, reconnects to the next node
//! when it closes, and resumes with `sync` from the last seq it holds, as the browser does; it
//! records every seq it is sent, counting duplicates and seqs older than one it already had.
//! A sender sends numbered messages one at a time and, when no ack comes within
//! [`ACK_WAIT`] (its node died or stopped), sends the same client id through the next node.

use crate::common::{Client, Socket};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long a sender waits for an ack before it tries the next node.
const ACK_WAIT: Duration = Duration::from_secs(3);

pub type Jar = Arc<reqwest::cookie::Jar>;

/// What one receiver holds, kept as the browser's timeline keeps it: events apply in seq
/// order; one at or below the newest held is dropped, one past a gap waits for the gap.
///
/// Right after a (re)connection the socket forwards live events before the client's `sync`
/// is answered, so until that answer ends (`synced` with `complete`) early and repeated seqs
/// are expected. After it they are the server's fault: every seq at or below the newest held
/// counts as a duplicate, every seq past a gap as out of order.
#[derive(Default)]
pub struct View {
    /// Seqs applied, in order.
    pub seqs: Vec<i64>,
    /// Arrived past a gap: seq -> whether it was written through another node.
    waiting: std::collections::BTreeMap<i64, bool>,
    /// The connection's first sync has been answered.
    strict: bool,
    pub duplicates: u64,
    pub out_of_order: u64,
    /// Messages written through another node than the one this receiver was on.
    pub cross_node: u64,
    pub reconnects: u64,
    node: usize,
}

impl View {
    pub fn last(&self) -> i64 {
        self.seqs.last().copied().unwrap_or(0)
    }

    /// Events that arrived past a gap and still wait for it.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn record(&mut self, seq: i64, body: &str) {
        let written_on = body
            .strip_prefix('n')
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(node, _)| node.parse::<usize>().ok());
        let cross = written_on.is_some_and(|n| n != self.node);
        if seq <= self.last() || self.waiting.contains_key(&seq) {
            self.duplicates += u64::from(self.strict);
            return;
        }
        if seq > self.last() + 1 {
            self.out_of_order += u64::from(self.strict);
            self.waiting.insert(seq, cross);
            return;
        }
        self.apply(seq, cross);
        while let Some(cross) = self.waiting.remove(&(self.last() + 1)) {
            self.apply(self.last() + 1, cross);
        }
    }

    fn apply(&mut self, seq: i64, cross: bool) {
        self.seqs.push(seq);
        self.cross_node += u64::from(cross);
    }
}

/// A signed-in client's socket on `addr`, past `ready`; None when the node does not answer.
async fn socket_on(addr: SocketAddr, jar: &Jar) -> Option<Socket> {
    let http = Client {
        http: reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(2))
            .build()
            .ok()?,
        base: format!("http://{addr}"),
        addr,
        jar: jar.clone(),
    };
    let reply = tokio::time::timeout(Duration::from_secs(2), async {
        http.http
            .post(format!("{}/api/ws_token", http.base))
            .header("origin", &http.base)
            .send()
            .await
            .ok()?
            .json::<Value>()
            .await
            .ok()
    })
    .await
    .ok()??;
    let token = reply["token"].as_str()?.to_owned();
    let mut socket = tokio::time::timeout(
        Duration::from_secs(2),
        Socket::try_connect(addr, http.cookie().as_deref()),
    )
    .await
    .ok()?
    .ok()?;
    let auth = json!({"type": "auth", "token": token}).to_string();
    socket.ws.send(Message::Text(auth.into())).await.ok()?;
    let ready = socket.next_json_within(Duration::from_secs(2)).await?;
    (ready["type"] == "ready").then_some(socket)
}

pub struct Receiver {
    pub view: Arc<Mutex<View>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Follows `conversation` from node `home` on, until `stop` is set.
    pub fn spawn(
        nodes: Vec<SocketAddr>,
        home: usize,
        jar: Jar,
        conversation: i64,
        stop: Arc<AtomicBool>,
    ) -> Receiver {
        let view = Arc::new(Mutex::new(View::default()));
        let task = tokio::spawn(follow(nodes, home, jar, conversation, stop, view.clone()));
        Receiver { view, task }
    }

    pub async fn join(self) {
        let _ = self.task.await;
    }
}

async fn follow(
    nodes: Vec<SocketAddr>,
    mut node: usize,
    jar: Jar,
    conversation: i64,
    stop: Arc<AtomicBool>,
    view: Arc<Mutex<View>>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(mut socket) = socket_on(nodes[node], &jar).await else {
            node = (node + 1) % nodes.len();
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let after = {
            let mut v = view.lock().unwrap();
            v.node = node;
            v.reconnects += 1;
            v.strict = false;
            v.last()
        };
        let sync = |after: i64| {
            Message::Text(
                json!({"type": "sync", "conversation_id": conversation, "after_seq": after})
                    .to_string()
                    .into(),
            )
        };
        if socket.ws.send(sync(after)).await.is_err() {
            continue;
        }
        while !stop.load(Ordering::Relaxed) {
            let frame =
                match tokio::time::timeout(Duration::from_millis(200), socket.ws.next()).await {
                    Err(_) => continue,
                    Ok(Some(Ok(Message::Text(text)))) => text,
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(_))) => continue,
                };
            let frame: Value = serde_json::from_str(&frame).expect("frames are JSON");
            match frame["type"].as_str() {
                Some("message") if frame["message"]["conversation_id"] == conversation => {
                    let message = &frame["message"];
                    view.lock().unwrap().record(
                        message["seq"].as_i64().expect("a seq"),
                        message["body"].as_str().unwrap_or_default(),
                    );
                }
                Some("synced") if frame["complete"] == false => {
                    let last = frame["last_seq"].as_i64().expect("last_seq");
                    if socket.ws.send(sync(last)).await.is_err() {
                        break;
                    }
                }
                Some("synced") => view.lock().unwrap().strict = true,
                _ => {}
            }
        }
        // Closed (the node died, drained or asked for a resync): the next node.
        node = (node + 1) % nodes.len();
    }
}

pub struct Sender {
    pub name: String,
    nodes: Vec<SocketAddr>,
    node: usize,
    jar: Jar,
    conversation: i64,
    socket: Option<Socket>,
    /// Every acknowledged (client id, seq).
    pub acked: Vec<(String, i64)>,
    /// Sends that had to go again through another node.
    pub retried: u64,
}

impl Sender {
    pub fn new(
        name: String,
        nodes: Vec<SocketAddr>,
        node: usize,
        jar: Jar,
        conversation: i64,
    ) -> Self {
        Sender {
            name,
            nodes,
            node,
            jar,
            conversation,
            socket: None,
            acked: Vec::new(),
            retried: 0,
        }
    }

    /// Sends `count` messages tagged `tag`, each until acknowledged. Starts on the next node
    /// in turn, as a round-robin load balancer would place a new connection.
    pub async fn burst(&mut self, tag: &str, count: usize) {
        self.socket = None;
        self.node = (self.node + 1) % self.nodes.len();
        for k in 0..count {
            let client_id = format!("{tag}-{}-{k}", self.name);
            let mut tries = 0;
            loop {
                tries += 1;
                assert!(tries < 100, "{client_id} never acknowledged");
                if tries > 1 {
                    self.retried += 1;
                }
                if self.socket.is_none() {
                    self.socket = socket_on(self.nodes[self.node], &self.jar).await;
                }
                let Some(socket) = self.socket.as_mut() else {
                    self.node = (self.node + 1) % self.nodes.len();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                match send(socket, self.conversation, &client_id, self.node).await {
                    Some(seq) => {
                        self.acked.push((client_id, seq));
                        break;
                    }
                    None => {
                        self.socket = None;
                        self.node = (self.node + 1) % self.nodes.len();
                    }
                }
            }
        }
    }
}

/// One message's seq once acknowledged; None when the socket closed or no ack came in time.
async fn send(socket: &mut Socket, conversation: i64, client_id: &str, node: usize) -> Option<i64> {
    let frame = json!({
        "type": "send", "conversation_id": conversation, "client_id": client_id,
        "body": format!("n{node}:{client_id}"),
    });
    socket
        .ws
        .send(Message::Text(frame.to_string().into()))
        .await
        .ok()?;
    let deadline = tokio::time::Instant::now() + ACK_WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = socket.next_json_within(left).await?;
        if frame["client_id"] != client_id {
            continue;
        }
        match frame["type"].as_str() {
            Some("ack") => return frame["seq"].as_i64(),
            _ => panic!("{client_id}: {frame}"),
        }
    }
}
