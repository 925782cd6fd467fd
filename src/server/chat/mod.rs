//! [`Chat`]: the use cases. Server functions and the /ws gateway call these and nothing below.
//! Every rule lives here: validation has already happened in the types, so this layer decides
//! who may do what, persists, then publishes.

use super::auth::{self, TokenError, TokenIdentity, TokenKeys};
use super::files::FileStore;
use super::hub::{Hub, HubEvent, Topic};
use super::limits::{Limits, LimitsConfig};
use super::metrics::timed;

#[allow(unused_imports)]
use super::store::{
    AdminStore, AttentionStore, AuditStore, ConversationStore, DirectStore, EventStore,
    InviteStore, MemberStore, SearchStore, SessionStore, UserStore,
};
use super::store::{
    AuditFilter, AuditRecord, Ban, InviteLimits, JoinOutcome, JoinVia, Leave, NewEvent, NewSession,
    NewUser, Store, StoreError,
};
use crate::error::CoreError;
use crate::ids::{ConversationId, InviteId, Seq, SessionId, UserId};
use crate::model::{
    AuditAction, AuditPage, BanInfo, ConversationDetail, ConversationSummary, CreatedInvite,
    EventKind, HistoryPage, InviteInfo, InvitePreview, MessageView, PublicRoom, Role, SessionInfo,
    UserView, WsTicket, INVITE_DEFAULT_TTL_HOURS, INVITE_MAX_TTL_HOURS, INVITE_MAX_USES,
};
use crate::permissions::{self, Action, MemberAction};
use crate::protocol::{RemovalReason, ServerFrame};
use crate::time::Timestamp;
use crate::validate::{
    ConversationTitle, InviteCode, MessageBody, Password, Username, ValidationError,
};
use bytes::Bytes;
use std::sync::Arc;

mod accounts;
mod admin;
mod admin_conversations;
mod appends;
mod audit;
mod conversations;
mod deletion;
mod direct;
mod exports;
mod files;
mod health;
mod invites;
mod membership;
mod messages;
mod notifications;
mod presence;
mod profiles;
mod reactions;
mod retention;
mod search;
mod sessions;
#[cfg(test)]
mod tests;
mod throttle;

pub use admin::{grant_admin, DISABLED_NOTICE};
pub use deletion::DELETED_NOTICE;
pub use exports::Export;
pub use files::{SweepReport, PENDING_UPLOAD_TTL_MS};
pub use messages::QueuedSend;
pub use presence::SocketSlot;
pub use retention::{RetentionReport, PRUNE_BATCH, PRUNE_TARGET};
pub use search::SEARCH_SCAN;

/// Newest messages shown when a conversation opens, and the size of each "load older" page.
pub const HISTORY_PAGE: i64 = 50;
/// Client ids are UUIDs; anything longer is not one.
const CLIENT_ID_MAX: usize = 64;
/// The room every installation starts with; its first user owns it.
pub const GENERAL_ROOM: &str = "General";
/// Rows of the public room directory shown at once.
const DIRECTORY_LIMIT: i64 = 200;
/// Audit lines shown to an owner at once.
const AUDIT_PAGE: i64 = 200;
/// The default member cap (SECURITY: limits everywhere).
pub const DEFAULT_MAX_MEMBERS: i64 = 10_000;

#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// The origin users reach Palaver at, e.g. `https://chat.example.com`: invite links and
    /// the token issuer use it.
    pub public_origin: String,
    pub session_lifetime_ms: i64,
    /// Members one conversation may have.
    pub max_members: i64,
    /// Largest file one upload may be, in bytes.
    pub max_upload_bytes: u64,
    pub limits: LimitsConfig,
    /// The instance's retention in days (`--retention-days`): messages older are deleted;
    /// owners may choose fewer. None keeps them forever.
    pub retention_days: Option<i64>,
}

/// Where a request came from, recorded with the session.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub user_agent: Option<String>,
    pub client_addr: Option<String>,
}

/// The signed-in user behind a session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user: UserView,
    pub session_id: SessionId,
    /// The address the current request came from, for the audit log.
    pub client_addr: Option<String>,
}

/// A new session: the cookie secret goes to the browser and nowhere else.
pub struct NewLogin {
    pub user: UserView,
    pub cookie_secret: String,
}

pub struct Chat {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    tokens: TokenKeys,
    config: ChatConfig,
    /// One lock per stripe of conversations (see `ordering_lock` and `append_lock`).
    send_locks: Vec<Arc<tokio::sync::RwLock<()>>>,
    /// Open sockets per user on this node. Held only for a counter update (std mutex).
    presence: std::sync::Mutex<std::collections::HashMap<UserId, usize>>,
    /// Sockets per user from their handshake on (see [`SocketSlot`]).
    sockets: presence::SocketCounts,
    limits: Limits,
    /// Where attachments' bytes live.
    files: Arc<dyn FileStore>,
    /// Uploads being received ([`files::UPLOADS_IN_FLIGHT`]) and images being decoded
    /// ([`files::DECODES_AT_ONCE`]) on this node.
    uploads: tokio::sync::Semaphore,
    decodes: tokio::sync::Semaphore,
    /// Wakes the file janitor: rows of files were deleted.
    files_changed: tokio::sync::Notify,
    /// Wakes the erasure job: an account was deleted with its messages.
    erasures: tokio::sync::Notify,
}

/// Password hashing refused for load answers "busy, retry in a second"; anything else is
/// internal.
fn auth_failure(e: auth::AuthError) -> CoreError {
    match e {
        auth::AuthError::Busy => CoreError::Busy {
            retry_after_secs: 1,
        },
        e => CoreError::internal(e),
    }
}

/// A store failure the use case did not expect is internal; the chain (the database's own
/// error) is kept in the message for the log.
impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        CoreError::Internal(detail)
    }
}

impl Chat {
    pub fn new(
        store: Arc<dyn Store>,
        hub: Arc<dyn Hub>,
        tokens: TokenKeys,
        config: ChatConfig,
        files: Arc<dyn FileStore>,
    ) -> Self {
        Self {
            files,
            uploads: tokio::sync::Semaphore::new(files::UPLOADS_IN_FLIGHT),
            decodes: tokio::sync::Semaphore::new(files::DECODES_AT_ONCE),
            files_changed: tokio::sync::Notify::new(),
            erasures: tokio::sync::Notify::new(),
            store,
            hub,
            tokens,
            send_locks: (0..64)
                .map(|_| Arc::new(tokio::sync::RwLock::new(())))
                .collect(),
            presence: Default::default(),
            sockets: Default::default(),
            limits: Limits::new(config.limits.clone()),
            config,
        }
    }

    pub fn config(&self) -> &ChatConfig {
        &self.config
    }
}

/// A store write that reports whether it found its row: not found becomes `NotFound(what)`.
fn found(done: Result<bool, StoreError>, what: &'static str) -> Result<(), CoreError> {
    match done {
        Ok(true) => Ok(()),
        Ok(false) => Err(CoreError::NotFound(what)),
        Err(e) => Err(CoreError::from(e)),
    }
}

fn check_client_id(client_id: &str) -> Result<(), CoreError> {
    if client_id.is_empty() || client_id.len() > CLIENT_ID_MAX {
        return Err(ValidationError::ClientIdInvalid.into());
    }
    Ok(())
}

pub fn frame_bytes(frame: &ServerFrame) -> Bytes {
    Bytes::from(frame.to_json())
}

impl Chat {
    /// Publishes `frame` to `topic` as a plain event (forwarded as it is).
    fn publish(&self, topic: Topic, frame: &ServerFrame) {
        self.hub.publish(
            topic,
            HubEvent::Frame {
                payload: frame_bytes(frame),
            },
        );
    }

    /// Subscribes to what reaches the sockets of `user` or the members of a conversation.
    /// The gateway listens through here, never to the hub directly.
    pub fn subscribe(&self, topic: Topic) -> tokio::sync::broadcast::Receiver<HubEvent> {
        self.hub.subscribe(topic)
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
