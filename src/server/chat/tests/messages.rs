//! Messages: only members read and write, authors edit their own, moderators delete anyone's.

use super::*;

#[tokio::test]
async fn outsiders_neither_read_nor_write() {
    let r = Room::new().await;
    let (chat, id, who) = (&r.chat, r.id, &r.outsider.user);
    r.say(&r.member, "hello").await;
    let refusals = [
        chat.send_message(who, id, "x-1", "let me in").await.err(),
        chat.history(who, id, None).await.err(),
        chat.messages_after(who.id, id, Seq(0), 10).await.err(),
        chat.conversation(who, id).await.err(),
        chat.mark_read(who, id, Seq(1)).await.err(),
        chat.typing(who, id).await.err(),
    ];
    for (i, err) in refusals.into_iter().enumerate() {
        assert!(matches!(err, Some(CoreError::NotMember)), "#{i}: {err:?}");
    }
    let history = chat.history(&r.owner.user, id, None).await.unwrap();
    assert!(history.messages.iter().all(|m| m.author_id != who.id));
}

#[tokio::test]
async fn only_the_author_edits_a_message() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let seq = r.say(&r.member, "original").await;
    for moderator in [&r.admin, &r.owner] {
        let err = chat
            .edit_message(&moderator.user, id, seq, "e-1", "pwned")
            .await;
        assert!(matches!(err, Err(CoreError::NotYours)), "{err:?}");
    }
    let err = chat
        .edit_message(&r.member.user, id, Seq(999), "e-2", "x")
        .await;
    assert!(
        matches!(err, Err(CoreError::NotFound("Message"))),
        "{err:?}"
    );
    chat.edit_message(&r.member.user, id, seq, "e-3", "edited")
        .await
        .unwrap();
    let history = chat.history(&r.owner.user, id, None).await.unwrap();
    let m = history.messages.iter().find(|m| m.seq == seq).unwrap();
    assert_eq!(m.body, "edited");
    assert!(m.edited_at.is_some());
}

#[tokio::test]
async fn authors_delete_their_own_and_owners_and_admins_anyones() {
    let r = Room::new().await;
    let (chat, id) = (&r.chat, r.id);
    let by_admin = r.say(&r.admin, "admin's").await;
    let by_member = r.say(&r.member, "member's").await;
    let own = r.say(&r.member, "own").await;
    let err = chat
        .delete_message(&r.member.user, id, by_admin, "d-1")
        .await;
    assert!(matches!(err, Err(CoreError::NotYours)), "{err:?}");
    chat.delete_message(&r.admin.user, id, by_member, "d-2")
        .await
        .unwrap();
    chat.delete_message(&r.member.user, id, own, "d-3")
        .await
        .unwrap();
    // Deleted stays deleted: not even its author edits it back.
    let err = chat
        .edit_message(&r.member.user, id, own, "e-1", "back")
        .await;
    assert!(matches!(err, Err(CoreError::NotYours)), "{err:?}");

    let history = chat.history(&r.owner.user, id, None).await.unwrap();
    let body = |seq| {
        let m = history.messages.iter().find(|m| m.seq == seq).unwrap();
        (m.deleted, m.body.clone())
    };
    assert_eq!(body(by_admin), (false, "admin's".to_owned()));
    assert_eq!(body(by_member), (true, String::new()));
    assert_eq!(body(own), (true, String::new()));
}

#[tokio::test]
async fn a_retried_client_id_is_stored_and_published_once() {
    let r = Room::new().await;
    let mut rx = r.chat.subscribe(Topic::Conversation(r.id));
    let send = || r.chat.send_message(&r.member.user, r.id, "same", "once");
    let (first, created) = send().await.unwrap();
    assert!(created);
    let (again, created) = send().await.unwrap();
    assert!(!created, "the retry is recognised");
    assert_eq!(again.seq, first.seq);
    match next(&mut rx) {
        HubEvent::Sequenced { seq, .. } => assert_eq!(seq, first.seq),
        other => panic!("{other:?}"),
    }
    assert_silent(&mut rx);
}

#[tokio::test]
async fn bad_bodies_and_client_ids_are_refused_before_anything_is_stored() {
    let r = Room::new().await;
    let mut rx = r.chat.subscribe(Topic::Conversation(r.id));
    let long_id = "x".repeat(CLIENT_ID_MAX + 1);
    let cases = [
        ("c-1", ""),
        ("c-2", "   "),
        ("", "hi"),
        (long_id.as_str(), "hi"),
    ];
    for (client_id, body) in cases {
        let err = r
            .chat
            .send_message(&r.member.user, r.id, client_id, body)
            .await;
        assert!(
            matches!(err, Err(CoreError::Invalid(_))),
            "{body:?}: {err:?}"
        );
    }
    assert_silent(&mut rx);
}
