//! The writer's connections, kept between batches (see `sql::batch`'s `start_writer`).
//!
//! The pool hands its idle connections out in turn, so each batch of the writer came on a
//! connection whose page cache the batches since its last turn had made stale: SQLite read
//! the conversation's pages, the indexes and the search index back from the WAL for every
//! commit (`make profile`: `walFindFrame` and `pread` beside every append). Kept, the
//! writer's connection stays warm.
//!
//! Only SQLite keeps them. A kept connection skips the pool's check before hand-out, and on
//! PostgreSQL that check (a ping) is what lets a lane ride out a restart of the database
//! server without failing a batch on a dead connection; a file has no server to lose.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use std::sync::Mutex;

pub struct KeptConnections<DB: Database> {
    pool: Pool<DB>,
    kept: Mutex<Vec<PoolConnection<DB>>>,
    /// Half the pool at most, so a small pool still serves everything else; 0 when
    /// connections are not kept.
    max: usize,
}

impl<DB: Database> KeptConnections<DB> {
    /// Connections of `pool`, kept between batches if `keep`, else taken from the pool and
    /// given back to it each time.
    pub fn new(pool: Pool<DB>, keep: bool) -> Self {
        let max = if keep {
            (pool.options().get_max_connections() / 2) as usize
        } else {
            0
        };
        Self {
            pool,
            kept: Mutex::new(Vec::new()),
            max,
        }
    }

    /// The most recently kept connection, else one from the pool (errors: the pool's, e.g.
    /// its acquire timeout).
    pub async fn take(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        let kept = self.kept.lock().map(|mut k| k.pop()).unwrap_or(None);
        match kept {
            Some(conn) => Ok(conn),
            None => self.pool.acquire().await,
        }
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
        let kept = KeptConnections::new(pool(4).await, true);
        let mut conn = kept.take().await.unwrap();
        sqlx::query("CREATE TEMP TABLE mark (x)")
            .execute(&mut *conn)
            .await
            .unwrap();
        // Other users of the pool in between take and return other connections.
        let other = kept.pool.acquire().await.unwrap();
        drop(other);
        kept.give_back(conn, false);
        let mut again = kept.take().await.unwrap();
        assert!(marked(&mut again).await, "the kept connection comes back");
        kept.give_back(again, true);
        let mut fresh = kept.take().await.unwrap();
        assert!(
            !marked(&mut fresh).await,
            "a failed batch's connection is not reused"
        );
    }

    #[tokio::test]
    async fn at_most_half_the_pool_is_kept() {
        let kept = KeptConnections::new(pool(2).await, true);
        let (a, b) = (kept.take().await.unwrap(), kept.take().await.unwrap());
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

    #[tokio::test]
    async fn without_keeping_every_batch_goes_through_the_pool() {
        let kept = KeptConnections::new(pool(4).await, false);
        let conn = kept.take().await.unwrap();
        kept.give_back(conn, false);
        assert!(kept.kept.lock().unwrap().is_empty());
    }
}
