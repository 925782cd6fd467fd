//! Membership: leaving, removal (which bans), roles and ownership.

use super::*;

impl Chat {
    /// Leaves a conversation. The owner cannot leave (there would be nobody to run it):
    /// they transfer ownership or delete the conversation.
    /// Nobody leaves a direct conversation (it is between exactly two people): closing it
    /// hides it instead ([`Chat::close_direct`]).
    pub async fn leave(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        let role = self.require_member(id, who.id).await?;
        if self.kind_of(id).await?.is_direct() {
            return Err(CoreError::Forbidden(Action::Leave.direct_refusal()));
        }
        if !permissions::may(role, Action::Leave) {
            return Err(CoreError::OwnerCannotLeave);
        }
        self.limits.membership(who.id)?;
        self.drop_member(id, who, RemovalReason::Left, None).await
    }

    /// Removes `target` from the conversation and bans them from it until an owner or admin
    /// lifts the ban (SECURITY 33). Owners remove anyone but themselves; admins remove plain
    /// members only; nobody removes anyone from a direct conversation.
    pub async fn remove_member(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
    ) -> Result<(), CoreError> {
        let my_role = self.require_member(id, who.user.id).await?;
        if self.kind_of(id).await?.is_direct() {
            return Err(CoreError::Forbidden(Action::ManageBans.direct_refusal()));
        }
        if !permissions::at_least(my_role, Role::Admin) {
            return Err(CoreError::Forbidden("Only owners and admins can do that."));
        }
        self.limits.action(who.user.id)?;
        let member = self.target_member(id, target).await?;
        let is_self = target == who.user.id;
        if let Some(why) =
            permissions::member_refusal(my_role, is_self, member.role, MemberAction::Remove)
        {
            return Err(CoreError::Forbidden(why));
        }
        let ban = Ban {
            by: who.user.id,
            at: Timestamp::now(),
        };
        self.drop_member(id, &member.user, RemovalReason::Removed, Some(ban))
            .await?;
        self.audit_as(
            who,
            AuditAction::MemberRemoved,
            Some(id),
            Some(&member.user),
            None,
        )
        .await;
        Ok(())
    }

    /// Takes `user` out of the conversation in one store call: the membership row, the ban
    /// and the `leave` event in the sequence commit together, so from that instant no read or
    /// write of theirs passes `require_member` and no failure can leave one without the
    /// other. Then the live notices (their sockets unsubscribe on the personal event).
    pub(super) async fn drop_member(
        &self,
        id: ConversationId,
        user: &UserView,
        reason: RemovalReason,
        ban: Option<Ban>,
    ) -> Result<(), CoreError> {
        let event_id = format!("leave-{}", auth::random_token(12));
        let leave = Leave {
            event_id: &event_id,
            body: if reason == RemovalReason::Removed {
                "removed"
            } else {
                ""
            },
            now: Timestamp::now(),
        };
        let _ordered = self.ordering_lock(id).await;
        let left = self
            .store
            .remove_member(id, user, ban, leave)
            .await?
            .ok_or(CoreError::NotMember)?;
        self.publish_event(&left);
        // On the conversation's own channel, in order with its messages: a socket of the
        // departed user stops forwarding the conversation at this event, even if the personal
        // notice below is lost to a lagging channel (SECURITY 29).
        self.hub.publish(
            Topic::Conversation(id),
            HubEvent::MemberLeft {
                user: user.id,
                payload: frame_bytes(&ServerFrame::MemberLeft {
                    conversation_id: id,
                    user_id: user.id,
                }),
            },
        );
        self.publish_removed(user.id, id, reason);
        Ok(())
    }

    pub(super) fn publish_removed(&self, user: UserId, id: ConversationId, reason: RemovalReason) {
        self.hub.publish(
            Topic::User(user),
            HubEvent::Unsubscribe {
                conversation: id,
                payload: frame_bytes(&ServerFrame::ConversationRemoved {
                    conversation_id: id,
                    reason,
                }),
            },
        );
    }

    pub(super) async fn target_member(
        &self,
        id: ConversationId,
        target: UserId,
    ) -> Result<crate::model::Member, CoreError> {
        self.store
            .member(id, target)
            .await?
            .ok_or(CoreError::NotFound("Member"))
    }

    /// Promotes a member to admin or demotes an admin to member. Owner only.
    pub async fn set_role(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
        role: Role,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::SetRoles).await?;
        self.limits.action(who.user.id)?;
        if role == Role::Owner {
            return Err(CoreError::Forbidden(
                "Use \"transfer ownership\" to make someone the owner.",
            ));
        }
        let member = self.target_member(id, target).await?;
        if member.role == Role::Owner {
            return Err(CoreError::Forbidden(
                "The owner's role changes only by transferring ownership.",
            ));
        }
        if member.role == role {
            return Ok(());
        }
        found(self.store.set_role(id, target, role).await, "Member")?;
        self.audit_as(
            who,
            AuditAction::RoleChanged,
            Some(id),
            Some(&member.user),
            Some(&format!("{} -> {}", member.role.as_str(), role.as_str())),
        )
        .await;
        self.publish_member(id, target).await
    }

    /// Makes another member the owner; the previous owner becomes an admin. Owner only.
    pub async fn transfer_ownership(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::TransferOwnership)
            .await?;
        self.limits.action(who.user.id)?;
        let member = self.target_member(id, target).await?;
        if target == who.user.id {
            return Err(CoreError::Forbidden("You already own this conversation."));
        }
        found(
            self.store.transfer_ownership(id, who.user.id, target).await,
            "Member",
        )?;
        self.audit_as(
            who,
            AuditAction::OwnershipTransferred,
            Some(id),
            Some(&member.user),
            None,
        )
        .await;
        self.publish_member(id, target).await?;
        self.publish_member(id, who.user.id).await
    }

    pub(super) async fn publish_member(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<(), CoreError> {
        if let Some(member) = self.store.member(id, user).await? {
            self.publish(
                Topic::Conversation(id),
                &ServerFrame::MemberUpdated {
                    conversation_id: id,
                    member,
                },
            );
        }
        Ok(())
    }

    /// Members removed from the conversation and still banned. Owners and admins.
    pub async fn bans(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<Vec<BanInfo>, CoreError> {
        self.require(id, who.id, Action::ManageBans).await?;
        Ok(self.store.bans(id).await?)
    }

    /// Lets a removed member join again (by invite or, for a public room, by themselves).
    /// Owners and admins.
    pub async fn lift_ban(
        &self,
        who: &SessionUser,
        id: ConversationId,
        user: UserId,
    ) -> Result<(), CoreError> {
        self.require(id, who.user.id, Action::ManageBans).await?;
        self.limits.action(who.user.id)?;
        let name = self.store.user_by_id(user).await?.map(|u| u.username);
        found(self.store.lift_ban(id, user).await, "Ban")?;
        let target = name.map(|username| UserView { id: user, username });
        self.audit_as(who, AuditAction::BanLifted, Some(id), target.as_ref(), None)
            .await;
        Ok(())
    }
}
