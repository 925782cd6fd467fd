//! Real-time behaviour beyond plain messages: edits and deletions as sequenced events, read
//! positions and unread counts, leaving, typing and presence.

mod common;
#[path = "realtime/exports.rs"]
mod exports;
#[path = "realtime/operations.rs"]
mod operations;
#[path = "realtime/pipelined.rs"]
mod pipelined;
#[path = "realtime/presence.rs"]
mod presence;

use common::{spawn_app, unique, Client, Socket, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// Alice owns a conversation Bob has joined; returns (alice, bob, conversation).
pub(crate) async fn pair(app: &TestApp) -> (Client, Client, i64, String, String) {
    let (a, b) = (app.client(), app.client());
    let (alice, bob) = (unique("alice"), unique("bob"));
    a.sign_up(&alice).await;
    b.sign_up(&bob).await;
    let conv = a.create_conversation("Team").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    (a, b, conv, alice, bob)
}

async fn edit(ws: &mut Socket, conv: i64, seq: i64, client_id: &str, body: &str) -> Value {
    ws.send_json(
        &json!({"type":"edit","conversation_id":conv,"seq":seq,"client_id":client_id,"body":body}),
    )
    .await;
    reply_for(ws, client_id).await
}

async fn delete(ws: &mut Socket, conv: i64, seq: i64, client_id: &str) -> Value {
    ws.send_json(&json!({"type":"delete","conversation_id":conv,"seq":seq,"client_id":client_id}))
        .await;
    reply_for(ws, client_id).await
}

async fn reply_for(ws: &mut Socket, client_id: &str) -> Value {
    loop {
        let f = ws.next_json().await;
        if (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id {
            return f;
        }
    }
}

fn visible(history: &Value) -> Vec<Value> {
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "message")
        .cloned()
        .collect()
}

#[tokio::test]
async fn edits_and_deletions_reach_members_live_and_survive_reload() {
    let app = spawn_app().await;
    let (a, b, conv, alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;
    let seq = a_ws.send_message(conv, "m1", "helo wrld").await["seq"]
        .as_i64()
        .unwrap();
    let keep = a_ws.send_message(conv, "m2", "second").await["seq"]
        .as_i64()
        .unwrap();

    let ack = edit(&mut a_ws, conv, seq, "e1", "hello world").await;
    assert_eq!(ack["type"], "ack");
    let event = loop {
        let f = b_ws.next_of("message").await;
        if f["message"]["kind"] == "edit" {
            break f["message"].clone();
        }
    };
    assert_eq!(event["target_seq"], seq);
    assert_eq!(event["body"], "hello world");
    assert_eq!(event["author"], alice.as_str());

    let ack = delete(&mut a_ws, conv, keep, "d1").await;
    assert_eq!(ack["type"], "ack");
    let event = loop {
        let f = b_ws.next_of("message").await;
        if f["message"]["kind"] == "delete" {
            break f["message"].clone();
        }
    };
    assert_eq!(event["target_seq"], keep);

    let history: Value = b.history(conv).await.ok();
    let msgs = visible(&history);
    assert_eq!(msgs[0]["body"], "hello world");
    assert!(msgs[0]["edited_at"].as_i64().is_some(), "marked edited");
    assert_eq!(
        msgs[1]["deleted"], true,
        "placeholder stays in the sequence"
    );
    assert_eq!(msgs[1]["body"], "", "the deleted text is gone");
    assert!(
        !history.to_string().contains("\"kind\":\"edit\""),
        "history shows messages, not edit events"
    );

    // The side nav no longer previews the deleted message.
    let list: Vec<Value> = b.call("conversations", &[]).await.ok();
    assert_eq!(list[0]["last_message"]["body"], "hello world");
}

#[tokio::test]
async fn only_the_author_can_change_a_message_and_deleted_stays_deleted() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;
    let seq = a_ws.send_message(conv, "m1", "mine").await["seq"]
        .as_i64()
        .unwrap();

    for reply in [
        edit(&mut b_ws, conv, seq, "x1", "hijacked").await,
        delete(&mut b_ws, conv, seq, "x2").await,
    ] {
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["code"], "forbidden");
    }
    let missing = edit(&mut a_ws, conv, 999, "x3", "nothing there").await;
    assert_eq!(missing["code"], "not_found");
    let empty = edit(&mut a_ws, conv, seq, "x4", "   ").await;
    assert_eq!(empty["code"], "invalid_message");

    assert_eq!(delete(&mut a_ws, conv, seq, "d1").await["type"], "ack");
    assert_eq!(
        edit(&mut a_ws, conv, seq, "x5", "back from the dead").await["code"],
        "forbidden"
    );
    // A retried delete with the same client id is the same event, not a new one.
    let again = delete(&mut a_ws, conv, seq, "d1").await;
    assert_eq!(again["type"], "ack");

    let history: Value = a.history(conv).await.ok();
    let msgs = visible(&history);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["deleted"], true);
}

#[tokio::test]
async fn a_client_resuming_from_its_last_seq_gets_missed_edits_and_deletions() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let first = a_ws.send_message(conv, "m1", "one").await["seq"]
        .as_i64()
        .unwrap();
    let second = a_ws.send_message(conv, "m2", "two").await["seq"]
        .as_i64()
        .unwrap();
    // Bob saw up to `second`, then went offline while Alice edited and deleted.
    edit(&mut a_ws, conv, first, "e1", "one (fixed)").await;
    delete(&mut a_ws, conv, second, "d1").await;
    a_ws.send_message(conv, "m3", "three").await;

    let mut b_ws = b.socket().await;
    b_ws.send_json(&json!({"type":"sync","conversation_id":conv,"after_seq":second}))
        .await;
    let mut kinds = Vec::new();
    loop {
        let f = b_ws.next_json().await;
        match f["type"].as_str() {
            Some("message") => kinds.push((
                f["message"]["kind"].as_str().unwrap().to_owned(),
                f["message"]["target_seq"].as_i64(),
            )),
            Some("synced") => break,
            _ => {}
        }
    }
    assert_eq!(
        kinds,
        vec![
            ("edit".to_owned(), Some(first)),
            ("delete".to_owned(), Some(second)),
            ("message".to_owned(), None)
        ]
    );
}

#[tokio::test]
async fn unread_counts_follow_the_read_position_across_sockets() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut last = 0;
    for i in 0..3 {
        last = a_ws.send_message(conv, &format!("m{i}"), "ping").await["seq"]
            .as_i64()
            .unwrap();
    }
    let unread = |list: &Vec<Value>| list[0]["unread"].as_i64().unwrap();
    let list: Vec<Value> = b.call("conversations", &[]).await.ok();
    assert_eq!(
        unread(&list),
        3,
        "Bob has three unread; his own join does not count"
    );
    let list: Vec<Value> = a.call("conversations", &[]).await.ok();
    assert_eq!(unread(&list), 0, "your own messages are never unread");

    let mut tab1 = b.socket().await;
    let mut tab2 = b.socket().await;
    tab1.send_json(&json!({"type":"read","conversation_id":conv,"seq":last - 1}))
        .await;
    let moved = tab2.next_of("read_up_to").await;
    assert_eq!(moved["seq"], last - 1, "the other tab follows");
    assert_eq!(
        tab1.next_of("read_up_to").await["seq"],
        last - 1,
        "and the reader's own"
    );
    let list: Vec<Value> = b.call("conversations", &[]).await.ok();
    assert_eq!(unread(&list), 1);
    // Reading an older position never moves the marker back, and publishes nothing: the
    // next position the other tab hears of is the one after it. The future is clamped.
    tab2.send_json(&json!({"type":"read","conversation_id":conv,"seq":1}))
        .await;
    tab2.send_json(&json!({"type":"read","conversation_id":conv,"seq":1_000_000}))
        .await;
    assert_eq!(tab1.next_of("read_up_to").await["seq"], last);
    let detail: Value = b
        .call("conversation", &[("id", &conv.to_string())])
        .await
        .ok();
    assert_eq!(detail["last_read_seq"], last);
}

#[tokio::test]
async fn leaving_stops_deliveries_at_once_and_tells_the_others() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;

    // The owner cannot leave.
    let res = a
        .call("leave_conversation", &[("id", &conv.to_string())])
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.message(), "The owner cannot leave the conversation.");

    let res = b
        .call("leave_conversation", &[("id", &conv.to_string())])
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let removed = b_ws.next_of("conversation_removed").await;
    assert_eq!(removed["conversation_id"], conv);
    // The others get the "Bob left" line (an event in the sequence) and the member update.
    let (mut line, mut left) = (None, None);
    while line.is_none() || left.is_none() {
        let f = a_ws.next_json().await;
        match f["type"].as_str() {
            Some("message") if f["message"]["kind"] == "leave" => line = Some(f["message"].clone()),
            Some("member_left") => left = Some(f),
            _ => {}
        }
    }
    assert_eq!(line.unwrap()["author"], bob.as_str());
    assert_eq!(left.unwrap()["conversation_id"], conv);

    a_ws.send_message(conv, "after", "bob should not see this")
        .await;
    assert_eq!(b.history(conv).await.status, 403);
    let list: Vec<Value> = b.call("conversations", &[]).await.ok();
    assert!(list.is_empty());
    // Bob's open socket did not get it. The proof: he comes back and Alice posts once more.
    // Had his socket kept listening, the message would come before the new one (one
    // conversation's events reach a socket in the order published); a socket that
    // subscribes again on rejoining gets the new one first.
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let mut heard = b_ws
        .frames_before(|f| f["type"] == "conversation_added")
        .await;
    a_ws.send_message(conv, "marker", "welcome back").await;
    heard.extend(
        b_ws.frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
            .await,
    );
    assert!(heard.iter().all(|f| f["type"] != "message"), "{heard:?}");
}

#[tokio::test]
async fn typing_reaches_other_members_only() {
    let app = spawn_app().await;
    let (a, b, conv, alice, _bob) = pair(&app).await;
    let outsider = app.client();
    outsider.sign_up(&unique("eve")).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;
    let mut eve_ws = outsider.socket().await;

    a_ws.send_json(&json!({"type":"typing","conversation_id":conv}))
        .await;
    let typing = b_ws.next_of("typing").await;
    assert_eq!(typing["user"]["username"], alice.as_str());
    assert_eq!(typing["conversation_id"], conv);

    eve_ws
        .send_json(&json!({"type":"typing","conversation_id":conv}))
        .await;
    assert_eq!(eve_ws.next_of("error").await["code"], "not_member");

    // Alice's notice did not reach Eve's socket. The proof: Eve joins and Alice posts. Had
    // Eve's socket been listening, the notice would come before the message (one
    // conversation's events reach a socket in the order published).
    let code = a.invite(conv).await;
    outsider
        .call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let mut heard = eve_ws
        .frames_before(|f| f["type"] == "conversation_added")
        .await;
    a_ws.send_message(conv, "marker", "welcome").await;
    heard.extend(
        eve_ws
            .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
            .await,
    );
    assert!(heard.iter().all(|f| f["type"] != "typing"), "{heard:?}");
}

#[tokio::test]
async fn pings_get_at_most_one_pong_per_second_per_socket() {
    let app = spawn_app().await;
    let (a, _b, conv, _alice, _bob) = pair(&app).await;
    let mut ws = a.socket().await;

    ws.send_json(&json!({"type":"ping"})).await;
    assert_eq!(ws.next_of("pong").await["type"], "pong");

    // A flood: frames on one socket are answered in order, so every pong it earned comes
    // before the `synced` that answers the marker sent after it.
    for _ in 0..50 {
        ws.send_json(&json!({"type":"ping"})).await;
    }
    ws.send_json(&json!({"type":"sync","conversation_id":conv,"after_seq":0}))
        .await;
    let heard = ws.frames_before(|f| f["type"] == "synced").await;
    let pongs = heard.iter().filter(|f| f["type"] == "pong").count();
    assert!(pongs <= 1, "{pongs} pongs for 50 pings within a second");

    // A second later the socket is answered again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    ws.send_json(&json!({"type":"ping"})).await;
    assert_eq!(ws.next_of("pong").await["type"], "pong");
}
