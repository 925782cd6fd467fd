//! The storage interface: small traits per aggregate ([`traits`]) combined into [`Store`],
//! and the two backends, SQLite (the embedded default) and PostgreSQL, chosen by the
//! database URL ([`connect`]). The core only sees the traits.

use crate::files::AttachmentId;
use crate::ids::{ConversationId, InviteId, Seq, SessionId, UserId};
use crate::model::{
    AdminConversation, AdminConversationCursor, AdminUser, AdminUserPage, Attachment, AuditAction,
    AuditEntry, BanInfo, ConversationKind, ConversationSummary, Dashboard, EventKind, InviteInfo,
    InvitePreview, Member, MessageView, NotifyLevel, Profile, PublicRoom, Role, SessionInfo,
    UserView,
};
use crate::time::Timestamp;
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write; the caller knows which one it could be.
    #[error("unique constraint violated")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The change is not allowed on this row (someone else's message, already deleted).
    #[error("not allowed")]
    Forbidden,
    /// The writer is not (or no longer) a member of the conversation.
    #[error("not a member")]
    NotMember,
    /// A new username's confusable skeleton equals this existing username's.
    #[error("looks like the existing username {0}")]
    Lookalike(String),
    /// A reaction with a new emoji on a message that already has
    /// [`crate::reactions::REACTIONS_MAX_DISTINCT`] different ones.
    #[error("too many different reactions")]
    TooManyReactions,
    /// A file a message names is not a pending upload of the sender in that conversation
    /// (expired, sent already, someone else's, never uploaded).
    #[error("attachment unavailable")]
    AttachmentUnavailable,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The group-commit batch an event was written in failed as a whole (see `writer`): the
    /// event was not stored.
    #[error("write batch failed: {0}")]
    Batch(String),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme {0:?}: use sqlite://path or postgres://user@host/db")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

pub struct NewSession<'a> {
    pub id: &'a SessionId,
    pub token_hash: &'a [u8],
    pub user_id: UserId,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<&'a str>,
    pub client_addr: Option<&'a str>,
}

/// A live session, found by its cookie secret's hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub session_id: SessionId,
    pub user: UserView,
}

/// Result of an idempotent insert: `created` is false when the client id was already stored.
#[derive(Debug, Clone)]
pub struct Inserted {
    pub message: MessageView,
    pub created: bool,
    /// The members this new message brought its conversation back to: they had closed it
    /// (or, in a new direct conversation, never saw it), each once however many messages
    /// race. Set on the newest message of its conversation in the writer's batch; empty for
    /// anything that is not a new message.
    pub reopened: Vec<UserId>,
}

/// What came of a request to join a conversation.
#[derive(Debug, Clone)]
pub enum JoinOutcome {
    /// Joined: the new member and their `join` event, written in one transaction.
    Joined(ConversationId, Member, Box<MessageView>),
    AlreadyMember(ConversationId),
    /// The conversation has reached its member cap; nothing was written.
    Full,
    /// No such live invite, or no such public room.
    Invalid,
    /// The user was removed from the conversation and the ban has not been lifted.
    Banned,
}

/// What opening a direct conversation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectOpened {
    pub id: ConversationId,
    /// The pair had no conversation: this call created it.
    pub created: bool,
    /// It was not in the opener's side nav before (new, or closed by them).
    pub shown: bool,
}

/// A new account. `skeleton` is [`crate::validate::Username::skeleton`]: the store refuses a
/// name whose skeleton an existing account has ([`StoreError::Lookalike`]).
pub struct NewUser<'a> {
    pub username: &'a str,
    pub key: &'a str,
    pub skeleton: &'a str,
    pub password_hash: &'a str,
    pub now: Timestamp,
}

/// Which audit entries to read: newest first, ids below `before`, at most `limit`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    pub before: Option<i64>,
    pub action: Option<&'a str>,
    /// Actor username, compared case-insensitively.
    pub actor: Option<&'a str>,
    /// Entries at or after this moment only.
    pub since: Option<Timestamp>,
    /// Entries before this moment only.
    pub until: Option<Timestamp>,
    pub limit: i64,
}

/// The `leave` event a removal writes with it: its client id and body (`removed` when an
/// owner or admin removed the member, empty when they left).
#[derive(Debug, Clone, Copy)]
pub struct Leave<'a> {
    pub event_id: &'a str,
    pub body: &'a str,
    pub now: Timestamp,
}

/// Set when a removal bans the member: by whom, when (Unix ms).
#[derive(Debug, Clone, Copy)]
pub struct Ban {
    pub by: UserId,
    pub at: Timestamp,
}

/// How someone joins: with an invite link (by its code's hash) or into a public room.
#[derive(Debug, Clone, Copy)]
pub enum JoinVia<'a> {
    Invite(&'a [u8]),
    Public(ConversationId),
    /// An instance admin taking over an abandoned conversation: any live group conversation.
    Administrator(ConversationId),
}

/// A line for the audit log.
#[derive(Debug, Default)]
pub struct AuditRecord<'a> {
    pub at: Timestamp,
    pub action: AuditAction,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<&'a str>,
    pub target_user_id: Option<UserId>,
    pub target_name: Option<&'a str>,
    pub conversation_id: Option<ConversationId>,
    pub detail: Option<&'a str>,
    pub client_addr: Option<&'a str>,
}

/// A new invite link's limits.
#[derive(Debug, Clone, Copy)]
pub struct InviteLimits {
    pub expires_at: Option<Timestamp>,
    pub max_uses: Option<i64>,
}

/// An event to append to a conversation's sequence.
pub struct NewEvent<'a> {
    pub conversation_id: ConversationId,
    pub kind: EventKind,
    /// For edits and deletions: the message changed. Only its author may change it.
    pub target_seq: Option<Seq>,
    pub sender: &'a UserView,
    pub client_id: &'a str,
    pub body: &'a str,
    pub now: Timestamp,
    /// For deletions: the sender is an owner or admin and may delete anyone's message.
    pub moderator: bool,
    /// For deletions: the instance erases a deleted account's message (issue 14), written
    /// as its author, who is no member any more: no membership check.
    pub erasure: bool,
    /// For messages and edits: the members the text mentions (see [`crate::mentions`]).
    pub mentions: &'a [UserId],
    /// For messages: the earlier message of the conversation this one answers.
    pub reply_to: Option<Seq>,
    /// For messages: the sender's pending uploads it carries, in order.
    pub attachments: &'a [AttachmentId],
}

/// A file just uploaded (pending until a message names it).
pub struct NewAttachment<'a> {
    pub attachment: &'a Attachment,
    pub conversation_id: ConversationId,
    pub uploader: UserId,
    pub now: Timestamp,
}

/// An attachment and where it belongs: `seq` is its message, `None` while pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub attachment: Attachment,
    pub conversation_id: ConversationId,
    pub uploader: UserId,
    pub seq: Option<Seq>,
}

/// A message a search found, with what a result shows (see [`SearchStore::search_messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessage {
    /// The message's `search_id`: where the next page starts below.
    pub position: i64,
    pub conversation_id: ConversationId,
    pub title: String,
    pub seq: Seq,
    pub author_id: UserId,
    pub author: String,
    /// The current text.
    pub body: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

/// What one search call found: matches newest first, and where its bounded scan stopped
/// (`floor`: older matches may exist below it) when it did.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub messages: Vec<FoundMessage>,
    pub floor: Option<i64>,
}

mod checkpoint;
mod features;
pub mod kept;
mod lifecycle;
pub mod postgres;
pub mod rows;
pub mod search_index;
pub mod sql;
pub mod sqlite;
mod traits;
pub mod writer;
pub use features::*;
pub use lifecycle::*;
pub use traits::*;

use std::sync::Arc;

/// Connections a PostgreSQL store opens at most, unless configured.
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// When SQLite reports a commit done (`--durability`): `normal` is WAL with
/// synchronous=NORMAL (survives a crash of the process, not always of the machine), `full`
/// is synchronous=FULL (an fsync per commit; survives power loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    #[default]
    Normal,
    Full,
}

impl std::str::FromStr for Durability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "normal" => Ok(Self::Normal),
            "full" => Ok(Self::Full),
            other => Err(format!("unknown durability {other:?}: use normal or full")),
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Normal => "normal",
            Self::Full => "full",
        })
    }
}

/// Opens the store a database URL names: `sqlite://path` (or `sqlite::memory:`) or
/// `postgres://user@host/db` (also `postgresql://`), running its migrations.
/// `pool_size` is PostgreSQL's connection limit (SQLite uses a fixed small pool).
pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Arc<dyn Store>> {
    open(url, pool_size, Durability::Normal).await
}

/// [`connect`] with SQLite's [`Durability`] chosen.
pub async fn open(
    url: &str,
    pool_size: u32,
    durability: Durability,
) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, durability).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PostgresStore::connect(url, pool_size).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(
            url.split(':').next().unwrap_or("").to_owned(),
        ))
    }
}

/// Fills the confusable skeleton of accounts created before it was stored (migration 0005).
async fn backfill_skeletons<DB>(pool: &sqlx::Pool<DB>) -> StoreResult<()>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB>,
    String: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB>,
    (i64, String): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, username FROM users WHERE username_skeleton IS NULL")
            .fetch_all(pool)
            .await?;
    for (id, name) in rows {
        let skeleton = crate::validate::Username::parse(&name)
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
