//! Mentions and notification levels: which members a name finds, the mention set a message
//! carries through edits and deletion, unread-mention counts, and each member's level.

use crate::fixtures::{add_member, append, conversation, event, summary, user};
use palaver::model::{EventKind, NotifyLevel, NOTIFY_ALL_MAX_MEMBERS};
use palaver::server::{Store, StoreError};
use std::sync::Arc;

pub async fn members_are_found_by_name_key_and_only_in_their_conversation(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "Bob.B").await;
    user(&*store, "carol").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    let keys = ["bob.b", "carol", "alice", "nobody"].map(String::from);
    let mut found = store.members_by_key(room, &keys).await.unwrap();
    found.sort();
    assert_eq!(
        found,
        [("alice".to_owned(), alice.id), ("bob.b".to_owned(), bob.id)],
        "carol exists but is not a member; nobody does not exist"
    );
    assert_eq!(store.members_by_key(room, &[]).await.unwrap(), []);
}

pub async fn a_message_keeps_its_mentions_through_edits_and_loses_them_when_deleted(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    add_member(&*store, room, &alice, &carol).await;

    let mut m = event(
        room,
        &alice,
        EventKind::Message,
        None,
        "m1",
        "@bob @alice look",
    );
    let both = [bob.id, alice.id];
    m.mentions = &both;
    let sent = append(&*store, m).await.unwrap().message;
    assert_eq!(sent.mentions, both, "as sent, self-mentions included");
    let stored = |store: Arc<dyn Store>| async move {
        let history = store.history(room, None, 10).await.unwrap();
        history
            .into_iter()
            .find(|m| m.seq == sent.seq)
            .expect("in history")
    };
    assert_eq!(stored(store.clone()).await.mentions, both);
    assert_eq!(summary(&*store, room, bob.id).await.mentions, 1);
    assert_eq!(summary(&*store, room, carol.id).await.mentions, 0);
    assert_eq!(
        summary(&*store, room, alice.id).await.mentions,
        0,
        "mentioning oneself counts for nothing"
    );

    // The edit names carol instead of bob: the set and the counts follow the new text.
    let mut edit = event(
        room,
        &alice,
        EventKind::Edit,
        Some(sent.seq),
        "e1",
        "@carol look",
    );
    let just_carol = [carol.id];
    edit.mentions = &just_carol;
    let edited = append(&*store, edit).await.unwrap().message;
    assert_eq!(
        edited.mentions, just_carol,
        "the edit event carries its set"
    );
    assert_eq!(stored(store.clone()).await.mentions, just_carol);
    assert_eq!(summary(&*store, room, bob.id).await.mentions, 0);
    assert_eq!(summary(&*store, room, carol.id).await.mentions, 1);
    let caught_up = store.messages_after(room, sent.seq, 10).await.unwrap();
    assert_eq!(
        caught_up[0].mentions, just_carol,
        "catching up sees the edit's set"
    );

    // Reading past it clears the count; it stays cleared.
    let last = caught_up.last().unwrap().seq;
    store.mark_read(room, carol.id, last).await.unwrap();
    assert_eq!(summary(&*store, room, carol.id).await.mentions, 0);

    let mut m = event(room, &bob, EventKind::Message, None, "m2", "@carol again");
    m.mentions = &just_carol;
    let again = append(&*store, m).await.unwrap().message;
    assert_eq!(summary(&*store, room, carol.id).await.mentions, 1);
    let delete = event(room, &bob, EventKind::Delete, Some(again.seq), "d1", "");
    append(&*store, delete).await.unwrap();
    assert_eq!(
        summary(&*store, room, carol.id).await.mentions,
        0,
        "a deleted mention does not count"
    );
    let history = store.history(room, None, 10).await.unwrap();
    let gone = history.iter().find(|m| m.seq == again.seq).unwrap();
    assert!(gone.deleted && gone.mentions.is_empty());
}

pub async fn the_notify_level_is_the_members_choice_or_the_default_for_the_rooms_size(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    assert_eq!(
        summary(&*store, room, bob.id).await.notify,
        NotifyLevel::All
    );

    store
        .set_notify_level(room, bob.id, NotifyLevel::None)
        .await
        .unwrap();
    assert_eq!(
        summary(&*store, room, bob.id).await.notify,
        NotifyLevel::None
    );
    assert_eq!(
        summary(&*store, room, alice.id).await.notify,
        NotifyLevel::All,
        "bob's alone"
    );

    let stranger = user(&*store, "stranger").await;
    assert!(matches!(
        store
            .set_notify_level(room, stranger.id, NotifyLevel::All)
            .await,
        Err(StoreError::NotMember)
    ));

    // Past the threshold the default becomes mentions only; a choice still wins.
    let big = conversation(&*store, &alice, "big").await;
    for n in 0..NOTIFY_ALL_MAX_MEMBERS - 1 {
        let member = user(&*store, &format!("member{n}")).await;
        add_member(&*store, big, &alice, &member).await;
    }
    assert_eq!(
        summary(&*store, big, alice.id).await.notify,
        NotifyLevel::All,
        "exactly at it"
    );
    add_member(&*store, big, &alice, &bob).await;
    assert_eq!(
        summary(&*store, big, alice.id).await.notify,
        NotifyLevel::Mentions
    );
    store
        .set_notify_level(big, bob.id, NotifyLevel::All)
        .await
        .unwrap();
    assert_eq!(summary(&*store, big, bob.id).await.notify, NotifyLevel::All);
}
