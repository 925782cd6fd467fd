//! The instance audit log of /admin/audit: every entry of the instance, paged newest first,
//! narrowed by action, actor and time, naming the conversation an entry is about.

use crate::fixtures::{at, conversation, user};
use palaver::model::{AuditAction, AuditEntry};
use palaver::server::store::{AuditFilter, AuditRecord};
use palaver::server::Store;
use std::sync::Arc;

/// Every page of the instance log under `filter`, read `limit` at a time.
async fn all_pages(store: &dyn Store, filter: AuditFilter<'_>) -> Vec<AuditEntry> {
    let mut all: Vec<AuditEntry> = Vec::new();
    loop {
        let page = store
            .instance_audit_entries(AuditFilter {
                before: all.last().map(|e| e.id),
                ..filter
            })
            .await
            .unwrap();
        let done = (page.len() as i64) < filter.limit;
        all.extend(page);
        if done {
            return all;
        }
    }
}

pub async fn the_instance_audit_log_pages_every_entry_with_filters_and_names_conversations(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let ops = conversation(&*store, &alice, "Ops").await;
    let actions = [
        AuditAction::SignIn,
        AuditAction::AccountDisabled,
        AuditAction::Renamed,
    ];
    for n in 0..30usize {
        let action = actions[n % 3];
        store
            .audit(AuditRecord {
                at: at(n as i64 * 1000),
                action,
                actor_id: Some(alice.id),
                actor_name: Some(["alice", "Bob"][n % 2]),
                conversation_id: (action == AuditAction::Renamed).then_some(ops),
                detail: Some(&format!("entry {n}")),
                ..AuditRecord::default()
            })
            .await
            .unwrap();
    }
    let every = AuditFilter {
        limit: 7,
        ..AuditFilter::default()
    };

    // Every entry once, newest first, through pages of 7.
    let all = all_pages(&*store, every).await;
    assert_eq!(all.len(), 30);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(all[0].detail.as_deref(), Some("entry 29"));

    // An entry about a conversation names it; an account's entry names none.
    let renamed = all_pages(
        &*store,
        AuditFilter {
            action: Some("renamed"),
            ..every
        },
    )
    .await;
    assert_eq!(renamed.len(), 10);
    assert!(renamed
        .iter()
        .all(|e| e.conversation_id == Some(ops) && e.conversation_title.as_deref() == Some("Ops")));
    let disabled = all_pages(
        &*store,
        AuditFilter {
            action: Some("account_disabled"),
            ..every
        },
    )
    .await;
    assert_eq!(disabled.len(), 10);
    assert!(disabled
        .iter()
        .all(|e| e.conversation_id.is_none() && e.conversation_title.is_none()));

    // The actor in any case; a time range [since, until); all narrowings at once.
    let bob = all_pages(
        &*store,
        AuditFilter {
            actor: Some("BOB"),
            ..every
        },
    )
    .await;
    assert_eq!(bob.len(), 15);
    assert!(bob.iter().all(|e| e.actor.as_deref() == Some("Bob")));
    let window = all_pages(
        &*store,
        AuditFilter {
            since: Some(at(10_000)),
            until: Some(at(20_000)),
            ..every
        },
    )
    .await;
    let details: Vec<_> = window.iter().filter_map(|e| e.detail.clone()).collect();
    let expected: Vec<_> = (10..20).rev().map(|n| format!("entry {n}")).collect();
    assert_eq!(details, expected);
    let narrow = all_pages(
        &*store,
        AuditFilter {
            action: Some("sign_in"),
            actor: Some("alice"),
            since: Some(at(12_000)),
            until: Some(at(25_000)),
            ..every
        },
    )
    .await;
    // sign_in is n % 3 == 0 and alice n % 2 == 0: n = 12, 18, 24.
    let details: Vec<_> = narrow.iter().filter_map(|e| e.detail.clone()).collect();
    assert_eq!(details, ["entry 24", "entry 18", "entry 12"]);

    // The conversation's own log takes the same time range.
    let in_ops = store
        .audit_entries(
            ops,
            AuditFilter {
                since: Some(at(20_000)),
                limit: 50,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    let details: Vec<_> = in_ops.iter().filter_map(|e| e.detail.clone()).collect();
    assert_eq!(details, ["entry 29", "entry 26", "entry 23", "entry 20"]);
}
