//! Conversations: creation, the side nav, settings, deletion and the public room directory.

use super::*;

impl Chat {
    pub async fn create_conversation(
        &self,
        who: &UserView,
        title: &str,
    ) -> Result<ConversationSummary, CoreError> {
        let title = ConversationTitle::parse(title)?;
        self.limits.conversation(who.id)?;
        let summary = self
            .store
            .create_conversation(who.id, title.as_str(), false, Timestamp::now())
            .await?;
        self.publish_added(who.id, &summary);
        Ok(summary)
    }

    /// The caller's side nav: their conversations but the direct ones they closed, newest
    /// activity first, with the other person's presence for direct ones.
    pub async fn conversations(
        &self,
        who: &UserView,
    ) -> Result<Vec<ConversationSummary>, CoreError> {
        let rows = self.store.conversations_for(who.id).await?;
        Ok(rows.into_iter().map(|c| self.with_presence(c)).collect())
    }

    /// The caller's role, or `NotMember`. Every conversation read and write goes through here.
    pub async fn require_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Role, CoreError> {
        self.store
            .role_of(conversation, user)
            .await?
            .ok_or(CoreError::NotMember)
    }

    /// Like [`Self::require_member`], and the role must allow `action` in this kind of
    /// conversation (the rules are in [`crate::permissions`]: none of these actions exists
    /// in a direct conversation).
    pub async fn require(
        &self,
        conversation: ConversationId,
        user: UserId,
        action: Action,
    ) -> Result<Role, CoreError> {
        let role = self.require_member(conversation, user).await?;
        let kind = self.kind_of(conversation).await?;
        if let Some(why) = action.refusal_in(kind, role) {
            return Err(CoreError::Forbidden(why));
        }
        Ok(role)
    }

    pub async fn conversation(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<ConversationDetail, CoreError> {
        let (my_role, last_read_seq) = self
            .store
            .membership(id, who.id)
            .await?
            .ok_or(CoreError::NotMember)?;
        let summary = self
            .store
            .conversation_summary(id, who.id)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?;
        let members = self.store.members(id).await?;
        let online = members
            .iter()
            .map(|m| m.user.id)
            .filter(|u| self.is_online(*u))
            .collect();
        Ok(ConversationDetail {
            id,
            title: summary.title,
            public: summary.public,
            kind: summary.kind,
            my_role,
            last_seq: summary.last_seq,
            last_read_seq,
            members,
            online,
            retention: self.retention(id).await?,
        })
    }

    /// Renames the conversation. Owners and admins.
    pub async fn rename(
        &self,
        who: &SessionUser,
        id: ConversationId,
        title: &str,
    ) -> Result<(), CoreError> {
        let title = ConversationTitle::parse(title)?;
        self.require(id, who.user.id, Action::Rename).await?;
        self.limits.action(who.user.id)?;
        self.update(id, Some(title.as_str()), None).await?;
        self.audit_as(
            who,
            AuditAction::Renamed,
            Some(id),
            None,
            Some(title.as_str()),
        )
        .await;
        Ok(())
    }

    /// Lists the conversation in the public directory, or takes it out. Owner only.
    pub async fn set_public(
        &self,
        who: &SessionUser,
        id: ConversationId,
        public: bool,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::SetPublic).await?;
        self.limits.action(who.user.id)?;
        self.update(id, None, Some(public)).await?;
        let detail = if public { "public" } else { "invite only" };
        self.audit_as(
            who,
            AuditAction::VisibilityChanged,
            Some(id),
            None,
            Some(detail),
        )
        .await;
        Ok(())
    }

    pub(super) async fn update(
        &self,
        id: ConversationId,
        title: Option<&str>,
        public: Option<bool>,
    ) -> Result<(), CoreError> {
        let (title, public) = self
            .store
            .update_conversation(id, title, public)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?;
        self.publish(
            Topic::Conversation(id),
            &ServerFrame::ConversationUpdated {
                conversation_id: id,
                title,
                public,
            },
        );
        Ok(())
    }

    /// Deletes the conversation with all its messages. Owner only, and `confirm` must repeat
    /// the title exactly: a stray click or a forged request without it deletes nothing.
    pub async fn delete_conversation(
        &self,
        who: &SessionUser,
        id: ConversationId,
        confirm: &str,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::DeleteConversation)
            .await?;
        self.limits.action(who.user.id)?;
        let title = self.title_for(id, who.user.id).await?;
        if confirm.trim() != title {
            return Err(ValidationError::DeleteConfirmation.into());
        }
        self.delete_now(who, id, &title).await
    }

    /// The conversation's title as `user` (a member) sees it; `NotFound` when there is none.
    pub(super) async fn title_for(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<String, CoreError> {
        Ok(self
            .store
            .conversation_summary(id, user)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?
            .title)
    }

    /// Deletes conversation `id` (titled `title`) for every member, as `who` (its owner, or
    /// an instance admin): its members' sockets hear of it, the audit log records it.
    pub(super) async fn delete_now(
        &self,
        who: &SessionUser,
        id: ConversationId,
        title: &str,
    ) -> Result<(), CoreError> {
        // Holding the ordering lock: no message is appended half-way through the deletion.
        let members = {
            let _ordered = self.ordering_lock(id).await;
            self.store
                .delete_conversation(id, Timestamp::now())
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => CoreError::NotFound("Conversation"),
                    e => CoreError::from(e),
                })?
        };
        // Its files' rows went with it; the janitor deletes their bytes.
        self.files_changed.notify_one();
        self.audit_as(
            who,
            AuditAction::ConversationDeleted,
            Some(id),
            None,
            Some(title),
        )
        .await;
        for user in members {
            self.publish_removed(user, id, RemovalReason::Deleted);
        }
        Ok(())
    }

    pub async fn public_rooms(&self, who: &UserView) -> Result<Vec<PublicRoom>, CoreError> {
        self.store
            .public_rooms(who.id, DIRECTORY_LIMIT)
            .await
            .map_err(CoreError::from)
    }

    /// Joins a public room (a no-op for members).
    pub async fn join_public(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<ConversationId, CoreError> {
        self.join(who, JoinVia::Public(id), Some(id), CoreError::NotPublic)
            .await
    }
}
