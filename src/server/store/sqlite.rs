//! The embedded default store: SQLite through sqlx, in WAL mode, one file in the data
//! directory. The statements are shared with PostgreSQL (see `sql`).

use super::search_index::{self, SearchIndex};
use super::sql::prelude::*;
use super::sql::{
    admin::impl_admin_store, admin_conversations::impl_admin_conversation_store,
    attachments::impl_attachment_store, attention::impl_attention_store, audit::impl_audit_store,
    batch::impl_batch_append, batch_messages::impl_message_batch,
    conversations::impl_conversation_store, deletion::impl_account_deletion_store,
    direct::impl_direct_store, events::impl_event_store, invites::impl_invite_store,
    members::impl_member_store, profiles::impl_profile_store, reactions::impl_reactions,
    retention::impl_retention_store, search::impl_search_store, sessions::impl_session_store,
    stats::impl_stats_store, throttle::impl_throttle_store, users::impl_user_store,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// The statements the scale bench explains (shared with PostgreSQL).
pub use super::sql::statements as sql;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Group commit of appends: one lane, SQLite's one writer at a time (see `writer`).
    writer: writer::Writer,
    /// WAL checkpoints off the writer's path (see `checkpoint`).
    checkpointer: std::sync::Arc<super::checkpoint::Checkpointer>,
    /// Turns between the writer's batches and retention's (see [`writer::WriteGate`]).
    gate: writer::WriteGate,
    /// The message search index, in a file of its own (see `search_index`).
    search: std::sync::Arc<SearchIndex>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::open(url, Durability::Normal).await
    }

    /// [`Self::connect`] with the [`Durability`] chosen (`--durability`).
    pub async fn open(url: &str, durability: Durability) -> StoreResult<Self> {
        let options = Self::options(url, durability)?;
        let index = SearchIndex::prepare(&options, durability).await?;
        let attach = index.attach.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A file on local disk does not drop connections: no ping (a round trip to
            // sqlx's worker thread) before every use.
            .test_before_acquire(false)
            // Every connection reads the search index as `search.search_fts`.
            .after_connect(move |conn, _| {
                let attach = attach.clone();
                Box::pin(async move {
                    sqlx::query(&format!("ATTACH DATABASE ? AS {}", search_index::SCHEMA))
                        .bind(attach)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        super::backfill_skeletons(&pool).await?;
        let gate = writer::WriteGate::default();
        // The writer keeps its connection, and so its page cache (see `kept`).
        let writer = Self::start_writer(&pool, 1, Some(gate.clone()));
        let checkpointer =
            super::checkpoint::Checkpointer::start(pool.clone(), writer.written()).into();
        let search = SearchIndex::start(index, pool.clone(), writer.written(), gate.clone()).into();
        Ok(Self {
            pool,
            writer,
            checkpointer,
            gate,
            search,
        })
    }

    /// How every connection to the database at `url` is set up.
    pub(super) fn options(url: &str, durability: Durability) -> StoreResult<SqliteConnectOptions> {
        let synchronous = match durability {
            Durability::Normal => SqliteSynchronous::Normal,
            Durability::Full => SqliteSynchronous::Full,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a commit is in the WAL (in the OS) before the message it holds is
            // acknowledged, so it survives a crash or kill -9 of the process; only a power
            // loss or kernel crash can drop the last few commits. FULL (`--durability full`)
            // fsyncs every commit; group commit (`writer`) shares that among a batch.
            .synchronous(synchronous)
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed in the file, not left in free space:
            // a deleted message's text must not survive in the database (SECURITY 32).
            .pragma("secure_delete", "on")
            // No checkpoint inside a commit: the store's checkpointer does them (`checkpoint`).
            .pragma("wal_autocheckpoint", "0")
            .busy_timeout(Duration::from_secs(10));
        Ok(options)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits until the search index holds every change committed so far and the log holds
    /// none of them, at most `wait`; false when it is still behind (see `search_index`). For
    /// benches and tests that seed through the pool, then search or measure the files.
    pub async fn search_index_settled(&self, wait: Duration) -> bool {
        self.search.settled(&self.pool, wait).await
    }

    /// A turn at writing, for a loop of write transactions beside the writer's (retention):
    /// SQLite has one writer at a time, and its busy handler is not fair (see
    /// [`writer::WriteGate`]). Measured by the retention bench: without it, sends during a
    /// retention pass failed with "database is locked" after waiting 10 s.
    async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.gate.lock().await)
    }

    /// A search waits until the index holds what was committed before it (see
    /// `search_index`), at most [`search_index::SEARCH_WAIT`].
    async fn search_ready(&self) {
        if !self
            .search
            .caught_up(&self.pool, search_index::SEARCH_WAIT)
            .await
        {
            tracing::warn!("search index: searching while it is behind");
        }
    }

    /// The rollups are kept by triggers on `messages` (migration 0016, see `sql::rollups`),
    /// within the statement that inserts them.
    async fn add_rollups(
        _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        _results: &[StoreResult<Inserted>],
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// Nothing to gain on SQLite, which runs in the process: a statement costs no round trip
    /// to a server, so a lone message takes the transaction path (see `sql::batch`).
    async fn append_at_once(
        _conn: &mut sqlx::SqliteConnection,
        _e: &writer::OwnedEvent,
    ) -> Result<Option<Inserted>, sqlx::Error> {
        Ok(None)
    }

    /// After a deletion: copy the WAL into the database and empty it, so the pages that held
    /// the deleted text survive neither in the WAL nor (secure_delete zeroes freed space) in
    /// the file (SECURITY 32). A reader holding an old snapshot makes it stop short; the
    /// checkpointer then tries again every [`super::checkpoint::CHECKPOINT_EVERY`] until it
    /// goes through.
    async fn after_deletion(&self) {
        // The deleted text out of the search index and its log first (see `search_index`).
        self.search.flush(&self.pool).await;
        match super::checkpoint::checkpoint(&self.pool, true).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("checkpoint after a deletion was blocked by a reader");
                self.checkpointer.truncate_soon();
            }
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint after a deletion failed");
                self.checkpointer.truncate_soon();
            }
        }
    }
}

impl_user_store!(SqliteStore);
impl_account_deletion_store!(SqliteStore);
impl_retention_store!(SqliteStore);
impl_profile_store!(SqliteStore);
impl_admin_conversation_store!(SqliteStore);
impl_admin_store!(SqliteStore, sqlx::Sqlite);
// The main file's size; the WAL beside it is folded in at each checkpoint.
// The database file and the search index file beside it.
impl_stats_store!(
    SqliteStore,
    "SELECT (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()) \
          + (SELECT page_count * page_size FROM pragma_page_count('search'), \
                                                pragma_page_size('search'))"
);
impl_session_store!(SqliteStore);
impl_throttle_store!(SqliteStore);
impl_conversation_store!(SqliteStore, sqlx::Sqlite);
impl_member_store!(SqliteStore, sqlx::Sqlite);
impl_event_store!(SqliteStore, sqlx::Sqlite);
impl_batch_append!(SqliteStore, sqlx::Sqlite);
impl_message_batch!(SqliteStore, sqlx::Sqlite);
impl_reactions!(SqliteStore, sqlx::Sqlite);
impl_attachment_store!(SqliteStore, sqlx::Sqlite);
impl_invite_store!(SqliteStore);
impl_audit_store!(SqliteStore);
impl_attention_store!(SqliteStore, sqlx::Sqlite);
impl_direct_store!(SqliteStore);
impl_search_store!(SqliteStore, sqlx::Sqlite, super::sql::search::Sqlite);
