//! The servers under test as child processes (pinned to core 0 with `taskset`, fd limit raised
//! with `ulimit -n`), what /proc says about them (RSS, CPU time), the generator's own pinning,
//! and the PostgreSQL database a Palaver run gets.

use crate::Scale;
use sqlx::Connection;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Baseline,
    Sqlite,
    /// SQLite with `--durability full`: an fsync per commit (per group-commit batch).
    SqliteFull,
    Postgres,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Baseline => "raw tokio broadcast baseline",
            Kind::Sqlite => "Palaver on SQLite",
            Kind::SqliteFull => "Palaver on SQLite, --durability full",
            Kind::Postgres => "Palaver on PostgreSQL",
        }
    }

    /// The server's name in file names (profiles).
    pub fn file_stem(self) -> &'static str {
        match self {
            Kind::Baseline => "baseline",
            Kind::Sqlite => "palaver-sqlite",
            Kind::SqliteFull => "palaver-sqlite-full",
            Kind::Postgres => "palaver-postgres",
        }
    }
}

pub struct Server {
    pub kind: Kind,
    pub addr: SocketAddr,
    pid: i32,
    child: Child,
    log: PathBuf,
    /// The temp data directory (SQLite database, signing key, log).
    _dir: tempfile::TempDir,
    /// (admin URL, database name) of a PostgreSQL run, dropped after.
    pg: Option<(String, String)>,
}

fn pg_admin_url() -> String {
    std::env::var("PALAVER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A port nobody listens on right now (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    pub async fn start(kind: Kind, bin: &Path, scale: &Scale) -> Result<Server, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut pg = None;
        let mut argv: Vec<String> = match kind {
            Kind::Baseline => {
                let me = std::env::current_exe().map_err(|e| e.to_string())?;
                vec![
                    me.display().to_string(),
                    "--baseline".into(),
                    port.to_string(),
                ]
            }
            Kind::Sqlite | Kind::SqliteFull | Kind::Postgres => {
                let sockets = scale.big.max(scale.storm).max(scale.room) + 100;
                let mut v = vec![bin.display().to_string()];
                let flags = [
                    ("--listen", addr.to_string()),
                    ("--data-dir", dir.path().display().to_string()),
                    ("--site-root", dir.path().join("site").display().to_string()),
                    ("--sign-ups-per-hour", "100000".into()),
                    ("--messages-per-minute", "1000000000".into()),
                    ("--sockets-per-user", sockets.min(10_000).to_string()),
                    ("--connections-per-address", "0".into()),
                    ("--max-members", "100000".into()),
                    ("--conversations-per-hour", "10000".into()),
                    ("--idle-timeout-secs", "3600".into()),
                    ("--token-ttl-secs", "900".into()),
                    (
                        "--durability",
                        if kind == Kind::SqliteFull {
                            "full"
                        } else {
                            "normal"
                        }
                        .into(),
                    ),
                ];
                for (k, val) in flags {
                    v.push(k.into());
                    v.push(val);
                }
                v
            }
        };
        if kind == Kind::Postgres {
            let admin = pg_admin_url();
            let name = format!("palaver_load_{}_{}", std::process::id(), port);
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .map_err(|e| format!("PostgreSQL not reachable at {admin}: {e}"))?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .map_err(|e| format!("cannot create database {name}: {e}"))?;
            let mut url = reqwest::Url::parse(&admin).map_err(|e| e.to_string())?;
            url.set_path(&name);
            argv.push("--database-url".into());
            argv.push(url.to_string());
            pg = Some((admin, name));
        }
        let pin = if cores() >= 2 {
            "exec taskset -c 0 \"$@\""
        } else {
            "exec \"$@\""
        };
        let script = format!("ulimit -n 65536 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; {pin}");
        let log = dir.path().join("server.log");
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(&argv)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(|e| e.to_string())?)
            .stderr(out)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
        let pid = child.id() as i32;
        let mut server = Server {
            kind,
            addr,
            pid,
            child,
            log,
            _dir: dir,
            pg,
        };
        server.wait_ready().await?;
        println!(
            "started pid {pid} on {addr}, fd limit {}",
            server.fd_limit().map_or("?".into(), |n| n.to_string())
        );
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        let url = format!("http://{}/healthz", self.addr);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("server exited ({status}): {}", self.log_tail()));
            }
            let up = match self.kind {
                Kind::Baseline => tokio::net::TcpStream::connect(self.addr).await.is_ok(),
                _ => http
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success()),
            };
            if up {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("server not up within 60 s: {}", self.log_tail()))
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// How many lines of the server's log so far hold `needle` (the bench runs the server with
    /// `RUST_LOG=warn`: a lagged subscriber's resync is one such line).
    pub fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// User + system CPU time of the server so far (all its threads).
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start at the state, field 3.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let ticks = f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0);
        Duration::from_secs_f64(ticks as f64 / clock_ticks())
    }

    /// Time the server's threads spent runnable but waiting for a core (another process
    /// had it): a loaded machine shows here.
    pub fn waited(&self) -> Duration {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid));
        let total = tasks
            .into_iter()
            .flatten()
            .flatten()
            .map(|t| schedstat_wait(&t.path().join("schedstat")))
            .sum();
        Duration::from_nanos(total)
    }

    /// Resident set size in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// The server's soft limit on open files.
    pub fn fd_limit(&self) -> Option<u64> {
        let limits =
            std::fs::read_to_string(format!("/proc/{}/limits", self.pid)).unwrap_or_default();
        limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
    }

    /// Waits (at most 30 s) until the server uses under 5% of a core: what an earlier
    /// scenario left queued is done.
    pub async fn wait_idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut quiet = 0;
        while Instant::now() < deadline && quiet < 2 {
            let before = self.cpu();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let used = self.cpu().saturating_sub(before);
            quiet = if used < Duration::from_millis(15) {
                quiet + 1
            } else {
                0
            };
        }
    }

    /// SIGTERM, then SIGKILL after 10 s; drops the PostgreSQL database.
    pub async fn stop(mut self) {
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin, name)) = self.pg.take() {
            let dropped = async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
            };
            if let Err(e) = dropped.await {
                println!("could not drop database {name}: {e}");
            }
        }
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// CPU time of this process (the load generator) so far.
pub fn self_cpu() -> Duration {
    // SAFETY: getrusage writes into the struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Nanoseconds a task spent waiting on a run queue (/proc/.../schedstat, second field).
fn schedstat_wait(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Time this process's main thread (the generator's runtime) waited for its core.
pub fn self_waited() -> Duration {
    Duration::from_nanos(schedstat_wait(Path::new("/proc/thread-self/schedstat")))
}

/// Cores this machine has online.
pub fn cores() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    n.max(1) as usize
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Pins this process (its threads to come inherit it) to `core`.
pub fn pin_self_to_core(core: usize) -> Result<(), String> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
    }
    Ok(())
}

/// Raises this process's soft limit on open files to its hard limit; returns the limit.
pub fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) != 0 {
            return 1024;
        }
        l.rlim_cur = l.rlim_max.min(65_536);
        libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur as u64
    }
}
