//! Places under the limits every node shares (see `ThrottleStore` and migration 0017).
//!
//! A transaction that takes places first writes the row of each of its keys in
//! `throttle_keys`, in key order: a row lock on PostgreSQL, the write lock on SQLite. Checks
//! of one key arriving at once, on one node or several, then count one after the other, so
//! no more than the allowance is ever taken however many arrive together (SECURITY 26), and
//! the key order keeps two transactions from waiting on each other.

/// Locks key `$1` for the rest of the transaction.
pub const LOCK_KEY: &str = "INSERT INTO throttle_keys (key) VALUES ($1) \
     ON CONFLICT (key) DO UPDATE SET key = throttle_keys.key";

/// Of key `$1`: counted places since `$2`, places held (taken, not settled) since `$3`, and
/// the oldest counted one.
pub const USAGE: &str = "SELECT \
     COALESCE(SUM(CASE WHEN counted THEN 1 ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN counted THEN 0 ELSE 1 END), 0), \
     MIN(CASE WHEN counted THEN at END) \
     FROM throttle_places \
     WHERE key = $1 AND ((counted AND at > $2) OR (NOT counted AND at > $3))";

macro_rules! impl_throttle_store {
    ($store:ty) => {
        #[async_trait]
        impl ThrottleStore for $store {
            async fn take_places(
                &self,
                keys: &[String],
                allowance: i64,
                counted_since: Timestamp,
                held_since: Timestamp,
                now: Timestamp,
            ) -> StoreResult<Places> {
                let mut keys = keys.to_vec();
                keys.sort();
                keys.dedup();
                let mut tx = self.pool.begin().await?;
                for key in &keys {
                    sqlx::query(throttle::LOCK_KEY)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                let mut full = false;
                let mut oldest: Option<Timestamp> = None;
                for key in &keys {
                    let (counted, held, first): (i64, i64, Option<Timestamp>) =
                        sqlx::query_as(throttle::USAGE)
                            .bind(key)
                            .bind(counted_since)
                            .bind(held_since)
                            .fetch_one(&mut *tx)
                            .await?;
                    if counted + held >= allowance {
                        full = true;
                        if counted >= allowance {
                            oldest = oldest.max(first);
                        }
                    }
                }
                if full {
                    tx.rollback().await?;
                    return Ok(Places::Full { oldest });
                }
                let mut ids = Vec::with_capacity(keys.len());
                for key in &keys {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO throttle_places (key, at, counted) VALUES ($1, $2, FALSE) \
                         RETURNING id",
                    )
                    .bind(key)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    ids.push(id);
                }
                tx.commit().await?;
                Ok(Places::Taken(ids))
            }

            async fn settle_places(
                &self,
                ids: &[i64],
                counted: bool,
                now: Timestamp,
            ) -> StoreResult<()> {
                for id in ids {
                    let query = if counted {
                        sqlx::query(
                            "UPDATE throttle_places SET counted = TRUE, at = $2 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(now)
                    } else {
                        sqlx::query("DELETE FROM throttle_places WHERE id = $1").bind(id)
                    };
                    query.execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn prune_places(
                &self,
                counted_before: Timestamp,
                held_before: Timestamp,
            ) -> StoreResult<u64> {
                let gone = sqlx::query(
                    "DELETE FROM throttle_places \
                     WHERE (counted AND at < $1) OR (NOT counted AND at < $2)",
                )
                .bind(counted_before)
                .bind(held_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
                sqlx::query(
                    "DELETE FROM throttle_keys WHERE NOT EXISTS \
                     (SELECT 1 FROM throttle_places p WHERE p.key = throttle_keys.key)",
                )
                .execute(&self.pool)
                .await?;
                Ok(gone)
            }
        }
    };
}

pub(crate) use impl_throttle_store;
