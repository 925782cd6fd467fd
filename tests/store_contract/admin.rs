//! Instance administration: admins, disabled accounts, the account list and its rollups.

use crate::fixtures::{add_member, append, at, conversation, event, say, user, T0};
use palaver::model::EventKind;
use palaver::server::store::{InviteLimits, NewSession};
use palaver::server::{Store, StoreError};
use palaver::{SessionId, Timestamp, UserId};
use std::sync::Arc;

pub async fn session(store: &dyn Store, id: &str, user: UserId, now: i64, addr: &str) {
    store
        .create_session(NewSession {
            id: &SessionId(id.to_owned()),
            token_hash: id.as_bytes(),
            user_id: user,
            now: Timestamp(now),
            expires_at: Timestamp(now + 86_400_000),
            user_agent: None,
            client_addr: Some(addr),
        })
        .await
        .unwrap();
}

pub async fn the_first_account_is_the_admin_and_the_last_admin_stays(store: Arc<dyn Store>) {
    let first = user(&*store, "first").await;
    let second = user(&*store, "second").await;
    assert!(store.is_admin(first.id).await.unwrap(), "the first account");
    assert!(!store.is_admin(second.id).await.unwrap());

    // The only admin can be neither demoted nor disabled.
    assert!(matches!(
        store.set_admin(first.id, false).await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        store.set_disabled(first.id, Some(at(1))).await,
        Err(StoreError::Forbidden)
    ));
    assert!(store.is_admin(first.id).await.unwrap());

    // With a second admin, the first may go; granting twice changes nothing.
    assert!(store.set_admin(second.id, true).await.unwrap());
    assert!(!store.set_admin(second.id, true).await.unwrap());
    assert!(store.set_admin(first.id, false).await.unwrap());
    assert!(!store.is_admin(first.id).await.unwrap());
    assert!(matches!(
        store.set_admin(UserId(second.id.0 + 100), true).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn two_admins_demoting_each_other_at_once_leave_one(store: Arc<dyn Store>) {
    for round in 0..10 {
        let a = user(&*store, &format!("alpha{round}")).await;
        let b = user(&*store, &format!("bravo{round}")).await;
        store.set_admin(a.id, true).await.unwrap();
        store.set_admin(b.id, true).await.unwrap();
        // Everyone else steps down first, so these two are the only admins.
        let page = store.admin_users("", None, 1_000, at(0)).await.unwrap();
        for other in page
            .users
            .iter()
            .filter(|u| u.admin && u.id != a.id && u.id != b.id)
        {
            store.set_admin(other.id, false).await.unwrap();
        }
        let (sa, sb) = (store.clone(), store.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { sa.set_admin(b.id, false).await }),
            tokio::spawn(async move { sb.set_disabled(a.id, Some(at(5))).await }),
        );
        let ok = [ra.unwrap().is_ok(), rb.unwrap().is_ok()];
        assert_eq!(
            ok.iter().filter(|x| **x).count(),
            1,
            "round {round}: exactly one of the two may win: {ok:?}"
        );
        let admins = store
            .admin_users("", None, 1_000, at(0))
            .await
            .unwrap()
            .users
            .into_iter()
            .filter(|u| u.admin && u.disabled_at.is_none())
            .count();
        assert_eq!(admins, 1, "round {round}");
        // Back to a clean state for the next round.
        store.set_disabled(a.id, None).await.unwrap();
        store.set_admin(a.id, true).await.unwrap();
        store.set_admin(b.id, true).await.unwrap();
    }
}

pub async fn disabling_ends_every_session_and_kills_the_accounts_invites(store: Arc<dyn Store>) {
    let _admin = user(&*store, "admin").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &bob, "Bob's").await;
    let invite = store
        .create_invite(
            room,
            b"bob-invite",
            bob.id,
            at(0),
            InviteLimits {
                expires_at: None,
                max_uses: None,
            },
        )
        .await;
    assert!(invite.is_ok(), "{invite:?}");
    assert!(store
        .invite_target(b"bob-invite", at(1))
        .await
        .unwrap()
        .is_some());
    session(&*store, "s1", bob.id, T0, "10.0.0.1").await;
    session(&*store, "s2", bob.id, T0 + 10, "10.0.0.2").await;

    let mut ended = store
        .set_disabled(bob.id, Some(at(100)))
        .await
        .unwrap()
        .expect("a change");
    ended.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(ended, vec![SessionId("s1".into()), SessionId("s2".into())]);
    assert_eq!(
        store.set_disabled(bob.id, Some(at(101))).await.unwrap(),
        None,
        "already disabled"
    );
    assert!(store
        .session_by_token(b"s1", at(200))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.invite_target(b"bob-invite", at(200)).await.unwrap(),
        None,
        "a disabled account's invite is dead"
    );
    // A session created after the disable (a sign-in that raced it) is not honoured either.
    session(&*store, "late", bob.id, T0 + 300, "10.0.0.3").await;
    assert!(store
        .session_by_token(b"late", at(301))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .session_owner(&SessionId("late".into()), at(301))
            .await
            .unwrap(),
        None
    );

    assert_eq!(
        store.set_disabled(bob.id, None).await.unwrap(),
        Some(vec![])
    );
    assert!(
        store
            .invite_target(b"bob-invite", at(400))
            .await
            .unwrap()
            .is_some(),
        "enabled again"
    );
    assert!(store
        .session_by_token(b"late", at(401))
        .await
        .unwrap()
        .is_some());
}

pub async fn the_account_list_pages_by_name_with_search_and_rollups(store: Arc<dyn Store>) {
    let admin = user(&*store, "Admin").await;
    let carol = user(&*store, "carol").await;
    for i in 0..7 {
        user(&*store, &format!("user{i:02}")).await;
    }
    store
        .set_profile(carol.id, "Carol 50%_off", "")
        .await
        .unwrap();
    let room = conversation(&*store, &admin, "Room").await;
    add_member(&*store, room, &admin, &carol).await;
    say(&*store, room, &carol, "one").await;
    // Two more at once (one batch of the writer, or two), and an edit, which is not counted.
    let (two, three) = tokio::join!(
        append(
            &*store,
            event(room, &carol, EventKind::Message, None, "c2", "two")
        ),
        append(
            &*store,
            event(room, &carol, EventKind::Message, None, "c3", "three")
        ),
    );
    let two = two.unwrap().message;
    three.unwrap();
    append(
        &*store,
        event(room, &carol, EventKind::Edit, Some(two.seq), "c4", "2"),
    )
    .await
    .unwrap();
    session(&*store, "c1", carol.id, T0, "10.1.1.1").await;
    session(&*store, "c2", carol.id, T0 + 50, "10.2.2.2").await;
    store.revoke_session(b"c1", at(60)).await.unwrap();

    let page = store.admin_users("carol", None, 10, at(100)).await.unwrap();
    assert_eq!(page.next, None);
    let [c] = page.users.as_slice() else {
        panic!("{page:?}")
    };
    assert_eq!(c.username, "carol");
    assert_eq!(c.messages_sent, 3, "messages sent alone and in a batch");
    assert_eq!(c.conversations, 1);
    assert_eq!(c.active_sessions, 1);
    assert_eq!(c.last_sign_in_at, Some(at(50)));
    assert_eq!(c.last_sign_in_addr.as_deref(), Some("10.2.2.2"));
    assert!(!c.admin);
    // `%` and `_` in a search are letters, not wildcards.
    let literal = store.admin_users("50%_", None, 10, at(100)).await.unwrap();
    assert_eq!(literal.users.len(), 1, "{literal:?}");
    assert!(store
        .admin_users("5%0", None, 10, at(100))
        .await
        .unwrap()
        .users
        .is_empty());

    // Pages of 4 cover all 9 accounts once, in case-insensitive name order.
    let (mut names, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = store
            .admin_users("", after.as_deref(), 4, at(100))
            .await
            .unwrap();
        names.extend(page.users.iter().map(|u| u.username.clone()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_ascii_lowercase());
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 9);
    assert_eq!(names[0], "Admin");
    assert!(
        store
            .admin_user(admin.id, at(100))
            .await
            .unwrap()
            .unwrap()
            .admin
    );
    assert_eq!(store.user_id_by_key("carol").await.unwrap(), Some(carol.id));
}

pub async fn a_reset_link_works_once_until_it_expires_or_is_replaced(store: Arc<dyn Store>) {
    let _admin = user(&*store, "admin").await;
    let dana = user(&*store, "dana").await;
    session(&*store, "d1", dana.id, T0, "10.0.0.9").await;
    store
        .create_password_reset(dana.id, b"code-1", None, at(0), at(1_000))
        .await
        .unwrap();
    assert_eq!(
        store
            .password_reset_target(b"code-1", at(10))
            .await
            .unwrap(),
        Some(dana.clone())
    );
    assert_eq!(
        store
            .password_reset_target(b"code-1", at(1_000))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.password_reset_target(b"nope", at(10)).await.unwrap(),
        None
    );

    // Twenty uses at once: one sets the password and ends the session, the rest find it used.
    let uses: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .use_password_reset(b"code-1", &format!("hash-{i}"), at(20))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = Vec::new();
    for u in uses {
        if let Some(done) = u.await.unwrap() {
            won.push(done);
        }
    }
    assert_eq!(won.len(), 1, "exactly one use");
    let (who, ended) = &won[0];
    assert_eq!(who, &dana);
    assert_eq!(ended, &vec![SessionId("d1".into())]);
    assert!(store
        .password_hash(dana.id)
        .await
        .unwrap()
        .unwrap()
        .starts_with("hash-"));
    assert!(store
        .session_by_token(b"d1", at(30))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .password_reset_target(b"code-1", at(30))
            .await
            .unwrap(),
        None,
        "used"
    );

    // A new link replaces an unused one; an expired one cannot be used.
    store
        .create_password_reset(dana.id, b"code-2", None, at(40), at(1_000))
        .await
        .unwrap();
    store
        .create_password_reset(dana.id, b"code-3", None, at(50), at(1_000))
        .await
        .unwrap();
    assert_eq!(
        store
            .use_password_reset(b"code-2", "x", at(60))
            .await
            .unwrap(),
        None,
        "replaced"
    );
    assert_eq!(
        store
            .use_password_reset(b"code-3", "x", at(1_000))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert!(store
        .use_password_reset(b"code-3", "y", at(999))
        .await
        .unwrap()
        .is_some());
}
