//! Invite links, joins (by invite or into a public room), the member cap, and bans.

use crate::fixtures::{
    add_member, at, conversation, event, join_via, last_seq, leave, remove, user, NO_CAP, T0,
};
use palaver::model::{
    EventKind, InviteInfo, InvitePreview, MessageView, PublicRoom, Role, UserView,
};
use palaver::server::store::{Ban, InviteLimits, JoinOutcome, JoinVia};
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, InviteId, Seq, Timestamp, UserId};
use std::sync::Arc;

fn limits(expires_at: Option<i64>, max_uses: Option<i64>) -> InviteLimits {
    InviteLimits {
        expires_at: expires_at.map(Timestamp),
        max_uses,
    }
}

async fn invite(
    store: &dyn Store,
    id: ConversationId,
    code: &[u8],
    by: UserId,
    l: InviteLimits,
) -> InviteInfo {
    store
        .create_invite(id, code, by, at(0), l)
        .await
        .expect("create invite")
}

async fn join(store: &dyn Store, code: &[u8], user: &UserView, cap: i64) -> JoinOutcome {
    join_via(store, JoinVia::Invite(code), user, T0 + 1, cap)
        .await
        .expect("join")
}

async fn uses(store: &dyn Store, id: ConversationId, invite: InviteId) -> i64 {
    let all = store.invites(id, at(0)).await.unwrap();
    all.iter().find(|i| i.id == invite).expect("listed").uses
}

pub async fn an_invite_is_live_until_revoked_expired_or_used_up(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "Room").await;
    let other = conversation(&*store, &alice, "Other").await;

    let expiring = invite(
        &*store,
        id,
        b"code-1",
        alice.id,
        limits(Some(T0 + 1_000), None),
    )
    .await;
    assert_eq!(
        (
            expiring.created_by.as_str(),
            expiring.created_at,
            expiring.expires_at
        ),
        ("alice", at(0), Some(at(1_000)))
    );
    assert_eq!(
        (
            expiring.max_uses,
            expiring.uses,
            expiring.revoked,
            expiring.active
        ),
        (None, 0, false, true)
    );
    assert_eq!(
        store.invite_target(b"code-1", at(999)).await.unwrap(),
        Some(InvitePreview {
            conversation_id: id,
            title: "Room".into(),
            member_count: 1,
            invited_by: "alice".into(),
            member: false,
        })
    );
    assert_eq!(
        store.invite_target(b"code-1", at(1_000)).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.invite_conversation(b"code-1").await.unwrap(),
        Some(id),
        "dead or alive"
    );
    assert!(matches!(
        store
            .create_invite(other, b"code-1", alice.id, at(0), limits(None, None))
            .await,
        Err(StoreError::Conflict)
    ));

    let once = invite(&*store, id, b"code-2", alice.id, limits(None, Some(1))).await;
    assert!(matches!(
        join(&*store, b"code-2", &bob, NO_CAP).await,
        JoinOutcome::Joined(..)
    ));
    assert_eq!(
        store.invite_target(b"code-2", at(2)).await.unwrap(),
        None,
        "used up"
    );

    let revoked = invite(&*store, id, b"code-3", alice.id, limits(None, None)).await;
    assert!(
        !store.revoke_invite(other, revoked.id, at(3)).await.unwrap(),
        "not Other's"
    );
    assert!(store.revoke_invite(id, revoked.id, at(3)).await.unwrap());
    assert!(
        !store.revoke_invite(id, revoked.id, at(4)).await.unwrap(),
        "only once"
    );
    assert_eq!(
        store.invite_target(b"code-3", at(5)).await.unwrap(),
        None,
        "revoked"
    );

    assert_eq!(
        store.invite_target(b"no-such-code", at(0)).await.unwrap(),
        None
    );
    assert_eq!(
        store.invite_conversation(b"no-such-code").await.unwrap(),
        None
    );
    // Newest first, each with the state it has at `now`.
    let listed = store.invites(id, at(1_000)).await.unwrap();
    let state: Vec<_> = listed
        .iter()
        .map(|i| (i.id, i.uses, i.revoked, i.active))
        .collect();
    assert_eq!(
        state,
        [
            (revoked.id, 0, true, false),
            (once.id, 1, false, false),
            (expiring.id, 0, false, false),
        ]
    );
    assert!(store.invites(other, at(0)).await.unwrap().is_empty());
}

pub async fn joining_with_an_invite_consumes_a_use_and_honours_max_uses(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let [bob, carol, dave] = [
        user(&*store, "bob").await,
        user(&*store, "carol").await,
        user(&*store, "dave").await,
    ];
    let id = conversation(&*store, &alice, "Room").await;
    let twice = invite(&*store, id, b"twice", alice.id, limits(None, Some(2))).await;

    match join(&*store, b"twice", &bob, NO_CAP).await {
        JoinOutcome::Joined(joined, member, _) => {
            assert_eq!(joined, id);
            assert_eq!(
                (member.user, member.role, member.joined_at),
                (bob.clone(), Role::Member, at(1))
            );
        }
        other => panic!("expected Joined, got {other:?}"),
    }
    assert_eq!(uses(&*store, id, twice.id).await, 1);
    assert!(matches!(
        join(&*store, b"twice", &carol, NO_CAP).await,
        JoinOutcome::Joined(..)
    ));
    assert_eq!(uses(&*store, id, twice.id).await, 2);
    assert!(matches!(
        join(&*store, b"twice", &dave, NO_CAP).await,
        JoinOutcome::Invalid
    ));
    assert_eq!(uses(&*store, id, twice.id).await, 2);
    assert_eq!(store.member(id, dave.id).await.unwrap(), None);

    invite(
        &*store,
        id,
        b"expired",
        alice.id,
        limits(Some(T0 + 1), None),
    )
    .await;
    assert!(matches!(
        join(&*store, b"expired", &dave, NO_CAP).await,
        JoinOutcome::Invalid
    ));
    let revoked = invite(&*store, id, b"revoked", alice.id, limits(None, None)).await;
    store.revoke_invite(id, revoked.id, at(0)).await.unwrap();
    assert!(matches!(
        join(&*store, b"revoked", &dave, NO_CAP).await,
        JoinOutcome::Invalid
    ));
    assert!(matches!(
        join(&*store, b"unknown", &dave, NO_CAP).await,
        JoinOutcome::Invalid
    ));
    assert_eq!(store.members(id).await.unwrap().len(), 3);
}

pub async fn a_join_at_the_member_cap_is_full_and_writes_nothing(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let id = conversation(&*store, &alice, "Small").await;
    let link = invite(&*store, id, b"link", alice.id, limits(None, None)).await;
    assert!(matches!(
        join(&*store, b"link", &bob, 2).await,
        JoinOutcome::Joined(..)
    ));

    assert!(matches!(
        join(&*store, b"link", &carol, 2).await,
        JoinOutcome::Full
    ));
    assert_eq!(
        uses(&*store, id, link.id).await,
        1,
        "the use was not consumed"
    );
    assert_eq!(store.member(id, carol.id).await.unwrap(), None);
    assert_eq!(store.members(id).await.unwrap().len(), 2);

    store
        .update_conversation(id, None, Some(true))
        .await
        .unwrap();
    let public = join_via(&*store, JoinVia::Public(id), &carol, T0, 2)
        .await
        .unwrap();
    assert!(matches!(public, JoinOutcome::Full));
    assert!(matches!(
        join(&*store, b"link", &carol, 3).await,
        JoinOutcome::Joined(..)
    ));
}

pub async fn joining_again_answers_already_member_without_using_the_invite(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "Room").await;
    let link = invite(&*store, id, b"link", alice.id, limits(None, Some(5))).await;
    join(&*store, b"link", &bob, NO_CAP).await;

    for who in [&bob, &alice] {
        match join(&*store, b"link", who, NO_CAP).await {
            JoinOutcome::AlreadyMember(joined) => assert_eq!(joined, id),
            other => panic!("{}: expected AlreadyMember, got {other:?}", who.username),
        }
    }
    assert_eq!(uses(&*store, id, link.id).await, 1);
    // Already in, even where a newcomer would not fit.
    store
        .update_conversation(id, None, Some(true))
        .await
        .unwrap();
    let again = join_via(&*store, JoinVia::Public(id), &bob, T0, 1)
        .await
        .unwrap();
    assert!(matches!(again, JoinOutcome::AlreadyMember(joined) if joined == id));
}

pub async fn a_banned_member_cannot_rejoin_until_the_ban_is_lifted(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let dave = user(&*store, "dave").await;
    let id = conversation(&*store, &alice, "Room").await;
    let link = invite(&*store, id, b"link", alice.id, limits(None, None)).await;
    for who in [&bob, &carol] {
        join(&*store, b"link", who, NO_CAP).await;
    }

    let ban = |at| Some(Ban { by: alice.id, at });
    assert!(remove(&*store, id, &bob, ban(at(5))).await.unwrap());
    assert!(remove(&*store, id, &carol, ban(at(6))).await.unwrap());
    assert!(
        !remove(&*store, id, &dave, ban(at(7))).await.unwrap(),
        "not a member"
    );
    let bans = store.bans(id).await.unwrap();
    let listed: Vec<_> = bans
        .iter()
        .map(|b| {
            (
                b.user_id,
                b.username.as_str(),
                b.banned_by.as_deref(),
                b.banned_at,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (carol.id, "carol", Some("alice"), at(6)),
            (bob.id, "bob", Some("alice"), at(5)),
        ],
        "newest first; no ban for someone who was not a member"
    );

    assert!(matches!(
        join(&*store, b"link", &bob, NO_CAP).await,
        JoinOutcome::Banned
    ));
    assert_eq!(
        uses(&*store, id, link.id).await,
        2,
        "a refused join uses nothing"
    );
    store
        .update_conversation(id, None, Some(true))
        .await
        .unwrap();
    let public = join_via(&*store, JoinVia::Public(id), &bob, T0, NO_CAP)
        .await
        .unwrap();
    assert!(matches!(public, JoinOutcome::Banned));
    assert_eq!(store.member(id, bob.id).await.unwrap(), None);

    assert!(store.lift_ban(id, bob.id).await.unwrap());
    assert!(!store.lift_ban(id, bob.id).await.unwrap(), "only once");
    assert_eq!(store.bans(id).await.unwrap().len(), 1);
    assert!(matches!(
        join(&*store, b"link", &bob, NO_CAP).await,
        JoinOutcome::Joined(..)
    ));

    // A removal without a ban leaves the way back open.
    add_member(&*store, id, &alice, &dave).await;
    assert!(remove(&*store, id, &dave, None).await.unwrap());
    assert!(matches!(
        join(&*store, b"link", &dave, NO_CAP).await,
        JoinOutcome::Joined(..)
    ));
}

pub async fn a_public_room_is_joined_without_an_invite_only_while_public(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let id = conversation(&*store, &alice, "Lobby").await;
    let store = &*store;
    async fn public_join(
        store: &dyn Store,
        id: ConversationId,
        who: &UserView,
    ) -> Result<JoinOutcome, StoreError> {
        join_via(store, JoinVia::Public(id), who, T0 + 1, NO_CAP).await
    }

    assert!(
        matches!(
            public_join(store, id, &bob).await.unwrap(),
            JoinOutcome::Invalid
        ),
        "private"
    );
    assert!(store.public_rooms(bob.id, 10).await.unwrap().is_empty());

    assert_eq!(
        store
            .update_conversation(id, None, Some(true))
            .await
            .unwrap(),
        Some(("Lobby".into(), true))
    );
    let rooms = store.public_rooms(bob.id, 10).await.unwrap();
    let row: Vec<_> = rooms
        .iter()
        .map(|r| {
            (
                r.id,
                r.title.as_str(),
                r.member_count,
                r.last_activity_at,
                r.joined,
            )
        })
        .collect();
    assert_eq!(row, [(id, "Lobby", 1, at(0), false)]);
    assert!(matches!(
        public_join(store, id, &bob).await.unwrap(),
        JoinOutcome::Joined(..)
    ));
    let rooms = store.public_rooms(bob.id, 10).await.unwrap();
    assert_eq!((rooms[0].member_count, rooms[0].joined), (2, true));

    // Most recently active first.
    let older = store
        .create_conversation(alice.id, "Older", true, Timestamp(T0 - 10))
        .await
        .unwrap()
        .id;
    let ids = |rooms: Vec<PublicRoom>| -> Vec<ConversationId> {
        rooms.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(
        ids(store.public_rooms(bob.id, 10).await.unwrap()),
        [id, older]
    );
    let mut m = event(older, &alice, EventKind::Message, None, "m", "m");
    m.now = at(100);
    store.append_event(m).await.unwrap();
    assert_eq!(
        ids(store.public_rooms(bob.id, 10).await.unwrap()),
        [older, id]
    );
    assert_eq!(ids(store.public_rooms(bob.id, 1).await.unwrap()), [older]);

    assert_eq!(
        store
            .update_conversation(id, Some("Hall"), Some(false))
            .await
            .unwrap(),
        Some(("Hall".into(), false))
    );
    assert!(matches!(
        public_join(store, id, &carol).await.unwrap(),
        JoinOutcome::Invalid
    ));
    assert_eq!(ids(store.public_rooms(bob.id, 10).await.unwrap()), [older]);
    assert_eq!(
        store
            .update_conversation(ConversationId(id.0 + 1_000), Some("x"), None)
            .await
            .unwrap(),
        None
    );
}

/// The conversation's last event, as a client resuming from just before it would read it.
async fn last_event(store: &dyn Store, id: ConversationId, viewer: &UserView) -> MessageView {
    let last = last_seq(store, id, viewer).await;
    let mut events = store.messages_after(id, last.plus(-1), 10).await.unwrap();
    assert_eq!(events.len(), 1, "one event at the last seq {last}");
    events.remove(0)
}

/// `what` left `last` the conversation's last event.
async fn wrote_nothing(
    store: &dyn Store,
    id: ConversationId,
    viewer: &UserView,
    last: &MessageView,
    what: &str,
) {
    assert_eq!(
        last_seq(store, id, viewer).await,
        last.seq,
        "{what} wrote no event"
    );
    assert_eq!(last_event(store, id, viewer).await, *last, "{what}");
}

pub async fn joining_and_leaving_write_their_events_with_the_membership(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let [bob, carol, dave] = [
        user(&*store, "bob").await,
        user(&*store, "carol").await,
        user(&*store, "dave").await,
    ];
    let id = conversation(&*store, &alice, "Room").await;
    let link = invite(&*store, id, b"link", alice.id, limits(None, None)).await;
    assert_eq!(
        last_seq(&*store, id, &alice).await,
        Seq(0),
        "a new conversation"
    );

    // A join by invite: the membership and its `join` event, the conversation's last.
    let joined = match join(&*store, b"link", &bob, NO_CAP).await {
        JoinOutcome::Joined(joined, member, event) => {
            assert_eq!((joined, member.user), (id, bob.clone()));
            *event
        }
        other => panic!("expected Joined, got {other:?}"),
    };
    assert_eq!(
        (joined.conversation_id, joined.seq, joined.kind),
        (id, Seq(1), EventKind::Join)
    );
    assert_eq!(
        (joined.author_id, joined.author.as_str(), joined.created_at),
        (bob.id, "bob", at(1))
    );
    assert_eq!(
        last_event(&*store, id, &alice).await,
        joined,
        "stored as returned"
    );
    let history = store.history(id, None, 10).await.unwrap();
    assert_eq!(history.last(), Some(&joined), "a visible event");

    // Into a public room likewise.
    store
        .update_conversation(id, None, Some(true))
        .await
        .unwrap();
    let public = match join_via(&*store, JoinVia::Public(id), &carol, T0 + 2, NO_CAP)
        .await
        .unwrap()
    {
        JoinOutcome::Joined(_, _, event) => *event,
        other => panic!("expected Joined, got {other:?}"),
    };
    assert_eq!(
        (public.seq, public.kind, public.author_id),
        (Seq(2), EventKind::Join, carol.id)
    );
    assert_eq!(last_event(&*store, id, &alice).await, public);

    // A refused join writes no event: the last seq stays where it was.
    assert!(matches!(
        join(&*store, b"link", &bob, NO_CAP).await,
        JoinOutcome::AlreadyMember(_)
    ));
    wrote_nothing(&*store, id, &alice, &public, "AlreadyMember").await;
    assert!(matches!(
        join(&*store, b"link", &dave, 3).await,
        JoinOutcome::Full
    ));
    let full = join_via(&*store, JoinVia::Public(id), &dave, T0 + 3, 3)
        .await
        .unwrap();
    assert!(matches!(full, JoinOutcome::Full));
    wrote_nothing(&*store, id, &alice, &public, "Full").await;
    assert!(matches!(
        join(&*store, b"no-such-code", &dave, NO_CAP).await,
        JoinOutcome::Invalid
    ));
    let other = conversation(&*store, &alice, "Private").await;
    let private = join_via(&*store, JoinVia::Public(other), &dave, T0 + 3, NO_CAP)
        .await
        .unwrap();
    assert!(matches!(private, JoinOutcome::Invalid));
    assert_eq!(last_seq(&*store, other, &alice).await, Seq(0));
    wrote_nothing(&*store, id, &alice, &public, "Invalid").await;

    // A removal: the membership goes and its `leave` event is the last, with the body given.
    let ban = Some(Ban {
        by: alice.id,
        at: at(4),
    });
    let left = leave(&*store, id, &bob, ban, "removed")
        .await
        .unwrap()
        .expect("bob was a member");
    assert_eq!(
        (
            left.conversation_id,
            left.seq,
            left.kind,
            left.body.as_str()
        ),
        (id, Seq(3), EventKind::Leave, "removed")
    );
    assert_eq!((left.author_id, left.author.as_str()), (bob.id, "bob"));
    assert_eq!(store.member(id, bob.id).await.unwrap(), None);
    assert_eq!(last_event(&*store, id, &alice).await, left);
    let history = store.history(id, None, 10).await.unwrap();
    assert_eq!(history.last(), Some(&left), "a visible event");

    // Removing a non-member writes nothing; nor does a banned member's join.
    assert!(leave(&*store, id, &bob, None, "again")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        join(&*store, b"link", &bob, NO_CAP).await,
        JoinOutcome::Banned
    ));
    let banned = join_via(&*store, JoinVia::Public(id), &bob, T0 + 5, NO_CAP)
        .await
        .unwrap();
    assert!(matches!(banned, JoinOutcome::Banned));
    wrote_nothing(&*store, id, &alice, &left, "Banned").await;

    // Leaving of one's own accord (no ban, no body), then the next join takes the next seq.
    let gone = leave(&*store, id, &carol, None, "")
        .await
        .unwrap()
        .expect("carol was a member");
    assert_eq!(
        (gone.seq, gone.kind, gone.author_id, gone.body.as_str()),
        (Seq(4), EventKind::Leave, carol.id, "")
    );
    assert_eq!(last_event(&*store, id, &alice).await, gone);
    assert!(store.lift_ban(id, bob.id).await.unwrap());
    match join(&*store, b"link", &bob, NO_CAP).await {
        JoinOutcome::Joined(_, _, event) => {
            assert_eq!(
                (event.seq, event.kind, event.author_id),
                (Seq(5), EventKind::Join, bob.id)
            );
            assert_eq!(last_event(&*store, id, &alice).await, *event);
        }
        other => panic!("expected Joined, got {other:?}"),
    }
    assert_eq!(
        uses(&*store, id, link.id).await,
        2,
        "only the two joins by invite"
    );
}
