//! The storage interface. The app and the gateway only see this trait, so a PostgreSQL store
//! can stand beside the SQLite one without touching them.

use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    ConversationSummary, EventKind, InvitePreview, Member, MessageView, Role, UserView,
};
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
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a [u8],
    pub user_id: UserId,
    pub now: i64,
    pub expires_at: i64,
    pub user_agent: Option<&'a str>,
    pub client_addr: Option<&'a str>,
}

/// A live session, found by its cookie secret's hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub session_id: String,
    pub user: UserView,
}

/// Result of an idempotent insert: `created` is false when the client id was already stored.
#[derive(Debug, Clone)]
pub struct Inserted {
    pub message: MessageView,
    pub created: bool,
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
    pub now: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a user; `Conflict` when the username key is taken.
    async fn create_user(
        &self,
        username: &str,
        username_key: &str,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<UserView>;
    /// The user and their password hash, by case-folded username.
    async fn user_credentials(&self, username_key: &str)
        -> StoreResult<Option<(UserView, String)>>;

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserView>>;

    async fn create_session(&self, session: NewSession<'_>) -> StoreResult<()>;
    /// The session's user if the session exists, is not revoked and has not expired.
    async fn session_by_token(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn session_active(&self, session_id: &str, now: i64) -> StoreResult<bool>;
    async fn revoke_session(&self, token_hash: &[u8], now: i64) -> StoreResult<()>;

    async fn create_conversation(
        &self,
        owner: UserId,
        title: &str,
        now: i64,
    ) -> StoreResult<ConversationSummary>;
    /// The user's conversations, newest activity first, with the last message's preview.
    async fn conversations_for(&self, user: UserId) -> StoreResult<Vec<ConversationSummary>>;
    /// One conversation as `user` sees it in the side nav.
    async fn conversation_summary(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<ConversationSummary>>;
    async fn conversation_ids_for(&self, user: UserId) -> StoreResult<Vec<ConversationId>>;
    async fn role_of(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<Role>>;
    /// The member's role and read position.
    async fn membership(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<(Role, Seq)>>;
    /// Moves the read position forward (never back); returns the position now stored.
    async fn mark_read(
        &self,
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
    ) -> StoreResult<Seq>;
    /// Removes a member; false when they were not one.
    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> StoreResult<bool>;
    async fn members(&self, conversation: ConversationId) -> StoreResult<Vec<Member>>;
    /// Adds a member; returns None when they already were one.
    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: Role,
        now: i64,
    ) -> StoreResult<Option<Member>>;

    /// Appends an event with the next seq (applying an edit or deletion to its target in the
    /// same transaction), or returns the one stored earlier under the same (conversation,
    /// sender, client id). Either way the event is durable when this returns.
    async fn append_event(&self, event: NewEvent<'_>) -> StoreResult<Inserted>;
    /// Up to `limit` visible events (messages, joins, leaves) before `before` (or the newest),
    /// oldest first, messages with their current text.
    async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>>;
    /// Up to `limit` events of every kind after `after`, oldest first: what a client resuming
    /// from `after` must apply.
    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: Seq,
        limit: i64,
    ) -> StoreResult<Vec<MessageView>>;

    async fn create_invite(
        &self,
        conversation: ConversationId,
        code_hash: &[u8],
        by: UserId,
        now: i64,
    ) -> StoreResult<()>;
    /// The conversation a live (not revoked) invite leads to.
    async fn invite_target(&self, code_hash: &[u8]) -> StoreResult<Option<InvitePreview>>;
}
