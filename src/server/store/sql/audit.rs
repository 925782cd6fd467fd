//! The audit log: appended to, read newest first with keyset paging and filters.

macro_rules! impl_audit_store {
    ($store:ty) => {
        #[async_trait]
        impl AuditStore for $store {
            async fn audit(&self, r: AuditRecord<'_>) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at, action, actor_id, actor_name, target_user_id, \
                         target_name, conversation_id, detail, client_addr) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(r.at)
                .bind(r.action.as_str())
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

            /// Keyset paging on the entry id (newest first), optionally one action and one
            /// actor (any case).
            async fn audit_entries(
                &self,
                conversation: ConversationId,
                f: AuditFilter<'_>,
            ) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT id, at, action, actor_name, target_name, detail, client_addr \
                     FROM audit_log \
                     WHERE conversation_id = $1 AND id < $2 \
                         AND (CAST($3 AS TEXT) IS NULL OR action = $3) \
                         AND (CAST($4 AS TEXT) IS NULL OR lower(actor_name) = lower($4)) \
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(conversation.0)
                .bind(f.before.unwrap_or(i64::MAX))
                .bind(f.action)
                .bind(f.actor)
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(AuditEntry::from).collect())
            }
        }
    };
}
pub(crate) use impl_audit_store;
