//! Direct messages: what kind of conversation something is.

use serde::{Deserialize, Serialize};

/// A group conversation has a title, an owner, roles, invite links and settings; a direct
/// conversation is between exactly two people, one per pair, and has none of those: it shows
/// the other person's name, and either of them may close it (hide it until the next message)
/// but not leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    #[default]
    Group,
    Direct,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Group => "group",
            ConversationKind::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "group" => Some(ConversationKind::Group),
            "direct" => Some(ConversationKind::Direct),
            _ => None,
        }
    }

    pub fn is_direct(self) -> bool {
        self == ConversationKind::Direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_their_stored_names() {
        for kind in [ConversationKind::Group, ConversationKind::Direct] {
            assert_eq!(ConversationKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ConversationKind::parse("channel"), None);
        assert_eq!(ConversationKind::default(), ConversationKind::Group);
    }
}
