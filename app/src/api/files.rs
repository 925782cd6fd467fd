//! Attachments: what the composer needs to know before uploading. Uploads and downloads
//! themselves are plain HTTP routes (`POST /api/attachments`, `/files/…`, see the server's
//! `files` module): a server function cannot report upload progress.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr;

/// The largest file an upload may be, in bytes (`--max-upload-mb`), so the browser refuses a
/// larger one before sending a byte. 401 when signed out.
#[server(prefix = "/api", endpoint = "upload_limit")]
pub async fn upload_limit() -> Result<u64, AppError> {
    let state = ssr::state()?;
    ssr::require_session().await?;
    Ok(state.chat.config().max_upload_bytes)
}
