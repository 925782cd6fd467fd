//! What the instance administration pages show: the accounts of the instance and their state,
//! and the dashboard's figures.

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

/// Conversations shown on one page of /admin/conversations.
pub const ADMIN_CONVERSATIONS_PAGE: i64 = 50;

/// One conversation of /admin/conversations. Nothing of what is said in it: an admin manages
/// conversations, they do not read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminConversation {
    pub id: crate::ids::ConversationId,
    /// "" for a direct conversation.
    pub title: String,
    pub direct: bool,
    pub public: bool,
    pub members: i64,
    /// The owner (None for a direct conversation, which has none).
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
    /// The owner's account is disabled: the conversation is abandoned and an admin may take
    /// it over.
    pub owner_disabled: bool,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
}

/// A page of /admin/conversations, most recently active first; `next` continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminConversationPage {
    pub conversations: Vec<AdminConversation>,
    pub next: Option<AdminConversationCursor>,
}

/// Where the next page of /admin/conversations starts: after this (activity, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminConversationCursor {
    pub last_activity_at: Timestamp,
    pub id: crate::ids::ConversationId,
}

/// What an instance admin does to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationAction {
    /// Deletes it for every member, as its owner would.
    Delete,
    /// Makes the admin its owner (joining it first), and the previous owner one of its
    /// admins: only when the owner's account is disabled.
    TakeOwnership,
}

/// Days the dashboard's messages chart covers, today included.
pub const DASHBOARD_DAYS: usize = 30;

/// The figures of /admin, read from rollups (see migration 0014), never by counting
/// messages. Days are UTC days, as days since 1970-01-01.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// When the figures were read.
    pub at: Timestamp,
    /// Accounts, disabled ones included.
    pub users: i64,
    pub disabled_users: i64,
    /// Accounts that used Palaver (signed in, or a page or socket of theirs did) in the last
    /// 24 hours, 7 days and 30 days.
    pub active_day: i64,
    pub active_week: i64,
    pub active_month: i64,
    /// Conversations that are not deleted (direct ones included).
    pub conversations: i64,
    /// Messages sent on each of the last [`DASHBOARD_DAYS`] days, oldest first, today last
    /// (days without messages are there with 0).
    pub messages_per_day: Vec<DayCount>,
    /// WebSockets open on this node now.
    pub open_sockets: i64,
    /// Sign-ins refused after a password check in the last 24 hours.
    pub sign_in_failures_day: i64,
    /// The database's size on disk in bytes (SQLite: the main file; PostgreSQL:
    /// `pg_database_size`).
    pub database_bytes: i64,
}

/// Messages sent on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub messages: i64,
}

/// `counts` (any order, days possibly missing) as the last [`DASHBOARD_DAYS`] days up to
/// `today`, oldest first, missing days at 0.
pub fn days_filled(today: i64, counts: &[DayCount]) -> Vec<DayCount> {
    let first = today - DASHBOARD_DAYS as i64 + 1;
    (first..=today)
        .map(|day| DayCount {
            day,
            messages: counts
                .iter()
                .filter(|c| c.day == day)
                .map(|c| c.messages)
                .sum(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_every_one_of_the_last_thirty_days_oldest_first() {
        let today = 20_787;
        let days = days_filled(
            today,
            &[
                DayCount {
                    day: today,
                    messages: 5,
                },
                DayCount {
                    day: today - 29,
                    messages: 2,
                },
                DayCount {
                    day: today - 30,
                    messages: 99,
                },
                DayCount {
                    day: today,
                    messages: 1,
                },
            ],
        );
        assert_eq!(days.len(), DASHBOARD_DAYS);
        assert_eq!(
            days[0],
            DayCount {
                day: today - 29,
                messages: 2
            }
        );
        assert_eq!(
            days[29],
            DayCount {
                day: today,
                messages: 6
            }
        );
        assert!(days[1..29].iter().all(|d| d.messages == 0));
    }
}
