//! How data ends: deleting an account (its tombstone, the erasure's queries) and retention.

use crate::admin::session;
use crate::fixtures::{add_member, append, at, conversation, event, leave, say, seqs, user, T0};
use palaver::model::{EventKind, Role};
use palaver::server::store::InviteLimits;
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, SessionId};
use std::sync::Arc;

const DAY: i64 = 86_400_000;

pub async fn deleting_an_account_leaves_a_tombstone_that_keeps_its_messages(store: Arc<dyn Store>) {
    let admin = user(&*store, "admin").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &admin, "Team").await;
    add_member(&*store, room, &admin, &bob).await;
    let own = conversation(&*store, &bob, "Bob's").await;
    let hello = say(&*store, room, &bob, "hello from bob").await;
    store
        .create_invite(
            own,
            b"bob-link",
            bob.id,
            at(0),
            InviteLimits {
                expires_at: None,
                max_uses: None,
            },
        )
        .await
        .unwrap();
    session(&*store, "b1", bob.id, T0, "10.0.0.9").await;
    store.set_profile(bob.id, "Bob B.", "").await.unwrap();

    let deleted = store.delete_account(bob.id, false, at(50)).await.unwrap();
    assert_eq!(deleted.was.username, "bob");
    assert_eq!(deleted.sessions, vec![SessionId("b1".into())]);
    assert_eq!(
        deleted.memberships,
        vec![(room, Role::Member), (own, Role::Owner)],
        "every live membership, by conversation, still held"
    );

    let tombstone = store
        .user_by_id(bob.id)
        .await
        .unwrap()
        .expect("the row stays");
    assert_eq!(tombstone.username, "Deleted user");
    assert_eq!(
        store.profile(bob.id).await.unwrap().unwrap().display_name,
        ""
    );
    assert!(store.user_credentials("bob").await.unwrap().is_none());
    assert!(store
        .session_by_token(b"b1", at(60))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.invite_target(b"bob-link", at(60)).await.unwrap(),
        None
    );
    assert!(!store.may_sign_in(bob.id).await.unwrap());
    let history = store.history(room, None, 50).await.unwrap();
    let kept = history.iter().find(|m| m.seq == hello.seq).unwrap();
    assert_eq!(
        (kept.author.as_str(), kept.body.as_str()),
        ("Deleted user", "hello from bob")
    );

    // Gone from the admin pages and the dashboard; nothing more can be done to it.
    let listed = store
        .admin_users("", None, 100, at(60))
        .await
        .unwrap()
        .users;
    assert_eq!(
        listed
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["admin"]
    );
    assert!(store.admin_user(bob.id, at(60)).await.unwrap().is_none());
    assert_eq!(store.dashboard(at(60)).await.unwrap().users, 1);
    for again in [
        store.delete_account(bob.id, true, at(70)).await.map(|_| ()),
        store.set_disabled(bob.id, None).await.map(|_| ()),
        store.set_admin(bob.id, true).await.map(|_| ()),
    ] {
        assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
    }
    let key = format!("deleted:{}", bob.id.0);
    assert!(store.user_id_by_key(&key).await.unwrap().is_none());
    assert!(
        store.accounts_erasing().await.unwrap().is_empty(),
        "kept, not erased"
    );

    // Until the core has taken it out of its conversations, a restart finds it there.
    let pending = store.deleted_members().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].was, tombstone);
    assert_eq!(pending[0].memberships, deleted.memberships);
    assert!(pending[0].sessions.is_empty());
    leave(&*store, room, &tombstone, None, "removed")
        .await
        .unwrap();
    store.delete_conversation(own, at(80)).await.unwrap();
    assert!(store.deleted_members().await.unwrap().is_empty());

    // The name is free again.
    let new_bob = user(&*store, "bob").await;
    assert_ne!(new_bob.id, bob.id);
}

pub async fn the_last_admin_stays_and_an_erasure_lists_every_live_message(store: Arc<dyn Store>) {
    let admin = user(&*store, "admin").await;
    let eve = user(&*store, "eve").await;
    assert!(matches!(
        store.delete_account(admin.id, false, at(1)).await,
        Err(StoreError::Forbidden)
    ));
    let a = conversation(&*store, &admin, "A").await;
    let b = conversation(&*store, &admin, "B").await;
    add_member(&*store, a, &admin, &eve).await;
    add_member(&*store, b, &admin, &eve).await;
    let a1 = say(&*store, a, &eve, "a one").await;
    let a2 = say(&*store, a, &eve, "a two").await;
    let b1 = say(&*store, b, &eve, "b one").await;
    say(&*store, b, &admin, "not eve's").await;
    // Deleted already: not listed. Left since: still listed.
    append(
        &*store,
        event(b, &eve, EventKind::Delete, Some(b1.seq), "del", ""),
    )
    .await
    .unwrap();
    let b2 = say(&*store, b, &eve, "b two").await;
    leave(&*store, b, &eve, None, "").await.unwrap();

    store.delete_account(eve.id, true, at(10)).await.unwrap();
    let erasing = store.accounts_erasing().await.unwrap();
    assert_eq!(erasing.len(), 1);
    assert_eq!(
        (erasing[0].id, erasing[0].username.as_str()),
        (eve.id, "Deleted user")
    );

    let all = store
        .messages_to_erase(eve.id, (ConversationId(0), Seq(0)), 10)
        .await
        .unwrap();
    assert_eq!(all, vec![(a, a1.seq), (a, a2.seq), (b, b2.seq)]);
    let after_first = store
        .messages_to_erase(eve.id, (a, a1.seq), 1)
        .await
        .unwrap();
    assert_eq!(after_first, vec![(a, a2.seq)]);

    // An erasure's deletion is written as the author, who is no member of `b` any more.
    let mut erase = event(
        b,
        &erasing[0],
        EventKind::Delete,
        Some(b2.seq),
        "erase-x",
        "",
    );
    erase.erasure = true;
    append(&*store, erase).await.expect("no membership needed");
    let rest = store
        .messages_to_erase(eve.id, (a, a2.seq), 10)
        .await
        .unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    store.erasure_done(eve.id).await.unwrap();
    assert!(store.accounts_erasing().await.unwrap().is_empty());
}

pub async fn an_owners_successor_is_the_longest_standing_admin_then_member(store: Arc<dyn Store>) {
    let owner = user(&*store, "owner").await;
    let room = conversation(&*store, &owner, "Room").await;
    assert_eq!(
        store.successor(room, owner.id).await.unwrap(),
        None,
        "alone"
    );
    let first = user(&*store, "first").await;
    let second = user(&*store, "second").await;
    add_member(&*store, room, &owner, &first).await;
    add_member(&*store, room, &owner, &second).await;
    assert_eq!(
        store.successor(room, owner.id).await.unwrap(),
        Some(first.id)
    );
    store.set_role(room, second.id, Role::Admin).await.unwrap();
    assert_eq!(
        store.successor(room, owner.id).await.unwrap(),
        Some(second.id)
    );
}

/// Messages `bodies` in `id` by `who`, the i-th created `days[i]` days after T0.
async fn say_on_days(
    store: &dyn Store,
    id: ConversationId,
    who: &palaver::model::UserView,
    days: &[i64],
) -> Vec<Seq> {
    let mut out = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let client_id = format!("d{i}-{day}");
        let mut e = event(id, who, EventKind::Message, None, &client_id, &client_id);
        e.now = at(day * DAY);
        out.push(append(store, e).await.unwrap().message.seq);
    }
    out
}

pub async fn pruning_deletes_the_oldest_expired_events_in_batches_and_keeps_seqs(
    store: Arc<dyn Store>,
) {
    let owner = user(&*store, "owner").await;
    let room = conversation(&*store, &owner, "Room").await;
    let before = store.messages_after(room, Seq(0), 100).await.unwrap();
    let sent = say_on_days(&*store, room, &owner, &[1, 2, 3, 4, 5, 10, 11]).await;
    // A reaction on an expiring message and on a kept one.
    for (target, id) in [(sent[0], "r-old"), (sent[5], "r-new")] {
        let mut react = event(room, &owner, EventKind::React, Some(target), id, "👍");
        react.now = at(11 * DAY);
        append(&*store, react).await.unwrap();
    }

    // Cutoff: day 6. Batches of 2: the join and day-1 message, days 2-3, days 4-5, then none.
    let cutoff = at(6 * DAY);
    let mut batches = Vec::new();
    loop {
        let p = store.prune_before(room, cutoff, 2).await.unwrap();
        batches.push((p.deleted, p.through.0));
        if p.deleted == 0 {
            break;
        }
    }
    let expired = before.len() as u64 + 5;
    assert_eq!(batches.iter().map(|b| b.0).sum::<u64>(), expired);
    assert_eq!(
        batches.last().unwrap().1,
        sent[4].0,
        "through the day-5 message"
    );
    assert!(batches.iter().all(|b| b.0 <= 2), "{batches:?}");

    let history = store.history(room, None, 100).await.unwrap();
    assert_eq!(
        seqs(&history),
        [sent[5].0, sent[6].0],
        "kept, seqs unchanged"
    );
    assert_eq!(
        history[0].reactions.len(),
        1,
        "the kept message keeps its reaction"
    );
    let resumed = store.messages_after(room, Seq(0), 100).await.unwrap();
    assert_eq!(
        resumed.first().map(|m| m.seq),
        Some(sent[5]),
        "resume starts after the cut"
    );
    assert_eq!(
        store.retention_of(room).await.unwrap(),
        Some((None, sent[4])),
        "pruned_through"
    );
    // The sequence goes on where it was.
    let next = say(&*store, room, &owner, "after pruning").await;
    assert_eq!(next.seq.0, resumed.last().unwrap().seq.0 + 1);
}

pub async fn retention_covers_every_live_conversation_and_is_the_owners_to_set(
    store: Arc<dyn Store>,
) {
    let owner = user(&*store, "owner").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(conversation(&*store, &owner, &format!("R{i}")).await);
    }
    store.delete_conversation(ids[2], at(1)).await.unwrap();
    assert!(store.set_retention(ids[1], Some(30)).await.unwrap());
    assert!(
        !store.set_retention(ids[2], Some(30)).await.unwrap(),
        "deleted"
    );
    let first = store.retention_targets(ConversationId(0), 2).await.unwrap();
    let rest = store.retention_targets(first[1].id, 100).await.unwrap();
    let all: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|t| (t.id, t.retention_days))
        .collect();
    assert_eq!(
        all,
        vec![
            (ids[0], None),
            (ids[1], Some(30)),
            (ids[3], None),
            (ids[4], None)
        ],
        "every live conversation once, by id, active or not"
    );
    assert_eq!(
        store.retention_of(ids[1]).await.unwrap(),
        Some((Some(30), Seq(0)))
    );
    assert!(store.set_retention(ids[1], None).await.unwrap());
    assert_eq!(
        store.retention_of(ids[1]).await.unwrap(),
        Some((None, Seq(0)))
    );
    assert_eq!(store.retention_of(ids[2]).await.unwrap(), None);
    assert!(matches!(
        store.prune_before(ids[2], at(DAY), 10).await,
        Err(StoreError::NotFound)
    ));
}
