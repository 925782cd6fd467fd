//! Instance administration (/admin, /admin/users, /admin/conversations, /admin/audit). Every function checks on the server that the
//! caller is an instance admin (403 otherwise), whatever the page shows.

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::{
    AccountAction, AdminConversation, AdminConversationPage, AdminUser, AdminUserPage, AuditPage,
    ConversationAction, Dashboard, ResetLink, UserView,
};
use palaver::{ConversationId, Timestamp, UserId};

#[cfg(feature = "ssr")]
use super::ssr;

/// Whether the signed-in user is an instance admin (false when signed out).
#[server(prefix = "/api", endpoint = "am_admin")]
pub async fn am_admin() -> Result<bool, AppError> {
    let state = ssr::state()?;
    let Some(who) = ssr::session().await? else {
        return Ok(false);
    };
    state
        .chat
        .is_instance_admin(who.user.id)
        .await
        .map_err(ssr::fail)
}

/// A page of 50 accounts by username whose username or display name contains `q`
/// (case-insensitive; "" for all). `after`: the previous page's `next`. 403 for a non-admin,
/// 429 past the search rate.
#[server(prefix = "/api", endpoint = "admin_users")]
pub async fn admin_users(q: String, after: Option<String>) -> Result<AdminUserPage, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .admin_users(&who, &q, after.as_deref())
        .await
        .map_err(ssr::fail)
}

/// Does `action` to account `user_id` and answers the account as it is now. 403 for a
/// non-admin, for the last admin's disabling or demotion, and for disabling oneself; 404 for
/// no such account; 429 past the admin action rate.
#[server(prefix = "/api", endpoint = "admin_account")]
pub async fn admin_account(user_id: UserId, action: AccountAction) -> Result<AdminUser, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .admin_account_action(&who, user_id, action)
        .await
        .map_err(ssr::fail)
}

/// Deletes account `user_id`: `erase` erases its messages (each becomes a deletion open pages
/// apply), otherwise they stay, shown as "Deleted user". `confirm` must repeat its username.
/// 403 for a non-admin, for one's own account and for the last admin; 404 for no such
/// account; 422 for a wrong confirmation; 429 past the admin action rate.
#[server(prefix = "/api", endpoint = "admin_delete_account")]
pub async fn admin_delete_account(
    user_id: UserId,
    erase: bool,
    confirm: String,
) -> Result<(), AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .admin_delete_account(&who, user_id, erase, &confirm)
        .await
        .map_err(ssr::fail)
}

/// The dashboard's figures (/admin), from rollups; `open_sockets` is this server's. 403 for
/// a non-admin.
#[server(prefix = "/api", endpoint = "admin_dashboard")]
pub async fn admin_dashboard() -> Result<Dashboard, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.dashboard(&who).await.map_err(ssr::fail)
}

/// A page of 50 live conversations, most recently active first, whose title contains `q`
/// (case-insensitive; "" for all). `after_at` and `after_id`: the previous page's `next`.
/// 403 for a non-admin, 429 past the search rate.
#[server(prefix = "/api", endpoint = "admin_conversations")]
pub async fn admin_conversations(
    q: String,
    after_at: Option<Timestamp>,
    after_id: Option<ConversationId>,
) -> Result<AdminConversationPage, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    let after = after_at.zip(after_id).map(|(last_activity_at, id)| {
        palaver::model::AdminConversationCursor {
            last_activity_at,
            id,
        }
    });
    state
        .chat
        .admin_conversations(&who, &q, after)
        .await
        .map_err(ssr::fail)
}

/// Does `action` (`delete`, `take_ownership`) to conversation `id`; answers it as it is now
/// (null once deleted). 403 for a non-admin, for taking over a direct conversation or one
/// whose owner's account is enabled; 404 for no such conversation; 429 past the admin rate.
#[server(prefix = "/api", endpoint = "admin_conversation")]
pub async fn admin_conversation_action(
    id: ConversationId,
    action: ConversationAction,
) -> Result<Option<AdminConversation>, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .admin_conversation_action(&who, id, action)
        .await
        .map_err(ssr::fail)
}

/// A page of the instance's audit log, newest first (200 entries): every account's and
/// conversation's security events, admin actions included. `before`: the previous page's
/// `older`; `action`, `actor` (a username, any case) and `[since, until)` (ms since the
/// epoch) narrow it. 403 for a non-admin; 422 when `since` is not before `until`.
#[server(prefix = "/api", endpoint = "admin_audit_log")]
pub async fn admin_audit_log(
    before: Option<i64>,
    action: Option<String>,
    actor: Option<String>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Result<AuditPage, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .instance_audit_log(
            &who,
            before,
            action.as_deref(),
            actor.as_deref(),
            since,
            until,
        )
        .await
        .map_err(ssr::fail)
}

/// A one-time link with which the account's owner sets a new password (valid 24 hours,
/// used once; the account's earlier unused links stop working): `{url, expires_at}`. 403 for
/// a non-admin, 404 for no such account.
#[server(prefix = "/api", endpoint = "admin_reset_link")]
pub async fn admin_reset_link(user_id: UserId) -> Result<ResetLink, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .admin_reset_link(&who, user_id)
        .await
        .map_err(ssr::fail)
}

/// The username a live reset link is for; 404 for a link that is unknown, used, replaced
/// or expired.
#[server(prefix = "/api", endpoint = "reset_target")]
pub async fn reset_target(code: String) -> Result<String, AppError> {
    ssr::no_store();
    let state = ssr::state()?;
    state
        .chat
        .password_reset_target(&code)
        .await
        .map(|u| u.username)
        .map_err(ssr::fail)
}

/// Sets a new password with a reset link, signs every other session of the account out and
/// signs this browser in (the session cookie; redirects to `/`). 404 for a link that is not
/// live, 422 for a password that breaks the rules (the link stays usable), 403 for a
/// disabled account.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(code: String, password: String) -> Result<UserView, AppError> {
    let state = ssr::state()?;
    let login = state
        .chat
        .reset_password(&code, &password, &ssr::client_meta().await)
        .await;
    ssr::signed_in(&state, login, None)
}
