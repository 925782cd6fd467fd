//! The caller's own sessions and password: where they are signed in, signing sessions out,
//! changing the password.

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::SessionInfo;
use palaver::SessionId;

#[cfg(feature = "ssr")]
use super::ssr;

/// Where the caller is signed in.
#[server(prefix = "/api", endpoint = "sessions")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.sessions(&who).await.map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "revoke_session")]
pub async fn revoke_session(session_id: SessionId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .revoke_session(&who, &session_id)
        .await
        .map_err(ssr::fail)
}

/// Signs out every other session; returns how many were ended.
#[server(prefix = "/api", endpoint = "revoke_other_sessions")]
pub async fn revoke_other_sessions() -> Result<usize, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .revoke_other_sessions(&who)
        .await
        .map_err(ssr::fail)
}

/// Changes the password; every other session is signed out. Returns how many.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<usize, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .change_password(&who, &current, &new)
        .await
        .map_err(ssr::fail)
}
