//! Direct messages: opened once per pair, only with someone the caller shares a
//! conversation with, shown to the other person (live) with the first message, closed and
//! brought back, and none of a group's governance.

use super::*;
use crate::model::{ConversationKind, NotifyLevel};

/// The owner and the plain member of the Matrix room, in their direct conversation.
async fn pair() -> (Room, ConversationId) {
    let r = Room::new().await;
    let dm = r
        .chat
        .open_direct(&r.owner.user, r.member.user.id)
        .await
        .expect("open")
        .id;
    (r, dm)
}

fn forbidden(result: Result<impl std::fmt::Debug, CoreError>) -> String {
    match result {
        Err(CoreError::Forbidden(why)) => why.to_owned(),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn opening_shows_it_to_the_opener_and_the_first_message_to_the_other_person_once() {
    let r = Room::new().await;
    let mut owners = r.chat.subscribe(Topic::User(r.owner.user.id));
    let mut members = r.chat.subscribe(Topic::User(r.member.user.id));
    let opened = r
        .chat
        .open_direct(&r.owner.user, r.member.user.id)
        .await
        .unwrap();
    assert_eq!(
        (
            opened.kind,
            opened.title.as_str(),
            opened.peer,
            opened.notify
        ),
        (
            ConversationKind::Direct,
            "member",
            Some(r.member.user.id),
            NotifyLevel::All
        )
    );
    let event = next(&mut owners);
    assert!(matches!(event, HubEvent::Subscribe { conversation, .. } if conversation == opened.id));
    assert!(
        matches!(frame(&event), ServerFrame::ConversationAdded { conversation } if conversation == opened)
    );
    assert_silent(&mut owners);
    assert_silent(&mut members);
    // Found again from either side, with nothing more to announce.
    let again = r
        .chat
        .open_direct(&r.owner.user, r.member.user.id)
        .await
        .unwrap();
    assert_eq!(again.id, opened.id);
    assert_silent(&mut owners);

    r.chat
        .send_message(&r.owner.user, opened.id, "c-1", "hi")
        .await
        .unwrap();
    let event = next(&mut members);
    assert!(matches!(event, HubEvent::Subscribe { conversation, .. } if conversation == opened.id));
    match frame(&event) {
        ServerFrame::ConversationAdded { conversation } => {
            assert_eq!(
                (
                    conversation.title.as_str(),
                    conversation.unread,
                    conversation.peer
                ),
                ("owner", 1, Some(r.owner.user.id))
            );
        }
        other => panic!("{other:?}"),
    }
    // A retry of the same message and the next one announce nothing more.
    r.chat
        .send_message(&r.owner.user, opened.id, "c-1", "hi")
        .await
        .unwrap();
    r.chat
        .send_message(&r.owner.user, opened.id, "c-2", "there?")
        .await
        .unwrap();
    assert_silent(&mut members);
    let listed = r.chat.conversations(&r.member.user).await.unwrap();
    assert!(listed.iter().any(|c| c.id == opened.id && c.unread == 2));
}

#[tokio::test]
async fn only_someone_who_shares_a_conversation_can_be_messaged_and_never_oneself() {
    let r = Room::new().await;
    let stranger = r
        .chat
        .open_direct(&r.outsider.user, r.member.user.id)
        .await
        .unwrap_err();
    let nobody = r
        .chat
        .open_direct(&r.outsider.user, UserId(99_999))
        .await
        .unwrap_err();
    assert!(
        matches!(stranger, CoreError::NotFound("User")),
        "{stranger:?}"
    );
    assert_eq!(
        stranger.to_string(),
        nobody.to_string(),
        "a stranger and no one at all look alike"
    );
    let me = r
        .chat
        .open_direct(&r.member.user, r.member.user.id)
        .await
        .unwrap_err();
    assert!(matches!(
        me,
        CoreError::Invalid(ValidationError::DirectWithSelf)
    ));
    assert!(r
        .chat
        .conversations(&r.outsider.user)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn nothing_of_a_groups_governance_exists_in_a_direct_conversation() {
    let (r, dm) = pair().await;
    let chat = &r.chat;
    for who in [&r.owner, &r.member] {
        let other = if who.user.id == r.owner.user.id {
            &r.member
        } else {
            &r.owner
        };
        let user = &who.user;
        let refusals = [
            forbidden(chat.create_invite(who, dm, None, None).await),
            forbidden(chat.invites(user, dm).await),
            forbidden(chat.rename(who, dm, "New title").await),
            forbidden(chat.set_public(who, dm, true).await),
            forbidden(chat.set_role(who, dm, other.user.id, Role::Admin).await),
            forbidden(chat.transfer_ownership(who, dm, other.user.id).await),
            forbidden(chat.remove_member(who, dm, other.user.id).await),
            forbidden(chat.bans(user, dm).await),
            forbidden(chat.lift_ban(who, dm, other.user.id).await),
            forbidden(chat.audit_log(user, dm, None, None, None).await),
            forbidden(chat.delete_conversation(who, dm, "member").await),
            forbidden(chat.leave(user, dm).await),
        ];
        assert_eq!(refusals[0], "A direct message has no invite links.");
        assert_eq!(
            refusals[11],
            "You cannot leave or delete a direct message; close it to hide it until the next message."
        );
    }
    // Both are still there, and may write, read and choose their notifications.
    let detail = chat.conversation(&r.member.user, dm).await.unwrap();
    assert_eq!(
        (
            detail.kind,
            detail.title.as_str(),
            detail.members.len(),
            detail.my_role
        ),
        (ConversationKind::Direct, "owner", 2, Role::Member)
    );
    let (m, _) = chat
        .send_message(&r.member.user, dm, "c-1", "mine")
        .await
        .unwrap();
    // Each deletes only their own messages.
    assert!(matches!(
        chat.delete_message(&r.owner.user, dm, m.seq, "d-1").await,
        Err(CoreError::NotYours)
    ));
    chat.set_notify_level(&r.member.user, dm, NotifyLevel::None)
        .await
        .unwrap();
    // Closing is for direct messages only.
    let group = forbidden(chat.close_direct(&r.member.user, r.id).await);
    assert_eq!(
        group,
        "Only a direct message can be closed; leave the conversation instead."
    );
}

#[tokio::test]
async fn an_outsider_can_neither_read_nor_write_nor_close_a_direct_conversation() {
    let (r, dm) = pair().await;
    let chat = &r.chat;
    let them = &r.outsider.user;
    assert!(matches!(
        chat.conversation(them, dm).await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.history(them, dm, None).await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.messages_after(them.id, dm, Seq::ZERO, 10).await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.send_message(them, dm, "x-1", "let me in").await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.close_direct(them, dm).await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.set_notify_level(them, dm, NotifyLevel::None).await,
        Err(CoreError::NotMember)
    ));
    assert!(matches!(
        chat.join_public(them, dm).await,
        Err(CoreError::NotPublic)
    ));
    // The admin of the shared room is no member of the pair's conversation either.
    assert!(matches!(
        chat.history(&r.admin.user, dm, None).await,
        Err(CoreError::NotMember)
    ));
}

#[tokio::test]
async fn closing_hides_it_on_every_device_until_the_next_message_brings_it_back() {
    let (r, dm) = pair().await;
    r.chat
        .send_message(&r.member.user, dm, "c-1", "hello")
        .await
        .unwrap();
    let mut owners = r.chat.subscribe(Topic::User(r.owner.user.id));
    r.chat.close_direct(&r.owner.user, dm).await.unwrap();
    assert_eq!(
        frame(&next(&mut owners)),
        ServerFrame::ConversationHidden {
            conversation_id: dm
        }
    );
    assert!(!r
        .chat
        .conversations(&r.owner.user)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == dm));
    // Still a member: the history is there.
    assert_eq!(
        r.chat
            .history(&r.owner.user, dm, None)
            .await
            .unwrap()
            .messages
            .len(),
        1
    );
    r.chat
        .send_message(&r.member.user, dm, "c-2", "back?")
        .await
        .unwrap();
    let event = next(&mut owners);
    assert!(matches!(event, HubEvent::Subscribe { conversation, .. } if conversation == dm));
    assert!(matches!(
        frame(&event),
        ServerFrame::ConversationAdded { conversation } if conversation.id == dm && conversation.unread == 2
    ));
    assert_silent(&mut owners);
}
