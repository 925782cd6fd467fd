//! Conversations as an instance admin sees them: every live one, most recently active first,
//! paged and searched by title, with members, owner and whether the owner is disabled; and
//! an admin joining a group conversation to take it over.

use crate::fixtures::{add_member, append, at, conversation, event, event_id, user};
use palaver::model::AdminConversationCursor;
use palaver::model::EventKind;
use palaver::server::store::{JoinOutcome, JoinVia};
use palaver::server::Store;
use std::sync::Arc;

pub async fn the_admin_list_pages_live_conversations_by_activity_with_owner_state(
    store: Arc<dyn Store>,
) {
    let admin = user(&*store, "admin").await;
    let owner = user(&*store, "owner").await;
    let other = user(&*store, "other").await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let id = conversation(&*store, &owner, &format!("Team {n}")).await;
        ids.push(id);
    }
    // "Team 3" gets the newest activity; "Team 5" is deleted; "Team 1" has two members.
    add_member(&*store, ids[1], &owner, &other).await;
    add_member(&*store, ids[1], &owner, &admin).await;
    let mut latest = event(ids[3], &owner, EventKind::Message, None, "latest", "latest");
    latest.now = at(10);
    append(&*store, latest).await.unwrap();
    store.delete_conversation(ids[5], at(1)).await.unwrap();
    store.set_disabled(owner.id, Some(at(2))).await.unwrap();
    let direct = store
        .open_direct(admin.id, other.id, at(3))
        .await
        .unwrap()
        .expect("they share Team 1");

    // Pages of 2 until the end: every live conversation once, newest activity first.
    let mut all = Vec::new();
    let mut after: Option<AdminConversationCursor> = None;
    loop {
        let page = store.admin_conversations("", after, 2).await.unwrap();
        after = page.last().map(|c| AdminConversationCursor {
            last_activity_at: c.last_activity_at,
            id: c.id,
        });
        let done = page.len() < 2;
        all.extend(page);
        if done {
            break;
        }
    }
    assert_eq!(all.len(), 7, "six live groups and the direct one");
    assert!(all
        .windows(2)
        .all(|w| (w[0].last_activity_at, w[0].id) > (w[1].last_activity_at, w[1].id)));
    assert!(
        all.iter().all(|c| c.id != ids[5]),
        "deleted ones are not listed"
    );
    let team3 = all.iter().position(|c| c.title == "Team 3").unwrap();
    let team4 = all.iter().position(|c| c.title == "Team 4").unwrap();
    assert!(
        team3 < team4,
        "a message makes a conversation the most recently active"
    );
    let team1 = all.iter().find(|c| c.title == "Team 1").unwrap();
    assert_eq!(team1.members, 3);
    assert_eq!(team1.owner.as_deref(), Some("owner"));
    assert_eq!(team1.owner_id, Some(owner.id));
    assert!(team1.owner_disabled && !team1.direct);
    let dm = all.iter().find(|c| c.direct).unwrap();
    assert_eq!(dm.id, direct.id);
    assert_eq!(
        (dm.owner_id, dm.owner_disabled, dm.members),
        (None, false, 2)
    );

    // By title, in any case; `%` and `_` are letters.
    let found = store.admin_conversations("team 2", None, 50).await.unwrap();
    assert_eq!(
        found.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["Team 2"]
    );
    assert!(store
        .admin_conversations("%", None, 50)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .admin_conversation(ids[0])
            .await
            .unwrap()
            .map(|c| c.title),
        Some("Team 0".to_owned())
    );
    assert!(store.admin_conversation(ids[5]).await.unwrap().is_none());

    // An admin joins a private group to take it over; never a direct or deleted one.
    let joined = store
        .join(
            JoinVia::Administrator(ids[0]),
            &admin,
            &event_id(),
            at(4),
            1_000,
        )
        .await
        .unwrap();
    assert!(matches!(joined, JoinOutcome::Joined(id, _, _) if id == ids[0]));
    assert!(store
        .transfer_ownership(ids[0], owner.id, admin.id)
        .await
        .unwrap());
    let taken = store.admin_conversation(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (taken.owner_id, taken.owner_disabled),
        (Some(admin.id), false)
    );
    for refused in [direct.id, ids[5]] {
        let outcome = store
            .join(
                JoinVia::Administrator(refused),
                &admin,
                &event_id(),
                at(5),
                1_000,
            )
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            JoinOutcome::Invalid | JoinOutcome::AlreadyMember(_)
        ));
    }
}
