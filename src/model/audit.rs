//! The audit log's records as the owner sees them.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Security events the audit log records. Stored (and filtered) by [`AuditAction::as_str`].
///
/// `Default` only so that records can be built with `..Default::default()`; every record
/// names its action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    #[default]
    SignUp,
    SignIn,
    SignInFailed,
    SignOut,
    SessionRevoked,
    SessionsRevoked,
    PasswordChanged,
    PasswordCheckFailed,
    MemberRemoved,
    RoleChanged,
    OwnershipTransferred,
    Renamed,
    VisibilityChanged,
    InviteCreated,
    InviteRevoked,
    ConversationDeleted,
    BanLifted,
    /// An instance admin disabled an account (issue 14).
    AccountDisabled,
    AccountEnabled,
    AdminGranted,
    AdminRevoked,
    PasswordResetLinkCreated,
    /// The account's owner set a new password with a reset link.
    PasswordReset,
    /// The owner downloaded every event of the conversation.
    ConversationExported,
    /// The account's holder downloaded its data.
    AccountExported,
    /// An instance admin downloaded every account and conversation.
    InstanceExported,
    /// An instance admin deleted an account (its messages kept or erased: the detail says).
    AccountDeleted,
    /// The owner changed how long the conversation keeps its messages.
    RetentionChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 28] = [
        AuditAction::SignUp,
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::SessionRevoked,
        AuditAction::SessionsRevoked,
        AuditAction::PasswordChanged,
        AuditAction::PasswordCheckFailed,
        AuditAction::MemberRemoved,
        AuditAction::RoleChanged,
        AuditAction::OwnershipTransferred,
        AuditAction::Renamed,
        AuditAction::VisibilityChanged,
        AuditAction::InviteCreated,
        AuditAction::InviteRevoked,
        AuditAction::ConversationDeleted,
        AuditAction::BanLifted,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::AdminGranted,
        AuditAction::AdminRevoked,
        AuditAction::PasswordResetLinkCreated,
        AuditAction::PasswordReset,
        AuditAction::ConversationExported,
        AuditAction::AccountExported,
        AuditAction::InstanceExported,
        AuditAction::AccountDeleted,
        AuditAction::RetentionChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignUp => "sign_up",
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::SessionRevoked => "session_revoked",
            AuditAction::SessionsRevoked => "sessions_revoked",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordCheckFailed => "password_check_failed",
            AuditAction::MemberRemoved => "member_removed",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::OwnershipTransferred => "ownership_transferred",
            AuditAction::Renamed => "renamed",
            AuditAction::VisibilityChanged => "visibility_changed",
            AuditAction::InviteCreated => "invite_created",
            AuditAction::InviteRevoked => "invite_revoked",
            AuditAction::ConversationDeleted => "conversation_deleted",
            AuditAction::BanLifted => "ban_lifted",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountEnabled => "account_enabled",
            AuditAction::AdminGranted => "admin_granted",
            AuditAction::AdminRevoked => "admin_revoked",
            AuditAction::PasswordResetLinkCreated => "password_reset_link_created",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::ConversationExported => "conversation_exported",
            AuditAction::AccountExported => "account_exported",
            AuditAction::InstanceExported => "instance_exported",
            AuditAction::AccountDeleted => "account_deleted",
            AuditAction::RetentionChanged => "retention_changed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One page of an audit log, newest first. `older` is the `before` to ask for the next page;
/// None on the last page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
}

/// One line of an audit log: a conversation's, shown to its owner, or the instance's, shown
/// to its admins (which also names the conversation an entry is about).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub action: String,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
    /// In the instance log only: the conversation the entry is about, if any.
    #[serde(default)]
    pub conversation_id: Option<crate::ids::ConversationId>,
    /// Its title ("" for a direct conversation).
    #[serde(default)]
    pub conversation_title: Option<String>,
}
