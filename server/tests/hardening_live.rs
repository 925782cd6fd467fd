//! Attacks learned the hard way (issue 8, SECURITY 26-36), over the WebSocket and raw TCP:
//! lagging personal channels, deleted text, handshake storms, floods of every frame kind,
//! slowly sent headers and deletions racing sends. Absence is proven with a marker event
//! that arrives after what must not, never by waiting.

mod common;

use common::{spawn_app, spawn_app_in, spawn_app_with, Client, Socket, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn report(category: &str, tried: usize, rejected: usize) {
    println!(
        "SECURITY {category:<34} tried {tried:>5} / rejected {rejected:>5} ({:.0}%)",
        100.0 * rejected as f64 / tried.max(1) as f64
    );
}

/// A flood of `sent` frames of one kind against a limit that lets `allowed` through at once:
/// tried = those past the limit, rejected = those past it that had no effect.
fn flood(kind: &str, sent: usize, allowed: usize, effective: usize) {
    println!("{kind} flood: {sent} sent, {effective} took effect (the limit allows {allowed})");
    report(
        &format!("{kind} frames past the limit"),
        sent - allowed,
        sent - effective.max(allowed),
    );
}

async fn member_of(app: &TestApp, owner: &Client, id: i64, prefix: &str) -> Client {
    let (c, _) = app.signed_up(prefix).await;
    let code = owner.invite(id).await;
    c.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    c
}

/// Reads frames until `stop` matches one; returns those before it, or None if the socket
/// closed first (with the close code).
async fn frames_until(
    ws: &mut Socket,
    stop: impl Fn(&Value) -> bool,
) -> Result<Vec<Value>, Option<u16>> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut before = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let f: Value = serde_json::from_str(&t).unwrap();
                if stop(&f) {
                    return Ok(before);
                }
                before.push(f);
            }
            Ok(Some(Ok(Message::Close(c)))) => return Err(c.map(|c| u16::from(c.code))),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return Err(Some(1006)),
            Err(_) => panic!("no marker within 20 s"),
        }
    }
}

// ----- SECURITY 29: a subscriber that lags on any channel resyncs or closes ---------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_whose_personal_channel_lagged_receives_nothing_more() {
    let app = spawn_app().await;
    let (alice, _) = app.signed_up("alice").await;
    let x = alice.create_conversation("Private X").await;
    let bob = member_of(&app, &alice, x, "bob").await;
    let bob_id = bob.user_id().await;
    // A big conversation of Bob's own, to make his first socket slow.
    let y = bob.create_conversation("Big Y").await;
    let mut fast = bob.socket().await;
    let body = "y".repeat(3800);
    for i in 0..200 {
        fast.send_message(y, &format!("big-{i}"), &body).await;
    }
    let mut slow = bob.socket_with_recv_buffer(64 * 1024).await;
    for _ in 0..10 {
        slow.send_json(&json!({"type": "sync", "conversation_id": y, "after_seq": 0}))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Removed while the slow socket is stuck writing; then more than a channel's worth of
    // personal events bury the removal.
    alice
        .call(
            "remove_member",
            &[("id", &x.to_string()), ("user_id", &bob_id.to_string())],
        )
        .await
        .ok::<Value>();
    for i in 0..300 {
        bob.create_conversation(&format!("flood {i}")).await;
    }
    let marker = bob.create_conversation("marker").await;
    alice
        .call("history", &[("id", &x.to_string())])
        .await
        .ok::<Value>();
    let is_marker =
        |f: &Value| f["type"] == "conversation_added" && f["conversation"]["id"] == marker;
    let outcome = frames_until(&mut slow, is_marker).await;
    let removed_or_closed = match &outcome {
        Err(code) => {
            println!("the lagging socket was closed with {code:?}");
            true
        }
        Ok(before) => before
            .iter()
            .any(|f| f["type"] == "conversation_removed" && f["conversation_id"] == x),
    };
    report(
        "lagged removals still enforced",
        1,
        usize::from(removed_or_closed),
    );
    assert!(
        removed_or_closed,
        "the socket neither learned of the removal nor was closed"
    );
    if outcome.is_ok() {
        // Still open: a message in X now must not reach it. Bob's own message in the marker
        // conversation after it proves the socket is alive and past that point.
        let mut a = alice.socket().await;
        a.send_message(x, "after-removal", "secret after removal")
            .await;
        fast.send_message(marker, "m2", "second marker").await;
        let before = frames_until(&mut slow, |f| {
            f["type"] == "message" && f["message"]["client_id"] == "m2"
        })
        .await;
        if let Ok(before) = before {
            assert!(
                !before.iter().any(|f| f["message"]["conversation_id"] == x),
                "a removed member's socket got a message of X"
            );
        }
    }
}

// ----- SECURITY 32: deleting content deletes every copy -----------------------------------

#[tokio::test]
async fn a_deleted_message_leaves_no_text_in_edits_sync_or_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path().to_path_buf(), None).await;
    let (alice, _) = app.signed_up("alice").await;
    let id = alice.create_conversation("Regrets").await;
    let mut ws = alice.socket().await;
    let ack = ws.send_message(id, "orig", "original-zq81 text").await;
    let seq = ack["seq"].as_i64().unwrap();
    for (i, text) in ["secret-zq82 first", "secret-zq83 second"]
        .iter()
        .enumerate()
    {
        ws.send_json(&json!({"type": "edit", "conversation_id": id, "seq": seq,
            "client_id": format!("edit-{i}"), "body": text}))
            .await;
        ws.next_of("ack").await;
    }
    ws.send_json(&json!({"type": "delete", "conversation_id": id, "seq": seq, "client_id": "del"}))
        .await;
    ws.next_of("ack").await;

    // While the server runs: the files hold no copy right after the deletion.
    let mut places = Vec::new();
    database_files(dir.path(), "while running", &mut places);
    let late = member_of(&app, &alice, id, "late").await;
    let mut late_ws = late.socket().await;
    late_ws
        .send_json(&json!({"type": "sync", "conversation_id": id, "after_seq": 0}))
        .await;
    let mut synced = Vec::new();
    loop {
        let f = late_ws.next_json().await;
        if f["type"] == "synced" {
            break;
        }
        synced.push(f.to_string());
    }
    let history = late.history(id).await.body.to_string();
    let leaks = |s: &str| s.contains("zq8");
    places.push(("sync".to_owned(), synced.join("\n")));
    places.push(("history".to_owned(), history));
    app.stop().await;
    database_files(dir.path(), "after stopping", &mut places);
    let clean = places.iter().filter(|(_, text)| !leaks(text)).count();
    for (place, text) in &places {
        if leaks(text) {
            println!("LEAK of deleted text in {place}");
        }
    }
    report("copies of deleted text", places.len(), clean);
    assert_eq!(clean, places.len());
}

/// Every file of the database (main file, WAL, shared memory) as text, labelled. SQLite may
/// remove the WAL or shared-memory file between listing and reading (a checkpoint, the last
/// connection closing): a file that is gone holds no text, and is left out.
fn database_files(dir: &std::path::Path, when: &str, places: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("palaver.db") {
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                places.push((format!("{name} {when}"), text));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot read {name}: {e}"),
        }
    }
}

// ----- SECURITY 17: the socket limit is counted at the handshake ---------------------------

#[tokio::test]
async fn sockets_opened_at_once_are_counted_at_the_handshake() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("many").await;
    let cookie = c.cookie().unwrap();
    let handshakes = (0..35).map(|_| Socket::try_connect(app.addr, Some(&cookie)));
    let results = futures::future::join_all(handshakes).await;
    let mut sockets: Vec<Socket> = Vec::new();
    let mut refused = 0;
    for r in results {
        match r {
            Ok(s) => sockets.push(s),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) if res.status() == 429 => {
                refused += 1
            }
            Err(e) => panic!("unexpected handshake error {e}"),
        }
    }
    let mut ready = 0;
    for s in &mut sockets {
        let token = c.ws_token().await;
        s.send_json(&json!({"type": "auth", "token": token})).await;
        if s.next_json_within(Duration::from_secs(5))
            .await
            .is_some_and(|f| f["type"] == "ready")
        {
            ready += 1;
        }
    }
    println!("35 handshakes at once: {ready} ready, {refused} refused with 429");
    report("sockets past the per-user limit", 15, refused);
    assert!(ready <= 20, "{ready} sockets against a limit of 20");
    assert_eq!(refused, 15);
}

// ----- SECURITY 28: every frame kind has a limit --------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_every_frame_kind_are_bounded() {
    let app = spawn_app_with(common::real_rates).await;
    let (alice, _) = app.signed_up("alice").await;
    let id = alice.create_conversation("Floods").await;
    let bob = member_of(&app, &alice, id, "bob").await;
    let mut a = alice.socket().await;
    let mut b = bob.socket().await;
    let mut b2 = bob.socket().await;
    for i in 0..200 {
        a.send_message(id, &format!("seed-{i}"), &"s".repeat(200))
            .await;
    }

    // typing: Alice sees at most a couple of Bob's typing frames before his next message.
    for _ in 0..200 {
        b.send_json(&json!({"type": "typing", "conversation_id": id}))
            .await;
    }
    b.send_json(
        &json!({"type": "send", "conversation_id": id, "client_id": "t-marker", "body": "marker"}),
    )
    .await;
    let seen = frames_until(&mut a, |f| {
        f["type"] == "message" && f["message"]["client_id"] == "t-marker"
    })
    .await
    .unwrap();
    let typing = seen.iter().filter(|f| f["type"] == "typing").count();
    flood("typing", 200, 2, typing);
    assert!(typing <= 2, "{typing} typing frames delivered");

    // read: Bob's other socket sees a bounded number of read positions.
    for i in 0..1000 {
        b.send_json(&json!({"type": "read", "conversation_id": id, "seq": 1 + i % 200}))
            .await;
    }
    let marker = bob.create_conversation("read marker").await;
    let seen = frames_until(&mut b2, |f| {
        f["type"] == "conversation_added" && f["conversation"]["id"] == marker
    })
    .await
    .unwrap();
    let reads = seen.iter().filter(|f| f["type"] == "read_up_to").count();
    // 30 at once, 2 per second after: well under 50 in the second this takes.
    flood("read", 1000, 50, reads);
    assert!(reads <= 50, "{reads} read positions published");

    // sync: 50 requests for the whole history get a bounded answer.
    let mut c = bob.socket().await;
    for _ in 0..50 {
        c.send_json(&json!({"type": "sync", "conversation_id": id, "after_seq": 0}))
            .await;
    }
    // The marker is a ping, answered in order after the syncs: a message would reach the
    // socket live too, and with it the events the sync had not covered yet (gap fill).
    c.send_json(&json!({"type": "ping"})).await;
    let seen = frames_until(&mut c, |f| f["type"] == "pong").await.unwrap();
    let replayed = seen.iter().filter(|f| f["type"] == "message").count();
    let refused = seen
        .iter()
        .filter(|f| f["type"] == "error" && f["code"] == "rate_limited")
        .count();
    println!("50 syncs from 0: {replayed} messages replayed, {refused} refused");
    flood("sync", 50, 10, 50 - refused);
    assert!(replayed <= 10 * 200, "{replayed} messages replayed");

    // renew: a flood of token renewals is refused past its limit.
    let token = bob.ws_token().await;
    for _ in 0..100 {
        c.send_json(&json!({"type": "renew", "token": token})).await;
    }
    c.send_json(
        &json!({"type": "send", "conversation_id": id, "client_id": "r-marker", "body": "m"}),
    )
    .await;
    let seen = frames_until(&mut c, |f| {
        f["type"] == "ack" && f["client_id"] == "r-marker"
    })
    .await
    .unwrap();
    let renewed = seen.iter().filter(|f| f["type"] == "renewed").count();
    flood("renew", 100, 10, renewed);
    assert!(renewed <= 10, "{renewed} renewals answered");

    // join/leave: timeline events outside the message limit are limited too.
    alice
        .call("set_public", &[("id", &id.to_string()), ("public", "true")])
        .await
        .ok::<Value>();
    let (carol, _) = app.signed_up("carol").await;
    let mut joins = 0;
    for _ in 0..40 {
        let r = carol.call("join_room", &[("id", &id.to_string())]).await;
        match r.status {
            200 => joins += 1,
            429 => {}
            s => panic!("join answered {s}"),
        }
        // A leave after a refused join is refused as "not a member" (403).
        carol
            .call("leave_conversation", &[("id", &id.to_string())])
            .await;
    }
    // Joins and leaves share 20 per 10 minutes: 10 pairs.
    flood("join", 40, 10, joins);
    assert!(joins <= 10, "{joins} joins in a burst");
}

// ----- slowly sent headers and too many connections from one address ----------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_trickle_headers_are_closed_and_one_address_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(
        dir.path().to_path_buf(),
        Some(|c| {
            c.header_timeout_secs = 2;
            c.connections_per_address = 40;
        }),
    )
    .await;
    let mut trickling = Vec::new();
    for _ in 0..30 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        trickling.push(s);
    }
    let started = std::time::Instant::now();
    let mut closed = 0;
    let tasks = trickling.into_iter().map(|mut s| async move {
        let mut buf = [0u8; 512];
        for _ in 0..40 {
            if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
                return true;
            }
            match tokio::time::timeout(Duration::from_millis(250), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {} // a 408 answer before the close
                Err(_) => {}
            }
        }
        false
    });
    for ok in futures::future::join_all(tasks).await {
        closed += usize::from(ok);
    }
    println!(
        "30 trickling connections: {closed} closed in {:?}",
        started.elapsed()
    );
    report("connections trickling headers", 30, closed);
    assert_eq!(closed, 30);

    // The cap: 50 idle connections from one address, 40 allowed.
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(tokio::net::TcpStream::connect(app.addr).await.unwrap());
    }
    let mut shut = 0;
    for s in &mut idle {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await
        {
            shut += 1;
        }
    }
    report("connections past the per-address cap", 10, shut);
    assert_eq!(shut, 10, "{shut} of 50 idle connections were refused");
    drop(idle);
    // The cap frees up as connections close: the app still answers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
}

// ----- a deletion racing sends leaves nothing behind ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_racing_a_deletion_leave_no_rows_behind() {
    let app = spawn_app().await;
    let (alice, _) = app.signed_up("alice").await;
    let db = app.database().await;
    let mut leftovers = 0;
    for round in 0..5 {
        let title = format!("Doomed {round}");
        let id = alice.create_conversation(&title).await;
        let bob = member_of(&app, &alice, id, "bob").await;
        let mut ws = bob.socket().await;
        for i in 0..50 {
            ws.send_json(&json!({"type": "send", "conversation_id": id,
                "client_id": format!("r{round}-{i}"), "body": "racing"}))
                .await;
        }
        alice
            .call(
                "delete_conversation",
                &[("id", &id.to_string()), ("confirm", &title)],
            )
            .await
            .ok::<Value>();
        // Every send is answered (ack or error) before we count.
        let mut answered = 0;
        while answered < 50 {
            let Some(f) = ws.next_json_within(Duration::from_secs(10)).await else {
                break;
            };
            if f["type"] == "ack" || (f["type"] == "error" && f["client_id"].is_string()) {
                answered += 1;
            }
        }
        let rows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap();
        leftovers += rows;
    }
    report(
        "rows outliving their conversation",
        5,
        usize::from(leftovers == 0) * 5,
    );
    assert_eq!(
        leftovers, 0,
        "{leftovers} message rows outlived their conversation"
    );
}
