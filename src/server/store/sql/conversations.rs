//! Conversations: creation (with the owner as a member), settings, deletion with a
//! tombstone, the public room directory and the side nav.

use crate::model::{NOTIFY_ALL_MAX_MEMBERS, UNREAD_CAP};

/// A side-nav row for member `$1`: the newest visible message as preview, unread messages by
/// others after the member's read position and the unread ones that mention the member
/// (each counted up to UNREAD_CAP), and the member's notification level (their choice, or
/// the default: every message in a direct conversation, else by the room's size, members
/// counted only up to the threshold; `NotifyLevel::default_for` is the same rule). A direct
/// conversation's title is the other person's username, read here rather than copied, and
/// `peer_id` names them.
pub fn summary_select(filter: &str) -> String {
    format!(
        "SELECT c.id, COALESCE(pu.username, c.title) AS title, c.last_activity_at, c.last_seq, \
           u.username AS author, m.body, \
           (SELECT COUNT(*) FROM (SELECT 1 FROM messages x \
              WHERE x.conversation_id = c.id AND x.seq > mb.last_read_seq AND x.kind = 'message' \
                AND x.deleted_at IS NULL AND x.sender_id <> mb.user_id LIMIT {UNREAD_CAP}) AS unread_rows) \
             AS unread, \
           c.public, \
           (SELECT COUNT(*) FROM (SELECT 1 FROM mentions n \
              WHERE n.conversation_id = c.id AND n.user_id = mb.user_id \
                AND n.seq > mb.last_read_seq LIMIT {UNREAD_CAP}) AS mention_rows) AS mentions, \
           COALESCE(mb.notify, CASE WHEN c.kind = 'direct' THEN 'all' \
              WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM members k \
              WHERE k.conversation_id = c.id LIMIT {over}) AS member_rows) > {NOTIFY_ALL_MAX_MEMBERS} \
              THEN 'mentions' ELSE 'all' END) AS notify, \
           c.kind, pu.id AS peer_id, \
           (SELECT f.name FROM attachments f WHERE f.conversation_id = c.id AND f.seq = m.seq \
              ORDER BY f.position LIMIT 1) AS file_name, \
           (SELECT COUNT(*) FROM attachments f WHERE f.conversation_id = c.id AND f.seq = m.seq) \
             AS files \
         FROM conversations c \
         JOIN members mb ON mb.conversation_id = c.id AND mb.user_id = $1 \
         LEFT JOIN users pu ON c.kind = 'direct' AND pu.id = \
             CASE WHEN c.direct_low = mb.user_id THEN c.direct_high ELSE c.direct_low END \
         LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = ( \
             SELECT MAX(p.seq) FROM messages p \
             WHERE p.conversation_id = c.id AND p.kind = 'message' AND p.deleted_at IS NULL) \
         LEFT JOIN users u ON u.id = m.sender_id \
         {filter}",
        over = NOTIFY_ALL_MAX_MEMBERS + 1
    )
}

/// SQL condition: the side nav of member `mb` shows conversation `c`. Hidden while the member
/// has closed it (`hidden_seq`) and no message came after: deciding this from the messages
/// themselves, rather than from a flag a send must clear, keeps it right even if the send's
/// live notice (see `Inserted::reopened`) never happens. A range scan on the primary key.
pub const SHOWN: &str = "(mb.hidden_seq IS NULL OR EXISTS (SELECT 1 FROM messages h \
     WHERE h.conversation_id = c.id AND h.seq > mb.hidden_seq AND h.kind = 'message'))";

macro_rules! impl_conversation_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Inserts a conversation with its owner as a member, inside the caller's
            /// transaction: a conversation never exists without its owner.
            async fn insert_conversation(
                tx: &mut sqlx::Transaction<'_, $db>,
                owner: UserId,
                title: &str,
                public: bool,
                now: Timestamp,
            ) -> Result<ConversationSummary, sqlx::Error> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversations (title, owner_id, created_at, last_activity_at, public) \
                     VALUES ($1, $2, $3, $3, $4) RETURNING id",
                )
                .bind(title)
                .bind(owner.0)
                .bind(now)
                .bind(public)
                .fetch_one(&mut **tx)
                .await?;
                sqlx::query(
                    "INSERT INTO members (conversation_id, user_id, role, joined_at) \
                     VALUES ($1, $2, 'owner', $3)",
                )
                .bind(id)
                .bind(owner.0)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(ConversationSummary {
                    id: ConversationId(id),
                    title: title.to_owned(),
                    last_activity_at: now,
                    last_seq: Seq::ZERO,
                    last_message: None,
                    unread: 0,
                    public,
                    mentions: 0,
                    notify: NotifyLevel::All,
                    kind: ConversationKind::Group,
                    peer: None,
                    peer_online: false,
                })
            }
        }

        #[async_trait]
        impl ConversationStore for $store {
            async fn create_conversation(
                &self,
                owner: UserId,
                title: &str,
                public: bool,
                now: Timestamp,
            ) -> StoreResult<ConversationSummary> {
                let mut tx = self.pool.begin().await?;
                let summary = Self::insert_conversation(&mut tx, owner, title, public, now).await?;
                tx.commit().await?;
                Ok(summary)
            }

            async fn create_conversation_once(
                &self,
                flag: &str,
                owner: UserId,
                title: &str,
                public: bool,
                now: Timestamp,
            ) -> StoreResult<Option<ConversationSummary>> {
                let mut tx = self.pool.begin().await?;
                let first = sqlx::query(
                    "INSERT INTO instance_flags (name, set_at) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(flag)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                if !first {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let summary = Self::insert_conversation(&mut tx, owner, title, public, now).await?;
                tx.commit().await?;
                Ok(Some(summary))
            }

            async fn update_conversation(
                &self,
                id: ConversationId,
                title: Option<&str>,
                public: Option<bool>,
            ) -> StoreResult<Option<(String, bool)>> {
                let row: Option<(String, bool)> = sqlx::query_as(
                    "UPDATE conversations SET title = COALESCE($1, title), public = COALESCE($2, public) \
                     WHERE id = $3 AND deleted_at IS NULL RETURNING title, public",
                )
                .bind(title)
                .bind(public)
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row)
            }

            async fn delete_conversation(
                &self,
                id: ConversationId,
                now: Timestamp,
            ) -> StoreResult<Vec<UserId>> {
                let mut tx = self.pool.begin().await?;
                // Writes first: the transaction holds the write lock (SQLite) or the row lock
                // (PostgreSQL) before anything is read, so sends wait for it.
                let done = sqlx::query(
                    "UPDATE conversations SET title = '', public = FALSE, deleted_at = $1 \
                     WHERE id = $2 AND deleted_at IS NULL",
                )
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let members: Vec<i64> =
                    sqlx::query_scalar("SELECT user_id FROM members WHERE conversation_id = $1")
                        .bind(id.0)
                        .fetch_all(&mut *tx)
                        .await?;
                // Children first: cheaper than leaning on ON DELETE CASCADE row by row.
                // Attachments first: their trigger queues the files' bytes for deletion.
                for table in [
                    "attachments",
                    "reactions",
                    "mentions",
                    "messages",
                    "invites",
                    "members",
                    "bans",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE conversation_id = $1"))
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                // The messages' text out of the search index and the WAL (SECURITY 32).
                self.after_deletion().await;
                Ok(members.into_iter().map(UserId).collect())
            }

            async fn public_rooms(&self, user: UserId, limit: i64) -> StoreResult<Vec<PublicRoom>> {
                let rows: Vec<PublicRoomRow> = sqlx::query_as(
                    "SELECT c.id, c.title, \
                        (SELECT COUNT(*) FROM members x WHERE x.conversation_id = c.id) AS member_count, \
                        c.last_activity_at, \
                        EXISTS (SELECT 1 FROM members me WHERE me.conversation_id = c.id AND me.user_id = $1) AS joined \
                     FROM conversations c WHERE c.public \
                     ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2",
                )
                .bind(user.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(PublicRoom::from).collect())
            }

            async fn conversations_for(&self, user: UserId) -> StoreResult<Vec<ConversationSummary>> {
                let rows: Vec<SummaryRow> = sqlx::query_as(&statements::conversations_for())
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(ConversationSummary::try_from)
                    .collect::<Result<_, _>>()?)
            }

            async fn conversation_summary(
                &self,
                id: ConversationId,
                user: UserId,
            ) -> StoreResult<Option<ConversationSummary>> {
                let row: Option<SummaryRow> =
                    sqlx::query_as(&conversations::summary_select("WHERE c.id = $2"))
                        .bind(user.0)
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(ConversationSummary::try_from).transpose()?)
            }

            async fn conversation_ids_for(&self, user: UserId) -> StoreResult<Vec<ConversationId>> {
                let ids: Vec<i64> =
                    sqlx::query_scalar("SELECT conversation_id FROM members WHERE user_id = $1")
                        .bind(user.0)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(ids.into_iter().map(ConversationId).collect())
            }

            async fn owner_of(&self, id: ConversationId) -> StoreResult<Option<UserId>> {
                let owner: Option<i64> = sqlx::query_scalar(
                    "SELECT owner_id FROM conversations WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(owner.map(UserId))
            }
        }
    };
}
pub(crate) use impl_conversation_store;
