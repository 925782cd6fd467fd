//! What draws a member's attention: finding the members a message mentions, and each
//! member's notification level for a conversation.

macro_rules! impl_attention_store {
    ($store:ty, $db:ty) => {
        #[async_trait]
        impl AttentionStore for $store {
            async fn members_by_key(
                &self,
                conversation: ConversationId,
                keys: &[String],
            ) -> StoreResult<Vec<(String, UserId)>> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT u.username_key, u.id FROM members mb JOIN users u ON u.id = mb.user_id \
                     WHERE mb.conversation_id = ",
                );
                q.push_bind(conversation.0).push(" AND u.username_key IN (");
                let mut list = q.separated(", ");
                for key in keys {
                    list.push_bind(key.as_str());
                }
                q.push(")");
                let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(k, id)| (k, UserId(id))).collect())
            }

            async fn set_notify_level(
                &self,
                conversation: ConversationId,
                user: UserId,
                level: NotifyLevel,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE members SET notify = $1 WHERE conversation_id = $2 AND user_id = $3",
                )
                .bind(level.as_str())
                .bind(conversation.0)
                .bind(user.0)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotMember);
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_attention_store;
