//! Server functions: thin adapters. Each one finds out who is calling, hands the input to the
//! core's [`palaver::server::Chat`], and maps the result. No SQL and no rules here.

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::{
    ConversationDetail, ConversationSummary, CreatedInvite, HistoryPage, InvitePreview, UserView,
    WsTicket,
};
use palaver::{ConversationId, Seq};

#[cfg(feature = "ssr")]
pub mod ssr;

/// Where to go after signing in: only same-site paths, so `next` cannot become an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserView, AppError> {
    let state = ssr::state()?;
    let login = state
        .chat
        .sign_up(&username, &password, &ssr::client_meta().await)
        .await;
    ssr::signed_in(&state, login, next.as_deref())
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserView, AppError> {
    let state = ssr::state()?;
    let login = state
        .chat
        .sign_in(&username, &password, &ssr::client_meta().await)
        .await;
    ssr::signed_in(&state, login, next.as_deref())
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = ssr::state()?;
    if let Some(secret) = ssr::session_secret().await {
        state.chat.sign_out(&secret).await.map_err(ssr::fail)?;
    }
    ssr::clear_session_cookie(&state);
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in user, or `None`.
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    Ok(ssr::session().await?.map(|s| s.user))
}

/// A short-lived token for the WebSocket. Never cached.
#[server(prefix = "/api", endpoint = "ws_token")]
pub async fn ws_token() -> Result<WsTicket, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.issue_ws_ticket(&who).map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "conversations")]
pub async fn list_conversations() -> Result<Vec<ConversationSummary>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.conversations(&who.user).await.map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "create_conversation")]
pub async fn create_conversation(title: String) -> Result<ConversationSummary, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    let created = state
        .chat
        .create_conversation(&who.user, &title)
        .await
        .map_err(ssr::fail)?;
    leptos_axum::redirect(&format!("/c/{}", created.id));
    Ok(created)
}

#[server(prefix = "/api", endpoint = "conversation")]
pub async fn conversation(id: ConversationId) -> Result<ConversationDetail, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .conversation(&who.user, id)
        .await
        .map_err(ssr::fail)
}

/// Newest messages (no `before`) or the page before `before`, oldest first.
#[server(prefix = "/api", endpoint = "history")]
pub async fn history(id: ConversationId, before: Option<Seq>) -> Result<HistoryPage, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .history(&who.user, id, before)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "create_invite")]
pub async fn create_invite(id: ConversationId) -> Result<CreatedInvite, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .create_invite(&who.user, id)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "invite")]
pub async fn get_invite(code: String) -> Result<InvitePreview, AppError> {
    let state = ssr::state()?;
    state.chat.invite_preview(&code).await.map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "accept_invite")]
pub async fn accept_invite(code: String) -> Result<ConversationId, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    let id = state
        .chat
        .accept_invite(&who.user, &code)
        .await
        .map_err(ssr::fail)?;
    leptos_axum::redirect(&format!("/c/{id}"));
    Ok(id)
}

/// Leaves a conversation (not for its owner) and goes back to the conversation list.
#[server(prefix = "/api", endpoint = "leave_conversation")]
pub async fn leave_conversation(id: ConversationId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.leave(&who.user, id).await.map_err(ssr::fail)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_accepts_local_paths_only() {
        assert_eq!(safe_next(Some("/invite/abc")), "/invite/abc");
        assert_eq!(safe_next(Some("/c/3?x=1")), "/c/3?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
