//! Which store the suites run on. By default the embedded SQLite in each test's data
//! directory; with `PALAVER_TEST_STORE=postgres`, a fresh PostgreSQL database per data
//! directory on the server whose admin database `PALAVER_TEST_POSTGRES` names (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, as the store suites use). The database is named after the process and the
//! data directory, so a test that restarts the server on the same directory finds its data
//! again. `make test` drops the databases of earlier runs first (scripts/pg-test-clean.sh):
//! dropping them here would slow the first test of every binary by seconds.

use sqlx::Connection;
use std::hash::{Hash, Hasher};
use std::path::Path;

const PREFIX: &str = "palaver_t_";

/// True when the suites run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("PALAVER_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The store's name, for the suites' printed figures.
pub fn name() -> &'static str {
    if on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

fn admin_url() -> String {
    std::env::var("PALAVER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The database URL for a server on `data_dir`: None for SQLite (the server's default in
/// the data directory), or a PostgreSQL database made for it.
pub async fn database_url_for(data_dir: &Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut hasher);
    let name = format!("{PREFIX}{}_{:x}", std::process::id(), hasher.finish());
    Some(create_database(&name).await)
}

/// Creates PostgreSQL database `name` unless it exists; its URL. Name it with the prefix
/// `palaver_t_` so that `scripts/pg-test-clean.sh` drops it on the next run.
pub async fn create_database(name: &str) -> String {
    let admin_url = admin_url();
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL answers at PALAVER_TEST_POSTGRES");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut admin)
            .await
            .expect("pg_database readable");
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("database created");
    }
    let mut url = reqwest::Url::parse(&admin_url).expect("PALAVER_TEST_POSTGRES is a URL");
    url.set_path(name);
    url.into()
}

/// A connection to the app's database for a test to look at or tamper with what the server
/// stored; statements use `$1..$n` placeholders, which both backends read.
pub async fn open(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .expect("database opens")
}

/// Lets PostgreSQL database `name` take connections again, or refuses new ones and ends the
/// open ones (a database that is down, for readiness).
pub async fn set_connections_allowed(name: &str, allowed: bool) {
    let mut admin = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL answers at PALAVER_TEST_POSTGRES");
    sqlx::query(&format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS {allowed}"
    ))
    .execute(&mut admin)
    .await
    .expect("database altered");
    if !allowed {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .execute(&mut admin)
            .await
            .expect("connections ended");
    }
}
