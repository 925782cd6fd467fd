//! Leaving, and removal as a ban that only an owner or admin lifts.

use super::*;

#[tokio::test]
async fn the_owner_cannot_leave_and_anyone_else_can() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.leave(&r.owner.user, id).await;
    assert!(matches!(err, Err(CoreError::OwnerCannotLeave)), "{err:?}");
    assert_eq!(r.role(&r.owner).await, Some(Role::Owner));
    let err = chat.leave(&r.outsider.user, id).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");

    chat.leave(&r.admin.user, id).await.unwrap();
    assert_eq!(r.role(&r.admin).await, None);
    let again = chat.leave(&r.admin.user, id).await;
    assert!(matches!(again, Err(CoreError::NotMember)), "{again:?}");
    let history = chat.history(&r.owner.user, id, None).await.unwrap();
    let last = history.messages.last().unwrap();
    assert_eq!(
        (last.kind, last.author_id),
        (EventKind::Leave, r.admin.user.id)
    );
    assert_eq!(last.body, "", "leaving is not a removal");
}

#[tokio::test]
async fn leaving_bans_nobody() {
    let r = Room::new().await;
    r.chat.leave(&r.member.user, r.id).await.unwrap();
    assert!(r.chat.bans(&r.owner.user, r.id).await.unwrap().is_empty());
    let code = r.invite().await;
    r.chat.accept_invite(&r.member.user, &code).await.unwrap();
    assert_eq!(r.role(&r.member).await, Some(Role::Member));
}

#[tokio::test]
async fn a_removed_member_is_banned_until_an_owner_or_admin_lifts_it() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    chat.remove_member(&r.admin, id, r.member.user.id)
        .await
        .unwrap();
    let bans = chat.bans(&r.owner.user, id).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].user_id, r.member.user.id);
    assert_eq!(bans[0].banned_by.as_deref(), Some("admin"));
    let history = chat.history(&r.owner.user, id, None).await.unwrap();
    assert_eq!(history.messages.last().unwrap().body, "removed");

    // A new link does not let them back; a public room does not either.
    let code = r.invite().await;
    let err = chat.accept_invite(&r.member.user, &code).await;
    assert!(matches!(err, Err(CoreError::Banned)), "{err:?}");
    chat.set_public(&r.owner, id, true).await.unwrap();
    let err = chat.join_public(&r.member.user, id).await;
    assert!(matches!(err, Err(CoreError::Banned)), "{err:?}");
    assert_eq!(r.role(&r.member).await, None);

    // Only owners and admins see and lift bans.
    let err = chat.bans(&r.outsider.user, id).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
    let err = chat.lift_ban(&r.member, id, r.member.user.id).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
    let err = chat.lift_ban(&r.owner, id, r.outsider.user.id).await;
    assert!(matches!(err, Err(CoreError::NotFound("Ban"))), "{err:?}");
    chat.lift_ban(&r.admin, id, r.member.user.id).await.unwrap();
    assert!(chat.bans(&r.owner.user, id).await.unwrap().is_empty());
    chat.accept_invite(&r.member.user, &code).await.unwrap();
    assert_eq!(r.role(&r.member).await, Some(Role::Member));
}

#[tokio::test]
async fn plain_members_cannot_see_the_bans() {
    let r = Room::new().await;
    let err = r.chat.bans(&r.member.user, r.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = r.chat.lift_ban(&r.member, r.id, r.outsider.user.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
}
