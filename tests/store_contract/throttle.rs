//! Places under the limits every node shares (`ThrottleStore`): taken before the work, then
//! counted or given back; a burst is counted like the same checks in a row, on any number of
//! nodes, because every node takes its places in the one database.

use crate::fixtures::at;
use palaver::server::store::Places;
use palaver::server::Store;
use palaver::Timestamp;
use std::sync::Arc;

const WINDOW: i64 = 900_000;
const HELD: i64 = 60_000;

async fn take(store: &dyn Store, keys: &[&str], now: Timestamp) -> Places {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    store
        .take_places(
            &keys,
            5,
            Timestamp(now.0 - WINDOW),
            Timestamp(now.0 - HELD),
            now,
        )
        .await
        .expect("take_places")
}

fn ids(places: Places) -> Vec<i64> {
    match places {
        Places::Taken(ids) => ids,
        full => panic!("expected places, got {full:?}"),
    }
}

pub async fn five_counted_failures_fill_a_key_until_the_oldest_leaves_the_window(
    store: Arc<dyn Store>,
) {
    for i in 0..5 {
        let now = at(i * 1_000);
        let taken = ids(take(&*store, &["account:alice", "addr:10.0.0.1"], now).await);
        assert_eq!(taken.len(), 2, "one place per key");
        store.settle_places(&taken, true, now).await.unwrap();
    }
    // Full for the account from another address, and for the address with another account;
    // the answer names the oldest failure, so the wait is exact.
    let later = at(60_000);
    assert_eq!(
        take(&*store, &["account:alice", "addr:10.0.0.9"], later).await,
        Places::Full {
            oldest: Some(at(0))
        }
    );
    assert_eq!(
        take(&*store, &["account:bob", "addr:10.0.0.1"], later).await,
        Places::Full {
            oldest: Some(at(0))
        }
    );
    assert!(matches!(
        take(&*store, &["account:bob", "addr:10.0.0.2"], later).await,
        Places::Taken(_)
    ));
    // The first failure leaves the window: one place again, then full.
    let after = at(WINDOW + 1);
    let place = ids(take(&*store, &["account:alice", "addr:10.0.0.9"], after).await);
    store.settle_places(&place, true, after).await.unwrap();
    assert!(matches!(
        take(&*store, &["account:alice"], after).await,
        Places::Full { .. }
    ));
}

pub async fn places_given_back_free_up_and_held_ones_stop_holding_after_a_while(
    store: Arc<dyn Store>,
) {
    let now = at(0);
    let mut held = Vec::new();
    for _ in 0..5 {
        held.extend(ids(take(&*store, &["account:carol"], now).await));
    }
    assert_eq!(
        take(&*store, &["account:carol"], now).await,
        Places::Full { oldest: None },
        "five checks in flight fill it, with no failure to wait for"
    );
    store.settle_places(&held[..1], false, now).await.unwrap();
    let again = ids(take(&*store, &["account:carol"], now).await);
    assert_eq!(again.len(), 1);
    // Held places of a node that died stop counting once older than `held_since`.
    assert!(matches!(
        take(&*store, &["account:carol"], at(HELD + 1)).await,
        Places::Taken(_)
    ));
    // Pruning drops what no limit looks at any more, and nothing else.
    let later = at(10 * WINDOW);
    let counted = ids(take(&*store, &["account:dave"], later).await);
    store.settle_places(&counted, true, later).await.unwrap();
    let gone = store
        .prune_places(Timestamp(later.0 - WINDOW), Timestamp(later.0 - HELD))
        .await
        .unwrap();
    assert_eq!(gone, 6, "carol's six held places; dave's failure stays");
    for _ in 0..4 {
        ids(take(&*store, &["account:dave"], later).await);
    }
    assert!(matches!(
        take(&*store, &["account:dave"], later).await,
        Places::Full { .. }
    ));
}

pub async fn fifty_checks_at_once_take_exactly_the_allowance(store: Arc<dyn Store>) {
    let now = at(0);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { take(&*store, &["account:erin", "addr:10.0.0.3"], now).await },
            )
        })
        .collect();
    let mut taken = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), Places::Taken(_)) {
            taken += 1;
        }
    }
    assert_eq!(taken, 5);
}
