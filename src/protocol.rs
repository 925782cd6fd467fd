//! The WebSocket protocol: JSON text frames tagged by `type`.
//!
//! A client opens `/ws`, sends `auth` within [`AUTH_TIMEOUT_SECS`] and receives `ready`; from
//! then on it receives `message` events for every conversation it belongs to, and may `send`
//! and `sync`. Identity and membership come from the token and the database, never from frame
//! fields. See the README's "WebSocket protocol" section for the full contract.

use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{ConversationSummary, Member, MessageView, NotifyLevel, UserView};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Seconds a socket may stay open without a valid `auth` frame.
pub const AUTH_TIMEOUT_SECS: u64 = 10;
/// Largest frame the server reads, in bytes: any body the text limit allows, even with every
/// character JSON-escaped (`\u00XX` is 6 bytes for 1 byte of UTF-8, the worst ratio), plus
/// the frame's envelope.
pub const MAX_FRAME_BYTES: usize = 6 * crate::validate::MESSAGE_MAX_BYTES + 4 * 1024;
/// Most messages one `sync` answers with; the client asks again from the last one it got.
pub const SYNC_BATCH: i64 = 200;

/// Close codes the server uses.
pub mod close {
    /// Server shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// No valid token in time, or the token was rejected.
    pub const POLICY: u16 = 1008;
    /// A frame over [`super::MAX_FRAME_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// The token expired; fetch a new one and reconnect.
    pub const TOKEN_EXPIRED: u16 = 4001;
    /// The session was signed out.
    pub const SESSION_ENDED: u16 = 4003;
    /// The socket fell behind on its personal channel, so what it knows (memberships,
    /// sessions) cannot be trusted: reconnect and resume from the last seq (SECURITY 29).
    pub const RESYNC: u16 = 4009;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame on a socket: a token from the `ws_token` server function.
    Auth { token: String },
    /// Post a message. `client_id` is the sender's idempotency key (a UUID): resending the
    /// same one never creates a second message.
    Send {
        conversation_id: ConversationId,
        client_id: String,
        body: String,
        /// The seq of an earlier message of the conversation this one answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        /// Files uploaded to this conversation by the sender (`POST /api/attachments`) and
        /// not sent yet, at most [`crate::files::ATTACHMENTS_PER_MESSAGE_MAX`]; with at
        /// least one, `body` may be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::files::AttachmentId>,
    },
    /// Hand the open socket a fresh token before the current one expires; the connection
    /// stays up. The token must belong to the same user.
    Renew { token: String },
    /// Replace the text of your own message `seq`. `client_id` makes retries harmless.
    Edit {
        conversation_id: ConversationId,
        seq: Seq,
        client_id: String,
        body: String,
    },
    /// Delete your own message `seq`; it stays in the sequence as a placeholder.
    Delete {
        conversation_id: ConversationId,
        seq: Seq,
        client_id: String,
    },
    /// React to message `seq` with one emoji (see `reactions::parse_emoji`); reacting twice
    /// with the same emoji changes nothing. Stored as a `react` event.
    React {
        conversation_id: ConversationId,
        seq: Seq,
        client_id: String,
        emoji: String,
    },
    /// Take back your reaction `emoji` to message `seq`. Stored as an `unreact` event.
    Unreact {
        conversation_id: ConversationId,
        seq: Seq,
        client_id: String,
        emoji: String,
    },
    /// You have read up to `seq`; your other tabs and devices follow.
    Read {
        conversation_id: ConversationId,
        seq: Seq,
    },
    /// You are typing in the conversation; send at most every few seconds while typing.
    Typing { conversation_id: ConversationId },
    /// Ask for the events after `after_seq` (the last one the client has).
    Sync {
        conversation_id: ConversationId,
        after_seq: Seq,
    },
    /// A heartbeat: the server answers `pong` (at most one per second per socket; faster
    /// pings go unanswered). A browser cannot see WebSocket ping frames, so this is how it
    /// notices a connection that went silent without closing.
    Ping,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Ready {
        user: UserView,
        /// When the socket's token expires (Unix ms): renew before then or be closed with 4001.
        expires_at: Timestamp,
    },
    /// A `renew` was accepted; the socket now lives until `expires_at` (Unix ms).
    Renewed {
        expires_at: Timestamp,
    },
    /// The answer to `ping`.
    Pong,
    Message {
        message: MessageView,
    },
    /// The message with this `client_id` is stored as `seq`.
    Ack {
        conversation_id: ConversationId,
        client_id: String,
        seq: Seq,
        created_at: Timestamp,
    },
    /// The answer to `sync` ends here; `complete` is false when more are waiting.
    Synced {
        conversation_id: ConversationId,
        last_seq: Seq,
        complete: bool,
    },
    MemberJoined {
        conversation_id: ConversationId,
        member: Member,
    },
    MemberLeft {
        conversation_id: ConversationId,
        user_id: UserId,
    },
    /// A member came online (first socket) or went offline (last socket closed).
    Presence {
        conversation_id: ConversationId,
        user_id: UserId,
        online: bool,
    },
    /// Someone is typing; show it for a few seconds unless it is repeated.
    Typing {
        conversation_id: ConversationId,
        user: UserView,
    },
    /// You read up to `seq` (on another tab or device).
    ReadUpTo {
        conversation_id: ConversationId,
        seq: Seq,
    },
    /// You are no longer a member of the conversation: you left, were removed, or it was
    /// deleted.
    ConversationRemoved {
        conversation_id: ConversationId,
        #[serde(default)]
        reason: RemovalReason,
    },
    /// The conversation's title or visibility changed.
    ConversationUpdated {
        conversation_id: ConversationId,
        title: String,
        public: bool,
    },
    /// A member's role changed (promotion, demotion, ownership transfer).
    MemberUpdated {
        conversation_id: ConversationId,
        member: Member,
    },
    /// You changed what you are notified of in a conversation (on another tab or device).
    NotifyLevel {
        conversation_id: ConversationId,
        level: NotifyLevel,
    },
    /// A line was added to the audit log of a conversation you own.
    AuditAppended {
        conversation_id: ConversationId,
    },
    /// The user was added to a conversation (for example in another tab), or a direct
    /// conversation appeared in their side nav: opened, or its first message since they
    /// closed it (or ever) arrived.
    ConversationAdded {
        conversation: ConversationSummary,
    },
    /// You closed a direct conversation (on another tab or device): it leaves the side nav
    /// until its next message; you are still a member.
    ConversationHidden {
        conversation_id: ConversationId,
    },
    /// A member of one of your conversations changed their profile (display name, time
    /// zone or avatar): sent once per conversation you share with them.
    Profile {
        conversation_id: ConversationId,
        user_id: UserId,
        profile: crate::model::Profile,
    },
    /// Retention deleted every event of the conversation at or below `through`: drop them;
    /// the history now begins after it. Seqs are never renumbered, so a `sync` from an
    /// older seq answers the events after `through`.
    HistoryPruned {
        conversation_id: ConversationId,
        through: Seq,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// Set when the error answers a `send`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// For `rate_limited`: seconds to wait before trying again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
    },
}

/// Why a conversation left the user's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    #[default]
    Left,
    Removed,
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not one the server understands (not JSON, unknown type, wrong fields).
    BadFrame,
    /// No valid token, or the caller is not signed in.
    Unauthenticated,
    /// The input broke a rule (an empty or too long body, a bad client id); the message says
    /// which.
    InvalidMessage,
    NotMember,
    NotFound,
    /// Not allowed: someone else's message or one that cannot change, a role too low, a ban.
    Forbidden,
    /// Too many requests too fast, or the server is busy: wait `retry_after_secs`.
    RateLimited,
    /// The account was disabled by an instance admin: the socket closes next, and signing
    /// in is refused until an admin enables it.
    AccountDisabled,
    /// The account was deleted by an instance admin: the socket closes next, and it cannot
    /// sign in again.
    AccountDeleted,
    Internal,
}

impl ServerFrame {
    pub fn error(code: ErrorCode, message: impl Into<String>, client_id: Option<String>) -> Self {
        ServerFrame::Error {
            code,
            message: message.into(),
            client_id,
            retry_after_secs: None,
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing these plain data types cannot fail: no maps with non-string keys, no
        // custom Serialize impls that error.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"type\":\"error\"}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_round_trip_with_type_tags() {
        let f: ClientFrame = serde_json::from_str(
            r#"{"type":"send","conversation_id":7,"client_id":"c1","body":"hi"}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::Send {
                conversation_id: ConversationId(7),
                client_id: "c1".into(),
                body: "hi".into(),
                reply_to: None,
                attachments: Vec::new(),
            }
        );
        let auth: ClientFrame = serde_json::from_str(r#"{"type":"auth","token":"t"}"#).unwrap();
        assert_eq!(auth, ClientFrame::Auth { token: "t".into() });
    }

    #[test]
    fn unknown_or_incomplete_frames_are_rejected() {
        for bad in [
            r#"{"type":"nope"}"#,
            r#"{"type":"send","conversation_id":"x","client_id":"c","body":"b"}"#,
            r#"{"type":"send","client_id":"c","body":"b"}"#,
            r#"[1,2,3]"#,
            "not json",
        ] {
            assert!(serde_json::from_str::<ClientFrame>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_frame_omits_absent_client_id() {
        let json = ServerFrame::error(ErrorCode::BadFrame, "bad", None).to_json();
        assert_eq!(
            json,
            r#"{"type":"error","code":"bad_frame","message":"bad"}"#
        );
    }
}
