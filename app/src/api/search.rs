//! Message search (see [`palaver::search`] for what a query matches).

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::SearchPage;

#[cfg(feature = "ssr")]
use super::ssr;

/// Messages in the caller's conversations that contain every term of `q` (1-200
/// characters, at most 8 terms; `"quoted phrases"`), newest first, a page of 20 at a time.
/// `before`: the previous page's `next`. Members only: conversations the caller left or was
/// removed from and private ones they are not in are never searched. 400 for a query that
/// breaks the rules (the message says which), 429 past 30 searches at once or one every 2 s.
#[server(prefix = "/api", endpoint = "search")]
pub async fn search(q: String, before: Option<i64>) -> Result<SearchPage, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .search(&who.user, &q, before)
        .await
        .map_err(ssr::fail)
}
