//! Mentions, notification levels and the live audit log over the real HTTP and WebSocket
//! interfaces: what a client sends, what every socket of whom receives, and what the side
//! nav then says.

mod common;

use common::{real_rates, spawn_app, spawn_app_with, unique, Client, TestApp};
use serde_json::{json, Value};

/// Alice owns "Team"; Bob and Carol joined by invite. Returns the clients, their names and
/// ids, and the conversation.
async fn team(app: &TestApp) -> ([Client; 3], [String; 3], [i64; 3], i64) {
    let clients = [app.client(), app.client(), app.client()];
    let names = [unique("alice"), unique("bob"), unique("carol")];
    let mut ids = [0; 3];
    for (i, c) in clients.iter().enumerate() {
        c.sign_up(&names[i]).await;
        ids[i] = c.user_id().await;
    }
    let conv = clients[0].create_conversation("Team").await;
    let code = clients[0].invite(conv).await;
    for c in &clients[1..] {
        c.call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }
    (clients, names, ids, conv)
}

async fn side_nav_row(client: &Client, conv: i64) -> Value {
    let list: Vec<Value> = client.call("conversations", &[]).await.ok();
    list.into_iter()
        .find(|c| c["id"] == conv)
        .expect("the conversation is listed")
}

#[tokio::test]
async fn a_mention_reaches_every_socket_with_the_member_ids_and_counts_for_the_mentioned() {
    let app = spawn_app().await;
    let ([a, b, c], [_, bob, _], [_, bob_id, _], conv) = team(&app).await;
    let (mut a_ws, mut b_ws, mut c_ws) = (a.socket().await, b.socket().await, c.socket().await);
    let body = format!("@{} and @nobody, mail@{}.org", bob.to_uppercase(), bob);
    let ack = a_ws.send_message(conv, "m-1", &body).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    for ws in [&mut b_ws, &mut c_ws] {
        let frame = ws.next_of("message").await;
        assert_eq!(frame["message"]["mentions"], json!([bob_id]), "{frame}");
        assert_eq!(frame["message"]["body"], body.as_str());
    }
    assert_eq!(side_nav_row(&b, conv).await["mentions"], 1);
    assert_eq!(side_nav_row(&c, conv).await["mentions"], 0);
    assert_eq!(side_nav_row(&c, conv).await["unread"], 1);

    // Fifty-one different names: refused with the reason, nothing stored.
    let crowd: String = (0..51).map(|i| format!("@n{i:02}x ")).collect();
    let refused = a_ws.send_message(conv, "m-2", &crowd).await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("invalid_message"))
    );
    assert_eq!(
        refused["message"],
        "A message can mention at most 50 people."
    );
    let history: Value = a.history(conv).await.ok();
    let last = history["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["client_id"], "m-1",
        "the refused message was not stored"
    );
}

#[tokio::test]
async fn a_notify_level_is_stored_per_member_and_follows_them_to_every_socket() {
    let app = spawn_app().await;
    let ([a, b, _c], _, _, conv) = team(&app).await;
    assert_eq!(side_nav_row(&b, conv).await["notify"], "all");
    let (mut tab1, mut tab2, mut alices) = (b.socket().await, b.socket().await, a.socket().await);
    let conv_s = conv.to_string();
    let set = b
        .call(
            "set_notify_level",
            &[("id", &conv_s), ("level", "mentions")],
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    for tab in [&mut tab1, &mut tab2] {
        let frame = tab.next_of("notify_level").await;
        assert_eq!(
            frame,
            json!({"type":"notify_level","conversation_id":conv,"level":"mentions"})
        );
    }
    assert_eq!(side_nav_row(&b, conv).await["notify"], "mentions");
    assert_eq!(side_nav_row(&a, conv).await["notify"], "all", "Bob's alone");

    // Alice hears nothing of it: the next frame she gets is the marker message.
    let mut marker = b.socket().await;
    marker.send_message(conv, "marker", "marker").await;
    let before = alices
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    assert!(
        before.iter().all(|f| f["type"] != "notify_level"),
        "{before:?}"
    );

    let bad = b
        .call("set_notify_level", &[("id", &conv_s), ("level", "loud")])
        .await;
    assert!(
        (400..500).contains(&bad.status),
        "{} {}",
        bad.status,
        bad.body
    );
    assert_eq!(
        side_nav_row(&b, conv).await["notify"],
        "mentions",
        "unchanged"
    );
    let stranger = app.client();
    stranger.sign_up(&unique("eve")).await;
    let refused = stranger
        .call("set_notify_level", &[("id", &conv_s), ("level", "none")])
        .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn audit_lines_reach_the_owner_live_and_no_one_else() {
    let app = spawn_app().await;
    let ([a, b, _c], _, _, conv) = team(&app).await;
    let (mut owner, mut member) = (a.socket().await, b.socket().await);
    a.invite(conv).await;
    let frame = owner.next_of("audit_appended").await;
    assert_eq!(
        frame,
        json!({"type":"audit_appended","conversation_id":conv})
    );
    // Bob's socket hears the marker but never the audit line before it.
    let mut alices = a.socket().await;
    alices.send_message(conv, "marker", "marker").await;
    let before = member
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    assert!(
        before.iter().all(|f| f["type"] != "audit_appended"),
        "{before:?}"
    );
}

#[tokio::test]
async fn changing_the_notify_level_shares_the_budget_for_changes() {
    let app = spawn_app_with(real_rates).await;
    let ([_a, b, _c], _, _, conv) = team(&app).await;
    let conv_s = conv.to_string();
    let levels = ["all", "mentions", "none"];
    let calls = (0..70).map(|i| {
        let (b, conv_s) = (&b, &conv_s);
        async move {
            b.call(
                "set_notify_level",
                &[("id", conv_s), ("level", levels[i % 3])],
            )
            .await
        }
    });
    let replies = futures::future::join_all(calls).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let limited: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        ok + limited.len(),
        70,
        "every call is answered one way or the other"
    );
    assert!((60..=62).contains(&ok), "{ok} went through");
    assert!(limited
        .iter()
        .all(|r| r.headers.contains_key("retry-after")));
}
