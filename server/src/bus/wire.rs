//! What crosses the bus: subjects, and events as bytes (a JSON header line, a newline, the
//! frame's own JSON untouched).

use bytes::Bytes;
use palaver::server::{HubEvent, Topic};
use palaver::{ConversationId, Seq, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// The subject of `topic` under `prefix`.
pub fn subject(prefix: &str, topic: Topic) -> String {
    match topic {
        Topic::Conversation(id) => format!("{prefix}.c.{}", id.0),
        Topic::User(id) => format!("{prefix}.u.{}", id.0),
    }
}

/// The topic `subject` names under `prefix`, if any.
pub fn topic_of(prefix: &str, subject: &str) -> Option<Topic> {
    let rest = subject.strip_prefix(prefix)?.strip_prefix('.')?;
    let (kind, id) = rest.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    match kind {
        "c" => Some(Topic::Conversation(ConversationId(id))),
        "u" => Some(Topic::User(UserId(id))),
        _ => None,
    }
}

/// A `--nats-prefix` must be a plain NATS subject (dot-separated tokens of letters, digits,
/// `_` and `-`), so that `<prefix>.>` matches exactly this installation's events.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let plain = |token: &str| {
        !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if prefix.split('.').all(plain) {
        Ok(())
    } else {
        Err(format!(
            "--nats-prefix {prefix:?}: use dot-separated tokens of letters, digits, '_' and '-'"
        ))
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    node: u64,
    kind: Kind,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Kind {
    Sequenced {
        conversation: ConversationId,
        seq: Seq,
    },
    Frame,
    MemberLeft {
        user: UserId,
    },
    Subscribe {
        conversation: ConversationId,
    },
    Unsubscribe {
        conversation: ConversationId,
    },
    SessionsEnded {
        sessions: Vec<SessionId>,
    },
}

/// The bytes of `event` on the bus, or None for what never leaves a node.
pub(super) fn encode(node: u64, event: &HubEvent) -> Option<Bytes> {
    let kind = match event {
        HubEvent::Sequenced {
            conversation, seq, ..
        } => Kind::Sequenced {
            conversation: *conversation,
            seq: *seq,
        },
        HubEvent::Frame { .. } => Kind::Frame,
        HubEvent::MemberLeft { user, .. } => Kind::MemberLeft { user: *user },
        HubEvent::Subscribe { conversation, .. } => Kind::Subscribe {
            conversation: *conversation,
        },
        HubEvent::Unsubscribe { conversation, .. } => Kind::Unsubscribe {
            conversation: *conversation,
        },
        HubEvent::SessionsEnded { sessions, .. } => Kind::SessionsEnded {
            sessions: sessions.to_vec(),
        },
        HubEvent::Resync => return None,
    };
    let mut bytes = serde_json::to_vec(&Header { node, kind }).ok()?;
    bytes.push(b'\n');
    bytes.extend_from_slice(event.payload());
    Some(Bytes::from(bytes))
}

#[derive(Debug, thiserror::Error)]
pub(super) enum DecodeError {
    #[error("no header line")]
    NoHeader,
    #[error("header: {0}")]
    Header(#[from] serde_json::Error),
}

/// The publishing node and the event of bus bytes.
pub(super) fn decode(bytes: Bytes) -> Result<(u64, HubEvent), DecodeError> {
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(DecodeError::NoHeader)?;
    let header: Header = serde_json::from_slice(&bytes[..end])?;
    let payload = bytes.slice(end + 1..);
    let event = match header.kind {
        Kind::Sequenced { conversation, seq } => HubEvent::Sequenced {
            conversation,
            seq,
            payload,
        },
        Kind::Frame => HubEvent::Frame { payload },
        Kind::MemberLeft { user } => HubEvent::MemberLeft { user, payload },
        Kind::Subscribe { conversation } => HubEvent::Subscribe {
            conversation,
            payload,
        },
        Kind::Unsubscribe { conversation } => HubEvent::Unsubscribe {
            conversation,
            payload,
        },
        Kind::SessionsEnded { sessions } => HubEvent::SessionsEnded {
            sessions: sessions.into(),
            payload,
        },
    };
    Ok((header.node, event))
}

/// The subject of presence news under `prefix` (no topic's: `topic_of` reads none from it).
pub fn presence_subject(prefix: &str) -> String {
    format!("{prefix}.presence")
}

/// What a node tells the others of its sockets' users (see `presence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum PresenceNews {
    /// A user's first socket on the node opened (`online`) or their last one closed.
    Changed { user: UserId, online: bool },
    /// Every user with a socket on the node: the heartbeat, which also repairs lost news.
    Online { users: Vec<UserId> },
    /// The node is shutting down; its users' sockets have closed.
    Gone,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct PresenceMessage {
    pub node: u64,
    pub news: PresenceNews,
}

pub(super) fn encode_presence(node: u64, news: PresenceNews) -> Bytes {
    Bytes::from(serde_json::to_vec(&PresenceMessage { node, news }).unwrap_or_default())
}

pub(super) fn decode_presence(bytes: &[u8]) -> Result<PresenceMessage, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
