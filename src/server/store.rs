//! The storage interface. The app and the gateway only see this trait, so a PostgreSQL store
//! can stand beside the SQLite one without touching them.

use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    AuditEntry, BanInfo, ConversationSummary, EventKind, InviteInfo, InvitePreview, Member,
    MessageView, PublicRoom, Role, SessionInfo, UserView,
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
    /// The writer is not (or no longer) a member of the conversation.
    #[error("not a member")]
    NotMember,
    /// A new username's confusable skeleton equals this existing username's.
    #[error("looks like the existing username {0}")]
    Lookalike(String),
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

/// What came of a request to join a conversation.
#[derive(Debug, Clone)]
pub enum JoinOutcome {
    Joined(ConversationId, Member),
    AlreadyMember(ConversationId),
    /// The conversation has reached its member cap; nothing was written.
    Full,
    /// No such live invite, or no such public room.
    Invalid,
    /// The user was removed from the conversation and the ban has not been lifted.
    Banned,
}

/// A new account. `skeleton` is [`crate::validate::Username::skeleton`]: the store refuses a
/// name whose skeleton an existing account has ([`StoreError::Lookalike`]).
pub struct NewUser<'a> {
    pub username: &'a str,
    pub key: &'a str,
    pub skeleton: &'a str,
    pub password_hash: &'a str,
    pub now: i64,
}

/// Which audit entries to read: newest first, ids below `before`, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    pub before: Option<i64>,
    pub action: Option<&'a str>,
    /// Actor username, compared case-insensitively.
    pub actor: Option<&'a str>,
    pub limit: i64,
}

/// Set when a removal bans the member: by whom, when (Unix ms).
#[derive(Debug, Clone, Copy)]
pub struct Ban {
    pub by: UserId,
    pub at: i64,
}

/// How someone joins: with an invite link (by its code's hash) or into a public room.
#[derive(Debug, Clone, Copy)]
pub enum JoinVia<'a> {
    Invite(&'a [u8]),
    Public(ConversationId),
}

/// A line for the audit log.
#[derive(Debug, Default)]
pub struct AuditRecord<'a> {
    pub at: i64,
    pub action: &'a str,
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
    pub expires_at: Option<i64>,
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
    pub now: i64,
    /// For deletions: the sender is an owner or admin and may delete anyone's message.
    pub moderator: bool,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a user; `Conflict` when the username key is taken.
    async fn create_user(&self, user: NewUser<'_>) -> StoreResult<UserView>;
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
    /// The user of a live (not revoked, not expired) session.
    async fn session_owner(&self, session_id: &str, now: i64) -> StoreResult<Option<UserId>>;
    /// Revokes the session with this cookie hash; returns its id if it was live.
    async fn revoke_session(&self, token_hash: &[u8], now: i64) -> StoreResult<Option<String>>;
    /// The user's live sessions, most recently seen first (`current` is left false).
    async fn sessions_for(&self, user: UserId, now: i64) -> StoreResult<Vec<SessionInfo>>;
    /// Revokes one of the user's sessions; false when it was not theirs or not live.
    async fn revoke_session_by_id(
        &self,
        user: UserId,
        session_id: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Revokes every live session of the user but `keep`; returns the ids revoked.
    async fn revoke_sessions_except(
        &self,
        user: UserId,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<Vec<String>>;
    async fn password_hash(&self, user: UserId) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()>;

    async fn create_conversation(
        &self,
        owner: UserId,
        title: &str,
        public: bool,
        now: i64,
    ) -> StoreResult<ConversationSummary>;
    /// Creates the conversation only if the instance-wide `flag` was never set, setting it in
    /// the same transaction: exactly one caller ever gets `Some`, and a failure leaves neither.
    async fn create_conversation_once(
        &self,
        flag: &str,
        owner: UserId,
        title: &str,
        public: bool,
        now: i64,
    ) -> StoreResult<Option<ConversationSummary>>;
    /// Changes the title and/or visibility; returns the new (title, public), or None when
    /// the conversation does not exist.
    async fn update_conversation(
        &self,
        id: ConversationId,
        title: Option<&str>,
        public: Option<bool>,
    ) -> StoreResult<Option<(String, bool)>>;
    /// Deletes the conversation's messages, members and invites, leaving an empty tombstone
    /// row so that its id is never given to another conversation; returns who its members
    /// were.
    async fn delete_conversation(&self, id: ConversationId, now: i64) -> StoreResult<Vec<UserId>>;
    /// Public rooms, most recently active first.
    async fn public_rooms(&self, user: UserId, limit: i64) -> StoreResult<Vec<PublicRoom>>;
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
    /// Moves the read position forward (never back, never past the last seq). Returns the
    /// stored position and whether it moved.
    async fn mark_read(
        &self,
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
    ) -> StoreResult<(Seq, bool)>;
    /// Removes a member (false when they were not one) and, with `ban`, records the ban in
    /// the same transaction.
    async fn remove_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        ban: Option<Ban>,
    ) -> StoreResult<bool>;
    /// Members removed and still banned, newest first.
    async fn bans(&self, conversation: ConversationId) -> StoreResult<Vec<BanInfo>>;
    /// Lifts a ban; false when there was none.
    async fn lift_ban(&self, conversation: ConversationId, user: UserId) -> StoreResult<bool>;
    async fn members(&self, conversation: ConversationId) -> StoreResult<Vec<Member>>;
    async fn member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> StoreResult<Option<Member>>;
    /// Adds the user as a member unless the conversation already has `cap` members, in one
    /// transaction with the invite use it consumes.
    async fn join(
        &self,
        via: JoinVia<'_>,
        user: UserId,
        now: i64,
        cap: i64,
    ) -> StoreResult<JoinOutcome>;
    /// Sets a member's role (never to or from owner: see `transfer_ownership`); false when
    /// they are not a member or are the owner.
    async fn set_role(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: Role,
    ) -> StoreResult<bool>;
    /// Makes `to` (a member) the owner and the previous owner `from` an admin.
    async fn transfer_ownership(
        &self,
        conversation: ConversationId,
        from: UserId,
        to: UserId,
    ) -> StoreResult<bool>;

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
        limits: InviteLimits,
    ) -> StoreResult<InviteInfo>;
    /// The conversation a live invite (not revoked, expired or used up) leads to.
    async fn invite_target(&self, code_hash: &[u8], now: i64)
        -> StoreResult<Option<InvitePreview>>;
    /// The conversation an invite points to, whether or not it still works.
    async fn invite_conversation(&self, code_hash: &[u8]) -> StoreResult<Option<ConversationId>>;
    /// The conversation's invites, newest first.
    async fn invites(&self, conversation: ConversationId, now: i64)
        -> StoreResult<Vec<InviteInfo>>;
    /// Revokes an invite of the conversation; false when there is no such live invite.
    async fn revoke_invite(
        &self,
        conversation: ConversationId,
        invite_id: i64,
        now: i64,
    ) -> StoreResult<bool>;

    async fn audit(&self, record: AuditRecord<'_>) -> StoreResult<()>;
    /// The conversation's audit entries, newest first.
    async fn audit_entries(
        &self,
        conversation: ConversationId,
        filter: AuditFilter<'_>,
    ) -> StoreResult<Vec<AuditEntry>>;
}
