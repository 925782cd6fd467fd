//! Accounts and sessions.

use crate::fixtures::{add_member, at, conversation, sign_up, user, T0};
use palaver::server::store::NewSession;
use palaver::server::{Store, StoreError};
use palaver::{SessionId, Timestamp, UserId};
use std::sync::Arc;

pub async fn sign_up_refuses_a_taken_username_whatever_its_case(store: Arc<dyn Store>) {
    let alice = user(&*store, "Alice").await;

    assert!(matches!(
        sign_up(&*store, "aLICE").await,
        Err(StoreError::Conflict)
    ));
    let (found, hash) = store
        .user_credentials("alice")
        .await
        .unwrap()
        .expect("found by the case-folded key");
    assert_eq!(found, alice, "the name keeps the case it was created with");
    assert_eq!(hash, "$argon2id$not-a-real-hash");
    assert_eq!(store.user_by_id(alice.id).await.unwrap(), Some(alice));
    assert_eq!(store.user_credentials("bob").await.unwrap(), None);
}

pub async fn sign_up_refuses_a_look_alike_of_an_existing_name(store: Arc<dyn Store>) {
    user(&*store, "paypal").await;
    user(&*store, "mallory").await;

    for (alike, existing) in [
        ("paypaI", "paypal"),
        ("paypa1", "paypal"),
        ("rnallory", "mallory"),
    ] {
        match sign_up(&*store, alike).await {
            Err(StoreError::Lookalike(name)) => assert_eq!(name, existing, "{alike}"),
            other => panic!("{alike}: expected Lookalike({existing}), got {other:?}"),
        }
        let key = alike.to_ascii_lowercase();
        assert_eq!(
            store.user_credentials(&key).await.unwrap(),
            None,
            "{alike} was not stored"
        );
    }
    // A name that merely shares letters is not a look-alike.
    sign_up(&*store, "paypal_2")
        .await
        .expect("a different name");
}

pub async fn password_hashes_are_read_and_replaced_by_user_id(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;

    store.set_password_hash(alice.id, "new-hash").await.unwrap();

    assert_eq!(
        store.password_hash(alice.id).await.unwrap().as_deref(),
        Some("new-hash")
    );
    assert_eq!(
        store.password_hash(UserId(alice.id.0 + 100)).await.unwrap(),
        None
    );
}

fn sid(id: &str) -> SessionId {
    SessionId(id.to_owned())
}

/// Creates a session `id` for `user` whose cookie hash is `id`'s bytes, expiring at `expires`.
async fn session(store: &dyn Store, id: &str, user: UserId, now: i64, expires: i64) {
    store
        .create_session(NewSession {
            id: &SessionId(id.to_owned()),
            token_hash: id.as_bytes(),
            user_id: user,
            now: Timestamp(now),
            expires_at: Timestamp(expires),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
            client_addr: Some("192.0.2.1"),
        })
        .await
        .expect("create session");
}

pub async fn a_session_is_found_by_its_token_hash_until_it_expires(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    session(&*store, "s1", alice.id, T0, T0 + 1_000).await;

    let record = store
        .session_by_token(b"s1", at(999))
        .await
        .unwrap()
        .expect("live");
    assert_eq!(record.session_id.as_str(), "s1");
    assert_eq!(record.user, alice);
    assert_eq!(
        store.session_owner(&sid("s1"), at(999)).await.unwrap(),
        Some(alice.id)
    );
    assert!(store
        .session_by_token(b"s2", at(0))
        .await
        .unwrap()
        .is_none());

    // Expired at expires_at itself.
    assert!(store
        .session_by_token(b"s1", at(1_000))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.session_owner(&sid("s1"), at(1_000)).await.unwrap(),
        None
    );
    assert!(store
        .sessions_for(alice.id, at(1_000))
        .await
        .unwrap()
        .is_empty());
}

pub async fn a_revoked_session_is_invisible(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    session(&*store, "s1", alice.id, T0, T0 + 60_000).await;

    assert_eq!(
        store.revoke_session(b"s1", at(1)).await.unwrap(),
        Some(sid("s1"))
    );
    assert_eq!(
        store.revoke_session(b"s1", at(2)).await.unwrap(),
        None,
        "only once"
    );
    assert!(store
        .session_by_token(b"s1", at(3))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.session_owner(&sid("s1"), at(3)).await.unwrap(), None);
    assert!(store
        .sessions_for(alice.id, at(3))
        .await
        .unwrap()
        .is_empty());
}

pub async fn revoking_the_other_sessions_keeps_the_current_one(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    session(&*store, "a1", alice.id, T0, T0 + 60_000).await;
    session(&*store, "a2", alice.id, T0 + 1, T0 + 60_000).await;
    session(&*store, "a3", alice.id, T0 + 2, T0 + 60_000).await;
    session(&*store, "b1", bob.id, T0, T0 + 60_000).await;
    let ids = |list: Vec<palaver::model::SessionInfo>| -> Vec<String> {
        list.into_iter().map(|s| s.id.0).collect()
    };
    // Most recently seen first.
    assert_eq!(
        ids(store.sessions_for(alice.id, at(10)).await.unwrap()),
        ["a3", "a2", "a1"]
    );

    assert!(
        !store
            .revoke_session_by_id(bob.id, &sid("a3"), at(10))
            .await
            .unwrap(),
        "not Bob's"
    );
    assert!(store
        .revoke_session_by_id(alice.id, &sid("a3"), at(10))
        .await
        .unwrap());
    assert!(!store
        .revoke_session_by_id(alice.id, &sid("a3"), at(11))
        .await
        .unwrap());
    let mut revoked = store
        .revoke_sessions_except(alice.id, Some(&sid("a1")), at(12))
        .await
        .unwrap();
    revoked.sort();
    assert_eq!(revoked, [sid("a2")]);
    assert_eq!(
        ids(store.sessions_for(alice.id, at(13)).await.unwrap()),
        ["a1"]
    );
    assert_eq!(
        ids(store.sessions_for(bob.id, at(13)).await.unwrap()),
        ["b1"]
    );

    // Without a session to keep (a password reset), all of them go.
    assert_eq!(
        store
            .revoke_sessions_except(alice.id, None, at(14))
            .await
            .unwrap(),
        [sid("a1")]
    );
    assert!(store
        .sessions_for(alice.id, at(15))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .session_by_token(b"b1", at(15))
        .await
        .unwrap()
        .is_some());
}

pub async fn an_opening_socket_reads_its_memberships_only_under_a_live_session_of_its_user(
    store: Arc<dyn Store>,
) {
    // The first account is the admin, who cannot be disabled while alone.
    user(&*store, "admin").await;
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    session(&*store, "a1", alice.id, T0, T0 + 1_000).await;
    session(&*store, "a2", alice.id, T0, T0 + 1_000).await;
    session(&*store, "b1", bob.id, T0, T0 + 1_000).await;
    let memberships = |session: &'static str, user: UserId, ms: i64| {
        let store = store.clone();
        async move {
            store
                .socket_memberships(&sid(session), user, at(ms))
                .await
                .unwrap()
                .map(|mut ids| {
                    ids.sort();
                    ids
                })
        }
    };

    // A live session of a user in no conversation: live, and nothing to listen to.
    assert_eq!(memberships("a1", alice.id, 1).await, Some(vec![]));
    let first = conversation(&*store, &alice, "First").await;
    let second = conversation(&*store, &bob, "Second").await;
    let _not_hers = conversation(&*store, &bob, "Not hers").await;
    add_member(&*store, second, &bob, &alice).await;
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(memberships("a1", alice.id, 2).await, Some(both));

    // Another user's session, an unknown one, an expired one.
    assert_eq!(memberships("b1", alice.id, 3).await, None, "Bob's session");
    assert_eq!(memberships("nope", alice.id, 3).await, None);
    assert_eq!(memberships("a1", alice.id, 1_000).await, None, "expired");

    // Revoked: that session only.
    store.revoke_session(b"a1", at(4)).await.unwrap();
    assert_eq!(memberships("a1", alice.id, 5).await, None, "revoked");
    assert!(memberships("a2", alice.id, 5).await.is_some());

    // A disabled account: none of its sessions.
    store.set_disabled(alice.id, Some(at(6))).await.unwrap();
    assert_eq!(memberships("a2", alice.id, 7).await, None, "disabled");
    assert!(memberships("b1", bob.id, 7).await.is_some());
}
