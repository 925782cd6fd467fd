//! Cluster benchmark (issue 13, part 7): figures, printed, never asserted.
//!
//! Two `palaver` nodes on a fresh PostgreSQL database with a NATS server of the bench's own:
//! 1. Send-to-receive latency at a fixed rate, open loop (each message carries its intended
//!    send time, so a stall cannot hide its backlog): one sender on node A, one receiver on
//!    node A (single node) and one on node B (across NATS). p50/p99 of each and their ratio
//!    (goal: cross-node p99 <= 2x single node).
//! 2. Acknowledged messages/s into one hot conversation: 16 members, 8 sending through each
//!    node, up to 32 sends in flight each.
//! 3. The same spread over 1,000 conversations.
//!
//! `make bench` runs it full size, `make test` small (`PALAVER_BENCH_SCALE=small`).
//! `PALAVER_CLUSTER_SERVER` names the binary (`make` passes the release build,
//! target/release/palaver; default: the one cargo built with the bench).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/cluster/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/cluster/traffic.rs"]
#[allow(dead_code)]
mod traffic;

use futures::{SinkExt, StreamExt};
use harness::Cluster;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use traffic::Jar;

struct Scale {
    rate: f64,
    latency_secs: f64,
    burst_secs: f64,
    spread: usize,
}

fn scale() -> Scale {
    match std::env::var("PALAVER_BENCH_SCALE").as_deref() {
        Ok("small") => Scale {
            rate: 100.0,
            latency_secs: 2.0,
            burst_secs: 2.0,
            spread: 100,
        },
        _ => Scale {
            rate: 100.0,
            latency_secs: 10.0,
            burst_secs: 5.0,
            spread: 1_000,
        },
    }
}

fn main() {
    let scale = scale();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(scale));
}

async fn person(cluster: &Cluster, node: usize, prefix: &str) -> Jar {
    let jar: Jar = Arc::new(reqwest::cookie::Jar::default());
    cluster
        .client_on(node, &jar)
        .sign_up(&common::unique(prefix))
        .await;
    jar
}

async fn run(scale: Scale) {
    let cluster = Cluster::start(2).await;
    println!(
        "cluster bench ({} scale): 2 nodes, PostgreSQL, NATS; server {}",
        if scale.spread == 1_000 {
            "full"
        } else {
            "small"
        },
        harness::binary().display()
    );
    latency(&cluster, &scale).await;
    let hot = hot_conversations(&cluster, 1, &scale).await;
    println!("cluster: one hot conversation (16 members, 8 sending through each node): {hot:.0} acknowledged messages/s");
    let spread = hot_conversations(&cluster, scale.spread, &scale).await;
    println!(
        "cluster: spread over {} conversations (16 sockets, 8 per node): {spread:.0} acknowledged messages/s",
        scale.spread
    );
}

/// Part 1: one sender on node 0, receivers on node 0 and node 1.
async fn latency(cluster: &Cluster, scale: &Scale) {
    let owner = person(cluster, 0, "lat").await;
    let conversation = cluster
        .client_on(0, &owner)
        .create_conversation("Latency")
        .await;
    let code = cluster.client_on(0, &owner).invite(conversation).await;
    let mut receivers = Vec::new();
    for node in [0, 1] {
        let jar = person(cluster, node, "recv").await;
        cluster
            .client_on(node, &jar)
            .call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
        let socket = cluster.client_on(node, &jar).socket().await;
        receivers.push(tokio::spawn(receive(
            socket,
            conversation,
            scale.latency_secs + 2.0,
        )));
    }
    let mut sender = cluster.client_on(0, &owner).socket().await;
    let epoch = Instant::now();
    let count = (scale.rate * scale.latency_secs) as u64;
    let period = Duration::from_secs_f64(1.0 / scale.rate);
    for i in 0..count {
        let intended = epoch + period * i as u32;
        tokio::time::sleep_until(intended.into()).await;
        let body = format!("t{}", (intended - epoch).as_micros());
        let frame = json!({"type": "send", "conversation_id": conversation, "client_id": format!("l{i}"), "body": body});
        sender
            .ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("sent");
        // Acks and echoes are read so the sender's socket never backs up.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, sender.ws.next()).await {}
    }
    let mut figures = Vec::new();
    for (node, receiver) in receivers.into_iter().enumerate() {
        let (histogram, got) = receiver.await.expect("receiver");
        let histogram = rebase(histogram, epoch);
        figures.push((
            node,
            histogram.value_at_quantile(0.5),
            histogram.value_at_quantile(0.99),
            got,
        ));
    }
    let ms = |us: u64| us as f64 / 1000.0;
    for (node, p50, p99, got) in &figures {
        let label = if *node == 0 {
            "same node "
        } else {
            "cross-node"
        };
        println!(
            "cluster latency {label} at {:.0} msg/s: p50 {:.2} ms, p99 {:.2} ms ({got}/{count} received)",
            scale.rate,
            ms(*p50),
            ms(*p99)
        );
    }
    println!(
        "cluster latency: cross-node p99 / single-node p99 = {:.2} (goal <= 2)",
        figures[1].2 as f64 / figures[0].2.max(1) as f64
    );
}

/// Receives for `secs`: each message's intended send time (µs since the sender's epoch, from
/// its body) and when it arrived, and how many arrived; [`rebase`] makes latencies of them.
async fn receive(
    mut socket: common::Socket,
    conversation: i64,
    secs: f64,
) -> (Vec<(u64, Instant)>, u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut seen = Vec::new();
    while let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout_at(deadline, socket.ws.next()).await
    {
        let now = Instant::now();
        let frame: Value = serde_json::from_str(&text).expect("JSON");
        if frame["type"] == "message" && frame["message"]["conversation_id"] == conversation {
            if let Some(t) = frame["message"]["body"]
                .as_str()
                .and_then(|b| b.strip_prefix('t'))
            {
                seen.push((t.parse().expect("intended µs"), now));
            }
        }
    }
    let got = seen.len() as u64;
    (seen, got)
}

/// Latencies from (intended µs since `epoch`, arrival).
fn rebase(seen: Vec<(u64, Instant)>, epoch: Instant) -> Histogram<u64> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("bounds");
    for (intended_us, arrived) in seen {
        let latency = (arrived - epoch).as_micros() as u64;
        histogram.saturating_record(latency.saturating_sub(intended_us).max(1));
    }
    histogram
}

/// Parts 2 and 3: 16 sockets (8 per node) sending into `conversations` conversations, 32
/// in flight each, for the burst's length. Acknowledged messages/s.
async fn hot_conversations(cluster: &Cluster, conversations: usize, scale: &Scale) -> f64 {
    let owner = person(cluster, 0, "hot").await;
    let mut ids = Vec::new();
    for c in 0..conversations {
        ids.push(
            cluster
                .client_on(0, &owner)
                .create_conversation(&format!("Hot {c}"))
                .await,
        );
    }
    let mut sockets = Vec::new();
    for k in 0..16 {
        let node = k % 2;
        let jar = if conversations == 1 {
            let jar = person(cluster, node, "member").await;
            let code = cluster.client_on(0, &owner).invite(ids[0]).await;
            cluster
                .client_on(node, &jar)
                .call("accept_invite", &[("code", &code)])
                .await
                .ok::<Value>();
            jar
        } else {
            owner.clone()
        };
        sockets.push(cluster.client_on(node, &jar).socket().await);
    }
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(scale.burst_secs);
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(k, socket)| tokio::spawn(pipeline(socket, k, ids.clone(), end)))
        .collect();
    let mut acked = 0;
    for task in tasks {
        acked += task.await.expect("sender");
    }
    acked as f64 / started.elapsed().as_secs_f64()
}

/// Sends with up to 32 in flight until `end`, then waits for the last acks. Answers acks.
async fn pipeline(
    mut socket: common::Socket,
    k: usize,
    conversations: Vec<i64>,
    end: Instant,
) -> u64 {
    let (mut sent, mut acked, mut in_flight) = (0u64, 0u64, 0u32);
    loop {
        while in_flight < 32 && Instant::now() < end {
            let conversation = conversations[(sent as usize * 16 + k) % conversations.len()];
            let frame = json!({"type": "send", "conversation_id": conversation,
                "client_id": format!("h{k}-{sent}"), "body": format!("hot {sent}")});
            socket
                .ws
                .send(Message::Text(frame.to_string().into()))
                .await
                .expect("sent");
            sent += 1;
            in_flight += 1;
        }
        if in_flight == 0 {
            return acked;
        }
        match tokio::time::timeout(Duration::from_secs(10), socket.ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                match frame["type"].as_str() {
                    Some("ack") => {
                        acked += 1;
                        in_flight -= 1;
                    }
                    Some("error") if frame["client_id"].is_string() => panic!("{frame}"),
                    _ => {}
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("socket {k} ended: {other:?}"),
        }
    }
}
