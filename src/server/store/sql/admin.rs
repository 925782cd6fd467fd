//! Instance administration: admins, disabled accounts and the account list of /admin/users.
//!
//! Changes that could leave the instance without an enabled admin (revoking admin, disabling
//! an admin) take the `lock:admins` row of `instance_flags` first, in their transaction, as
//! sign-ups take `lock:sign_up`: under PostgreSQL's READ COMMITTED two admins revoking each
//! other at once would otherwise both see the other still an admin, and both succeed.

use crate::ids::UserId;
use crate::model::AdminUser;
use crate::time::Timestamp;

/// Enabled admins other than `$1`, counted after the admins lock is held.
pub const OTHER_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE is_admin AND disabled_at IS NULL AND id <> $1";

/// Takes the admins lock in `tx` (a row lock on PostgreSQL, the write lock on SQLite).
pub const LOCK_ADMINS: &str =
    "INSERT INTO instance_flags (name, set_at) VALUES ('lock:admins', 0) \
     ON CONFLICT (name) DO UPDATE SET set_at = instance_flags.set_at";

/// One account of /admin/users. Binds: now (for the live sessions), then the caller's.
pub const ADMIN_USER_COLUMNS: &str =
    "u.id, u.username, u.username_key, u.display_name, u.created_at, \
     last.created_at AS last_sign_in_at, last.client_addr AS last_sign_in_addr, \
     (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL \
        AND s.expires_at > $1) AS active_sessions, \
     (SELECT COUNT(*) FROM members m JOIN conversations c ON c.id = m.conversation_id \
        WHERE m.user_id = u.id AND c.deleted_at IS NULL) AS conversations, \
     u.messages_sent, u.is_admin AS admin, u.disabled_at";

/// The accounts with their newest session (sign-in or sign-up), looked up once per account.
pub const ADMIN_USER_FROM: &str = "users u LEFT JOIN sessions last ON last.id = \
     (SELECT s.id FROM sessions s WHERE s.user_id = u.id ORDER BY s.created_at DESC LIMIT 1)";

/// A row of [`ADMIN_USER_COLUMNS`] from [`ADMIN_USER_FROM`].
#[derive(sqlx::FromRow)]
pub struct AdminUserRow {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub display_name: String,
    pub created_at: Timestamp,
    pub last_sign_in_at: Option<Timestamp>,
    pub last_sign_in_addr: Option<String>,
    pub active_sessions: i64,
    pub conversations: i64,
    pub messages_sent: i64,
    pub admin: bool,
    pub disabled_at: Option<Timestamp>,
}

impl From<AdminUserRow> for AdminUser {
    fn from(r: AdminUserRow) -> Self {
        AdminUser {
            id: UserId(r.id),
            username: r.username,
            display_name: r.display_name,
            created_at: r.created_at,
            last_sign_in_at: r.last_sign_in_at,
            last_sign_in_addr: r.last_sign_in_addr,
            active_sessions: r.active_sessions,
            conversations: r.conversations,
            messages_sent: r.messages_sent,
            admin: r.admin,
            disabled_at: r.disabled_at,
        }
    }
}

/// `needle` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally
/// (with `ESCAPE '\'`).
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

macro_rules! impl_admin_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// `Forbidden` unless an enabled admin other than `user` remains; call with the
            /// admins lock held.
            async fn another_admin_remains(
                tx: &mut sqlx::Transaction<'_, $db>,
                user: UserId,
            ) -> StoreResult<()> {
                let others: i64 = sqlx::query_scalar(admin::OTHER_ADMINS)
                    .bind(user.0)
                    .fetch_one(&mut **tx)
                    .await?;
                if others == 0 {
                    return Err(StoreError::Forbidden);
                }
                Ok(())
            }

            /// Signs out every session of account `user` at `now`; answers their ids.
            async fn end_all_sessions(
                tx: &mut sqlx::Transaction<'_, $db>,
                user: i64,
                now: Timestamp,
            ) -> StoreResult<Vec<SessionId>> {
                Ok(sqlx::query_scalar(sessions::REVOKE_SESSIONS_EXCEPT)
                .bind(now)
                .bind(user)
                .bind(None::<&SessionId>)
                .fetch_all(&mut **tx)
                .await?)
            }
        }

        #[async_trait]
        impl AdminStore for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn is_admin(&self, user: UserId) -> StoreResult<bool> {
                let found: Option<bool> = sqlx::query_scalar(
                    "SELECT is_admin FROM users WHERE id = $1 AND disabled_at IS NULL",
                )
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.unwrap_or(false))
            }

            async fn may_sign_in(&self, user: UserId) -> StoreResult<bool> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM users WHERE id = $1 AND disabled_at IS NULL",
                )
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }

            async fn set_admin(&self, user: UserId, admin: bool) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(admin::LOCK_ADMINS).execute(&mut *tx).await?;
                let current: Option<bool> =
                    sqlx::query_scalar("SELECT is_admin FROM users WHERE id = $1 AND deleted_at IS NULL")
                        .bind(user.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(current) = current else {
                    return Err(StoreError::NotFound);
                };
                if current == admin {
                    return Ok(false);
                }
                if !admin {
                    Self::another_admin_remains(&mut tx, user).await?;
                }
                sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                    .bind(admin)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_disabled(
                &self,
                user: UserId,
                at: Option<Timestamp>,
            ) -> StoreResult<Option<Vec<SessionId>>> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(admin::LOCK_ADMINS).execute(&mut *tx).await?;
                let current: Option<(bool, Option<Timestamp>)> =
                    sqlx::query_as(
                        "SELECT is_admin, disabled_at FROM users WHERE id = $1 AND deleted_at IS NULL",
                    )
                        .bind(user.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((is_admin, disabled_at)) = current else {
                    return Err(StoreError::NotFound);
                };
                if disabled_at.is_some() == at.is_some() {
                    return Ok(None);
                }
                if let Some(now) = at {
                    if is_admin {
                        Self::another_admin_remains(&mut tx, user).await?;
                    }
                    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await?;
                    let ended = Self::end_all_sessions(&mut tx, user.0, now).await?;
                    tx.commit().await?;
                    return Ok(Some(ended));
                }
                sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(Vec::new()))
            }

            async fn admin_users(
                &self,
                query: &str,
                after: Option<&str>,
                limit: i64,
                now: Timestamp,
            ) -> StoreResult<AdminUserPage> {
                let pattern = admin::contains_pattern(query);
                let rows: Vec<admin::AdminUserRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM {} \
                     WHERE u.deleted_at IS NULL AND u.username_key > $2 \
                       AND (u.username_key LIKE $3 ESCAPE '\\' \
                            OR lower(u.display_name) LIKE $3 ESCAPE '\\') \
                     ORDER BY u.username_key LIMIT $4",
                    admin::ADMIN_USER_COLUMNS,
                    admin::ADMIN_USER_FROM
                ))
                .bind(now)
                .bind(after.unwrap_or(""))
                .bind(pattern)
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?;
                let mut rows = rows;
                let next = if rows.len() as i64 > limit {
                    rows.truncate(limit.max(0) as usize);
                    rows.last().map(|r| r.username_key.clone())
                } else {
                    None
                };
                Ok(AdminUserPage {
                    users: rows.into_iter().map(AdminUser::from).collect(),
                    next,
                })
            }

            async fn admin_user(&self, user: UserId, now: Timestamp) -> StoreResult<Option<AdminUser>> {
                let row: Option<admin::AdminUserRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM {} WHERE u.id = $2 AND u.deleted_at IS NULL",
                    admin::ADMIN_USER_COLUMNS,
                    admin::ADMIN_USER_FROM
                ))
                .bind(now)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(AdminUser::from))
            }

            async fn create_password_reset(
                &self,
                user: UserId,
                code_hash: &[u8],
                by: Option<UserId>,
                now: Timestamp,
                expires_at: Timestamp,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
                )
                .bind(now)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO password_resets (code_hash, user_id, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(code_hash)
                .bind(user.0)
                .bind(by.map(|b| b.0))
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .map_err(unique_as_conflict)?;
                tx.commit().await?;
                Ok(())
            }

            async fn password_reset_target(
                &self,
                code_hash: &[u8],
                now: Timestamp,
            ) -> StoreResult<Option<UserView>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.username FROM password_resets r JOIN users u ON u.id = r.user_id \
                     WHERE r.code_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2",
                )
                .bind(code_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(UserView::from))
            }

            async fn use_password_reset(
                &self,
                code_hash: &[u8],
                password_hash: &str,
                now: Timestamp,
            ) -> StoreResult<Option<(UserView, Vec<SessionId>)>> {
                let mut tx = self.pool.begin().await?;
                // The claim and its check in one statement: of two uses at once, the second
                // finds `used_at` set (PostgreSQL re-checks the row it waited for).
                let user: Option<i64> = sqlx::query_scalar(
                    "UPDATE password_resets SET used_at = $1 \
                     WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
                )
                .bind(now)
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(user) = user else {
                    return Ok(None);
                };
                let row: UserRow = sqlx::query_as(
                    "UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING id, username",
                )
                .bind(password_hash)
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
                let ended = Self::end_all_sessions(&mut tx, user, now).await?;
                tx.commit().await?;
                Ok(Some((UserView::from(row), ended)))
            }

            async fn user_id_by_key(&self, username_key: &str) -> StoreResult<Option<UserId>> {
                let id: Option<i64> =
                    sqlx::query_scalar(
                        "SELECT id FROM users WHERE username_key = $1 AND deleted_at IS NULL",
                    )
                        .bind(username_key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(id.map(UserId))
            }
        }
    };
}
pub(crate) use impl_admin_store;

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn a_search_takes_like_wildcards_literally() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
