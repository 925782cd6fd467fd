//! The indexer: applies `search_log` to the index file, and builds the index when the file
//! has none (see the parent module).

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection, SqlitePool};
use tokio::sync::watch;

use super::super::writer::WriteGate;
use super::{Applied, APPLY_MAX, LAST_LOGGED};

/// The indexer's state: its connection to the index file (reopened after an error), the
/// database's pool and turn at writing.
pub(super) struct Indexer {
    options: SqliteConnectOptions,
    conn: Option<SqliteConnection>,
    pool: SqlitePool,
    gate: WriteGate,
    /// The last log id deleted from the log.
    trimmed: i64,
    /// Whether the index file's last applied id was checked against the database's log.
    checked: bool,
}

/// Sets `was` to `applied` unless it already holds that id or a later one; whether it did.
fn replace_if_newer(was: &mut Applied, applied: i64) -> bool {
    if was.is_some_and(|was| was >= applied) {
        return false;
    }
    *was = Some(applied);
    true
}

/// A `search_log` row: (id, search_id, old_body, new_body).
type LogRow = (i64, i64, Option<String>, Option<String>);

impl Indexer {
    /// An indexer of the index file opened with `options` (`conn`, kept open) for the
    /// database of `pool`, whose turn at writing is `gate`.
    pub(super) fn new(
        options: SqliteConnectOptions,
        conn: SqliteConnection,
        pool: SqlitePool,
        gate: WriteGate,
    ) -> Self {
        Self {
            options,
            conn: Some(conn),
            pool,
            gate,
            trimmed: 0,
            checked: false,
        }
    }

    /// After an error: the next round opens the index file afresh.
    pub(super) fn reset(&mut self) {
        self.conn = None;
    }

    async fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        if self.conn.is_none() {
            self.conn = Some(SqliteConnection::connect_with(&self.options).await?);
            super::priority::lower();
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }

    /// Builds the index if needed, applies the log and deletes the applied rows from it, a
    /// batch at a time (so that the database's write lock is held briefly), then truncates the
    /// index file's WAL when text was taken out. Returns the last id applied.
    ///
    /// `searchable` is told the last id the index holds once it is built and after each
    /// batch, so that a search waiting for rows applied early in a long catch-up (a rebuild,
    /// a retention pass) need not wait for the whole round.
    pub(super) async fn round(
        &mut self,
        searchable: &watch::Sender<Applied>,
    ) -> Result<i64, sqlx::Error> {
        let mut removed = false;
        let mut applied = match self.built().await? {
            Some(applied) => applied,
            None => self.rebuild().await?,
        };
        searchable.send_if_modified(|was| replace_if_newer(was, applied));
        loop {
            let (now, batch_removed, more) = self.apply(applied).await?;
            removed |= batch_removed;
            applied = now;
            searchable.send_if_modified(|was| replace_if_newer(was, applied));
            self.trim(applied).await?;
            if !more {
                break;
            }
        }
        if removed {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(self.conn().await?)
                .await?;
        }
        Ok(applied)
    }

    /// Deletes the log rows up to `applied` (the index holds them), in the database's turn at
    /// writing.
    async fn trim(&mut self, applied: i64) -> Result<(), sqlx::Error> {
        if applied > self.trimmed {
            let _turn = self.gate.lock().await;
            sqlx::query("DELETE FROM search_log WHERE id <= ?")
                .bind(applied)
                .execute(&self.pool)
                .await?;
            self.trimmed = applied;
        }
        Ok(())
    }

    /// The last log id the index holds; None when it was never built, or when it is ahead
    /// of the database's log (the database was restored from a backup without its index
    /// file): then the index is dropped to be rebuilt.
    async fn built(&mut self) -> Result<Option<i64>, sqlx::Error> {
        let Some(applied) =
            sqlx::query_scalar::<_, i64>("SELECT applied FROM search_state WHERE id = 1")
                .fetch_optional(self.conn().await?)
                .await?
        else {
            return Ok(None);
        };
        if self.checked {
            return Ok(Some(applied));
        }
        let logged: i64 = sqlx::query_scalar(LAST_LOGGED)
            .fetch_one(&self.pool)
            .await?;
        if applied > logged {
            tracing::warn!(
                applied,
                logged,
                "search index: the index file is ahead of the database; rebuilding it"
            );
            sqlx::query("DELETE FROM search_state")
                .execute(self.conn().await?)
                .await?;
            return Ok(None);
        }
        self.checked = true;
        Ok(Some(applied))
    }

    /// Applies the log rows after `applied`, at most [`APPLY_MAX`], in one transaction that
    /// also records the last one. Returns (last id applied, whether text was taken out,
    /// whether more rows may follow).
    async fn apply(&mut self, applied: i64) -> Result<(i64, bool, bool), sqlx::Error> {
        let pool = self.pool.clone();
        let conn = self.conn().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        // Read under the index file's write lock: another process of this database (the
        // admin command) may have applied rows since.
        let applied: i64 = sqlx::query_scalar("SELECT applied FROM search_state WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(applied);
        let rows: Vec<LogRow> = sqlx::query_as(
            "SELECT id, search_id, old_body, new_body FROM search_log \
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(applied)
        .bind(APPLY_MAX)
        .fetch_all(&pool)
        .await?;
        let Some(&(last, ..)) = rows.last() else {
            return Ok((applied, false, false));
        };
        let mut removed = false;
        for (_, search_id, old, new) in &rows {
            if let Some(old) = old {
                removed = true;
                sqlx::query(
                    "INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', ?, ?)",
                )
                .bind(search_id)
                .bind(old)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(new) = new {
                sqlx::query("INSERT INTO search_fts (rowid, body) VALUES (?, ?)")
                    .bind(search_id)
                    .bind(new)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("UPDATE search_state SET applied = ? WHERE id = 1")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((last, removed, rows.len() as i64 == APPLY_MAX))
    }

    /// Builds the index from `messages` in one transaction on the index file, reading the
    /// database in one snapshot: the messages as they are, and the last log id, whose
    /// changes they already show. Returns that id.
    async fn rebuild(&mut self) -> Result<i64, sqlx::Error> {
        use futures::TryStreamExt;
        let started = std::time::Instant::now();
        let mut read = self.pool.acquire().await?;
        let conn = self.conn().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(applied) =
            sqlx::query_scalar::<_, i64>("SELECT applied FROM search_state WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
        {
            return Ok(applied);
        }
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
            .execute(&mut *tx)
            .await?;
        let mut snapshot = read.begin().await?;
        let last: i64 = sqlx::query_scalar(LAST_LOGGED)
            .fetch_one(&mut *snapshot)
            .await?;
        let mut count = 0u64;
        {
            let mut rows = sqlx::query(
                "SELECT search_id, body FROM messages \
                 WHERE search_id IS NOT NULL AND deleted_at IS NULL",
            )
            .fetch(&mut *snapshot);
            while let Some(row) = rows.try_next().await? {
                let (search_id, body): (i64, String) = (row.get(0), row.get(1));
                sqlx::query("INSERT INTO search_fts (rowid, body) VALUES (?, ?)")
                    .bind(search_id)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                count += 1;
            }
        }
        snapshot.rollback().await?;
        sqlx::query("INSERT INTO search_state (id, applied) VALUES (1, ?)")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.checked = true;
        tracing::info!(
            messages = count,
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(last)
    }
}
