//! Presence: online while any tab is open, offline with the last, and one announcement per
//! person however many tabs open or close at once (issue 12: O(1) frames per member state
//! change, not per socket).

use super::common::{spawn_app, Socket};
use super::pair;
use serde_json::{json, Value};
use std::time::Duration;

async fn presence_of(ws: &mut Socket, user: &Value) -> Value {
    loop {
        let f = ws.next_of("presence").await;
        if &f["user_id"] == user {
            return f;
        }
    }
}

#[tokio::test]
async fn presence_counts_tabs_and_goes_offline_with_the_last_one() {
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let bob_id = {
        let me: Value = b.call("me", &[]).await.ok();
        me["id"].clone()
    };

    let mut tab1 = b.socket().await;
    let online = presence_of(&mut a_ws, &bob_id).await;
    assert_eq!(online["user_id"], bob_id);
    assert_eq!(online["online"], true);
    let detail: Value = a
        .call("conversation", &[("id", &conv.to_string())])
        .await
        .ok();
    assert!(detail["online"].as_array().unwrap().contains(&bob_id));

    let mut tab2 = b.socket().await;
    // One tab still open: closing the other announces no "offline". The server closes tab1
    // itself (a renewal with a bad token) and counts the socket out before it sends the close
    // frame, so once tab1 has its close code an "offline" would have been published, and
    // would reach Alice before Bob's next message (events of one conversation arrive in the
    // order published).
    tab1.send_json(&json!({"type": "renew", "token": "not-a-token"}))
        .await;
    assert_eq!(tab1.close_code(Duration::from_secs(5)).await, Some(1008));
    tab2.send_message(conv, "marker", "still here").await;
    let events = a_ws
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "marker")
        .await;
    assert!(
        !events
            .iter()
            .any(|f| f["type"] == "presence" && f["online"] == false),
        "{events:?}"
    );

    drop(tab2);
    let offline = presence_of(&mut a_ws, &bob_id).await;
    assert_eq!(offline["user_id"], bob_id);
    assert_eq!(offline["online"], false);
}

#[tokio::test]
async fn a_storm_of_tabs_announces_each_person_once() {
    const TABS: usize = 15;
    let app = spawn_app().await;
    let (a, b, conv, _alice, _bob) = pair(&app).await;
    let mut a_ws = a.socket().await;
    let bob_id = {
        let me: Value = b.call("me", &[]).await.ok();
        me["id"].clone()
    };
    // Bob's tabs all connect at once.
    let mut tabs: Vec<Socket> = futures::future::join_all((0..TABS).map(|_| b.socket())).await;
    // A tab answers pings only once its opening (and any announcement) is done: every
    // announcement the storm made is published before the marker below.
    for tab in &mut tabs {
        tab.send_json(&json!({"type": "ping"})).await;
        tab.next_of("pong").await;
    }
    // Sent from a tab of Bob's: Alice's socket reads nothing until the marker.
    tabs[0].send_message(conv, "after-storm", "marker").await;
    let before = a_ws
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "after-storm")
        .await;
    let announced: Vec<&Value> = before
        .iter()
        .filter(|f| f["type"] == "presence" && f["user_id"] == bob_id)
        .collect();
    assert_eq!(
        announced.len(),
        1,
        "one announcement for {TABS} tabs: {announced:?}"
    );
    assert_eq!(announced[0]["online"], true);

    // All but one close: nobody hears of it. The last one closing makes Bob offline, once.
    let mut last = tabs.pop().expect("a tab");
    for mut tab in tabs {
        tab.send_json(&json!({"type": "renew", "token": "not-a-token"}))
            .await;
        assert_eq!(tab.close_code(Duration::from_secs(5)).await, Some(1008));
    }
    last.send_message(conv, "after-closes", "marker").await;
    let before = a_ws
        .frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "after-closes")
        .await;
    assert!(
        !before.iter().any(|f| f["type"] == "presence"),
        "a tab is still open: {before:?}"
    );
    drop(last);
    let offline = presence_of(&mut a_ws, &bob_id).await;
    assert_eq!(offline["online"], false);
}
