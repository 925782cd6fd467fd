//! Invite links: stored as the code's hash, with expiry, a use limit and revocation.

macro_rules! impl_invite_store {
    ($store:ty) => {
        #[async_trait]
        impl InviteStore for $store {
            async fn create_invite(
                &self,
                conversation: ConversationId,
                code_hash: &[u8],
                by: UserId,
                now: Timestamp,
                limits: InviteLimits,
            ) -> StoreResult<InviteInfo> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO invites (conversation_id, code_hash, created_by, created_at, expires_at, max_uses) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(conversation.0)
                .bind(code_hash)
                .bind(by.0)
                .bind(now)
                .bind(limits.expires_at)
                .bind(limits.max_uses)
                .fetch_one(&self.pool)
                .await
                .map_err(unique_as_conflict)?;
                let row: InviteRow = sqlx::query_as(&format!(
                    "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.created_by \
                     WHERE i.id = $1"
                ))
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.info(now))
            }

            async fn invite_target(
                &self,
                code_hash: &[u8],
                now: Timestamp,
            ) -> StoreResult<Option<InvitePreview>> {
                let row: Option<InvitePreviewRow> = sqlx::query_as(&format!(
                    "SELECT c.id, c.title, \
                        (SELECT COUNT(*) FROM members WHERE conversation_id = c.id) AS member_count, \
                        u.username AS invited_by \
                     FROM invites i JOIN conversations c ON c.id = i.conversation_id \
                     JOIN users u ON u.id = i.created_by \
                     WHERE i.code_hash = $1 AND {}",
                    members::invite_live(2)
                ))
                .bind(code_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(InvitePreview::from))
            }

            async fn invite_conversation(
                &self,
                code_hash: &[u8],
            ) -> StoreResult<Option<ConversationId>> {
                let id: Option<i64> =
                    sqlx::query_scalar("SELECT conversation_id FROM invites WHERE code_hash = $1")
                        .bind(code_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(id.map(ConversationId))
            }

            async fn invites(
                &self,
                conversation: ConversationId,
                now: Timestamp,
            ) -> StoreResult<Vec<InviteInfo>> {
                let rows: Vec<InviteRow> = sqlx::query_as(&format!(
                    "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.created_by \
                     WHERE i.conversation_id = $1 ORDER BY i.id DESC LIMIT 200"
                ))
                .bind(conversation.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|r| r.info(now)).collect())
            }

            async fn revoke_invite(
                &self,
                conversation: ConversationId,
                invite_id: InviteId,
                now: Timestamp,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE invites SET revoked_at = $1 \
                     WHERE id = $2 AND conversation_id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(invite_id)
                .bind(conversation.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(crate) use impl_invite_store;
