//! Instance administration (issue 14) through the real server functions and sockets: every
//! admin action by an instance admin succeeds and by a member or an anonymous caller is
//! refused with nothing changed; disabling an account closes its sockets within a second,
//! refuses its sign-in and kills its sessions and invite links; the instance never loses its
//! last enabled admin, even to many requests at once.

mod common;

use common::{spawn_app_in, unique, Client, TestApp, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A fresh install whose first account (returned) is therefore its admin.
async fn instance() -> (TestApp, tempfile::TempDir, Client, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_in(dir.path().to_path_buf(), None).await;
    let admin = app.client();
    let name = unique("admin");
    admin.sign_up(&name).await;
    (app, dir, admin, name)
}

async fn account(admin: &Client, user: i64, action: &str) -> common::Reply {
    admin
        .call(
            "admin_account",
            &[("user_id", &user.to_string()), ("action", action)],
        )
        .await
}

/// The account's row on /admin/users, as its admin sees it (Null once deleted).
async fn row(admin: &Client, name: &str) -> Value {
    let page: Value = admin.call("admin_users", &[("q", name)]).await.ok();
    page["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == name))
        .cloned()
        .unwrap_or(Value::Null)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Admin,
    Member,
    Anonymous,
}

const ACTIONS: [&str; 11] = [
    "am_admin",
    "admin_dashboard",
    "admin_users",
    "admin_audit_log",
    "admin_reset_link",
    "disable",
    "enable",
    "sign_out_everywhere",
    "grant_admin",
    "revoke_admin",
    "delete_account",
];

#[tokio::test]
async fn every_admin_action_is_the_admins_alone() {
    let (app, _dir, admin, _) = instance().await;
    let (member, _) = app.signed_up("member").await;
    let anonymous = app.client();
    let (mut refusable, mut refused) = (0, 0);
    for who in [Who::Member, Who::Anonymous, Who::Admin] {
        for action in ACTIONS {
            // A fresh target per try, so each outcome is its own.
            let (target, target_name) = app.signed_up("target").await;
            let target_id = target.user_id().await;
            let caller = match who {
                Who::Admin => &admin,
                Who::Member => &member,
                Who::Anonymous => &anonymous,
            };
            if action == "enable" || action == "revoke_admin" {
                // Something to undo first (done by the admin).
                let setup = if action == "enable" {
                    "disable"
                } else {
                    "grant_admin"
                };
                account(&admin, target_id, setup).await.ok::<Value>();
            }
            let before = row(&admin, &target_name).await;
            assert!(before.is_object(), "{target_name} listed");
            let reply = match action {
                "am_admin" => caller.call("am_admin", &[]).await,
                "admin_users" => caller.call("admin_users", &[("q", "")]).await,
                "admin_audit_log" => caller.call("admin_audit_log", &[]).await,
                "admin_dashboard" => caller.call("admin_dashboard", &[]).await,
                "admin_reset_link" => {
                    caller
                        .call("admin_reset_link", &[("user_id", &target_id.to_string())])
                        .await
                }
                "delete_account" => {
                    let form = [
                        ("user_id", target_id.to_string()),
                        ("erase", "false".to_owned()),
                        ("confirm", target_name.clone()),
                    ];
                    let form: Vec<(&str, &str)> =
                        form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    caller.call("admin_delete_account", &form).await
                }
                _ => account(caller, target_id, action).await,
            };
            if who != Who::Admin && action != "am_admin" {
                refusable += 1;
                refused += usize::from(matches!(reply.status, 401 | 403));
            }
            let after = row(&admin, &target_name).await;
            match (who, action) {
                (Who::Admin, "am_admin") => assert_eq!(reply.body, Value::Bool(true)),
                (_, "am_admin") => {
                    assert_eq!(reply.status, 200);
                    assert_eq!(reply.body, Value::Bool(false), "{who:?}");
                }
                (Who::Admin, _) => {
                    assert!((200..300).contains(&reply.status), "{action}: {reply:?}");
                    if action == "admin_dashboard" {
                        assert!(reply.body["users"].as_i64() >= Some(3), "{}", reply.body);
                    } else if action == "admin_audit_log" {
                        // The admin's own actions so far are in it.
                        let page = reply.body["entries"].as_array().expect("entries");
                        assert!(page
                            .iter()
                            .any(|e| e["action"] == "admin_granted"
                                || e["action"] == "account_disabled"));
                    } else if action == "delete_account" {
                        assert_eq!(after, Value::Null, "deleted accounts leave the list");
                    } else if action != "admin_users" && action != "admin_reset_link" {
                        assert_ne!(before, after, "{action} changed the account");
                    }
                }
                (Who::Member, _) => {
                    assert_eq!(reply.status, 403, "{action}: {reply:?}");
                    assert!(
                        reply.message().contains("administrator"),
                        "{}",
                        reply.message()
                    );
                    assert_eq!(before, after, "{action} by a member changed nothing");
                }
                (Who::Anonymous, _) => {
                    assert_eq!(reply.status, 401, "{action}: {reply:?}");
                    assert_eq!(before, after, "{action} anonymously changed nothing");
                }
            }
        }
    }
    println!(
        "SECURITY unauthorized administration calls tried {refusable:>5} / rejected {refused:>5} (a member and a signed-out caller x 10)"
    );
}

#[tokio::test]
async fn a_disabled_account_is_closed_everywhere_within_a_second_and_stays_out() {
    let (app, _dir, admin, _) = instance().await;
    let (bob, bob_name) = app.signed_up("bob").await;
    let bob_id = bob.user_id().await;
    let room = bob.create_conversation("Bob's room").await;
    let link = bob.invite(room).await;
    let code = link.rsplit('/').next().unwrap().to_owned();
    let mut sockets = vec![bob.socket().await, bob.socket().await];
    // A second device, signed in separately.
    let phone = app.client();
    assert_eq!(phone.sign_in(&bob_name, PASSWORD).await.status, 200);
    sockets.push(phone.socket().await);

    let started = Instant::now();
    let reply = account(&admin, bob_id, "disable").await;
    let row: Value = reply.ok();
    assert!(row["disabled_at"].is_i64(), "{row}");
    assert_eq!(row["active_sessions"], 0);
    for (i, socket) in sockets.iter_mut().enumerate() {
        let frame = socket.next_of("error").await;
        assert_eq!(frame["code"], "account_disabled", "socket {i}: {frame}");
        let code = socket.close_code(Duration::from_secs(1)).await;
        assert_eq!(code, Some(4003), "socket {i} closed as session ended");
    }
    let closed_in = started.elapsed();
    println!("ADMIN disable: 3 sockets of 2 sessions closed {closed_in:?} after the request");
    assert!(closed_in < Duration::from_secs(1), "{closed_in:?}");

    // Signed out everywhere, refused at sign-in with the reason, invite link dead.
    assert_eq!(bob.call("me", &[]).await.body, Value::Null);
    assert_eq!(bob.call("ws_token", &[]).await.status, 401);
    let again = app.client().sign_in(&bob_name, PASSWORD).await;
    assert_eq!(again.status, 403, "{again:?}");
    assert!(again.message().contains("disabled"), "{}", again.message());
    let wrong = app.client().sign_in(&bob_name, "not-the-password-1").await;
    assert_eq!(
        wrong.status, 401,
        "a wrong password says nothing of the account's state"
    );
    let (stranger, _) = app.signed_up("stranger").await;
    assert_eq!(
        stranger.call("invite", &[("code", &code)]).await.status,
        404
    );
    assert_eq!(
        stranger
            .call("accept_invite", &[("code", &code)])
            .await
            .status,
        404
    );

    // Enabled again: sign-in works and the invite is live.
    account(&admin, bob_id, "enable").await.ok::<Value>();
    assert_eq!(app.client().sign_in(&bob_name, PASSWORD).await.status, 200);
    assert_eq!(
        stranger.call("invite", &[("code", &code)]).await.status,
        200
    );
}

#[tokio::test]
async fn sign_out_everywhere_closes_every_session_and_keeps_the_password() {
    let (app, _dir, admin, _) = instance().await;
    let (carol, carol_name) = app.signed_up("carol").await;
    let carol_id = carol.user_id().await;
    let mut socket = carol.socket().await;
    let row: Value = account(&admin, carol_id, "sign_out_everywhere").await.ok();
    assert_eq!(row["active_sessions"], 0);
    assert!(row["disabled_at"].is_null());
    assert_eq!(socket.close_code(Duration::from_secs(1)).await, Some(4003));
    assert_eq!(carol.call("me", &[]).await.body, Value::Null);
    assert_eq!(
        app.client().sign_in(&carol_name, PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn the_last_admin_can_be_neither_disabled_nor_demoted_even_by_fifty_requests_at_once() {
    let (app, _dir, first, first_name) = instance().await;
    let first_id = first.user_id().await;
    let (_member, member_name) = app.signed_up("second").await;
    assert_eq!(
        row(&first, &first_name).await["admin"],
        true,
        "the first account"
    );
    assert_eq!(row(&first, &member_name).await["admin"], false);

    let own = account(&first, first_id, "disable").await;
    assert_eq!(own.status, 403);
    assert!(own.message().contains("own account"), "{}", own.message());
    let last = account(&first, first_id, "revoke_admin").await;
    assert_eq!(last.status, 403);
    assert!(
        last.message().contains("last administrator"),
        "{}",
        last.message()
    );

    // Two admins demote each other, 25 times each, all at once: one of them stays.
    let second = app.client();
    second.sign_in(&member_name, PASSWORD).await.ok::<Value>();
    let second_id = second.user_id().await;
    account(&first, second_id, "grant_admin")
        .await
        .ok::<Value>();
    let (first, second) = (std::sync::Arc::new(first), std::sync::Arc::new(second));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (caller, target) = if i % 2 == 0 {
                (first.clone(), second_id)
            } else {
                (second.clone(), first_id)
            };
            tokio::spawn(async move { account(&caller, target, "revoke_admin").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        statuses.iter().all(|s| [200, 403, 429].contains(s)),
        "{statuses:?}"
    );
    let mut admins = Vec::new();
    for client in [&first, &second] {
        admins.push(client.call("am_admin", &[]).await.body == Value::Bool(true));
    }
    let left = admins.iter().filter(|a| **a).count();
    println!("ADMIN 50 concurrent demotions: {ok} answered 200, {left} admin left");
    assert_eq!(left, 1, "exactly one admin remains: {statuses:?}");
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_signs_the_old_sessions_out() {
    let (app, _dir, admin, _) = instance().await;
    let (erin, erin_name) = app.signed_up("erin").await;
    let erin_id = erin.user_id().await;
    let mut socket = erin.socket().await;
    let link: Value = admin
        .call("admin_reset_link", &[("user_id", &erin_id.to_string())])
        .await
        .ok();
    let url = link["url"].as_str().expect("a url").to_owned();
    assert!(
        url.starts_with(&format!("{}/reset/", app.origin())),
        "{url}"
    );
    let code = url.rsplit('/').next().unwrap().to_owned();
    let expires = link["expires_at"].as_i64().unwrap();
    let now = palaver::Timestamp::now().0;
    assert!(
        (expires - now - 24 * 3600 * 1000).abs() < 60_000,
        "valid 24 hours"
    );

    // Anyone with the link sees whose it is; a wrong code is 404 like a used one.
    let browser = app.client();
    assert_eq!(
        browser.call("reset_target", &[("code", &code)]).await.body,
        Value::String(erin_name.clone())
    );
    assert_eq!(
        browser.call("reset_target", &[("code", "x")]).await.status,
        404
    );
    // A password that breaks the rules leaves the link usable.
    let short = browser
        .call("reset_password", &[("code", &code), ("password", "short")])
        .await;
    assert_eq!(short.status, 422, "{short:?}");
    let done = browser
        .call(
            "reset_password",
            &[("code", &code), ("password", "a-brand-new-passphrase-7")],
        )
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    assert_eq!(
        browser.call("me", &[]).await.body["username"],
        erin_name.as_str(),
        "signed in"
    );
    assert_eq!(
        socket.close_code(Duration::from_secs(1)).await,
        Some(4003),
        "the old session's socket"
    );
    assert_eq!(erin.call("me", &[]).await.body, Value::Null);
    let again = app
        .client()
        .call(
            "reset_password",
            &[("code", &code), ("password", "another-passphrase-8")],
        )
        .await;
    assert_eq!(again.status, 404, "used once");
    assert_eq!(app.client().sign_in(&erin_name, PASSWORD).await.status, 401);
    assert_eq!(
        app.client()
            .sign_in(&erin_name, "a-brand-new-passphrase-7")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_instance_audit_log_records_admin_actions_and_narrows_by_actor_action_and_time() {
    let (app, _dir, admin, admin_name) = instance().await;
    let (target, target_name) = app.signed_up("target").await;
    let target_id = target.user_id().await;
    // A failed sign-in (no actor account, a conversation-free entry) and an admin action.
    assert_eq!(
        app.client()
            .sign_in(&target_name, "wrong-password-1")
            .await
            .status,
        401
    );
    account(&admin, target_id, "disable").await.ok::<Value>();
    let now = palaver::Timestamp::now().0;

    let page = |form: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.call("admin_audit_log", &form).await
        }
    };
    let all: Value = page(vec![]).await.ok();
    let entries = all["entries"].as_array().expect("entries");
    let disabled = entries
        .iter()
        .find(|e| e["action"] == "account_disabled")
        .expect("the admin's action is in the instance log");
    assert_eq!(disabled["actor"], admin_name.as_str());
    assert_eq!(disabled["target"], target_name.as_str());
    assert!(entries.iter().any(|e| e["action"] == "sign_in_failed"));

    // By action, by actor (any case), by time.
    let by_action: Value = page(vec![("action", "account_disabled".into())]).await.ok();
    assert_eq!(by_action["entries"].as_array().map(Vec::len), Some(1));
    let by_actor: Value = page(vec![("actor", admin_name.to_uppercase())]).await.ok();
    assert!(by_actor["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .all(|e| e["actor"] == admin_name.as_str()));
    let later: Value = page(vec![("since", (now + 60_000).to_string())]).await.ok();
    assert_eq!(later["entries"].as_array().map(Vec::len), Some(0));
    let earlier: Value = page(vec![("until", (now + 60_000).to_string())]).await.ok();
    assert_eq!(earlier["entries"], all["entries"]);

    // An empty range is refused with a reason, not answered with nothing.
    let backwards = page(vec![
        ("since", now.to_string()),
        ("until", (now - 1).to_string()),
    ])
    .await;
    assert_eq!(backwards.status, 422, "{backwards:?}");
    assert!(
        backwards.message().contains("time range"),
        "{}",
        backwards.message()
    );
}

async fn act(who: &Client, id: &str, action: &str) -> common::Reply {
    who.call("admin_conversation", &[("id", id), ("action", action)])
        .await
}

#[tokio::test]
async fn conversations_are_deleted_or_taken_over_by_admins_alone_and_members_see_it_live() {
    let (app, _dir, admin, admin_name) = instance().await;
    let (owner, owner_name) = app.signed_up("owner").await;
    let (member, _) = app.signed_up("member").await;
    let owner_id = owner.user_id().await;
    let mut ids = Vec::new();
    for title in ["Abandoned", "Doomed"] {
        let id = owner.create_conversation(title).await;
        let code = owner.invite(id).await;
        member
            .call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
        ids.push(id);
    }
    let (abandoned, doomed) = (ids[0].to_string(), ids[1].to_string());

    // Nobody but an admin lists, deletes or takes over; nothing changes when they try.
    let anonymous = app.client();
    for (caller, status) in [(&member, 403), (&owner, 403), (&anonymous, 401)] {
        assert_eq!(
            caller
                .call("admin_conversations", &[("q", "")])
                .await
                .status,
            status
        );
        for action in ["delete", "take_ownership"] {
            assert_eq!(
                act(caller, &doomed, action).await.status,
                status,
                "{action}"
            );
        }
    }
    assert_eq!(member.history(ids[1]).await.status, 200, "still there");

    // The list: both, with members and owner, newest activity first.
    let page: Value = admin.call("admin_conversations", &[("q", "")]).await.ok();
    let listed = page["conversations"].as_array().expect("conversations");
    let row = listed
        .iter()
        .find(|c| c["title"] == "Abandoned")
        .expect("listed");
    assert_eq!(row["members"], 2);
    assert_eq!(row["owner"], owner_name.as_str());
    assert_eq!(row["owner_disabled"], false);

    // Taking over needs the owner's account disabled.
    let early = act(&admin, &abandoned, "take_ownership").await;
    assert_eq!(early.status, 403, "{early:?}");
    assert!(early.message().contains("disabled"), "{}", early.message());
    account(&admin, owner_id, "disable").await.ok::<Value>();
    let mut watching = member.socket().await;
    let taken: Value = act(&admin, &abandoned, "take_ownership").await.ok();
    assert_eq!(taken["owner"], admin_name.as_str());
    assert_eq!(taken["owner_disabled"], false);
    // The members see the admin join and become the owner, live.
    let joined = watching.next_of("member_joined").await;
    assert_eq!(joined["member"]["user"]["username"], admin_name.as_str());
    loop {
        let f = watching.next_of("member_updated").await;
        if f["member"]["user"]["username"] == admin_name.as_str() {
            assert_eq!(f["member"]["role"], "owner");
            break;
        }
    }
    assert_eq!(
        admin.history(ids[0]).await.status,
        200,
        "the admin is a member now"
    );

    // Deleting: gone for every member at once.
    let deleted = act(&admin, &doomed, "delete").await;
    assert_eq!((deleted.status, deleted.body.clone()), (200, Value::Null));
    let removed = watching.next_of("conversation_removed").await;
    assert_eq!(removed["conversation_id"], ids[1]);
    assert_eq!(removed["reason"], "deleted");
    assert_ne!(member.history(ids[1]).await.status, 200);
    assert_eq!(act(&admin, &doomed, "delete").await.status, 404);

    // Both in the instance audit log, by the admin.
    let log: Value = admin
        .call("admin_audit_log", &[("actor", &admin_name)])
        .await
        .ok();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"ownership_transferred"), "{actions:?}");
    assert!(actions.contains(&"conversation_deleted"), "{actions:?}");
}

#[tokio::test]
async fn the_instance_export_is_every_account_and_conversation_for_admins_alone() {
    let (app, _dir, admin, admin_name) = instance().await;
    let (owner, owner_name) = app.signed_up("owner").await;
    let kept = owner.create_conversation("Kept").await;
    let gone = owner.create_conversation("Gone").await;
    let mut socket = owner.socket().await;
    for i in 0..3 {
        assert_eq!(
            socket
                .send_message(kept, &format!("k{i}"), &format!("kept {i}"))
                .await["type"],
            "ack"
        );
    }
    owner
        .call(
            "delete_conversation",
            &[("id", &gone.to_string()), ("confirm", "Gone")],
        )
        .await
        .ok::<Value>();

    for (caller, status) in [(&owner, 403), (&app.client(), 401)] {
        assert_eq!(caller.get("/api/admin/export").await.status, status);
    }
    let export = admin.get("/api/admin/export").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(export.headers["cache-control"], "no-store");
    let text = export.body.as_str().expect("NDJSON text");
    assert!(!text.contains("$argon2"), "never a password hash");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines[0]["type"], "instance");
    let accounts: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "account")
        .map(|l| l["account"]["username"].as_str().expect("username"))
        .collect();
    assert!(accounts.contains(&admin_name.as_str()) && accounts.contains(&owner_name.as_str()));
    // The kept conversation, then its events in order; nothing of the deleted one.
    let at = lines
        .iter()
        .position(|l| l["type"] == "conversation" && l["conversation"]["id"] == kept)
        .expect("the conversation");
    let bodies: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| l["type"] == "event")
        .filter(|l| l["event"]["kind"] == "message")
        .map(|l| l["event"]["body"].as_str().expect("body"))
        .collect();
    assert_eq!(bodies, ["kept 0", "kept 1", "kept 2"]);
    assert!(!lines
        .iter()
        .any(|l| l["conversation"]["id"] == gone || l["event"]["conversation_id"] == gone));
    // Recorded as the admin's.
    let log: Value = admin
        .call("admin_audit_log", &[("action", "instance_exported")])
        .await
        .ok();
    assert_eq!(log["entries"][0]["actor"], admin_name.as_str());
}
