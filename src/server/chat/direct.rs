//! Direct messages: a conversation between exactly two people, one per pair, opened with
//! "Message" on a member and found again afterwards. It has no invites, roles, title or
//! settings ([`permissions::may_in`]); either person may close it, which hides it from their
//! own side nav until the next message.

use super::*;
use crate::model::ConversationKind;
use crate::server::store::DirectOpened;

impl Chat {
    /// Opens the direct conversation of the caller and `other`: created on first open (shown
    /// to the caller only until a message is sent, as in Slack, so an unused one never
    /// appears in the other person's side nav), found again afterwards, and shown to the
    /// caller again if they had closed it. Their other sockets get `conversation_added`.
    ///
    /// Only with someone the caller shares a conversation with: anyone else, existing or
    /// not, is `NotFound("User")`, so the call cannot be used to enumerate or reach every
    /// account. Errors: `Invalid(DirectWithSelf)` for the caller themselves; `RateLimited`
    /// past the budget for changes (60 at once, then one per second).
    pub async fn open_direct(
        &self,
        who: &UserView,
        other: UserId,
    ) -> Result<ConversationSummary, CoreError> {
        if other == who.id {
            return Err(ValidationError::DirectWithSelf.into());
        }
        self.limits.action(who.id)?;
        let DirectOpened { id, shown, .. } = self
            .store
            .open_direct(who.id, other, Timestamp::now())
            .await?
            .ok_or(CoreError::NotFound("User"))?;
        let summary = self
            .store
            .conversation_summary(id, who.id)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?;
        let summary = self.with_presence(summary);
        if shown {
            self.publish_added(who.id, &summary);
        }
        Ok(summary)
    }

    /// Closes a direct conversation for the caller: it leaves their side nav (on every
    /// device: `conversation_hidden`) until its next message, which brings it back. They stay
    /// a member: "Message" opens it again with its history. Errors: `NotMember`;
    /// `Forbidden` for a group conversation (leave it instead).
    pub async fn close_direct(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        self.require_member(id, who.id).await?;
        if self.kind_of(id).await? != ConversationKind::Direct {
            return Err(CoreError::Forbidden(
                "Only a direct message can be closed; leave the conversation instead.",
            ));
        }
        self.limits.action(who.id)?;
        if !self.store.close_conversation(id, who.id).await? {
            return Err(CoreError::NotMember);
        }
        self.publish(
            Topic::User(who.id),
            &ServerFrame::ConversationHidden {
                conversation_id: id,
            },
        );
        Ok(())
    }

    /// The conversation's kind; `NotFound` once it is gone.
    pub(super) async fn kind_of(&self, id: ConversationId) -> Result<ConversationKind, CoreError> {
        self.store
            .conversation_kind(id)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))
    }

    /// After message `m` was stored: `users`, the members who had closed its conversation
    /// (or never saw it: the other person of a new direct conversation; the writer found them,
    /// see `Inserted::reopened`), get it back in their side nav, live. The message itself is
    /// already acknowledged and published; what the side nav shows is decided from the
    /// messages anyway (see the store's `SHOWN`), so a failure here only costs the live
    /// notice and is logged.
    pub(super) async fn show_reopened(&self, m: &MessageView, users: &[UserId]) {
        for &user in users {
            match self
                .store
                .conversation_summary(m.conversation_id, user)
                .await
            {
                Ok(Some(summary)) => self.publish_added(user, &self.with_presence(summary)),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(conversation = %m.conversation_id, error = %e, "cannot read a reopened conversation")
                }
            }
        }
    }

    /// A side-nav row with the other person's presence filled in (a direct conversation's).
    pub(super) fn with_presence(&self, mut summary: ConversationSummary) -> ConversationSummary {
        summary.peer_online = summary.peer.is_some_and(|p| self.is_online(p));
        summary
    }
}
