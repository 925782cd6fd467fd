//! One socket with many messages in flight: the client does not wait for each `ack` before
//! sending the next (the server queues them for the writer and acknowledges each after its
//! commit). Order, retries, the frames that must see them, and removals all still hold.

use super::common::spawn_app;
use super::pair;
use serde_json::{json, Value};
use std::time::Duration;

fn send(conv: i64, client_id: &str) -> Value {
    json!({"type":"send","conversation_id":conv,"client_id":client_id,"body":client_id})
}

#[tokio::test]
async fn messages_sent_without_waiting_keep_their_order_and_a_retry_its_seq() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;
    const N: usize = 300;
    let mut expected = Vec::new();
    for i in 0..N {
        a_ws.send_json(&send(conv, &format!("p{i}"))).await;
        expected.push(format!("p{i}"));
        if i == 150 {
            // A retry of an earlier message while both may still be in flight.
            a_ws.send_json(&send(conv, "p100")).await;
            expected.push("p100".into());
        }
    }
    // Then a sync: answered after every message before it, so it sees them all.
    a_ws.send_json(&json!({"type":"sync","conversation_id":conv,"after_seq":0}))
        .await;

    let mut acks = Vec::new();
    loop {
        let f = a_ws.next_json().await;
        match f["type"].as_str() {
            Some("ack") => acks.push(f),
            Some("error") => panic!("refused: {f}"),
            Some("synced") => {
                assert_eq!(
                    acks.len(),
                    expected.len(),
                    "a sync is answered after the messages before it"
                );
                break;
            }
            _ => {}
        }
    }
    let ids: Vec<&str> = acks
        .iter()
        .map(|f| f["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected, "acknowledged in the order sent");
    let seqs: Vec<i64> = acks.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    let first = seqs[0];
    let retry_seq = seqs[100];
    assert_eq!(
        seqs[151], retry_seq,
        "the retry answers with the stored seq"
    );
    let fresh: Vec<i64> = seqs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 151)
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(
        fresh,
        (first..first + N as i64).collect::<Vec<_>>(),
        "gap-free seqs in the order sent"
    );
    // Bob got each once, in the same order.
    let mut heard = Vec::new();
    while heard.len() < N {
        let f = b_ws.next_of("message").await;
        if f["message"]["kind"] == "message" {
            heard.push(f["message"]["client_id"].as_str().unwrap().to_owned());
        }
    }
    let once: Vec<String> = (0..N).map(|i| format!("p{i}")).collect();
    assert_eq!(heard, once);
}

#[tokio::test]
async fn a_removal_amid_messages_in_flight_completes_and_nothing_of_the_member_follows_it() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let mut b_ws = b.socket().await;
    let bob_id = b.user_id().await.to_string();
    const N: usize = 400;
    for i in 0..N / 2 {
        b_ws.send_json(&send(conv, &format!("b{i}"))).await;
    }
    let removal = tokio::time::timeout(
        Duration::from_secs(10),
        a.call(
            "remove_member",
            &[("id", &conv.to_string()), ("user_id", &bob_id)],
        ),
    )
    .await
    .expect("the removal waits for the queued messages, not forever");
    assert_eq!(removal.status, 200, "{:?}", removal.body);
    for i in N / 2..N {
        b_ws.send_json(&send(conv, &format!("b{i}"))).await;
    }
    b_ws.send_json(&json!({"type":"ping"})).await;

    // Every message is answered: stored before the removal, or refused after it.
    let (mut stored, mut refused) = (0, 0);
    while stored + refused < N {
        let f = tokio::time::timeout(Duration::from_secs(10), b_ws.next_json())
            .await
            .expect("every message in flight is answered");
        match f["type"].as_str() {
            Some("ack") => {
                assert_eq!(refused, 0, "nothing is stored after a refusal: {f}");
                stored += 1;
            }
            Some("error") => {
                assert_eq!(f["code"], "not_member", "{f}");
                refused += 1;
            }
            _ => {}
        }
    }
    assert!(refused > 0, "the later half came after the removal");

    // Alice sees Bob's stored messages, then his leaving, and nothing of his after it: her
    // own marker after it proves the stream went on.
    a_ws.send_json(&send(conv, "marker")).await;
    let frames = a_ws
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    let events: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| &f["message"])
        .collect();
    let left = events
        .iter()
        .position(|m| m["kind"] == "leave" && m["author"] == bob.as_str())
        .expect("bob's leaving is in the stream");
    let before = events[..left]
        .iter()
        .filter(|m| m["author"] == bob.as_str() && m["kind"] == "message")
        .count();
    assert_eq!(before, stored, "every stored message before the leave line");
    assert!(
        events[left + 1..]
            .iter()
            .all(|m| m["author"] != bob.as_str()),
        "nothing of bob after he left"
    );
    // The stored history agrees.
    let history: Value = a.history(conv).await.ok();
    let after_leave = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip_while(|m| !(m["kind"] == "leave" && m["author"] == bob.as_str()))
        .filter(|m| m["author"] == bob.as_str() && m["kind"] == "message")
        .count();
    assert_eq!(after_leave, 0);
}
