//! Deleting an account (issue 14): an admin chooses to keep its messages, attributed to
//! "Deleted user", or to erase them. The account becomes a tombstone row at once (no sign-in,
//! no sessions, no profile, its name free again); it leaves each conversation with a `leave`
//! event, owned conversations passing to their longest-standing admin or member (deleted when
//! nobody else is in them). Erasing is a background job that appends one `delete` event per
//! message through the writer, so open clients update live, and that resumes after a restart.

use super::*;
use crate::protocol::ErrorCode;
use crate::server::store::DeletedAccount;

/// What a deleted account's open pages are told as their sockets close.
pub const DELETED_NOTICE: &str = "This account has been deleted by an administrator.";

/// Messages the erasure job looks up at once.
const ERASE_BATCH: i64 = 200;

impl Chat {
    /// Deletes account `target`: `erase` erases its messages (a background job), otherwise
    /// they stay, attributed to "Deleted user". `confirm` must repeat its username.
    ///
    /// Errors: `Forbidden` for a non-admin, for the admin's own account, or for the last
    /// enabled admin; `NotFound` for no such account (or one deleted already);
    /// `Invalid(AccountDeleteConfirmation)`; `RateLimited`.
    pub async fn admin_delete_account(
        &self,
        who: &SessionUser,
        target: UserId,
        erase: bool,
        confirm: &str,
    ) -> Result<(), CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.action(who.user.id)?;
        if target == who.user.id {
            return Err(CoreError::Forbidden(
                "You cannot delete your own account: ask another administrator.",
            ));
        }
        // A deleted account is no account: 404, whatever was typed (its name is gone).
        let account = self
            .store
            .admin_user(target, Timestamp::now())
            .await?
            .ok_or(CoreError::NotFound("User"))?;
        if confirm.trim() != account.username {
            return Err(ValidationError::AccountDeleteConfirmation.into());
        }
        let deleted = self
            .store
            .delete_account(target, erase, Timestamp::now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => CoreError::NotFound("User"),
                StoreError::Forbidden => CoreError::Forbidden(
                    "This is the last administrator: make someone else an administrator first.",
                ),
                e => CoreError::from(e),
            })?;
        self.end_sessions_as(
            target,
            deleted.sessions.clone(),
            ErrorCode::AccountDeleted,
            DELETED_NOTICE,
        );
        self.files_changed.notify_one();
        self.audit_as(
            who,
            AuditAction::AccountDeleted,
            None,
            Some(&deleted.was),
            Some(if erase {
                "messages erased"
            } else {
                "messages kept as Deleted user"
            }),
        )
        .await;
        self.leave_everything(who, &deleted).await;
        if erase {
            self.erasures.notify_one();
        }
        Ok(())
    }

    /// Takes the deleted account out of each of its conversations. A failure in one (it
    /// left meanwhile) is logged and the rest go on: the account is deleted either way.
    async fn leave_everything(&self, who: &SessionUser, deleted: &DeletedAccount) {
        let tombstone = self.user_by_id(deleted.was.id).await;
        let Ok(tombstone) = tombstone else {
            return;
        };
        for &(id, role) in &deleted.memberships {
            let left = async {
                if role == Role::Owner {
                    match self.store.successor(id, tombstone.id).await? {
                        Some(heir) => self.hand_over(who, id, &deleted.was, heir).await?,
                        None => {
                            let title = self.title_for(id, tombstone.id).await?;
                            return self.delete_now(who, id, &title).await;
                        }
                    }
                }
                self.drop_member(id, &tombstone, RemovalReason::Removed, None)
                    .await
            }
            .await;
            if let Err(e) = left {
                tracing::warn!(conversation = id.0, error = %e, "deleted account kept a membership");
            }
        }
    }

    /// Makes `heir` the owner of conversation `id`, which `was` (being deleted) owned.
    async fn hand_over(
        &self,
        who: &SessionUser,
        id: ConversationId,
        was: &UserView,
        heir: UserId,
    ) -> Result<(), CoreError> {
        found(
            self.store.transfer_ownership(id, was.id, heir).await,
            "Conversation",
        )?;
        self.audit_as(
            who,
            AuditAction::OwnershipTransferred,
            Some(id),
            self.store.user_by_id(heir).await?.as_ref(),
            Some("its owner's account was deleted"),
        )
        .await;
        self.publish_member(id, heir).await
    }

    /// Erases every message of deleted account `user` (a tombstone): a `delete` event for
    /// each, appended as its author, published like any deletion. Answers how many.
    pub async fn erase_messages_of(&self, user: &UserView) -> Result<u64, CoreError> {
        let mut erased = 0;
        let mut after = (ConversationId(0), Seq(0));
        loop {
            let batch = self
                .store
                .messages_to_erase(user.id, after, ERASE_BATCH)
                .await?;
            let Some(&last) = batch.last() else {
                break;
            };
            after = last;
            for (id, seq) in batch {
                let client_id = format!("erase-{}", seq.0);
                let event = NewEvent {
                    erasure: true,
                    ..super::appends::new_event(
                        user,
                        id,
                        EventKind::Delete,
                        Some(seq),
                        &client_id,
                        "",
                        &super::appends::Mode::Delete { moderator: false },
                    )
                };
                let shared = self.append_lock(id).await;
                match self
                    .store
                    .append_event_then(event, self.publisher(shared))
                    .await
                {
                    Ok(_) => erased += 1,
                    // Deleted meanwhile (its conversation, or the message by a moderator).
                    Err(StoreError::NotFound | StoreError::Forbidden) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        self.store.erasure_done(user.id).await?;
        if erased > 0 {
            self.store.finish_bulk_deletion().await;
        }
        self.files_changed.notify_one();
        Ok(erased)
    }

    /// Takes deleted accounts out of the conversations they are still in: a server that
    /// stopped between deleting an account and its `leave` events finishes here. The audit
    /// log names the deleted account as the actor of what follows. Answers how many accounts.
    pub async fn finish_deletions(&self) -> Result<usize, CoreError> {
        let pending = self.store.deleted_members().await?;
        for account in &pending {
            let actor = SessionUser {
                user: account.was.clone(),
                session_id: SessionId(String::new()),
                client_addr: None,
            };
            self.leave_everything(&actor, account).await;
        }
        Ok(pending.len())
    }

    /// Runs what deleting accounts left to do: at start (what a restart interrupted), the
    /// memberships of deleted accounts ([`Self::finish_deletions`]) and the pending erasures;
    /// then the erasures whenever an account is deleted with its messages, until `stop`
    /// resolves.
    pub async fn run_erasures(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        match self.finish_deletions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                accounts = n,
                "deleted accounts taken out of their conversations"
            ),
            Err(e) => tracing::warn!(error = %e, "could not finish deleting accounts"),
        }
        loop {
            match self.store.accounts_erasing().await {
                Ok(accounts) => {
                    for account in accounts {
                        match self.erase_messages_of(&account).await {
                            Ok(n) => {
                                tracing::info!(user = account.id.0, erased = n, "erasure done")
                            }
                            Err(e) => {
                                tracing::warn!(user = account.id.0, error = %e, "erasure failed")
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not list pending erasures"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.erasures.notified() => {}
                // A failed erasure is tried again.
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            }
        }
    }
}
