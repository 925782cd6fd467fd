//! Invite links: who creates them, their limits, revocation.

use super::*;

#[tokio::test]
async fn invite_limits_out_of_range_are_refused_with_the_reason() {
    let r = Room::new().await;
    let create = |hours, uses| r.chat.create_invite(&r.owner, r.id, hours, uses);
    for hours in [-1, INVITE_MAX_TTL_HOURS + 1] {
        let err = create(Some(hours), None).await;
        assert!(
            matches!(err, Err(CoreError::Invalid(ValidationError::InviteExpiry(days))) if days == INVITE_MAX_TTL_HOURS / 24),
            "{hours} h: {err:?}"
        );
    }
    for uses in [0, -3, INVITE_MAX_USES + 1] {
        let err = create(None, Some(uses)).await;
        assert!(
            matches!(err, Err(CoreError::Invalid(ValidationError::InviteUses(n))) if n == INVITE_MAX_USES),
            "{uses} uses: {err:?}"
        );
    }
    let before = r.chat.invites(&r.owner.user, r.id).await.unwrap().len();
    assert_eq!(
        before, 1,
        "only the room's own link: the refusals stored none"
    );

    // The bounds themselves are fine; 0 hours is a link that never expires.
    let forever = create(Some(0), Some(1)).await.unwrap();
    assert_eq!(forever.info.expires_at, None);
    assert_eq!(forever.info.max_uses, Some(1));
    let longest = create(Some(INVITE_MAX_TTL_HOURS), Some(INVITE_MAX_USES))
        .await
        .unwrap();
    let lifetime = longest
        .info
        .expires_at
        .unwrap()
        .ms_since(longest.info.created_at);
    assert_eq!(lifetime, INVITE_MAX_TTL_HOURS * 3_600_000);
    let default = create(None, None).await.unwrap();
    let lifetime = default
        .info
        .expires_at
        .unwrap()
        .ms_since(default.info.created_at);
    assert_eq!(lifetime, INVITE_DEFAULT_TTL_HOURS * 3_600_000);
    assert!(forever.url.starts_with("http://test/invite/"));
}

#[tokio::test]
async fn only_owners_and_admins_create_list_and_revoke_invites() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let err = chat.create_invite(&r.member, id, None, None).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let err = chat.create_invite(&r.outsider, id, None, None).await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
    let err = chat.invites(&r.member.user, id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let invite = chat.create_invite(&r.admin, id, None, None).await.unwrap();
    let err = chat.revoke_invite(&r.member, id, invite.info.id).await;
    assert!(matches!(err, Err(CoreError::Forbidden(_))), "{err:?}");
    let listed = chat.invites(&r.admin.user, id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|i| !i.revoked));
}

#[tokio::test]
async fn a_revoked_or_used_up_link_lets_nobody_in() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let once = chat
        .create_invite(&r.owner, id, None, Some(1))
        .await
        .unwrap();
    let late = user(chat, "late").await;
    chat.accept_invite(&r.outsider.user, &once.code)
        .await
        .unwrap();
    let err = chat.accept_invite(&late.user, &once.code).await;
    assert!(matches!(err, Err(CoreError::InviteInvalid)), "{err:?}");

    let revoked = chat.create_invite(&r.admin, id, None, None).await.unwrap();
    chat.revoke_invite(&r.admin, id, revoked.info.id)
        .await
        .unwrap();
    let err = chat.accept_invite(&late.user, &revoked.code).await;
    assert!(matches!(err, Err(CoreError::InviteInvalid)), "{err:?}");
    assert_eq!(r.role(&late).await, None);
    // A member following a dead link just lands in the conversation.
    assert_eq!(
        chat.accept_invite(&r.outsider.user, &revoked.code)
            .await
            .unwrap(),
        id
    );
}
