//! Retention (see `lifecycle::RetentionStore`): pruning a conversation's oldest events in
//! small transactions. Each batch takes the conversation row first (PostgreSQL's row lock,
//! SQLite's write lock), as an append does, so a batch and a send to the same conversation
//! take turns: a batch holds it for about a millisecond, never a whole pass. On SQLite a batch
//! also waits its turn behind the writer's (`write_gate`), so a pass cannot starve sends.

macro_rules! impl_retention_store {
    ($store:ty) => {
        #[async_trait]
        impl RetentionStore for $store {
            async fn retention_targets(
                &self,
                after: ConversationId,
                limit: i64,
            ) -> StoreResult<Vec<RetentionTarget>> {
                let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, retention_days FROM conversations \
                     WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2",
                )
                .bind(after.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, retention_days)| RetentionTarget {
                        id: ConversationId(id),
                        retention_days,
                    })
                    .collect())
            }

            async fn prune_before(
                &self,
                id: ConversationId,
                cutoff: Timestamp,
                limit: i64,
            ) -> StoreResult<Pruned> {
                let _turn = self.write_gate().await;
                let mut tx = self.pool.begin().await?;
                let from: Option<Seq> = sqlx::query_scalar(
                    "UPDATE conversations SET pruned_through = pruned_through \
                     WHERE id = $1 AND deleted_at IS NULL RETURNING pruned_through",
                )
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(from) = from else {
                    return Err(StoreError::NotFound);
                };
                let oldest: Vec<(Seq, Timestamp)> = sqlx::query_as(
                    "SELECT seq, created_at FROM messages \
                     WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(id.0)
                .bind(from)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let through = oldest
                    .iter()
                    .take_while(|(_, at)| *at < cutoff)
                    .last()
                    .map(|(seq, _)| *seq);
                let Some(through) = through else {
                    return Ok(Pruned {
                        deleted: 0,
                        through: from,
                    });
                };
                for table in ["reactions", "mentions", "attachments"] {
                    // The attachments trigger queues the files' bytes for the janitor.
                    sqlx::query(&format!(
                        "DELETE FROM {table} WHERE conversation_id = $1 AND seq <= $2"
                    ))
                    .bind(id.0)
                    .bind(through)
                    .execute(&mut *tx)
                    .await?;
                }
                let deleted = sqlx::query(
                    "DELETE FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3",
                )
                .bind(id.0)
                .bind(from)
                .bind(through)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("UPDATE conversations SET pruned_through = $1 WHERE id = $2")
                    .bind(through)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                // The checkpointer copies the WAL as often as for appends: a pass otherwise
                // left 100 MB in it, whose truncation at its end held sends off for 350 ms.
                self.writer.count_written(deleted);
                Ok(Pruned { deleted, through })
            }

            async fn finish_bulk_deletion(&self) {
                self.after_deletion().await;
            }

            async fn set_retention(
                &self,
                id: ConversationId,
                days: Option<i64>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE conversations SET retention_days = $1 \
                     WHERE id = $2 AND deleted_at IS NULL",
                )
                .bind(days)
                .bind(id.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn retention_of(
                &self,
                id: ConversationId,
            ) -> StoreResult<Option<(Option<i64>, Seq)>> {
                Ok(sqlx::query_as(
                    "SELECT retention_days, pruned_through FROM conversations \
                     WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use impl_retention_store;
