//! Sign-in sessions: the cookie's hash, expiry, revocation and the session list.

/// A session's `last_seen_at` is written at most this often (a write per request would
/// serialize every request on SQLite's write lock).
pub const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

/// The account was active at `$1` (the dashboard's active accounts, see `stats`); written
/// with a session's `last_seen_at`, so as rarely.
pub const USER_ACTIVE: &str = "UPDATE users SET last_active_at = $1 WHERE id = $2";

/// Signs out every live session of user `$2` at `$1` but `$3` (NULL: all of them); answers
/// their ids.
pub const REVOKE_SESSIONS_EXCEPT: &str = "UPDATE sessions SET revoked_at = $1 \
     WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id";

/// What makes a session live, the one rule every reader of a session applies: not signed
/// out, not expired at `$now` (the placeholder of the time), its account not disabled. For a
/// statement joining `sessions s` and `users u`.
macro_rules! live_session {
    ($now:literal) => {
        concat!(
            "s.revoked_at IS NULL AND s.expires_at > ",
            $now,
            " AND u.disabled_at IS NULL"
        )
    };
}
pub(crate) use live_session;

macro_rules! impl_session_store {
    ($store:ty) => {
        #[async_trait]
        impl SessionStore for $store {
            async fn create_session(&self, s: NewSession<'_>) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, client_addr) \
                     VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
                )
                .bind(s.id)
                .bind(s.token_hash)
                .bind(s.user_id.0)
                .bind(s.now)
                .bind(s.expires_at)
                .bind(s.user_agent)
                .bind(s.client_addr)
                .execute(&self.pool)
                .await?;
                sqlx::query(sessions::USER_ACTIVE)
                    .bind(s.now)
                    .bind(s.user_id.0)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_by_token(
                &self,
                token_hash: &[u8],
                now: Timestamp,
            ) -> StoreResult<Option<SessionRecord>> {
                let row: Option<SessionRow> = sqlx::query_as(concat!(
                    "SELECT s.id AS session_id, u.id AS user_id, u.username, s.last_seen_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND ",
                    sessions::live_session!("$2")
                ))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else {
                    return Ok(None);
                };
                if now.ms_since(r.last_seen_at) > sessions::LAST_SEEN_RESOLUTION_MS {
                    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(&r.session_id)
                        .execute(&self.pool)
                        .await?;
                    sqlx::query(sessions::USER_ACTIVE)
                        .bind(now)
                        .bind(r.user_id)
                        .execute(&self.pool)
                        .await?;
                }
                Ok(Some(SessionRecord {
                    session_id: r.session_id,
                    user: UserView {
                        id: UserId(r.user_id),
                        username: r.username,
                    },
                }))
            }

            async fn session_owner(
                &self,
                session_id: &SessionId,
                now: Timestamp,
            ) -> StoreResult<Option<UserId>> {
                let found: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.id = $1 AND ",
                    sessions::live_session!("$2")
                ))
                .bind(session_id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.map(UserId))
            }

            async fn socket_memberships(
                &self,
                session_id: &SessionId,
                user: UserId,
                now: Timestamp,
            ) -> StoreResult<Option<Vec<ConversationId>>> {
                // One row per membership, or one with no conversation for a live session of
                // a user who belongs to none; no row at all when the session is not live.
                let rows: Vec<Option<i64>> = sqlx::query_scalar(concat!(
                    "SELECT m.conversation_id FROM sessions s JOIN users u ON u.id = s.user_id \
                     LEFT JOIN members m ON m.user_id = s.user_id \
                     WHERE s.id = $1 AND s.user_id = $2 AND ",
                    sessions::live_session!("$3")
                ))
                .bind(session_id)
                .bind(user.0)
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                Ok(Some(rows.into_iter().flatten().map(ConversationId).collect()))
            }

            async fn revoke_session(
                &self,
                token_hash: &[u8],
                now: Timestamp,
            ) -> StoreResult<Option<SessionId>> {
                Ok(sqlx::query_scalar(
                    "UPDATE sessions SET revoked_at = $1 \
                     WHERE token_hash = $2 AND revoked_at IS NULL RETURNING id",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn sessions_for(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<SessionInfo>> {
                let rows: Vec<SessionInfoRow> = sqlx::query_as(
                    "SELECT id, user_agent, client_addr, created_at, last_seen_at FROM sessions \
                     WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
                     ORDER BY last_seen_at DESC, created_at DESC",
                )
                .bind(user.0)
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(SessionInfo::from).collect())
            }

            async fn revoke_session_by_id(
                &self,
                user: UserId,
                session_id: &SessionId,
                now: Timestamp,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 \
                     WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(session_id)
                .bind(user.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn revoke_sessions_except(
                &self,
                user: UserId,
                keep: Option<&SessionId>,
                now: Timestamp,
            ) -> StoreResult<Vec<SessionId>> {
                Ok(sqlx::query_scalar(sessions::REVOKE_SESSIONS_EXCEPT)
                .bind(now)
                .bind(user.0)
                .bind(keep)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use impl_session_store;
