//! The real `palaver` binary as a child process, for suites that kill it or measure it.

use super::Client;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A free loopback address (the port is released for the server to take).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound address")
}

/// The server process; killed (SIGKILL) and reaped when dropped.
pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    /// Starts the binary on `addr` with `dir` as its data directory and waits for /healthz.
    pub async fn start(addr: SocketAddr, dir: &Path) -> ServerProcess {
        Self::start_with(addr, dir, &[]).await
    }

    /// Like [`Self::start`], with more flags.
    pub async fn start_with(addr: SocketAddr, dir: &Path, extra: &[&str]) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_palaver"));
        command
            .args(["--listen", &addr.to_string(), "--data-dir"])
            .arg(dir);
        if let Some(url) = super::store::database_url_for(dir).await {
            command.args(["--database-url", &url]);
        }
        let child = command
            // These suites push far more traffic from one address than a person would.
            .args([
                "--messages-per-minute",
                "1000000",
                "--sign-ups-per-hour",
                "100000",
            ])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        let server = ServerProcess { child };
        for _ in 0..200 {
            if reqwest::get(format!("http://{addr}/healthz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not come up");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A memory figure of the process from /proc, in KiB: `VmRSS` (now) or `VmHWM` (peak).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILL: no shutdown, no flush, nothing (dropping does it).
    pub fn kill9(self) {}
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Client {
    /// A browser-like client (cookie jar) for a server at `addr`.
    pub fn for_addr(addr: SocketAddr) -> Client {
        Client::new(addr)
    }
}
