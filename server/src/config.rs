//! Configuration: command-line flags, each with an environment-variable fallback.

use clap::Parser;
pub use palaver::server::store::Durability;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Clone)]
#[command(name = "palaver", version, about = "Palaver: self-hosted group chat")]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "PALAVER_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Address to serve `/metrics` on (Prometheus text format), e.g. 127.0.0.1:9100. Off when
    /// absent. Not for the public: bind it to loopback or a private network.
    #[arg(long, env = "PALAVER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// The origin users reach Palaver at, e.g. https://chat.example.com. Used for invite links,
    /// the token issuer, the cross-site allow-list and the cookie's Secure flag.
    /// Defaults to http://<listen>.
    #[arg(long, env = "PALAVER_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// Directory for the embedded database and the generated signing key.
    #[arg(long, env = "PALAVER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Directory of uploaded files (default <data-dir>/files). The nodes of a cluster share
    /// one: a directory on a shared file system (NFS), or the same one on one machine.
    #[arg(long, env = "PALAVER_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// Database URL: sqlite://<path> (the default, sqlite://<data-dir>/palaver.db) or
    /// postgres://user@host/db for PostgreSQL. Migrations run on start.
    #[arg(long, env = "PALAVER_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// When SQLite reports a commit done, and so when a message is acknowledged: `normal`
    /// (WAL, synchronous=NORMAL: a commit is in the operating system's hands; it survives
    /// kill -9 and a crash of Palaver, the last few commits may be lost on power loss or a
    /// kernel crash) or `full` (synchronous=FULL: one fsync per commit, which group commit
    /// shares among every message of a batch; survives power loss). PostgreSQL follows its
    /// own `synchronous_commit`.
    #[arg(long, env = "PALAVER_DURABILITY", default_value_t = Durability::Normal, value_parser = clap::value_parser!(Durability))]
    pub durability: Durability,

    /// NATS server carrying live events between the nodes of a cluster, e.g.
    /// nats://127.0.0.1:4222. Without it this node's events reach only its own sockets (one
    /// node). Needs a PostgreSQL --database-url and --jwt-key, the same on every node.
    #[arg(long, env = "PALAVER_NATS_URL")]
    pub nats_url: Option<String>,

    /// Subject prefix of this installation's events on NATS (`<prefix>.c.<id>`,
    /// `<prefix>.u.<id>`): two installations sharing one NATS server use two prefixes.
    #[arg(long, env = "PALAVER_NATS_PREFIX", default_value = "palaver")]
    pub nats_prefix: String,

    /// Connections to PostgreSQL this node opens at most (SQLite uses a fixed pool).
    #[arg(long, env = "PALAVER_DB_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,

    /// JWT signing key for WebSocket tokens (at least 32 bytes). When absent, a random
    /// 256-bit key is generated on first start and kept in <data-dir>/jwt.key.
    #[arg(long, env = "PALAVER_JWT_KEY", hide_env_values = true)]
    pub jwt_key: Option<String>,

    /// Lifetime of WebSocket tokens in seconds (at most 900).
    #[arg(long, env = "PALAVER_TOKEN_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(i64).range(1..=900))]
    pub token_ttl_secs: i64,

    /// Lifetime of a sign-in session in days.
    #[arg(long, env = "PALAVER_SESSION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub session_days: i64,

    /// Further origins allowed to make state-changing requests (comma-separated), e.g. when
    /// a proxy serves Palaver under a second name.
    #[arg(long, env = "PALAVER_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Where the compiled site is: pkg/ (script, WASM and stylesheet, named by content in a
    /// release build, with hash.txt beside the binary) and static files.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Seconds a WebSocket may stay silent (no frame, no pong) before it is closed; pings go
    /// out every 5/12 of it (25 s for the default).
    #[arg(long, env = "PALAVER_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,

    /// Days messages are kept: older ones are deleted by an hourly background pass (every
    /// conversation, active or not). Owners may set fewer for their conversation. Absent:
    /// kept forever.
    #[arg(long, env = "PALAVER_RETENTION_DAYS", value_parser = clap::value_parser!(i64).range(1..=36_500))]
    pub retention_days: Option<i64>,

    /// Members one conversation may have.
    #[arg(long, env = "PALAVER_MAX_MEMBERS", default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub max_members: i64,

    /// Messages (sends, edits, deletions) one user may post per minute.
    #[arg(long, env = "PALAVER_MESSAGES_PER_MINUTE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub messages_per_minute: u32,

    /// WebSockets one user may hold open at once (tabs and devices).
    #[arg(long, env = "PALAVER_SOCKETS_PER_USER", default_value_t = 20, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub sockets_per_user: usize,

    /// Conversations one user may create per hour.
    #[arg(long, env = "PALAVER_CONVERSATIONS_PER_HOUR", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub conversations_per_hour: u32,

    /// Accounts one client address may create per hour.
    #[arg(long, env = "PALAVER_SIGN_UPS_PER_HOUR", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_ups_per_hour: u32,

    /// Failed sign-ins allowed per account and per client address in 15 minutes; more are
    /// answered 429 until the window passes.
    #[arg(long, env = "PALAVER_SIGN_IN_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_failures: u32,

    /// Seconds a client may take to send a request's headers; slower connections are closed
    /// (slowloris).
    #[arg(long, env = "PALAVER_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,

    /// Reverse proxies and load balancers (addresses or networks, comma-separated, e.g.
    /// 127.0.0.1,10.0.0.0/8) whose X-Forwarded-For names the client: per-address limits,
    /// sessions and the audit log then see the client's address, not the proxy's. The
    /// header is ignored from every other peer.
    #[arg(long, env = "PALAVER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Open TCP connections one client address may hold (0: no cap). Behind a reverse proxy
    /// every client has the proxy's address: raise it or set 0 there.
    #[arg(long, env = "PALAVER_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
    pub connections_per_address: usize,

    /// Largest file one upload may be, in MB (10^6 bytes). Files live in --files-dir.
    #[arg(long, env = "PALAVER_MAX_UPLOAD_MB", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub max_upload_mb: u64,

    /// Multiplies the fixed per-kind rates (typing, reads, syncs, renewals, joins, invites,
    /// admin actions); not a flag: test suites that drive one user far harder than a person
    /// would set it.
    #[arg(skip = 1u32)]
    pub rate_scale: u32,

    /// Without a command, Palaver serves.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does instead of serving.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum Command {
    /// Administration on the database of `--data-dir` / `--database-url`, with or without a
    /// server running on it.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(clap::Subcommand, Clone, Debug)]
pub enum AdminCommand {
    /// Makes an account an instance administrator and enables it: the rescue for an
    /// instance with no enabled administrator. Recorded in the audit log.
    Grant {
        /// The account's username (any case).
        username: String,
    },
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("public_origin", &self.public_origin)
            .field("data_dir", &self.data_dir)
            .field("files_dir", &self.files_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("durability", &self.durability)
            .field("nats_url", &self.nats_url)
            .field("nats_prefix", &self.nats_prefix)
            .field("db_pool_size", &self.db_pool_size)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "<redacted>"))
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("session_days", &self.session_days)
            .field("allowed_origins", &self.allowed_origins)
            .field("site_root", &self.site_root)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("retention_days", &self.retention_days)
            .field("max_members", &self.max_members)
            .field("messages_per_minute", &self.messages_per_minute)
            .field("sockets_per_user", &self.sockets_per_user)
            .field("conversations_per_hour", &self.conversations_per_hour)
            .field("sign_ups_per_hour", &self.sign_ups_per_hour)
            .field("sign_in_failures", &self.sign_in_failures)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("connections_per_address", &self.connections_per_address)
            .field("max_upload_mb", &self.max_upload_mb)
            .field("command", &self.command)
            .finish()
    }
}

impl Config {
    /// A configuration for tests: everything in `data_dir`, a random port.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        // Through the real flag parser, so tests cannot hold a value the binary would refuse.
        let data_dir = data_dir.display().to_string();
        let mut config = Config::try_parse_from([
            "palaver",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_dir,
            "--db-pool-size",
            "8",
            // Tests create many users, conversations and messages from one address in
            // seconds; the limits have their own tests with the defaults.
            "--messages-per-minute",
            "100000",
            "--conversations-per-hour",
            "10000",
            "--sign-ups-per-hour",
            "10000",
            "--connections-per-address",
            "0",
        ])
        .expect("the test flags parse");
        config.rate_scale = 1_000;
        config
    }

    /// `--max-upload-mb` in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1_000_000)
    }

    pub fn limits(&self) -> palaver::server::limits::LimitsConfig {
        palaver::server::limits::LimitsConfig {
            messages_per_minute: self.messages_per_minute,
            sockets_per_user: self.sockets_per_user,
            conversations_per_hour: self.conversations_per_hour,
            sign_ups_per_hour: self.sign_ups_per_hour,
            sign_in_failures: self.sign_in_failures,
            rate_scale: self.rate_scale,
            ..Default::default()
        }
    }

    /// Why this configuration cannot run as a cluster node (`--nats-url`), if it cannot:
    /// nodes share one PostgreSQL database, and one JWT key (a key generated into each
    /// node's data directory would make one node's tokens fail on every other).
    pub fn cluster_problem(&self) -> Option<String> {
        self.nats_url.as_ref()?;
        if let Err(e) = crate::bus::check_prefix(&self.nats_prefix) {
            return Some(e);
        }
        if !self.database_url().starts_with("postgres") {
            return Some(
                "--nats-url needs a PostgreSQL --database-url (postgres://…): the nodes of a \
                 cluster share one database"
                    .to_owned(),
            );
        }
        if self.jwt_key.is_none() {
            return Some(
                "--nats-url needs --jwt-key (PALAVER_JWT_KEY), the same on every node: a key \
                 generated into each node's data directory would make tokens from one node \
                 fail on the others"
                    .to_owned(),
            );
        }
        None
    }

    /// `--files-dir`, or `<data-dir>/files`.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("palaver.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_refused_with_their_range() {
        for (flag, value) in [
            ("--token-ttl-secs", "901"),
            ("--token-ttl-secs", "0"),
            ("--session-days", "0"),
            ("--idle-timeout-secs", "0"),
            ("--max-members", "0"),
            ("--sockets-per-user", "0"),
            ("--sign-in-failures", "0"),
            ("--header-timeout-secs", "0"),
            ("--db-pool-size", "0"),
        ] {
            let err = Config::try_parse_from(["palaver", flag, value])
                .err()
                .unwrap_or_else(|| panic!("{flag} {value} was accepted"));
            let text = err.to_string();
            assert!(text.contains(flag), "{text}");
            assert!(
                text.contains("not in"),
                "the message gives the range: {text}"
            );
        }
        assert!(Config::try_parse_from(["palaver", "--token-ttl-secs", "900"]).is_ok());
        let full = Config::try_parse_from(["palaver", "--durability", "full"]).unwrap();
        assert_eq!(full.durability, Durability::Full);
        let err = Config::try_parse_from(["palaver", "--durability", "fsync"])
            .expect_err("an unknown durability is refused")
            .to_string();
        assert!(err.contains("normal") && err.contains("full"), "{err}");
    }

    #[test]
    fn a_cluster_node_needs_postgres_and_a_shared_key() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["palaver"];
            args.extend_from_slice(extra);
            Config::try_parse_from(args).expect("parses")
        };
        assert_eq!(parse(&[]).cluster_problem(), None, "one node needs neither");
        let pg = ["--database-url", "postgres://127.0.0.1/x"];
        let key = ["--jwt-key", "0123456789abcdef0123456789abcdef"];
        let nats = ["--nats-url", "nats://127.0.0.1:4222"];
        let sqlite = parse(&[&nats[..], &key[..]].concat()).cluster_problem();
        assert!(sqlite.is_some_and(|e| e.contains("PostgreSQL")));
        let keyless = parse(&[&nats[..], &pg[..]].concat()).cluster_problem();
        assert!(keyless.is_some_and(|e| e.contains("--jwt-key")));
        let prefix = parse(&[&nats[..], &pg[..], &key[..], &["--nats-prefix", "a.>"]].concat())
            .cluster_problem();
        assert!(prefix.is_some_and(|e| e.contains("--nats-prefix")));
        assert_eq!(
            parse(&[&nats[..], &pg[..], &key[..]].concat()).cluster_problem(),
            None
        );
    }

    #[test]
    fn admin_grant_parses_with_the_database_flags_on_either_side() {
        for args in [
            &["palaver", "admin", "grant", "Bob", "--data-dir", "/tmp/x"][..],
            &["palaver", "--data-dir", "/tmp/x", "admin", "grant", "Bob"][..],
        ] {
            let config = Config::try_parse_from(args).expect("parses");
            assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
            match config.command {
                Some(Command::Admin(AdminCommand::Grant { username })) => {
                    assert_eq!(username, "Bob")
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(Config::try_parse_from(["palaver", "admin", "grant"]).is_err());
        assert!(Config::try_parse_from(["palaver"])
            .unwrap()
            .command
            .is_none());
    }
}
