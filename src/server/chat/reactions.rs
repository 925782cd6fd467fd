//! Reactions: a member reacts to a message with an emoji or takes the reaction back. Each is
//! an event of the conversation's sequence (`react` / `unreact`), so it is live for everyone,
//! replayed on resume and made idempotent by its client id like a message.

use super::appends::Mode;
use super::*;
use crate::reactions;

impl Chat {
    /// Adds (`on`) or takes back the caller's reaction `emoji` to message `seq` and publishes
    /// the event. Adding an emoji already given, or taking back one not given, stores an event
    /// that changes nothing (so a double click in two tabs needs no error).
    ///
    /// Errors: `Invalid(ReactionNotEmoji)` unless `emoji` is one emoji;
    /// `Invalid(TooManyReactions)` for a new emoji on a message that has
    /// [`reactions::REACTIONS_MAX_DISTINCT`] already; `NotFound("Message")` for a message
    /// that does not exist or is deleted; `NotMember`; `RateLimited` (shares the message
    /// budget).
    pub async fn react(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
        emoji: &str,
        on: bool,
    ) -> Result<(MessageView, bool), CoreError> {
        let emoji = reactions::parse_emoji(emoji)?;
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.limits.message(who.id)?;
        let kind = if on {
            EventKind::React
        } else {
            EventKind::Unreact
        };
        self.append_as(who, id, kind, Some(seq), client_id, emoji, Mode::Reaction)
            .await
    }
}
