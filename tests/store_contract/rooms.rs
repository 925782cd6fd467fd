//! Running a conversation: roles and ownership, the member list, the audit log, deletion, and
//! the once-only conversation of a fresh instance.

use crate::fixtures::{
    add_member, append, at, conversation, event, join_via, remove, say, user, T0,
};
use palaver::model::{AuditAction, EventKind, Role};
use palaver::server::store::{AuditFilter, AuditRecord, Ban, InviteLimits, JoinOutcome, JoinVia};
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, UserId};
use std::sync::Arc;

pub async fn set_role_changes_members_but_never_to_or_from_owner(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let dave = user(&*store, "dave").await;
    let id = conversation(&*store, &alice, "Room").await;
    add_member(&*store, id, &alice, &bob).await;

    assert!(store.set_role(id, bob.id, Role::Admin).await.unwrap());
    assert_eq!(store.role_of(id, bob.id).await.unwrap(), Some(Role::Admin));
    assert_eq!(
        store.member(id, bob.id).await.unwrap().map(|m| m.role),
        Some(Role::Admin)
    );
    assert!(store.set_role(id, bob.id, Role::Member).await.unwrap());
    assert_eq!(store.role_of(id, bob.id).await.unwrap(), Some(Role::Member));

    assert!(
        !store.set_role(id, alice.id, Role::Admin).await.unwrap(),
        "the owner stays owner"
    );
    assert!(matches!(
        store.set_role(id, bob.id, Role::Owner).await,
        Err(StoreError::Forbidden)
    ));
    assert!(
        !store.set_role(id, dave.id, Role::Admin).await.unwrap(),
        "not a member"
    );
    assert_eq!(
        store.role_of(id, alice.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(store.role_of(id, bob.id).await.unwrap(), Some(Role::Member));
    assert_eq!(store.role_of(id, dave.id).await.unwrap(), None);
}

pub async fn ownership_moves_to_a_member_and_the_old_owner_becomes_admin(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let dave = user(&*store, "dave").await;
    let id = conversation(&*store, &alice, "Room").await;
    add_member(&*store, id, &alice, &bob).await;
    add_member(&*store, id, &alice, &carol).await;
    let roles = |store: Arc<dyn Store>| async move {
        let mut roles = Vec::new();
        for who in [alice.id, bob.id, carol.id] {
            roles.push(store.role_of(id, who).await.unwrap());
        }
        roles
    };

    assert!(store
        .transfer_ownership(id, alice.id, bob.id)
        .await
        .unwrap());
    let after = [Some(Role::Admin), Some(Role::Owner), Some(Role::Member)];
    assert_eq!(roles(store.clone()).await, after);
    assert_eq!(store.owner_of(id).await.unwrap(), Some(bob.id));

    // Refused transfers change nothing, not even half of it.
    let refused = [
        (alice.id, carol.id, "from someone no longer owner"),
        (bob.id, dave.id, "to a non-member"),
        (bob.id, bob.id, "to the owner"),
    ];
    for (from, to, why) in refused {
        assert!(
            !store.transfer_ownership(id, from, to).await.unwrap(),
            "{why}"
        );
        assert_eq!(roles(store.clone()).await, after, "{why}");
        assert_eq!(store.owner_of(id).await.unwrap(), Some(bob.id), "{why}");
    }
    assert_eq!(store.members(id).await.unwrap()[0].user.id, bob.id);
}

pub async fn members_are_listed_owner_first_then_admins_then_by_name(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let id = conversation(&*store, &alice, "Room").await;
    for name in ["Zed", "bob", "Carol", "dave"] {
        let member = user(&*store, name).await;
        add_member(&*store, id, &alice, &member).await;
        if matches!(name, "Zed" | "dave") {
            store.set_role(id, member.id, Role::Admin).await.unwrap();
        }
    }

    let members = store.members(id).await.unwrap();
    let listed: Vec<_> = members
        .iter()
        .map(|m| (m.user.username.as_str(), m.role))
        .collect();
    assert_eq!(
        listed,
        [
            ("alice", Role::Owner),
            ("dave", Role::Admin),
            ("Zed", Role::Admin),
            ("bob", Role::Member),
            ("Carol", Role::Member),
        ],
        "by role, then by name ignoring case"
    );
    let zed = &members[2];
    assert_eq!(
        store.member(id, zed.user.id).await.unwrap().as_ref(),
        Some(zed)
    );
    assert_eq!(zed.joined_at, at(0));
    assert_eq!(
        store.member(id, UserId(zed.user.id.0 + 100)).await.unwrap(),
        None
    );
}

pub async fn audit_entries_page_newest_first_with_action_and_actor_filters(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let id = conversation(&*store, &alice, "Room").await;
    let other = conversation(&*store, &alice, "Other").await;
    let actions = [
        AuditAction::InviteCreated,
        AuditAction::MemberRemoved,
        AuditAction::Renamed,
    ];
    let actors = ["alice", "Bob"];
    for n in 0..9_usize {
        store
            .audit(AuditRecord {
                at: at(n as i64),
                action: actions[n % 3],
                actor_id: Some(alice.id),
                actor_name: Some(actors[n % 2]),
                target_name: Some("target"),
                conversation_id: Some(id),
                detail: Some(&format!("entry {n}")),
                client_addr: Some("192.0.2.7"),
                ..AuditRecord::default()
            })
            .await
            .unwrap();
    }
    for conversation_id in [Some(other), None] {
        let record = AuditRecord {
            at: at(100),
            action: AuditAction::Renamed,
            actor_name: Some("alice"),
            conversation_id,
            ..AuditRecord::default()
        };
        store.audit(record).await.unwrap();
    }
    let read = |before, action, actor, limit| {
        let filter = AuditFilter {
            before,
            action,
            actor,
            limit,
            ..AuditFilter::default()
        };
        store.audit_entries(id, filter)
    };

    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = read(before, None, None, 4).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        before = page.last().map(|e| e.id);
        pages.push(page);
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 1]);
    let all: Vec<_> = pages.concat();
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let details: Vec<_> = all.iter().map(|e| e.detail.clone().unwrap()).collect();
    assert_eq!(
        details,
        (0..9)
            .rev()
            .map(|n| format!("entry {n}"))
            .collect::<Vec<_>>()
    );
    let newest = &all[0];
    assert_eq!(newest.at, at(8));
    assert_eq!(newest.action, "renamed");
    assert_eq!(newest.actor.as_deref(), Some("alice"));
    assert_eq!(newest.target.as_deref(), Some("target"));
    assert_eq!(newest.client_addr.as_deref(), Some("192.0.2.7"));

    let at = |entries: Vec<palaver::model::AuditEntry>| -> Vec<i64> {
        entries.iter().map(|e| e.at.ms_since(at(0))).collect()
    };
    let removed = read(None, Some("member_removed"), None, 10).await.unwrap();
    assert_eq!(at(removed), [7, 4, 1]);
    let by_bob = read(None, None, Some("BOB"), 10).await.unwrap();
    assert_eq!(
        at(by_bob),
        [7, 5, 3, 1],
        "actor names compare ignoring case"
    );
    let both = read(None, Some("member_removed"), Some("bob"), 10)
        .await
        .unwrap();
    assert_eq!(at(both), [7, 1]);
    let second_page = read(Some(all[1].id), Some("member_removed"), None, 1)
        .await
        .unwrap();
    assert_eq!(at(second_page), [4]);
    assert!(read(None, Some("no_such_action"), None, 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn deleting_a_conversation_returns_its_members_and_leaves_nothing_behind(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let id = conversation(&*store, &alice, "Doomed").await;
    let kept = conversation(&*store, &alice, "Kept").await;
    add_member(&*store, id, &alice, &bob).await;
    add_member(&*store, id, &alice, &carol).await;
    let ban = Some(Ban {
        by: alice.id,
        at: at(0),
    });
    remove(&*store, id, &carol, ban).await.unwrap();
    let no_limits = InviteLimits {
        expires_at: None,
        max_uses: None,
    };
    store
        .create_invite(id, b"link", alice.id, at(0), no_limits)
        .await
        .unwrap();
    store
        .update_conversation(id, None, Some(true))
        .await
        .unwrap();
    say(&*store, id, &bob, "hello").await;
    let record = AuditRecord {
        at: at(0),
        action: AuditAction::ConversationDeleted,
        conversation_id: Some(id),
        ..AuditRecord::default()
    };
    store.audit(record).await.unwrap();

    assert_eq!(store.owner_of(id).await.unwrap(), Some(alice.id));
    let mut members = store.delete_conversation(id, at(9)).await.unwrap();
    members.sort();
    assert_eq!(members, [alice.id, bob.id]);
    assert_eq!(store.owner_of(id).await.unwrap(), None);
    assert_eq!(store.owner_of(ConversationId(999_999)).await.unwrap(), None);

    assert!(store
        .messages_after(id, Seq(0), 100)
        .await
        .unwrap()
        .is_empty());
    assert!(store.history(id, None, 100).await.unwrap().is_empty());
    assert!(store.members(id).await.unwrap().is_empty());
    assert_eq!(store.role_of(id, alice.id).await.unwrap(), None);
    assert!(store.bans(id).await.unwrap().is_empty());
    assert!(store.invites(id, at(0)).await.unwrap().is_empty());
    assert_eq!(store.invite_target(b"link", at(0)).await.unwrap(), None);
    assert_eq!(store.invite_conversation(b"link").await.unwrap(), None);
    assert_eq!(
        store.conversation_summary(id, alice.id).await.unwrap(),
        None
    );
    assert_eq!(store.conversation_ids_for(alice.id).await.unwrap(), [kept]);
    let listed = store.conversations_for(alice.id).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [kept]);
    assert!(store.public_rooms(bob.id, 10).await.unwrap().is_empty());
    let rejoin = join_via(&*store, JoinVia::Public(id), &carol, T0, 100)
        .await
        .unwrap();
    assert!(matches!(rejoin, JoinOutcome::Invalid));
    let late = event(id, &bob, EventKind::Message, None, "late", "late");
    assert!(matches!(
        append(&*store, late).await,
        Err(StoreError::NotFound)
    ));

    assert!(matches!(
        store.delete_conversation(id, at(10)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .delete_conversation(ConversationId(id.0 + 1_000), at(0))
            .await,
        Err(StoreError::NotFound)
    ));
    // The audit log outlives what it describes.
    let filter = AuditFilter {
        limit: 10,
        ..AuditFilter::default()
    };
    assert_eq!(store.audit_entries(id, filter).await.unwrap().len(), 1);
}

pub async fn conversation_ids_are_never_reused(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let first = conversation(&*store, &alice, "first").await;
    let mut newest = conversation(&*store, &alice, "second").await;
    assert!(newest > first);

    // Deleting the newest is the case where SQLite would hand its id out again.
    for _ in 0..2 {
        store.delete_conversation(newest, at(1)).await.unwrap();
        let next = conversation(&*store, &alice, "next").await;
        assert!(next > newest, "{next} after deleting {newest}");
        newest = next;
    }
}

pub async fn create_conversation_once_creates_only_once_per_flag(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;

    let general = store
        .create_conversation_once("general_created", alice.id, "General", true, at(0))
        .await
        .unwrap()
        .expect("the first time");
    assert_eq!((general.title.as_str(), general.public), ("General", true));
    assert_eq!(
        (general.last_seq, general.unread, general.last_activity_at),
        (Seq(0), 0, at(0))
    );
    assert_eq!(general.last_message, None);
    assert_eq!(
        store.role_of(general.id, alice.id).await.unwrap(),
        Some(Role::Owner)
    );

    let again = store
        .create_conversation_once("general_created", bob.id, "General", true, at(1))
        .await
        .unwrap();
    assert!(again.is_none());
    assert!(store.conversations_for(bob.id).await.unwrap().is_empty());

    // Not even after the first one is gone.
    store.delete_conversation(general.id, at(2)).await.unwrap();
    let after_deletion = store
        .create_conversation_once("general_created", alice.id, "General", true, at(3))
        .await
        .unwrap();
    assert!(after_deletion.is_none());

    let other = store
        .create_conversation_once("other_flag", bob.id, "Other", false, at(4))
        .await
        .unwrap();
    assert!(other.is_some_and(|c| c.id > general.id && !c.public));
}
