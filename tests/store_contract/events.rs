//! The event sequence: gap-free seqs, idempotent client ids, edits and deletions, who may
//! append, and reading it back (history pages backwards, resume forwards).

use crate::fixtures::{
    add_member, append, at, conversation, event, last_seq, leave, remove, say, seqs, user,
};
use palaver::model::EventKind;
use palaver::server::{Store, StoreError};
use palaver::Seq;
use std::sync::Arc;

pub async fn seqs_have_no_gaps_under_eight_concurrent_writers(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const EACH: usize = 50;
    let owner = user(&*store, "owner").await;
    let id = conversation(&*store, &owner, "busy").await;
    let mut writers = vec![owner.clone()];
    for i in 1..WRITERS {
        let writer = user(&*store, &format!("writer{i}")).await;
        add_member(&*store, id, &owner, &writer).await;
        writers.push(writer);
    }
    // Each join wrote its `join` event: the writers' seqs follow them.
    let base = last_seq(&*store, id, &owner).await;
    assert_eq!(
        base,
        Seq((WRITERS - 1) as i64),
        "one join event per added writer"
    );

    let tasks: Vec<_> = writers
        .into_iter()
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::with_capacity(EACH);
                for n in 0..EACH {
                    let client_id = format!("{}-{n}", writer.username);
                    let inserted = append(
                        &*store,
                        event(
                            id,
                            &writer,
                            EventKind::Message,
                            None,
                            &client_id,
                            &client_id,
                        ),
                    )
                    .await
                    .expect("append under contention");
                    assert!(inserted.created);
                    mine.push(inserted.message.seq);
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        let mine = task.await.expect("writer task");
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "one writer's seqs increase: {mine:?}"
        );
        all.extend(mine);
    }

    let total = (WRITERS * EACH) as i64;
    let last = base.plus(total);
    all.sort_unstable();
    assert_eq!(
        all,
        (base.0 + 1..=last.0).map(Seq).collect::<Vec<_>>(),
        "each seq after the joins handed out once"
    );
    let stored = store.messages_after(id, Seq(0), 1_000).await.unwrap();
    assert_eq!(
        seqs(&stored),
        (1..=last.0).collect::<Vec<_>>(),
        "joins and messages, no gap"
    );
    let (joins, messages) = stored.split_at(base.0 as usize);
    assert!(joins.iter().all(|e| e.kind == EventKind::Join));
    assert!(messages.iter().all(|e| e.kind == EventKind::Message));
    assert_eq!(last_seq(&*store, id, &owner).await, last);
}

pub async fn a_retried_client_id_returns_the_stored_event_without_taking_a_seq(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "retries").await;
    add_member(&*store, id, &alice, &bob).await;
    let base = last_seq(&*store, id, &alice).await;
    let first = say(&*store, id, &alice, "hello").await;
    assert_eq!(first.seq, base.plus(1));

    let mut retry = event(
        id,
        &alice,
        EventKind::Message,
        None,
        "c-hello",
        "hello again",
    );
    retry.now = at(50);
    let again = append(&*store, retry).await.unwrap();
    assert!(!again.created);
    assert_eq!(
        again.message, first,
        "the stored event, not the retry's text or time"
    );

    assert_eq!(
        say(&*store, id, &alice, "world").await.seq,
        base.plus(2),
        "no seq was taken"
    );
    // Client ids are the sender's own: Bob may use the same one.
    let bobs = append(
        &*store,
        event(id, &bob, EventKind::Message, None, "c-hello", "hi"),
    )
    .await
    .unwrap();
    assert!(bobs.created);
    assert_eq!(bobs.message.seq, base.plus(3));

    // A retried edit is not applied twice.
    let edit = event(
        id,
        &alice,
        EventKind::Edit,
        Some(first.seq),
        "e-1",
        "hello, edited",
    );
    assert!(append(&*store, edit).await.unwrap().created);
    let edit = event(
        id,
        &alice,
        EventKind::Edit,
        Some(first.seq),
        "e-1",
        "something else",
    );
    let retried = append(&*store, edit).await.unwrap();
    assert!(!retried.created);
    assert_eq!(
        (retried.message.seq, retried.message.kind),
        (base.plus(4), EventKind::Edit)
    );
    let history = store.history(id, None, 10).await.unwrap();
    let hello = history.iter().find(|m| m.seq == first.seq).expect("hello");
    assert_eq!(hello.body, "hello, edited");
    assert_eq!(
        seqs(&store.messages_after(id, Seq(0), 10).await.unwrap()),
        (1..=base.0 + 4).collect::<Vec<_>>()
    );
}

pub async fn only_the_author_edits_a_message(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "edits").await;
    add_member(&*store, id, &alice, &bob).await;
    let base = last_seq(&*store, id, &alice).await;
    let draft = say(&*store, id, &bob, "draft").await.seq;
    assert_eq!(draft, base.plus(1));

    let by_owner = event(id, &alice, EventKind::Edit, Some(draft), "e-a", "rewritten");
    let mut as_moderator = event(id, &alice, EventKind::Edit, Some(draft), "e-m", "rewritten");
    as_moderator.moderator = true;
    for (who, attempt) in [("owner", by_owner), ("moderator", as_moderator)] {
        assert!(
            matches!(append(&*store, attempt).await, Err(StoreError::Forbidden)),
            "an {who} does not edit someone else's message"
        );
    }
    let missing = event(
        id,
        &bob,
        EventKind::Edit,
        Some(Seq(99)),
        "e-x",
        "nothing there",
    );
    assert!(matches!(
        append(&*store, missing).await,
        Err(StoreError::NotFound)
    ));
    // Nor is a join event a message to edit, even one's own.
    let of_join = event(id, &bob, EventKind::Edit, Some(base), "e-j", "joined!");
    assert!(matches!(
        append(&*store, of_join).await,
        Err(StoreError::NotFound)
    ));

    let mut edit = event(id, &bob, EventKind::Edit, Some(draft), "e-1", "final");
    edit.now = at(5);
    let edited = append(&*store, edit).await.unwrap();
    assert!(edited.created);
    assert_eq!(
        edited.message.seq,
        draft.plus(1),
        "refused edits took no seq"
    );
    assert_eq!(edited.message.kind, EventKind::Edit);
    assert_eq!(edited.message.target_seq, Some(draft));
    assert_eq!(edited.message.body, "final");

    // An edit event is not itself a message to edit.
    let of_edit = event(
        id,
        &bob,
        EventKind::Edit,
        Some(edited.message.seq),
        "e-2",
        "meta",
    );
    assert!(matches!(
        append(&*store, of_edit).await,
        Err(StoreError::NotFound)
    ));

    let history = store.history(id, None, 10).await.unwrap();
    assert_eq!(
        seqs(&history),
        (1..=base.0).chain([draft.0]).collect::<Vec<_>>(),
        "the joins and the message: edits are not shown as events of their own"
    );
    let message = history.last().unwrap();
    assert_eq!(message.body, "final");
    assert_eq!(message.edited_at, Some(at(5)));
    assert!(!message.deleted);
}

pub async fn the_author_or_a_moderator_deletes_and_deleted_stays_deleted(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let id = conversation(&*store, &alice, "deletions").await;
    add_member(&*store, id, &alice, &bob).await;
    add_member(&*store, id, &alice, &carol).await;
    let base = last_seq(&*store, id, &alice).await;
    let secret = say(&*store, id, &bob, "secret").await.seq;
    assert_eq!(secret, base.plus(1));
    let edit = event(
        id,
        &bob,
        EventKind::Edit,
        Some(secret),
        "e-1",
        "secret, edited",
    );
    append(&*store, edit).await.unwrap();

    let by_member = event(id, &carol, EventKind::Delete, Some(secret), "d-c", "");
    assert!(matches!(
        append(&*store, by_member).await,
        Err(StoreError::Forbidden)
    ));
    let mut by_moderator = event(id, &alice, EventKind::Delete, Some(secret), "d-a", "");
    by_moderator.moderator = true;
    let deleted = append(&*store, by_moderator).await.unwrap();
    assert!(deleted.created);
    assert_eq!(
        (deleted.message.seq, deleted.message.kind),
        (base.plus(3), EventKind::Delete)
    );

    let history = store.history(id, None, 10).await.unwrap();
    assert_eq!(
        seqs(&history),
        (1..=base.0).chain([secret.0]).collect::<Vec<_>>()
    );
    let message = history.last().unwrap();
    assert!(message.deleted);
    assert_eq!(message.body, "", "the text is gone");
    let events = store.messages_after(id, Seq(0), 10).await.unwrap();
    assert_eq!(seqs(&events), (1..=base.0 + 3).collect::<Vec<_>>());
    let events = &events[base.0 as usize..];
    assert_eq!(events[1].kind, EventKind::Edit);
    assert_eq!(
        events[1].body, "",
        "the edit's copy of the text is gone too"
    );
    assert_eq!(events[2].target_seq, Some(secret));

    let mut moderated = event(id, &alice, EventKind::Delete, Some(secret), "d-a2", "");
    moderated.moderator = true;
    let again = [
        event(id, &bob, EventKind::Edit, Some(secret), "e-2", "back again"),
        event(id, &bob, EventKind::Delete, Some(secret), "d-b", ""),
        moderated,
    ];
    for attempt in again {
        let kind = attempt.kind;
        assert!(
            matches!(append(&*store, attempt).await, Err(StoreError::Forbidden)),
            "{kind:?} of a deleted message"
        );
    }
    let history = store.history(id, None, 10).await.unwrap();
    let message = history.last().unwrap();
    assert_eq!(message.seq, secret);
    assert!(message.deleted && message.body.is_empty());

    // Authors delete their own.
    let oops = say(&*store, id, &carol, "oops").await.seq;
    assert_eq!(oops, base.plus(4));
    let own = event(id, &carol, EventKind::Delete, Some(oops), "d-own", "");
    assert_eq!(
        append(&*store, own).await.unwrap().message.seq,
        base.plus(5)
    );
}

pub async fn a_removed_member_can_no_longer_append(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "removals").await;
    add_member(&*store, id, &alice, &bob).await;
    let before = say(&*store, id, &bob, "before").await.seq;

    // The store records the departure with the removal, after everything Bob wrote.
    let left = leave(&*store, id, &bob, None, "removed")
        .await
        .unwrap()
        .expect("bob was a member");
    assert_eq!(
        (left.seq, left.kind, left.author_id),
        (before.plus(1), EventKind::Leave, bob.id)
    );
    assert!(!remove(&*store, id, &bob, None).await.unwrap(), "only once");

    for attempt in [
        event(id, &bob, EventKind::Message, None, "after", "after"),
        event(
            id,
            &bob,
            EventKind::Edit,
            Some(before),
            "e-after",
            "changed",
        ),
        event(id, &bob, EventKind::Delete, Some(before), "d-after", ""),
    ] {
        let kind = attempt.kind;
        assert!(
            matches!(append(&*store, attempt).await, Err(StoreError::NotMember)),
            "{kind:?} after removal"
        );
    }
    assert_eq!(
        last_seq(&*store, id, &alice).await,
        left.seq,
        "neither the second removal nor the refused appends took a seq"
    );
    assert_eq!(
        say(&*store, id, &alice, "still here").await.seq,
        left.seq.plus(1)
    );
}

pub async fn appending_to_a_deleted_conversation_is_not_found(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let id = conversation(&*store, &alice, "doomed").await;
    say(&*store, id, &alice, "last words").await;

    store.delete_conversation(id, at(1)).await.unwrap();

    for attempt in [
        event(id, &alice, EventKind::Message, None, "after", "after"),
        event(id, &alice, EventKind::Leave, None, "leave", ""),
    ] {
        assert!(matches!(
            append(&*store, attempt).await,
            Err(StoreError::NotFound)
        ));
    }
    let never = palaver::ConversationId(id.0 + 1_000);
    let attempt = event(never, &alice, EventKind::Message, None, "x", "x");
    assert!(matches!(
        append(&*store, attempt).await,
        Err(StoreError::NotFound)
    ));
}

/// Bob joins, 20 messages, an edit, 3 messages, Bob leaves: seqs 1..=26, 22 not visible. The
/// join and the leave are the ones the store writes with the membership.
async fn busy_conversation(store: &dyn Store) -> (palaver::ConversationId, Vec<i64>) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let id = conversation(store, &alice, "history").await;
    add_member(store, id, &alice, &bob).await;
    assert_eq!(last_seq(store, id, &alice).await, Seq(1), "Bob's join");
    for n in 0..20 {
        let who = if n % 2 == 0 { &alice } else { &bob };
        say(store, id, who, &format!("message {n}")).await;
    }
    let edit = event(
        id,
        &alice,
        EventKind::Edit,
        Some(Seq(2)),
        "e-2",
        "message 0, edited",
    );
    append(store, edit).await.unwrap();
    for n in 20..23 {
        say(store, id, &alice, &format!("message {n}")).await;
    }
    assert!(remove(store, id, &bob, None).await.unwrap());
    assert_eq!(last_seq(store, id, &alice).await, Seq(26), "Bob's leave");
    let visible = (1..=26).filter(|&s| s != 22).collect();
    (id, visible)
}

pub async fn history_pages_cover_every_visible_event_once_in_order(store: Arc<dyn Store>) {
    let (id, visible) = busy_conversation(&*store).await;

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.history(id, before, 4).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        assert!(page.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
        before = Some(page[0].seq);
        seen.splice(0..0, page);
    }

    assert_eq!(seqs(&seen), visible);
    let ends = |m: Option<&palaver::model::MessageView>| m.map(|m| (m.kind, m.author.clone()));
    assert_eq!(ends(seen.first()), Some((EventKind::Join, "bob".into())));
    assert_eq!(ends(seen.last()), Some((EventKind::Leave, "bob".into())));
    assert_eq!(
        seen[1].body, "message 0, edited",
        "messages carry their current text"
    );
    assert_eq!(
        seqs(&store.history(id, None, 3).await.unwrap()),
        [24, 25, 26]
    );
    assert_eq!(
        seqs(&store.history(id, Some(Seq(23)), 2).await.unwrap()),
        [20, 21]
    );
    assert!(store
        .history(id, Some(Seq(1)), 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn messages_after_pages_through_every_event_kind(store: Arc<dyn Store>) {
    let (id, _) = busy_conversation(&*store).await;

    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = store.messages_after(id, Seq(after), 5).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        after = page.last().unwrap().seq.0;
        seen.extend(page);
    }

    assert_eq!(seqs(&seen), (1..=26).collect::<Vec<_>>());
    let kinds: Vec<_> = seen.iter().map(|m| m.kind).collect();
    let mut expected = vec![EventKind::Join];
    expected.extend([EventKind::Message; 20]);
    expected.push(EventKind::Edit);
    expected.extend([EventKind::Message; 3]);
    expected.push(EventKind::Leave);
    assert_eq!(kinds, expected, "the join and the leave among them");
    assert_eq!(
        (seen[0].author.as_str(), seen[25].author.as_str()),
        ("bob", "bob")
    );
    let edit = &seen[21];
    assert_eq!(
        (edit.kind, edit.target_seq),
        (EventKind::Edit, Some(Seq(2)))
    );
    assert_eq!(edit.body, "message 0, edited");
    assert_eq!(
        seqs(&store.messages_after(id, Seq(23), 100).await.unwrap()),
        [24, 25, 26]
    );
    assert!(store
        .messages_after(id, Seq(26), 100)
        .await
        .unwrap()
        .is_empty());
}
