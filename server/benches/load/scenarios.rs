//! Connect storm and idle memory; persisted sends from one client.

use crate::client::{self, micros_since_epoch, ms, Ws};
use crate::procs::Server;
use crate::report::Figures;
use crate::setup::Auth;
use crate::Scale;
use futures::{SinkExt, StreamExt};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Handshakes in flight at once: more only overflows the listen backlog (then SYN retries
/// a second later measure the kernel, not the server).
const IN_FLIGHT: usize = 256;

/// Opens `n` sockets (numbered from `first`, spread over the users) into `conversation`, each
/// then reading and dropping whatever it is sent. Returns their tasks, the wall time until the
/// last was `ready`, and the failures (with the first reason).
pub async fn storm(
    server: &Server,
    auth: &Auth,
    conversation: i64,
    first: usize,
    n: usize,
) -> (Vec<JoinHandle<()>>, Duration, usize, Option<String>) {
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let (done, mut results) = mpsc::unbounded_channel::<Result<(), String>>();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in first..first + n {
        let (cookie, frame) = auth.socket(i, conversation);
        let cookie = cookie.map(str::to_owned);
        let (gate, done, addr) = (gate.clone(), done.clone(), server.addr);
        tasks.push(tokio::task::spawn_local(async move {
            let permit = gate.acquire_owned().await.expect("semaphore");
            let ws = client::connect(addr, cookie.as_deref(), &frame).await;
            drop(permit);
            match ws {
                Ok(mut ws) => {
                    let _ = done.send(Ok(()));
                    while let Some(Ok(_)) = ws.next().await {}
                }
                Err(e) => {
                    let _ = done.send(Err(e));
                }
            }
        }));
    }
    let (mut failed, mut reason) = (0, None);
    for _ in 0..n {
        if let Some(Err(e)) = results.recv().await {
            failed += 1;
            reason.get_or_insert(e);
        }
    }
    (tasks, started.elapsed(), failed, reason)
}

fn close_all(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        t.abort();
    }
}

/// Connect storm of `scale.storm` sockets (wall time), then RSS per idle authenticated socket
/// at that count and at `scale.big` when both processes' fd limits allow it.
pub async fn storm_and_memory(server: &Server, auth: &mut Auth, scale: &Scale, f: &mut Figures) {
    auth.refresh().await;
    let rss0 = server.rss_kib();
    let (mut tasks, took, failed, reason) = storm(server, auth, auth.room, 0, scale.storm).await;
    println!(
        "connect storm: {} sockets ready in {:.3} s ({failed} failed{})",
        scale.storm - failed,
        took.as_secs_f64(),
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    f.storm = Some((scale.storm, took.as_secs_f64(), failed));
    tokio::time::sleep(scale.settle).await;
    server.wait_idle().await;
    let per = |rss: u64, n: usize| rss.saturating_sub(rss0) as f64 / n as f64;
    let rss1 = server.rss_kib();
    println!(
        "idle memory: RSS {rss0} KiB before, {rss1} KiB with {} sockets: {:.1} KiB each",
        scale.storm,
        per(rss1, scale.storm)
    );
    f.rss.push((scale.storm, Some(per(rss1, scale.storm))));
    if scale.big > scale.storm {
        let need = scale.big as u64 + 200;
        let mine = crate::procs::raise_fd_limit();
        let theirs = server.fd_limit().unwrap_or(0);
        if mine < need || theirs < need {
            println!(
                "idle memory at {}: skipped, fd limits {mine} (generator) / {theirs} (server) < {need}",
                scale.big
            );
            f.rss.push((scale.big, None));
        } else {
            let more = scale.big - scale.storm;
            let (t2, took, failed, reason) =
                storm(server, auth, auth.room, scale.storm, more).await;
            tasks.extend(t2);
            println!(
                "{more} more sockets in {:.3} s ({failed} failed{})",
                took.as_secs_f64(),
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            );
            tokio::time::sleep(scale.settle).await;
            server.wait_idle().await;
            let rss2 = server.rss_kib();
            let n = scale.big - failed;
            println!(
                "idle memory: RSS {rss2} KiB with {n} sockets: {:.1} KiB each",
                per(rss2, n)
            );
            f.rss.push((scale.big, Some(per(rss2, n))));
        }
    }
    close_all(tasks);
    tokio::time::sleep(scale.settle).await;
    server.wait_idle().await;
}

/// Acknowledgements one client got: send-to-ack latency from the intended send time.
struct Acks {
    intended: HashMap<u64, u64>,
    count: u64,
    last: Instant,
    latency: hdrhistogram::Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

fn reader(ws: futures::stream::SplitStream<Ws>, acks: Rc<RefCell<Acks>>, wake: Rc<Notify>) {
    tokio::task::spawn_local(async move {
        let mut ws = ws;
        while let Some(Ok(m)) = ws.next().await {
            let Message::Text(t) = m else { continue };
            let now = Instant::now();
            let mut a = acks.borrow_mut();
            if let Some(id) = client::ack(&t) {
                if let Some(sent) = a.intended.remove(&id) {
                    a.count += 1;
                    a.last = now;
                    let lat = micros_since_epoch(now).saturating_sub(sent).max(1);
                    a.latency.saturating_record(lat);
                    wake.notify_one();
                }
            } else if client::is_error(&t) {
                a.errors += 1;
                a.first_error.get_or_insert_with(|| t.as_str().to_owned());
            }
        }
    });
}

/// One client: send-to-ack p50/p99 at `scale.ack_rate` msg/s on a fixed schedule, then
/// acknowledged sends/s with 256 sends in flight, then the latency again right after that
/// burst (the database is busy with what the burst wrote: for Palaver, checkpointing it).
pub async fn persisted(server: &Server, auth: &mut Auth, scale: &Scale, f: &mut Figures) {
    // What the scenario before left running (a fan-out's resyncs, the checkpoint and index
    // merges of what it wrote) finishes first: this first figure is the quiet server's.
    server.wait_idle().await;
    auth.refresh().await;
    let (cookie, frame) = auth.socket(0, auth.sends);
    let ws = match client::connect(server.addr, cookie, &frame).await {
        Ok(ws) => ws,
        Err(e) => {
            println!("persisted sends: cannot connect: {e}");
            return;
        }
    };
    let (mut sink, stream) = ws.split();
    let acks = Rc::new(RefCell::new(Acks {
        intended: HashMap::new(),
        count: 0,
        last: Instant::now(),
        latency: client::histogram(),
        errors: 0,
        first_error: None,
    }));
    let wake = Rc::new(Notify::new());
    reader(stream, acks.clone(), wake.clone());
    let run = std::process::id() ^ 0x5e_0000;
    let conv = auth.sends;
    const WINDOW: u64 = 256;

    // Latency on a quiet server first, then the burst, then latency again.
    let mut next_id = 0u64;
    let Some(steady) =
        ack_latency(&mut sink, &acks, &wake, conv, run, &mut next_id, scale, "").await
    else {
        return;
    };
    f.ack_latency = Some(steady);
    reset(&acks);
    server.wait_idle().await;

    // Max acknowledged sends/s: keep WINDOW in flight for burst_secs.
    let (cpu0, gen0, started) = (server.cpu(), crate::procs::self_cpu(), Instant::now());
    let end = started + Duration::from_secs_f64(scale.burst_secs);
    let base = next_id;
    let mut sent = 0u64;
    while Instant::now() < end {
        let acked = acks.borrow().count;
        while sent - acked < WINDOW {
            let now = micros_since_epoch(Instant::now());
            acks.borrow_mut().intended.insert(base + sent, now);
            if sink
                .feed(client::send_frame(conv, run, base + sent, now))
                .await
                .is_err()
            {
                println!("persisted sends: socket closed");
                return;
            }
            sent += 1;
        }
        let _ = sink.flush().await;
        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
    }
    let drain = Instant::now() + Duration::from_secs(10);
    while acks.borrow().count < sent && Instant::now() < drain {
        let _ = tokio::time::timeout(Duration::from_millis(100), wake.notified()).await;
    }
    let (count, last) = (acks.borrow().count, acks.borrow().last);
    let secs = last
        .saturating_duration_since(started)
        .as_secs_f64()
        .max(1e-3);
    let cpu = server.cpu().saturating_sub(cpu0);
    let per_ack = cpu.as_secs_f64() * 1e6 / count.max(1) as f64;
    let busy = crate::procs::self_cpu().saturating_sub(gen0).as_secs_f64() / secs;
    println!(
        "max acknowledged sends: {count}/{sent} acked in {secs:.2} s: {:.0}/s, server CPU {per_ack:.1} µs per ack ({:.0}% of its core), generator busy {:.0}%",
        count as f64 / secs,
        cpu.as_secs_f64() / secs * 100.0,
        busy * 100.0
    );
    f.max_acks = Some(count as f64 / secs);
    f.cpu_per_ack_us = Some(per_ack);
    next_id = base + sent;
    server.wait_idle().await;

    reset(&acks);
    f.ack_latency_after_burst = ack_latency(
        &mut sink,
        &acks,
        &wake,
        conv,
        run,
        &mut next_id,
        scale,
        " right after the burst",
    )
    .await;
}

/// Forgets what a phase measured.
fn reset(acks: &Rc<RefCell<Acks>>) {
    let mut a = acks.borrow_mut();
    a.intended.clear();
    a.latency.reset();
    a.count = 0;
}

/// Send-to-ack latency at `scale.ack_rate` msg/s, open loop; ids from `next_id` on. None when
/// the socket closed.
#[allow(clippy::too_many_arguments)]
async fn ack_latency(
    sink: &mut futures::stream::SplitSink<Ws, Message>,
    acks: &Rc<RefCell<Acks>>,
    wake: &Notify,
    conv: i64,
    run: u32,
    next_id: &mut u64,
    scale: &Scale,
    when: &str,
) -> Option<(f64, f64)> {
    let n = (scale.ack_rate * scale.ack_secs).round() as u64;
    let period = Duration::from_secs_f64(1.0 / scale.ack_rate);
    let t0 = Instant::now() + Duration::from_millis(5);
    let mut lag_max = Duration::ZERO;
    for i in 0..n {
        let due = t0 + period.mul_f64(i as f64);
        client::wait_until(due).await;
        lag_max = lag_max.max(Instant::now().saturating_duration_since(due));
        let id = *next_id + i;
        let intended = micros_since_epoch(due);
        acks.borrow_mut().intended.insert(id, intended);
        if sink
            .send(client::send_frame(conv, run, id, intended))
            .await
            .is_err()
        {
            println!("persisted sends: socket closed");
            return None;
        }
    }
    *next_id += n;
    let drain = Instant::now() + Duration::from_secs(10);
    while acks.borrow().count < n && Instant::now() < drain {
        let _ = tokio::time::timeout(Duration::from_millis(100), wake.notified()).await;
    }
    let a = acks.borrow();
    let (p50, p99) = (
        a.latency.value_at_quantile(0.5),
        a.latency.value_at_quantile(0.99),
    );
    println!(
        "send-to-ack at {} msg/s{when}: {}/{n} acked, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; send lag max {:.2} ms",
        scale.ack_rate,
        a.count,
        ms(p50),
        ms(p99),
        ms(a.latency.max()),
        lag_max.as_secs_f64() * 1e3
    );
    if a.errors > 0 {
        println!(
            "errors: {} (first: {})",
            a.errors,
            a.first_error.as_deref().unwrap_or("")
        );
    }
    Some((ms(p50), ms(p99)))
}
