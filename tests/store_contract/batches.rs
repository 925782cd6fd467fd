//! Group commit (`store::writer`): appends that arrive together are written in one
//! transaction, and what one of them does (a refusal, a retry) stays its own.

use crate::fixtures::{
    add_member, append, at, conversation, event, last_seq, say, seqs, summary, user,
};
use palaver::model::EventKind;
use palaver::server::{Store, StoreError};
use palaver::Seq;
use std::sync::Arc;

/// Appends arriving together are written together (group commit, one transaction per
/// batch): an event refused in the middle of a batch (a non-member, someone else's message
/// to edit) or a retry of a stored client id gives its seq back without undoing the others,
/// and every created event is stored, gap-free, in the order of its seq.
pub async fn a_refused_or_retried_event_does_not_undo_the_others_written_with_it(
    store: Arc<dyn Store>,
) {
    const MESSAGES: usize = 120;
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let outsider = user(&*store, "outsider").await;
    let id = conversation(&*store, &alice, "batches").await;
    add_member(&*store, id, &alice, &bob).await;
    let bobs = say(&*store, id, &bob, "bob's own").await;
    let base = last_seq(&*store, id, &alice).await;

    // All at once: most wait in the writer's queue while the first batch commits, and the
    // rest go in together.
    let tasks: Vec<_> = (0..MESSAGES)
        .map(|n| {
            let store = store.clone();
            let (alice, bob, outsider) = (alice.clone(), bob.clone(), outsider.clone());
            let bobs = bobs.clone();
            tokio::spawn(async move {
                let text = format!("m{n}");
                let mut outcomes = vec![(
                    "message",
                    append(
                        &*store,
                        event(id, &alice, EventKind::Message, None, &text, &text),
                    )
                    .await,
                )];
                if n % 10 == 3 {
                    let c = format!("x{n}");
                    outcomes.push((
                        "outsider",
                        append(
                            &*store,
                            event(id, &outsider, EventKind::Message, None, &c, &c),
                        )
                        .await,
                    ));
                    outcomes.push((
                        "edit of bob's",
                        append(
                            &*store,
                            event(id, &alice, EventKind::Edit, Some(bobs.seq), &c, "mine now"),
                        )
                        .await,
                    ));
                    outcomes.push((
                        "retry",
                        append(
                            &*store,
                            event(id, &bob, EventKind::Message, None, &bobs.client_id, "again"),
                        )
                        .await,
                    ));
                }
                outcomes
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        for (what, outcome) in task.await.expect("append task") {
            match what {
                "message" => {
                    let inserted = outcome.expect("a member's message is stored");
                    assert!(inserted.created);
                    created.push(inserted.message.seq.0);
                }
                "outsider" => assert!(
                    matches!(outcome, Err(StoreError::NotMember)),
                    "{what}: {:?}",
                    outcome.map(|i| i.message.seq)
                ),
                "edit of bob's" => assert!(
                    matches!(outcome, Err(StoreError::Forbidden)),
                    "{what}: {:?}",
                    outcome.map(|i| i.message.seq)
                ),
                _ => {
                    let again = outcome.expect("a retry answers");
                    assert!(!again.created);
                    assert_eq!(again.message.seq, bobs.seq, "the stored event");
                }
            }
        }
    }
    created.sort_unstable();
    let last = base.plus(MESSAGES as i64);
    assert_eq!(
        created,
        (base.0 + 1..=last.0).collect::<Vec<_>>(),
        "no seq lost to a refusal or a retry"
    );
    let stored = store.messages_after(id, base, 1_000).await.unwrap();
    assert_eq!(seqs(&stored), created, "every created event is stored");
    assert!(stored
        .iter()
        .all(|m| m.author_id == alice.id && m.body.starts_with('m')));
    let bobs_now = store
        .messages_after(id, Seq(bobs.seq.0 - 1), 1)
        .await
        .unwrap();
    assert_eq!(
        bobs_now[0].body, "bob's own",
        "the refused edit changed nothing"
    );
    assert_eq!(last_seq(&*store, id, &alice).await, last);
}

/// A batch made only of plain messages is written with a few statements for the whole batch
/// (`sql::batch`), and keeps every rule of one-by-one appends: per conversation, gap-free
/// seqs in queue order; a retry (of a stored message, or of one in the same batch) answers
/// with the stored message and takes no seq; a non-member and a deleted conversation are
/// refused alone; mentions count for the mentioned; new messages are new activity.
pub async fn a_batch_of_plain_messages_keeps_every_rule_of_single_appends(store: Arc<dyn Store>) {
    const MESSAGES: i64 = 150;
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let outsider = user(&*store, "outsider").await;
    let first = conversation(&*store, &alice, "first").await;
    let second = conversation(&*store, &alice, "second").await;
    let gone = conversation(&*store, &alice, "gone").await;
    add_member(&*store, first, &alice, &bob).await;
    let stored = say(&*store, first, &alice, "stored before").await;
    let (base1, base2) = (
        last_seq(&*store, first, &alice).await,
        last_seq(&*store, second, &alice).await,
    );
    store.delete_conversation(gone, at(1)).await.unwrap();
    let bob_before = summary(&*store, first, bob.id).await;

    let mentioned = [bob.id];
    let tasks: Vec<_> = (0..MESSAGES)
        .map(|n| {
            let store = store.clone();
            let (alice, outsider) = (alice.clone(), outsider.clone());
            let stored = stored.client_id.clone();
            tokio::spawn(async move {
                let text = format!("m{n}");
                let to = if n % 2 == 0 { first } else { second };
                let mut e = event(to, &alice, EventKind::Message, None, &text, &text);
                e.now = at(10 + n);
                if n == 8 {
                    e.mentions = &mentioned;
                }
                let mut outcomes = vec![("message", append(&*store, e).await)];
                if n % 25 == 1 {
                    let retry = event(first, &alice, EventKind::Message, None, &stored, "again");
                    outcomes.push(("retry", append(&*store, retry).await));
                    let c = format!("x{n}");
                    let e = event(first, &outsider, EventKind::Message, None, &c, &c);
                    outcomes.push(("outsider", append(&*store, e).await));
                    let e = event(gone, &alice, EventKind::Message, None, &c, &c);
                    outcomes.push(("gone", append(&*store, e).await));
                }
                outcomes
            })
        })
        .collect();
    // The same client id twice at once: one message, both answered with it.
    let twice: Vec<_> = (0..2)
        .map(|_| {
            let (store, alice) = (store.clone(), alice.clone());
            tokio::spawn(async move {
                append(
                    &*store,
                    event(second, &alice, EventKind::Message, None, "twice", "twice"),
                )
                .await
            })
        })
        .collect();
    let (mut in_first, mut in_second) = (Vec::new(), Vec::new());
    for task in tasks {
        for (what, outcome) in task.await.expect("append task") {
            match what {
                "message" => {
                    let m = outcome.expect("a member's message is stored");
                    assert!(m.created);
                    let text: i64 = m.message.body[1..].parse().unwrap();
                    if m.message.conversation_id == first {
                        in_first.push((m.message.seq.0, text));
                    } else {
                        in_second.push((m.message.seq.0, text));
                    }
                }
                "retry" => {
                    let again = outcome.expect("a retry answers");
                    assert!(!again.created);
                    assert_eq!(again.message.seq, stored.seq);
                    assert_eq!(again.message.body, "stored before");
                }
                "outsider" => assert!(matches!(outcome, Err(StoreError::NotMember))),
                _ => assert!(matches!(outcome, Err(StoreError::NotFound))),
            }
        }
    }
    let mut answers = Vec::new();
    for task in twice {
        answers.push(task.await.unwrap().expect("twice"));
    }
    let twice = answers;
    assert_eq!(twice[0].message.seq, twice[1].message.seq, "one message");
    assert_eq!(twice.iter().filter(|i| i.created).count(), 1);
    in_second.push((twice[0].message.seq.0, MESSAGES));

    for (id, base, mut got) in [(first, base1, in_first), (second, base2, in_second)] {
        got.sort_unstable();
        let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            seqs,
            (base.0 + 1..=base.0 + got.len() as i64).collect::<Vec<_>>(),
            "gap-free: no seq lost to a retry or a refusal"
        );
        let stored_now = store.messages_after(id, base, 1_000).await.unwrap();
        assert_eq!(crate::fixtures::seqs(&stored_now), seqs, "each stored once");
        assert_eq!(
            last_seq(&*store, id, &alice).await,
            Seq(*seqs.last().unwrap())
        );
    }
    let bob_after = summary(&*store, first, bob.id).await;
    assert_eq!(
        bob_after.mentions,
        bob_before.mentions + 1,
        "the mention counts"
    );
    assert!(bob_after.last_activity_at > bob_before.last_activity_at);
    assert_eq!(
        store
            .messages_after(gone, Seq::ZERO, 10)
            .await
            .unwrap()
            .len(),
        0,
        "nothing in the deleted conversation"
    );
}
