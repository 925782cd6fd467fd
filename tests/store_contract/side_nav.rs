//! The side nav: conversations of a user, newest activity first, with a preview of the last
//! message, unread counts, and read positions.

use crate::fixtures::{add_member, append, at, conversation, event, last_seq, say, summary, user};
use palaver::model::{EventKind, MessagePreview, Role, UNREAD_CAP};
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, UserId};
use std::sync::Arc;

async fn unread(store: &dyn Store, id: ConversationId, user: UserId) -> i64 {
    summary(store, id, user).await.unread
}

pub async fn the_side_nav_lists_conversations_newest_activity_first_with_a_preview(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let first = conversation(&*store, &alice, "first").await;
    let second = conversation(&*store, &alice, "second").await;
    let order = |list: Vec<palaver::model::ConversationSummary>| -> Vec<ConversationId> {
        list.into_iter().map(|c| c.id).collect()
    };
    // Same activity time: the newer conversation first.
    assert_eq!(
        order(store.conversations_for(alice.id).await.unwrap()),
        [second, first]
    );
    let listed = store.conversations_for(alice.id).await.unwrap();
    assert_eq!(
        (
            listed[0].title.as_str(),
            listed[0].last_seq,
            listed[0].public
        ),
        ("second", Seq(0), false)
    );
    assert_eq!(listed[0].last_message, None);

    let mut m = event(second, &alice, EventKind::Message, None, "s1", "in second");
    m.now = at(5);
    append(&*store, m).await.unwrap();
    let mut m = event(
        first,
        &alice,
        EventKind::Message,
        None,
        "f1",
        "two\n   lines",
    );
    m.now = at(10);
    append(&*store, m).await.unwrap();
    // Edits and deletions change no activity time.
    let mut edit = event(
        second,
        &alice,
        EventKind::Edit,
        Some(Seq(1)),
        "s1-e",
        "in second, edited",
    );
    edit.now = at(20);
    append(&*store, edit).await.unwrap();

    let listed = store.conversations_for(alice.id).await.unwrap();
    assert_eq!(order(listed.clone()), [first, second]);
    assert_eq!(listed[0].last_activity_at, at(10));
    assert_eq!(listed[0].last_seq, Seq(1));
    assert_eq!(
        listed[0].last_message,
        Some(MessagePreview::new("alice".into(), "two lines"))
    );
    assert_eq!(listed[1].last_seq, Seq(2));
    assert_eq!(
        listed[1].last_message.as_ref().map(|p| p.body.as_str()),
        Some("in second, edited")
    );

    // A deleted message is no preview; an older one takes its place, or none.
    let mut delete = event(first, &alice, EventKind::Delete, Some(Seq(1)), "f1-d", "");
    delete.now = at(30);
    append(&*store, delete).await.unwrap();
    let summary = store
        .conversation_summary(first, alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.last_message, None);
    assert_eq!(summary.last_activity_at, at(10));

    assert!(store.conversations_for(bob.id).await.unwrap().is_empty());
    assert_eq!(
        store.conversation_summary(first, bob.id).await.unwrap(),
        None
    );
    let mut ids = store.conversation_ids_for(alice.id).await.unwrap();
    ids.sort();
    assert_eq!(ids, [first, second]);
    add_member(&*store, first, &alice, &bob).await;
    assert_eq!(
        order(store.conversations_for(bob.id).await.unwrap()),
        [first]
    );
}

pub async fn unread_counts_others_messages_after_the_read_position_up_to_the_cap(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let id = conversation(&*store, &alice, "unread").await;
    add_member(&*store, id, &alice, &bob).await;
    for n in 0..3 {
        say(&*store, id, &alice, &format!("alice {n}")).await;
    }
    let bob_0 = say(&*store, id, &bob, "bob 0").await.seq;
    let bob_1 = say(&*store, id, &bob, "bob 1").await.seq;

    // Bob's join event (before them all) is not unread for Alice either.
    assert_eq!(unread(&*store, id, alice.id).await, 2, "not one's own");
    assert_eq!(unread(&*store, id, bob.id).await, 3);

    // Deleted messages, and events that are not messages, are not unread.
    let delete = event(id, &bob, EventKind::Delete, Some(bob_1), "d", "");
    append(&*store, delete).await.unwrap();
    let edit = event(id, &bob, EventKind::Edit, Some(bob_0), "e", "bob 0, edited");
    append(&*store, edit).await.unwrap();
    let before_carol = last_seq(&*store, id, &alice).await;
    add_member(&*store, id, &alice, &carol).await;
    assert_eq!(
        last_seq(&*store, id, &alice).await,
        before_carol.plus(1),
        "Carol's join event"
    );
    assert_eq!(unread(&*store, id, alice.id).await, 1);

    for n in 0..UNREAD_CAP + 5 {
        say(&*store, id, &bob, &format!("flood {n}")).await;
    }
    assert_eq!(unread(&*store, id, alice.id).await, UNREAD_CAP);

    let last = last_seq(&*store, id, &alice).await;
    store.mark_read(id, alice.id, last).await.unwrap();
    assert_eq!(unread(&*store, id, alice.id).await, 0);
}

pub async fn mark_read_moves_forward_only_and_never_past_the_last_seq(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "reads").await;
    assert_eq!(
        store.membership(id, alice.id).await.unwrap(),
        Some((Role::Owner, Seq(0)))
    );
    for n in 0..5 {
        say(&*store, id, &alice, &format!("m{n}")).await;
    }

    assert_eq!(
        store.mark_read(id, alice.id, Seq(3)).await.unwrap(),
        (Seq(3), true)
    );
    assert_eq!(
        store.mark_read(id, alice.id, Seq(2)).await.unwrap(),
        (Seq(3), false),
        "never back"
    );
    assert_eq!(
        store.mark_read(id, alice.id, Seq(3)).await.unwrap(),
        (Seq(3), false)
    );
    assert_eq!(
        store.mark_read(id, alice.id, Seq(99)).await.unwrap(),
        (Seq(5), true),
        "clamped to the last seq"
    );
    assert_eq!(
        store.mark_read(id, alice.id, Seq(6)).await.unwrap(),
        (Seq(5), false)
    );
    assert_eq!(
        store.membership(id, alice.id).await.unwrap(),
        Some((Role::Owner, Seq(5)))
    );

    assert!(matches!(
        store.mark_read(id, bob.id, Seq(1)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.membership(id, bob.id).await.unwrap(), None);
}
