//! Throwaway PostgreSQL databases for the integration tests: each test gets a fresh one, and
//! the guard drops it again when the test ends, also when it panics.

use sqlx::{Connection, PgConnection};
use std::time::{SystemTime, UNIX_EPOCH};

/// A database to connect to for CREATE and DROP DATABASE. The machines this project runs on
/// have PostgreSQL on 127.0.0.1 with trust authentication.
pub fn admin_url() -> String {
    std::env::var("PALAVER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Databases of a run killed before its guards ran (kill -9, a hung test) are dropped by a
/// later run once they are this old; younger ones may belong to a run going on right now.
const STALE_AFTER_SECS: u64 = 3600;

/// A fresh, empty PostgreSQL database, named `<prefix><unix secs>_<random>`, dropped on drop.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create(prefix: &str) -> Self {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} (set PALAVER_TEST_POSTGRES): {e}"));
        drop_stale(&mut conn, prefix).await;
        let name = format!("{prefix}{}_{}", unix_secs(), uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let _ = conn.close().await;
        let mut url = url::Url::parse(&admin).expect("PALAVER_TEST_POSTGRES is a URL");
        url.set_path(&name);
        Self {
            url: url.into(),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Drop cannot await, and blocking on the test's own runtime from inside it panics:
        // a thread with a runtime of its own does the async work, and we wait for it.
        // WITH (FORCE) ends the connections a store's pool may still hold.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    let mut conn = PgConnection::connect(&admin_url()).await?;
                    drop_database(&mut conn, &name).await?;
                    conn.close().await
                })
                .map_err(|e| format!("{name}: {e}"))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            // Never panic in drop (it would abort a test already unwinding); the next run
            // drops what is left once it is stale.
            Ok(Err(e)) => eprintln!("could not drop test database {e}"),
            Err(_) => eprintln!("dropping a test database panicked"),
        }
    }
}

async fn drop_database(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(conn)
        .await?;
    Ok(())
}

async fn drop_stale(conn: &mut PgConnection, prefix: &str) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)")
            .bind(prefix)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let now = unix_secs();
    for name in names {
        let created = name[prefix.len()..]
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| t + STALE_AFTER_SECS < now) {
            // Another run may be dropping the same one: errors here are not this test's.
            let _ = drop_database(conn, &name).await;
        }
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
