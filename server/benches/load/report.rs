//! The table the issue asks for: one per store, rows are scenarios, columns the baseline,
//! Palaver and Palaver/baseline.

use crate::Scale;

/// What one server measured (None: not measured).
#[derive(Default)]
pub struct Figures {
    /// Deliveries/s of the last rate that held; true when it is a lower bound (every rate
    /// held, or the generator was the one saturated).
    pub max_fanout: Option<(f64, bool)>,
    /// The fixed load through this server's room...
    pub fixed: Option<Fixed>,
    /// ...and through the baseline's, in the rounds that alternated with it.
    pub fixed_baseline: Option<Fixed>,
    pub max_acks: Option<f64>,
    pub cpu_per_ack_us: Option<f64>,
    /// Send-to-ack p50, p99 in ms, on a quiet server.
    pub ack_latency: Option<(f64, f64)>,
    /// The same right after the max-sends burst.
    pub ack_latency_after_burst: Option<(f64, f64)>,
    /// (sockets, KiB per idle socket).
    pub rss: Vec<(usize, Option<f64>)>,
    /// (sockets, seconds, failures).
    pub storm: Option<(usize, f64, usize)>,
}

/// One server's fixed load, pooled over its rounds.
pub struct Fixed {
    pub deliveries_per_s: f64,
    /// Send-to-receive p50, p99 in ms, over every delivery of every round.
    pub latency: (f64, f64),
    /// Server CPU time over the rounds / deliveries (µs).
    pub cpu_per_delivery_us: f64,
    pub rounds: usize,
}

fn group(n: f64) -> String {
    let s = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(p: Option<f64>, b: Option<f64>) -> String {
    match (p, b) {
        (Some(p), Some(b)) if b > 0.0 => format!("{:.2}x", p / b),
        _ => "-".into(),
    }
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

fn max_fanout(v: Option<(f64, bool)>) -> String {
    match v {
        Some((d, true)) => format!(">= {}", group(d)),
        Some((d, false)) => group(d),
        None => "none held".into(),
    }
}

fn pair(v: Option<(f64, f64)>, unit: &str) -> String {
    or_dash(v.map(|(a, b)| format!("{a:.2} / {b:.2} {unit}")))
}

fn pair_ratio(p: Option<(f64, f64)>, b: Option<(f64, f64)>) -> String {
    match (p, b) {
        (Some(p), Some(b)) if b.0 > 0.0 && b.1 > 0.0 => {
            format!("{:.2}x / {:.2}x", p.0 / b.0, p.1 / b.1)
        }
        _ => "-".into(),
    }
}

fn rss_of(f: &Figures, n: usize) -> Option<f64> {
    f.rss.iter().find(|(m, _)| *m == n).and_then(|(_, v)| *v)
}

/// Prints the table for one store (`p` None: that store did not run).
pub fn table(store: &str, b: &Figures, p: Option<&Figures>, scale: &Scale) {
    println!("\n### {store}\n");
    let Some(p) = p else {
        println!("(not measured)");
        return;
    };
    println!("| | raw tokio broadcast (the limit) | Palaver | Palaver / baseline |");
    println!("|---|---|---|---|");
    let row = |name: String, bv: String, pv: String, r: String| {
        println!("| {name} | {bv} | {pv} | {r} |");
    };
    row(
        format!(
            "max sustained deliveries/s, 1 room x {} sockets (p99 <= 100 ms, loss <= 0.1%)",
            scale.room
        ),
        max_fanout(b.max_fanout),
        max_fanout(p.max_fanout),
        ratio(p.max_fanout.map(|v| v.0), b.max_fanout.map(|v| v.0)),
    );
    // The baseline's fixed-load figures are those of the rounds that alternated with this
    // store's (load/fanout.rs).
    let (bf, pf) = (p.fixed_baseline.as_ref(), p.fixed.as_ref());
    let rounds = pf.map_or(String::new(), |f| {
        format!(
            " ({} rounds of {} s each, alternating)",
            f.rounds, scale.fixed_secs
        )
    });
    row(
        format!(
            "send-to-receive p50 / p99 at {} msg/s x {}{rounds}",
            scale.fixed_rate, scale.room
        ),
        pair(bf.map(|f| f.latency), "ms"),
        pair(pf.map(|f| f.latency), "ms"),
        pair_ratio(pf.map(|f| f.latency), bf.map(|f| f.latency)),
    );
    let us = |v: Option<f64>| or_dash(v.map(|v| format!("{v:.1} µs")));
    let cpu = |f: Option<&Fixed>| f.map(|f| f.cpu_per_delivery_us);
    row(
        format!(
            "server CPU per delivery at {} deliveries/s",
            group(pf.or(bf).map_or(0.0, |f| f.deliveries_per_s))
        ),
        us(cpu(bf)),
        us(cpu(pf)),
        ratio(cpu(pf), cpu(bf)),
    );
    row(
        "max acknowledged sends/s from one client (baseline: echo; Palaver: committed)".into(),
        or_dash(b.max_acks.map(group)),
        or_dash(p.max_acks.map(group)),
        ratio(p.max_acks, b.max_acks),
    );
    row(
        "server CPU per acknowledged send (at max)".into(),
        us(b.cpu_per_ack_us),
        us(p.cpu_per_ack_us),
        ratio(p.cpu_per_ack_us, b.cpu_per_ack_us),
    );
    row(
        format!("send-to-ack p50 / p99 at {} msg/s", scale.ack_rate),
        pair(b.ack_latency, "ms"),
        pair(p.ack_latency, "ms"),
        pair_ratio(p.ack_latency, b.ack_latency),
    );
    row(
        format!(
            "send-to-ack p50 / p99 at {} msg/s, right after the burst",
            scale.ack_rate
        ),
        pair(b.ack_latency_after_burst, "ms"),
        pair(p.ack_latency_after_burst, "ms"),
        pair_ratio(p.ack_latency_after_burst, b.ack_latency_after_burst),
    );
    for n in [scale.storm, scale.big] {
        if n == 0 || (n == scale.big && scale.big <= scale.storm) {
            continue;
        }
        let kib = |v: Option<f64>| or_dash(v.map(|v| format!("{v:.1} KiB")));
        let (bv, pv) = (rss_of(b, n), rss_of(p, n));
        let skipped = p.rss.iter().any(|(m, v)| *m == n && v.is_none());
        row(
            format!(
                "RSS per idle authenticated socket ({} sockets)",
                group(n as f64)
            ),
            kib(bv),
            if skipped {
                "skipped (fd limit)".into()
            } else {
                kib(pv)
            },
            ratio(pv, bv),
        );
    }
    let storm = |f: &Figures| {
        f.storm.map(|(_, s, failed)| {
            if failed > 0 {
                format!("{s:.2} s ({failed} failed)")
            } else {
                format!("{s:.2} s")
            }
        })
    };
    row(
        format!(
            "connect + authenticate + subscribe {} sockets",
            group(scale.storm as f64)
        ),
        or_dash(storm(b)),
        or_dash(storm(p)),
        ratio(p.storm.map(|s| s.1), b.storm.map(|s| s.1)),
    );
}
