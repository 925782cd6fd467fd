//! Who may do what in a conversation: roles owner > admin > member, each with the least it
//! needs (OWASP ASVS V8, SECURITY 20). The one place the rules are written: `Chat` enforces
//! them on every call, and the UI shows only what they allow.

use crate::model::{ConversationKind, Role};

/// Something a member does to the conversation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Invite links: create, list, revoke.
    ManageInvites,
    /// Rename the conversation.
    Rename,
    /// Delete other members' messages.
    DeleteOthersMessages,
    /// See and lift bans.
    ManageBans,
    /// List the conversation in the public directory, or take it out.
    SetPublic,
    /// Promote and demote admins.
    SetRoles,
    TransferOwnership,
    ReadAuditLog,
    /// Download every event of the conversation (NDJSON).
    ExportConversation,
    /// How long the conversation keeps its messages (at most what the instance keeps).
    SetRetention,
    DeleteConversation,
    /// The owner cannot leave: there would be nobody to run the conversation.
    Leave,
}

impl Action {
    /// The least role that may do it.
    pub fn needs(self) -> Role {
        match self {
            Action::ManageInvites
            | Action::Rename
            | Action::DeleteOthersMessages
            | Action::ManageBans => Role::Admin,
            Action::SetPublic
            | Action::SetRoles
            | Action::TransferOwnership
            | Action::ReadAuditLog
            | Action::ExportConversation
            | Action::SetRetention
            | Action::DeleteConversation => Role::Owner,
            Action::Leave => Role::Member,
        }
    }

    /// Why it is refused to someone below [`Action::needs`].
    pub fn refusal(self) -> &'static str {
        match self.needs() {
            Role::Owner => "Only the owner can do that.",
            _ => "Only owners and admins can do that.",
        }
    }

    /// Why it is refused in a direct conversation, where none of these exist: two people
    /// and their messages, no invites, roles, title, settings or audit log; closing takes
    /// the place of leaving and deleting (see [`may_in`]).
    pub fn direct_refusal(self) -> &'static str {
        match self {
            Action::ManageInvites => "A direct message has no invite links.",
            Action::Rename => "A direct message has no title: it shows the other person's name.",
            Action::DeleteOthersMessages => "In a direct message each person deletes only their own messages.",
            Action::ManageBans => "A direct message has no one to remove or let back in.",
            Action::SetPublic => "A direct message cannot be public.",
            Action::SetRoles | Action::TransferOwnership => "A direct message has no roles.",
            Action::ReadAuditLog => "A direct message has no audit log.",
            Action::ExportConversation => {
                "A direct message is not exported as a conversation; your own messages are in your account's export."
            }
            Action::SetRetention => "A direct message keeps its messages as long as the instance does.",
            Action::DeleteConversation | Action::Leave => {
                "You cannot leave or delete a direct message; close it to hide it until the next message."
            }
        }
    }

    /// Why it is refused to `role` in a conversation of `kind` (None when allowed).
    pub fn refusal_in(self, kind: ConversationKind, role: Role) -> Option<&'static str> {
        match kind {
            ConversationKind::Direct => Some(self.direct_refusal()),
            ConversationKind::Group if may(role, self) => None,
            ConversationKind::Group if self == Action::Leave => {
                Some("The owner cannot leave the conversation.")
            }
            ConversationKind::Group => Some(self.refusal()),
        }
    }
}

/// Whether `role` may do `action`.
pub fn may(role: Role, action: Action) -> bool {
    match action {
        Action::Leave => role != Role::Owner,
        _ => at_least(role, action.needs()),
    }
}

/// Whether `role` may do `action` in a conversation of `kind`: in a direct conversation no
/// [`Action`] applies, whatever the role (both people are plain members there anyway).
pub fn may_in(kind: ConversationKind, role: Role, action: Action) -> bool {
    kind == ConversationKind::Group && may(role, action)
}

/// owner > admin > member.
pub fn at_least(role: Role, needed: Role) -> bool {
    match needed {
        Role::Owner => role == Role::Owner,
        Role::Admin => role.can_moderate(),
        Role::Member => true,
    }
}

/// Something a member does to another member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAction {
    MakeAdmin,
    RemoveAdmin,
    MakeOwner,
    /// Remove (which bans until lifted).
    Remove,
}

/// What a viewer with role `me` may do to a member with role `target`: the owner promotes,
/// demotes, hands ownership to and removes anyone else; admins remove plain members; nobody
/// acts on themselves or on the owner. (A direct conversation has no member list to act on:
/// see [`may_in`].)
pub fn member_actions(me: Option<Role>, is_self: bool, target: Role) -> Vec<MemberAction> {
    use MemberAction::*;
    if is_self {
        return Vec::new();
    }
    match (me, target) {
        (Some(Role::Owner), Role::Admin) => vec![RemoveAdmin, MakeOwner, Remove],
        (Some(Role::Owner), Role::Member) => vec![MakeAdmin, MakeOwner, Remove],
        (Some(Role::Admin), Role::Member) => vec![Remove],
        _ => Vec::new(),
    }
}

/// Why `action` on a member with role `target` is refused to `me` (None when allowed).
pub fn member_refusal(
    me: Role,
    is_self: bool,
    target: Role,
    action: MemberAction,
) -> Option<&'static str> {
    if member_actions(Some(me), is_self, target).contains(&action) {
        return None;
    }
    Some(match (action, is_self, target) {
        (MemberAction::Remove, true, _) => {
            "You cannot remove yourself; leave the conversation instead."
        }
        (MemberAction::MakeOwner, true, _) => "You already own this conversation.",
        (MemberAction::Remove, false, Role::Owner) => "The owner cannot be removed.",
        (MemberAction::Remove, false, Role::Admin) => "Only the owner can remove an admin.",
        (_, _, Role::Owner) => "The owner's role changes only by transferring ownership.",
        _ if me == Role::Owner => "That change does not apply to this member.",
        _ if matches!(action, MemberAction::Remove) => "Only owners and admins can do that.",
        _ => "Only the owner can do that.",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn each_action_needs_its_least_role() {
        for action in [Action::ManageInvites, Action::Rename, Action::ManageBans] {
            assert!(may(Owner, action) && may(Admin, action) && !may(Member, action));
        }
        for action in [
            Action::SetPublic,
            Action::SetRoles,
            Action::TransferOwnership,
            Action::ReadAuditLog,
            Action::DeleteConversation,
        ] {
            assert!(may(Owner, action) && !may(Admin, action) && !may(Member, action));
        }
        assert!(
            !may(Owner, Action::Leave) && may(Admin, Action::Leave) && may(Member, Action::Leave)
        );
    }

    #[test]
    fn the_owner_manages_everyone_else_and_admins_plain_members() {
        use MemberAction::*;
        assert_eq!(
            member_actions(Some(Owner), false, Member),
            [MakeAdmin, MakeOwner, Remove]
        );
        assert_eq!(
            member_actions(Some(Owner), false, Admin),
            [RemoveAdmin, MakeOwner, Remove]
        );
        assert_eq!(member_actions(Some(Admin), false, Member), [Remove]);
        for target in [Owner, Admin, Member] {
            assert!(member_actions(Some(Member), false, target).is_empty());
            assert!(member_actions(None, false, target).is_empty());
            assert!(member_actions(Some(Owner), true, target).is_empty());
        }
        assert!(member_actions(Some(Admin), false, Admin).is_empty());
        assert!(member_actions(Some(Admin), false, Owner).is_empty());
    }

    #[test]
    fn nothing_of_a_groups_governance_applies_to_a_direct_conversation() {
        use ConversationKind::*;
        let all = [
            Action::ManageInvites,
            Action::Rename,
            Action::DeleteOthersMessages,
            Action::ManageBans,
            Action::SetPublic,
            Action::SetRoles,
            Action::TransferOwnership,
            Action::ReadAuditLog,
            Action::DeleteConversation,
            Action::Leave,
        ];
        for action in all {
            for role in [Owner, Admin, Member] {
                assert!(!may_in(Direct, role, action), "{role:?} {action:?}");
                assert_eq!(may_in(Group, role, action), may(role, action));
                assert_eq!(
                    action.refusal_in(Direct, role),
                    Some(action.direct_refusal())
                );
            }
            assert_eq!(
                action.refusal_in(Group, Owner).is_none(),
                may(Owner, action)
            );
        }
        assert_eq!(
            Action::Leave.refusal_in(Group, Owner),
            Some("The owner cannot leave the conversation.")
        );
        assert_eq!(Action::Leave.refusal_in(Group, Member), None);
    }

    #[test]
    fn refusals_say_why() {
        use MemberAction::*;
        assert_eq!(
            member_refusal(Admin, false, Admin, Remove),
            Some("Only the owner can remove an admin.")
        );
        assert_eq!(
            member_refusal(Owner, false, Owner, Remove),
            Some("The owner cannot be removed.")
        );
        assert_eq!(
            member_refusal(Owner, true, Owner, Remove),
            Some("You cannot remove yourself; leave the conversation instead.")
        );
        assert_eq!(member_refusal(Owner, false, Member, Remove), None);
    }
}
