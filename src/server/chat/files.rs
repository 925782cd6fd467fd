//! Attachments: uploads, downloads, removing an upload from the composer, and the janitor
//! that deletes the bytes of files whose rows are gone and uploads never sent.

use super::*;
use crate::files::{clean_name, AttachmentId, PENDING_UPLOADS_MAX};
use crate::model::Attachment;
use crate::server::files::{thumbnail, thumbnail_key, Blob, Staged};
use crate::server::store::NewAttachment;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Uploads not sent with a message within this long are deleted: 24 h, in ms.
pub const PENDING_UPLOAD_TTL_MS: i64 = 24 * 3600 * 1000;
/// Uploads received at once on this node; more are answered "busy".
pub const UPLOADS_IN_FLIGHT: usize = 32;
/// Images decoded at once (each may take up to `thumbnail::DECODE_MAX_ALLOC`).
pub const DECODES_AT_ONCE: usize = 2;
/// Rows the janitor handles per statement: small batches never hold the writer for long.
const SWEEP_BATCH: i64 = 200;

/// What one janitor pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pending uploads older than [`PENDING_UPLOAD_TTL_MS`] that were deleted.
    pub expired: u64,
    /// Files (with their thumbnails) whose bytes were deleted.
    pub removed: u64,
}

impl Chat {
    /// Receives an upload to conversation `id` from a member: `declared_len` is the request's
    /// `Content-Length` when it had one, `body` the bytes. The file is pending until a `send`
    /// names it. Every check that needs no bytes comes first (rate, declared size, membership,
    /// pending cap, uploads in flight), so a refused upload costs no disk or decoding.
    /// Errors: `FileTooLarge` (over `max_upload_bytes`), `FileEmpty`, `ImageTooLarge`,
    /// `TooManyPendingUploads`, `NotMember`, `RateLimited`, `Busy`.
    pub async fn upload(
        &self,
        who: &UserView,
        id: ConversationId,
        raw_name: &str,
        declared_len: Option<u64>,
        body: &mut (dyn AsyncRead + Unpin + Send),
    ) -> Result<Attachment, CoreError> {
        let name = clean_name(raw_name);
        self.limits.upload(who.id)?;
        self.check_declared_size(&name, declared_len)?;
        self.require_member(id, who.id).await?;
        let pending = self.store.pending_attachments(who.id).await?;
        if pending >= PENDING_UPLOADS_MAX {
            return Err(ValidationError::TooManyPendingUploads(pending).into());
        }
        let (staged, size) = self.receive(&name, declared_len, body).await?;
        let path = staged.path().to_owned();
        let inspected = self.decode(move || thumbnail::inspect(&path)).await?;
        let inspected = match inspected {
            Ok(i) => i,
            Err(thumbnail::InspectError::TooLarge(width, height)) => {
                return Err(ValidationError::ImageTooLarge {
                    name,
                    width,
                    height,
                }
                .into())
            }
            Err(e) => return Err(CoreError::internal(e)),
        };
        let attachment = Attachment {
            id: AttachmentId::parse(&auth::random_token(16)).ok_or_else(|| {
                CoreError::internal("a random token of 16 bytes is not an attachment id")
            })?,
            name,
            content_type: inspected.content_type,
            size,
            width: inspected.dimensions.map(|d| d.0),
            height: inspected.dimensions.map(|d| d.1),
            thumbnail: inspected.thumbnail.is_some(),
        };
        let key = attachment.id.to_string();
        if let Some(bytes) = &inspected.thumbnail {
            self.files
                .put_bytes(&thumbnail_key(&attachment.id), bytes)
                .await
                .map_err(CoreError::internal)?;
        }
        self.files
            .put(&key, staged)
            .await
            .map_err(CoreError::internal)?;
        let recorded = self
            .store
            .create_attachment(NewAttachment {
                attachment: &attachment,
                conversation_id: id,
                uploader: who.id,
                now: Timestamp::now(),
            })
            .await;
        if let Err(e) = recorded {
            // No row, no file: nothing could ever serve or delete it otherwise.
            let _ = self.files.remove(&key).await;
            let _ = self.files.remove(&thumbnail_key(&attachment.id)).await;
            return Err(e.into());
        }
        // Counted again once the row is committed: uploads that passed the first count
        // together cannot all stay (each sees the others' rows, and the last ones back out).
        let pending = self.store.pending_attachments(who.id).await?;
        if pending > PENDING_UPLOADS_MAX {
            self.store
                .delete_pending_attachment(&attachment.id, who.id)
                .await?;
            self.files_changed.notify_one();
            return Err(ValidationError::TooManyPendingUploads(pending - 1).into());
        }
        Ok(attachment)
    }

    /// `FileTooLarge` when the request says in advance that it is over the limit.
    pub(super) fn check_declared_size(
        &self,
        name: &str,
        declared_len: Option<u64>,
    ) -> Result<(), CoreError> {
        let max = self.config.max_upload_bytes;
        match declared_len {
            Some(size) if size > max => Err(ValidationError::FileTooLarge {
                name: name.to_owned(),
                size,
                max,
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// Streams `body` into a staging file, counting it against `--max-upload-mb` as it
    /// arrives (one of [`UPLOADS_IN_FLIGHT`] places is held meanwhile). Returns the file and
    /// its size; `FileTooLarge`, `FileEmpty`, `UploadIncomplete` or `Busy` otherwise, with
    /// the staged bytes deleted.
    pub(super) async fn receive(
        &self,
        name: &str,
        declared_len: Option<u64>,
        body: &mut (dyn AsyncRead + Unpin + Send),
    ) -> Result<(Staged, u64), CoreError> {
        let max = self.config.max_upload_bytes;
        let _in_flight = self.uploads.try_acquire().map_err(|_| CoreError::Busy {
            retry_after_secs: 2,
        })?;
        let (staged, mut file) = self.files.stage().await.map_err(CoreError::internal)?;
        let mut size: u64 = 0;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body
                .read(&mut buf)
                .await
                .map_err(|_| ValidationError::UploadIncomplete)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > max {
                return Err(ValidationError::FileTooLarge {
                    name: name.to_owned(),
                    size: declared_len.unwrap_or(size),
                    max,
                }
                .into());
            }
            file.write_all(&buf[..n])
                .await
                .map_err(CoreError::internal)?;
        }
        file.flush().await.map_err(CoreError::internal)?;
        drop(file);
        if size == 0 {
            return Err(ValidationError::FileEmpty(name.to_owned()).into());
        }
        Ok((staged, size))
    }

    /// Runs `work` on a blocking thread, as one of [`DECODES_AT_ONCE`] image decodes.
    pub(super) async fn decode<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        let _decoding = self.decodes.acquire().await.map_err(CoreError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(CoreError::internal)
    }

    /// A file (or its thumbnail) for `who`: a member of its conversation, or its uploader
    /// while it is pending. Everyone else, and files of deleted messages or conversations,
    /// get `NotFound("File")`: a non-member learns nothing, not even that it exists.
    pub async fn file(
        &self,
        who: UserId,
        id: &AttachmentId,
        thumbnail: bool,
    ) -> Result<(Attachment, Blob), CoreError> {
        let gone = || CoreError::NotFound("File");
        let record = self.store.attachment(id).await?.ok_or_else(gone)?;
        let allowed = match record.seq {
            None => record.uploader == who,
            Some(_) => self
                .store
                .role_of(record.conversation_id, who)
                .await?
                .is_some(),
        };
        if !allowed || (thumbnail && !record.attachment.thumbnail) {
            return Err(gone());
        }
        let key = if thumbnail {
            thumbnail_key(id)
        } else {
            id.to_string()
        };
        let blob = self
            .files
            .get(&key)
            .await
            .map_err(CoreError::internal)?
            .ok_or_else(gone)?;
        Ok((record.attachment, blob))
    }

    /// Deletes one of the caller's pending uploads (removed from the composer before
    /// sending). `NotFound("File")` when there is none (sent, expired, someone else's).
    pub async fn discard_upload(&self, who: UserId, id: &AttachmentId) -> Result<(), CoreError> {
        self.limits.action(who)?;
        found(self.store.delete_pending_attachment(id, who).await, "File")?;
        self.files_changed.notify_one();
        Ok(())
    }

    /// One janitor pass at `now`: deletes pending uploads older than
    /// [`PENDING_UPLOAD_TTL_MS`], then the bytes of every file whose row is gone (deleted
    /// messages and conversations, expired uploads), in batches.
    pub async fn sweep_files(&self, now: Timestamp) -> Result<SweepReport, CoreError> {
        let mut report = SweepReport::default();
        let cutoff = Timestamp(now.0 - PENDING_UPLOAD_TTL_MS);
        loop {
            let n = self
                .store
                .expire_pending_attachments(cutoff, SWEEP_BATCH)
                .await?;
            report.expired += n;
            if n < SWEEP_BATCH as u64 {
                break;
            }
        }
        loop {
            let batch = self.store.file_removals(SWEEP_BATCH).await?;
            if batch.is_empty() {
                break;
            }
            let mut done = Vec::with_capacity(batch.len());
            for (id, has_thumbnail) in batch {
                let removed = async {
                    if has_thumbnail {
                        self.files.remove(&thumbnail_key(&id)).await?;
                    }
                    self.files.remove(id.as_str()).await
                }
                .await;
                match removed {
                    Ok(()) => done.push(id),
                    Err(e) => tracing::warn!(file = %id, error = %e, "could not delete a file"),
                }
            }
            report.removed += done.len() as u64;
            let stuck = done.is_empty();
            self.store.file_removals_done(&done).await?;
            if stuck {
                break;
            }
        }
        Ok(report)
    }

    /// Runs [`Self::sweep_files`] now, whenever files were deleted, and every `every`,
    /// until `stop` resolves.
    pub async fn run_file_janitor(
        self: Arc<Self>,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            match self.sweep_files(Timestamp::now()).await {
                Ok(r) if r != SweepReport::default() => {
                    tracing::info!(expired = r.expired, removed = r.removed, "file janitor")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "file janitor pass failed"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
                _ = self.files_changed.notified() => {}
            }
        }
    }
}
