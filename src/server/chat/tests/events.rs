//! What reaches the hub: the gateway forwards these, so a rule that publishes the wrong thing
//! (or to the wrong topic) leaks or loses live updates.

use super::*;

#[tokio::test]
async fn a_removal_is_announced_on_the_conversation_and_unsubscribes_the_user() {
    let r = Room::new().await;
    let mut room = r.chat.subscribe(Topic::Conversation(r.id));
    let mut personal = r.chat.subscribe(Topic::User(r.member.user.id));
    r.chat
        .remove_member(&r.owner, r.id, r.member.user.id)
        .await
        .unwrap();

    // In the conversation's order: the "removed" line, then the departure the member's own
    // sockets stop at.
    match frame(&next(&mut room)) {
        ServerFrame::Message { message } => {
            assert_eq!(
                (message.kind, message.author_id),
                (EventKind::Leave, r.member.user.id)
            );
        }
        other => panic!("{other:?}"),
    }
    match next(&mut room) {
        HubEvent::MemberLeft { user, payload } => {
            assert_eq!(user, r.member.user.id);
            assert!(!payload.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_silent(&mut room);
    match next(&mut personal) {
        HubEvent::Unsubscribe {
            conversation,
            payload,
        } => {
            assert_eq!(conversation, r.id);
            let removed: ServerFrame = serde_json::from_slice(&payload).unwrap();
            assert_eq!(
                removed,
                ServerFrame::ConversationRemoved {
                    conversation_id: r.id,
                    reason: RemovalReason::Removed,
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert_silent(&mut personal);
}

#[tokio::test]
async fn leaving_tells_the_leaver_it_was_their_choice() {
    let r = Room::new().await;
    let mut personal = r.chat.subscribe(Topic::User(r.admin.user.id));
    r.chat.leave(&r.admin.user, r.id).await.unwrap();
    let event = next(&mut personal);
    assert!(matches!(event, HubEvent::Unsubscribe { conversation, .. } if conversation == r.id));
    assert_eq!(
        frame(&event),
        ServerFrame::ConversationRemoved {
            conversation_id: r.id,
            reason: RemovalReason::Left,
        }
    );
}

#[tokio::test]
async fn joining_announces_the_member_then_subscribes_their_sockets() {
    let r = Room::new().await;
    let code = r.invite().await;
    let mut room = r.chat.subscribe(Topic::Conversation(r.id));
    let mut personal = r.chat.subscribe(Topic::User(r.outsider.user.id));
    r.chat.accept_invite(&r.outsider.user, &code).await.unwrap();
    assert!(matches!(
        frame(&next(&mut room)),
        ServerFrame::MemberJoined { member, .. } if member.user.id == r.outsider.user.id
    ));
    assert!(matches!(
        frame(&next(&mut room)),
        ServerFrame::Message { message } if message.kind == EventKind::Join
    ));
    assert_silent(&mut room);
    let event = next(&mut personal);
    assert!(matches!(event, HubEvent::Subscribe { conversation, .. } if conversation == r.id));
    assert!(matches!(
        frame(&event),
        ServerFrame::ConversationAdded { conversation } if conversation.id == r.id
    ));
}

#[tokio::test]
async fn deleting_unsubscribes_every_member() {
    let r = Room::new().await;
    let mut personal: Vec<_> = [&r.owner, &r.admin, &r.member]
        .iter()
        .map(|who| r.chat.subscribe(Topic::User(who.user.id)))
        .collect();
    r.chat
        .delete_conversation(&r.owner, r.id, TITLE)
        .await
        .unwrap();
    for rx in &mut personal {
        assert_eq!(
            frame(&next(rx)),
            ServerFrame::ConversationRemoved {
                conversation_id: r.id,
                reason: RemovalReason::Deleted,
            }
        );
    }
}

#[tokio::test]
async fn refused_actions_publish_nothing() {
    let r = Room::new().await;
    let mut room = r.chat.subscribe(Topic::Conversation(r.id));
    let mut member = r.chat.subscribe(Topic::User(r.member.user.id));
    let seq = r.say(&r.admin, "admin's").await;
    next(&mut room);
    let (chat, id) = (&r.chat, r.id);
    assert!(chat
        .remove_member(&r.member, id, r.admin.user.id)
        .await
        .is_err());
    assert!(chat
        .set_role(&r.admin, id, r.member.user.id, Role::Admin)
        .await
        .is_err());
    assert!(chat.rename(&r.member, id, "Mine").await.is_err());
    assert!(chat.set_public(&r.admin, id, true).await.is_err());
    assert!(chat
        .delete_conversation(&r.owner, id, "wrong")
        .await
        .is_err());
    assert!(chat
        .edit_message(&r.member.user, id, seq, "e", "x")
        .await
        .is_err());
    assert!(chat
        .delete_message(&r.member.user, id, seq, "d")
        .await
        .is_err());
    assert!(chat.typing(&r.outsider.user, id).await.is_err());
    assert!(chat.leave(&r.owner.user, id).await.is_err());
    assert_silent(&mut room);
    assert_silent(&mut member);
}

#[tokio::test]
async fn typing_reaches_the_conversation_and_read_positions_only_the_reader() {
    let r = Room::new().await;
    let mut room = r.chat.subscribe(Topic::Conversation(r.id));
    let mut reader = r.chat.subscribe(Topic::User(r.member.user.id));
    let seq = r.say(&r.admin, "read me").await;
    next(&mut room);

    r.chat.typing(&r.member.user, r.id).await.unwrap();
    assert_eq!(
        frame(&next(&mut room)),
        ServerFrame::Typing {
            conversation_id: r.id,
            user: r.member.user.clone(),
        }
    );
    assert_eq!(
        r.chat.mark_read(&r.member.user, r.id, seq).await.unwrap(),
        seq
    );
    assert_eq!(
        frame(&next(&mut reader)),
        ServerFrame::ReadUpTo {
            conversation_id: r.id,
            seq,
        }
    );
    // An older position does not move the marker back and publishes nothing.
    assert_eq!(
        r.chat
            .mark_read(&r.member.user, r.id, Seq(1))
            .await
            .unwrap(),
        seq
    );
    assert_silent(&mut reader);
    assert_silent(&mut room);
}

#[tokio::test]
async fn an_audit_line_about_a_conversation_reaches_its_owner_only() {
    let r = Room::new().await;
    let mut owner = r.chat.subscribe(Topic::User(r.owner.user.id));
    let mut admin = r.chat.subscribe(Topic::User(r.admin.user.id));
    let mut room = r.chat.subscribe(Topic::Conversation(r.id));
    r.chat
        .create_invite(&r.admin, r.id, None, None)
        .await
        .expect("invite");
    match frame(&next(&mut owner)) {
        ServerFrame::AuditAppended { conversation_id } => assert_eq!(conversation_id, r.id),
        other => panic!("expected audit_appended, got {other:?}"),
    }
    assert_silent(&mut owner);
    assert_silent(&mut admin);
    assert_silent(&mut room);
}
