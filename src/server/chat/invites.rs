//! Invite links: creation, listing, revocation, preview and joining through them.

use super::*;

impl Chat {
    /// Creates an invite link. Owners and admins. `expires_in_hours`: None for the default
    /// (7 days), Some(0) for a link that never expires; `max_uses`: None for unlimited.
    pub async fn create_invite(
        &self,
        who: &SessionUser,
        id: ConversationId,
        expires_in_hours: Option<i64>,
        max_uses: Option<i64>,
    ) -> Result<CreatedInvite, CoreError> {
        let hours = expires_in_hours.unwrap_or(INVITE_DEFAULT_TTL_HOURS);
        if !(0..=INVITE_MAX_TTL_HOURS).contains(&hours) {
            return Err(ValidationError::InviteExpiry(INVITE_MAX_TTL_HOURS / 24).into());
        }
        if let Some(n) = max_uses {
            if !(1..=INVITE_MAX_USES).contains(&n) {
                return Err(ValidationError::InviteUses(INVITE_MAX_USES).into());
            }
        }
        self.require(id, who.user.id, Action::ManageInvites).await?;
        self.limits.invite(who.user.id)?;
        let code = auth::random_token(32);
        let now = Timestamp::now();
        let info = self
            .store
            .create_invite(
                id,
                &auth::secret_hash(&code),
                who.user.id,
                now,
                InviteLimits {
                    expires_at: (hours > 0).then(|| now.plus_ms(hours * 3_600_000)),
                    max_uses,
                },
            )
            .await?;
        self.audit_as(
            who,
            AuditAction::InviteCreated,
            Some(id),
            None,
            Some(&format!("invite #{}", info.id)),
        )
        .await;
        let url = format!(
            "{}/invite/{code}",
            self.config.public_origin.trim_end_matches('/')
        );
        Ok(CreatedInvite { code, url, info })
    }

    /// The conversation's invite links. Owners and admins.
    pub async fn invites(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<Vec<InviteInfo>, CoreError> {
        self.require(id, who.id, Action::ManageInvites).await?;
        self.store
            .invites(id, Timestamp::now())
            .await
            .map_err(CoreError::from)
    }

    /// Revokes an invite link at once. Owners and admins.
    pub async fn revoke_invite(
        &self,
        who: &SessionUser,
        id: ConversationId,
        invite_id: InviteId,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::ManageInvites).await?;
        self.limits.action(who.user.id)?;
        found(
            self.store
                .revoke_invite(id, invite_id, Timestamp::now())
                .await,
            "Invite",
        )?;
        self.audit_as(
            who,
            AuditAction::InviteRevoked,
            Some(id),
            None,
            Some(&format!("invite #{invite_id}")),
        )
        .await;
        Ok(())
    }

    /// What an invite link leads to. For a `viewer` who already belongs to the conversation
    /// the link just opens it (`member: true`), even when it has expired, been used up or
    /// been revoked; anyone else learns nothing from a link that no longer works.
    pub async fn invite_preview(
        &self,
        code: &str,
        viewer: Option<UserId>,
    ) -> Result<InvitePreview, CoreError> {
        let code = InviteCode::parse(code).map_err(|_| CoreError::InviteInvalid)?;
        let hash = auth::secret_hash(code.as_str());
        if let Some(user) = viewer {
            if let Some(id) = self.member_of_invite(user, &hash).await? {
                if let Some(summary) = self.store.conversation_summary(id, user).await? {
                    let member_count = self.store.members(id).await?.len() as i64;
                    return Ok(InvitePreview {
                        conversation_id: id,
                        title: summary.title,
                        member_count,
                        invited_by: String::new(),
                        member: true,
                    });
                }
            }
        }
        self.store
            .invite_target(&hash, Timestamp::now())
            .await?
            .ok_or(CoreError::InviteInvalid)
    }

    /// The invite's conversation, when `user` is a member of it.
    pub(super) async fn member_of_invite(
        &self,
        user: UserId,
        hash: &[u8],
    ) -> Result<Option<ConversationId>, CoreError> {
        let Some(id) = self.store.invite_conversation(hash).await? else {
            return Ok(None);
        };
        Ok(self.store.role_of(id, user).await?.map(|_| id))
    }

    /// Joins the invite's conversation (a no-op for members) and returns its id.
    pub async fn accept_invite(
        &self,
        who: &UserView,
        code: &str,
    ) -> Result<ConversationId, CoreError> {
        let code = InviteCode::parse(code).map_err(|_| CoreError::InviteInvalid)?;
        let hash = auth::secret_hash(code.as_str());
        let target = self.store.invite_conversation(&hash).await?;
        if let Some(id) = target {
            if self.store.role_of(id, who.id).await?.is_some() {
                return Ok(id);
            }
        }
        self.join(
            who,
            JoinVia::Invite(&hash),
            target,
            CoreError::InviteInvalid,
        )
        .await
    }

    pub(super) async fn join(
        &self,
        who: &UserView,
        via: JoinVia<'_>,
        target: Option<ConversationId>,
        invalid: CoreError,
    ) -> Result<ConversationId, CoreError> {
        self.limits.membership(who.id)?;
        // `target` is the conversation `via` leads to, known to the caller: its ordering lock
        // makes the join event leave in seq order with the conversation's messages.
        let Some(target) = target else {
            return Err(invalid);
        };
        let _ordered = self.ordering_lock(target).await;
        let event_id = format!("join-{}", auth::random_token(12));
        let outcome = self
            .store
            .join(
                via,
                who,
                &event_id,
                Timestamp::now(),
                self.config.max_members,
            )
            .await?;
        let (id, member, joined) = match outcome {
            JoinOutcome::Joined(id, member, event) => (id, member, event),
            JoinOutcome::AlreadyMember(id) => return Ok(id),
            JoinOutcome::Full => return Err(CoreError::ConversationFull(self.config.max_members)),
            JoinOutcome::Invalid => return Err(invalid),
            JoinOutcome::Banned => return Err(CoreError::Banned),
        };
        self.publish(
            Topic::Conversation(id),
            &ServerFrame::MemberJoined {
                conversation_id: id,
                member,
            },
        );
        self.publish_event(&joined);
        drop(_ordered);
        if let Some(summary) = self.store.conversation_summary(id, who.id).await? {
            self.publish_added(who.id, &summary);
        }
        Ok(id)
    }

    /// Tells the user's open sockets about a conversation they now belong to (or that is
    /// back in their side nav).
    pub(super) fn publish_added(&self, user: UserId, summary: &ConversationSummary) {
        self.hub.publish(
            Topic::User(user),
            HubEvent::Subscribe {
                conversation: summary.id,
                payload: frame_bytes(&ServerFrame::ConversationAdded {
                    conversation: summary.clone(),
                }),
            },
        );
    }
}
