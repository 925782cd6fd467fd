//! One room of `scale.room` sockets on one server, and a step of load through it.
//!
//! Open loop: message i of a step is due at t0 + i / rate whatever the server does; when the
//! generator wakes it sends every message that is due, and each receiver measures from the
//! due time written in the body. A server that stalls is charged its whole backlog.

use crate::client::{self, micros_since_epoch, ms, Deliveries, Ws};
use crate::procs::{self, Server};
use crate::setup::Auth;
use crate::Scale;
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

const P99_LIMIT_US: u64 = 100_000;
const LOSS_LIMIT: f64 = 0.001;
/// Schedules at most this dense (1,000 msg/s) send each message on time to the microsecond
/// ([`client::wait_until`]): the fixed load and the low steps of the ramp.
const PRECISE_PERIOD: Duration = Duration::from_millis(1);
/// What Palaver logs when a socket's subscription lagged (server/src/ws/deliver.rs).
const LAGGED: &str = "subscriber lagged";

pub struct Room {
    conversation: i64,
    senders: Vec<SplitSink<Ws, Message>>,
    tasks: Vec<JoinHandle<()>>,
    pub seen: Rc<RefCell<Deliveries>>,
    /// Deliveries per message (every socket of the room, the sender's own included).
    pub fanout: u64,
    next_id: u64,
    run: u32,
}

/// What one step measured.
pub struct Step {
    pub rate: f64,
    pub sent: u64,
    pub expected: u64,
    pub received: u64,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
    /// Every delivery's send-to-receive latency (µs).
    pub latency: Histogram<u64>,
    pub server_cpu: Duration,
    /// Share of a core the generator used while sending and draining.
    generator_busy: f64,
    /// Share of the time the generator, and the server's threads, waited for their core
    /// (other processes on it).
    generator_waited: f64,
    server_waited: f64,
    /// Worst lateness of the generator's own sends against their schedule (µs).
    send_lag_max: u64,
    pub errors: u64,
    /// Subscribers that fell behind their conversation's channel and were resynced from the
    /// database during the step (read from the server's log).
    resyncs: usize,
}

impl Step {
    pub fn loss(&self) -> f64 {
        1.0 - self.received as f64 / self.expected.max(1) as f64
    }
    /// The generator's core had no time to spare: a failure may be the generator's.
    pub fn generator_saturated(&self) -> bool {
        self.generator_busy + self.generator_waited > 0.9
    }
    pub fn held(&self) -> bool {
        self.p99 <= P99_LIMIT_US && self.loss() <= LOSS_LIMIT && self.errors == 0
    }
    pub fn print(&self, label: &str, fanout: u64) {
        println!(
            "{label} {:>6} msg/s = {:>9.0} deliveries/s: {}/{} delivered (loss {:.3}%), p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; server CPU {:.2} s, waited {:.0}%; generator busy {:.0}%, waited {:.0}%, send lag max {:.1} ms{}",
            self.rate,
            self.rate * fanout as f64,
            self.received,
            self.expected,
            self.loss() * 100.0,
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.server_cpu.as_secs_f64(),
            self.server_waited * 100.0,
            self.generator_busy * 100.0,
            self.generator_waited * 100.0,
            ms(self.send_lag_max),
            if self.errors > 0 { format!(", {} error frames", self.errors) } else { String::new() }
        );
        if self.resyncs > 0 {
            println!(
                "    {} lagged subscribers resynced from the database",
                self.resyncs
            );
        }
    }
}

/// Opens the room's sockets (`scale.room`, the first `scale.senders` of them also sending) and
/// counts how many sockets a message reaches (the sender's own included or not).
pub async fn open(server: &Server, auth: &Auth, scale: &Scale) -> Result<Room, String> {
    let mut room = connect(server, auth, scale).await?;
    if room.senders.is_empty() {
        room.close();
        return Err("no sender socket".into());
    }
    tokio::time::sleep(scale.settle).await;
    server.wait_idle().await;
    let calib = room.step(server, 20.0, 1.0, Duration::from_secs(3)).await;
    let per = (calib.received as f64 / calib.sent as f64).round() as u64;
    if per != room.fanout {
        println!(
            "note: each message reached {per} of {} sockets; counting loss against {per}",
            room.fanout
        );
        room.fanout = per.max(1);
    }
    server.wait_idle().await;
    Ok(room)
}

async fn connect(server: &Server, auth: &Auth, scale: &Scale) -> Result<Room, String> {
    let gate = Arc::new(Semaphore::new(256));
    let seen = Rc::new(RefCell::new(Deliveries::new()));
    let (done, mut opened) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for i in 0..scale.room {
        let (cookie, frame) = auth.socket(i, auth.room);
        let cookie = cookie.map(str::to_owned);
        let (gate, done, seen, addr) = (gate.clone(), done.clone(), seen.clone(), server.addr);
        let sender = i < scale.senders.min(auth.users());
        tasks.push(tokio::task::spawn_local(async move {
            let permit = gate.acquire_owned().await.expect("semaphore");
            let ws = client::connect(addr, cookie.as_deref(), &frame).await;
            drop(permit);
            let (sink, mut stream) = match ws {
                Ok(ws) => ws.split(),
                Err(e) => {
                    let _ = done.send(Err(e));
                    return;
                }
            };
            let _ = done.send(Ok(sender.then_some(sink)));
            while let Some(Ok(m)) = stream.next().await {
                if let Message::Text(t) = m {
                    let now = micros_since_epoch(Instant::now());
                    seen.borrow_mut().on_text(&t, now);
                }
            }
        }));
    }
    let mut senders = Vec::new();
    for _ in 0..scale.room {
        match opened.recv().await.expect("socket task") {
            Ok(Some(sink)) => senders.push(sink),
            Ok(None) => {}
            Err(e) => {
                for t in tasks {
                    t.abort();
                }
                return Err(e);
            }
        }
    }
    Ok(Room {
        conversation: auth.room,
        senders,
        tasks,
        seen,
        fanout: scale.room as u64,
        next_id: 0,
        run: std::process::id(),
    })
}

impl Room {
    /// Sends `rate` msg/s for `secs` on a fixed schedule, then waits up to `drain` for the
    /// deliveries.
    pub async fn step(&mut self, server: &Server, rate: f64, secs: f64, drain: Duration) -> Step {
        let n = (rate * secs).round().max(1.0) as u64;
        let (lo, hi) = (self.next_id, self.next_id + n);
        self.next_id = hi;
        self.seen.borrow_mut().window(lo, hi);
        let errors0 = self.seen.borrow().errors;
        let resyncs0 = server.log_count(LAGGED);
        let (cpu0, gen0, started) = (server.cpu(), procs::self_cpu(), Instant::now());
        let (waited0, gen_waited0) = (server.waited(), procs::self_waited());
        let period = Duration::from_secs_f64(1.0 / rate);
        let t0 = started + Duration::from_millis(5);
        let mut lag_max = 0u64;
        let mut i = 0u64;
        let mut touched = vec![false; self.senders.len()];
        while i < n {
            let due = t0 + period.mul_f64(i as f64);
            if period >= PRECISE_PERIOD {
                client::wait_until(due).await;
            } else if due > Instant::now() {
                // Dense schedules send whatever is due at each wake: a millisecond late is
                // nothing against the 100 ms bound, and the generator's core is the limit.
                tokio::time::sleep_until(due.into()).await;
            }
            let now = Instant::now();
            lag_max = lag_max.max(now.saturating_duration_since(due).as_micros() as u64);
            loop {
                let due = t0 + period.mul_f64(i as f64);
                if i >= n || due > now {
                    break;
                }
                let id = lo + i;
                let s = (id % self.senders.len() as u64) as usize;
                let frame =
                    client::send_frame(self.conversation, self.run, id, micros_since_epoch(due));
                let _ = self.senders[s].feed(frame).await;
                touched[s] = true;
                i += 1;
            }
            for (s, t) in touched.iter_mut().enumerate() {
                if std::mem::take(t) {
                    let _ = self.senders[s].flush().await;
                }
            }
        }
        let sent_at = Instant::now();
        let expected = n * self.fanout;
        let deadline = sent_at + drain;
        while self.seen.borrow().count < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let wall = started.elapsed().as_secs_f64();
        let busy = procs::self_cpu().saturating_sub(gen0).as_secs_f64() / wall;
        let gen_waited = procs::self_waited()
            .saturating_sub(gen_waited0)
            .as_secs_f64()
            / wall;
        let server_waited = server.waited().saturating_sub(waited0).as_secs_f64() / wall;
        let seen = self.seen.borrow();
        Step {
            rate,
            sent: n,
            expected,
            received: seen.count,
            p50: seen.latency.value_at_quantile(0.5),
            p99: seen.latency.value_at_quantile(0.99),
            max: seen.latency.max(),
            latency: seen.latency.clone(),
            server_cpu: server.cpu().saturating_sub(cpu0),
            generator_busy: busy,
            generator_waited: gen_waited,
            server_waited,
            send_lag_max: lag_max,
            errors: seen.errors - errors0,
            resyncs: server.log_count(LAGGED).saturating_sub(resyncs0),
        }
    }

    pub fn close(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}
