//! The embedded default store: SQLite through sqlx, in WAL mode, one file in the data directory.

use super::store::{Inserted, NewEvent, NewSession, SessionRecord, Store, StoreError, StoreResult};
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    ConversationSummary, EventKind, InvitePreview, Member, MessagePreview, MessageView, Role,
    UserView, UNREAD_CAP,
};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a commit is in the WAL (in the OS) before the message it holds is
            // acknowledged, so it survives a crash or kill -9 of the process; only a power
            // loss or kernel crash can drop the last few commits. FULL would fsync every
            // message and cap the server at the disk's fsync rate (about 25 messages/s here).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

const MESSAGE_COLUMNS: &str =
    "m.conversation_id, m.seq, m.sender_id, u.username, m.body, m.created_at, m.client_id, \
     m.kind, m.target_seq, m.edited_at, m.deleted_at";

fn message_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<MessageView, sqlx::Error> {
    let kind: String = row.try_get(7)?;
    let deleted_at: Option<i64> = row.try_get(10)?;
    Ok(MessageView {
        conversation_id: ConversationId(row.try_get(0)?),
        seq: row.try_get(1)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown event kind {kind}").into()))?,
        target_seq: row.try_get(8)?,
        author_id: UserId(row.try_get(2)?),
        author: row.try_get(3)?,
        body: row.try_get(4)?,
        created_at: row.try_get(5)?,
        edited_at: row.try_get(9)?,
        deleted: deleted_at.is_some(),
        client_id: row.try_get(6)?,
    })
}

/// A side-nav row for member `?1`: the newest visible message as preview, and unread
/// messages by others after the member's read position, counted up to UNREAD_CAP.
fn summary_select(filter: &str) -> String {
    format!(
        "SELECT c.id, c.title, c.last_activity_at, c.last_seq, u.username, m.body, \
           (SELECT COUNT(*) FROM (SELECT 1 FROM messages x \
              WHERE x.conversation_id = c.id AND x.seq > mb.last_read_seq AND x.kind = 'message' \
                AND x.deleted_at IS NULL AND x.sender_id <> mb.user_id LIMIT {UNREAD_CAP})) \
         FROM conversations c \
         JOIN members mb ON mb.conversation_id = c.id AND mb.user_id = ?1 \
         LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = ( \
             SELECT MAX(p.seq) FROM messages p \
             WHERE p.conversation_id = c.id AND p.kind = 'message' AND p.deleted_at IS NULL) \
         LEFT JOIN users u ON u.id = m.sender_id \
         {filter}"
    )
}

fn summary_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ConversationSummary, sqlx::Error> {
    let author: Option<String> = row.try_get(4)?;
    let body: Option<String> = row.try_get(5)?;
    Ok(ConversationSummary {
        id: ConversationId(row.try_get(0)?),
        title: row.try_get(1)?,
        last_activity_at: row.try_get(2)?,
        last_seq: row.try_get(3)?,
        last_message: match (author, body) {
            (Some(a), Some(b)) => Some(MessagePreview::new(a, &b)),
            _ => None,
        },
        unread: row.try_get(6)?,
    })
}

fn member_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Member, sqlx::Error> {
    let role: String = row.try_get(2)?;
    Ok(Member {
        user: UserView {
            id: UserId(row.try_get(0)?),
            username: row.try_get(1)?,
        },
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?,
        joined_at: row.try_get(3)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(
        &self,
        username: &str,
        username_key: &str,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<UserView> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(username)
        .bind(username_key)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(UserView {
            id: UserId(id),
            username: username.to_owned(),
        })
    }

    async fn user_credentials(
        &self,
        username_key: &str,
    ) -> StoreResult<Option<(UserView, String)>> {
        let row =
            sqlx::query("SELECT id, username, password_hash FROM users WHERE username_key = ?")
                .bind(username_key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok((
                UserView {
                    id: UserId(r.try_get(0)?),
                    username: r.try_get(1)?,
                },
                r.try_get(2)?,
            ))
        })
        .transpose()
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserView>> {
        let row = sqlx::query("SELECT id, username FROM users WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserView {
                id: UserId(r.try_get(0)?),
                username: r.try_get(1)?,
            })
        })
        .transpose()
    }

    async fn create_session(&self, s: NewSession<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, client_addr) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.id)
        .bind(s.token_hash)
        .bind(s.user_id.0)
        .bind(s.now)
        .bind(s.now)
        .bind(s.expires_at)
        .bind(s.user_agent)
        .bind(s.client_addr)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_by_token(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT s.id, u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                session_id: r.try_get(0)?,
                user: UserView {
                    id: UserId(r.try_get(1)?),
                    username: r.try_get(2)?,
                },
            })
        })
        .transpose()
    }

    async fn session_active(&self, session_id: &str, now: i64) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(session_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn revoke_session(&self, token_hash: &[u8], now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_conversation(
        &self,
        owner: UserId,
        title: &str,
        now: i64,
    ) -> StoreResult<ConversationSummary> {
        // One transaction: a conversation never exists without its owner as a member.
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (title, owner_id, created_at, last_activity_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(title)
        .bind(owner.0)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)")
            .bind(id)
            .bind(owner.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ConversationSummary {
            id: ConversationId(id),
            title: title.to_owned(),
            last_activity_at: now,
            last_seq: 0,
            last_message: None,
            unread: 0,
        })
    }

    async fn conversations_for(&self, user: UserId) -> StoreResult<Vec<ConversationSummary>> {
        let sql = summary_select("ORDER BY c.last_activity_at DESC, c.id DESC");
        let rows = sqlx::query(&sql).bind(user.0).fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn conversation_summary(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<ConversationSummary>> {
        let sql = summary_select("WHERE c.id = ?2");
        let row = sqlx::query(&sql)
            .bind(user.0)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(summary_from_row).transpose()?)
    }

    async fn conversation_ids_for(&self, user: UserId) -> StoreResult<Vec<ConversationId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT conversation_id FROM members WHERE user_id = ?")
                .bind(user.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().map(ConversationId).collect())
    }

    async fn role_of(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<Role>> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM members WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(conversation.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    async fn membership(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<(Role, Seq)>> {
        let row = sqlx::query(
            "SELECT role, last_read_seq FROM members WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(conversation.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let role: String = r.try_get(0)?;
            let role = Role::parse(&role)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?;
            Ok((role, r.try_get(1)?))
        })
        .transpose()
    }

    async fn mark_read(
        &self,
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
    ) -> StoreResult<Seq> {
        // MAX: a slow tab reporting an older position never moves the marker back; MIN with
        // last_seq: a client cannot claim to have read the future.
        let stored: Option<i64> = sqlx::query_scalar(
            "UPDATE members SET last_read_seq = MAX(last_read_seq, MIN(?, \
                 (SELECT last_seq FROM conversations WHERE id = members.conversation_id))) \
             WHERE conversation_id = ? AND user_id = ? RETURNING last_read_seq",
        )
        .bind(seq)
        .bind(conversation.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        stored.ok_or(StoreError::NotFound)
    }

    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM members WHERE conversation_id = ? AND user_id = ?")
            .bind(conversation.0)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn members(&self, conversation: ConversationId) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, m.role, m.joined_at FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.conversation_id = ? \
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.username_key",
        )
        .bind(conversation.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(member_from_row).collect::<Result<_, _>>()?)
    }

    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: Role,
        now: i64,
    ) -> StoreResult<Option<Member>> {
        let done = sqlx::query(
            "INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.username, m.role, m.joined_at FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.conversation_id = ? AND m.user_id = ?",
        )
        .bind(conversation.0)
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(member_from_row(&row)?))
    }

    async fn append_event(&self, e: NewEvent<'_>) -> StoreResult<Inserted> {
        let mut tx = self.pool.begin().await?;
        // Claim the next seq first: this write takes SQLite's write lock at the start of the
        // transaction, so a concurrent writer waits (busy_timeout) instead of failing when a
        // read lock would have to be upgraded. Edits do not count as new activity.
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE conversations SET last_seq = last_seq + 1, \
                 last_activity_at = CASE WHEN ? THEN ? ELSE last_activity_at END \
             WHERE id = ? RETURNING last_seq",
        )
        .bind(matches!(e.kind, EventKind::Message | EventKind::Join))
        .bind(e.now)
        .bind(e.conversation_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(seq) = seq else {
            return Err(StoreError::NotFound);
        };
        let existing = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.conversation_id = ? AND m.sender_id = ? AND m.client_id = ?"
        ))
        .bind(e.conversation_id.0)
        .bind(e.sender.id.0)
        .bind(e.client_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            // A retry of a stored event: undo the seq claim by rolling back.
            let message = message_from_row(&row)?;
            tx.rollback().await?;
            return Ok(Inserted {
                message,
                created: false,
            });
        }
        if let (EventKind::Edit | EventKind::Delete, Some(target)) = (e.kind, e.target_seq) {
            // Only the author changes a message, and a deleted one stays deleted.
            let changed = sqlx::query(
                "UPDATE messages SET \
                     body = CASE WHEN ? THEN '' ELSE ? END, \
                     edited_at = CASE WHEN ? THEN edited_at ELSE ? END, \
                     deleted_at = CASE WHEN ? THEN ? ELSE deleted_at END \
                 WHERE conversation_id = ? AND seq = ? AND sender_id = ? AND kind = 'message' AND deleted_at IS NULL",
            )
            .bind(e.kind == EventKind::Delete)
            .bind(e.body)
            .bind(e.kind == EventKind::Delete)
            .bind(e.now)
            .bind(e.kind == EventKind::Delete)
            .bind(e.now)
            .bind(e.conversation_id.0)
            .bind(target)
            .bind(e.sender.id.0)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                let exists: Option<i64> = sqlx::query_scalar(
                    "SELECT 1 FROM messages WHERE conversation_id = ? AND seq = ? AND kind = 'message'",
                )
                .bind(e.conversation_id.0)
                .bind(target)
                .fetch_optional(&mut *tx)
                .await?;
                tx.rollback().await?;
                return Err(if exists.is_some() {
                    StoreError::Forbidden
                } else {
                    StoreError::NotFound
                });
            }
        }
        sqlx::query(
            "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, target_seq) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.conversation_id.0)
        .bind(seq)
        .bind(e.sender.id.0)
        .bind(e.client_id)
        .bind(e.body)
        .bind(e.now)
        .bind(e.kind.as_str())
        .bind(e.target_seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Inserted {
            message: MessageView {
                conversation_id: e.conversation_id,
                seq,
                kind: e.kind,
                target_seq: e.target_seq,
                author_id: e.sender.id,
                author: e.sender.username.clone(),
                body: e.body.to_owned(),
                created_at: e.now,
                edited_at: None,
                deleted: false,
                client_id: e.client_id.to_owned(),
            },
            created: true,
        })
    }

    async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.conversation_id = ? AND m.seq < ? AND m.kind IN ('message', 'join', 'leave') \
             ORDER BY m.seq DESC LIMIT ?"
        ))
        .bind(conversation.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        Ok(messages)
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: Seq,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?"
        ))
        .bind(conversation.0)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn create_invite(
        &self,
        conversation: ConversationId,
        code_hash: &[u8],
        by: UserId,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO invites (conversation_id, code_hash, created_by, created_at) VALUES (?, ?, ?, ?)")
            .bind(conversation.0)
            .bind(code_hash)
            .bind(by.0)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(())
    }

    async fn invite_target(&self, code_hash: &[u8]) -> StoreResult<Option<InvitePreview>> {
        let row = sqlx::query(
            "SELECT c.id, c.title, (SELECT COUNT(*) FROM members WHERE conversation_id = c.id), u.username \
             FROM invites i JOIN conversations c ON c.id = i.conversation_id JOIN users u ON u.id = i.created_by \
             WHERE i.code_hash = ? AND i.revoked_at IS NULL",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(InvitePreview {
                conversation_id: ConversationId(r.try_get(0)?),
                title: r.try_get(1)?,
                member_count: r.try_get(2)?,
                invited_by: r.try_get(3)?,
            })
        })
        .transpose()
    }
}
