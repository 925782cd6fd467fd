//! Conversations for instance admins (issue 14, /admin/conversations): the list, deleting
//! one, and taking over one whose owner's account is disabled. Every call checks that the
//! caller is an instance admin; every change is in the audit log.

use super::*;
use crate::model::{
    AdminConversation, AdminConversationCursor, AdminConversationPage, ConversationAction,
    ADMIN_CONVERSATIONS_PAGE,
};

impl Chat {
    /// A page of the instance's live conversations, most recently active first, whose title
    /// contains `query` (case-insensitive; see [`super::admin::search_text`]), after the page whose `next` was `after`. `Forbidden` for a non-admin.
    pub async fn admin_conversations(
        &self,
        who: &SessionUser,
        query: &str,
        after: Option<AdminConversationCursor>,
    ) -> Result<AdminConversationPage, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.search(who.user.id)?;
        let query = super::admin::search_text(query);
        let mut conversations = self
            .store
            .admin_conversations(&query, after, ADMIN_CONVERSATIONS_PAGE + 1)
            .await?;
        let next = if conversations.len() as i64 > ADMIN_CONVERSATIONS_PAGE {
            conversations.truncate(ADMIN_CONVERSATIONS_PAGE as usize);
            conversations.last().map(|c| AdminConversationCursor {
                last_activity_at: c.last_activity_at,
                id: c.id,
            })
        } else {
            None
        };
        Ok(AdminConversationPage {
            conversations,
            next,
        })
    }

    /// Does `action` to conversation `id` and answers it as it is now (None once deleted).
    /// `Forbidden` for a non-admin, for taking over a direct conversation, one whose owner's
    /// account is enabled (they can transfer it) or one the admin owns already; `NotFound`
    /// for no such live conversation.
    pub async fn admin_conversation_action(
        &self,
        who: &SessionUser,
        id: ConversationId,
        action: ConversationAction,
    ) -> Result<Option<AdminConversation>, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.action(who.user.id)?;
        let conversation = self
            .store
            .admin_conversation(id)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?;
        match action {
            ConversationAction::Delete => {
                self.delete_now(who, id, &conversation.title).await?;
                Ok(None)
            }
            ConversationAction::TakeOwnership => {
                self.take_over(who, &conversation).await?;
                Ok(self.store.admin_conversation(id).await?)
            }
        }
    }

    /// Makes the admin the owner of an abandoned conversation: joins it (its members see
    /// the `join` event, as for anyone who joins), then the ownership moves and the previous
    /// owner becomes one of its admins.
    async fn take_over(
        &self,
        who: &SessionUser,
        conversation: &AdminConversation,
    ) -> Result<(), CoreError> {
        let id = conversation.id;
        let previous = match conversation.owner_id {
            None => return Err(CoreError::Forbidden("A direct conversation has no owner.")),
            Some(owner) if owner == who.user.id => {
                return Err(CoreError::Forbidden("You already own this conversation."))
            }
            Some(_) if !conversation.owner_disabled => {
                return Err(CoreError::Forbidden(
                    "Only a conversation whose owner's account is disabled can be taken over; \
                     its owner can transfer it instead.",
                ))
            }
            Some(owner) => owner,
        };
        self.join(
            &who.user,
            JoinVia::Administrator(id),
            Some(id),
            CoreError::NotFound("Conversation"),
        )
        .await?;
        found(
            self.store
                .transfer_ownership(id, previous, who.user.id)
                .await,
            "Conversation",
        )?;
        let previous_owner = self.store.user_by_id(previous).await?;
        self.audit_as(
            who,
            AuditAction::OwnershipTransferred,
            Some(id),
            previous_owner.as_ref(),
            Some("taken over by an administrator"),
        )
        .await;
        self.publish_member(id, who.user.id).await?;
        self.publish_member(id, previous).await
    }
}
