//! Exports: a conversation's events as NDJSON for its owner only, and an account's own data
//! as JSON for its holder, both complete across pages of the stream, valid, not cached, rate
//! limited and recorded in the audit log.

use crate::common::{self, spawn_app, spawn_app_with, Client, Reply};
use serde_json::Value;

/// Events read per page by the export (`EXPORT_PAGE`): the test crosses two boundaries.
const PAGE: usize = 1_000;

fn text(reply: &Reply) -> &str {
    reply
        .body
        .as_str()
        .unwrap_or_else(|| panic!("a text body: {}", reply.body))
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers[name].to_str().expect("ascii header")
}

#[tokio::test]
async fn an_owner_exports_every_event_and_a_member_their_own_messages_across_pages() {
    let app = spawn_app().await;
    let (alice, bob, conv, alice_name, bob_name) = crate::pair(&app).await;
    let mut a = alice.socket().await;
    let mut b = bob.socket().await;
    // Over two pages of Alice's messages first, so Bob's come only on the third page.
    for i in 0..2 * PAGE + 50 {
        a.send_json(&serde_json::json!({
            "type": "send", "conversation_id": conv, "client_id": format!("a{i}"), "body": format!("alice {i}")
        }))
        .await;
    }
    let last = a.send_message(conv, "a-last", "alice last").await;
    assert_eq!(last["type"], "ack", "{last}");
    for i in 0..3 {
        assert_eq!(
            b.send_message(conv, &format!("b{i}"), &format!("bob {i}"))
                .await["type"],
            "ack"
        );
    }
    let deleted = b.send_message(conv, "b-gone", "bob regrets this").await;
    let seq = deleted["seq"].as_i64().expect("seq");
    b.send_json(
        &serde_json::json!({"type":"delete","conversation_id":conv,"seq":seq,"client_id":"b-del"}),
    )
    .await;
    b.next_of("ack").await;

    // The owner's export: a header, then every event once, in seq order.
    let export = alice
        .get(&format!("/api/conversations/{conv}/export"))
        .await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(header(&export, "content-type"), "application/x-ndjson");
    assert_eq!(
        header(&export, "content-disposition"),
        format!("attachment; filename=\"palaver-conversation-{conv}.ndjson\"")
    );
    assert_eq!(header(&export, "cache-control"), "no-store");
    let lines: Vec<Value> = text(&export)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines[0]["type"], "conversation");
    assert_eq!(lines[0]["title"], "Team");
    let seqs: Vec<i64> = lines[1..]
        .iter()
        .map(|l| {
            assert_eq!(l["type"], "event");
            l["event"]["seq"].as_i64().expect("seq")
        })
        .collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "every event once, in order");
    assert!(seqs.len() > 2 * PAGE + 55, "{} events", seqs.len());
    let gone = lines
        .iter()
        .find(|l| l["event"]["seq"] == seq)
        .expect("the deleted message is there");
    assert_eq!(gone["event"]["deleted"], true);
    assert!(
        !text(&export).contains("bob regrets this"),
        "a deleted message keeps no text"
    );

    // Not the member's, not anyone's signed out.
    assert_eq!(
        bob.get(&format!("/api/conversations/{conv}/export"))
            .await
            .status,
        403
    );
    assert_eq!(
        app.client()
            .get(&format!("/api/conversations/{conv}/export"))
            .await
            .status,
        401
    );

    // Bob's own data: valid JSON, his messages only, after pages that had none of his.
    let mine = bob.get("/api/export").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(header(&mine, "content-type"), "application/json");
    let data = &mine.body;
    assert_eq!(data["account"]["username"], bob_name.as_str());
    let bodies: Vec<&str> = data["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            assert_eq!(m["author"], bob_name.as_str());
            m["body"].as_str().expect("body")
        })
        .collect();
    assert_eq!(bodies, ["bob 0", "bob 1", "bob 2"]);
    assert!(data["memberships"]
        .as_array()
        .expect("memberships")
        .iter()
        .any(|m| m["conversation_id"] == conv && m["role"] == "member"));
    assert!(data["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .any(|s| s["current"] == true));
    assert!(
        !mine.body.to_string().contains(&alice_name),
        "nobody else's data"
    );

    // The owner's conversation audit log has the export.
    let log: Value = alice
        .call(
            "audit_log",
            &[
                ("id", &conv.to_string()),
                ("action", "conversation_exported"),
            ],
        )
        .await
        .ok();
    assert_eq!(log["entries"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn exports_are_rate_limited_per_account_even_fifty_at_once() {
    let app = spawn_app_with(common::real_rates).await;
    let someone = Client::new(app.addr);
    someone.sign_up(&common::unique("exporter")).await;
    // 50 at once are throttled exactly like 50 in a row (SECURITY 26): 5 run, 45 are refused.
    let replies = futures::future::join_all((0..50).map(|_| someone.get("/api/export"))).await;
    let ran = replies.iter().filter(|r| r.status == 200).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!((ran, refused.len()), (5, 45));
    assert!(refused
        .iter()
        .all(|r| r.headers.contains_key("retry-after")));
}
