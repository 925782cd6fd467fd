//! The storage traits, one per aggregate, combined into [`Store`]. Each backend implements
//! them all (see `sql/`: the statements are written once for both backends). The traits of
//! the features around messages are in `features`.

use super::*;

/// Accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` when the username key is taken.
    async fn create_user(&self, user: NewUser<'_>) -> StoreResult<UserView>;
    /// The user and their password hash, by case-folded username.
    async fn user_credentials(&self, username_key: &str)
        -> StoreResult<Option<(UserView, String)>>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserView>>;
    async fn password_hash(&self, user: UserId) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()>;
}

/// Sign-in sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: NewSession<'_>) -> StoreResult<()>;
    /// The session's user if the session exists, is not revoked and has not expired.
    async fn session_by_token(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>>;
    /// The user of a live (not revoked, not expired) session.
    async fn session_owner(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>>;
    /// The conversations a socket opened under session `session_id` of `user` listens to,
    /// if that session is live for that user (the rule of [`Self::session_owner`]); `None`
    /// when it is not (another user's, revoked, expired, or its user disabled). One query
    /// for what a socket's opening needs: a connect storm pays one round trip per socket
    /// for both.
    async fn socket_memberships(
        &self,
        session_id: &SessionId,
        user: UserId,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<ConversationId>>>;
    /// Revokes the session with this cookie hash; returns its id if it was live.
    async fn revoke_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<SessionId>>;
    /// The user's live sessions, most recently seen first (`current` is left false).
    async fn sessions_for(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<SessionInfo>>;
    /// Revokes one of the user's sessions; false when it was not theirs or not live.
    async fn revoke_session_by_id(
        &self,
        user: UserId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Revokes every live session of the user but `keep`; returns the ids revoked.
    async fn revoke_sessions_except(
        &self,
        user: UserId,
        keep: Option<&SessionId>,
        now: Timestamp,
    ) -> StoreResult<Vec<SessionId>>;
}

/// Conversations and the side nav.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn create_conversation(
        &self,
        owner: UserId,
        title: &str,
        public: bool,
        now: Timestamp,
    ) -> StoreResult<ConversationSummary>;
    /// Creates the conversation only if the instance-wide `flag` was never set, setting it in
    /// the same transaction: exactly one caller ever gets `Some`, and a failure leaves neither.
    async fn create_conversation_once(
        &self,
        flag: &str,
        owner: UserId,
        title: &str,
        public: bool,
        now: Timestamp,
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
    async fn delete_conversation(
        &self,
        id: ConversationId,
        now: Timestamp,
    ) -> StoreResult<Vec<UserId>>;
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
    /// The conversation's owner; None once it is deleted or when it never existed.
    async fn owner_of(&self, id: ConversationId) -> StoreResult<Option<UserId>>;
}

/// Memberships, roles, read positions, joins and bans.
#[async_trait]
pub trait MemberStore: Send + Sync {
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
    /// Removes a member and, in the same transaction, records the ban (with `ban`) and
    /// appends their `leave` event, which it returns; None when they were not a member.
    async fn remove_member(
        &self,
        conversation: ConversationId,
        user: &UserView,
        ban: Option<Ban>,
        leave: Leave<'_>,
    ) -> StoreResult<Option<MessageView>>;
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
    /// transaction with the invite use it consumes and their `join` event (client id
    /// `event_id`).
    async fn join(
        &self,
        via: JoinVia<'_>,
        user: &UserView,
        event_id: &str,
        now: Timestamp,
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
}

/// A conversation's sequence of events.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends an event with the next seq (applying an edit or deletion to its target in the
    /// same transaction), or returns the one stored earlier under the same (conversation,
    /// sender, client id). Either way the event is durable when this returns.
    async fn append_event(&self, event: NewEvent<'_>) -> StoreResult<Inserted>;
    /// [`Self::append_event`], and `committed` runs with the new event right after the
    /// transaction that stored it commits, before this returns. Among the events of one
    /// conversation appended this way, `committed` runs in seq order (the writer runs it,
    /// see `writer`): the place to publish the event, so that subscribers get a
    /// conversation's events in order without the senders holding a lock across the commit.
    /// Not called for a retry of a stored event or an error.
    async fn append_event_then(
        &self,
        event: NewEvent<'_>,
        committed: super::writer::Committed,
    ) -> StoreResult<Inserted>;
    /// Queues a message (not an edit or deletion: their side effects run after the commit
    /// in [`Self::append_event_then`]) like [`Self::append_event_then`] and returns without
    /// waiting for its commit; the caller awaits [`super::writer::Pending::answer`]. One
    /// caller's appends are written in the order it queued them.
    async fn queue_event_then(
        &self,
        event: NewEvent<'_>,
        committed: super::writer::Committed,
    ) -> StoreResult<super::writer::Pending>;
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
}

/// Invite links.
#[async_trait]
pub trait InviteStore: Send + Sync {
    async fn create_invite(
        &self,
        conversation: ConversationId,
        code_hash: &[u8],
        by: UserId,
        now: Timestamp,
        limits: InviteLimits,
    ) -> StoreResult<InviteInfo>;
    /// The conversation a live invite (not revoked, expired or used up) leads to.
    async fn invite_target(
        &self,
        code_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<InvitePreview>>;
    /// The conversation an invite points to, whether or not it still works.
    async fn invite_conversation(&self, code_hash: &[u8]) -> StoreResult<Option<ConversationId>>;
    /// The conversation's invites, newest first.
    async fn invites(
        &self,
        conversation: ConversationId,
        now: Timestamp,
    ) -> StoreResult<Vec<InviteInfo>>;
    /// Revokes an invite of the conversation; false when there is no such live invite.
    async fn revoke_invite(
        &self,
        conversation: ConversationId,
        invite_id: InviteId,
        now: Timestamp,
    ) -> StoreResult<bool>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, record: AuditRecord<'_>) -> StoreResult<()>;
    /// The conversation's audit entries, newest first.
    async fn audit_entries(
        &self,
        conversation: ConversationId,
        filter: AuditFilter<'_>,
    ) -> StoreResult<Vec<AuditEntry>>;
    /// Every audit entry of the instance (accounts' and conversations' alike), newest
    /// first, with the conversation's id and title where the entry is about one.
    async fn instance_audit_entries(&self, filter: AuditFilter<'_>)
        -> StoreResult<Vec<AuditEntry>>;
}

/// Places under the limits every node of a cluster shares: failed password checks per
/// account and per address, sign-ups per address (SECURITY 4, 26, 27). A place is taken
/// before the work and then counted or given back, so checks arriving at once, on one node
/// or several, are counted exactly like checks in a row.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Takes one place under each of `keys` when each has fewer than `allowance` places in
    /// use: counted after `counted_since` plus held (taken, not yet settled) after
    /// `held_since`. Otherwise takes none and answers `Full`, with the oldest counted place
    /// of a key that is full of counted ones (None when held places fill it).
    async fn take_places(
        &self,
        keys: &[String],
        allowance: i64,
        counted_since: Timestamp,
        held_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Places>;
    /// Counts the places `ids` (at `now`) or gives them back.
    async fn settle_places(&self, ids: &[i64], counted: bool, now: Timestamp) -> StoreResult<()>;
    /// Deletes counted places older than `counted_before` and held ones taken before
    /// `held_before`, and the keys left without places; answers how many places went.
    async fn prune_places(
        &self,
        counted_before: Timestamp,
        held_before: Timestamp,
    ) -> StoreResult<u64>;
}

/// What [`ThrottleStore::take_places`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Places {
    /// One place per distinct key, to settle.
    Taken(Vec<i64>),
    Full {
        oldest: Option<Timestamp>,
    },
}

/// Everything the core needs from a database.
pub trait Store:
    UserStore
    + SessionStore
    + ConversationStore
    + MemberStore
    + EventStore
    + InviteStore
    + AuditStore
    + AttentionStore
    + DirectStore
    + SearchStore
    + AttachmentStore
    + ProfileStore
    + AdminStore
    + StatsStore
    + AdminConversationStore
    + AccountDeletionStore
    + RetentionStore
    + ThrottleStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: UserStore
        + SessionStore
        + ConversationStore
        + MemberStore
        + EventStore
        + InviteStore
        + AuditStore
        + AttentionStore
        + DirectStore
        + SearchStore
        + AttachmentStore
        + ProfileStore
        + AdminStore
        + StatsStore
        + AdminConversationStore
        + AccountDeletionStore
        + RetentionStore
        + ThrottleStore
        + Send
        + Sync
        + 'static
{
}
