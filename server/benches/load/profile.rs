//! `PALAVER_BENCH_PROFILE=RATE`: after the fixed load, the fan-out room runs at RATE msg/s
//! for [`SECONDS`] while `perf record` samples the server (call graphs unwound from DWARF, so
//! a release build without frame pointers still gives whole stacks). One file per server,
//! `<PALAVER_BENCH_PROFILE_DIR or target/profile>/<server>.perf.data`; `scripts/profile.sh`
//! turns them into flame graphs and the hottest functions. Unset: nothing is recorded.

use crate::procs::Server;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// How long a profile samples.
pub const SECONDS: f64 = 10.0;
/// Samples per second: enough for a 10 s window, few enough that DWARF stacks (16 KiB each)
/// stay small and perf itself takes little of the generator's core.
const FREQUENCY: u32 = 499;

/// The rate to hold while profiling, if a profile was asked for.
pub fn rate() -> Option<f64> {
    let rate = std::env::var("PALAVER_BENCH_PROFILE").ok()?;
    match rate.parse::<f64>() {
        Ok(r) if r > 0.0 => Some(r),
        _ => panic!("PALAVER_BENCH_PROFILE must be a rate in msg/s, not {rate:?}"),
    }
}

/// A running `perf record` of the server; [`Recording::finish`] waits for it.
pub struct Recording {
    child: std::process::Child,
    out: PathBuf,
}

/// Starts sampling `server` for [`SECONDS`], or says why it cannot.
pub fn start(server: &Server) -> Result<Recording, String> {
    let dir = std::env::var_os("PALAVER_BENCH_PROFILE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/profile"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join(format!("{}.perf.data", server.kind.file_stem()));
    let child = Command::new("perf")
        .args(["record", "--quiet", "-F", &FREQUENCY.to_string()])
        .args([
            "--call-graph",
            "dwarf,16384",
            "-p",
            &server.pid().to_string(),
        ])
        .arg("-o")
        .arg(&out)
        .args(["--", "sleep", &SECONDS.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run perf (Debian: apt install linux-perf): {e}"))?;
    Ok(Recording { child, out })
}

impl Recording {
    pub fn finish(mut self) {
        match self.child.wait() {
            Ok(s) if s.success() => println!("profile written: {}", self.out.display()),
            Ok(s) => println!(
                "perf record failed ({s}); is /proc/sys/kernel/perf_event_paranoid <= 1, or are we root?"
            ),
            Err(e) => println!("perf record: {e}"),
        }
    }
}
