//! Accounts with look-alike checks, read positions, removals with bans, and the paged audit
//! log, for the SQLite store. Rows are read by column name.

use super::super::store::{AuditFilter, Ban, NewUser, StoreError, StoreResult};
use super::is_unique_violation;
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{AuditEntry, BanInfo, UserView};
use crate::validate::Username;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

/// Fills the confusable skeleton of accounts created before it was stored (migration 0005).
pub(super) async fn backfill_skeletons(pool: &SqlitePool) -> StoreResult<()> {
    let rows = sqlx::query("SELECT id, username FROM users WHERE username_skeleton IS NULL")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let name: String = row.try_get("username")?;
        let skeleton = Username::parse(&name)
            .map(|u| u.skeleton())
            .unwrap_or_else(|_| name.to_lowercase());
        sqlx::query("UPDATE users SET username_skeleton = $1 WHERE id = $2")
            .bind(skeleton)
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Inserts the account, then looks for another with the same skeleton inside the same write
/// transaction, so two look-alikes signing up at once cannot both get in.
pub(super) async fn create_user(pool: &SqlitePool, u: NewUser<'_>) -> StoreResult<UserView> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, username_key, username_skeleton, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(u.username)
    .bind(u.key)
    .bind(u.skeleton)
    .bind(u.password_hash)
    .bind(u.now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict
        } else {
            e.into()
        }
    })?;
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT username FROM users WHERE username_skeleton = $1 AND id <> $2 LIMIT 1",
    )
    .bind(u.skeleton)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(name) = existing {
        tx.rollback().await?;
        return Err(StoreError::Lookalike(name));
    }
    tx.commit().await?;
    Ok(UserView {
        id: UserId(id),
        username: u.username.to_owned(),
    })
}

pub(super) async fn mark_read(
    pool: &SqlitePool,
    conversation: ConversationId,
    user: UserId,
    seq: Seq,
) -> StoreResult<(Seq, bool)> {
    // Only forward (a slow tab reporting an older position never moves it back) and never
    // past last_seq (a client cannot claim to have read the future).
    let moved: Option<i64> = sqlx::query_scalar(
        "UPDATE members SET last_read_seq = MIN($1, \
             (SELECT last_seq FROM conversations WHERE id = members.conversation_id)) \
         WHERE conversation_id = $2 AND user_id = $3 AND last_read_seq < MIN($1, \
             (SELECT last_seq FROM conversations WHERE id = members.conversation_id)) \
         RETURNING last_read_seq",
    )
    .bind(seq)
    .bind(conversation.0)
    .bind(user.0)
    .fetch_optional(pool)
    .await?;
    if let Some(stored) = moved {
        return Ok((stored, true));
    }
    let current: Option<i64> = sqlx::query_scalar(
        "SELECT last_read_seq FROM members WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(conversation.0)
    .bind(user.0)
    .fetch_optional(pool)
    .await?;
    current.map(|s| (s, false)).ok_or(StoreError::NotFound)
}

pub(super) async fn remove_member(
    pool: &SqlitePool,
    conversation: ConversationId,
    user: UserId,
    ban: Option<Ban>,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2")
        .bind(conversation.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(ban) = ban {
        sqlx::query(
            "INSERT INTO bans (conversation_id, user_id, banned_by, banned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET banned_by = $3, banned_at = $4",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(ban.by.0)
        .bind(ban.at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn bans(
    pool: &SqlitePool,
    conversation: ConversationId,
) -> StoreResult<Vec<BanInfo>> {
    let rows = sqlx::query(
        "SELECT b.user_id, u.username, bu.username AS banned_by, b.banned_at \
         FROM bans b JOIN users u ON u.id = b.user_id LEFT JOIN users bu ON bu.id = b.banned_by \
         WHERE b.conversation_id = $1 ORDER BY b.banned_at DESC LIMIT 500",
    )
    .bind(conversation.0)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BanInfo {
                user_id: UserId(r.try_get("user_id")?),
                username: r.try_get("username")?,
                banned_by: r.try_get("banned_by")?,
                banned_at: r.try_get("banned_at")?,
            })
        })
        .collect()
}

pub(super) async fn lift_ban(
    pool: &SqlitePool,
    conversation: ConversationId,
    user: UserId,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM bans WHERE conversation_id = $1 AND user_id = $2")
        .bind(conversation.0)
        .bind(user.0)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn is_banned(
    tx: &mut Transaction<'_, Sqlite>,
    conversation: i64,
    user: UserId,
) -> StoreResult<bool> {
    row_exists(
        tx,
        "SELECT 1 FROM bans WHERE conversation_id = $1 AND user_id = $2",
        conversation,
        user,
    )
    .await
}

pub(super) async fn is_member(
    tx: &mut Transaction<'_, Sqlite>,
    conversation: ConversationId,
    user: UserId,
) -> StoreResult<bool> {
    row_exists(
        tx,
        "SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2",
        conversation.0,
        user,
    )
    .await
}

async fn row_exists(
    tx: &mut Transaction<'_, Sqlite>,
    sql: &'static str,
    conversation: i64,
    user: UserId,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(conversation)
        .bind(user.0)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

/// Keyset paging on the audit log's id (newest first), optionally one action and one actor.
pub(super) async fn audit_entries(
    pool: &SqlitePool,
    conversation: ConversationId,
    f: AuditFilter<'_>,
) -> StoreResult<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT id, at, action, actor_name, target_name, detail, client_addr FROM audit_log \
         WHERE conversation_id = $1 AND id < $2 AND ($3 IS NULL OR action = $3) \
             AND ($4 IS NULL OR actor_name = $4 COLLATE NOCASE) \
         ORDER BY id DESC LIMIT $5",
    )
    .bind(conversation.0)
    .bind(f.before.unwrap_or(i64::MAX))
    .bind(f.action)
    .bind(f.actor)
    .bind(f.limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                action: r.try_get("action")?,
                actor: r.try_get("actor_name")?,
                target: r.try_get("target_name")?,
                detail: r.try_get("detail")?,
                client_addr: r.try_get("client_addr")?,
            })
        })
        .collect()
}
