//! The security suite for direct messages: every action on a direct conversation tried by
//! each of its two people, by a roommate of both who is not in it, and by a stranger who
//! shares nothing with them, with what each refusal leaks and changes checked; and malformed
//! bodies for the two new server functions. Prints its figures like `security.rs` (run with
//! `--nocapture --test-threads 1`).

mod common;

use common::{spawn_app, unique, Client, Reply, Socket, TestApp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as PropConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

fn report(category: &str, tried: usize, rejected: usize) {
    println!(
        "SECURITY {category:<34} tried {tried:>5} / rejected {rejected:>5} ({:.0}%)",
        100.0 * rejected as f64 / tried.max(1) as f64
    );
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// Opened the conversation.
    Alice,
    /// The other person in it.
    Bob,
    /// In a room with both of them, not in their conversation.
    Roommate,
    /// Shares no conversation with anyone here.
    Stranger,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    ReadHistory,
    ReadDetail,
    Send,
    ReplyToMessage,
    React,
    Sync,
    Typing,
    MarkRead,
    SetNotifyLevel,
    Close,
    EditOthersMessage,
    DeleteOthersMessage,
    CreateInvite,
    ListInvites,
    Rename,
    SetPublic,
    RemoveMember,
    Promote,
    TransferOwnership,
    AuditLog,
    DeleteConversation,
    Leave,
    ListBans,
    LiftBan,
    JoinAsRoom,
}

impl Action {
    const ALL: [Action; 25] = [
        Action::ReadHistory,
        Action::ReadDetail,
        Action::Send,
        Action::ReplyToMessage,
        Action::React,
        Action::Sync,
        Action::Typing,
        Action::MarkRead,
        Action::SetNotifyLevel,
        Action::Close,
        Action::EditOthersMessage,
        Action::DeleteOthersMessage,
        Action::CreateInvite,
        Action::ListInvites,
        Action::Rename,
        Action::SetPublic,
        Action::RemoveMember,
        Action::Promote,
        Action::TransferOwnership,
        Action::AuditLog,
        Action::DeleteConversation,
        Action::Leave,
        Action::ListBans,
        Action::LiftBan,
        Action::JoinAsRoom,
    ];

    /// The two people write, read and choose their notifications; nobody governs.
    fn allowed(self, who: Who) -> bool {
        let inside = matches!(who, Who::Alice | Who::Bob);
        match self {
            Action::ReadHistory
            | Action::ReadDetail
            | Action::Send
            | Action::ReplyToMessage
            | Action::React
            | Action::Sync
            | Action::Typing
            | Action::MarkRead
            | Action::SetNotifyLevel
            | Action::Close => inside,
            _ => false,
        }
    }
}

struct Actor {
    client: Client,
    id: i64,
    /// A room of the actor's own whose `sync` ends every socket probe.
    home: i64,
}

struct Cast {
    alice: Actor,
    bob: Actor,
    roommate: Actor,
    stranger: Actor,
    dm: i64,
    /// Alice sees the conversation titled with Bob's name.
    bob_name: String,
    db: sqlx::AnyPool,
}

impl Cast {
    fn actor(&self, who: Who) -> &Actor {
        match who {
            Who::Alice => &self.alice,
            Who::Bob => &self.bob,
            Who::Roommate => &self.roommate,
            Who::Stranger => &self.stranger,
        }
    }

    /// The person in the conversation other than `who` (Bob for outsiders).
    fn other(&self, who: Who) -> &Actor {
        if who == Who::Bob {
            &self.alice
        } else {
            &self.bob
        }
    }
}

async fn actor(app: &TestApp, name: &str) -> Actor {
    let client = app.client();
    client.sign_up(&unique(name)).await;
    let id = client.user_id().await;
    let home = client.create_conversation("Home").await;
    Actor { client, id, home }
}

const SEND_BODY: &str = "sent by the actor";

/// Before each action: a message by the other person (the conversation's last event) and
/// what the action must not change.
struct Fixture {
    seq: i64,
    watcher: Socket,
    read: [Value; 2],
}

fn carries_data(body: &Value) -> bool {
    body.as_object().is_none_or(|o| {
        o.keys()
            .any(|k| !["code", "message", "retry_after_secs"].contains(&k.as_str()))
    })
}

async fn detail(c: &Client, dm: i64) -> Reply {
    c.call("conversation", &[("id", &dm.to_string())]).await
}

async fn history(c: &Client, dm: i64) -> Vec<Value> {
    let h: Value = c.history(dm).await.ok();
    h["messages"].as_array().unwrap().clone()
}

async fn read_position(c: &Client, dm: i64) -> Value {
    detail(c, dm).await.body["last_read_seq"].clone()
}

async fn fixture(cast: &Cast, who: Who) -> Fixture {
    let other = cast.other(who);
    let mut watcher = other.client.socket().await;
    let ack = watcher
        .send_message(cast.dm, &unique("m"), "the other's message")
        .await;
    Fixture {
        seq: ack["seq"].as_i64().unwrap(),
        watcher,
        read: [
            read_position(&cast.alice.client, cast.dm).await,
            read_position(&cast.bob.client, cast.dm).await,
        ],
    }
}

/// Performs `action` as `who`; Ok when it went through, Err(why) when refused (a refusal
/// that carries data is a "LEAK").
async fn perform(cast: &Cast, who: Who, action: Action, f: &Fixture) -> Result<(), String> {
    let actor = cast.actor(who);
    let c = &actor.client;
    let dm = cast.dm;
    let id = dm.to_string();
    let peer = cast.other(who).id.to_string();
    let http = |endpoint: &'static str, form: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.call(endpoint, &form).await;
        match r.status {
            200..=299 => Ok(()),
            403 | 404 if carries_data(&r.body) => Err(format!("LEAK {}", r.body)),
            403 | 404 => Err(format!("{} {}", r.status, r.message())),
            s => Err(format!("UNEXPECTED {s} {}", r.body)),
        }
    };
    // One frame, then a sync of the actor's own room: what the server answers to the frame
    // arrives before that sync's `synced`.
    let ws_frame = |frame: Value, answer: Option<&'static str>| async move {
        let mut ws = c.socket().await;
        ws.send_json(&frame).await;
        ws.send_json(&json!({"type":"sync","conversation_id":actor.home,"after_seq":0}))
            .await;
        let got = ws
            .frames_before(|g| g["type"] == "synced" && g["conversation_id"] == actor.home)
            .await;
        let leaked = got
            .iter()
            .any(|g| g["type"] == "message" && g["message"]["conversation_id"] == dm);
        match got.iter().find(|g| g["type"] == "error") {
            Some(_) if leaked => Err(format!("LEAK {got:?}")),
            Some(e) => Err(format!("ws {}", e["code"])),
            None => match answer {
                Some(kind)
                    if !got
                        .iter()
                        .any(|g| g["type"] == kind && g["conversation_id"] == dm) =>
                {
                    Err(format!("UNEXPECTED no {kind}: {got:?}"))
                }
                _ => Ok(()),
            },
        }
    };
    match action {
        Action::ReadHistory => http("history", vec![("id", id)]).await,
        Action::ReadDetail => http("conversation", vec![("id", id)]).await,
        Action::Send => {
            ws_frame(
                json!({"type":"send","conversation_id":dm,"client_id":unique("s"),"body":SEND_BODY}),
                Some("ack"),
            )
            .await
        }
        Action::ReplyToMessage => {
            ws_frame(
                json!({"type":"send","conversation_id":dm,"client_id":unique("s"),"body":SEND_BODY,"reply_to":f.seq}),
                Some("ack"),
            )
            .await
        }
        Action::React => {
            ws_frame(
                json!({"type":"react","conversation_id":dm,"seq":f.seq,"client_id":unique("r"),"emoji":"👍"}),
                Some("ack"),
            )
            .await
        }
        Action::Sync => {
            ws_frame(
                json!({"type":"sync","conversation_id":dm,"after_seq":0}),
                Some("synced"),
            )
            .await
        }
        Action::Typing => ws_frame(json!({"type":"typing","conversation_id":dm}), None).await,
        Action::MarkRead => {
            ws_frame(json!({"type":"read","conversation_id":dm,"seq":f.seq}), None).await
        }
        Action::EditOthersMessage => {
            ws_frame(
                json!({"type":"edit","conversation_id":dm,"seq":f.seq,"client_id":unique("e"),"body":"pwned"}),
                Some("ack"),
            )
            .await
        }
        Action::DeleteOthersMessage => {
            ws_frame(
                json!({"type":"delete","conversation_id":dm,"seq":f.seq,"client_id":unique("d")}),
                Some("ack"),
            )
            .await
        }
        Action::SetNotifyLevel => {
            http("set_notify_level", vec![("id", id), ("level", "none".into())]).await
        }
        Action::Close => http("close_direct", vec![("id", id)]).await,
        Action::CreateInvite => http("create_invite", vec![("id", id)]).await,
        Action::ListInvites => http("invites", vec![("id", id)]).await,
        Action::Rename => {
            http("rename_conversation", vec![("id", id), ("title", "Renamed".into())]).await
        }
        Action::SetPublic => http("set_public", vec![("id", id), ("public", "true".into())]).await,
        Action::RemoveMember => http("remove_member", vec![("id", id), ("user_id", peer)]).await,
        Action::Promote => {
            http(
                "set_role",
                vec![("id", id), ("user_id", peer), ("role", "admin".into())],
            )
            .await
        }
        Action::TransferOwnership => {
            http("transfer_ownership", vec![("id", id), ("user_id", peer)]).await
        }
        Action::AuditLog => http("audit_log", vec![("id", id)]).await,
        Action::DeleteConversation => {
            http("delete_conversation", vec![("id", id), ("confirm", String::new())]).await
        }
        Action::Leave => http("leave_conversation", vec![("id", id)]).await,
        Action::ListBans => http("bans", vec![("id", id)]).await,
        Action::LiftBan => http("lift_ban", vec![("id", id), ("user_id", peer)]).await,
        Action::JoinAsRoom => http("join_room", vec![("id", id)]).await,
    }
}

/// How many rows of `table` belong to the conversation.
async fn rows_of(cast: &Cast, table: &str) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM {table} WHERE conversation_id = $1"
    ))
    .bind(cast.dm)
    .fetch_one(&cast.db)
    .await
    .unwrap()
}

/// After a refusal: what `action` targets is as it was; Err says what changed.
async fn unchanged(cast: &Cast, who: Who, action: Action, f: &mut Fixture) -> Result<(), String> {
    let alice = &cast.alice.client;
    let d = detail(alice, cast.dm).await;
    if d.status != 200 {
        return Err(format!("the conversation is gone: {}", d.body));
    }
    let d = d.body;
    let events = history(alice, cast.dm).await;
    let check = |kept: bool, what: &str| if kept { Ok(()) } else { Err(what.to_owned()) };
    let two_members = d["members"]
        .as_array()
        .is_some_and(|ms| ms.len() == 2 && ms.iter().all(|m| m["role"] == "member"));
    match action {
        Action::ReadHistory
        | Action::ReadDetail
        | Action::Sync
        | Action::ListInvites
        | Action::AuditLog
        | Action::ListBans => Ok(()),
        // The two people's own sends went through earlier: nothing follows the fixture's.
        Action::React => check(
            events
                .last()
                .is_some_and(|m| m["seq"] == f.seq && m["reactions"].is_null()),
            "a reaction was stored",
        ),
        Action::Send | Action::ReplyToMessage => check(
            events.last().is_some_and(|m| m["seq"] == f.seq)
                && events
                    .iter()
                    .all(|m| m["body"] != SEND_BODY || m["author_id"] != cast.actor(who).id),
            "a message was stored",
        ),
        Action::EditOthersMessage | Action::DeleteOthersMessage => check(
            events.last().is_some_and(|m| {
                m["seq"] == f.seq && m["deleted"] != true && m["edited_at"].is_null()
            }),
            "the message changed or an event followed it",
        ),
        Action::Typing => {
            // The watcher's own notice is published after the refused one would have been.
            f.watcher
                .send_json(&json!({"type":"typing","conversation_id":cast.dm}))
                .await;
            let watcher_id = cast.other(who).id;
            let heard = f
                .watcher
                .frames_before(|g| g["type"] == "typing" && g["user"]["id"] == watcher_id)
                .await;
            check(
                heard.iter().all(|g| g["type"] != "typing"),
                "the typing notice reached a member",
            )
        }
        Action::MarkRead => {
            let now = [
                read_position(&cast.alice.client, cast.dm).await,
                read_position(&cast.bob.client, cast.dm).await,
            ];
            check(now == f.read, "a read position was written")
        }
        Action::SetNotifyLevel | Action::Close => {
            let mut kept = true;
            for c in [&cast.alice.client, &cast.bob.client] {
                let rows: Vec<Value> = c.call("conversations", &[]).await.ok();
                kept &= rows
                    .iter()
                    .any(|r| r["id"] == cast.dm && r["notify"] == "all");
            }
            check(kept, "a level was stored or the conversation was hidden")
        }
        Action::CreateInvite => check(rows_of(cast, "invites").await == 0, "an invite was made"),
        Action::Rename => check(d["title"] == cast.bob_name.as_str(), "the title changed"),
        Action::SetPublic => check(d["public"] == false, "it became public"),
        Action::RemoveMember
        | Action::Promote
        | Action::TransferOwnership
        | Action::Leave
        | Action::JoinAsRoom => check(two_members, "the members or their roles changed"),
        Action::LiftBan => check(
            two_members && rows_of(cast, "bans").await == 0,
            "the members or the bans changed",
        ),
        Action::DeleteConversation => check(
            events.iter().any(|m| m["seq"] == f.seq),
            "the messages are gone",
        ),
    }
}

/// Puts back what an allowed action changed that the next fixture relies on.
async fn restore(cast: &Cast, who: Who, action: Action) {
    let c = &cast.actor(who).client;
    let id = cast.dm.to_string();
    match action {
        Action::Close => {
            let with = cast.other(who).id.to_string();
            let r = c.call("open_direct", &[("user_id", &with)]).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        Action::SetNotifyLevel => {
            let r = c
                .call("set_notify_level", &[("id", &id), ("level", "all")])
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        _ => {}
    }
}

#[tokio::test]
async fn security_every_person_and_action_on_a_direct_conversation_is_enforced() {
    let app = spawn_app().await;
    let alice = actor(&app, "alice").await;
    let bob = actor(&app, "bob").await;
    let roommate = actor(&app, "roommate").await;
    let stranger = actor(&app, "stranger").await;
    // Alice, Bob and the roommate share a room; the stranger shares nothing.
    let room = alice.client.create_conversation("Room").await;
    let code = alice.client.invite(room).await;
    for c in [&bob.client, &roommate.client] {
        c.call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }
    let opened: Value = alice
        .client
        .call("open_direct", &[("user_id", &bob.id.to_string())])
        .await
        .ok();
    let bob_name = bob.client.call("me", &[]).await.body["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let cast = Cast {
        dm: opened["id"].as_i64().unwrap(),
        alice,
        bob,
        roommate,
        stranger,
        bob_name,
        db: app.database().await,
    };
    let (mut denied_tried, mut denied_ok, mut allowed_tried, mut allowed_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for action in Action::ALL {
        for who in [Who::Alice, Who::Bob, Who::Roommate, Who::Stranger] {
            let mut f = fixture(&cast, who).await;
            let result = perform(&cast, who, action, &f).await;
            if action.allowed(who) {
                allowed_tried += 1;
                match result {
                    Ok(()) => {
                        allowed_ok += 1;
                        restore(&cast, who, action).await;
                    }
                    Err(e) => failures.push(format!("{who:?} {action:?} refused: {e}")),
                }
            } else {
                denied_tried += 1;
                match result {
                    Err(e) if !e.starts_with("LEAK") && !e.starts_with("UNEXPECTED") => {
                        match unchanged(&cast, who, action, &mut f).await {
                            Ok(()) => denied_ok += 1,
                            Err(what) => {
                                failures.push(format!("{who:?} {action:?} refused but {what}"))
                            }
                        }
                    }
                    other => failures.push(format!("{who:?} {action:?} allowed: {other:?}")),
                }
            }
        }
    }
    report(
        "unauthorized (person, action) in a DM",
        denied_tried,
        denied_ok,
    );
    println!(
        "SECURITY allowed (person, action) in a DM       tried {allowed_tried:>5} / succeeded {allowed_ok:>5}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

// ----- malformed input for the new server functions --------------------------------------

/// Panics anywhere in this process since the hook was installed, on the fuzzing test's
/// thread (as in `security.rs`).
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|n| n.contains("malformed"))
            {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

/// A value for `user_id` or `id`: numbers at and past every edge, text, junk.
fn id_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("99999999999999999999999".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("1.5".to_owned()),
        Just("1e3".to_owned()),
        Just(String::new()),
        ".{0,40}",
        Just("1".repeat(5000)),
    ]
}

#[tokio::test]
async fn security_malformed_direct_message_bodies_cause_no_panic_and_no_5xx() {
    count_panics();
    let app = spawn_app().await;
    let (c, _) = app.signed_up("fuzzdm").await;
    let (peer, _) = app.signed_up("fuzzpeer").await;
    let room = c.create_conversation("Fuzz").await;
    let code = c.invite(room).await;
    peer.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let panics_before = PANICS.load(Ordering::SeqCst);
    let mut runner = TestRunner::new_with_rng(
        PropConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    let field = prop_oneof![
        4 => Just("user_id".to_owned()),
        4 => Just("id".to_owned()),
        1 => "[a-z_]{1,12}",
    ];
    let body = prop::collection::vec((field, id_value()), 0..4);
    let (mut tried, mut server_errors) = (0usize, 0usize);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1000 {
        let endpoint = if i % 2 == 0 {
            "open_direct"
        } else {
            "close_direct"
        };
        let fields = body.new_tree(&mut runner).unwrap().current();
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = c.call(endpoint, &form).await;
        tried += 1;
        *statuses.entry(r.status).or_insert(0usize) += 1;
        if r.status >= 500 {
            server_errors += 1;
            println!("5xx: {endpoint} {form:?} {} {}", r.status, r.body);
        }
    }
    // JSON bodies of every shape too.
    for value in [
        json!({"user_id": [1]}),
        json!({"id": {"a": 1}}),
        json!(null),
        json!("x"),
    ] {
        for endpoint in ["open_direct", "close_direct"] {
            let status = c
                .http
                .post(app.url(&format!("/api/{endpoint}")))
                .header("origin", &c.base)
                .header("content-type", "application/json")
                .body(value.to_string())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            tried += 1;
            *statuses.entry(status).or_insert(0usize) += 1;
            server_errors += usize::from(status >= 500);
        }
    }
    let panics = PANICS.load(Ordering::SeqCst) - panics_before;
    println!(
        "SECURITY malformed open_direct/close_direct bodies tried {tried:>5} / panics {panics} / 5xx {server_errors}  statuses {statuses:?}"
    );
    // What the fuzzing made is at most the one conversation with the peer.
    let rows: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert!(rows.iter().filter(|r| r["kind"] == "direct").count() <= 1);
    assert_eq!(panics, 0);
    assert_eq!(server_errors, 0);
}
