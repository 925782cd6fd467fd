//! The store traits of how data ends (issue 14): deleting an account, erasing its messages,
//! and retention. The statements are in `sql::deletion` and `sql::retention`.

use super::*;

/// What deleting an account ended, for the core to tell the open clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedAccount {
    /// The account as it was (its username before it became "Deleted user").
    pub was: UserView,
    /// The sessions it ended.
    pub sessions: Vec<SessionId>,
    /// The live conversations it was a member of, with its role there. It is still a member
    /// of them: the core takes it out one at a time, each with its `leave` event.
    pub memberships: Vec<(ConversationId, Role)>,
}

/// One conversation as the retention job sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionTarget {
    pub id: ConversationId,
    /// The owner's setting in days; None keeps what the instance keeps.
    pub retention_days: Option<i64>,
}

/// What one retention batch deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Events deleted by this batch.
    pub deleted: u64,
    /// Every event at or below this seq is gone now.
    pub through: Seq,
}

/// Deleting accounts and erasing their messages.
#[async_trait]
pub trait AccountDeletionStore: Send + Sync {
    /// Turns account `user` into a tombstone in one transaction: username "Deleted user",
    /// username and skeleton keys `deleted:<id>` (the name is free again), no password (no
    /// sign-in can match), profile and avatar cleared (the avatar's bytes queued for
    /// deletion), every session ended, reset links gone, its invite links revoked, admin
    /// taken away, `deleted_at` set; with `erase`, marked for the erasure job
    /// ([`Self::messages_to_erase`]). Its messages and memberships stay (see
    /// [`DeletedAccount::memberships`]).
    /// Errors: `NotFound` for no such account or one deleted already; `Forbidden` when it is
    /// the last enabled admin.
    async fn delete_account(
        &self,
        user: UserId,
        erase: bool,
        now: Timestamp,
    ) -> StoreResult<DeletedAccount>;
    /// Who takes over conversation `id` when its owner `leaving` goes: its longest-standing
    /// admin, else its longest-standing member; None when nobody else is in it.
    async fn successor(&self, id: ConversationId, leaving: UserId) -> StoreResult<Option<UserId>>;
    /// Deleted accounts that are still members of live conversations (the server stopped
    /// before it had taken them out), with those memberships; `sessions` is empty.
    async fn deleted_members(&self) -> StoreResult<Vec<DeletedAccount>>;
    /// Deleted accounts whose messages the erasure job has not finished erasing (a restart
    /// resumes them), as their tombstones.
    async fn accounts_erasing(&self) -> StoreResult<Vec<UserView>>;
    /// Up to `limit` of `user`'s messages that are not deleted, in live conversations, after
    /// the position `after` (conversation, seq), in that order.
    async fn messages_to_erase(
        &self,
        user: UserId,
        after: (ConversationId, Seq),
        limit: i64,
    ) -> StoreResult<Vec<(ConversationId, Seq)>>;
    /// The erasure of `user`'s messages is complete.
    async fn erasure_done(&self, user: UserId) -> StoreResult<()>;
}

/// Retention: how long a conversation keeps its events, and pruning them.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Up to `limit` live conversations with an id above `after`, by id: every one, active
    /// or not, so none is skipped for having no new activity.
    async fn retention_targets(
        &self,
        after: ConversationId,
        limit: i64,
    ) -> StoreResult<Vec<RetentionTarget>>;
    /// Deletes, in one transaction, up to `limit` of the conversation's oldest events while
    /// they were created before `cutoff` (it stops at the first that was not: seqs follow
    /// time), with their reactions, mention rows and files (their bytes queued), and moves
    /// `pruned_through` to the last one deleted. `NotFound` for no live conversation.
    async fn prune_before(
        &self,
        id: ConversationId,
        cutoff: Timestamp,
        limit: i64,
    ) -> StoreResult<Pruned>;
    /// After deleting in bulk (a retention pass, an account's erasure): the deleted text
    /// leaves the database's log too (SQLite's WAL is checkpointed and truncated, SECURITY
    /// 32; retried by the checkpointer while a reader blocks it); nothing on PostgreSQL.
    async fn finish_bulk_deletion(&self);
    /// Sets the owner's retention in days (None: the instance's); false for no live
    /// conversation.
    async fn set_retention(&self, id: ConversationId, days: Option<i64>) -> StoreResult<bool>;
    /// The owner's retention in days and the seq through which events were pruned.
    async fn retention_of(&self, id: ConversationId) -> StoreResult<Option<(Option<i64>, Seq)>>;
}
