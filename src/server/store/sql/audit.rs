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
                         AND at >= $5 AND at < $6 \
                     ORDER BY id DESC LIMIT $7",
                )
                .bind(conversation.0)
                .bind(f.before.unwrap_or(i64::MAX))
                .bind(f.action)
                .bind(f.actor)
                .bind(f.since.map_or(i64::MIN, |t| t.0))
                .bind(f.until.map_or(i64::MAX, |t| t.0))
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(AuditEntry::from).collect())
            }

            /// As [`Self::audit_entries`], over the whole instance; the indexes of migration
            /// 0013 keep a narrowed page short.
            async fn instance_audit_entries(
                &self,
                f: AuditFilter<'_>,
            ) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT a.id, a.at, a.action, a.actor_name, a.target_name, a.detail, \
                         a.client_addr, a.conversation_id, c.title AS conversation_title \
                     FROM audit_log a LEFT JOIN conversations c ON c.id = a.conversation_id \
                     WHERE a.id < $1 \
                         AND (CAST($2 AS TEXT) IS NULL OR a.action = $2) \
                         AND (CAST($3 AS TEXT) IS NULL OR lower(a.actor_name) = lower($3)) \
                         AND a.at >= $4 AND a.at < $5 \
                     ORDER BY a.id DESC LIMIT $6",
                )
                .bind(f.before.unwrap_or(i64::MAX))
                .bind(f.action)
                .bind(f.actor)
                .bind(f.since.map_or(i64::MIN, |t| t.0))
                .bind(f.until.map_or(i64::MAX, |t| t.0))
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(AuditEntry::from).collect())
            }
        }
    };
}
pub(crate) use impl_audit_store;
