//! Message search over HTTP (`/api/search`), as the browser calls it: what is found and in
//! whose conversations, excerpts and their marks, paging, edits and deletions seen by the
//! next search, and the answers to bad queries and strangers.

mod common;

use common::{spawn_app, unique, Client, Socket, TestApp};
use serde_json::{json, Value};

async fn search(c: &Client, q: &str) -> Value {
    c.call("search", &[("q", q)]).await.ok()
}

/// The (conversation title, body as shown) of each hit, in order.
fn shown(page: &Value) -> Vec<(String, String)> {
    page["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            (
                h["conversation_title"].as_str().unwrap().to_owned(),
                h["excerpt"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The marked parts of a hit's excerpt (the marks are byte ranges of its text).
fn marked(hit: &Value) -> Vec<String> {
    let text = hit["excerpt"]["text"].as_str().unwrap();
    hit["excerpt"]["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let (s, e) = (
                m[0].as_u64().unwrap() as usize,
                m[1].as_u64().unwrap() as usize,
            );
            text[s..e].to_owned()
        })
        .collect()
}

/// Alice with Bob in "Team", Alice alone in "Notes", Carol alone in "Carol's".
struct Cast {
    alice: Client,
    bob: Client,
    carol: Client,
    team: i64,
    notes: i64,
    carols: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let (alice, _) = app.signed_up("alice").await;
    let (bob, _) = app.signed_up("bob").await;
    let (carol, _) = app.signed_up("carol").await;
    let team = alice.create_conversation("Team").await;
    let code = alice.invite(team).await;
    bob.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let notes = alice.create_conversation("Notes").await;
    let carols = carol.create_conversation("Carol's").await;
    Cast {
        alice,
        bob,
        carol,
        team,
        notes,
        carols,
    }
}

async fn say(ws: &mut Socket, conv: i64, body: &str) -> i64 {
    let ack = ws.send_message(conv, &unique("m"), body).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack["seq"].as_i64().unwrap()
}

#[tokio::test]
async fn search_finds_messages_in_the_callers_conversations_newest_first_with_marked_excerpts() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let (mut a, mut b, mut z) = (
        c.alice.socket().await,
        c.bob.socket().await,
        c.carol.socket().await,
    );
    say(&mut b, c.team, "Is the **deploy** green?").await;
    say(&mut z, c.carols, "deploy secrets nobody else may read").await;
    let seq = say(&mut a, c.notes, "Deployed at noon, DEPLOY again tomorrow").await;
    say(&mut a, c.team, "lunch?").await;

    let page = search(&c.alice, "deploy").await;
    assert_eq!(
        shown(&page),
        [
            (
                "Notes".to_owned(),
                "Deployed at noon, DEPLOY again tomorrow".to_owned()
            ),
            ("Team".to_owned(), "Is the deploy green?".to_owned()),
        ]
    );
    assert!(page.get("next").is_none(), "{page}");
    let first = &page["hits"][0];
    assert_eq!(marked(first), ["Deploy", "DEPLOY"]);
    assert_eq!(first["conversation_id"], c.notes);
    assert_eq!(first["seq"], seq);
    assert_eq!(
        first["author"].as_str().map(|a| a.starts_with("alice")),
        Some(true)
    );
    assert!(first["created_at"].as_i64().unwrap() > 0);
    assert_eq!(marked(&page["hits"][1]), ["deploy"]);

    // Bob sees Team only; Carol her own conversation only.
    assert_eq!(shown(&search(&c.bob, "deploy").await).len(), 1);
    let carols = search(&c.carol, "DEPLOY").await;
    assert_eq!(
        shown(&carols),
        [(
            "Carol's".to_owned(),
            "deploy secrets nobody else may read".to_owned()
        )]
    );
    // Two characters of a script without spaces, and several terms at once.
    say(&mut a, c.notes, "我们去北京大学").await;
    assert_eq!(shown(&search(&c.alice, "北京").await).len(), 1);
    assert_eq!(shown(&search(&c.alice, "noon deployed").await).len(), 1);
    assert_eq!(
        shown(&search(&c.alice, "\"at noon\" \"green\"").await).len(),
        0
    );
}

#[tokio::test]
async fn the_next_search_sees_an_edit_or_a_deletion() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let mut b = c.bob.socket().await;
    let seq = say(&mut b, c.team, "the old wording").await;
    assert_eq!(shown(&search(&c.alice, "wording").await).len(), 1);
    b.send_json(
        &json!({"type": "edit", "conversation_id": c.team, "seq": seq,
        "client_id": unique("e"), "body": "the new phrasing"}),
    )
    .await;
    b.next_of("ack").await;
    assert!(shown(&search(&c.alice, "wording").await).is_empty());
    let edited = search(&c.alice, "phrasing").await;
    assert_eq!(edited["hits"][0]["seq"], seq);
    assert!(edited["hits"][0]["edited_at"].as_i64().is_some());
    b.send_json(
        &json!({"type": "delete", "conversation_id": c.team, "seq": seq,
        "client_id": unique("d")}),
    )
    .await;
    b.next_of("ack").await;
    assert!(shown(&search(&c.alice, "phrasing").await).is_empty());
    assert!(shown(&search(&c.alice, "ph").await).is_empty());
}

#[tokio::test]
async fn leaving_or_being_removed_ends_what_a_search_finds_there() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let mut a = c.alice.socket().await;
    say(&mut a, c.team, "roadmap for next year").await;
    assert_eq!(shown(&search(&c.bob, "roadmap").await).len(), 1);
    c.bob
        .call("leave_conversation", &[("id", &c.team.to_string())])
        .await;
    assert!(shown(&search(&c.bob, "roadmap").await).is_empty());
    // Carol joins, is found to be reading, and is removed.
    let code = c.alice.invite(c.team).await;
    c.carol
        .call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    assert_eq!(shown(&search(&c.carol, "roadmap").await).len(), 1);
    let carol_id = c.carol.user_id().await.to_string();
    c.alice
        .call(
            "remove_member",
            &[("id", &c.team.to_string()), ("user_id", &carol_id)],
        )
        .await
        .ok::<Value>();
    assert!(shown(&search(&c.carol, "roadmap").await).is_empty());
}

#[tokio::test]
async fn pages_follow_the_next_cursor_to_every_match_once() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let mut a = c.alice.socket().await;
    let mut sent = Vec::new();
    for i in 0..45 {
        sent.push(say(&mut a, c.notes, &format!("status report {i}")).await);
    }
    sent.reverse();
    let (mut seen, mut before, mut pages) = (Vec::new(), None::<i64>, 0);
    loop {
        let before_text = before.map(|b| b.to_string());
        let mut form = vec![("q", "report")];
        if let Some(b) = &before_text {
            form.push(("before", b));
        }
        let page: Value = c.alice.call("search", &form).await.ok();
        pages += 1;
        seen.extend(
            page["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["seq"].as_i64().unwrap()),
        );
        match page["next"].as_i64() {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, sent);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn bad_queries_are_refused_with_the_reason_and_strangers_must_sign_in() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    for (q, reason) in [
        ("  ", "Type something to search for."),
        ("\"\"", "Type something to search for."),
        (
            &*"x".repeat(201),
            "A search must be at most 200 characters long.",
        ),
        (
            "a b c d e f g h i",
            "A search can have at most 8 words or phrases.",
        ),
        (
            "tab\u{7}bell",
            "A search must not contain control characters.",
        ),
    ] {
        let r = c.alice.call("search", &[("q", q)]).await;
        assert_eq!((r.status, r.message()), (422, reason.to_owned()), "{q:?}");
    }
    // Query syntax is text: no error, nothing leaks from the index.
    for q in [
        "NEAR(a b)",
        "a OR b",
        "*",
        "col:x",
        "'; DROP TABLE messages; --",
        "%_\\",
    ] {
        let r = c.alice.call("search", &[("q", q)]).await;
        assert_eq!(r.status, 200, "{q:?}: {}", r.body);
    }
    let stranger = app.client();
    let r = stranger.call("search", &[("q", "deploy")]).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.get("hits").is_none());
}
