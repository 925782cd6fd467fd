//! Attachments: pending uploads, joining them to a message inside the append's transaction,
//! attaching them to read pages, and the queue of files whose bytes are to be deleted
//! (`file_removals`, filled by a trigger whenever an `attachments` row goes; migration 0010).

/// The columns of an attachment row, in [`AttachmentRow`]'s order.
pub const ATTACHMENT_COLUMNS: &str =
    "a.id, a.name, a.content_type, a.size, a.width, a.height, a.thumbnail";

/// An attachment row as read.
#[derive(sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: bool,
}

impl TryFrom<AttachmentRow> for crate::model::Attachment {
    type Error = sqlx::Error;
    fn try_from(r: AttachmentRow) -> Result<Self, sqlx::Error> {
        let id = crate::files::AttachmentId::parse(&r.id)
            .ok_or_else(|| sqlx::Error::Decode(format!("bad attachment id {:?}", r.id).into()))?;
        let pixels = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        Ok(Self {
            id,
            name: r.name,
            content_type: r.content_type,
            size: u64::try_from(r.size).unwrap_or(0),
            width: pixels(r.width),
            height: pixels(r.height),
            thumbnail: r.thumbnail,
        })
    }
}

macro_rules! impl_attachment_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Joins the sender's pending uploads to message `seq`, in the order given. Each
            /// must be the sender's, uploaded to this conversation and not sent yet
            /// (`AttachmentUnavailable` otherwise: expired, sent before, someone else's).
            pub(crate) async fn attach_files(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
                seq: Seq,
            ) -> StoreResult<Vec<Attachment>> {
                for (position, id) in e.attachments.iter().enumerate() {
                    let done = sqlx::query(
                        "UPDATE attachments SET seq = $1, position = $2 \
                         WHERE id = $3 AND conversation_id = $4 AND uploader_id = $5 \
                             AND seq IS NULL",
                    )
                    .bind(seq)
                    .bind(position as i64)
                    .bind(id.as_str())
                    .bind(e.conversation_id.0)
                    .bind(e.sender.id.0)
                    .execute(&mut **tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::AttachmentUnavailable);
                    }
                }
                Self::files_of(&mut **tx, e.conversation_id, seq).await
            }

            /// Message `seq`'s files, in their order.
            pub(crate) async fn files_of<'e, X>(
                executor: X,
                conversation: ConversationId,
                seq: Seq,
            ) -> StoreResult<Vec<Attachment>>
            where
                X: sqlx::Executor<'e, Database = $db>,
            {
                let rows: Vec<attachments::AttachmentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM attachments a \
                     WHERE a.conversation_id = $1 AND a.seq = $2 ORDER BY a.position",
                    attachments::ATTACHMENT_COLUMNS
                ))
                .bind(conversation.0)
                .bind(seq)
                .fetch_all(executor)
                .await?;
                rows.into_iter()
                    .map(|r| Attachment::try_from(r).map_err(StoreError::from))
                    .collect()
            }

            /// Fills in the files of a page's messages (one query for the page).
            pub(crate) async fn attach_files_to_page(
                &self,
                conversation: ConversationId,
                page: &mut [MessageView],
            ) -> StoreResult<()> {
                let seqs = || {
                    page.iter()
                        .filter(|m| m.kind == EventKind::Message && !m.deleted)
                        .map(|m| m.seq)
                };
                let (Some(low), Some(high)) = (seqs().min(), seqs().max()) else {
                    return Ok(());
                };
                let rows: Vec<(Seq, attachments::AttachmentRow)> = {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        seq: i64,
                        #[sqlx(flatten)]
                        file: attachments::AttachmentRow,
                    }
                    let rows: Vec<Row> = sqlx::query_as(&format!(
                        "SELECT a.seq, {} FROM attachments a \
                         WHERE a.conversation_id = $1 AND a.seq BETWEEN $2 AND $3 \
                         ORDER BY a.seq, a.position",
                        attachments::ATTACHMENT_COLUMNS
                    ))
                    .bind(conversation.0)
                    .bind(low)
                    .bind(high)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(|r| (Seq(r.seq), r.file)).collect()
                };
                for (seq, row) in rows {
                    if let Some(m) = page
                        .iter_mut()
                        .find(|m| m.seq == seq && m.kind == EventKind::Message)
                    {
                        m.attachments.push(Attachment::try_from(row)?);
                    }
                }
                Ok(())
            }
        }

        #[async_trait]
        impl AttachmentStore for $store {
            async fn create_attachment(&self, a: NewAttachment<'_>) -> StoreResult<()> {
                let f = a.attachment;
                sqlx::query(
                    "INSERT INTO attachments (id, conversation_id, uploader_id, name, \
                         content_type, size, width, height, thumbnail, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(f.id.as_str())
                .bind(a.conversation_id.0)
                .bind(a.uploader.0)
                .bind(&f.name)
                .bind(&f.content_type)
                .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
                .bind(f.width.map(i64::from))
                .bind(f.height.map(i64::from))
                .bind(f.thumbnail)
                .bind(a.now)
                .execute(&self.pool)
                .await
                .map_err(unique_as_conflict)?;
                Ok(())
            }

            async fn pending_attachments(&self, user: UserId) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM attachments WHERE uploader_id = $1 AND seq IS NULL",
                )
                .bind(user.0)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn attachment(&self, id: &AttachmentId) -> StoreResult<Option<AttachmentRecord>> {
                #[derive(sqlx::FromRow)]
                struct Row {
                    conversation_id: i64,
                    uploader_id: i64,
                    seq: Option<i64>,
                    #[sqlx(flatten)]
                    file: attachments::AttachmentRow,
                }
                let row: Option<Row> = sqlx::query_as(&format!(
                    "SELECT a.conversation_id, a.uploader_id, a.seq, {} FROM attachments a \
                     WHERE a.id = $1",
                    attachments::ATTACHMENT_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok(AttachmentRecord {
                        conversation_id: ConversationId(r.conversation_id),
                        uploader: UserId(r.uploader_id),
                        seq: r.seq.map(Seq),
                        attachment: Attachment::try_from(r.file)?,
                    })
                })
                .transpose()
            }

            async fn delete_pending_attachment(
                &self,
                id: &AttachmentId,
                uploader: UserId,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM attachments WHERE id = $1 AND uploader_id = $2 AND seq IS NULL",
                )
                .bind(id.as_str())
                .bind(uploader.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn expire_pending_attachments(
                &self,
                before: Timestamp,
                limit: i64,
            ) -> StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments \
                     WHERE seq IS NULL AND created_at < $1 LIMIT $2)",
                )
                .bind(before)
                .bind(limit)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn file_removals(&self, limit: i64) -> StoreResult<Vec<(AttachmentId, bool)>> {
                let rows: Vec<(String, bool)> =
                    sqlx::query_as("SELECT id, thumbnail FROM file_removals ORDER BY id LIMIT $1")
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(id, thumbnail)| {
                        AttachmentId::parse(&id).map(|id| (id, thumbnail))
                    })
                    .collect())
            }

            async fn file_removals_done(&self, ids: &[AttachmentId]) -> StoreResult<()> {
                for id in ids {
                    sqlx::query("DELETE FROM file_removals WHERE id = $1")
                        .bind(id.as_str())
                        .execute(&self.pool)
                        .await?;
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_attachment_store;
