//! The embedded default store: SQLite through sqlx, in WAL mode, one file in the data directory.

use super::store::{
    AuditFilter, AuditRecord, Ban, Inserted, InviteLimits, JoinOutcome, JoinVia, NewEvent,
    NewSession, NewUser, SessionRecord, Store, StoreError, StoreResult,
};
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    describe_device, AuditEntry, BanInfo, ConversationSummary, EventKind, InviteInfo,
    InvitePreview, Member, MessagePreview, MessageView, PublicRoom, Role, SessionInfo, UserView,
    UNREAD_CAP,
};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

mod extra;

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
            // Deleted and overwritten content is zeroed in the file, not left in free space:
            // a deleted message's text must not survive in the database (SECURITY 32).
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        extra::backfill_skeletons(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// After a deletion: copy the WAL into the database and empty it, so the pages that held
    /// the deleted text survive neither in the WAL nor (secure_delete zeroes freed space) in
    /// the file (SECURITY 32). Best effort: a reader holding an old snapshot makes it stop
    /// short, and the next deletion or SQLite's automatic checkpoint finishes the job.
    async fn purge_old_pages(&self) {
        let done: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await;
        match done {
            Ok((0, _, _)) => {}
            Ok(_) => tracing::debug!("checkpoint after a deletion was blocked by a reader"),
            Err(e) => tracing::warn!(error = %e, "checkpoint after a deletion failed"),
        }
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

/// The statements of the read paths that must stay fast at any size. The scale bench prints
/// their query plans (`EXPLAIN QUERY PLAN`), so they are written once, here.
pub mod sql {
    use super::{summary_select, MESSAGE_COLUMNS};

    /// Binds: conversation, before (exclusive), limit.
    pub fn history() -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.conversation_id = ? AND m.seq < ? AND m.kind IN ('message', 'join', 'leave') \
             ORDER BY m.seq DESC LIMIT ?"
        )
    }

    /// Binds: conversation, after (exclusive), limit.
    pub fn messages_after() -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?"
        )
    }

    /// The side nav. Binds: user.
    pub fn conversations_for() -> String {
        summary_select("ORDER BY c.last_activity_at DESC, c.id DESC")
    }
}

/// A side-nav row for member `?1`: the newest visible message as preview, and unread
/// messages by others after the member's read position, counted up to UNREAD_CAP.
fn summary_select(filter: &str) -> String {
    format!(
        "SELECT c.id, c.title, c.last_activity_at, c.last_seq, u.username, m.body, \
           (SELECT COUNT(*) FROM (SELECT 1 FROM messages x \
              WHERE x.conversation_id = c.id AND x.seq > mb.last_read_seq AND x.kind = 'message' \
                AND x.deleted_at IS NULL AND x.sender_id <> mb.user_id LIMIT {UNREAD_CAP})), \
           c.public \
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
        public: row.try_get(7)?,
    })
}

/// A session's `last_seen_at` is written at most this often (a write per request would
/// serialize every request on SQLite's write lock).
const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

const INVITE_COLUMNS: &str = "i.id, u.username, i.created_at, i.expires_at, i.max_uses, i.uses, \
     i.revoked_at, i.conversation_id";

/// SQL condition: invite `i` lets someone in at time `?now` (bound by the caller).
const INVITE_LIVE: &str = "i.revoked_at IS NULL AND (i.expires_at IS NULL OR i.expires_at > ?) \
     AND (i.max_uses IS NULL OR i.uses < i.max_uses)";

fn invite_from_row(row: &sqlx::sqlite::SqliteRow, now: i64) -> Result<InviteInfo, sqlx::Error> {
    let expires_at: Option<i64> = row.try_get(3)?;
    let max_uses: Option<i64> = row.try_get(4)?;
    let uses: i64 = row.try_get(5)?;
    let revoked_at: Option<i64> = row.try_get(6)?;
    Ok(InviteInfo {
        id: row.try_get(0)?,
        created_by: row.try_get(1)?,
        created_at: row.try_get(2)?,
        expires_at,
        max_uses,
        uses,
        revoked: revoked_at.is_some(),
        active: revoked_at.is_none()
            && expires_at.is_none_or(|e| e > now)
            && max_uses.is_none_or(|m| uses < m),
    })
}

const MEMBER_SELECT: &str = "SELECT u.id, u.username, m.role, m.joined_at FROM members m \
     JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ? AND m.user_id = ?";

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

/// Inserts a conversation with its owner as a member, inside the caller's transaction.
async fn insert_conversation(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    owner: UserId,
    title: &str,
    public: bool,
    now: i64,
) -> Result<ConversationSummary, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (title, owner_id, created_at, last_activity_at, public) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(title)
    .bind(owner.0)
    .bind(now)
    .bind(now)
    .bind(public)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)",
    )
    .bind(id)
    .bind(owner.0)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(ConversationSummary {
        id: ConversationId(id),
        title: title.to_owned(),
        last_activity_at: now,
        last_seq: 0,
        last_message: None,
        unread: 0,
        public,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, u: NewUser<'_>) -> StoreResult<UserView> {
        extra::create_user(&self.pool, u).await
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
            "SELECT s.id, u.id, u.username, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let record = SessionRecord {
            session_id: r.try_get(0)?,
            user: UserView {
                id: UserId(r.try_get(1)?),
                username: r.try_get(2)?,
            },
        };
        let last_seen: i64 = r.try_get(3)?;
        if now - last_seen > LAST_SEEN_RESOLUTION_MS {
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
                .bind(now)
                .bind(&record.session_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(record))
    }

    async fn session_owner(&self, session_id: &str, now: i64) -> StoreResult<Option<UserId>> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(session_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.map(UserId))
    }

    async fn revoke_session(&self, token_hash: &[u8], now: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn sessions_for(&self, user: UserId, now: i64) -> StoreResult<Vec<SessionInfo>> {
        let rows = sqlx::query(
            "SELECT id, user_agent, client_addr, created_at, last_seen_at FROM sessions \
             WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
             ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(user.0)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let agent: Option<String> = r.try_get(1)?;
                Ok(SessionInfo {
                    id: r.try_get(0)?,
                    device: describe_device(agent.as_deref()),
                    client_addr: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    last_seen_at: r.try_get(4)?,
                    current: false,
                })
            })
            .collect()
    }

    async fn revoke_session_by_id(
        &self,
        user: UserId,
        session_id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
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
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = ? \
             WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ? RETURNING id",
        )
        .bind(now)
        .bind(user.0)
        .bind(keep)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn password_hash(&self, user: UserId) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_conversation(
        &self,
        owner: UserId,
        title: &str,
        public: bool,
        now: i64,
    ) -> StoreResult<ConversationSummary> {
        // One transaction: a conversation never exists without its owner as a member.
        let mut tx = self.pool.begin().await?;
        let summary = insert_conversation(&mut tx, owner, title, public, now).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn create_conversation_once(
        &self,
        flag: &str,
        owner: UserId,
        title: &str,
        public: bool,
        now: i64,
    ) -> StoreResult<Option<ConversationSummary>> {
        let mut tx = self.pool.begin().await?;
        let first =
            sqlx::query("INSERT OR IGNORE INTO instance_flags (name, set_at) VALUES (?, ?)")
                .bind(flag)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
        if !first {
            tx.rollback().await?;
            return Ok(None);
        }
        let summary = insert_conversation(&mut tx, owner, title, public, now).await?;
        tx.commit().await?;
        Ok(Some(summary))
    }

    async fn update_conversation(
        &self,
        id: ConversationId,
        title: Option<&str>,
        public: Option<bool>,
    ) -> StoreResult<Option<(String, bool)>> {
        let row = sqlx::query(
            "UPDATE conversations SET title = COALESCE(?, title), public = COALESCE(?, public) \
             WHERE id = ? RETURNING title, public",
        )
        .bind(title)
        .bind(public)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    async fn delete_conversation(&self, id: ConversationId, now: i64) -> StoreResult<Vec<UserId>> {
        let mut tx = self.pool.begin().await?;
        // Writes first: the transaction holds the write lock before anything is read.
        let done = sqlx::query(
            "UPDATE conversations SET title = '', public = 0, deleted_at = ? \
             WHERE id = ? AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let members: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM members WHERE conversation_id = ?")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
        // Children first: cheaper than leaning on ON DELETE CASCADE row by row, and explicit.
        for table in ["messages", "invites", "members", "bans"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE conversation_id = ?"))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(members.into_iter().map(UserId).collect())
    }

    async fn public_rooms(&self, user: UserId, limit: i64) -> StoreResult<Vec<PublicRoom>> {
        let rows = sqlx::query(
            "SELECT c.id, c.title, (SELECT COUNT(*) FROM members x WHERE x.conversation_id = c.id), \
                    c.last_activity_at, \
                    EXISTS (SELECT 1 FROM members me WHERE me.conversation_id = c.id AND me.user_id = ?) \
             FROM conversations c WHERE c.public = 1 \
             ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?",
        )
        .bind(user.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PublicRoom {
                    id: ConversationId(r.try_get(0)?),
                    title: r.try_get(1)?,
                    member_count: r.try_get(2)?,
                    last_activity_at: r.try_get(3)?,
                    joined: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn conversations_for(&self, user: UserId) -> StoreResult<Vec<ConversationSummary>> {
        let rows = sqlx::query(&sql::conversations_for())
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?;
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
    ) -> StoreResult<(Seq, bool)> {
        extra::mark_read(&self.pool, conversation, user, seq).await
    }

    async fn remove_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        ban: Option<Ban>,
    ) -> StoreResult<bool> {
        extra::remove_member(&self.pool, conversation, user, ban).await
    }

    async fn bans(&self, conversation: ConversationId) -> StoreResult<Vec<BanInfo>> {
        extra::bans(&self.pool, conversation).await
    }

    async fn lift_ban(&self, conversation: ConversationId, user: UserId) -> StoreResult<bool> {
        extra::lift_ban(&self.pool, conversation, user).await
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

    async fn member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<Member>> {
        let row = sqlx::query(MEMBER_SELECT)
            .bind(conversation.0)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(member_from_row).transpose()?)
    }

    async fn join(
        &self,
        via: JoinVia<'_>,
        user: UserId,
        now: i64,
        cap: i64,
    ) -> StoreResult<JoinOutcome> {
        // BEGIN IMMEDIATE semantics: the first statement writes, so the count, the insert
        // and the invite use happen under one write lock and two joiners cannot both take
        // the last place.
        let mut tx = self.pool.begin().await?;
        let target: Option<(i64, Option<i64>)> = match via {
            JoinVia::Invite(code_hash) => {
                let row = sqlx::query(&format!(
                    "UPDATE invites AS i SET uses = uses WHERE i.code_hash = ? AND {INVITE_LIVE} \
                     RETURNING conversation_id, id"
                ))
                .bind(code_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                row.map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, Some(r.try_get(1)?))))
                    .transpose()?
            }
            JoinVia::Public(id) => {
                let row: Option<i64> = sqlx::query_scalar(
                    "UPDATE conversations SET public = public WHERE id = ? AND public = 1 RETURNING id",
                )
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
                row.map(|id| (id, None))
            }
        };
        let Some((conversation, invite_id)) = target else {
            return Ok(JoinOutcome::Invalid);
        };
        let is_member: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?")
                .bind(conversation)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
        if is_member.is_some() {
            tx.rollback().await?;
            return Ok(JoinOutcome::AlreadyMember(ConversationId(conversation)));
        }
        if extra::is_banned(&mut tx, conversation, user).await? {
            tx.rollback().await?;
            return Ok(JoinOutcome::Banned);
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE conversation_id = ?")
                .bind(conversation)
                .fetch_one(&mut *tx)
                .await?;
        if count >= cap {
            tx.rollback().await?;
            return Ok(JoinOutcome::Full);
        }
        sqlx::query("INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)")
            .bind(conversation)
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if let Some(invite) = invite_id {
            sqlx::query("UPDATE invites SET uses = uses + 1 WHERE id = ?")
                .bind(invite)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(MEMBER_SELECT)
            .bind(conversation)
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
        let member = member_from_row(&row)?;
        tx.commit().await?;
        Ok(JoinOutcome::Joined(ConversationId(conversation), member))
    }

    async fn set_role(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: Role,
    ) -> StoreResult<bool> {
        if role == Role::Owner {
            return Err(StoreError::Forbidden);
        }
        let done = sqlx::query(
            "UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ? AND role <> 'owner'",
        )
        .bind(role.as_str())
        .bind(conversation.0)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn transfer_ownership(
        &self,
        conversation: ConversationId,
        from: UserId,
        to: UserId,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let promoted = sqlx::query(
            "UPDATE members SET role = 'owner' WHERE conversation_id = ? AND user_id = ? AND role <> 'owner'",
        )
        .bind(conversation.0)
        .bind(to.0)
        .execute(&mut *tx)
        .await?;
        let demoted = sqlx::query(
            "UPDATE members SET role = 'admin' WHERE conversation_id = ? AND user_id = ? AND role = 'owner'",
        )
        .bind(conversation.0)
        .bind(from.0)
        .execute(&mut *tx)
        .await?;
        if promoted.rows_affected() == 0 || demoted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE conversations SET owner_id = ? WHERE id = ?")
            .bind(to.0)
            .bind(conversation.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn append_event(&self, e: NewEvent<'_>) -> StoreResult<Inserted> {
        let mut tx = self.pool.begin().await?;
        // Claim the next seq first: this write takes SQLite's write lock at the start of the
        // transaction, so a concurrent writer waits (busy_timeout) instead of failing when a
        // read lock would have to be upgraded. Edits do not count as new activity.
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE conversations SET last_seq = last_seq + 1, \
                 last_activity_at = CASE WHEN ? THEN ? ELSE last_activity_at END \
             WHERE id = ? AND deleted_at IS NULL RETURNING last_seq",
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
        // Membership inside the write transaction: a removal or deletion that committed
        // after the caller's check is seen here, so nothing is written after it.
        if matches!(
            e.kind,
            EventKind::Message | EventKind::Edit | EventKind::Delete
        ) && !extra::is_member(&mut tx, e.conversation_id, e.sender.id).await?
        {
            tx.rollback().await?;
            return Err(StoreError::NotMember);
        }
        if let (EventKind::Edit | EventKind::Delete, Some(target)) = (e.kind, e.target_seq) {
            // Only the author changes a message, and a deleted one stays deleted.
            let changed = sqlx::query(
                "UPDATE messages SET \
                     body = CASE WHEN ? THEN '' ELSE ? END, \
                     edited_at = CASE WHEN ? THEN edited_at ELSE ? END, \
                     deleted_at = CASE WHEN ? THEN ? ELSE deleted_at END \
                 WHERE conversation_id = ? AND seq = ? AND (sender_id = ? OR ?) AND kind = 'message' AND deleted_at IS NULL",
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
            .bind(e.moderator && e.kind == EventKind::Delete)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() > 0 && e.kind == EventKind::Delete {
                // The edits held the text too: blank them with the message (SECURITY 32).
                sqlx::query(
                    "UPDATE messages SET body = '' \
                     WHERE conversation_id = ? AND target_seq = ? AND kind = 'edit'",
                )
                .bind(e.conversation_id.0)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            }
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
        if e.kind == EventKind::Delete {
            self.purge_old_pages().await;
        }
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
        let rows = sqlx::query(&sql::history())
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
        let rows = sqlx::query(&sql::messages_after())
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
        limits: InviteLimits,
    ) -> StoreResult<InviteInfo> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO invites (conversation_id, code_hash, created_by, created_at, expires_at, max_uses) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(conversation.0)
        .bind(code_hash)
        .bind(by.0)
        .bind(now)
        .bind(limits.expires_at)
        .bind(limits.max_uses)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.created_by WHERE i.id = ?"
        ))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(invite_from_row(&row, now)?)
    }

    async fn invite_target(
        &self,
        code_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<InvitePreview>> {
        let row = sqlx::query(&format!(
            "SELECT c.id, c.title, (SELECT COUNT(*) FROM members WHERE conversation_id = c.id), u.username \
             FROM invites i JOIN conversations c ON c.id = i.conversation_id JOIN users u ON u.id = i.created_by \
             WHERE i.code_hash = ? AND {INVITE_LIVE}"
        ))
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(InvitePreview {
                conversation_id: ConversationId(r.try_get(0)?),
                title: r.try_get(1)?,
                member_count: r.try_get(2)?,
                invited_by: r.try_get(3)?,
                member: false,
            })
        })
        .transpose()
    }

    async fn invite_conversation(&self, code_hash: &[u8]) -> StoreResult<Option<ConversationId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT conversation_id FROM invites WHERE code_hash = ?")
                .bind(code_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(ConversationId))
    }

    async fn invites(
        &self,
        conversation: ConversationId,
        now: i64,
    ) -> StoreResult<Vec<InviteInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.created_by \
             WHERE i.conversation_id = ? ORDER BY i.id DESC LIMIT 200"
        ))
        .bind(conversation.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| invite_from_row(r, now))
            .collect::<Result<_, _>>()?)
    }

    async fn revoke_invite(
        &self,
        conversation: ConversationId,
        invite_id: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invites SET revoked_at = ? WHERE id = ? AND conversation_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(invite_id)
        .bind(conversation.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn audit(&self, r: AuditRecord<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, action, actor_id, actor_name, target_user_id, target_name, \
                 conversation_id, detail, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.at)
        .bind(r.action)
        .bind(r.actor_id.map(|u| u.0))
        .bind(r.actor_name)
        .bind(r.target_user_id.map(|u| u.0))
        .bind(r.target_name)
        .bind(r.conversation_id.map(|c| c.0))
        .bind(r.detail)
        .bind(r.client_addr)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_entries(
        &self,
        conversation: ConversationId,
        filter: AuditFilter<'_>,
    ) -> StoreResult<Vec<AuditEntry>> {
        extra::audit_entries(&self.pool, conversation, filter).await
    }
}
