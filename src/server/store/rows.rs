//! Rows as the statements select them, mapped by column name (`FromRow`), and turned into
//! the model's types. The same structs serve both backends: every integer column is a
//! 64-bit integer (INTEGER in SQLite, BIGINT in PostgreSQL) and `public` a boolean.

use crate::device::describe_device;
use crate::ids::{ConversationId, InviteId, Seq, SessionId, UserId};
use crate::mentions;
use crate::model::{
    AuditEntry, BanInfo, ConversationKind, ConversationSummary, EventKind, InviteInfo,
    InvitePreview, Member, MessagePreview, MessageView, NotifyLevel, Profile, PublicRoom,
    ReplyQuote, Role, SessionInfo, UserView,
};
use crate::time::Timestamp;

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

pub fn role(value: &str) -> Result<Role, sqlx::Error> {
    Role::parse(value).ok_or_else(|| decode_error("role", value))
}

/// Selected by [`MESSAGE_COLUMNS`].
#[derive(sqlx::FromRow)]
pub struct MessageRow {
    pub conversation_id: i64,
    pub seq: Seq,
    pub sender_id: i64,
    pub username: String,
    pub body: String,
    pub created_at: Timestamp,
    pub client_id: String,
    pub kind: String,
    pub target_seq: Option<Seq>,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub mentions: String,
    /// The message answered (`reply_to`) as it reads now, from [`MESSAGE_FROM`]'s joins.
    pub reply_to: Option<Seq>,
    pub reply_sender_id: Option<i64>,
    pub reply_username: Option<String>,
    pub reply_body: Option<String>,
    pub reply_deleted_at: Option<Timestamp>,
}

/// Select with [`MESSAGE_FROM`].
pub const MESSAGE_COLUMNS: &str =
    "m.conversation_id, m.seq, m.sender_id, u.username, m.body, m.created_at, m.client_id, \
     m.kind, m.target_seq, m.edited_at, m.deleted_at, m.mentions, m.reply_to, \
     r.sender_id AS reply_sender_id, ru.username AS reply_username, r.body AS reply_body, \
     r.deleted_at AS reply_deleted_at";

/// The events table as `m` with its author `u`, and the message it answers `r` with that
/// message's author `ru`.
pub const MESSAGE_FROM: &str = "messages m JOIN users u ON u.id = m.sender_id \
     LEFT JOIN messages r ON r.conversation_id = m.conversation_id AND r.seq = m.reply_to \
     LEFT JOIN users ru ON ru.id = r.sender_id";

impl TryFrom<MessageRow> for MessageView {
    type Error = sqlx::Error;
    fn try_from(r: MessageRow) -> Result<Self, sqlx::Error> {
        Ok(MessageView {
            conversation_id: ConversationId(r.conversation_id),
            seq: r.seq,
            kind: EventKind::parse(&r.kind).ok_or_else(|| decode_error("event kind", &r.kind))?,
            target_seq: r.target_seq,
            author_id: UserId(r.sender_id),
            author: r.username,
            body: r.body,
            created_at: r.created_at,
            edited_at: r.edited_at,
            deleted: r.deleted_at.is_some(),
            client_id: r.client_id,
            mentions: mentions::decode(&r.mentions)
                .ok_or_else(|| decode_error("mention list", &r.mentions))?,
            reply_to: match (
                r.reply_to,
                r.reply_sender_id,
                r.reply_username,
                r.reply_body,
            ) {
                (Some(seq), Some(author_id), Some(author), Some(body)) => Some(ReplyQuote {
                    seq,
                    author_id: UserId(author_id),
                    author,
                    excerpt: ReplyQuote::excerpt_of(&body),
                    deleted: r.reply_deleted_at.is_some(),
                }),
                _ => None,
            },
            reactions: Vec::new(),
            attachments: Vec::new(),
        })
    }
}

/// Selected by the search statements (`sql::search`).
#[derive(sqlx::FromRow)]
pub struct FoundRow {
    pub position: i64,
    pub conversation_id: i64,
    pub title: String,
    pub seq: Seq,
    pub sender_id: i64,
    pub username: String,
    pub body: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

impl From<FoundRow> for super::FoundMessage {
    fn from(r: FoundRow) -> Self {
        super::FoundMessage {
            position: r.position,
            conversation_id: ConversationId(r.conversation_id),
            title: r.title,
            seq: r.seq,
            author_id: UserId(r.sender_id),
            author: r.username,
            body: r.body,
            created_at: r.created_at,
            edited_at: r.edited_at,
        }
    }
}

/// Selected by `summary_select` (the side nav).
#[derive(sqlx::FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub title: String,
    pub last_activity_at: Timestamp,
    pub last_seq: Seq,
    pub author: Option<String>,
    pub body: Option<String>,
    pub unread: i64,
    pub public: bool,
    pub mentions: i64,
    pub notify: String,
    pub kind: String,
    pub peer_id: Option<i64>,
    /// The preview message's first file and how many it has.
    pub file_name: Option<String>,
    pub files: i64,
}

pub fn conversation_kind(value: &str) -> Result<ConversationKind, sqlx::Error> {
    ConversationKind::parse(value).ok_or_else(|| decode_error("conversation kind", value))
}

impl TryFrom<SummaryRow> for ConversationSummary {
    type Error = sqlx::Error;
    fn try_from(r: SummaryRow) -> Result<Self, sqlx::Error> {
        Ok(ConversationSummary {
            id: ConversationId(r.id),
            title: r.title,
            last_activity_at: r.last_activity_at,
            last_seq: r.last_seq,
            last_message: match (r.author, r.body) {
                (Some(a), Some(b)) => Some(MessagePreview::with_files(
                    a,
                    &b,
                    r.file_name.as_deref(),
                    usize::try_from(r.files).unwrap_or(0),
                )),
                _ => None,
            },
            unread: r.unread,
            public: r.public,
            mentions: r.mentions,
            // A CHECK constraint keeps the column to the three names; the query fills in
            // the default for members who have not chosen.
            notify: NotifyLevel::parse(&r.notify).unwrap_or_default(),
            kind: conversation_kind(&r.kind)?,
            peer: r.peer_id.map(UserId),
            // Presence lives in the server's memory, not the database: `Chat` fills it in.
            peer_online: false,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        UserView {
            id: UserId(r.id),
            username: r.username,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct CredentialsRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub session_id: SessionId,
    pub user_id: i64,
    pub username: String,
    pub last_seen_at: Timestamp,
}

#[derive(sqlx::FromRow)]
pub struct SessionInfoRow {
    pub id: SessionId,
    pub user_agent: Option<String>,
    pub client_addr: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

impl From<SessionInfoRow> for SessionInfo {
    fn from(r: SessionInfoRow) -> Self {
        SessionInfo {
            id: r.id,
            device: describe_device(r.user_agent.as_deref()),
            client_addr: r.client_addr,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            current: false,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct PublicRoomRow {
    pub id: i64,
    pub title: String,
    pub member_count: i64,
    pub last_activity_at: Timestamp,
    pub joined: bool,
}

impl From<PublicRoomRow> for PublicRoom {
    fn from(r: PublicRoomRow) -> Self {
        PublicRoom {
            id: ConversationId(r.id),
            title: r.title,
            member_count: r.member_count,
            last_activity_at: r.last_activity_at,
            joined: r.joined,
        }
    }
}

/// Selected by [`MEMBER_COLUMNS`].
#[derive(sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub joined_at: Timestamp,
    pub display_name: String,
    pub time_zone: String,
    pub avatar_id: Option<String>,
}

pub const MEMBER_COLUMNS: &str =
    "u.id, u.username, m.role, m.joined_at, u.display_name, u.time_zone, u.avatar_id";

/// A profile from a `users` row's columns.
pub fn profile(display_name: String, time_zone: String, avatar_id: Option<String>) -> Profile {
    Profile {
        display_name,
        time_zone,
        avatar: avatar_id
            .as_deref()
            .and_then(crate::files::AttachmentId::parse),
    }
}

impl TryFrom<MemberRow> for Member {
    type Error = sqlx::Error;
    fn try_from(r: MemberRow) -> Result<Self, sqlx::Error> {
        Ok(Member {
            user: UserView {
                id: UserId(r.id),
                username: r.username,
            },
            role: role(&r.role)?,
            joined_at: r.joined_at,
            profile: profile(r.display_name, r.time_zone, r.avatar_id),
        })
    }
}

/// Selected by [`INVITE_COLUMNS`].
#[derive(sqlx::FromRow)]
pub struct InviteRow {
    pub id: InviteId,
    pub username: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<Timestamp>,
}

pub const INVITE_COLUMNS: &str =
    "i.id, u.username, i.created_at, i.expires_at, i.max_uses, i.uses, i.revoked_at";

impl InviteRow {
    pub fn info(self, now: Timestamp) -> InviteInfo {
        InviteInfo {
            id: self.id,
            created_by: self.username,
            created_at: self.created_at,
            expires_at: self.expires_at,
            max_uses: self.max_uses,
            uses: self.uses,
            revoked: self.revoked_at.is_some(),
            active: self.revoked_at.is_none()
                && self.expires_at.is_none_or(|e| e > now)
                && self.max_uses.is_none_or(|m| self.uses < m),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct InvitePreviewRow {
    pub id: i64,
    pub title: String,
    pub member_count: i64,
    pub invited_by: String,
}

impl From<InvitePreviewRow> for InvitePreview {
    fn from(r: InvitePreviewRow) -> Self {
        InvitePreview {
            conversation_id: ConversationId(r.id),
            title: r.title,
            member_count: r.member_count,
            invited_by: r.invited_by,
            member: false,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct BanRow {
    pub user_id: i64,
    pub username: String,
    pub banned_by: Option<String>,
    pub banned_at: Timestamp,
}

impl From<BanRow> for BanInfo {
    fn from(r: BanRow) -> Self {
        BanInfo {
            user_id: UserId(r.user_id),
            username: r.username,
            banned_by: r.banned_by,
            banned_at: r.banned_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: Timestamp,
    pub action: String,
    pub actor_name: Option<String>,
    pub target_name: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
    /// Selected by the instance log only.
    #[sqlx(default)]
    pub conversation_id: Option<i64>,
    #[sqlx(default)]
    pub conversation_title: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            action: r.action,
            actor: r.actor_name,
            target: r.target_name,
            detail: r.detail,
            client_addr: r.client_addr,
            conversation_id: r.conversation_id.map(ConversationId),
            conversation_title: r.conversation_title,
        }
    }
}
