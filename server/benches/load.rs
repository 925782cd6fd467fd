//! Load benchmark (issue 12, goal 5): Palaver's release binary against a raw tokio broadcast
//! server of the same shape, in one run, each a separate process pinned to core 0, driven by
//! an open-loop load generator pinned to core 1.
//!
//! Scenarios, per server: idle memory and connect storm (N sockets connect, authenticate and
//! subscribe; RSS per idle socket), fixed load (1 room, 50 msg/s, 64-byte bodies: send-to-receive
//! p50/p99 over every delivery, server CPU per delivery; in rounds that alternate with the
//! baseline, which keeps running beside each Palaver server for it), max sustained fan-out (the rate is
//! ramped until p99 > 100 ms or loss > 0.1%), max persisted sends (one client, acknowledged
//! sends/s, and send-to-ack p50/p99 at 100 msg/s). Palaver runs on SQLite, then on PostgreSQL.
//! Latencies are measured from each message's intended send time (a fixed schedule), so a
//! stalled server cannot hide its backlog (no coordinated omission). Figures are printed, not
//! asserted.
//!
//! `make bench` runs the full size, `make test` the small one (`PALAVER_BENCH_SCALE=small`).
//! Environment: `PALAVER_BENCH_SERVER` (the Palaver binary, default target/release/palaver),
//! `PALAVER_BENCH_SCALE` (`full` or `small`), `PALAVER_BENCH_STORES` (default
//! `sqlite,sqlite-full,postgres` at full size, `sqlite,postgres` small; `sqlite-full` is SQLite
//! with `--durability full`), `PALAVER_TEST_POSTGRES` (admin URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; a fresh database is created and dropped),
//! `PALAVER_BENCH_SCENARIOS` (a comma-separated subset of `memory,fanout,sends`; default all),
//! `PALAVER_BENCH_PROFILE` (a rate in msg/s: the fan-out room is sampled with `perf` at that
//! rate, see `load/profile.rs` and `make profile`).
//!
//! The same binary is the baseline server when started as `load --baseline PORT`.

#[path = "load/baseline.rs"]
mod baseline;
#[path = "load/client.rs"]
mod client;
#[path = "load/fanout.rs"]
mod fanout;
#[path = "load/procs.rs"]
mod procs;
#[path = "load/profile.rs"]
mod profile;
#[path = "load/report.rs"]
mod report;
#[path = "load/room.rs"]
mod room;
#[path = "load/scenarios.rs"]
mod scenarios;
#[path = "load/setup.rs"]
mod setup;

use procs::{Kind, Server};
use report::Figures;
use std::path::PathBuf;
use std::time::Duration;

/// How big a run is: `full` for `make bench`, `small` for `make test`.
pub struct Scale {
    pub name: &'static str,
    /// Palaver accounts the sockets are spread over (sign-up hashes with argon2: slow).
    pub users: usize,
    /// Sockets of the connect storm and the first idle-memory figure.
    pub storm: usize,
    /// The second idle-memory figure (0: skipped).
    pub big: usize,
    /// Sockets in the fan-out room.
    pub room: usize,
    /// Sockets of the room that also send (distinct users), round robin.
    pub senders: usize,
    pub fixed_rate: f64,
    /// Each round of the fixed load (per server; rounds alternate between the two).
    pub fixed_secs: f64,
    pub fixed_rounds: usize,
    /// Messages/s into the room, tried in order until one fails.
    pub ramp: Vec<f64>,
    pub step_secs: f64,
    /// Bisections between the last rate that held and the first that failed.
    pub refine: usize,
    /// Tries of a failed step before it counts as failed.
    pub tries: usize,
    /// Length of the max-acknowledged-sends run.
    pub burst_secs: f64,
    pub ack_rate: f64,
    pub ack_secs: f64,
    /// Pause before reading memory, and between scenarios.
    pub settle: Duration,
}

impl Scale {
    fn from_env() -> Scale {
        match std::env::var("PALAVER_BENCH_SCALE").as_deref() {
            Ok("small") => Scale {
                name: "small",
                users: 10,
                storm: 200,
                big: 0,
                room: 200,
                senders: 4,
                fixed_rate: 50.0,
                fixed_secs: 1.0,
                fixed_rounds: 2,
                ramp: vec![50.0, 200.0, 800.0, 3200.0],
                step_secs: 1.0,
                refine: 1,
                tries: 1,
                burst_secs: 1.0,
                ack_rate: 100.0,
                ack_secs: 2.0,
                settle: Duration::from_millis(500),
            },
            Ok("full") | Err(_) => Scale {
                name: "full",
                users: 50,
                storm: 5_000,
                big: 15_000,
                room: 1_000,
                senders: 4,
                fixed_rate: 50.0,
                fixed_secs: 5.0,
                fixed_rounds: 6,
                ramp: vec![
                    50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 700.0, 1000.0, 1500.0, 2000.0,
                    3000.0, 4000.0, 6000.0, 8000.0,
                ],
                step_secs: 5.0,
                refine: 2,
                tries: 2,
                burst_secs: 5.0,
                ack_rate: 100.0,
                ack_secs: 10.0,
                settle: Duration::from_secs(2),
            },
            Ok(other) => panic!("PALAVER_BENCH_SCALE must be full or small, not {other:?}"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--baseline") {
        let port = args
            .get(i + 1)
            .and_then(|p| p.parse().ok())
            .expect("usage: load --baseline PORT");
        baseline::serve(port);
        return;
    }
    let scale = Scale::from_env();
    let cores = procs::cores();
    let loadavg = procs::loadavg();
    let pinned = if cores >= 2 {
        procs::pin_self_to_core(1)
    } else {
        Err(format!("{cores} core(s): nothing to pin apart"))
    };
    let fds = procs::raise_fd_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(scale, cores, loadavg, pinned, fds));
}

fn server_binary() -> PathBuf {
    match std::env::var_os("PALAVER_BENCH_SERVER") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/palaver"),
    }
}

async fn run(scale: Scale, cores: usize, loadavg: String, pinned: Result<(), String>, fds: u64) {
    let bin = server_binary();
    assert!(
        bin.exists(),
        "no Palaver binary at {} (build it with `make site`, or set PALAVER_BENCH_SERVER)",
        bin.display()
    );
    // The full run also prints what `--durability full` (an fsync per batch) costs.
    let stores = std::env::var("PALAVER_BENCH_STORES").unwrap_or(if scale.name == "full" {
        "sqlite,sqlite-full,postgres".into()
    } else {
        "sqlite,postgres".into()
    });
    println!("\n== load bench ({} scale) ==", scale.name);
    println!("Palaver binary: {}", bin.display());
    println!("machine at start: {cores} cores, /proc/loadavg {loadavg}");
    println!(
        "servers pinned to core 0 (taskset); generator: {}; generator built {}; fd limit {fds}",
        match &pinned {
            Ok(()) => "pinned to core 1".to_owned(),
            Err(e) => format!("not pinned ({e})"),
        },
        if cfg!(debug_assertions) {
            "unoptimised (dev profile; the baseline server too)"
        } else {
            "optimised"
        },
    );

    // The baseline keeps running (idle) while each store runs: the fixed load alternates
    // between the two.
    let base = run_server(Kind::Baseline, &bin, &scale, None).await;
    let mut tables = Vec::new();
    for store in stores.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind = match store {
            "sqlite" => Kind::Sqlite,
            "sqlite-full" => Kind::SqliteFull,
            "postgres" => Kind::Postgres,
            other => panic!("PALAVER_BENCH_STORES: unknown store {other:?}"),
        };
        let baseline = base
            .as_ref()
            .map(|(server, auth, _)| fanout::Baseline { server, auth });
        let ran = run_server(kind, &bin, &scale, baseline).await;
        tables.push((kind, stopped(ran).await));
    }
    let base = stopped(base).await;

    println!(
        "\n== results ({} scale; load at start {loadavg}, {cores} cores; now {}) ==",
        scale.name,
        procs::loadavg()
    );
    let Some(base) = base else {
        println!("the baseline did not run: no table");
        return;
    };
    for (kind, figures) in &tables {
        report::table(kind.label(), &base, figures.as_ref(), &scale);
    }
}

/// Stops a server [`run_server`] left running; its figures.
async fn stopped(ran: Option<(Server, setup::Auth, Figures)>) -> Option<Figures> {
    let (server, _, figures) = ran?;
    server.stop().await;
    Some(figures)
}

/// Starts one server and runs every scenario against it (the fixed load alternating with
/// `baseline` when given); the caller stops it.
async fn run_server(
    kind: Kind,
    bin: &std::path::Path,
    scale: &Scale,
    baseline: Option<fanout::Baseline<'_>>,
) -> Option<(Server, setup::Auth, Figures)> {
    println!("\n-- {} --", kind.label());
    let server = match Server::start(kind, bin, scale).await {
        Ok(s) => s,
        Err(e) => {
            println!("skipped: {e}");
            return None;
        }
    };
    let mut figures = Figures::default();
    let mut auth = setup::prepare(&server, scale).await;
    server.wait_idle().await;
    let only = std::env::var("PALAVER_BENCH_SCENARIOS").unwrap_or_default();
    let runs = |name: &str| only.is_empty() || only.split(',').any(|s| s.trim() == name);
    if runs("memory") {
        scenarios::storm_and_memory(&server, &mut auth, scale, &mut figures).await;
    }
    if runs("fanout") {
        fanout::fixed_and_ramp(&server, &mut auth, scale, &mut figures, baseline).await;
    }
    if runs("sends") {
        scenarios::persisted(&server, &mut auth, scale, &mut figures).await;
    }
    Some((server, auth, figures))
}
