//! The store traits of the features around messages: what draws attention, direct
//! conversations, search, attached files and profiles. The core ones are in `traits`.

use super::*;

/// What draws a member's attention: mentions and notification levels.
#[async_trait]
pub trait AttentionStore: Send + Sync {
    /// The members of `conversation` among the case-folded username `keys`, as
    /// (key, id); names that are not members are left out.
    async fn members_by_key(
        &self,
        conversation: ConversationId,
        keys: &[String],
    ) -> StoreResult<Vec<(String, UserId)>>;
    /// Sets what `user` is notified of in `conversation`; `NotMember` if they are not one.
    async fn set_notify_level(
        &self,
        conversation: ConversationId,
        user: UserId,
        level: NotifyLevel,
    ) -> StoreResult<()>;
}

/// Direct conversations: one per pair of people, and closing one.
#[async_trait]
pub trait DirectStore: Send + Sync {
    /// The direct conversation of `me` and `other`, in one transaction: created when the pair
    /// has none (both as plain members, shown to `me`, hidden from `other` until a message
    /// arrives), and shown to `me` again when they had closed it. `None` when `other` shares
    /// no conversation with `me` or does not exist (one answer for both, so nobody learns
    /// who has an account). Concurrent calls for one pair, from either side, find or create
    /// the same one conversation. `Forbidden` when `me == other`.
    async fn open_direct(
        &self,
        me: UserId,
        other: UserId,
        now: Timestamp,
    ) -> StoreResult<Option<DirectOpened>>;
    /// The conversation's kind; None when there is no such (undeleted) conversation.
    async fn conversation_kind(&self, id: ConversationId) -> StoreResult<Option<ConversationKind>>;
    /// Hides the conversation from `user`'s side nav until a message after its current last
    /// event arrives; false when they are not a member.
    async fn close_conversation(&self, id: ConversationId, user: UserId) -> StoreResult<bool>;
}

/// Message search.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Messages (not deleted) that contain every one of `terms` (case-insensitive
    /// substrings of the text as stored), in live conversations `user` is a member of now,
    /// newest first (by position), with positions below `before` (all when None); at most
    /// `limit`. Looks at no more than `scan` candidate messages: when it stopped there,
    /// `floor` says where, and a call with `before = floor` goes on (see `sql::search`).
    async fn search_messages(
        &self,
        user: UserId,
        terms: &[String],
        before: Option<i64>,
        limit: i64,
        scan: i64,
    ) -> StoreResult<Found>;
}

/// Files attached to messages (see migration 0010). The bytes live in a
/// [`crate::server::files::FileStore`]; these rows say who may read them.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Records a pending upload. `Conflict` if its id exists.
    async fn create_attachment(&self, a: NewAttachment<'_>) -> StoreResult<()>;
    /// How many uploads of `user` are pending (not sent with a message yet).
    async fn pending_attachments(&self, user: UserId) -> StoreResult<i64>;
    /// The attachment and where it belongs; `None` once its message or conversation is
    /// deleted, or when it expired.
    async fn attachment(&self, id: &AttachmentId) -> StoreResult<Option<AttachmentRecord>>;
    /// Deletes one of `uploader`'s pending uploads (removed from the composer); false when
    /// there was none.
    async fn delete_pending_attachment(
        &self,
        id: &AttachmentId,
        uploader: UserId,
    ) -> StoreResult<bool>;
    /// Deletes at most `limit` pending uploads created before `before`; returns how many.
    async fn expire_pending_attachments(&self, before: Timestamp, limit: i64) -> StoreResult<u64>;
    /// At most `limit` files whose rows are gone and whose bytes are still to be deleted,
    /// with whether a thumbnail was stored too.
    async fn file_removals(&self, limit: i64) -> StoreResult<Vec<(AttachmentId, bool)>>;
    /// These files' bytes are deleted: forgets them.
    async fn file_removals_done(&self, ids: &[AttachmentId]) -> StoreResult<()>;
}

/// Profiles (see [`crate::profiles`]): what `profile` reads, the member lists carry.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// `None` when there is no such user.
    async fn profile(&self, user: UserId) -> StoreResult<Option<Profile>>;
    /// Sets the display name and time zone (validated by the caller); false when there is
    /// no such user.
    async fn set_profile(
        &self,
        user: UserId,
        display_name: &str,
        time_zone: &str,
    ) -> StoreResult<bool>;
    /// Sets or removes the avatar; the replaced one's bytes are queued in `file_removals`
    /// in the same transaction. False when there is no such user.
    async fn set_avatar(&self, user: UserId, avatar: Option<&AttachmentId>) -> StoreResult<bool>;
    /// Whether some account's avatar has this id now.
    async fn avatar_exists(&self, avatar: &AttachmentId) -> StoreResult<bool>;
}

/// The dashboard's figures (issue 14), from indexes and rollups, never by counting messages.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Every figure of [`Dashboard`] but `open_sockets` (the node's own, left at 0), as at
    /// `now`; the chart's days are UTC days.
    async fn dashboard(&self, now: Timestamp) -> StoreResult<Dashboard>;
}

/// Conversations as an instance admin sees them (issue 14, /admin/conversations). Deleting
/// one and taking one over use the conversation and member stores.
#[async_trait]
pub trait AdminConversationStore: Send + Sync {
    /// Live conversations whose lower-cased title contains `query` (lower-cased by the
    /// caller; "" for all; `%` and `_` are letters), most recently active first, after
    /// `after`, at most `limit`.
    async fn admin_conversations(
        &self,
        query: &str,
        after: Option<AdminConversationCursor>,
        limit: i64,
    ) -> StoreResult<Vec<AdminConversation>>;
    /// Ids of live conversations above `after`, ascending, at most `limit`: a walk over every
    /// conversation that activity meanwhile cannot reorder (the instance export).
    async fn live_conversation_ids(
        &self,
        after: ConversationId,
        limit: i64,
    ) -> StoreResult<Vec<ConversationId>>;
    /// One live conversation; None when there is none (or it was deleted).
    async fn admin_conversation(
        &self,
        id: ConversationId,
    ) -> StoreResult<Option<AdminConversation>>;
}

/// Instance administration (issue 14): admins, disabled accounts, the account list.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Readiness: the database answers a trivial query (`SELECT 1`).
    async fn ping(&self) -> StoreResult<()>;
    /// Whether `user` is an instance admin with an enabled account.
    async fn is_admin(&self, user: UserId) -> StoreResult<bool>;
    /// Whether the account exists and is enabled.
    async fn may_sign_in(&self, user: UserId) -> StoreResult<bool>;
    /// Grants (`true`) or revokes instance admin; false when it already was so.
    /// `NotFound`: no such account; `Forbidden`: revoking the last enabled admin.
    async fn set_admin(&self, user: UserId, admin: bool) -> StoreResult<bool>;
    /// Disables the account at `at` (Some) or enables it (None). Disabling ends every
    /// session of the account in the same transaction and answers their ids; None when the
    /// account already was so. `NotFound`; `Forbidden`: disabling the last enabled admin.
    /// While disabled, none of the account's sessions is honoured (a sign-in that raced the
    /// change included) and its invite links are dead.
    async fn set_disabled(
        &self,
        user: UserId,
        at: Option<Timestamp>,
    ) -> StoreResult<Option<Vec<SessionId>>>;
    /// Accounts whose username key or lower-cased display name contains `query` (lower-cased
    /// by the caller; "" for all; `%` and `_` are letters), ordered by username key, after
    /// the key `after`, at most `limit`, with the key to continue from.
    async fn admin_users(
        &self,
        query: &str,
        after: Option<&str>,
        limit: i64,
        now: Timestamp,
    ) -> StoreResult<AdminUserPage>;
    async fn admin_user(&self, user: UserId, now: Timestamp) -> StoreResult<Option<AdminUser>>;
    /// The account with this (case-folded) username key.
    async fn user_id_by_key(&self, username_key: &str) -> StoreResult<Option<UserId>>;
    /// Stores a one-time password reset link for `user` (its code's hash), valid until
    /// `expires_at`; the account's earlier unused links stop working.
    async fn create_password_reset(
        &self,
        user: UserId,
        code_hash: &[u8],
        by: Option<UserId>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The account a live (unused, unexpired) reset link is for.
    async fn password_reset_target(
        &self,
        code_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<UserView>>;
    /// Uses a live reset link, in one transaction: marks it used, sets the password hash and
    /// ends every session of the account. Answers the account and the ended sessions; None
    /// when the link is not live (used already, also by a concurrent call; expired;
    /// replaced; unknown).
    async fn use_password_reset(
        &self,
        code_hash: &[u8],
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(UserView, Vec<SessionId>)>>;
}
