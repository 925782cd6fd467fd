//! What the instance administration pages show: the accounts of the instance and their state.

use crate::ids::UserId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Accounts shown on one page of /admin/users.
pub const ADMIN_USERS_PAGE: i64 = 50;

/// Longest search text of /admin/users, in characters; longer is cut.
pub const ADMIN_SEARCH_MAX_CHARS: usize = 64;

/// One account as an instance admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: UserId,
    pub username: String,
    /// Empty when the person has not set one.
    pub display_name: String,
    pub created_at: Timestamp,
    /// The newest sign-in (or sign-up) of the account: when and from which address.
    pub last_sign_in_at: Option<Timestamp>,
    pub last_sign_in_addr: Option<String>,
    /// Sessions signed in now (not signed out, not expired).
    pub active_sessions: i64,
    /// Conversations the account is a member of now.
    pub conversations: i64,
    /// Messages the account has sent (deleted ones included; not edits or reactions).
    pub messages_sent: i64,
    /// An instance admin.
    pub admin: bool,
    /// When an admin disabled the account; None while it is enabled.
    pub disabled_at: Option<Timestamp>,
}

/// A page of /admin/users, ordered by username (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserPage {
    pub users: Vec<AdminUser>,
    /// The username key to pass as `after` for the next page; None on the last one.
    pub next: Option<String>,
}

/// A one-time password reset link an admin hands to the account's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetLink {
    /// `<public origin>/reset/<code>`; the code is shown once and kept only hashed.
    pub url: String,
    pub expires_at: Timestamp,
}

/// What an instance admin does to an account from /admin/users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    /// Sign-in is refused with "account disabled", every session ends, every socket closes,
    /// and the account's invite links stop working. Never the last enabled admin.
    Disable,
    Enable,
    /// Ends every session of the account (its sockets close); the password stays.
    SignOutEverywhere,
    GrantAdmin,
    /// Never the last enabled admin.
    RevokeAdmin,
}

impl AccountAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::SignOutEverywhere => "sign_out_everywhere",
            AccountAction::GrantAdmin => "grant_admin",
            AccountAction::RevokeAdmin => "revoke_admin",
        }
    }
}
