//! Direct conversations: one per pair of people, created on first open and found again by
//! the pair, and closing one (hiding it from one's own side nav until the next message).

/// Creates the pair's conversation if `$1` (the opener) and `$2` (the other person) share a
/// conversation and the pair has none yet; returns its id, or nothing when either is not the
/// case. Binds: opener, other, now, lower id, higher id.
///
/// Why one statement: it writes first, so on SQLite it takes the write lock before anything
/// is read (a read-then-write transaction could fail with a busy snapshot), and on PostgreSQL
/// a racing insert of the same pair waits on the unique index and then does nothing. Either
/// way the pair gets one row however many requests race, from either side.
pub const CREATE_PAIR: &str = "INSERT INTO conversations \
       (title, owner_id, created_at, last_activity_at, public, kind, direct_low, direct_high) \
     SELECT '', $1, $3, $3, FALSE, 'direct', $4, $5 \
     WHERE EXISTS (SELECT 1 FROM members a \
         JOIN members b ON b.conversation_id = a.conversation_id AND b.user_id = $2 \
         WHERE a.user_id = $1) \
     ON CONFLICT (direct_low, direct_high) DO NOTHING RETURNING id";

macro_rules! impl_direct_store {
    ($store:ty) => {
        #[async_trait]
        impl DirectStore for $store {
            async fn open_direct(
                &self,
                me: UserId,
                other: UserId,
                now: Timestamp,
            ) -> StoreResult<Option<DirectOpened>> {
                if me == other {
                    return Err(StoreError::Forbidden);
                }
                let (low, high) = if me.0 < other.0 { (me, other) } else { (other, me) };
                let mut tx = self.pool.begin().await?;
                let created: Option<i64> = sqlx::query_scalar(direct::CREATE_PAIR)
                    .bind(me.0)
                    .bind(other.0)
                    .bind(now)
                    .bind(low.0)
                    .bind(high.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(id) = created {
                    // Both are members from the start (either may read and write it), but
                    // the other person sees it only once a message arrives (hidden_seq 0).
                    sqlx::query(
                        "INSERT INTO members (conversation_id, user_id, role, joined_at, hidden_seq) \
                         VALUES ($1, $2, 'member', $4, NULL), ($1, $3, 'member', $4, 0)",
                    )
                    .bind(id)
                    .bind(me.0)
                    .bind(other.0)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Some(DirectOpened {
                        id: ConversationId(id),
                        created: true,
                        shown: true,
                    }));
                }
                let existing: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM conversations \
                     WHERE direct_low = $1 AND direct_high = $2 AND kind = 'direct' AND deleted_at IS NULL",
                )
                .bind(low.0)
                .bind(high.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = existing else {
                    // No shared conversation (or no such user): the same answer for both.
                    tx.rollback().await?;
                    return Ok(None);
                };
                let hidden: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT hidden_seq FROM members WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(id)
                .bind(me.0)
                .fetch_optional(&mut *tx)
                .await?;
                let shown = match hidden {
                    None => {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    Some(None) => false,
                    Some(Some(_)) => {
                        sqlx::query(
                            "UPDATE members SET hidden_seq = NULL \
                             WHERE conversation_id = $1 AND user_id = $2",
                        )
                        .bind(id)
                        .bind(me.0)
                        .execute(&mut *tx)
                        .await?;
                        true
                    }
                };
                tx.commit().await?;
                Ok(Some(DirectOpened {
                    id: ConversationId(id),
                    created: false,
                    shown,
                }))
            }

            async fn conversation_kind(
                &self,
                id: ConversationId,
            ) -> StoreResult<Option<ConversationKind>> {
                let kind: Option<String> = sqlx::query_scalar(
                    "SELECT kind FROM conversations WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(kind.map(|k| rows::conversation_kind(&k)).transpose()?)
            }

            async fn close_conversation(
                &self,
                id: ConversationId,
                user: UserId,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE members SET hidden_seq = \
                         (SELECT c.last_seq FROM conversations c WHERE c.id = $1) \
                     WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(id.0)
                .bind(user.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(crate) use impl_direct_store;
