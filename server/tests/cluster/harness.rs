//! The cluster under test: a NATS server on a random port (so the suite can stop it), a fresh
//! PostgreSQL database, and `palaver` processes started with the same flags, each with a
//! data directory of its own.

use crate::common::process::free_addr;
use crate::common::Client;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The key every node signs and checks tokens with (`--jwt-key`, required with
/// `--nats-url`).
const JWT_KEY: &str = "cluster-suite-shared-signing-key-0123456789";

/// The server binary: `PALAVER_CLUSTER_SERVER` (the cluster bench runs the release build; a
/// relative path is from the workspace root), else the one cargo built with this suite.
pub fn binary() -> PathBuf {
    match std::env::var_os("PALAVER_CLUSTER_SERVER") {
        Some(p) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p),
        None => PathBuf::from(env!("CARGO_BIN_EXE_palaver")),
    }
}

/// A nats-server child on a fixed port, stopped and started again by the suite.
pub struct Nats {
    pub addr: SocketAddr,
    child: Option<Child>,
}

impl Nats {
    pub async fn start() -> Nats {
        let mut nats = Nats {
            addr: free_addr(),
            child: None,
        };
        nats.resume().await;
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Starts the server again on the same port and waits until it accepts connections.
    pub async fn resume(&mut self) {
        let binary = [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "nats-server",
        ]
        .into_iter()
        .find(|p| !p.starts_with('/') || std::path::Path::new(p).exists())
        .expect("a nats-server binary");
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &self.addr.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts (scripts/setup.sh installs it)");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nats-server did not come up on {}", self.addr);
    }

    /// SIGKILL: every node loses the bus at once.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Node {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

pub struct Cluster {
    pub database_url: String,
    /// The nodes' shared `--files-dir`.
    files: tempfile::TempDir,
    pub nats: Nats,
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// `n` nodes on a fresh database, each ready (database and bus connected).
    pub async fn start(n: usize) -> Cluster {
        let mut cluster = Cluster {
            database_url: fresh_database().await,
            files: tempfile::tempdir().expect("temp dir"),
            nats: Nats::start().await,
            nodes: Vec::new(),
        };
        for _ in 0..n {
            cluster.nodes.push(Node {
                addr: free_addr(),
                dir: tempfile::tempdir().expect("temp dir"),
                child: None,
            });
        }
        // The first node migrates the database; the others find it migrated.
        for i in 0..n {
            cluster.resume(i).await;
        }
        cluster
    }

    pub fn addr(&self, i: usize) -> SocketAddr {
        self.nodes[i].addr
    }

    /// Starts node `i` (again) with the cluster's flags and waits until it is ready.
    pub async fn resume(&mut self, i: usize) {
        let node = &self.nodes[i];
        let child = Command::new(binary())
            .args(["--listen", &node.addr.to_string(), "--data-dir"])
            .arg(node.dir.path())
            .arg("--files-dir")
            .arg(self.files.path())
            .args(["--database-url", &self.database_url])
            .args(["--nats-url", &self.nats.url()])
            .args(["--jwt-key", JWT_KEY])
            .args(["--messages-per-minute", "1000000"])
            .args(["--sign-ups-per-hour", "100000"])
            .args(["--conversations-per-hour", "100000"])
            .args(["--connections-per-address", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        self.nodes[i].child = Some(child);
        assert!(
            self.ready_within(i, Duration::from_secs(20)).await,
            "node {i} did not become ready"
        );
    }

    /// Whether node `i` answers `/healthz/ready` with 200 within `limit`.
    pub async fn ready_within(&self, i: usize, limit: Duration) -> bool {
        let url = format!("http://{}/healthz/ready", self.addr(i));
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }

    /// `/healthz/ready`'s status on node `i`.
    pub async fn readiness(&self, i: usize) -> u16 {
        let url = format!("http://{}/healthz/ready", self.addr(i));
        reqwest::get(&url)
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// SIGKILL to node `i`: no shutdown, no flush.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGTERM) to node `i`.
    pub fn signal(&self, i: usize, signal: i32) {
        let pid = self.nodes[i].child.as_ref().expect("node runs").id();
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
    }

    /// A browser-like client whose requests go to node `i`, sharing `jar`'s cookies (a
    /// session is valid on every node).
    pub fn client_on(&self, i: usize, jar: &std::sync::Arc<reqwest::cookie::Jar>) -> Client {
        Client::sharing(self.addr(i), jar)
    }

    pub async fn database(&self) -> sqlx::AnyPool {
        crate::common::store::open(&self.database_url).await
    }

    /// Every seq stored in `conversation`, in order.
    pub async fn stored_seqs(&self, db: &sqlx::AnyPool, conversation: i64) -> Vec<i64> {
        sqlx::query_scalar("SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq")
            .bind(conversation)
            .fetch_all(db)
            .await
            .expect("messages readable")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            if let Some(child) = self.nodes[i].child.as_ref() {
                // A stopped node cannot die of SIGKILL until it is continued.
                unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
            }
            self.kill(i);
        }
    }
}

/// A new PostgreSQL database for one cluster.
async fn fresh_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    crate::common::store::create_database(&format!("palaver_t_cluster_{}_{n}", std::process::id()))
        .await
}
