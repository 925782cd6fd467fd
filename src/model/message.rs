//! Events of a conversation's sequence as the UI and WebSocket clients see them.

use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{Attachment, UserView};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What an event in a conversation's sequence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A message someone wrote.
    #[default]
    Message,
    /// `author` changed message `target_seq`'s text to `body`.
    Edit,
    /// `author` deleted message `target_seq`.
    Delete,
    /// `author` joined the conversation.
    Join,
    /// `author` left the conversation.
    Leave,
    /// `author` reacted to message `target_seq` with the emoji `body`.
    React,
    /// `author` took back their reaction `body` to message `target_seq`.
    Unreact,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Edit => "edit",
            EventKind::Delete => "delete",
            EventKind::Join => "join",
            EventKind::Leave => "leave",
            EventKind::React => "react",
            EventKind::Unreact => "unreact",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "message" => EventKind::Message,
            "edit" => EventKind::Edit,
            "delete" => EventKind::Delete,
            "join" => EventKind::Join,
            "leave" => EventKind::Leave,
            "react" => EventKind::React,
            "unreact" => EventKind::Unreact,
            _ => return None,
        })
    }

    /// Shown in the timeline (edits, deletions and reactions change the message they target
    /// instead).
    pub fn is_visible(self) -> bool {
        matches!(
            self,
            EventKind::Message | EventKind::Join | EventKind::Leave
        )
    }

    /// Written by a member about a message of the conversation: the writer must be a member
    /// when it is stored.
    pub fn is_written_by_member(self) -> bool {
        matches!(
            self,
            EventKind::Message
                | EventKind::Edit
                | EventKind::Delete
                | EventKind::React
                | EventKind::Unreact
        )
    }
}

/// One event of a conversation as stored: `seq` is its gap-free position. Messages carry
/// their current text (`edited_at` set once edited; `deleted` with an empty body once deleted),
/// the message they answer and their reactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub conversation_id: ConversationId,
    pub seq: Seq,
    #[serde(default)]
    pub kind: EventKind,
    /// For edits, deletions and reactions: the message they change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_seq: Option<Seq>,
    pub author_id: UserId,
    pub author: String,
    /// The text; for reactions, the emoji.
    pub body: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The sender's idempotency key; lets the sender match an echo to its pending bubble.
    pub client_id: String,
    /// The members this message mentions (`@username` when it was sent or last edited),
    /// as ids: a rename does not break a mention. For an edit: the set after the edit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// The earlier message this one answers, as it reads now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyQuote>,
    /// The message's reactions, one entry per emoji in the order they were first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The files sent with the message, in the order they were attached (deleted with it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// The compact quote of the message a reply answers: its author and the first line of its
/// text as plain text (see [`ReplyQuote::excerpt_of`]); `deleted` once it is deleted (the
/// excerpt is then empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyQuote {
    pub seq: Seq,
    pub author_id: UserId,
    pub author: String,
    pub excerpt: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ReplyQuote {
    /// Longest excerpt kept, in characters: the quote shows one line.
    pub const EXCERPT_MAX_CHARS: usize = 100;

    /// The message's first line with text once its formatting is removed (see
    /// [`crate::markup::plain_text`]; a code fence's opening line has none), shortened to
    /// [`Self::EXCERPT_MAX_CHARS`] with "…".
    pub fn excerpt_of(body: &str) -> String {
        let line = body
            .lines()
            .map(|l| crate::markup::plain_text(l).trim().to_owned())
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let mut chars = line.chars();
        let mut out: String = chars.by_ref().take(Self::EXCERPT_MAX_CHARS).collect();
        if chars.next().is_some() {
            out.push('…');
        }
        out
    }
}

/// One emoji's reactions to a message: who reacted, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<UserView>,
}

#[cfg(test)]
mod tests {
    use super::ReplyQuote;

    #[test]
    fn a_quote_is_the_first_line_with_text_without_formatting() {
        assert_eq!(
            ReplyQuote::excerpt_of("**Lunch** at _noon_?\nmore"),
            "Lunch at noon?"
        );
        assert_eq!(ReplyQuote::excerpt_of("\n\n  > quoted\nnext"), "quoted");
        assert_eq!(
            ReplyQuote::excerpt_of("```rust\nfn main() {}\n```"),
            "fn main() {}"
        );
        assert_eq!(ReplyQuote::excerpt_of(""), "");
        let long = "é".repeat(ReplyQuote::EXCERPT_MAX_CHARS + 5);
        let cut = ReplyQuote::excerpt_of(&long);
        assert_eq!(cut.chars().count(), ReplyQuote::EXCERPT_MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(ReplyQuote::excerpt_of(&"é".repeat(5)), "ééééé");
    }
}
