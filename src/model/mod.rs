//! Views the server hands to the UI (server functions) and to WebSocket clients.
//! Timestamps are Unix milliseconds (UTC); the browser formats them in local time.

use crate::ids::{ConversationId, InviteId, Seq, SessionId, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

mod admin;
mod attachment;
mod audit;
mod direct;
mod message;
mod notify;
mod search;

pub use admin::{
    days_filled, AccountAction, AdminConversation, AdminConversationCursor, AdminConversationPage,
    AdminUser, AdminUserPage, ConversationAction, Dashboard, DayCount, ResetLink,
    ADMIN_CONVERSATIONS_PAGE, ADMIN_SEARCH_MAX_CHARS, ADMIN_USERS_PAGE, DASHBOARD_DAYS,
};
pub use attachment::Attachment;
pub use audit::{AuditAction, AuditEntry, AuditPage};
pub use direct::ConversationKind;
pub use message::{EventKind, MessageView, Reaction, ReplyQuote};
pub use notify::{NotifyLevel, NOTIFY_ALL_MAX_MEMBERS};
pub use search::{SearchHit, SearchPage, SEARCH_PAGE};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Owners and admins run a conversation: invites, removals, renames, moderation.
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// A row of the side nav.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: String,
    pub last_activity_at: Timestamp,
    pub last_seq: Seq,
    pub last_message: Option<MessagePreview>,
    /// Messages by others after the user's read position (capped at [`UNREAD_CAP`]).
    #[serde(default)]
    pub unread: i64,
    /// Listed in the room directory; anyone signed in may join.
    #[serde(default)]
    pub public: bool,
    /// Unread messages by others that mention the user (capped at [`UNREAD_CAP`]).
    #[serde(default)]
    pub mentions: i64,
    /// What the user is notified of here: their choice, or the default for the room's size
    /// (every message in a direct conversation).
    #[serde(default)]
    pub notify: NotifyLevel,
    /// `direct` for a conversation between two people; its `title` is then the other
    /// person's username, read when the row is (so it follows the account, not a copy).
    #[serde(default)]
    pub kind: ConversationKind,
    /// For a direct conversation: the other person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<UserId>,
    /// For a direct conversation: whether the other person has a socket open right now
    /// (then `presence` frames keep it current).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub peer_online: bool,
}

/// Unread counts stop counting here; the UI shows "99+".
pub const UNREAD_CAP: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePreview {
    pub author: String,
    pub body: String,
}

impl MessagePreview {
    /// Longest preview kept, in characters: the side nav shows one line.
    pub const MAX_CHARS: usize = 120;

    /// The message's text without its formatting (see [`crate::markup::plain_text`]), on
    /// one line, shortened to [`Self::MAX_CHARS`].
    pub fn new(author: String, body: &str) -> Self {
        let flat: String = crate::markup::plain_text(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(Self::MAX_CHARS)
            .collect();
        Self { author, body: flat }
    }

    /// [`Self::new`], except that a message with files and no text reads
    /// `📎 <first file's name>` (and ` and N more`), as in Slack's side bar.
    pub fn with_files(author: String, body: &str, first_file: Option<&str>, files: usize) -> Self {
        match first_file {
            Some(name) if body.trim().is_empty() => {
                let more = match files.saturating_sub(1) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                Self::new(author, &format!("📎 {name}{more}"))
            }
            _ => Self::new(author, body),
        }
    }

    /// The preview of a message as it arrived.
    pub fn of(m: &MessageView) -> Self {
        Self::with_files(
            m.author.clone(),
            &m.body,
            m.attachments.first().map(|a| a.name.as_str()),
            m.attachments.len(),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: UserView,
    pub role: Role,
    pub joined_at: Timestamp,
    #[serde(default)]
    pub profile: Profile,
}

/// What a person says about themselves, all of it optional (see [`crate::profiles`]):
/// a display name shown next to their username, an IANA time zone (`Europe/Paris`) whose
/// local time others see on hover, and an avatar image served at `/avatars/{id}` (without
/// one, their initials on [`crate::profiles::avatar_colour`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<crate::files::AttachmentId>,
}

impl Profile {
    /// `/avatars/{id}` when an avatar was uploaded (a new upload gets a new id).
    pub fn avatar_url(&self) -> Option<String> {
        self.avatar.as_ref().map(|id| format!("/avatars/{id}"))
    }
}

/// The signed-in user's own account and profile (the account page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyProfile {
    pub user: UserView,
    pub profile: Profile,
}

/// What the conversation page needs besides the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub id: ConversationId,
    /// For a direct conversation: the other person's username.
    pub title: String,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub kind: ConversationKind,
    pub my_role: Role,
    pub last_seq: Seq,
    /// Where the caller had read up to when this was loaded (the "new messages" divider).
    pub last_read_seq: Seq,
    pub members: Vec<Member>,
    /// Members with at least one open socket right now.
    pub online: Vec<UserId>,
    /// How long its messages are kept: see [`Retention`].
    #[serde(default)]
    pub retention: Retention,
}

/// The longest retention an owner may set when the instance keeps messages forever: 100
/// years, in days.
pub const RETENTION_DAYS_MAX: i64 = 36_500;

/// How long a conversation keeps its messages, in days (None: forever), and where its
/// history now begins (issue 14).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The owner's setting; None keeps what the instance keeps.
    pub days: Option<i64>,
    /// The instance's maximum (`--retention-days`); None keeps messages forever.
    pub instance_days: Option<i64>,
    /// Every event at or below this seq was deleted by retention (0: none was).
    pub pruned_through: Seq,
}

impl Retention {
    /// The days messages are kept: the shorter of the owner's and the instance's.
    pub fn effective_days(&self) -> Option<i64> {
        match (self.days, self.instance_days) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A page of history, oldest first. `has_older` says whether "load older" has anything to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub messages: Vec<MessageView>,
    pub has_older: bool,
    /// Every event at or below this seq was deleted by retention (0: none was): with
    /// `has_older` false, the history begins there.
    #[serde(default)]
    pub pruned_through: Seq,
}

/// The public face of an invite link, shown before joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub conversation_id: ConversationId,
    pub title: String,
    pub member_count: i64,
    pub invited_by: String,
    /// The viewer already belongs to the conversation: the link just opens it (also when
    /// the link itself has expired or been used up).
    #[serde(default)]
    pub member: bool,
}

/// A member removed from a conversation, who may not join it again until the ban is lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanInfo {
    pub user_id: UserId,
    pub username: String,
    /// Who removed them, when that account still exists.
    pub banned_by: Option<String>,
    pub banned_at: Timestamp,
}

/// A freshly created invite; the code is only ever shown to its creator, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub code: String,
    pub url: String,
    pub info: InviteInfo,
}

/// A JWT for the WebSocket, with its expiry so the client knows when to renew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsTicket {
    pub token: String,
    pub expires_at: Timestamp,
}

/// A row of the public room directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRoom {
    pub id: ConversationId,
    pub title: String,
    pub member_count: i64,
    pub last_activity_at: Timestamp,
    /// Whether the caller is already a member.
    pub joined: bool,
}

/// How long an invite link lives by default: a week, as in most chat products.
pub const INVITE_DEFAULT_TTL_HOURS: i64 = 7 * 24;
/// The longest expiry one can choose (besides "never").
pub const INVITE_MAX_TTL_HOURS: i64 = 365 * 24;
/// The most uses one can put on a limited link.
pub const INVITE_MAX_USES: i64 = 100_000;

/// An invite link as owners and admins see it in the list (the code itself is never shown
/// again after creation: only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub id: InviteId,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked: bool,
    /// Would the link let someone in right now.
    pub active: bool,
}

/// A signed-in session of the caller, for the "where you're signed in" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    /// A short description of the browser or client, from its User-Agent.
    pub device: String,
    pub client_addr: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The session making this request.
    pub current: bool,
}
