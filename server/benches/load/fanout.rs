//! The fan-out scenarios, on one room of `scale.room` sockets: a fixed load (send-to-receive
//! p50/p99 over every delivery, server CPU per delivery), then the rate ramped until p99 >
//! 100 ms or loss > 0.1% (max sustained deliveries/s).
//!
//! The fixed load runs in rounds that alternate with the baseline's own room: on a shared
//! 2-core machine the speed a server gets drifts by a quarter from one minute to the next, so
//! two servers measured one after the other, ten seconds each, met different machines. The
//! baseline goes first in even rounds and second in odd ones (a steady drift weighs on both
//! alike), and each server's figures pool the deliveries of all its rounds.

use crate::client::ms;
use crate::procs::Server;
use crate::profile;
use crate::report::{Figures, Fixed};
use crate::room::{self, Room, Step};
use crate::setup::Auth;
use crate::Scale;
use hdrhistogram::Histogram;
use std::time::Duration;

/// The baseline server, still running, and how to open sockets on it: the fixed load's
/// rounds alternate with it.
pub struct Baseline<'a> {
    pub server: &'a Server,
    pub auth: &'a Auth,
}

/// Fixed load (when a baseline is given, in rounds alternating with it), then the ramp.
pub async fn fixed_and_ramp(
    server: &Server,
    auth: &mut Auth,
    scale: &Scale,
    f: &mut Figures,
    baseline: Option<Baseline<'_>>,
) {
    auth.refresh().await;
    let mut room = match room::open(server, auth, scale).await {
        Ok(r) => r,
        Err(e) => {
            println!("fan-out: cannot open the room: {e}");
            return;
        }
    };
    if let Some(b) = baseline {
        match room::open(b.server, b.auth, scale).await {
            Ok(mut base_room) => {
                let sides = [(b.server, &mut base_room), (server, &mut room)];
                alternate(sides, scale, f).await;
                base_room.close();
                tokio::time::sleep(scale.settle).await;
                b.server.wait_idle().await;
            }
            Err(e) => println!("fixed load: cannot open the baseline's room: {e}"),
        }
        server.wait_idle().await;
    }

    if let Some(rate) = profile::rate() {
        match profile::start(server) {
            Ok(recording) => {
                let step = room
                    .step(server, rate, profile::SECONDS, Duration::from_secs(2))
                    .await;
                step.print("profiled", room.fanout);
                recording.finish();
            }
            Err(e) => println!("no profile: {e}"),
        }
        // A profile run is for the profile: the ramp's figures would come from a server
        // that perf has just slowed.
        room.close();
        return;
    }
    ramp(server, &mut room, scale, f).await;
    room.close();
    tokio::time::sleep(scale.settle).await;
    server.wait_idle().await;
}

/// One server's fixed-load rounds, pooled.
struct Pool {
    latency: Histogram<u64>,
    cpu: Duration,
    received: u64,
    /// (p50, p99) of each round, µs.
    rounds: Vec<(u64, u64)>,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            latency: crate::client::histogram(),
            cpu: Duration::ZERO,
            received: 0,
            rounds: Vec::new(),
        }
    }

    fn add(&mut self, step: &Step) {
        // Both histograms have the same bounds: adding cannot fail.
        let _ = self.latency.add(&step.latency);
        self.cpu += step.server_cpu;
        self.received += step.received;
        self.rounds.push((step.p50, step.p99));
    }

    fn figures(&self, deliveries_per_s: f64) -> Fixed {
        Fixed {
            deliveries_per_s,
            latency: (
                ms(self.latency.value_at_quantile(0.5)),
                ms(self.latency.value_at_quantile(0.99)),
            ),
            cpu_per_delivery_us: self.cpu.as_secs_f64() * 1e6 / self.received.max(1) as f64,
            rounds: self.rounds.len(),
        }
    }
}

/// The median of some ratios (None when there are none).
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// `scale.fixed_rounds` rounds of the fixed load, each through the baseline's room
/// (`sides[0]`) and this server's (`sides[1]`) in turn; the pooled figures go to `f`.
async fn alternate(mut sides: [(&Server, &mut Room); 2], scale: &Scale, f: &mut Figures) {
    let mut pools = [Pool::new(), Pool::new()];
    let names = ["baseline", "Palaver "];
    for r in 0..scale.fixed_rounds {
        let order = if r % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let (server, room) = &mut sides[which];
            server.wait_idle().await;
            let step = room
                .step(
                    server,
                    scale.fixed_rate,
                    scale.fixed_secs,
                    Duration::from_secs(5),
                )
                .await;
            let label = format!(
                "fixed load, round {}/{}, {}",
                r + 1,
                scale.fixed_rounds,
                names[which]
            );
            step.print(&label, room.fanout);
            if step.errors > 0 {
                let seen = room.seen.borrow();
                println!("first error: {}", seen.first_error.as_deref().unwrap_or(""));
            }
            pools[which].add(&step);
        }
    }
    let ratios = |pick: fn(&(u64, u64)) -> u64| -> Vec<f64> {
        let (b, p) = (&pools[0].rounds, &pools[1].rounds);
        b.iter()
            .zip(p)
            .map(|(b, p)| pick(p) as f64 / pick(b).max(1) as f64)
            .collect()
    };
    let (p50s, p99s) = (ratios(|r| r.0), ratios(|r| r.1));
    let list = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{r:.2}x"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "fixed load, Palaver / baseline per round: p50 {} (median {:.2}x), p99 {} (median {:.2}x)",
        list(&p50s),
        median(p50s.clone()).unwrap_or(f64::NAN),
        list(&p99s),
        median(p99s.clone()).unwrap_or(f64::NAN),
    );
    let rate = |room: &Room| scale.fixed_rate * room.fanout as f64;
    f.fixed_baseline = Some(pools[0].figures(rate(sides[0].1)));
    f.fixed = Some(pools[1].figures(rate(sides[1].1)));
}

/// Up the ramp until a rate fails (`scale.tries` times in a row), then bisect
/// (geometrically) between the last rate that held and the one that failed.
async fn ramp(server: &Server, room: &mut Room, scale: &Scale, f: &mut Figures) {
    let mut held: Option<f64> = None;
    let mut failed: Option<f64> = None;
    let mut bound = true;
    let mut rates = scale.ramp.iter().copied();
    let mut refinements = scale.refine;
    loop {
        let rate = match (held, failed) {
            (_, None) => match rates.next() {
                Some(r) => r,
                None => break,
            },
            (Some(h), Some(f)) if refinements > 0 => {
                refinements -= 1;
                ((h * f).sqrt() / 10.0).round() * 10.0
            }
            _ => break,
        };
        server.wait_idle().await;
        let mut step = room
            .step(server, rate, scale.step_secs, Duration::from_secs(2))
            .await;
        step.print("ramp", room.fanout);
        for _ in 1..scale.tries {
            // Once more: on a shared machine one stall of another process fails a step.
            if step.held() {
                break;
            }
            server.wait_idle().await;
            step = room
                .step(server, rate, scale.step_secs, Duration::from_secs(2))
                .await;
            step.print("again", room.fanout);
        }
        if step.held() {
            held = Some(held.map_or(rate, |h: f64| h.max(rate)));
        } else {
            if failed.is_none() {
                bound = step.generator_saturated();
            }
            failed = Some(failed.map_or(rate, |f: f64| f.min(rate)));
        }
    }
    if bound && held.is_some() {
        println!(
            "every rate held, or the generator's core was saturated when one failed: a lower bound"
        );
    }
    let held = held.map(|r| r * room.fanout as f64);
    println!(
        "max sustained: {} deliveries/s",
        held.map_or("none held".into(), |d| format!(
            "{}{d:.0}",
            if bound { ">= " } else { "" }
        ))
    );
    f.max_fanout = held.map(|d| (d, bound));
}
