//! Mentions resolve to members by id when a message is sent or edited; notification levels
//! are the member's own and follow them to their other sockets.

use super::*;
use crate::model::NotifyLevel;

async fn sent(r: &Room, who: &SessionUser, client_id: &str, body: &str) -> MessageView {
    r.chat
        .send_message(&who.user, r.id, client_id, body)
        .await
        .expect("send")
        .0
}

#[tokio::test]
async fn mentions_name_members_only_once_each_by_id() {
    let r = Room::new().await;
    let m = sent(
        &r,
        &r.owner,
        "m-1",
        "@MEMBER and @admin, also @outsider, mail@admin.org and @member again",
    )
    .await;
    assert_eq!(
        m.mentions,
        [r.member.user.id, r.admin.user.id],
        "the outsider is not a member; an e-mail address mentions no one"
    );
    let plain = sent(&r, &r.owner, "m-2", "no names here").await;
    assert!(plain.mentions.is_empty());
}

#[tokio::test]
async fn an_edit_recomputes_the_mentions_from_the_new_text() {
    let r = Room::new().await;
    let m = sent(&r, &r.member, "m-1", "ping @admin").await;
    let (edit, _) = r
        .chat
        .edit_message(&r.member.user, r.id, m.seq, "e-1", "ping @owner instead")
        .await
        .unwrap();
    assert_eq!(edit.mentions, [r.owner.user.id]);
    let history = r.chat.history(&r.owner.user, r.id, None).await.unwrap();
    let now = history.messages.iter().find(|x| x.seq == m.seq).unwrap();
    assert_eq!(now.mentions, [r.owner.user.id]);
    let store = &r.chat.store;
    let admin = store
        .conversation_summary(r.id, r.admin.user.id)
        .await
        .unwrap();
    let owner = store
        .conversation_summary(r.id, r.owner.user.id)
        .await
        .unwrap();
    assert_eq!((admin.unwrap().mentions, owner.unwrap().mentions), (0, 1));
}

#[tokio::test]
async fn too_many_names_are_refused_before_anything_is_written() {
    let r = Room::new().await;
    let body: String = (0..51).map(|i| format!("@name{i} ")).collect();
    let err = r.chat.send_message(&r.owner.user, r.id, "m-1", &body).await;
    assert!(
        matches!(
            err,
            Err(CoreError::Invalid(ValidationError::TooManyMentions))
        ),
        "{err:?}"
    );
    let history = r.chat.history(&r.owner.user, r.id, None).await.unwrap();
    assert!(history.messages.iter().all(|m| m.client_id != "m-1"));
}

#[tokio::test]
async fn a_notify_level_is_stored_for_the_member_and_sent_to_their_sockets() {
    let r = Room::new().await;
    let mut mine = r.chat.subscribe(Topic::User(r.member.user.id));
    let mut others = r.chat.subscribe(Topic::User(r.admin.user.id));
    r.chat
        .set_notify_level(&r.member.user, r.id, NotifyLevel::Mentions)
        .await
        .unwrap();
    match frame(&next(&mut mine)) {
        ServerFrame::NotifyLevel {
            conversation_id,
            level,
        } => assert_eq!((conversation_id, level), (r.id, NotifyLevel::Mentions)),
        other => panic!("expected notify_level, got {other:?}"),
    }
    assert_silent(&mut others);
    let listed = r.chat.conversations(&r.member.user).await.unwrap();
    let row = listed.iter().find(|c| c.id == r.id).unwrap();
    assert_eq!(row.notify, NotifyLevel::Mentions);

    let err = r
        .chat
        .set_notify_level(&r.outsider.user, r.id, NotifyLevel::None)
        .await;
    assert!(matches!(err, Err(CoreError::NotMember)), "{err:?}");
}
