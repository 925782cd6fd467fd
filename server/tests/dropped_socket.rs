//! A socket dropped mid-stream while acknowledgements are late: the browser's recovery
//! (resend what was not acknowledged under the same client id, sync from the last seq) must
//! give every message exactly once, in one order for everyone. Alice and Bob talk through a
//! proxy that holds the server's bytes back and is then cut; Carol keeps writing directly.
//! Prints the figures.

mod common;

use common::{spawn_app, unique, Client, Socket};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Alice's burst, one message every PACE.
const BURST: usize = 30;
const PACE: Duration = Duration::from_millis(20);
/// How long the proxy holds every byte from the server: acknowledgements arrive this late.
const HOLD: Duration = Duration::from_millis(300);
/// The proxy is cut as soon as Alice has seen this many acknowledgements.
const CUT_AFTER_ACKS: usize = 6;
/// Carol writes until told to stop; this only bounds her if something hangs.
const CAROL_MAX: usize = 100;
const CAROL_PACE: Duration = Duration::from_millis(40);

/// A TCP proxy in front of the app. Client bytes pass at once; server bytes are held for
/// [`HOLD`]. `cut` drops every connection at once: held bytes are lost and neither side gets
/// a close frame, as when a network path dies.
struct Proxy {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(upstream).await.expect("app reachable");
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (client_rx, client_tx) = client.into_split();
                let (server_rx, server_tx) = server.into_split();
                let (held_tx, mut held_rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
                let upward = tokio::spawn(async move {
                    while let Some(bytes) = read_some(&client_rx).await {
                        if !write_all(&server_tx, &bytes).await {
                            break;
                        }
                    }
                });
                let hold = tokio::spawn(async move {
                    while let Some(bytes) = read_some(&server_rx).await {
                        if held_tx.send((Instant::now() + HOLD, bytes)).is_err() {
                            break;
                        }
                    }
                });
                let deliver = tokio::spawn(async move {
                    while let Some((due, bytes)) = held_rx.recv().await {
                        sleep_until(due).await;
                        if !write_all(&client_tx, &bytes).await {
                            break;
                        }
                    }
                });
                let mut registry = registry.lock().unwrap();
                registry.extend([upward, hold, deliver].map(|t| t.abort_handle()));
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Proxy { addr, tasks }
    }

    /// Aborting the tasks drops both halves of both sockets, and the bytes still held.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// The next bytes from `rx`; None at end of stream or on error.
async fn read_some(rx: &OwnedReadHalf) -> Option<Vec<u8>> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        rx.readable().await.ok()?;
        match rx.try_read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => return Some(buf[..n].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
    }
}

async fn write_all(tx: &OwnedWriteHalf, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        if tx.writable().await.is_err() {
            return false;
        }
        match tx.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return false,
        }
    }
    true
}

/// One client's picture of the conversation, built as the browser builds it: by seq, skipping
/// what it already has, and syncing from its last seq when it sees a gap.
#[derive(Default)]
struct View {
    /// (seq, "author:client_id") in the order shown.
    seen: Vec<(i64, String)>,
    /// Deliveries of a seq already shown (a sync overlapping live traffic), ignored.
    redundant: usize,
    /// Syncs started because a live message skipped a seq: after a complete resume there is
    /// no reason for one, so any would mean the resume left something out.
    gap_syncs: usize,
    syncing: bool,
}

impl View {
    fn last(&self) -> i64 {
        self.seen.last().map_or(0, |s| s.0)
    }
}

fn key(m: &Value) -> String {
    format!(
        "{}:{}",
        m["author"].as_str().unwrap(),
        m["client_id"].as_str().unwrap()
    )
}

fn send_frame(conv: i64, client_id: &str, body: &str) -> Value {
    json!({"type": "send", "conversation_id": conv, "client_id": client_id, "body": body})
}

async fn sync(ws: &mut Socket, conv: i64, view: &mut View) {
    view.syncing = true;
    ws.send_json(&json!({"type": "sync", "conversation_id": conv, "after_seq": view.last()}))
        .await;
}

/// Reads one frame and applies it to `view`; None when the socket ended or stayed silent for
/// 5 s. Error frames fail the test: nothing in this scenario should be refused.
async fn step(ws: &mut Socket, conv: i64, view: &mut View) -> Option<Value> {
    let f = ws.next_json_within(Duration::from_secs(5)).await?;
    match f["type"].as_str() {
        Some("message") => {
            let seq = f["message"]["seq"].as_i64().unwrap();
            if seq <= view.last() {
                view.redundant += 1;
            } else if seq == view.last() + 1 {
                view.seen.push((seq, key(&f["message"])));
            } else if !view.syncing {
                view.gap_syncs += 1;
                sync(ws, conv, view).await;
            }
        }
        Some("synced") => {
            view.syncing = false;
            if f["complete"] == false {
                sync(ws, conv, view).await;
            }
        }
        Some("error") => panic!("unexpected error frame: {f}"),
        _ => {}
    }
    Some(f)
}

async fn until_synced(ws: &mut Socket, conv: i64, view: &mut View) {
    sync(ws, conv, view).await;
    while view.syncing {
        step(ws, conv, view).await.expect("sync answered");
    }
}

async fn catch_up(ws: &mut Socket, conv: i64, view: &mut View, target: i64) {
    while view.last() < target {
        step(ws, conv, view).await.expect("catch-up frames");
    }
}

/// The whole stored sequence, read through the API page by page, oldest first.
async fn stored(client: &Client, conv: i64) -> Vec<(i64, String)> {
    let mut all = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("id", conv.to_string())];
        form.extend(before.map(|b| ("before", b.to_string())));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page: Value = client.call("history", &form).await.ok();
        let mut batch: Vec<(i64, String)> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["seq"].as_i64().unwrap(), key(m)))
            .collect();
        before = batch.first().map(|b| b.0);
        batch.append(&mut all);
        all = batch;
        if page["has_older"] == false {
            return all;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_with_late_acks_resumes_and_retries_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let (a, b, c) = (app.client(), app.client(), app.client());
    let (alice, bob, carol) = (unique("alice"), unique("bob"), unique("carol"));
    a.sign_up(&alice).await;
    b.sign_up(&bob).await;
    c.sign_up(&carol).await;
    let conv = a.create_conversation("Flaky network").await;
    let code = a.invite(conv).await;
    for joiner in [&b, &c] {
        joiner
            .call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }
    let proxy = Arc::new(Proxy::start(app.addr).await);

    // Carol writes directly, one message at a time, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut carol_ws = c.socket().await;
    let mut carol_view = View::default();
    until_synced(&mut carol_ws, conv, &mut carol_view).await;
    let carol_task = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut sent = 0;
            while sent < CAROL_MAX && !stop.load(Ordering::Relaxed) {
                let cid = format!("c{sent}");
                let body = format!("carol {sent}");
                carol_ws.send_json(&send_frame(conv, &cid, &body)).await;
                sent += 1;
                loop {
                    let f = step(&mut carol_ws, conv, &mut carol_view)
                        .await
                        .expect("ack");
                    if f["type"] == "ack" && f["client_id"] == cid.as_str() {
                        break;
                    }
                }
                sleep(CAROL_PACE).await;
            }
            (carol_ws, carol_view, sent)
        }
    });

    // Bob follows through the proxy until it is cut.
    let mut bob_ws = b.socket_at(proxy.addr).await;
    let mut bob_view = View::default();
    until_synced(&mut bob_ws, conv, &mut bob_view).await;
    let bob_task = tokio::spawn(async move {
        while step(&mut bob_ws, conv, &mut bob_view).await.is_some() {}
        bob_view
    });

    // Alice sends her burst through the proxy without waiting for acknowledgements; the
    // proxy is cut as soon as she has seen CUT_AFTER_ACKS of them, while the server has
    // stored more (their acks are held in the proxy) and she is still writing.
    let (mut alice_tx, mut alice_rx) = a.socket_at(proxy.addr).await.ws.split();
    let ids: Vec<String> = (0..BURST).map(|i| format!("a{i}")).collect();
    let acked_before_cut = tokio::spawn({
        let proxy = proxy.clone();
        async move {
            let mut acks: HashMap<String, i64> = HashMap::new();
            while let Some(Ok(frame)) = alice_rx.next().await {
                let Message::Text(text) = frame else { continue };
                let f: Value = serde_json::from_str(&text).expect("JSON frame");
                if f["type"] == "ack" {
                    acks.insert(
                        f["client_id"].as_str().unwrap().to_owned(),
                        f["seq"].as_i64().unwrap(),
                    );
                    if acks.len() == CUT_AFTER_ACKS {
                        // Frames already on their way to Alice are lost with the connection,
                        // so exactly this many acknowledgements reached her.
                        proxy.cut();
                        break;
                    }
                }
            }
            acks
        }
    });
    let mut written = 0;
    for (i, cid) in ids.iter().enumerate() {
        let frame = send_frame(conv, cid, &format!("alice {i}"));
        if alice_tx
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
        written += 1;
        sleep(PACE).await;
    }
    let acked_before_cut = timeout(Duration::from_secs(10), acked_before_cut)
        .await
        .expect("the cut ends Alice's socket")
        .unwrap();
    let mut bob_view = timeout(Duration::from_secs(10), bob_task)
        .await
        .expect("the cut ends Bob's socket")
        .unwrap();
    drop(alice_tx);

    // What the server holds of Alice's burst once it has read what reached it.
    sleep(Duration::from_millis(200)).await;
    let before_retry: HashMap<String, i64> = stored(&a, conv)
        .await
        .into_iter()
        .filter_map(|(seq, k)| Some((k.strip_prefix(&format!("{alice}:"))?.to_owned(), seq)))
        .collect();

    // Both come back directly. Bob asks for what he missed; Alice resends every message
    // whose acknowledgement she did not see, under the same client id.
    let resumed_from = bob_view.last();
    let mut bob_ws = b.socket().await;
    sync(&mut bob_ws, conv, &mut bob_view).await;

    let retried: Vec<&String> = ids
        .iter()
        .filter(|id| !acked_before_cut.contains_key(*id))
        .collect();
    let mut alice_ws = a.socket().await;
    for cid in &retried {
        let body = format!("alice {}", &cid[1..]);
        alice_ws.send_json(&send_frame(conv, cid, &body)).await;
    }
    // This socket never syncs, so every `message` it gets is a broadcast: a retry of a stored
    // message must be acknowledged without one.
    let mut retry_acks: HashMap<String, i64> = HashMap::new();
    let mut broadcast: HashSet<String> = HashSet::new();
    let mut record = |f: &Value| match f["type"].as_str() {
        Some("ack") => {
            retry_acks.insert(
                f["client_id"].as_str().unwrap().to_owned(),
                f["seq"].as_i64().unwrap(),
            );
        }
        Some("message") if f["message"]["author"] == alice.as_str() => {
            broadcast.insert(f["message"]["client_id"].as_str().unwrap().to_owned());
        }
        Some("error") => panic!("retry refused: {f}"),
        _ => {}
    };
    for _ in 0..retried.len() {
        loop {
            let f = alice_ws.next_json().await;
            let ack = f["type"] == "ack";
            record(&f);
            if ack {
                break;
            }
        }
    }
    // A second broadcast of a retry is published before its ack is sent. A fresh message
    // sent now is published after all of them, and one conversation's events reach a socket
    // in the order published: every broadcast of a retry arrives before this one's. (Its
    // own ack is not a retry's.)
    alice_ws
        .send_json(&send_frame(conv, "marker", "after the retries"))
        .await;
    let before_marker = alice_ws
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    for f in before_marker.iter().filter(|f| f["client_id"] != "marker") {
        record(f);
    }

    let bob_seen_before_resume = bob_view.seen.len();
    while bob_view.syncing {
        step(&mut bob_ws, conv, &mut bob_view)
            .await
            .expect("resume answered");
    }
    let resumed = bob_view.seen.len() - bob_seen_before_resume;

    stop.store(true, Ordering::Relaxed);
    let (mut carol_ws, mut carol_view, carol_sent) = carol_task.await.unwrap();
    let history = stored(&a, conv).await;
    let target = history.last().expect("a non-empty history").0;
    catch_up(&mut bob_ws, conv, &mut bob_view, target).await;
    catch_up(&mut carol_ws, conv, &mut carol_view, target).await;

    // The verdict.
    let mut stored_seq: HashMap<&str, i64> = HashMap::new();
    let mut duplicates = 0;
    for (seq, k) in &history {
        duplicates += usize::from(stored_seq.insert(k, *seq).is_some());
    }
    let seq_of = |id: &str| stored_seq.get(format!("{alice}:{id}").as_str()).copied();
    let found: Vec<i64> = ids.iter().filter_map(|id| seq_of(id)).collect();
    let missing = BURST - found.len();
    let out_of_order = found.windows(2).filter(|w| w[1] <= w[0]).count();
    let already_stored: Vec<&String> = retried
        .iter()
        .copied()
        .filter(|id| before_retry.contains_key(*id))
        .collect();
    let original_seq_kept = already_stored
        .iter()
        .filter(|id| retry_acks.get(**id) == before_retry.get(**id))
        .count();
    let rebroadcast = already_stored
        .iter()
        .filter(|id| broadcast.contains(**id))
        .count();
    let wrong_acks = acked_before_cut
        .iter()
        .chain(&retry_acks)
        .filter(|(id, seq)| seq_of(id) != Some(**seq))
        .count();
    let gap_free = history.iter().zip(1..).all(|((seq, _), n)| *seq == n);

    println!(
        "dropped socket: alice sent {BURST} ({written} written before a write failed), server bytes held {} ms: acked before cut {} / retried {} (already stored {}: acked with the original seq {original_seq_kept}, broadcast again {rebroadcast}) / stored {} / duplicates {duplicates} / missing {missing} / out of order {out_of_order} / acks naming another seq {wrong_acks}; bob resumed from seq {resumed_from}: {resumed} missed delivered, {} already seen, {} gap repairs, view = history: {}; carol sent {carol_sent} directly, view = history: {}",
        HOLD.as_millis(),
        acked_before_cut.len(),
        retried.len(),
        already_stored.len(),
        found.len(),
        bob_view.redundant,
        bob_view.gap_syncs,
        bob_view.seen == history,
        carol_view.seen == history,
    );
    // The scenario happened: the cut came mid-stream, after some stored messages lost their
    // acknowledgement, and Bob missed something.
    assert_eq!(
        acked_before_cut.len(),
        CUT_AFTER_ACKS,
        "cut after some acks"
    );
    assert!(
        !already_stored.is_empty(),
        "some retries hit stored messages"
    );
    assert!(resumed > 0, "Bob missed messages while cut off");
    // And everything came out right.
    assert_eq!(retry_acks.len(), retried.len(), "every retry acknowledged");
    assert_eq!(duplicates, 0, "no message stored twice");
    assert_eq!(missing, 0, "every message of the burst stored");
    assert_eq!(out_of_order, 0, "stored in the order Alice sent them");
    assert_eq!(original_seq_kept, already_stored.len(), "original seqs");
    assert_eq!(rebroadcast, 0, "retries of stored messages not broadcast");
    assert_eq!(wrong_acks, 0, "every ack names the stored seq");
    assert!(gap_free, "the sequence has no gaps");
    // Resuming from his last seq, Bob got exactly what he missed: nothing he had, no hole
    // left for a later gap to reveal.
    assert_eq!(bob_view.redundant, 0, "the resume sent nothing Bob had");
    assert_eq!(bob_view.gap_syncs, 0, "the resume brought all Bob missed");
    assert_eq!(bob_view.seen, history, "Bob shows the stored sequence");
    assert_eq!(carol_view.seen, history, "Carol shows the stored sequence");
}
