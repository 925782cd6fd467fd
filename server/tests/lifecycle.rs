//! How data ends (issue 14), through the real server functions and sockets, on both stores:
//! an admin deletes an account (its sockets close within a second, its messages stay as
//! "Deleted user" or are erased live, what it owned passes on), and retention (the owner's
//! setting within the instance's maximum; a client resuming from before the cut is told
//! where history now begins and gets the events after it).

mod common;

use common::{spawn_app_in, unique, Client, TestApp, PASSWORD};
use palaver::server::store::{self, DEFAULT_POOL_SIZE};
use palaver::{ConversationId, Timestamp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A fresh install whose first account (returned) is its admin.
async fn instance(
    tweak: Option<fn(&mut palaver_server::Config)>,
) -> (TestApp, tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_in(dir.path().to_path_buf(), tweak).await;
    let admin = app.client();
    admin.sign_up(&unique("admin")).await;
    (app, dir, admin)
}

async fn join(who: &Client, link: &str) {
    let code = link.rsplit('/').next().unwrap();
    who.call("accept_invite", &[("code", code)])
        .await
        .ok::<Value>();
}

async fn delete_account(admin: &Client, user: i64, erase: bool, confirm: &str) -> common::Reply {
    admin
        .call(
            "admin_delete_account",
            &[
                ("user_id", &user.to_string()),
                ("erase", &erase.to_string()),
                ("confirm", confirm),
            ],
        )
        .await
}

async fn set_retention(who: &Client, room: i64, days: &str) -> common::Reply {
    who.call(
        "set_retention",
        &[("id", &room.to_string()), ("days", days)],
    )
    .await
}

fn history_of(reply: common::Reply) -> Vec<Value> {
    let page: Value = reply.ok();
    page["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_deleted_accounts_sockets_close_at_once_and_its_messages_are_erased_live() {
    let (app, _dir, admin) = instance(None).await;
    let (bob, bob_name) = app.signed_up("bob").await;
    let (carol, _) = app.signed_up("carol").await;
    let bob_id = bob.user_id().await;
    let team = admin.create_conversation("Team").await;
    let link = admin.invite(team).await;
    join(&bob, &link).await;
    join(&carol, &link).await;
    let bobs = bob.create_conversation("Bob's").await;
    join(&carol, &bob.invite(bobs).await).await;
    let solo = bob.create_conversation("Solo").await;

    let mut bob_ws = bob.socket().await;
    let mut said = Vec::new();
    for body in ["one", "two", "three"] {
        let ack = bob_ws.send_message(team, &unique("c"), body).await;
        said.push(ack["seq"].as_i64().expect("acked"));
    }
    let mut carol_ws = carol.socket().await;

    // Refused: a wrong confirmation, the admin's own account, a member's request.
    assert_eq!(
        delete_account(&admin, bob_id, true, "bobb").await.status,
        422
    );
    let admin_id = admin.user_id().await;
    let own = delete_account(&admin, admin_id, true, "x").await;
    assert_eq!(own.status, 403, "{own:?}");
    assert_eq!(
        delete_account(&carol, bob_id, true, &bob_name).await.status,
        403
    );

    let started = Instant::now();
    assert_eq!(
        delete_account(&admin, bob_id, true, &bob_name).await.status,
        200
    );
    let frame = bob_ws.next_of("error").await;
    assert_eq!(frame["code"], "account_deleted", "{frame}");
    assert!(
        frame["message"].as_str().unwrap().contains("deleted"),
        "{frame}"
    );
    assert_eq!(bob_ws.close_code(Duration::from_secs(1)).await, Some(4003));
    let closed_in = started.elapsed();
    println!("ADMIN delete: the account's socket closed {closed_in:?} after the request");
    assert!(closed_in < Duration::from_secs(1), "{closed_in:?}");

    // Carol sees Bob leave as "Deleted user", then each of his messages deleted.
    let mut erased = Vec::new();
    let mut left = false;
    while erased.len() < said.len() {
        let f = carol_ws.next_of("message").await;
        let m = &f["message"];
        if m["conversation_id"] == team && m["kind"] == "leave" {
            assert_eq!(m["author"], "Deleted user", "{m}");
            left = true;
        }
        if m["conversation_id"] == team && m["kind"] == "delete" {
            assert!(left, "the erasure follows the departure");
            erased.push(m["target_seq"].as_i64().unwrap());
        }
    }
    println!(
        "ADMIN delete: {} messages erased live {:?} after the request",
        erased.len(),
        started.elapsed()
    );
    assert_eq!(erased, said);
    let history = history_of(carol.history(team).await);
    for m in history
        .iter()
        .filter(|m| said.contains(&m["seq"].as_i64().unwrap()))
    {
        assert_eq!(
            (m["deleted"].clone(), m["body"].clone()),
            (json!(true), json!("")),
            "{m}"
        );
        assert_eq!(m["author"], "Deleted user");
    }

    // What Bob owned passed on or went; his name and password are gone, the name is free.
    let detail: Value = carol
        .call("conversation", &[("id", &bobs.to_string())])
        .await
        .ok();
    assert_eq!(detail["my_role"], "owner", "{detail}");
    let gone = admin
        .call(
            "admin_conversation",
            &[("id", &solo.to_string()), ("action", "delete")],
        )
        .await;
    assert_eq!(
        gone.status, 404,
        "Solo had nobody else and was deleted: {gone:?}"
    );
    assert_eq!(app.client().sign_in(&bob_name, PASSWORD).await.status, 401);
    assert_eq!(
        app.client().sign_in("Deleted user", "").await.status / 100,
        4
    );
    app.client().sign_up(&bob_name).await;
    let audit: Value = admin
        .call("admin_audit_log", &[("action", "account_deleted")])
        .await
        .ok();
    let entry = &audit["entries"][0];
    assert_eq!(
        (entry["target"].clone(), entry["detail"].clone()),
        (json!(bob_name), json!("messages erased")),
        "{audit}"
    );
}

#[tokio::test]
async fn a_deleted_account_can_keep_its_messages_as_deleted_user() {
    let (app, _dir, admin) = instance(None).await;
    let (dave, dave_name) = app.signed_up("dave").await;
    let dave_id = dave.user_id().await;
    let room = admin.create_conversation("Room").await;
    join(&dave, &admin.invite(room).await).await;
    let mut ws = dave.socket().await;
    ws.send_message(room, "keep-1", "still here").await;
    drop(ws);

    assert_eq!(
        delete_account(&admin, dave_id, false, &dave_name)
            .await
            .status,
        200
    );
    let history = history_of(admin.history(room).await);
    let kept = history
        .iter()
        .find(|m| m["body"] == "still here")
        .expect("kept");
    assert_eq!(kept["author"], "Deleted user");
    assert_ne!(kept["deleted"], true);
    let again = delete_account(&admin, dave_id, true, "Deleted user").await;
    assert_eq!(again.status, 404, "{again:?}");
}

#[tokio::test]
async fn fifty_deletions_of_one_account_at_once_delete_it_once() {
    let (app, _dir, admin) = instance(None).await;
    let (eve, eve_name) = app.signed_up("eve").await;
    let eve_id = eve.user_id().await;
    let room = admin.create_conversation("Room").await;
    join(&eve, &admin.invite(room).await).await;
    let admin = std::sync::Arc::new(admin);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (admin, name) = (admin.clone(), eve_name.clone());
            tokio::spawn(async move {
                delete_account(&admin, eve_id, i % 2 == 0, &name)
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let other: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    println!("ADMIN 50 concurrent deletions of one account: {ok} answered 200, the rest {other:?}");
    assert_eq!(ok, 1, "{statuses:?}");
    assert!(other.iter().all(|s| matches!(s, 404 | 429)), "{statuses:?}");
    // One departure in the conversation, one audit line.
    let history = history_of(admin.history(room).await);
    let leaves = history.iter().filter(|m| m["kind"] == "leave").count();
    assert_eq!(leaves, 1, "{history:?}");
    let audit: Value = admin
        .call("admin_audit_log", &[("action", "account_deleted")])
        .await
        .ok();
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
}

#[tokio::test]
async fn retention_is_the_owners_within_the_instance_maximum() {
    let (app, _dir, owner) = instance(Some(|c| c.retention_days = Some(30))).await;
    let (member, _) = app.signed_up("member").await;
    let room = owner.create_conversation("Room").await;
    join(&member, &owner.invite(room).await).await;
    for bad in ["0", "31", "-1"] {
        let reply = set_retention(&owner, room, bad).await;
        assert_eq!(reply.status, 422, "{bad}: {reply:?}");
        assert!(reply.message().contains("1 to 30"), "{}", reply.message());
    }
    assert_eq!(set_retention(&member, room, "7").await.status, 403);
    let now: Value = set_retention(&owner, room, "7").await.ok();
    assert_eq!(
        now,
        json!({"days": 7, "instance_days": 30, "pruned_through": 0})
    );
    let detail: Value = member
        .call("conversation", &[("id", &room.to_string())])
        .await
        .ok();
    assert_eq!(detail["retention"]["days"], 7);
    let cleared: Value = owner
        .call("set_retention", &[("id", &room.to_string())])
        .await
        .ok();
    assert_eq!(cleared["days"], Value::Null);
    let audit: Value = owner
        .call("audit_log", &[("id", &room.to_string())])
        .await
        .ok();
    assert!(audit.to_string().contains("retention_changed"), "{audit}");
}

#[tokio::test]
async fn a_client_resuming_from_before_the_cut_is_told_where_history_begins() {
    let (app, _dir, owner) = instance(None).await;
    let room = owner.create_conversation("Room").await;
    let mut ws = owner.socket().await;
    for i in 0..6 {
        ws.send_message(room, &format!("m{i}"), &format!("message {i}"))
            .await;
    }
    // The retention job's own store call, on the server's database: the first four
    // messages, as a pass whose cutoff is in the future would take them in batches.
    let db = store::connect(&app.database_url, DEFAULT_POOL_SIZE)
        .await
        .expect("store");
    let cutoff = Timestamp(Timestamp::now().0 + 86_400_000);
    let pruned = db
        .prune_before(ConversationId(room), cutoff, 4)
        .await
        .expect("pruned");
    assert_eq!((pruned.deleted, pruned.through.0), (4, 4));

    ws.send_json(&json!({"type": "sync", "conversation_id": room, "after_seq": 1}))
        .await;
    let cut = ws.next_of("history_pruned").await;
    assert_eq!(
        cut,
        json!({"type": "history_pruned", "conversation_id": room, "through": 4})
    );
    let first = ws.next_of("message").await;
    assert_eq!(
        first["message"]["seq"], 5,
        "the events after the cut follow: {first}"
    );
    let page: Value = owner.history(room).await.ok();
    assert_eq!(page["pruned_through"], 4);
    assert_eq!(page["has_older"], false);
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [5, 6]);
}
