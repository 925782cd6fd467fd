//! SQLite's WAL checkpoints, off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that makes the WAL pass 1,000 pages: that
//! commit, the writer's, then copies megabytes into the database file and syncs it before the
//! messages of its batch are acknowledged, which is what costs Campfire-Rust its p99 (issue
//! 12). Here every connection has `wal_autocheckpoint=0`, and a task of the store checkpoints
//! from a connection of its own: `PASSIVE`, which never waits for the writer or a reader and
//! does what it can now; the writer's next transaction restarts the WAL once all of it has
//! been copied. It checkpoints after [`CHECKPOINT_EVENTS`] appended events or
//! [`CHECKPOINT_IDLE`], whichever comes first, looking every [`CHECKPOINT_EVERY`]: rarely
//! when traffic is light, since even off the writer's thread a checkpoint's sync of the
//! database file can hold up the writer's next write to the same disk for a few
//! milliseconds. A deletion asks for a `TRUNCATE` (SECURITY 32, see
//! `SqliteStore::after_deletion`), retried here until no reader blocks it.

use sqlx::SqlitePool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How often the checkpointer looks whether a checkpoint is due.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Events appended since the last checkpoint that make the next one due (about 4 to 40 MB of
/// WAL, by the size of the messages and their index entries).
pub const CHECKPOINT_EVENTS: u64 = 2_000;

/// A checkpoint is due at least this often: it copies what the writer did not count (joins,
/// sessions, read positions), and costs a few microseconds when there is nothing to copy.
pub const CHECKPOINT_IDLE: Duration = Duration::from_secs(10);

/// The checkpoint task; it stops when the store's last clone drops this.
pub struct Checkpointer {
    _stop: oneshot::Sender<()>,
    truncate: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts checkpointing `pool`'s database; `written` counts the events the writer has
    /// appended (`Writer::written`).
    pub fn start(pool: SqlitePool, written: Arc<AtomicU64>) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let truncate = Arc::new(AtomicBool::new(false));
        let wanted = truncate.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut at_last, mut last) = (0, tokio::time::Instant::now());
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = every.tick() => {}
                }
                let now_written = written.load(Ordering::Relaxed);
                let truncating = wanted.swap(false, Ordering::AcqRel);
                if !due(now_written - at_last, last.elapsed(), truncating) {
                    continue;
                }
                (at_last, last) = (now_written, tokio::time::Instant::now());
                match checkpoint(&pool, truncating).await {
                    Ok(true) => {}
                    // Blocked by a reader: a truncation is tried again next time.
                    Ok(false) if truncating => wanted.store(true, Ordering::Release),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                }
            }
        });
        Self {
            _stop: stop,
            truncate,
        }
    }

    /// Asks for a `TRUNCATE` checkpoint at the next tick, until one succeeds.
    pub fn truncate_soon(&self) {
        self.truncate.store(true, Ordering::Release);
    }
}

/// Whether a checkpoint is due, `appended` events and `since` after the last one.
fn due(appended: u64, since: Duration, truncate: bool) -> bool {
    truncate || appended >= CHECKPOINT_EVENTS || since >= CHECKPOINT_IDLE
}

/// One checkpoint: `TRUNCATE` (copy everything, then empty the WAL file) or `PASSIVE`. True
/// when it was not blocked.
///
/// A `TRUNCATE` tries once and gives up at the first reader or writer in its way
/// (`busy_timeout` 0 on its connection for that statement) instead of waiting: while it
/// waits, SQLite holds every new writer off, and a steady trickle of readers kept sends
/// waiting 250-450 ms at the end of a retention pass (retention bench). The caller tries
/// again later (`Checkpointer::truncate_soon`).
///
/// A `TRUNCATE` also holds the writer off while it copies the WAL into the database and
/// syncs it (SQLite's `sqlite3_wal_checkpoint_v2`: FULL and stronger block writers), which
/// after a retention pass is the whole pass's WAL. So a `PASSIVE` checkpoint copies it first,
/// beside the writer, and the `TRUNCATE` is left with what was committed since: its hold on
/// the writer is then about an empty WAL's, not the copy of megabytes.
pub async fn checkpoint(pool: &SqlitePool, truncate: bool) -> Result<bool, sqlx::Error> {
    let (busy, _, _): (i64, i64, i64) = if truncate {
        let mut conn = pool.acquire().await?;
        let _: (i64, i64, i64) = sqlx::query_as("PRAGMA main.wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *conn)
            .await?;
        let waits: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut *conn)
            .await?;
        let result = sqlx::query_as("PRAGMA main.wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await;
        sqlx::query(&format!("PRAGMA busy_timeout = {waits}"))
            .execute(&mut *conn)
            .await?;
        result?
    } else {
        sqlx::query_as("PRAGMA main.wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?
    };
    Ok(busy == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::{sqlite::SqliteStore, Durability};
    use sqlx::sqlite::SqlitePoolOptions;

    /// A pool set up as the store's, without its checkpointer.
    async fn pool(dir: &std::path::Path) -> SqlitePool {
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let options = SqliteStore::options(&url, Durability::Normal).unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE filler (b BLOB)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    async fn fill(pool: &SqlitePool, commits: usize) {
        for _ in 0..commits {
            sqlx::query("INSERT INTO filler VALUES (zeroblob(4000))")
                .execute(pool)
                .await
                .unwrap();
        }
    }

    #[test]
    fn a_checkpoint_is_due_after_enough_events_a_while_or_a_deletion() {
        let soon = CHECKPOINT_IDLE / 2;
        assert!(!due(0, soon, false), "nothing new");
        assert!(!due(CHECKPOINT_EVENTS - 1, soon, false), "not yet");
        assert!(due(CHECKPOINT_EVENTS, soon, false), "enough events");
        assert!(due(1, CHECKPOINT_IDLE, false), "a while");
        assert!(due(0, Duration::ZERO, true), "a deletion asks");
    }

    #[tokio::test]
    async fn no_commit_checkpoints_the_wal_itself() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(dir.path()).await;
        // Past SQLite's default threshold (1,000 pages), in commits of their own: with its
        // automatic checkpoint one of them would have copied the WAL and it would restart.
        fill(&pool, 1_200).await;
        let (busy, log, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA main.wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(busy, 0);
        assert!(
            log >= 1_200,
            "the commits left only {log} frames in the WAL"
        );
        assert_eq!(copied, log, "a checkpoint copies every one");
    }

    #[tokio::test]
    async fn the_checkpointer_empties_the_wal_when_a_deletion_asks() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(dir.path()).await;
        fill(&pool, 50).await;
        let wal = dir.path().join("t.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        let checkpointer = Checkpointer::start(pool.clone(), Arc::default());
        checkpointer.truncate_soon();
        let deadline = tokio::time::Instant::now() + CHECKPOINT_EVERY * 20;
        while std::fs::metadata(&wal).unwrap().len() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the WAL was never truncated"
            );
            tokio::time::sleep(CHECKPOINT_EVERY / 5).await;
        }
    }
}
