//! End-to-end behaviour of the running server, driven as clients drive it.

mod common;

use common::{spawn_app, spawn_app_in, unique, Socket, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn health_check_answers_ok() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn unknown_route_renders_a_real_404_page() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/no/such/page")).await.unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}

#[tokio::test]
async fn sign_up_sets_an_http_only_same_site_cookie_and_signs_in() {
    let app = spawn_app().await;
    let c = app.client();
    let name = unique("alice");
    let res = c
        .call("sign_up", &[("username", &name), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let cookie = res
        .headers
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("palaver_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let me: Value = c.call("me", &[]).await.ok();
    assert_eq!(me["username"], name.as_str());
}

#[tokio::test]
async fn sign_up_rejects_bad_input_with_specific_messages_and_stores_nothing() {
    let app = spawn_app().await;
    let c = app.client();
    let cases = [
        ("ab", PASSWORD, "Username must be 3-32 characters long."),
        ("bad name", PASSWORD, "Username may contain only letters"),
        ("<script>", PASSWORD, "Username may contain only letters"),
        ("robert_tables", "short", "at least 8 characters"),
        ("robert_tables", "password123", "too common"),
        ("robert_tables", &"x".repeat(300), "at most 256 characters"),
    ];
    for (user, pass, expected) in cases {
        let res = c
            .call("sign_up", &[("username", user), ("password", pass)])
            .await;
        assert_eq!(res.status, 422, "{user:?}: {:?}", res.body);
        assert!(
            res.message().contains(expected),
            "{user:?}: {:?} should mention {expected:?}",
            res.message()
        );
        assert!(res.headers.get("set-cookie").is_none());
    }
    // Nothing was stored: the name is still free.
    assert_eq!(c.sign_in("robert_tables", PASSWORD).await.status, 401);
    c.sign_up("robert_tables").await;
}

#[tokio::test]
async fn usernames_are_unique_case_insensitively() {
    let app = spawn_app().await;
    let name = unique("Carol");
    app.client().sign_up(&name).await;
    let res = app
        .client()
        .call(
            "sign_up",
            &[("username", &name.to_uppercase()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.message(), "That username is already taken.");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let name = unique("dave");
    app.client().sign_up(&name).await;
    let wrong = app.client().sign_in(&name, "not-the-password").await;
    let unknown = app
        .client()
        .sign_in(&unique("nobody"), "not-the-password")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.message(), "Wrong username or password.");
    assert_eq!(wrong.body, unknown.body);
    let ok = app.client().sign_in(&name.to_uppercase(), PASSWORD).await;
    assert_eq!(
        ok.status, 200,
        "sign-in is case-insensitive on the username"
    );
}

#[tokio::test]
async fn sign_out_revokes_the_session() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("erin")).await;
    let res = c.call("sign_out", &[]).await;
    assert_eq!(res.status, 200);
    let me: Value = c.call("me", &[]).await.ok();
    assert!(me.is_null(), "signed out: {me}");
    assert_eq!(c.call("conversations", &[]).await.status, 401);
}

#[tokio::test]
async fn a_stolen_cookie_stops_working_after_sign_out() {
    let app = spawn_app().await;
    let c = app.client();
    let res = c
        .call(
            "sign_up",
            &[("username", &unique("fay")), ("password", PASSWORD)],
        )
        .await;
    let cookie = res
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    c.call("sign_out", &[]).await;
    let replay = reqwest::Client::new()
        .post(app.url("/api/conversations"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn creating_a_conversation_makes_the_creator_owner_and_lists_it_newest_first() {
    let app = spawn_app().await;
    let c = app.client();
    let name = unique("gus");
    c.sign_up(&name).await;
    let first = c.create_conversation("First").await;
    let second = c.create_conversation("  Second  ").await;
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    let ids: Vec<i64> = list.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![second, first]);
    assert_eq!(list[0]["title"], "Second", "titles are trimmed");
    let detail: Value = c
        .call("conversation", &[("id", &first.to_string())])
        .await
        .ok();
    assert_eq!(detail["my_role"], "owner");
    assert_eq!(detail["members"][0]["user"]["username"], name.as_str());

    // New activity moves a conversation to the top, with a preview.
    let mut ws = c.socket().await;
    ws.send_message(first, "m1", "hello first").await;
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[0]["last_message"]["body"], "hello first");
}

#[tokio::test]
async fn invalid_titles_are_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("hal")).await;
    for (title, expected) in [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        (&"t".repeat(101), "at most 100"),
    ] {
        let res = c.call("create_conversation", &[("title", title)]).await;
        assert_eq!(res.status, 422);
        assert!(res.message().contains(expected), "{:?}", res.message());
    }
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert!(list.is_empty());
}

#[tokio::test]
async fn signed_out_callers_get_401_from_every_member_function() {
    let app = spawn_app().await;
    let c = app.client();
    for (endpoint, form) in [
        ("conversations", vec![]),
        ("create_conversation", vec![("title", "x")]),
        ("conversation", vec![("id", "1")]),
        ("history", vec![("id", "1")]),
        ("create_invite", vec![("id", "1")]),
        ("accept_invite", vec![("code", "x")]),
        ("ws_token", vec![]),
    ] {
        let res = c.call(endpoint, &form).await;
        assert_eq!(res.status, 401, "{endpoint}: {:?}", res.body);
    }
}

#[tokio::test]
async fn invite_join_and_live_chat_between_two_people() {
    let app = spawn_app().await;
    let (a, b) = (app.client(), app.client());
    let (alice, bob) = (unique("alice"), unique("bob"));
    a.sign_up(&alice).await;
    b.sign_up(&bob).await;
    let conv = a.create_conversation("Launch plan").await;
    let created: Value = a
        .call("create_invite", &[("id", &conv.to_string())])
        .await
        .ok();
    let code = created["code"].as_str().unwrap();
    assert_eq!(code.len(), 43, "256 random bits, base64url");
    assert_eq!(created["url"], format!("{}/invite/{code}", app.origin()));

    let preview: Value = b.call("invite", &[("code", code)]).await.ok();
    assert_eq!(preview["title"], "Launch plan");
    assert_eq!(preview["invited_by"], alice.as_str());

    let mut a_ws = a.socket().await;
    let joined: i64 = b.call("accept_invite", &[("code", code)]).await.ok();
    assert_eq!(joined, conv);
    let event = a_ws.next_of("member_joined").await;
    assert_eq!(event["member"]["user"]["username"], bob.as_str());
    // Joining twice is harmless.
    let again: i64 = b.call("accept_invite", &[("code", code)]).await.ok();
    assert_eq!(again, conv);

    // B's joining is itself an event in the sequence (seq 1), shown as "B joined".
    let joined_line = a_ws.next_of("message").await;
    assert_eq!(joined_line["message"]["kind"], "join");
    assert_eq!(joined_line["message"]["author"], bob.as_str());
    assert_eq!(joined_line["message"]["seq"], 1);

    let mut b_ws = b.socket().await;
    let ack = a_ws.send_message(conv, "a-1", "Hello from A").await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(ack["seq"], 2);
    let got = b_ws.next_of("message").await;
    assert_eq!(got["message"]["body"], "Hello from A");
    assert_eq!(got["message"]["author"], alice.as_str());
    assert_eq!(got["message"]["seq"], 2);

    let ack = b_ws.send_message(conv, "b-1", "Hi A, B here").await;
    assert_eq!(ack["seq"], 3);
    let got = a_ws.next_message_from(&bob).await;
    assert_eq!(got["body"], "Hi A, B here");

    let history = b.history(conv).await.ok::<Value>();
    let lines: Vec<(&str, &str)> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap(), m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("join", ""),
            ("message", "Hello from A"),
            ("message", "Hi A, B here")
        ]
    );
    assert_eq!(history["has_older"], false);
}

#[tokio::test]
async fn invalid_invite_codes_are_refused_clearly() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("ivy")).await;
    for code in ["garbage", &"A".repeat(43), "", "../../etc/passwd"] {
        let res = c.call("accept_invite", &[("code", code)]).await;
        assert_eq!(res.status, 404, "{code:?}");
        assert_eq!(
            res.message(),
            "This invite link is invalid, has expired, has been used up or was revoked."
        );
    }
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert!(list.is_empty());
}

#[tokio::test]
async fn non_members_get_403_and_no_data() {
    let app = spawn_app().await;
    let (owner, outsider) = (app.client(), app.client());
    owner.sign_up(&unique("olga")).await;
    outsider.sign_up(&unique("oscar")).await;
    let conv = owner.create_conversation("Private").await;
    let mut owner_ws = owner.socket().await;
    owner_ws.send_message(conv, "o-1", "secret plans").await;

    let id = conv.to_string();
    for endpoint in ["conversation", "history", "create_invite"] {
        let res = outsider.call(endpoint, &[("id", &id)]).await;
        assert_eq!(res.status, 403, "{endpoint}");
        assert!(!res.body.to_string().contains("secret plans"));
        assert_eq!(res.message(), "You are not a member of this conversation.");
    }
    // Over the socket: cannot post, cannot sync, and hears nothing.
    let mut ws = outsider.socket().await;
    let reply = ws.send_message(conv, "x-1", "let me in").await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["code"], "not_member");
    ws.send_json(&json!({"type": "sync", "conversation_id": conv, "after_seq": 0}))
        .await;
    let reply = ws.next_json().await;
    assert_eq!(reply["type"], "error", "{reply}");
    owner_ws.send_message(conv, "o-2", "more secrets").await;
    let history: Value = owner.history(conv).await.ok();
    assert_eq!(
        history["messages"].as_array().unwrap().len(),
        2,
        "the refused message was not stored"
    );
    // "more secrets" never reached the outsider's socket. The proof: let them in and post
    // once more. A socket that had been listening all along would get "more secrets" before
    // the new message (one conversation's events reach a socket in the order published); one
    // that subscribes only on joining gets the new message first.
    let code = owner.invite(conv).await;
    outsider
        .call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let mut heard = ws
        .frames_before(|f| f["type"] == "conversation_added")
        .await;
    owner_ws.send_message(conv, "o-3", "welcome").await;
    heard.extend(
        ws.frames_before(|f| f["type"] == "message" && f["message"]["client_id"] == "o-3")
            .await,
    );
    assert!(
        heard.iter().all(|f| f["type"] != "message"),
        "the outsider heard {heard:?}"
    );
}

#[tokio::test]
async fn bad_messages_get_specific_errors_and_are_not_stored() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("pam")).await;
    let conv = c.create_conversation("Rules").await;
    let mut ws = c.socket().await;
    let too_long = "x".repeat(4001);
    for (body, expected) in [
        ("", "must not be empty"),
        ("  \n ", "must not be empty"),
        (too_long.as_str(), "at most 4000"),
    ] {
        let reply = ws.send_message(conv, &unique("bad"), body).await;
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["code"], "invalid_message");
        assert!(
            reply["message"].as_str().unwrap().contains(expected),
            "{reply}"
        );
    }
    let ok = ws.send_message(conv, "good", &"y".repeat(4000)).await;
    assert_eq!(ok["seq"], 1, "refused messages consume no sequence number");
}

#[tokio::test]
async fn malformed_frames_get_error_frames_and_the_socket_survives() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("quinn")).await;
    let conv = c.create_conversation("Fuzz").await;
    let mut ws = c.socket().await;
    for bad in [
        "not json",
        "{}",
        "[]",
        r#"{"type":"send"}"#,
        r#"{"type":"send","conversation_id":"one","client_id":"c","body":"b"}"#,
        r#"{"type":"launch_missiles"}"#,
    ] {
        ws.send_text(bad).await;
        let reply = ws.next_of("error").await;
        assert_eq!(reply["code"], "bad_frame", "{bad}");
    }
    let ok = ws.send_message(conv, "after-fuzz", "still alive").await;
    assert_eq!(ok["type"], "ack");
}

#[tokio::test]
async fn identity_comes_from_the_token_not_from_frame_fields() {
    let app = spawn_app().await;
    let (a, b) = (app.client(), app.client());
    let alice = unique("alice");
    a.sign_up(&alice).await;
    b.sign_up(&unique("mallory")).await;
    let conv = a.create_conversation("Mine").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let mut ws = b.socket().await;
    ws.send_json(&json!({"type":"send","conversation_id":conv,"client_id":"spoof","body":"hi","author":alice,"author_id":1,"sender_id":1})).await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["seq"], 2, "seq 1 is the join");
    let history: Value = a.history(conv).await.ok();
    assert_eq!(history["messages"][1]["body"], "hi");
    assert_ne!(history["messages"][1]["author"], alice.as_str());
}

#[tokio::test]
async fn retrying_a_send_with_the_same_client_id_stores_it_once() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("rita")).await;
    let conv = c.create_conversation("Retries").await;
    let mut ws = c.socket().await;
    let first = ws.send_message(conv, "same-id", "only once").await;
    let second = ws.send_message(conv, "same-id", "only once").await;
    assert_eq!(first["seq"], second["seq"]);
    let history: Value = c.history(conv).await.ok();
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sync_sends_exactly_the_missed_messages() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("sam")).await;
    let conv = c.create_conversation("Catch-up").await;
    let mut ws = c.socket().await;
    for i in 1..=5 {
        ws.send_message(conv, &format!("m{i}"), &format!("message {i}"))
            .await;
    }
    let mut fresh = c.socket().await;
    fresh
        .send_json(&json!({"type": "sync", "conversation_id": conv, "after_seq": 2}))
        .await;
    let mut seqs = Vec::new();
    loop {
        let f = fresh.next_json().await;
        match f["type"].as_str() {
            Some("message") => seqs.push(f["message"]["seq"].as_i64().unwrap()),
            Some("synced") => {
                assert_eq!(f["complete"], true);
                assert_eq!(f["last_seq"], 5);
                break;
            }
            _ => panic!("unexpected {f}"),
        }
    }
    assert_eq!(seqs, vec![3, 4, 5]);
}

#[tokio::test]
async fn history_pages_backwards_fifty_at_a_time() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("tess")).await;
    let conv = c.create_conversation("Long").await;
    let mut ws = c.socket().await;
    for i in 1..=120 {
        ws.send_message(conv, &format!("m{i}"), &format!("n{i}"))
            .await;
    }
    let newest: Value = c.history(conv).await.ok();
    let seqs = |v: &Value| {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(&newest), (71..=120).collect::<Vec<_>>());
    assert_eq!(newest["has_older"], true);
    let older: Value = c
        .call("history", &[("id", &conv.to_string()), ("before", "71")])
        .await
        .ok();
    assert_eq!(seqs(&older), (21..=70).collect::<Vec<_>>());
    let oldest: Value = c
        .call("history", &[("id", &conv.to_string()), ("before", "21")])
        .await
        .ok();
    assert_eq!(seqs(&oldest), (1..=20).collect::<Vec<_>>());
    assert_eq!(oldest["has_older"], false);
}

#[tokio::test]
async fn socket_without_a_token_is_closed_after_ten_seconds() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("tom")).await;
    let mut ws = Socket::connect_as(app.addr, &c).await;
    let started = std::time::Instant::now();
    let code = ws.close_code(Duration::from_secs(15)).await;
    assert_eq!(code, Some(1008));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(13),
        "{waited:?}"
    );
}

#[tokio::test]
async fn socket_with_a_bad_token_or_a_non_auth_first_frame_is_closed_with_1008() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("tess")).await;
    for first in [
        json!({"type":"auth","token":"nope"}),
        json!({"type":"sync","conversation_id":1,"after_seq":0}),
    ] {
        let mut ws = Socket::connect_as(app.addr, &c).await;
        ws.send_json(&first).await;
        let err = ws.next_json().await;
        assert_eq!(err["code"], "unauthenticated", "{first}");
        assert_eq!(
            ws.close_code(Duration::from_secs(5)).await,
            Some(1008),
            "{first}"
        );
    }
}

#[tokio::test]
async fn token_of_a_signed_out_session_is_refused() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("uma")).await;
    let token = c.ws_token().await;
    let cookie = c.cookie();
    c.call("sign_out", &[]).await;
    // The signed-out cookie no longer opens a socket, and the token alone does not either.
    match Socket::try_connect(app.addr, cookie.as_deref()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    let other = app.client();
    other.sign_up(&unique("ursula")).await;
    let mut ws = Socket::connect_as(app.addr, &other).await;
    ws.send_json(&json!({"type":"auth","token":token})).await;
    assert_eq!(ws.next_json().await["code"], "unauthenticated");
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));
}

#[tokio::test]
async fn a_session_signed_out_between_handshake_and_auth_opens_no_socket() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("una")).await;
    let token = c.ws_token().await;
    // The handshake passes with the live cookie; the session ends before `auth`.
    let mut ws = Socket::connect_as(app.addr, &c).await;
    c.call("sign_out", &[]).await;
    ws.send_json(&json!({"type":"auth","token":token})).await;
    let refused = ws.next_json().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "unauthenticated", "{refused}");
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));
}

#[tokio::test]
async fn a_token_of_another_signed_out_session_of_the_same_user_is_refused() {
    let app = spawn_app().await;
    let (laptop, name) = app.signed_up("vera").await;
    let phone = app.client();
    assert_eq!(phone.sign_in(&name, PASSWORD).await.status, 200);
    let phone_token = phone.ws_token().await;
    phone.call("sign_out", &[]).await;
    // The laptop's live session opens the socket; the phone's ended one cannot authenticate it.
    let mut ws = Socket::connect_as(app.addr, &laptop).await;
    ws.send_json(&json!({"type":"auth","token":phone_token}))
        .await;
    assert_eq!(ws.next_json().await["code"], "unauthenticated");
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));
    // Its own token still does.
    let mut ws = Socket::connect_as(app.addr, &laptop).await;
    ws.send_json(&json!({"type":"auth","token":laptop.ws_token().await}))
        .await;
    assert_eq!(ws.next_json().await["type"], "ready");
}

#[tokio::test]
async fn token_responses_are_not_cacheable() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("vic")).await;
    let res = c.call("ws_token", &[]).await;
    assert_eq!(res.headers.get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("walt")).await;
    let res = c
        .http
        .post(app.url("/api/create_conversation"))
        .header("origin", "https://evil.example")
        .form(&[("title", "csrf")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .http
        .post(app.url("/api/create_conversation"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("title", "csrf")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert!(list.is_empty(), "nothing was created");

    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("ws://{}/ws", app.addr),
    )
    .unwrap();
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!(
            "cross-origin handshake must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[tokio::test]
async fn messages_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path().to_path_buf(), None).await;
    let c = app.client();
    let name = unique("xena");
    c.sign_up(&name).await;
    let conv = c.create_conversation("Durable").await;
    let mut ws = c.socket().await;
    for i in 1..=3 {
        ws.send_message(conv, &format!("d{i}"), &format!("kept {i}"))
            .await;
    }
    drop(ws);
    app.stop().await;

    let app = spawn_app_in(dir.path().to_path_buf(), None).await;
    let c = app.client();
    assert_eq!(c.sign_in(&name, PASSWORD).await.status, 200);
    let history: Value = c.history(conv).await.ok();
    let bodies: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["kept 1", "kept 2", "kept 3"]);
    // The signing key was kept too: sequence numbers continue and tokens keep working.
    let mut ws = c.socket().await;
    assert_eq!(ws.send_message(conv, "d4", "after restart").await["seq"], 4);
    assert!(dir.path().join("jwt.key").exists());
}

#[tokio::test]
async fn graceful_shutdown_closes_sockets_with_going_away() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("yuri")).await;
    let mut ws = c.socket().await;
    let stopping = tokio::spawn(app.stop());
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1001));
    stopping.await.unwrap();
}

#[tokio::test]
async fn oversized_frames_close_the_socket_with_1009() {
    let app = spawn_app().await;
    let c = app.client();
    c.sign_up(&unique("zed")).await;
    let mut ws = c.socket().await;
    let huge = format!(
        r#"{{"type":"send","conversation_id":1,"client_id":"big","body":"{}"}}"#,
        "x".repeat(palaver::protocol::MAX_FRAME_BYTES + 1)
    );
    ws.send_text(&huge).await;
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1009));
}

#[tokio::test]
async fn new_conversations_reach_the_users_open_socket() {
    let app = spawn_app().await;
    let (a, b) = (app.client(), app.client());
    a.sign_up(&unique("ann")).await;
    b.sign_up(&unique("ben")).await;
    let mut b_ws = b.socket().await;
    let conv = a.create_conversation("Later").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let added = b_ws.next_of("conversation_added").await;
    assert_eq!(added["conversation"]["id"], conv);
    // ...and the socket now hears that conversation without reconnecting.
    let mut a_ws = a.socket().await;
    a_ws.send_message(conv, "late", "you are in").await;
    let got = b_ws.next_of("message").await;
    assert_eq!(got["message"]["body"], "you are in");
}

fn short_tokens(c: &mut palaver_server::Config) {
    c.token_ttl_secs = 2;
}

#[tokio::test]
async fn a_socket_whose_token_expires_unrenewed_is_closed_with_4001() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path().to_path_buf(), Some(short_tokens)).await;
    let c = app.client();
    c.sign_up(&unique("tim")).await;
    let mut ws = c.socket().await;
    let started = std::time::Instant::now();
    assert_eq!(ws.close_code(Duration::from_secs(6)).await, Some(4001));
    assert!(
        started.elapsed() <= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn renewing_the_token_keeps_the_socket_open() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path().to_path_buf(), Some(short_tokens)).await;
    let c = app.client();
    c.sign_up(&unique("ursula")).await;
    let conv = c.create_conversation("Renewals").await;
    let mut ws = c.socket().await;
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        let token = c.ws_token().await;
        ws.send_json(&json!({"type": "renew", "token": token}))
            .await;
        let renewed = ws.next_of("renewed").await;
        assert!(renewed["expires_at"].as_i64().unwrap() > 0, "round {round}");
    }
    // Well past the first token's lifetime the socket still works...
    let ack = ws.send_message(conv, "late", "still here").await;
    assert_eq!(ack["type"], "ack");
    // ...and without further renewal it is closed.
    assert_eq!(ws.close_code(Duration::from_secs(6)).await, Some(4001));
}

#[tokio::test]
async fn renewing_with_another_users_token_closes_the_socket() {
    let app = spawn_app().await;
    let (a, b) = (app.client(), app.client());
    a.sign_up(&unique("val")).await;
    b.sign_up(&unique("wes")).await;
    let mut ws = a.socket().await;
    let other = b.ws_token().await;
    ws.send_json(&json!({"type": "renew", "token": other}))
        .await;
    assert_eq!(ws.next_of("error").await["code"], "unauthenticated");
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));
}
