//! SQLite's message search index, in a file of its own, kept off the writer's path.
//!
//! FTS5 merges its index segments inside the transaction that adds to them. With the index
//! in the database file, that was a send's commit: once a database held ~150,000 messages,
//! about one send in a thousand waited 14-28 ms for a merge (issue 12; store probe: send p99
//! 0.56-5.3 ms with the index, 0.44 ms without). Tuning FTS5's automerge and crisismerge, or
//! running the merges in transactions of their own between the writer's, did not help: any
//! write to the database file waits for SQLite's one write lock.
//!
//! So the index lives in `<database file>-search`, a second SQLite database with its own
//! write lock and WAL, and the database file holds only `search_log` (migration 0018):
//! every change to a searchable text, appended by triggers inside the transaction that made
//! it. A task of the store (the *indexer*) applies the log to the index in order, in
//! transactions on the index file that record the last log id applied, then deletes the
//! applied rows from the log. Zulip keeps its PostgreSQL full-text index the same way
//! (`fts_update_log` filled by a trigger, applied by a worker).
//!
//! - Nothing is lost across a crash: the log is committed with the change, and the index
//!   file commits the id it has applied with the entries, so the indexer resumes after it.
//! - A search sees every change committed before it began: [`SearchIndex::caught_up`] waits
//!   until the indexer has applied the log up to its last row (usually already done; see
//!   [`SEARCH_WAIT`]). Only this server's store writes the log, so the wait is local.
//! - A missing index file (first start after the migration, or deleted by an operator) is
//!   rebuilt from `messages` in one transaction before anything else is applied.
//! - Deleted text leaves no copy (SECURITY 32): the index uses FTS5's secure-delete, both
//!   files `secure_delete`, and [`SearchIndex::flush`] (run after every deletion) applies the
//!   log, deletes its rows and truncates the index file's WAL before the deletion returns.
//!
//! The database's connections attach the index file as `search` (`search.search_fts`), so
//! a search reads it in the same statement as `messages` (`sql::search`).

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};

mod indexer;
mod priority;
use indexer::Indexer;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch, Notify};

use super::writer::WriteGate;
use super::Durability;

/// The schema name the index file is attached under on the database's connections.
pub const SCHEMA: &str = "search";

/// Longest a search waits for the indexer before reading the index as it is (a retention
/// pass or a rebuild can leave it seconds behind).
pub const SEARCH_WAIT: Duration = Duration::from_secs(5);

/// Longest a deletion waits for the indexer to take the deleted text out.
pub const DELETION_WAIT: Duration = Duration::from_secs(30);

/// How often the indexer looks for new rows in the log when the writer has written (the log
/// is also applied at once when a search or a deletion asks, and every [`IDLE_LOOK`]).
pub const LOOK_EVERY: Duration = Duration::from_millis(50);

/// How often the indexer looks for new rows when the writer has written nothing: changes
/// made outside the writer (a conversation deleted) are applied at least this often.
pub const IDLE_LOOK: Duration = Duration::from_secs(1);

/// The last id ever given to a `search_log` row (AUTOINCREMENT keeps it in sqlite_sequence
/// after the rows are deleted); 0 before the first.
const LAST_LOGGED: &str =
    "SELECT COALESCE((SELECT seq FROM main.sqlite_sequence WHERE name = 'search_log'), 0)";

/// Log rows applied in one transaction on the index file.
const APPLY_MAX: i64 = 1024;

/// The path of the index file beside the database file `database`.
pub fn path_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-search");
    PathBuf::from(name)
}

/// The index file, ready to be attached and indexed: see [`SearchIndex::prepare`].
pub struct Prepared {
    options: SqliteConnectOptions,
    /// Kept open for the indexer (an in-memory index lives as long as a connection to it).
    conn: SqliteConnection,
    /// What `ATTACH DATABASE` takes to open the same index: a path or a `file:` URI.
    pub attach: String,
}

/// What the indexer has told: `None` until the index exists (built or rebuilt), then a log
/// id (see [`SearchIndex`]'s `searchable` and `settled`).
pub(super) type Applied = Option<i64>;

/// The indexer task and the way to wait for it; it stops when the store's last clone drops
/// this.
pub struct SearchIndex {
    wake: Arc<Notify>,
    /// The last log id the index holds (told after every batch).
    searchable: watch::Receiver<Applied>,
    /// The last log id applied, deleted from the log and, when text was taken out, gone
    /// from the index file's WAL too (told at the end of each round).
    settled: watch::Receiver<Applied>,
    _stop: oneshot::Sender<()>,
}

impl SearchIndex {
    /// Creates the index file beside the database `database` if it is missing (its tables,
    /// not yet its entries). Call before the database's pool attaches it
    /// ([`Prepared::attach`]). An in-memory database gets an in-memory index.
    ///
    /// Errors: the file cannot be created or is not an SQLite database.
    pub async fn prepare(
        database: &SqliteConnectOptions,
        durability: Durability,
    ) -> Result<Prepared, sqlx::Error> {
        let name = database.get_filename().to_string_lossy().into_owned();
        let (options, attach) = if name.starts_with("file:sqlx-in-memory-") {
            let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
            let attach = format!(
                "{}?mode=memory&cache=shared",
                options.get_filename().display()
            );
            (options, attach)
        } else {
            let path = path_beside(database.get_filename());
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
            (options, path.to_string_lossy().into_owned())
        };
        let options = options
            .synchronous(match durability {
                Durability::Normal => SqliteSynchronous::Normal,
                Durability::Full => SqliteSynchronous::Full,
            })
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(10))
            .thread_name(|_| priority::THREAD_NAME.to_owned());
        let mut conn = SqliteConnection::connect_with(&options).await?;
        priority::lower();
        // Contentless (the text lives in `messages` only) trigram index, rowid = search_id:
        // three characters or more are found inside words and in scripts without spaces,
        // case-insensitively. secure-delete takes a deleted row's entries out at once.
        sqlx::query(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts \
             USING fts5(body, content = '', tokenize = 'trigram')",
        )
        .execute(&mut conn)
        .await?;
        sqlx::query("INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1)")
            .execute(&mut conn)
            .await?;
        // One row once the index is built: the last `search_log` id it holds.
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS search_state \
             (id INTEGER PRIMARY KEY CHECK (id = 1), applied INTEGER NOT NULL)",
        )
        .execute(&mut conn)
        .await?;
        Ok(Prepared {
            options,
            conn,
            attach,
        })
    }

    /// Starts the indexer: it builds the index if the file has none yet, then applies the
    /// log of `pool`'s database as it grows. `written` counts the writer's events
    /// (`Writer::written`); `gate` is the database's turn at writing, taken to delete applied
    /// rows from the log.
    pub fn start(
        prepared: Prepared,
        pool: SqlitePool,
        written: Arc<AtomicU64>,
        gate: WriteGate,
    ) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let (tell_searchable, searchable) = watch::channel(None);
        let (tell_settled, settled) = watch::channel(None);
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        tokio::spawn(async move {
            let mut indexer = Indexer::new(prepared.options, prepared.conn, pool, gate);
            let mut every = tokio::time::interval(LOOK_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut at_last, mut last) = (u64::MAX, tokio::time::Instant::now());
            loop {
                let asked = tokio::select! {
                    _ = &mut stopped => return,
                    _ = woken.notified() => true,
                    _ = every.tick() => false,
                };
                let now_written = written.load(Ordering::Relaxed);
                if !asked && now_written == at_last && last.elapsed() < IDLE_LOOK {
                    continue;
                }
                (at_last, last) = (now_written, tokio::time::Instant::now());
                match indexer.round(&tell_searchable).await {
                    Ok(done) => {
                        tell_settled.send_replace(Some(done));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "search index: applying the log failed");
                        indexer.reset();
                    }
                }
            }
        });
        Self {
            wake,
            searchable,
            settled,
            _stop: stop,
        }
    }

    /// Waits until the index holds every change committed to `pool`'s database before the
    /// call, at most `wait`. False when it gave up (the index is behind or being built).
    pub async fn caught_up(&self, pool: &SqlitePool, wait: Duration) -> bool {
        self.wait_for(&self.searchable, pool, wait).await
    }

    /// Waits until every change committed to `pool`'s database before the call is in the
    /// index, out of the log and, where text was taken out, out of the index file's WAL, at
    /// most `wait`. False when it gave up.
    pub async fn settled(&self, pool: &SqlitePool, wait: Duration) -> bool {
        self.wait_for(&self.settled, pool, wait).await
    }

    /// After a deletion: [`Self::settled`] with [`DELETION_WAIT`], so that the deleted text
    /// is out of the index, the log and the index file's WAL when this returns.
    pub async fn flush(&self, pool: &SqlitePool) {
        if !self.settled(pool, DELETION_WAIT).await {
            tracing::warn!("search index: a deletion did not reach the index in time");
        }
    }

    /// Waits until `told` reaches the last id logged so far, at most `wait`; false when it
    /// gave up.
    async fn wait_for(
        &self,
        told: &watch::Receiver<Applied>,
        pool: &SqlitePool,
        wait: Duration,
    ) -> bool {
        // The last id ever logged, not the log's last row: the log may already have been
        // trimmed by a round that has not yet settled.
        let last: i64 = match sqlx::query_scalar(LAST_LOGGED).fetch_one(pool).await {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!(error = %e, "search index: reading the log failed");
                return false;
            }
        };
        let done = |a: &Applied| a.is_some_and(|applied| applied >= last);
        if done(&told.borrow()) {
            return true;
        }
        self.wake.notify_one();
        let mut told = told.clone();
        let result = tokio::time::timeout(wait, told.wait_for(|a| done(a))).await;
        matches!(result, Ok(Ok(_)))
    }
}
