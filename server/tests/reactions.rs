//! Replies and reactions over the real HTTP and WebSocket interfaces: what a client sends,
//! what every member's socket receives, what a reload (history) and a resume (sync) show.

mod common;

use common::{spawn_app, unique, Client, Socket, TestApp};
use serde_json::{json, Value};

/// Alice owns "Team" and Bob joined by invite.
async fn pair(app: &TestApp) -> (Client, Client, String, i64) {
    let (a, b) = (app.client(), app.client());
    a.sign_up(&unique("alice")).await;
    let bob = unique("bob");
    b.sign_up(&bob).await;
    let conv = a.create_conversation("Team").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    (a, b, bob, conv)
}

/// Sends a frame that names `client_id` and returns its `ack` or `error`.
async fn answer(ws: &mut Socket, frame: Value) -> Value {
    let client_id = frame["client_id"].clone();
    ws.send_json(&frame).await;
    loop {
        let f = ws.next_json().await;
        if (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id {
            return f;
        }
    }
}

/// The next event of `kind` written by `author` on this socket.
async fn next_event(ws: &mut Socket, author: &str, kind: &str) -> Value {
    loop {
        let f = ws.next_of("message").await;
        if f["message"]["kind"] == kind && f["message"]["author"] == author {
            return f["message"].clone();
        }
    }
}

fn react(conv: i64, seq: &Value, client_id: &str, emoji: &str, on: bool) -> Value {
    json!({
        "type": if on { "react" } else { "unreact" },
        "conversation_id": conv, "seq": seq, "client_id": client_id, "emoji": emoji,
    })
}

async fn message_in_history(c: &Client, conv: i64, seq: &Value) -> Value {
    let history: Value = c.history(conv).await.ok();
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| &m["seq"] == seq)
        .cloned()
        .expect("in history")
}

#[tokio::test]
async fn a_reply_reaches_every_member_with_its_quote_and_survives_a_reload() {
    let app = spawn_app().await;
    let (a, b, bob, conv) = pair(&app).await;
    let (mut a_ws, mut b_ws) = (a.socket().await, b.socket().await);
    let original = a_ws.send_message(conv, "q-1", "Lunch at *noon*?").await;
    let seq = original["seq"].clone();
    let ack = answer(
        &mut b_ws,
        json!({"type":"send","conversation_id":conv,"client_id":"r-1","body":"yes","reply_to":seq}),
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let live = a_ws.next_message_from(&bob).await;
    let quote = &live["reply_to"];
    assert_eq!(quote["seq"], seq);
    assert_eq!(quote["excerpt"], "Lunch at noon?");
    assert!(quote["author"].as_str().unwrap().starts_with("alice"));
    let stored = message_in_history(&a, conv, &ack["seq"]).await;
    assert_eq!(&stored["reply_to"], quote, "a reload shows the same quote");

    // A reply to nothing is refused with the reason and the client id; nothing is stored.
    let refused = answer(
        &mut b_ws,
        json!({"type":"send","conversation_id":conv,"client_id":"r-2","body":"?","reply_to":9999}),
    )
    .await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("not_found"))
    );
    assert_eq!(refused["message"], "Message not found.");
    let history: Value = a.history(conv).await.ok();
    assert_eq!(
        history["messages"].as_array().unwrap().last().unwrap()["client_id"],
        "r-1"
    );
}

#[tokio::test]
async fn reactions_are_live_for_everyone_toggle_and_are_restored_on_reload_and_resume() {
    let app = spawn_app().await;
    let (a, b, bob, conv) = pair(&app).await;
    let (mut a_ws, mut b_ws) = (a.socket().await, b.socket().await);
    let sent = a_ws.send_message(conv, "m-1", "ship it").await;
    let seq = sent["seq"].clone();
    b_ws.next_of("message").await;

    let ack = answer(&mut b_ws, react(conv, &seq, "x-1", "👍", true)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let live = next_event(&mut a_ws, &bob, "react").await;
    assert_eq!(
        (
            live["kind"].as_str(),
            &live["target_seq"],
            live["body"].as_str()
        ),
        (Some("react"), &seq, Some("👍"))
    );
    // The unqualified heart and the fully qualified one are the same reaction.
    answer(&mut b_ws, react(conv, &seq, "x-2", "\u{2764}", true)).await;
    let heart = next_event(&mut a_ws, &bob, "react").await;
    assert_eq!(heart["body"], "\u{2764}\u{fe0f}");
    let reactions = message_in_history(&a, conv, &seq).await["reactions"].clone();
    assert_eq!(reactions.as_array().unwrap().len(), 2);
    assert_eq!(reactions[0]["emoji"], "👍");
    assert_eq!(reactions[0]["users"][0]["username"], bob.as_str());

    // Taken back: gone on reload; a resume from before the message replays the current set
    // on the message and then the events in order.
    answer(&mut b_ws, react(conv, &seq, "x-3", "👍", false)).await;
    let reloaded = message_in_history(&a, conv, &seq).await;
    assert_eq!(reloaded["reactions"][0]["emoji"], "\u{2764}\u{fe0f}");
    assert_eq!(reloaded["reactions"].as_array().unwrap().len(), 1);
    let mut fresh = a.socket().await;
    fresh
        .send_json(
            &json!({"type":"sync","conversation_id":conv,"after_seq":seq.as_i64().unwrap() - 1}),
        )
        .await;
    let replay = fresh
        .frames_before(|f| f["type"] == "synced" && f["conversation_id"] == conv)
        .await;
    let kinds: Vec<&str> = replay
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["message"]["kind"].as_str().unwrap_or("message"))
        .collect();
    assert_eq!(kinds, ["message", "react", "react", "unreact"]);
    assert_eq!(replay[0]["message"]["reactions"], reloaded["reactions"]);
}

#[tokio::test]
async fn bad_reactions_get_a_clear_error_and_change_nothing() {
    let app = spawn_app().await;
    let (a, b, _bob, conv) = pair(&app).await;
    let mut b_ws = b.socket().await;
    let mut a_ws = a.socket().await;
    let seq = a_ws.send_message(conv, "m-1", "hello").await["seq"].clone();
    for (n, emoji) in ["", "ok", "👍👍", "<img src=x onerror=alert(1)>"]
        .iter()
        .enumerate()
    {
        let refused = answer(
            &mut b_ws,
            react(conv, &seq, &format!("bad-{n}"), emoji, true),
        )
        .await;
        assert_eq!(refused["code"], "invalid_message", "{emoji:?}: {refused}");
        assert_eq!(refused["message"], "A reaction must be one emoji.");
    }
    let missing = answer(&mut b_ws, react(conv, &json!(9999), "bad-9", "👍", true)).await;
    assert_eq!(missing["code"], "not_found");
    // Twenty different emoji fill a message; the twenty-first is refused, an existing one is not.
    let all = [
        "😀", "😂", "😍", "😎", "🤔", "😢", "😡", "👍", "👎", "👏", "🙏", "🎉", "🔥", "💯", "✅",
        "❌", "👀", "🚀", "💡", "🍕", "🌈",
    ];
    for (n, e) in all[..20].iter().enumerate() {
        let ack = answer(&mut b_ws, react(conv, &seq, &format!("f-{n}"), e, true)).await;
        assert_eq!(ack["type"], "ack", "{e}: {ack}");
    }
    let over = answer(&mut b_ws, react(conv, &seq, "f-over", all[20], true)).await;
    assert_eq!(over["code"], "invalid_message");
    assert_eq!(
        over["message"],
        "A message can have at most 20 different reactions."
    );
    let ok = answer(&mut a_ws, react(conv, &seq, "f-same", all[0], true)).await;
    assert_eq!(ok["type"], "ack", "{ok}");
    let stored = message_in_history(&a, conv, &seq).await;
    assert_eq!(stored["reactions"].as_array().unwrap().len(), 20);
    assert_eq!(stored["reactions"][0]["users"].as_array().unwrap().len(), 2);
}
