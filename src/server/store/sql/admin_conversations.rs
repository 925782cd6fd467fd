//! Conversations as an instance admin sees them (/admin/conversations): every live one, most
//! recently active first, with its members, owner and whether that owner's account is
//! disabled. Never their messages.

use crate::ids::{ConversationId, UserId};
use crate::model::AdminConversation;
use crate::time::Timestamp;

/// One conversation of /admin/conversations, from `conversations c` and its owner `o`.
pub const COLUMNS: &str = "c.id, c.title, c.kind = 'direct' AS direct, c.public, c.created_at, \
     c.last_activity_at, \
     (SELECT COUNT(*) FROM members m WHERE m.conversation_id = c.id) AS members, \
     CASE WHEN c.kind = 'direct' THEN NULL ELSE o.id END AS owner_id, \
     CASE WHEN c.kind = 'direct' THEN NULL ELSE o.username END AS owner, \
     (c.kind <> 'direct' AND o.disabled_at IS NOT NULL) AS owner_disabled";

pub const FROM: &str = "conversations c LEFT JOIN users o ON o.id = c.owner_id";

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub title: String,
    pub direct: bool,
    pub public: bool,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub members: i64,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub owner_disabled: bool,
}

impl From<Row> for AdminConversation {
    fn from(r: Row) -> Self {
        AdminConversation {
            id: ConversationId(r.id),
            title: r.title,
            direct: r.direct,
            public: r.public,
            members: r.members,
            owner_id: r.owner_id.map(UserId),
            owner: r.owner,
            owner_disabled: r.owner_disabled,
            created_at: r.created_at,
            last_activity_at: r.last_activity_at,
        }
    }
}

macro_rules! impl_admin_conversation_store {
    ($store:ty) => {
        #[async_trait]
        impl AdminConversationStore for $store {
            async fn admin_conversations(
                &self,
                query: &str,
                after: Option<AdminConversationCursor>,
                limit: i64,
            ) -> StoreResult<Vec<AdminConversation>> {
                use super::sql::admin_conversations::{Row, COLUMNS, FROM};
                let (at, id) = after.map_or((i64::MAX, i64::MAX), |a| (a.last_activity_at.0, a.id.0));
                let rows: Vec<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM {FROM} \
                     WHERE c.deleted_at IS NULL \
                       AND lower(c.title) LIKE $1 ESCAPE '\\' \
                       AND (c.last_activity_at < $2 OR (c.last_activity_at = $2 AND c.id < $3)) \
                     ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4"
                ))
                .bind(admin::contains_pattern(query))
                .bind(at)
                .bind(id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(AdminConversation::from).collect())
            }

            async fn live_conversation_ids(
                &self,
                after: ConversationId,
                limit: i64,
            ) -> StoreResult<Vec<ConversationId>> {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM conversations WHERE deleted_at IS NULL AND id > $1 \
                     ORDER BY id LIMIT $2",
                )
                .bind(after.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(ids.into_iter().map(ConversationId).collect())
            }

            async fn admin_conversation(
                &self,
                id: ConversationId,
            ) -> StoreResult<Option<AdminConversation>> {
                use super::sql::admin_conversations::{Row, COLUMNS, FROM};
                let row: Option<Row> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1 AND c.deleted_at IS NULL"
                ))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(AdminConversation::from))
            }
        }
    };
}
pub(crate) use impl_admin_conversation_store;
