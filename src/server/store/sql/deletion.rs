//! Deleting accounts: the tombstone row and the erasure job's queries (see
//! `lifecycle::AccountDeletionStore`). The admins lock is taken first, as for disabling, so
//! two admins deleting each other at once cannot leave the instance without an admin.

/// What a deleted account is called wherever its kept messages are shown.
pub const DELETED_NAME: &str = "Deleted user";

macro_rules! impl_account_deletion_store {
    ($store:ty) => {
        #[async_trait]
        impl AccountDeletionStore for $store {
            async fn delete_account(
                &self,
                user: UserId,
                erase: bool,
                now: Timestamp,
            ) -> StoreResult<DeletedAccount> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(admin::LOCK_ADMINS).execute(&mut *tx).await?;
                let current: Option<(String, bool, Option<Timestamp>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT username, is_admin AND disabled_at IS NULL, deleted_at, avatar_id \
                         FROM users WHERE id = $1",
                    )
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((username, enabled_admin, None, avatar)) = current else {
                    return Err(StoreError::NotFound);
                };
                if enabled_admin {
                    let others: i64 = sqlx::query_scalar(admin::OTHER_ADMINS)
                        .bind(user.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    if others == 0 {
                        return Err(StoreError::Forbidden);
                    }
                }
                let key = format!("deleted:{}", user.0);
                sqlx::query(
                    "UPDATE users SET username = $1, username_key = $2, username_skeleton = $2, \
                         password_hash = '', display_name = '', time_zone = '', avatar_id = NULL, \
                         is_admin = FALSE, disabled_at = COALESCE(disabled_at, $3), \
                         deleted_at = $3, erasing = $4, last_active_at = NULL \
                     WHERE id = $5",
                )
                .bind(deletion::DELETED_NAME)
                .bind(&key)
                .bind(now)
                .bind(erase)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                if let Some(avatar) = avatar {
                    sqlx::query(profiles::QUEUE_AVATAR_REMOVAL)
                    .bind(avatar)
                    .execute(&mut *tx)
                    .await?;
                }
                let sessions: Vec<SessionId> =
                    sqlx::query_scalar(sessions::REVOKE_SESSIONS_EXCEPT)
                        .bind(now)
                        .bind(user.0)
                        .bind(None::<&SessionId>)
                        .fetch_all(&mut *tx)
                        .await?;
                // Where and with what it signed in is personal data, not a security record.
                sqlx::query(
                    "UPDATE sessions SET user_agent = NULL, client_addr = NULL WHERE user_id = $1",
                )
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE invites SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                // Uploads it never sent: their rows go, the trigger queues their bytes.
                sqlx::query("DELETE FROM attachments WHERE uploader_id = $1 AND seq IS NULL")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                let memberships: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT m.conversation_id, m.role FROM members m \
                     JOIN conversations c ON c.id = m.conversation_id \
                     WHERE m.user_id = $1 AND c.deleted_at IS NULL ORDER BY m.conversation_id",
                )
                .bind(user.0)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let memberships = memberships
                    .into_iter()
                    .map(|(id, role)| Ok((ConversationId(id), rows::role(&role)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                Ok(DeletedAccount {
                    was: UserView { id: user, username },
                    sessions,
                    memberships,
                })
            }

            async fn successor(
                &self,
                id: ConversationId,
                leaving: UserId,
            ) -> StoreResult<Option<UserId>> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT user_id FROM members WHERE conversation_id = $1 AND user_id <> $2 \
                     ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, joined_at, user_id \
                     LIMIT 1",
                )
                .bind(id.0)
                .bind(leaving.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.map(UserId))
            }

            async fn deleted_members(&self) -> StoreResult<Vec<DeletedAccount>> {
                let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
                    "SELECT u.id, u.username, m.conversation_id, m.role FROM users u \
                     JOIN members m ON m.user_id = u.id \
                     JOIN conversations c ON c.id = m.conversation_id \
                     WHERE u.deleted_at IS NOT NULL AND c.deleted_at IS NULL \
                     ORDER BY u.id, m.conversation_id",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut accounts: Vec<DeletedAccount> = Vec::new();
                for (user, username, conversation, role) in rows {
                    let membership = (ConversationId(conversation), rows::role(&role)?);
                    match accounts.last_mut() {
                        Some(a) if a.was.id.0 == user => a.memberships.push(membership),
                        _ => accounts.push(DeletedAccount {
                            was: UserView {
                                id: UserId(user),
                                username,
                            },
                            sessions: Vec::new(),
                            memberships: vec![membership],
                        }),
                    }
                }
                Ok(accounts)
            }

            async fn accounts_erasing(&self) -> StoreResult<Vec<UserView>> {
                let rows: Vec<UserRow> = sqlx::query_as(
                    "SELECT id, username FROM users WHERE erasing ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(UserView::from).collect())
            }

            async fn messages_to_erase(
                &self,
                user: UserId,
                after: (ConversationId, Seq),
                limit: i64,
            ) -> StoreResult<Vec<(ConversationId, Seq)>> {
                let rows: Vec<(i64, Seq)> = sqlx::query_as(
                    "SELECT m.conversation_id, m.seq FROM messages m \
                     JOIN conversations c ON c.id = m.conversation_id \
                     WHERE m.sender_id = $1 AND m.kind = 'message' AND m.deleted_at IS NULL \
                         AND c.deleted_at IS NULL \
                         AND (m.conversation_id > $2 OR (m.conversation_id = $2 AND m.seq > $3)) \
                     ORDER BY m.conversation_id, m.seq LIMIT $4",
                )
                .bind(user.0)
                .bind(after.0 .0)
                .bind(after.1)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(c, s)| (ConversationId(c), s))
                    .collect())
            }

            async fn erasure_done(&self, user: UserId) -> StoreResult<()> {
                sqlx::query("UPDATE users SET erasing = FALSE WHERE id = $1")
                    .bind(user.0)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_account_deletion_store;
