//! Who may run the conversation: removals, roles, ownership, settings, deletion, the audit log.

use super::*;

#[tokio::test]
async fn admins_remove_plain_members_only_and_owners_anyone_but_themselves() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.remove_member(&r.member, id, r.admin.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = chat.remove_member(&r.outsider, id, r.member.user.id).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
    let err = chat.remove_member(&r.admin, id, r.owner.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(m)) if m.contains("owner")));
    let err = chat.remove_member(&r.owner, id, r.owner.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(m)) if m.contains("leave")));
    let err = chat.remove_member(&r.owner, id, r.outsider.user.id).await;
    assert!(matches!(err, Err(CoreError::NotFound("Member"))), "{err:?}");
    assert_eq!(
        r.role(&r.admin).await,
        Some(Role::Admin),
        "refusals removed nobody"
    );
    assert_eq!(r.role(&r.member).await, Some(Role::Member));

    chat.remove_member(&r.admin, id, r.member.user.id)
        .await
        .expect("an admin removes a plain member");
    assert_eq!(r.role(&r.member).await, None);
    chat.remove_member(&r.owner, id, r.admin.user.id)
        .await
        .expect("the owner removes an admin");
    assert_eq!(r.role(&r.admin).await, None);
}

#[tokio::test]
async fn admins_cannot_remove_each_other() {
    let r = Room::new().await;
    let code = r.invite().await;
    r.chat.accept_invite(&r.outsider.user, &code).await.unwrap();
    r.chat
        .set_role(&r.owner, r.id, r.outsider.user.id, Role::Admin)
        .await
        .unwrap();
    let err = r
        .chat
        .remove_member(&r.admin, r.id, r.outsider.user.id)
        .await;
    assert!(matches!(err, Err(CoreError::Forbidden(m)) if m.contains("Only the owner")));
    assert_eq!(r.role(&r.outsider).await, Some(Role::Admin));
}

#[tokio::test]
async fn only_the_owner_sets_roles_and_never_makes_an_owner_that_way() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat
        .set_role(&r.admin, id, r.member.user.id, Role::Admin)
        .await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = chat
        .set_role(&r.owner, id, r.member.user.id, Role::Owner)
        .await;
    assert!(matches!(err, Err(CoreError::Forbidden(m)) if m.contains("transfer")));
    let err = chat
        .set_role(&r.owner, id, r.owner.user.id, Role::Member)
        .await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    assert_eq!(r.role(&r.member).await, Some(Role::Member));
    assert_eq!(r.role(&r.owner).await, Some(Role::Owner));

    chat.set_role(&r.owner, id, r.member.user.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(r.role(&r.member).await, Some(Role::Admin));
    chat.set_role(&r.owner, id, r.admin.user.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(r.role(&r.admin).await, Some(Role::Member));
}

#[tokio::test]
async fn transferring_ownership_leaves_the_previous_owner_an_admin() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.transfer_ownership(&r.admin, id, r.admin.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = chat.transfer_ownership(&r.owner, id, r.owner.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(m)) if m.contains("already")));
    let err = chat
        .transfer_ownership(&r.owner, id, r.outsider.user.id)
        .await;
    assert!(matches!(err, Err(CoreError::NotFound("Member"))), "{err:?}");
    assert_eq!(r.role(&r.owner).await, Some(Role::Owner));

    chat.transfer_ownership(&r.owner, id, r.member.user.id)
        .await
        .unwrap();
    assert_eq!(r.role(&r.member).await, Some(Role::Owner));
    assert_eq!(r.role(&r.owner).await, Some(Role::Admin));
    let err = chat.set_public(&r.owner, id, true).await;
    assert!(
        matches!(err, Err(CoreError::Forbidden(_))),
        "the old owner lost the owner's rights at once"
    );
}

#[tokio::test]
async fn owners_and_admins_rename_and_only_the_owner_changes_visibility() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.rename(&r.member, id, "Mine").await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = chat.rename(&r.outsider, id, "Mine").await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
    let err = chat.set_public(&r.admin, id, true).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let detail = chat.conversation(&r.owner.user, id).await.unwrap();
    assert_eq!((detail.title.as_str(), detail.public), (TITLE, false));

    chat.rename(&r.admin, id, "Renamed").await.unwrap();
    chat.set_public(&r.owner, id, true).await.unwrap();
    let detail = chat.conversation(&r.owner.user, id).await.unwrap();
    assert_eq!((detail.title.as_str(), detail.public), ("Renamed", true));
}

#[tokio::test]
async fn deleting_needs_the_owner_and_the_exact_title() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.delete_conversation(&r.admin, id, TITLE).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    for wrong in ["matrix", "Matrix!", ""] {
        let err = chat.delete_conversation(&r.owner, id, wrong).await;
        assert!(
            matches!(
                err,
                Err(CoreError::Invalid(ValidationError::DeleteConfirmation))
            ),
            "{wrong:?}: {err:?}"
        );
    }
    assert!(chat.conversation(&r.owner.user, id).await.is_ok());

    chat.delete_conversation(&r.owner, id, TITLE).await.unwrap();
    for who in [&r.owner, &r.admin, &r.member] {
        assert_eq!(r.role(who).await, None);
        let gone = chat.history(&who.user, id, None).await;
        assert!(matches!(gone, Err(CoreError::NotMember)), "{gone:?}");
    }
}

#[tokio::test]
async fn the_audit_log_is_for_the_owner_alone() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    chat.rename(&r.admin, id, "Renamed").await.unwrap();
    for who in [&r.admin, &r.member] {
        let err = chat.audit_log(&who.user, id, None, None, None).await;
        assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    }
    let err = chat.audit_log(&r.outsider.user, id, None, None, None).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");

    let page = chat
        .audit_log(&r.owner.user, id, None, None, None)
        .await
        .unwrap();
    let renamed = &page.entries[0];
    assert_eq!(renamed.action, "renamed");
    assert_eq!(renamed.actor.as_deref(), Some("admin"));
    assert_eq!(renamed.detail.as_deref(), Some("Renamed"));
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"role_changed"), "{actions:?}");
    assert!(actions.contains(&"invite_created"), "{actions:?}");
}
