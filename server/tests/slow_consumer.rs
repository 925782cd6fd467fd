//! SECURITY.md 23: a client that stops reading never slows the others and never grows server
//! memory without bound; it is dropped. Runs the real binary so its memory can be measured.
//! Prints the figures.

mod common;

use common::process::{free_addr, ServerProcess};
use common::{unique, Client, Socket, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};

// Enough traffic (about 15 MB) to overflow the loopback socket buffers of a client that
// does not read.
const MESSAGES: usize = 4000;
const BODY: usize = 3800;

/// "Slows nobody", as bounds on the writer's acknowledgements and on the fast reader's
/// deliveries (from the start of each send). Measured on a debug build: p50 about 1.4 ms,
/// p99 about 4 ms. The bounds leave room for a loaded two-core machine, yet a fan-out that
/// waited on the sleeper would stall for its 10 s write timeout and break them.
const P50_BOUND: Duration = Duration::from_millis(50);
const P99_BOUND: Duration = Duration::from_millis(500);

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn small_buffered_socket(client: &Client) -> Socket {
    client.socket_with_recv_buffer(64 * 1024).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_slows_nobody_and_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let server = ServerProcess::start(addr, dir.path()).await;
    let pid = server.pid();
    let client = || Client::for_addr(addr);
    let (writer, reader, sleeper) = (client(), client(), client());
    for (c, name) in [(&writer, "w"), (&reader, "r"), (&sleeper, "s")] {
        c.call(
            "sign_up",
            &[("username", &unique(name)), ("password", PASSWORD)],
        )
        .await
        .ok::<Value>();
    }
    let conv = writer.create_conversation("Firehose").await;
    let code = writer.invite(conv).await;
    for c in [&reader, &sleeper] {
        c.call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }

    // The sleeper authenticates, then never reads again.
    let mut slow = small_buffered_socket(&sleeper).await;
    let mut fast = reader.socket().await;
    let mut ws = writer.socket().await;
    let rss_before = rss_kib(pid);

    // The reader drains concurrently and notes when each message (by its client id) arrived.
    let reading = tokio::spawn(async move {
        let mut arrived: Vec<Option<Instant>> = vec![None; MESSAGES];
        let mut got = 0usize;
        while got < MESSAGES {
            match fast.next_json_within(Duration::from_secs(30)).await {
                Some(f) if f["type"] == "message" && f["message"]["kind"] == "message" => {
                    let i: usize = f["message"]["client_id"].as_str().unwrap()[1..]
                        .parse()
                        .unwrap();
                    arrived[i] = Some(Instant::now());
                    got += 1;
                }
                Some(_) => {}
                None => break,
            }
        }
        arrived
    });
    let body = "x".repeat(BODY);
    let mut latencies = Vec::with_capacity(MESSAGES);
    let mut sent_at = Vec::with_capacity(MESSAGES);
    let started = Instant::now();
    let mut rss_peak = rss_before;
    for i in 0..MESSAGES {
        let t = Instant::now();
        sent_at.push(t);
        let ack = ws.send_message(conv, &format!("f{i}"), &body).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        latencies.push(t.elapsed());
        if i % 100 == 0 {
            rss_peak = rss_peak.max(rss_kib(pid));
        }
    }
    let elapsed = started.elapsed();
    let arrived = reading.await.unwrap();
    rss_peak = rss_peak.max(rss_kib(pid));
    latencies.sort();
    let received = arrived.iter().flatten().count();
    let mut deliveries: Vec<Duration> = arrived
        .iter()
        .zip(&sent_at)
        .filter_map(|(got, sent)| Some(got.as_ref()?.duration_since(*sent)))
        .collect();
    deliveries.sort();

    // The sleeper's socket is given up on: after its buffers fill, the server's write waits
    // at most 10 s (its write timeout), then it closes the socket. Stay asleep past that
    // (a fast run is over long before), then reading finds what fitted in the buffers and
    // the end.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let closed_within = Instant::now();
    let mut buffered = 0usize;
    let dropped = loop {
        match slow.next_json_within(Duration::from_secs(20)).await {
            Some(_) => buffered += 1,
            None => break closed_within.elapsed() < Duration::from_secs(20),
        }
    };

    let mib = |k: u64| k as f64 / 1024.0;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (ack_p50, ack_p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    assert_eq!(received, MESSAGES, "the fast reader got everything");
    let (got_p50, got_p99) = (percentile(&deliveries, 0.5), percentile(&deliveries, 0.99));
    println!(
        "slow consumer: {MESSAGES} messages x {BODY} B in {:.1} s; writer ack p50 {:.2} ms / p99 {:.2} ms / max {:.2} ms; \
         fast reader got {received}/{MESSAGES}, delivered p50 {:.2} ms / p99 {:.2} ms / max {:.2} ms (bounds p50 {} ms / p99 {} ms); \
         server RSS {:.1} MiB before, {:.1} MiB peak ({:+.1} MiB); \
         slow socket got {buffered} frames, then was dropped: {dropped}",
        elapsed.as_secs_f64(),
        ms(ack_p50),
        ms(ack_p99),
        ms(*latencies.last().unwrap()),
        ms(got_p50),
        ms(got_p99),
        ms(*deliveries.last().unwrap()),
        P50_BOUND.as_millis(),
        P99_BOUND.as_millis(),
        mib(rss_before),
        mib(rss_peak),
        mib(rss_peak) - mib(rss_before),
    );
    // Nobody was slowed: neither the writer nor the reader sharing the conversation.
    for (what, p50, p99) in [
        ("writer's acknowledgement", ack_p50, ack_p99),
        ("fast reader's delivery", got_p50, got_p99),
    ] {
        assert!(p50 < P50_BOUND, "{what} p50 {:.2} ms", ms(p50));
        assert!(p99 < P99_BOUND, "{what} p99 {:.2} ms", ms(p99));
    }
    assert!(
        buffered < MESSAGES,
        "the sleeper did not get everything: it was cut off"
    );
    assert!(dropped, "the sleeper's socket was closed by the server");
    // 15 MB of payload went out; what the server holds for the sleeper is bounded
    // by its broadcast ring (256 events) and socket buffers, not by the traffic.
    assert!(
        mib(rss_peak) - mib(rss_before) < 64.0,
        "server memory grew by {:.1} MiB",
        mib(rss_peak) - mib(rss_before)
    );
}
