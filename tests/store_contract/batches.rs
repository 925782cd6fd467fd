//! Group commit (`store::writer`): appends that arrive together are written in one
//! transaction, and what one of them does (a refusal, a retry) stays its own.

use crate::fixtures::{add_member, append, conversation, event, last_seq, say, seqs, user};
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
