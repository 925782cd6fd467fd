//! Direct messages over the real HTTP and WebSocket interfaces: "Message" opens one
//! conversation per pair however it is raced, the other person's side nav gets it live with
//! the first message, closing hides it on every device until the next message, and a third
//! person gets 403/404 and nothing of it.

mod common;

use common::{spawn_app, unique, Client, Socket, TestApp};
use serde_json::{json, Value};

/// Alice owns "Team" with Bob and Carol in it; Dave shares nothing with anyone. Returns the
/// clients, their ids and the room.
async fn people(app: &TestApp) -> ([Client; 4], [i64; 4], i64) {
    let clients = [app.client(), app.client(), app.client(), app.client()];
    let mut ids = [0; 4];
    for (i, (c, name)) in clients
        .iter()
        .zip(["alice", "bob", "carol", "dave"])
        .enumerate()
    {
        c.sign_up(&unique(name)).await;
        ids[i] = c.user_id().await;
    }
    let room = clients[0].create_conversation("Team").await;
    let code = clients[0].invite(room).await;
    for c in &clients[1..3] {
        c.call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }
    (clients, ids, room)
}

async fn open_direct(c: &Client, with: i64) -> common::Reply {
    c.call("open_direct", &[("user_id", &with.to_string())])
        .await
}

async fn side_nav(c: &Client) -> Vec<Value> {
    c.call("conversations", &[]).await.ok()
}

fn ids_of(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

/// A frame on `who`'s personal channel, after everything published to it before: `who`
/// changes their notification level in `room`, and their socket hears `notify_level`.
async fn personal_marker(who: &Client, ws: &mut Socket, room: i64, level: &str) -> Vec<Value> {
    let r = who
        .call(
            "set_notify_level",
            &[("id", &room.to_string()), ("level", level)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ws.frames_before(|f| f["type"] == "notify_level" && f["level"] == level)
        .await
}

#[tokio::test]
async fn fifty_message_clicks_from_both_sides_at_once_open_one_conversation() {
    let app = spawn_app().await;
    let ([a, b, ..], [alice, bob, ..], room) = people(&app).await;
    let calls = (0..50).map(|i| {
        let (who, with) = if i % 2 == 0 { (&a, bob) } else { (&b, alice) };
        async move { open_direct(who, with).await }
    });
    let replies = futures::future::join_all(calls).await;
    let mut ids: Vec<i64> = replies
        .into_iter()
        .map(|r| r.ok::<Value>()["id"].as_i64().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one conversation for the pair: {ids:?}");
    let dm = ids[0];
    // Both opened it, so both see it; nobody else was touched.
    assert_eq!(ids_of(&side_nav(&a).await), [dm, room]);
    assert_eq!(ids_of(&side_nav(&b).await), [dm, room]);
    let db = app.database().await;
    let direct: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE kind = 'direct'")
            .fetch_one(&db)
            .await
            .unwrap();
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE conversation_id = $1")
            .bind(dm)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((direct, members), (1, 2));
}

#[tokio::test]
async fn the_first_message_brings_the_conversation_to_the_other_persons_side_nav_live() {
    let app = spawn_app().await;
    let ([a, b, ..], [alice, bob, ..], room) = people(&app).await;
    let mut bobs = b.socket().await;
    let opened: Value = open_direct(&a, bob).await.ok();
    let dm = opened["id"].as_i64().unwrap();
    assert_eq!(opened["kind"], "direct");
    assert_eq!(opened["peer"], bob);
    assert_eq!(opened["peer_online"], true, "Bob has a socket open");
    assert_eq!(opened["notify"], "all", "every message notifies by default");
    assert_eq!(opened["title"], b.call("me", &[]).await.body["username"]);

    // Nothing said yet: Bob hears nothing of it and does not list it.
    let before = personal_marker(&b, &mut bobs, room, "mentions").await;
    assert!(
        before.iter().all(|f| f["type"] != "conversation_added"),
        "{before:?}"
    );
    assert_eq!(ids_of(&side_nav(&b).await), [room]);

    let mut alices = a.socket().await;
    let ack = alices.send_message(dm, "first", "hi Bob").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let added = bobs.next_of("conversation_added").await;
    let row = &added["conversation"];
    assert_eq!(
        (
            row["id"].as_i64(),
            row["kind"].as_str(),
            row["peer"].as_i64(),
            row["unread"].as_i64(),
            row["peer_online"].as_bool()
        ),
        (Some(dm), Some("direct"), Some(alice), Some(1), Some(true))
    );
    assert_eq!(row["title"], a.call("me", &[]).await.body["username"]);
    assert_eq!(row["last_message"]["body"], "hi Bob");
    // From now on Bob's socket follows the conversation.
    alices.send_message(dm, "second", "still there?").await;
    let second = bobs.next_of("message").await;
    assert_eq!(second["message"]["body"], "still there?");
    assert_eq!(ids_of(&side_nav(&b).await), [dm, room]);
    let history: Value = b.history(dm).await.ok();
    assert_eq!(history["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn messaging_a_stranger_or_no_one_is_the_same_404_and_oneself_is_refused() {
    let app = spawn_app().await;
    let ([a, _, _, d], [alice, _, _, dave], _) = people(&app).await;
    let stranger = open_direct(&a, dave).await;
    let nobody = open_direct(&a, 987_654).await;
    let back = open_direct(&d, alice).await;
    for r in [&stranger, &nobody, &back] {
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"code": "not_found", "message": "User not found."})
        );
    }
    let me = open_direct(&a, alice).await;
    assert_eq!(me.status, 422);
    assert_eq!(
        me.message(),
        "A direct message is between two people: choose someone other than yourself."
    );
    let junk = a.call("open_direct", &[("user_id", "bob")]).await;
    assert_eq!(junk.status, 422);
    assert!(side_nav(&d).await.is_empty());
}

#[tokio::test]
async fn a_third_person_gets_a_refusal_and_nothing_of_a_direct_conversation() {
    let app = spawn_app().await;
    let ([a, _, c, _], [_, bob, ..], room) = people(&app).await;
    let dm = open_direct(&a, bob).await.ok::<Value>()["id"]
        .as_i64()
        .unwrap();
    let mut alices = a.socket().await;
    let ack = alices.send_message(dm, "secret", "just between us").await;
    let seq = ack["seq"].as_i64().unwrap();
    let dm_s = dm.to_string();

    // Server functions: refused, and the refusal is only {code, message}.
    for (endpoint, form) in [
        ("conversation", vec![("id", dm_s.clone())]),
        ("history", vec![("id", dm_s.clone())]),
        ("close_direct", vec![("id", dm_s.clone())]),
        (
            "set_notify_level",
            vec![("id", dm_s.clone()), ("level", "none".into())],
        ),
        ("create_invite", vec![("id", dm_s.clone())]),
        ("leave_conversation", vec![("id", dm_s.clone())]),
        ("join_room", vec![("id", dm_s.clone())]),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.call(endpoint, &form).await;
        assert!(
            [403, 404].contains(&r.status),
            "{endpoint}: {} {}",
            r.status,
            r.body
        );
        let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["code", "message"], "{endpoint}: {}", r.body);
        assert!(!r.body.to_string().contains("just between us"));
    }

    // The socket: every frame refused, nothing of the conversation delivered. Carol's own
    // room answers the closing sync, so whatever came back came before it.
    let mut carols = c.socket().await;
    for frame in [
        json!({"type":"send","conversation_id":dm,"client_id":"c1","body":"let me in"}),
        json!({"type":"edit","conversation_id":dm,"seq":seq,"client_id":"c2","body":"x"}),
        json!({"type":"delete","conversation_id":dm,"seq":seq,"client_id":"c3"}),
        json!({"type":"sync","conversation_id":dm,"after_seq":0}),
        json!({"type":"read","conversation_id":dm,"seq":seq}),
    ] {
        carols.send_json(&frame).await;
    }
    carols
        .send_json(&json!({"type":"sync","conversation_id":room,"after_seq":0}))
        .await;
    let got = carols
        .frames_before(|f| f["type"] == "synced" && f["conversation_id"] == room)
        .await;
    let errors = got.iter().filter(|f| f["type"] == "error").count();
    assert_eq!(errors, 5, "{got:?}");
    assert!(
        got.iter()
            .all(|f| !f.to_string().contains("just between us")),
        "{got:?}"
    );
    // Still nothing after Alice writes again: Carol's socket never listens to it.
    alices.send_message(dm, "secret-2", "more secrets").await;
    let mut marker = a.socket().await;
    marker.send_message(room, "marker", "marker").await;
    let got = carols
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    assert!(
        got.iter()
            .all(|f| f["conversation_id"] != dm && f["message"]["conversation_id"] != dm),
        "{got:?}"
    );
    let history: Value = a.history(dm).await.ok();
    let bodies: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["just between us", "more secrets"],
        "nothing of Carol's"
    );
}

#[tokio::test]
async fn closing_hides_it_on_every_tab_until_the_next_message_brings_it_back() {
    let app = spawn_app().await;
    let ([a, b, ..], [_, bob, ..], room) = people(&app).await;
    let dm = open_direct(&a, bob).await.ok::<Value>()["id"]
        .as_i64()
        .unwrap();
    let mut bobs = b.socket().await;
    bobs.send_message(dm, "hello", "hello Alice").await;
    let (mut tab1, mut tab2) = (a.socket().await, a.socket().await);
    let r = a.call("close_direct", &[("id", &dm.to_string())]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for tab in [&mut tab1, &mut tab2] {
        assert_eq!(
            tab.next_of("conversation_hidden").await,
            json!({"type":"conversation_hidden","conversation_id":dm})
        );
    }
    assert_eq!(ids_of(&side_nav(&a).await), [room]);
    assert_eq!(
        ids_of(&side_nav(&b).await),
        [dm, room],
        "Bob's list is his own"
    );
    // A group conversation is left, not closed.
    let group = a.call("close_direct", &[("id", &room.to_string())]).await;
    assert_eq!(group.status, 403);

    bobs.send_message(dm, "back", "are you there?").await;
    let added = tab1.next_of("conversation_added").await;
    assert_eq!(added["conversation"]["id"], dm);
    assert_eq!(added["conversation"]["unread"], 2);
    assert_eq!(ids_of(&side_nav(&a).await), [dm, room]);
}

#[tokio::test]
async fn a_direct_conversation_has_no_invites_titles_roles_or_leaving() {
    let app = spawn_app().await;
    let ([a, _b, ..], [_, bob, ..], _) = people(&app).await;
    let dm = open_direct(&a, bob).await.ok::<Value>()["id"]
        .as_i64()
        .unwrap();
    let (dm_s, bob_s) = (dm.to_string(), bob.to_string());
    for (endpoint, form, message) in [
        (
            "create_invite",
            vec![("id", &dm_s)],
            "A direct message has no invite links.",
        ),
        (
            "rename_conversation",
            vec![("id", &dm_s), ("title", &"Renamed".to_owned())],
            "A direct message has no title: it shows the other person's name.",
        ),
        (
            "set_public",
            vec![("id", &dm_s), ("public", &"true".to_owned())],
            "A direct message cannot be public.",
        ),
        (
            "set_role",
            vec![("id", &dm_s), ("user_id", &bob_s), ("role", &"admin".to_owned())],
            "A direct message has no roles.",
        ),
        (
            "remove_member",
            vec![("id", &dm_s), ("user_id", &bob_s)],
            "A direct message has no one to remove or let back in.",
        ),
        (
            "leave_conversation",
            vec![("id", &dm_s)],
            "You cannot leave or delete a direct message; close it to hide it until the next message.",
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.call(endpoint, &form).await;
        assert_eq!((r.status, r.message().as_str()), (403, message), "{endpoint}");
    }
    let detail: Value = a.call("conversation", &[("id", &dm_s)]).await.ok();
    assert_eq!(detail["kind"], "direct");
    assert_eq!(detail["members"].as_array().unwrap().len(), 2);
    assert!(detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["role"] == "member"));
}
