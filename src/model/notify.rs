//! What a member is told about a conversation.

use super::ConversationKind;
use serde::{Deserialize, Serialize};

/// Rooms with more members than this notify of mentions only unless a member chooses
/// otherwise (Slack and Mattermost make the same call for large channels).
pub const NOTIFY_ALL_MAX_MEMBERS: i64 = 20;

/// What a member is told about a conversation: desktop notifications now, Web Push later.
/// Stored per member on the server, so it follows them to every device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyLevel {
    /// Every message by someone else.
    #[default]
    All,
    /// Only messages that mention the member.
    Mentions,
    /// Nothing (muted); the conversation still shows unread messages in the side nav.
    None,
}

impl NotifyLevel {
    pub const ALL: [NotifyLevel; 3] = [NotifyLevel::All, NotifyLevel::Mentions, NotifyLevel::None];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyLevel::All => "all",
            NotifyLevel::Mentions => "mentions",
            NotifyLevel::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The level of a member who has not chosen one, in a conversation of this kind with
    /// `members` members: every message of a direct conversation (it is written to them, as
    /// a mention is), every message of a room up to [`NOTIFY_ALL_MAX_MEMBERS`] members,
    /// mentions only above. The side-nav query applies the same rule (`summary_select`).
    pub fn default_for(kind: ConversationKind, members: i64) -> Self {
        if kind == ConversationKind::Group && members > NOTIFY_ALL_MAX_MEMBERS {
            NotifyLevel::Mentions
        } else {
            NotifyLevel::All
        }
    }

    /// Whether a message by someone else, mentioning the member or not, is worth telling
    /// them about.
    pub fn notifies(self, mentioned: bool) -> bool {
        match self {
            NotifyLevel::All => true,
            NotifyLevel::Mentions => mentioned,
            NotifyLevel::None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_conversations_notify_of_everything_and_big_rooms_of_mentions() {
        use ConversationKind::*;
        assert_eq!(NotifyLevel::default_for(Direct, 2), NotifyLevel::All);
        assert_eq!(NotifyLevel::default_for(Group, 20), NotifyLevel::All);
        assert_eq!(NotifyLevel::default_for(Group, 21), NotifyLevel::Mentions);
        // A kind is a kind: a direct conversation never falls to mentions only.
        assert_eq!(NotifyLevel::default_for(Direct, 21), NotifyLevel::All);
    }
}
