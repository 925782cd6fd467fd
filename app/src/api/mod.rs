//! Server functions: thin adapters. Each one finds out who is calling, hands the input to the
//! core's [`palaver::server::Chat`], and maps the result. No SQL and no rules here.

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::{
    AuditPage, BanInfo, ConversationDetail, ConversationSummary, CreatedInvite, HistoryPage,
    InviteInfo, InvitePreview, NotifyLevel, PublicRoom, Retention, Role, UserView, WsTicket,
};
use palaver::{ConversationId, InviteId, Seq, UserId};

mod admin;
mod files;
mod profiles;
mod search;
mod sessions;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use admin::*;
pub use files::*;
pub use profiles::*;
pub use search::*;
pub use sessions::*;

/// Where to go after signing in: the core's rule, shared with the browser (see
/// [`palaver::navigation::safe_next`]).
pub use palaver::navigation::safe_next;

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
    if let (Some(secret), Some(who)) = (ssr::session_secret().await, ssr::session().await?) {
        state
            .chat
            .sign_out(&who, &secret)
            .await
            .map_err(ssr::fail)?;
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

/// A new invite link. `expires_in_hours`: default 7 days, 0 = never; `max_uses`: default
/// unlimited. Owners and admins.
#[server(prefix = "/api", endpoint = "create_invite")]
pub async fn create_invite(
    id: ConversationId,
    expires_in_hours: Option<i64>,
    max_uses: Option<i64>,
) -> Result<CreatedInvite, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .create_invite(&who, id, expires_in_hours, max_uses)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "invites")]
pub async fn list_invites(id: ConversationId) -> Result<Vec<InviteInfo>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.invites(&who.user, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "revoke_invite")]
pub async fn revoke_invite(id: ConversationId, invite_id: InviteId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .revoke_invite(&who, id, invite_id)
        .await
        .map_err(ssr::fail)
}

/// What an invite link leads to; for a member of its conversation, `member: true` (the page
/// then opens the conversation).
#[server(prefix = "/api", endpoint = "invite")]
pub async fn get_invite(code: String) -> Result<InvitePreview, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let viewer = ssr::session().await?.map(|s| s.user.id);
    state
        .chat
        .invite_preview(&code, viewer)
        .await
        .map_err(ssr::fail)
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

/// Opens the direct conversation with `user_id` (creating it on first open) and returns its
/// side-nav row. Only with someone you share a conversation with: anyone else is 404 "User
/// not found." (the same for an account that does not exist); yourself is 422.
#[server(prefix = "/api", endpoint = "open_direct")]
pub async fn open_direct(user_id: UserId) -> Result<ConversationSummary, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .open_direct(&who.user, user_id)
        .await
        .map_err(ssr::fail)
}

/// Closes a direct conversation: it leaves your side nav until its next message. 403 for a
/// group conversation (leave it instead).
#[server(prefix = "/api", endpoint = "close_direct")]
pub async fn close_direct(id: ConversationId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .close_direct(&who.user, id)
        .await
        .map_err(ssr::fail)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sets what the caller is notified of in a conversation: "all", "mentions" or "none".
/// Stored on the server, so every device of theirs follows.
#[server(prefix = "/api", endpoint = "set_notify_level")]
pub async fn set_notify_level(id: ConversationId, level: NotifyLevel) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .set_notify_level(&who.user, id, level)
        .await
        .map_err(ssr::fail)
}

/// The public room directory.
#[server(prefix = "/api", endpoint = "public_rooms")]
pub async fn public_rooms() -> Result<Vec<PublicRoom>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.public_rooms(&who.user).await.map_err(ssr::fail)
}

/// Joins a public room with one click and opens it.
#[server(prefix = "/api", endpoint = "join_room")]
pub async fn join_room(id: ConversationId) -> Result<ConversationId, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    let id = state
        .chat
        .join_public(&who.user, id)
        .await
        .map_err(ssr::fail)?;
    leptos_axum::redirect(&format!("/c/{id}"));
    Ok(id)
}

/// Lists the conversation in the directory or makes it invite-only again. Owner only.
#[server(prefix = "/api", endpoint = "set_public")]
pub async fn set_public(id: ConversationId, public: bool) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .set_public(&who, id, public)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "rename_conversation")]
pub async fn rename_conversation(id: ConversationId, title: String) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.rename(&who, id, &title).await.map_err(ssr::fail)
}

/// Deletes the conversation and all its messages. Owner only; `confirm` must repeat the
/// title, so a stray click or a forged request without it deletes nothing.
#[server(prefix = "/api", endpoint = "delete_conversation")]
pub async fn delete_conversation(id: ConversationId, confirm: String) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .delete_conversation(&who, id, &confirm)
        .await
        .map_err(ssr::fail)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sets how long the conversation keeps its messages, in days (None: what the instance
/// keeps), and answers its retention now. Owner only; 422 outside 1..=the instance's days.
#[server(prefix = "/api", endpoint = "set_retention")]
pub async fn set_retention(id: ConversationId, days: Option<i64>) -> Result<Retention, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .set_retention(&who, id, days)
        .await
        .map_err(ssr::fail)
}

/// Promotes a member to admin or demotes an admin. Owner only.
#[server(prefix = "/api", endpoint = "set_role")]
pub async fn set_role(id: ConversationId, user_id: UserId, role: Role) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .set_role(&who, id, user_id, role)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "transfer_ownership")]
pub async fn transfer_ownership(id: ConversationId, user_id: UserId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .transfer_ownership(&who, id, user_id)
        .await
        .map_err(ssr::fail)
}

#[server(prefix = "/api", endpoint = "remove_member")]
pub async fn remove_member(id: ConversationId, user_id: UserId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .remove_member(&who, id, user_id)
        .await
        .map_err(ssr::fail)
}

/// A page of the conversation's audit log, newest first. Owner only. `before`: the previous
/// page's `older`; `action` and `actor` (a username) filter it.
#[server(prefix = "/api", endpoint = "audit_log")]
pub async fn audit_log(
    id: ConversationId,
    before: Option<i64>,
    action: Option<String>,
    actor: Option<String>,
) -> Result<AuditPage, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .audit_log(&who.user, id, before, action.as_deref(), actor.as_deref())
        .await
        .map_err(ssr::fail)
}

/// Members removed from the conversation and still banned. Owners and admins.
#[server(prefix = "/api", endpoint = "bans")]
pub async fn list_bans(id: ConversationId) -> Result<Vec<BanInfo>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.bans(&who.user, id).await.map_err(ssr::fail)
}

/// Lets a removed member join again. Owners and admins.
#[server(prefix = "/api", endpoint = "lift_ban")]
pub async fn lift_ban(id: ConversationId, user_id: UserId) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .lift_ban(&who, id, user_id)
        .await
        .map_err(ssr::fail)
}
