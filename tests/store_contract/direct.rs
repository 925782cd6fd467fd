//! Direct conversations: one per pair however it is raced, only between people who share a
//! conversation, shown to the other person once something is said, titled with the other
//! person's name, and closed (hidden) until the next message.

use crate::fixtures::{add_member, append, at, conversation, event, said, summary, user};
use palaver::model::{ConversationKind, EventKind, NotifyLevel};
use palaver::server::store::DirectOpened;
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, UserId};
use std::sync::Arc;

/// The ids in `user`'s side nav.
async fn listed(store: &dyn Store, user: UserId) -> Vec<ConversationId> {
    let rows = store.conversations_for(user).await.unwrap();
    rows.into_iter().map(|c| c.id).collect()
}

async fn open(store: &dyn Store, me: UserId, other: UserId) -> Option<DirectOpened> {
    store.open_direct(me, other, at(1)).await.expect("open")
}

pub async fn a_pair_gets_one_direct_conversation_however_many_open_it_at_once(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    // Fifty requests at once, half from each side (both clicked "Message", some twice).
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            let (me, other) = if i % 2 == 0 {
                (alice.id, bob.id)
            } else {
                (bob.id, alice.id)
            };
            tokio::spawn(async move { store.open_direct(me, other, at(i)).await })
        })
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for task in tasks {
        let opened = task.await.unwrap().expect("no error").expect("shared");
        ids.push(opened.id);
        created += usize::from(opened.created);
    }
    assert_eq!(created, 1, "exactly one call created it");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let dm = ids[0];
    let members = store.members(dm).await.unwrap();
    let mut member_ids: Vec<UserId> = members.iter().map(|m| m.user.id).collect();
    member_ids.sort();
    assert_eq!(member_ids, [alice.id, bob.id], "exactly the two of them");
    assert!(members
        .iter()
        .all(|m| m.role == palaver::model::Role::Member));
    assert_eq!(
        store.conversation_kind(dm).await.unwrap(),
        Some(ConversationKind::Direct)
    );
    assert_eq!(
        store.conversation_kind(room).await.unwrap(),
        Some(ConversationKind::Group)
    );
    assert_eq!(
        store
            .conversation_kind(ConversationId(9_999))
            .await
            .unwrap(),
        None
    );
    // Found again afterwards, from either side.
    assert_eq!(open(&*store, bob.id, alice.id).await.unwrap().id, dm);
    assert_eq!(open(&*store, alice.id, bob.id).await.unwrap().id, dm);
}

pub async fn a_direct_conversation_needs_a_shared_conversation_and_two_people(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    // Carol shares nothing with Alice; user 9999 does not exist: the same answer.
    assert_eq!(open(&*store, alice.id, carol.id).await, None);
    assert_eq!(open(&*store, carol.id, alice.id).await, None);
    assert_eq!(open(&*store, alice.id, UserId(9_999)).await, None);
    assert!(matches!(
        store.open_direct(alice.id, alice.id, at(1)).await,
        Err(StoreError::Forbidden)
    ));
    assert_eq!(listed(&*store, carol.id).await, []);
    assert_eq!(
        listed(&*store, alice.id).await,
        [room],
        "nothing was created"
    );
    // Once they share a room, they may.
    add_member(&*store, room, &alice, &carol).await;
    let opened = open(&*store, carol.id, alice.id).await.expect("shared now");
    assert!(opened.created && opened.shown);
}

pub async fn a_new_direct_conversation_appears_for_the_other_person_with_its_first_message(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    let dm = open(&*store, alice.id, bob.id).await.unwrap().id;
    assert_eq!(listed(&*store, alice.id).await, [dm, room]);
    assert_eq!(listed(&*store, bob.id).await, [room], "nothing said yet");

    // Alice's row: titled with Bob's name, his id, every message notifies by default.
    let row = summary(&*store, dm, alice.id).await;
    assert_eq!(
        (
            row.title.as_str(),
            row.kind,
            row.peer,
            row.notify,
            row.public
        ),
        (
            "bob",
            ConversationKind::Direct,
            Some(bob.id),
            NotifyLevel::All,
            false
        )
    );

    let (first, reopened) = said(&*store, dm, &alice, "hi bob").await;
    assert_eq!(listed(&*store, bob.id).await, [dm, room], "shown once said");
    let bobs = summary(&*store, dm, bob.id).await;
    assert_eq!(
        (bobs.title.as_str(), bobs.peer, bobs.unread),
        ("alice", Some(alice.id), 1)
    );
    // The live notice goes to Bob once, however many messages follow.
    assert_eq!(reopened, [bob.id]);
    assert_eq!(first.conversation_id, dm);
    let (_, reopened) = said(&*store, dm, &alice, "still there?").await;
    assert_eq!(reopened, []);
    let (_, reopened) = said(&*store, room, &alice, "in the room").await;
    assert_eq!(reopened, [], "nobody had closed the room");
}

pub async fn closing_a_direct_conversation_hides_it_until_the_next_message(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    let dm = open(&*store, alice.id, bob.id).await.unwrap().id;
    let (hello, reopened) = said(&*store, dm, &bob, "hello").await;
    // Bob had not seen it (Alice opened it): his own first message shows it to him too.
    assert_eq!(reopened, [bob.id]);
    assert!(store.close_conversation(dm, alice.id).await.unwrap());
    assert_eq!(listed(&*store, alice.id).await, [room]);
    assert_eq!(
        listed(&*store, bob.id).await,
        [dm, room],
        "Bob's is his own"
    );
    let stranger = user(&*store, "stranger").await;
    assert!(!store.close_conversation(dm, stranger.id).await.unwrap());

    // Edits and deletions of what was there do not bring it back...
    let mut edit = event(dm, &bob, EventKind::Edit, Some(hello.seq), "e1", "hello!");
    edit.now = at(5);
    let edited = append(&*store, edit).await.unwrap();
    assert_eq!(edited.reopened, []);
    assert_eq!(listed(&*store, alice.id).await, [room]);

    // ...a new message does (the list reads the messages), and the message that cleared
    // the mark names Alice alone, once.
    let (_, reopened) = said(&*store, dm, &bob, "are you there?").await;
    assert_eq!(listed(&*store, alice.id).await, [dm, room]);
    assert_eq!(reopened, [alice.id]);
    assert_eq!(summary(&*store, dm, alice.id).await.unread, 2);

    // Opening it again shows it at once, nothing said.
    assert!(store.close_conversation(dm, alice.id).await.unwrap());
    assert_eq!(listed(&*store, alice.id).await, [room]);
    let reopened = open(&*store, alice.id, bob.id).await.unwrap();
    assert_eq!(
        (reopened.id, reopened.created, reopened.shown),
        (dm, false, true)
    );
    assert_eq!(listed(&*store, alice.id).await, [dm, room]);
    let again = open(&*store, alice.id, bob.id).await.unwrap();
    assert!(!again.shown, "already shown");
}
