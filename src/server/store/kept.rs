//! The writer's connections, kept between batches (see `sql::batch`'s `start_writer`).
//!
//! The pool hands its idle connections out in turn, so each batch of the writer came on a
//! connection whose page cache the batches since its last turn had made stale: SQLite read
//! the conversation's pages, the indexes and the search index back from the WAL for every
//! commit (`make profile`: `walFindFrame` and `pread` beside every append). Kept, the
//! writer's connection stays warm. On PostgreSQL a batch through the pool also pays two
//! extra round trips, the pool's ping before hand-out and again on release (in the load
//! bench that did not move the acknowledged sends/s, which PostgreSQL's own work per message
//! bounds: 8,431 kept, 8,806 through the pool, one run each).
//!
//! A kept connection is not flushed by the pool on release either, so a batch must end its
//! transaction itself (commit or rollback) before the connection is given back: on
//! PostgreSQL sqlx only queues a dropped transaction's `ROLLBACK` until the connection's next
//! use, and its row locks hold the other lanes until then (`sql::batch`'s `append_alone`).
//!
//! A kept connection skips the pool's check, so the server may have ended it since its last
//! batch (PostgreSQL restarting). The writer finds out from the batch's BEGIN, before
//! anything of the batch is sent, or from a lone message's one call (`sql::append_message`),
//! which either committed or wrote nothing, and writes it on a fresh connection instead
//! ([`KeptConnections::replace`]).

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use std::sync::Mutex;

pub struct KeptConnections<DB: Database> {
    pool: Pool<DB>,
    kept: Mutex<Vec<PoolConnection<DB>>>,
    /// Half the pool at most, so a small pool still serves everything else.
    max: usize,
}

impl<DB: Database> KeptConnections<DB> {
    /// Connections of `pool`, kept between batches.
    pub fn new(pool: Pool<DB>) -> Self {
        let max = (pool.options().get_max_connections() / 2) as usize;
        Self {
            pool,
            kept: Mutex::new(Vec::new()),
            max,
        }
    }

    /// The most recently kept connection (`true`: unchecked since its last batch), else one
    /// from the pool (`false`). Errors: the pool's, e.g. its acquire timeout.
    pub async fn take(&self) -> Result<(PoolConnection<DB>, bool), sqlx::Error> {
        let kept = self.kept.lock().map(|mut k| k.pop()).unwrap_or(None);
        match kept {
            Some(conn) => Ok((conn, true)),
            None => Ok((self.fresh().await?, false)),
        }
    }

    /// A connection from the pool, which checks it before handing it out, for a batch whose
    /// kept connection turned out to be ended.
    pub async fn fresh(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// In place of `broken`, a connection found ended or left in an unknown state (a failed
    /// statement outside a transaction): `broken` is closed, a [`Self::fresh`] one returned.
    pub async fn replace(
        &self,
        broken: PoolConnection<DB>,
    ) -> Result<PoolConnection<DB>, sqlx::Error> {
        self.give_back(broken, true);
        self.fresh().await
    }

    /// Done with `conn`: kept for the next batch, or, if the batch `failed` (its state is
    /// then unknown), closed.
    pub fn give_back(&self, mut conn: PoolConnection<DB>, failed: bool) {
        if failed {
            conn.close_on_drop();
            return;
        }
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() < self.max {
                kept.push(conn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    /// Whether `conn` is the connection that made the temp table `mark` (a temp table lives
    /// on its connection only).
    async fn marked(conn: &mut PoolConnection<sqlx::Sqlite>) -> bool {
        sqlx::query("SELECT 1 FROM temp.mark")
            .execute(&mut **conn)
            .await
            .is_ok()
    }

    async fn pool(max: u32) -> Pool<sqlx::Sqlite> {
        SqlitePoolOptions::new()
            .max_connections(max)
            .connect("sqlite::memory:")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_writer_gets_its_own_connection_back_and_a_failed_one_is_replaced() {
        let kept = KeptConnections::new(pool(4).await);
        let (mut conn, was_kept) = kept.take().await.unwrap();
        assert!(!was_kept, "nothing is kept at first");
        sqlx::query("CREATE TEMP TABLE mark (x)")
            .execute(&mut *conn)
            .await
            .unwrap();
        // Other users of the pool in between take and return other connections.
        let other = kept.pool.acquire().await.unwrap();
        drop(other);
        kept.give_back(conn, false);
        let (mut again, was_kept) = kept.take().await.unwrap();
        assert!(
            was_kept && marked(&mut again).await,
            "the kept connection comes back"
        );
        kept.give_back(again, true);
        let (mut fresh, _) = kept.take().await.unwrap();
        assert!(
            !marked(&mut fresh).await,
            "a failed batch's connection is not reused"
        );
    }

    #[tokio::test]
    async fn at_most_half_the_pool_is_kept() {
        let kept = KeptConnections::new(pool(2).await);
        let (a, b) = (kept.fresh().await.unwrap(), kept.fresh().await.unwrap());
        kept.give_back(a, false);
        kept.give_back(b, false);
        assert_eq!(kept.kept.lock().unwrap().len(), 1);
        // The other went back to the pool: everyone else can still get a connection.
        let other = tokio::time::timeout(std::time::Duration::from_secs(5), kept.pool.acquire());
        assert!(
            matches!(other.await, Ok(Ok(_))),
            "the pool has a connection left"
        );
    }
}
