//! The security suite: attacks the running server as an outsider and as a member of the wrong
//! conversation would, and prints per category what was tried and what was refused
//! (SECURITY.md; issue 4). Run with `--nocapture --test-threads 1` to see the figures (the
//! Makefile does).

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{spawn_app, spawn_app_in, unique, Client, Reply, Socket, TestApp, PASSWORD};
use futures::SinkExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as PropConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Panics anywhere in this process (server tasks included) since the hook was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // #[tokio::test] runs the server's tasks on the test's own thread: count the
            // fuzzing test's panics, not other tests' failed assertions.
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

fn report(category: &str, tried: usize, rejected: usize) {
    println!(
        "SECURITY {category:<34} tried {tried:>5} / rejected {rejected:>5} ({:.0}%)",
        100.0 * rejected as f64 / tried.max(1) as f64
    );
}

// ----- JWT forgeries ---------------------------------------------------------------------

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

fn sign(alg: jsonwebtoken::Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .expect("signs")
}

/// Opens a socket with the victim's session cookie and offers `token`; true when the server
/// refused it (error frame, close 1008) and never said `ready`.
async fn token_refused(app: &TestApp, victim: &Client, token: &str) -> bool {
    let mut ws = Socket::connect_as(app.addr, victim).await;
    ws.send_json(&json!({"type": "auth", "token": token})).await;
    let mut ready = false;
    while let Some(f) = ws.next_json_within(Duration::from_secs(5)).await {
        ready |= f["type"] == "ready";
        if ready {
            break;
        }
    }
    let code = if ready {
        None
    } else {
        ws.close_code(Duration::from_secs(5)).await
    };
    !ready && matches!(code, Some(1008) | Some(1006))
}

#[tokio::test]
async fn security_jwt_forgeries_are_all_rejected() {
    let app = spawn_app().await;
    let (victim, _) = app.signed_up("victim").await;
    let (other, _) = app.signed_up("other").await;
    let genuine = victim.ws_token().await;
    let key = STANDARD
        .decode(
            std::fs::read_to_string(app.data_dir.join("jwt.key"))
                .unwrap()
                .trim(),
        )
        .unwrap();
    let claims = claims_of(&genuine);
    let now = chrono_now();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(k);
        c
    };
    let hs256 = |c: &Value| sign(jsonwebtoken::Algorithm::HS256, c, &key);
    let [h, p, s]: [&str; 3] = genuine.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut flipped_sig = s.to_owned().into_bytes();
    flipped_sig[3] = if flipped_sig[3] == b'A' { b'B' } else { b'A' };
    let other_token = other.ws_token().await;
    let other_sid = claims_of(&other_token)["sid"].clone();

    let iat = claims["iat"].as_i64().unwrap();
    let forgeries: Vec<(&str, String)> = vec![
        // Signed with the instance key, so only the lifetime bound refuses them (SECURITY 35).
        (
            "lifetime of a day",
            hs256(&with("exp", json!(iat + 86_400))),
        ),
        (
            "lifetime of ten years",
            hs256(&with("exp", json!(iat + 10 * 365 * 86_400))),
        ),
        ("nbf in an hour", hs256(&with("nbf", json!(now + 3600)))),
        (
            "alg none, no signature",
            format!("{}.{p}.", b64(&json!({"alg": "none", "typ": "JWT"}))),
        ),
        (
            "alg none, original signature",
            format!("{}.{p}.{s}", b64(&json!({"alg": "none", "typ": "JWT"}))),
        ),
        (
            "alg NONE (case)",
            format!("{}.{p}.", b64(&json!({"alg": "NONE"}))),
        ),
        (
            "HS384 with the right key",
            sign(jsonwebtoken::Algorithm::HS384, &claims, &key),
        ),
        (
            "HS512 with the right key",
            sign(jsonwebtoken::Algorithm::HS512, &claims, &key),
        ),
        (
            "RS256 header, HMAC signature",
            format!("{}.{p}.{s}", b64(&json!({"alg": "RS256", "typ": "JWT"}))),
        ),
        (
            "tampered payload (sub)",
            format!("{h}.{}.{s}", b64(&with("sub", json!("999999")))),
        ),
        (
            "tampered payload (exp)",
            format!("{h}.{}.{s}", b64(&with("exp", json!(now + 86_400)))),
        ),
        (
            "tampered signature",
            format!("{h}.{p}.{}", String::from_utf8(flipped_sig).unwrap()),
        ),
        (
            "wrong key",
            sign(jsonwebtoken::Algorithm::HS256, &claims, &[7u8; 32]),
        ),
        (
            "expired beyond leeway",
            hs256(&with("exp", json!(now - 120))),
        ),
        ("missing exp", hs256(&without("exp"))),
        ("missing iat", hs256(&without("iat"))),
        ("missing iss", hs256(&without("iss"))),
        ("missing aud", hs256(&without("aud"))),
        ("missing sub", hs256(&without("sub"))),
        ("missing typ", hs256(&without("typ"))),
        ("missing sid", hs256(&without("sid"))),
        (
            "wrong issuer",
            hs256(&with("iss", json!("https://evil.example"))),
        ),
        ("wrong audience", hs256(&with("aud", json!("palaver-api")))),
        ("wrong type", hs256(&with("typ", json!("refresh")))),
        ("sub not a number", hs256(&with("sub", json!("admin")))),
        ("another user's token on this session", other_token.clone()),
        (
            "this user with another's session",
            hs256(&with("sid", other_sid)),
        ),
        ("empty", String::new()),
        ("garbage", "not.a.jwt".to_owned()),
        ("two segments", format!("{h}.{p}")),
        ("oversized", format!("{h}.{}.{s}", "A".repeat(12_000))),
    ];
    let mut rejected = 0;
    for (name, token) in &forgeries {
        if token_refused(&app, &victim, token).await {
            rejected += 1;
        } else {
            println!("ACCEPTED forgery: {name}");
        }
    }
    // A signed-out session's token, correct in every other way.
    let (leaver, _) = app.signed_up("leaver").await;
    let stale = leaver.ws_token().await;
    leaver.call("sign_out", &[]).await;
    let stale_refused = token_refused(&app, &victim, &stale).await;
    let tried = forgeries.len() + 1;
    let rejected = rejected + usize::from(stale_refused);
    report("JWT forgeries", tried, rejected);
    // The control: the genuine token opens the socket, so a refusal above means something.
    assert!(
        !token_refused(&app, &victim, &genuine).await,
        "the genuine token must be accepted"
    );
    assert_eq!(rejected, tried, "every forgery must be refused");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ----- WebSocket handshakes --------------------------------------------------------------

#[tokio::test]
async fn security_websocket_handshakes_without_credentials_or_from_foreign_origins_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Error as WsError;
    let app = spawn_app().await;
    let (c, _) = app.signed_up("hank").await;
    let token = c.ws_token().await;
    let cookie = c.cookie().unwrap();
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, u16);
    let cases: Vec<Case> = vec![
        ("no credentials", vec![], 401),
        (
            "unknown session cookie",
            vec![("cookie", "palaver_session=forged".to_owned())],
            401,
        ),
        (
            "bearer garbage",
            vec![("authorization", "Bearer not-a-token".to_owned())],
            401,
        ),
        (
            "token in the wrong scheme",
            vec![("authorization", format!("Basic {token}"))],
            401,
        ),
        (
            "foreign Origin with a valid cookie",
            vec![
                ("cookie", cookie.clone()),
                ("origin", "https://evil.example".to_owned()),
            ],
            403,
        ),
        (
            "null Origin with a valid cookie",
            vec![("cookie", cookie.clone()), ("origin", "null".to_owned())],
            403,
        ),
        (
            "cross-site fetch metadata",
            vec![
                ("cookie", cookie.clone()),
                ("sec-fetch-site", "cross-site".to_owned()),
            ],
            403,
        ),
    ];
    let mut rejected = 0;
    for (name, headers, expected) in &cases {
        let mut req = format!("ws://{}/ws", app.addr)
            .into_client_request()
            .unwrap();
        for (k, v) in headers {
            req.headers_mut().insert(*k, v.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Err(WsError::Http(res)) if res.status().as_u16() == *expected => rejected += 1,
            Err(WsError::Http(res)) => println!("{name}: got {} not {expected}", res.status()),
            Err(e) => println!("{name}: {e}"),
            Ok(_) => println!("ACCEPTED handshake: {name}"),
        }
    }
    report("WebSocket handshakes", cases.len(), rejected);
    // Control: a bearer token alone opens a socket (non-browser clients), as does the cookie.
    let mut req = format!("ws://{}/ws", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
    assert_eq!(rejected, cases.len());
}

// ----- cross-site calls to every server function ---------------------------------------

#[tokio::test]
async fn security_every_registered_server_function_refuses_cross_site_calls() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("ivy").await;
    let before: Vec<Value> = c.call("conversations", &[]).await.ok();
    let paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, m)| (p.to_owned(), m.to_string()))
        .collect();
    assert!(paths.len() >= 25, "server functions registered: {paths:?}");
    let attacks: [&[(&str, &str)]; 3] = [
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
    ];
    let (mut tried, mut rejected, mut covered) = (0, 0, 0);
    for (path, method) in &paths {
        let mut all_refused = true;
        for headers in attacks {
            let mut req = c
                .http
                .request(method.parse().unwrap(), app.url(path))
                .form(&[("title", "csrf"), ("id", "1"), ("code", "x")]);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let status = req.send().await.unwrap().status().as_u16();
            tried += 1;
            if status == 403 {
                rejected += 1;
            } else {
                all_refused = false;
                println!("{method} {path} {headers:?}: {status}");
            }
        }
        covered += usize::from(all_refused);
        // No state change on GET: a same-origin GET of a state-changing function is refused
        // (server functions answer POST only).
        if method == "POST" {
            let status = c
                .http
                .get(app.url(&format!("{path}?title=get&id=1&code=x")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            tried += 1;
            if (400..500).contains(&status) {
                rejected += 1;
            } else {
                println!("GET {path}: {status}");
            }
        }
    }
    report("cross-site calls and GETs to server fns", tried, rejected);
    println!(
        "SECURITY server functions covered by the cross-site test: {covered} / registered {}",
        paths.len()
    );
    // Nothing changed: the session is still signed in (sign_out was refused too) and no
    // conversation was created.
    let after: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert_eq!(before, after);
    assert_eq!(rejected, tried);
    assert_eq!(covered, paths.len());
}

// ----- (role, action) matrix -------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Owner,
    Admin,
    Member,
    Outsider,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    ReadHistory,
    ReadDetail,
    Send,
    Sync,
    Typing,
    MarkRead,
    EditOthersMessage,
    DeleteOthersMessage,
    CreateInvite,
    ListInvites,
    RevokeInvite,
    RemoveMember,
    RemoveAdmin,
    Promote,
    Demote,
    TransferOwnership,
    Rename,
    SetPublic,
    AuditLog,
    DeleteConversation,
    Leave,
    ListBans,
    LiftBan,
    SetNotifyLevel,
    React,
    ReplyToMessage,
    /// "Message" on the target member: a direct conversation with them.
    OpenDirect,
    /// Closing is for direct conversations: refused in this group to everyone.
    CloseDirect,
    Search,
    /// `POST /api/attachments` to the conversation.
    UploadFile,
    /// `GET /files/…` and `GET /thumbnails/…` of the image in the target member's message.
    DownloadFile,
    DownloadThumbnail,
}

impl Action {
    const ALL: [Action; 32] = [
        Action::ReadHistory,
        Action::ReadDetail,
        Action::Send,
        Action::Sync,
        Action::Typing,
        Action::MarkRead,
        Action::EditOthersMessage,
        Action::DeleteOthersMessage,
        Action::CreateInvite,
        Action::ListInvites,
        Action::RevokeInvite,
        Action::RemoveMember,
        Action::RemoveAdmin,
        Action::Promote,
        Action::Demote,
        Action::TransferOwnership,
        Action::Rename,
        Action::SetPublic,
        Action::AuditLog,
        Action::DeleteConversation,
        Action::Leave,
        Action::ListBans,
        Action::LiftBan,
        Action::SetNotifyLevel,
        Action::React,
        Action::ReplyToMessage,
        Action::OpenDirect,
        Action::CloseDirect,
        Action::Search,
        Action::UploadFile,
        Action::DownloadFile,
        Action::DownloadThumbnail,
    ];

    /// Least privilege, as the issue states it.
    fn allowed(self, who: Who) -> bool {
        use Who::*;
        match self {
            Action::ReadHistory
            | Action::ReadDetail
            | Action::Send
            | Action::Sync
            | Action::Typing
            | Action::MarkRead
            | Action::SetNotifyLevel
            | Action::React
            | Action::ReplyToMessage
            // Anyone who shares a conversation with the target; the outsider shares none.
            | Action::OpenDirect
            | Action::Search
            | Action::UploadFile
            | Action::DownloadFile
            | Action::DownloadThumbnail => who != Outsider,
            Action::EditOthersMessage | Action::CloseDirect => false,
            Action::DeleteOthersMessage
            | Action::CreateInvite
            | Action::ListInvites
            | Action::RevokeInvite
            | Action::RemoveMember
            | Action::Rename
            | Action::ListBans
            | Action::LiftBan => matches!(who, Owner | Admin),
            Action::RemoveAdmin
            | Action::Promote
            | Action::Demote
            | Action::TransferOwnership
            | Action::SetPublic
            | Action::AuditLog
            | Action::DeleteConversation => who == Owner,
            Action::Leave => matches!(who, Admin | Member),
        }
    }
}

/// One of the four roles every action is tried as, with a conversation of its own (`home`)
/// whose `sync` ends every probe over the socket (see `perform`).
struct Actor {
    client: Client,
    id: i64,
    home: i64,
}

struct Cast {
    owner: Actor,
    admin: Actor,
    member: Actor,
    outsider: Actor,
    /// A plain member and an admin to act upon.
    target_member: Client,
    target_admin: Client,
    target_member_id: i64,
    target_admin_id: i64,
    /// Removed from each fixture's conversation, so banned from it.
    banned: Client,
    banned_id: i64,
    /// The app's database, to see that a refused upload stored nothing.
    db: sqlx::AnyPool,
}

async fn signed_up_with_id(app: &TestApp, name: &str) -> (Client, i64) {
    let client = app.signed_up(name).await.0;
    let id = client.user_id().await;
    (client, id)
}

impl Actor {
    async fn new(app: &TestApp, name: &str) -> Actor {
        let (client, id) = signed_up_with_id(app, name).await;
        let home = client.create_conversation("Home").await;
        Actor { client, id, home }
    }
}

impl Cast {
    fn actor(&self, who: Who) -> &Actor {
        match who {
            Who::Owner => &self.owner,
            Who::Admin => &self.admin,
            Who::Member => &self.member,
            Who::Outsider => &self.outsider,
        }
    }
}

/// A 1 x 1 PNG: its thumbnail exists, so both file routes are tried.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xdf, 0xc0, 0x00,
    0x00, 0x04, 0x01, 0x01, 0x80, 0xc5, 0x2a, 0x18, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The body of the message `Send` tries to post.
const SEND_BODY: &str = "sent by the actor";

struct Fixture {
    conv: i64,
    /// The image the target member's message carries.
    file_id: String,
    /// A message by the target member, the conversation's last event.
    seq: i64,
    invite_id: i64,
    /// The target member's socket, open from before the action: what reaches the members.
    watcher: Socket,
    /// Before the action: every member's (id, role), and the read positions of the actor
    /// (None for a non-member) and of the target member.
    members: Vec<(i64, String)>,
    actor_last_read: Option<Value>,
    target_last_read: Value,
}

/// Where `c` has read up to in `conv`; None when they are not a member.
async fn read_position(c: &Client, conv: i64) -> Option<Value> {
    let r = c.call("conversation", &[("id", &conv.to_string())]).await;
    (r.status == 200).then(|| r.body["last_read_seq"].clone())
}

fn member_roles(detail: &Value) -> Vec<(i64, String)> {
    let mut roles: Vec<(i64, String)> = detail["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let role = m["role"].as_str().expect("role").to_owned();
            (m["user"]["id"].as_i64().expect("user id"), role)
        })
        .collect();
    roles.sort();
    roles
}

async fn fixture(cast: &Cast, actor: &Actor) -> Fixture {
    let owner = &cast.owner.client;
    let conv = owner.create_conversation("Matrix").await;
    let code = owner.invite(conv).await;
    for c in [
        &cast.admin.client,
        &cast.member.client,
        &cast.target_member,
        &cast.target_admin,
        &cast.banned,
    ] {
        c.call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }
    let convs = conv.to_string();
    owner
        .call(
            "remove_member",
            &[("id", &convs), ("user_id", &cast.banned_id.to_string())],
        )
        .await
        .ok::<Value>();
    for uid in [cast.admin.id, cast.target_admin_id] {
        owner
            .call(
                "set_role",
                &[
                    ("id", &convs),
                    ("user_id", &uid.to_string()),
                    ("role", "admin"),
                ],
            )
            .await
            .ok::<Value>();
    }
    let mut watcher = cast.target_member.socket().await;
    let file = cast
        .target_member
        .upload(conv, "photo.png", PNG_1X1.to_vec())
        .await;
    let file_id = file.body["id"].as_str().expect("uploaded").to_owned();
    let client_id = unique("m");
    watcher
        .send_json(
            &json!({"type": "send", "conversation_id": conv, "client_id": client_id,
            "body": "target's message", "attachments": [file_id]}),
        )
        .await;
    let ack = loop {
        let f = watcher.next_json().await;
        if f["type"] == "ack" && f["client_id"] == client_id {
            break f;
        }
    };
    let seq = ack["seq"].as_i64().unwrap();
    let invites: Vec<Value> = owner.call("invites", &[("id", &convs)]).await.ok();
    let detail: Value = owner.call("conversation", &[("id", &convs)]).await.ok();
    Fixture {
        conv,
        file_id,
        seq,
        invite_id: invites[0]["id"].as_i64().unwrap(),
        watcher,
        members: member_roles(&detail),
        actor_last_read: read_position(&actor.client, conv).await,
        target_last_read: read_position(&cast.target_member, conv)
            .await
            .expect("the target is a member"),
    }
}

/// A refusal carries nothing but the error: `{code, message}` (and a retry delay).
fn carries_data(body: &Value) -> bool {
    body.as_object().is_none_or(|o| {
        o.keys()
            .any(|k| !["code", "message", "retry_after_secs"].contains(&k.as_str()))
    })
}

/// Performs `action` as `actor`; Ok(()) when it went through, Err(why) when refused. A refusal
/// must also leak nothing: the reply is an error and carries no conversation data.
async fn perform(actor: &Actor, action: Action, cast: &Cast, f: &Fixture) -> Result<(), String> {
    let c = &actor.client;
    let id = f.conv.to_string();
    let target = cast.target_member_id.to_string();
    let target_admin = cast.target_admin_id.to_string();
    let http = |endpoint: &'static str, form: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r: Reply = c.call(endpoint, &form).await;
        if (200..300).contains(&r.status) {
            Ok(())
        } else if [403, 404].contains(&r.status) {
            if carries_data(&r.body) {
                Err(format!("LEAK {}", r.body))
            } else {
                Err(format!("{} {}", r.status, r.message()))
            }
        } else {
            Err(format!("UNEXPECTED {} {}", r.status, r.body))
        }
    };
    // One frame on a fresh socket, then the probe: a `sync` of the actor's own conversation.
    // A socket's frames are handled in order, so whatever the server answers to `frame` (an
    // ack, a `synced`, an error; typing and read answer only errors) arrives before the
    // probe's `synced`: no answer by then means none is coming.
    let ws_frame = |frame: Value, answer: Option<&'static str>| async move {
        let mut ws = c.socket().await;
        ws.send_json(&frame).await;
        ws.send_json(&json!({"type": "sync", "conversation_id": actor.home, "after_seq": 0}))
            .await;
        let got = ws
            .frames_before(|g| g["type"] == "synced" && g["conversation_id"] == actor.home)
            .await;
        let of_conv = |g: &&Value| g["conversation_id"] == f.conv;
        let leaked = got
            .iter()
            .any(|g| g["type"] == "message" && g["message"]["conversation_id"] == f.conv);
        match got.iter().find(|g| g["type"] == "error") {
            Some(_) if leaked => Err(format!("LEAK {got:?}")),
            Some(e) => Err(format!("ws {}", e["code"])),
            None => match answer {
                Some(kind) if !got.iter().filter(of_conv).any(|g| g["type"] == kind) => {
                    Err(format!("UNEXPECTED no {kind}: {got:?}"))
                }
                _ => Ok(()),
            },
        }
    };
    // A file route: 2xx is done; a refusal is 403 or 404 with `{message}` only, no bytes.
    let file_route = |r: common::Reply| {
        if (200..300).contains(&r.status) {
            Ok(())
        } else if [403, 404].contains(&r.status) && !carries_data(&r.body) {
            Err(format!("{} {}", r.status, r.message()))
        } else {
            Err(format!("UNEXPECTED {} {}", r.status, r.body))
        }
    };
    match action {
        Action::UploadFile => file_route(c.upload(f.conv, "actor.txt", b"hello".to_vec()).await),
        Action::DownloadFile => file_route(c.get(&format!("/files/{}/photo.png", f.file_id)).await),
        Action::DownloadThumbnail => {
            file_route(c.get(&format!("/thumbnails/{}", f.file_id)).await)
        }
        Action::ReadHistory => http("history", vec![("id", id)]).await,
        Action::ReadDetail => http("conversation", vec![("id", id)]).await,
        Action::Send => {
            ws_frame(
                json!({"type":"send","conversation_id":f.conv,"client_id":unique("s"),"body":SEND_BODY}),
                Some("ack"),
            )
            .await
        }
        Action::Sync => {
            ws_frame(
                json!({"type":"sync","conversation_id":f.conv,"after_seq":0}),
                Some("synced"),
            )
            .await
        }
        Action::Typing => {
            ws_frame(json!({"type":"typing","conversation_id":f.conv}), None).await
        }
        Action::React => {
            ws_frame(
                json!({"type":"react","conversation_id":f.conv,"seq":f.seq,"client_id":unique("r"),"emoji":"👍"}),
                Some("ack"),
            )
            .await
        }
        Action::ReplyToMessage => {
            ws_frame(
                json!({"type":"send","conversation_id":f.conv,"client_id":unique("s"),"body":SEND_BODY,"reply_to":f.seq}),
                Some("ack"),
            )
            .await
        }
        Action::MarkRead => {
            ws_frame(
                json!({"type":"read","conversation_id":f.conv,"seq":f.seq}),
                None,
            )
            .await
        }
        Action::EditOthersMessage => {
            ws_frame(
                json!({"type":"edit","conversation_id":f.conv,"seq":f.seq,"client_id":unique("e"),"body":"pwned"}),
                Some("ack"),
            )
            .await
        }
        Action::DeleteOthersMessage => {
            ws_frame(
                json!({"type":"delete","conversation_id":f.conv,"seq":f.seq,"client_id":unique("d")}),
                Some("ack"),
            )
            .await
        }
        Action::CreateInvite => http("create_invite", vec![("id", id)]).await,
        Action::ListInvites => http("invites", vec![("id", id)]).await,
        Action::RevokeInvite => {
            http(
                "revoke_invite",
                vec![("id", id), ("invite_id", f.invite_id.to_string())],
            )
            .await
        }
        Action::RemoveMember => {
            http("remove_member", vec![("id", id), ("user_id", target)]).await
        }
        Action::RemoveAdmin => {
            http("remove_member", vec![("id", id), ("user_id", target_admin)]).await
        }
        Action::Promote => {
            http(
                "set_role",
                vec![("id", id), ("user_id", target), ("role", "admin".into())],
            )
            .await
        }
        Action::Demote => {
            http(
                "set_role",
                vec![
                    ("id", id),
                    ("user_id", target_admin),
                    ("role", "member".into()),
                ],
            )
            .await
        }
        Action::TransferOwnership => {
            http("transfer_ownership", vec![("id", id), ("user_id", target)]).await
        }
        Action::Rename => http("rename_conversation", vec![("id", id), ("title", "Renamed".into())]).await,
        Action::SetPublic => http("set_public", vec![("id", id), ("public", "true".into())]).await,
        Action::AuditLog => http("audit_log", vec![("id", id)]).await,
        Action::DeleteConversation => {
            http(
                "delete_conversation",
                vec![("id", id), ("confirm", "Matrix".into())],
            )
            .await
        }
        Action::Leave => http("leave_conversation", vec![("id", id)]).await,
        Action::ListBans => http("bans", vec![("id", id)]).await,
        Action::SetNotifyLevel => {
            http("set_notify_level", vec![("id", id), ("level", "none".into())]).await
        }
        Action::OpenDirect => http("open_direct", vec![("user_id", target)]).await,
        Action::CloseDirect => http("close_direct", vec![("id", id)]).await,
        Action::LiftBan => {
            http(
                "lift_ban",
                vec![("id", id), ("user_id", cast.banned_id.to_string())],
            )
            .await
        }
        // Search spans every conversation of the caller's: a non-member is not refused, they
        // get their own results, and none of them may come from this conversation.
        Action::Search => {
            let r = c.call("search", &[("q", "target's message")]).await;
            if r.status != 200 {
                return Err(format!("UNEXPECTED {} {}", r.status, r.body));
            }
            let hits = r.body["hits"].as_array().cloned().unwrap_or_default();
            if hits.iter().any(|h| h["conversation_id"] == f.conv) {
                Ok(())
            } else {
                Err("200 without this conversation's messages".to_owned())
            }
        }
    }
}

/// Checks that a refused action changed nothing it targets; Err says what changed.
async fn unchanged(
    action: Action,
    actor: &Actor,
    cast: &Cast,
    f: &mut Fixture,
) -> Result<(), String> {
    let id = f.conv.to_string();
    let owner = &cast.owner.client;
    let detail = owner.call("conversation", &[("id", &id)]).await;
    if detail.status != 200 {
        return Err(format!("the conversation is gone: {}", detail.body));
    }
    let detail = detail.body;
    let history: Value = owner.history(f.conv).await.ok();
    let events = history["messages"].as_array().unwrap();
    let check = |kept: bool, what: &str| if kept { Ok(()) } else { Err(what.to_owned()) };
    match action {
        // Reads have nothing to change; `perform` checked that the refusal carried no data.
        Action::ReadHistory
        | Action::ReadDetail
        | Action::Sync
        | Action::ListInvites
        | Action::AuditLog
        | Action::ListBans
        | Action::Search
        | Action::DownloadFile
        | Action::DownloadThumbnail => Ok(()),
        Action::UploadFile => {
            let stored: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE uploader_id = $1")
                    .bind(actor.id)
                    .fetch_one(&cast.db)
                    .await
                    .unwrap();
            check(stored == 0, "an upload was stored")
        }
        Action::React => check(
            events.iter().all(|m| m["reactions"].is_null()),
            "a reaction was stored",
        ),
        Action::Send | Action::ReplyToMessage => check(
            events
                .iter()
                .all(|m| m["author_id"] != actor.id && m["body"] != SEND_BODY),
            "a message was stored",
        ),
        Action::Typing => {
            // A member's socket hears its own notice after the refused one would have been
            // published (the actor's probe answered after the frame was handled), and one
            // conversation's events reach a socket in the order published.
            f.watcher
                .send_json(&json!({"type": "typing", "conversation_id": f.conv}))
                .await;
            let heard = f
                .watcher
                .frames_before(|g| {
                    g["type"] == "typing" && g["user"]["id"] == cast.target_member_id
                })
                .await;
            check(
                heard.iter().all(|g| g["type"] != "typing"),
                "the typing notice reached a member",
            )
        }
        Action::MarkRead => {
            let actor_now = read_position(&actor.client, f.conv).await;
            let target_now = read_position(&cast.target_member, f.conv).await;
            check(
                actor_now == f.actor_last_read && target_now.as_ref() == Some(&f.target_last_read),
                "a read position was written",
            )
        }
        Action::EditOthersMessage | Action::DeleteOthersMessage => check(
            events.last().is_some_and(|m| {
                m["seq"] == f.seq
                    && m["body"] == "target's message"
                    && m["deleted"] != true
                    && m["edited_at"].is_null()
            }),
            "the message changed or an event followed it",
        ),
        Action::CreateInvite => {
            let invites: Vec<Value> = owner.call("invites", &[("id", &id)]).await.ok();
            check(invites.len() == 1, "an invite was created")
        }
        Action::RevokeInvite => {
            let invites: Vec<Value> = owner.call("invites", &[("id", &id)]).await.ok();
            check(
                invites
                    .iter()
                    .any(|i| i["id"] == f.invite_id && i["revoked"] == false),
                "the invite was revoked",
            )
        }
        Action::RemoveMember
        | Action::RemoveAdmin
        | Action::Promote
        | Action::Demote
        | Action::TransferOwnership
        | Action::Leave => check(
            member_roles(&detail) == f.members,
            "the members or their roles changed",
        ),
        Action::Rename => check(detail["title"] == "Matrix", "the title changed"),
        // Levels are each member's own: a refused change leaves every member's as it was.
        Action::SetNotifyLevel => {
            let mut kept = true;
            for who in [owner, &cast.target_member] {
                let rows: Vec<Value> = who.call("conversations", &[]).await.ok();
                kept &= rows
                    .iter()
                    .find(|c| c["id"] == f.conv)
                    .is_some_and(|c| c["notify"] == "all");
            }
            check(kept, "a notification level was stored")
        }
        Action::SetPublic => check(detail["public"] == false, "the room became public"),
        // No conversation was made with the target: the actor's side nav is as it was.
        Action::OpenDirect => {
            let rows: Vec<Value> = actor.client.call("conversations", &[]).await.ok();
            check(
                rows.iter().all(|c| c["kind"] != "direct"),
                "a direct conversation was opened",
            )
        }
        // The group is still in the actor's side nav (a member's) or was never there.
        Action::CloseDirect => {
            let rows: Vec<Value> = actor.client.call("conversations", &[]).await.ok();
            let listed = rows.iter().any(|c| c["id"] == f.conv);
            check(
                listed == f.actor_last_read.is_some(),
                "the conversation left the side nav",
            )
        }
        Action::DeleteConversation => check(
            events.iter().any(|m| m["seq"] == f.seq),
            "the messages are gone",
        ),
        Action::LiftBan => {
            let bans: Vec<Value> = owner.call("bans", &[("id", &id)]).await.ok();
            check(
                bans.iter().any(|b| b["user_id"] == cast.banned_id),
                "the ban was lifted",
            )
        }
    }
}

#[tokio::test]
async fn security_every_role_and_action_pair_is_enforced() {
    let app = spawn_app().await;
    let (target_member, target_member_id) = signed_up_with_id(&app, "tmember").await;
    let (target_admin, target_admin_id) = signed_up_with_id(&app, "tadmin").await;
    let (banned, banned_id) = signed_up_with_id(&app, "banned").await;
    let cast = Cast {
        owner: Actor::new(&app, "owner").await,
        admin: Actor::new(&app, "admin").await,
        member: Actor::new(&app, "member").await,
        outsider: Actor::new(&app, "outsider").await,
        target_member,
        target_admin,
        target_member_id,
        target_admin_id,
        banned,
        banned_id,
        db: app.database().await,
    };
    let (mut denied_tried, mut denied_ok, mut allowed_tried, mut allowed_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for action in Action::ALL {
        for who in [Who::Owner, Who::Admin, Who::Member, Who::Outsider] {
            let actor = cast.actor(who);
            let mut f = fixture(&cast, actor).await;
            let result = perform(actor, action, &cast, &f).await;
            if action.allowed(who) {
                allowed_tried += 1;
                match result {
                    Ok(()) => allowed_ok += 1,
                    Err(e) => failures.push(format!("{who:?} {action:?} refused: {e}")),
                }
            } else {
                denied_tried += 1;
                match result {
                    Err(e) if !e.starts_with("LEAK") && !e.starts_with("UNEXPECTED") => {
                        match unchanged(action, actor, &cast, &mut f).await {
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
    report("unauthorized (role, action) pairs", denied_tried, denied_ok);
    println!(
        "SECURITY allowed (role, action) pairs           tried {allowed_tried:>5} / succeeded {allowed_ok:>5}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

// ----- XSS and SQL injection strings -------------------------------------------------------

const CORPUS: [&str; 10] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</title><script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "{{7*7}} ${7*7}",
    "'; DROP TABLE messages; --",
    "' OR '1'='1",
    "1; UPDATE users SET password_hash = '' --",
];

#[tokio::test]
async fn security_xss_and_sql_injection_strings_are_stored_verbatim_and_rendered_as_text() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("xavier").await;
    let mut ws = c.socket().await;
    let (mut tried, mut safe) = (0, 0);
    for payload in CORPUS {
        let conv = c.create_conversation(payload).await;
        let ack = ws.send_message(conv, &unique("x"), payload).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        // Stored and returned verbatim (no SQL was run, nothing was mangled)...
        let h: Value = c.history(conv).await.ok();
        let stored = h["messages"].as_array().unwrap().last().unwrap()["body"].clone();
        let detail: Value = c
            .call("conversation", &[("id", &conv.to_string())])
            .await
            .ok();
        // ...and in the server-rendered page only as escaped text.
        let html = c
            .http
            .get(app.url(&format!("/c/{conv}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let escaped = payload
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        for place in ["title", "message"] {
            tried += 1;
            let verbatim = if place == "title" {
                detail["title"] == payload
            } else {
                stored == payload
            };
            let raw_markup = payload.contains('<') && html.contains(payload);
            if verbatim && !raw_markup && html.contains(&escaped) {
                safe += 1;
            } else {
                println!("UNSAFE {place}: {payload}");
            }
        }
        // The search page with the payload as the query, finding this very message (its
        // title and excerpt among the results): the query is echoed and the results drawn
        // as text only.
        tried += 1;
        let page = c
            .http
            .get(app.url(&format!("/search?q={}", urlencode(payload))))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let found: Value = c.call("search", &[("q", payload)]).await.ok();
        let listed = found["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["conversation_id"] == conv));
        let raw_markup = payload.contains('<') && page.contains(payload);
        if listed && !raw_markup && page.contains(&escaped) {
            safe += 1;
        } else {
            println!("UNSAFE search (listed {listed}, raw {raw_markup}): {payload}");
        }
    }
    // Usernames are a closed alphabet: markup and quotes are refused with the reason.
    for payload in CORPUS {
        tried += 1;
        let r = app
            .client()
            .call("sign_up", &[("username", payload), ("password", PASSWORD)])
            .await;
        // Refused by the length rule or the alphabet rule, whichever the payload breaks first.
        if r.status == 422 && r.message().starts_with("Username") {
            safe += 1;
        }
    }
    // The database is intact after all that: a new account, conversation and message work.
    let (d, _) = app.signed_up("after").await;
    let conv = d.create_conversation("Still fine").await;
    let mut dws = d.socket().await;
    assert_eq!(
        dws.send_message(conv, "ok", "still fine").await["type"],
        "ack"
    );
    report("XSS / SQL injection strings", tried, safe);
    assert_eq!(safe, tried);
}

// ----- malformed input: frames and bodies ---------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("x".repeat(5000))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::hash_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FRAME_TYPES: [&str; 13] = [
    "send", "edit", "delete", "read", "typing", "sync", "auth", "renew", "ready", "react",
    "unreact", "", "SEND",
];
const FRAME_FIELDS: [&str; 10] = [
    "conversation_id",
    "client_id",
    "body",
    "seq",
    "after_seq",
    "token",
    "type",
    "emoji",
    "reply_to",
    "attachments",
];

/// A client frame: valid shapes with wrong, missing or extra fields, or plain junk.
fn frame(conv: i64) -> impl Strategy<Value = Message> {
    let structured = (
        prop::sample::select(FRAME_TYPES.to_vec()),
        prop::collection::vec(
            (
                prop::sample::select(FRAME_FIELDS.to_vec()),
                prop_oneof![
                    3 => json_value(),
                    1 => Just(json!(conv)),
                    // Attachment ids: well-formed but unknown, too many, repeated.
                    1 => prop::collection::vec("[A-Za-z0-9_-]{22}", 0..14).prop_map(|v| json!(v)),
                    1 => ".{1,30}".prop_map(Value::from),
                ],
            ),
            0..6,
        ),
    )
        .prop_map(|(t, fields)| {
            let mut o = serde_json::Map::new();
            o.insert("type".into(), Value::from(t));
            for (k, v) in fields {
                o.insert(k.into(), v);
            }
            Message::Text(Value::Object(o).to_string().into())
        });
    prop_oneof![
        6 => structured,
        2 => ".{0,200}".prop_map(|s: String| Message::Text(s.into())),
        1 => json_value().prop_map(|v| Message::Text(v.to_string().into())),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| Message::Binary(b.into())),
    ]
}

#[tokio::test]
async fn security_malformed_frames_and_bodies_cause_no_panic_and_no_5xx() {
    count_panics();
    let app = spawn_app_in(
        tempfile::tempdir().unwrap().keep(),
        Some(|c| c.sign_in_failures = 1_000_000),
    )
    .await;
    let (c, name) = app.signed_up("fuzz").await;
    let conv = c.create_conversation("Fuzz").await;
    let panics_before = PANICS.load(Ordering::SeqCst);

    // WebSocket frames.
    let mut runner = TestRunner::new_with_rng(
        PropConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strategy = frame(conv);
    let mut ws = c.socket().await;
    let (mut frames, mut reconnects, mut oversized) = (0usize, 0usize, 0usize);
    for i in 0..3000 {
        let msg = if i % 500 == 499 {
            oversized += 1;
            Message::Text("x".repeat(palaver::protocol::MAX_FRAME_BYTES + 1).into())
        } else {
            strategy.new_tree(&mut runner).unwrap().current()
        };
        frames += 1;
        if ws.ws.send(msg).await.is_err() || i % 500 == 499 {
            // Oversized frames close the socket (1009); carry on with a fresh one.
            reconnects += 1;
            ws = c.socket().await;
            continue;
        }
        // Drain whatever came back without waiting long.
        while ws
            .next_json_within(Duration::from_millis(1))
            .await
            .is_some()
        {}
    }
    // The socket still works after all of it.
    assert_eq!(
        ws.send_message(conv, "after-fuzz", "still here").await["type"],
        "ack"
    );

    // Server function bodies.
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .collect();
    let body = prop_oneof![
        3 => prop::collection::vec(("[a-z_]{1,12}", ".{0,40}"), 0..6).prop_map(|kv| {
            (
                "application/x-www-form-urlencoded",
                kv.iter()
                    .map(|(k, v)| format!("{}={}", k, urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&")
                    .into_bytes(),
            )
        }),
        2 => json_value().prop_map(|v| ("application/json", v.to_string().into_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..400).prop_map(|b| ("application/octet-stream", b)),
        1 => ".{0,100}".prop_map(|s: String| ("multipart/form-data; boundary=x", s.into_bytes())),
        1 => Just(("application/x-www-form-urlencoded", vec![b'a'; 70 * 1024])),
    ];
    let (mut bodies, mut server_errors, mut statuses) =
        (0usize, 0usize, std::collections::BTreeMap::new());
    for i in 0..3000 {
        let path = &paths[i % paths.len()];
        if path.ends_with("sign_out") || path.ends_with("change_password") {
            // These would end the fuzzing session itself; they get their bodies on a
            // throwaway account below.
            continue;
        }
        let (ctype, bytes) = body.new_tree(&mut runner).unwrap().current();
        let res = c
            .http
            .post(app.url(path))
            .header("origin", &c.base)
            .header("content-type", ctype)
            .body(bytes)
            .send()
            .await
            .unwrap();
        bodies += 1;
        let status = res.status().as_u16();
        *statuses.entry(status).or_insert(0usize) += 1;
        if status >= 500 {
            server_errors += 1;
            println!(
                "5xx: {path} {status} {}",
                res.text().await.unwrap_or_default()
            );
        }
        if i % 100 == 0 && c.call("me", &[]).await.body.is_null() {
            // A fuzzed sign_in/sign_up may have swapped the cookie: sign back in.
            c.sign_in(&name, PASSWORD).await;
        }
    }
    // Uploads (files, and every fourth an avatar): junk queries, names and bodies.
    let query = prop_oneof![
        Just(String::new()),
        ".{0,60}".prop_map(|s: String| s),
        (any::<i64>(), ".{0,300}")
            .prop_map(|(id, name)| format!("conversation_id={id}&name={}", urlencode(&name))),
        ".{0,300}".prop_map(move |name: String| format!(
            "conversation_id={conv}&name={}",
            urlencode(&name)
        )),
    ];
    for i in 0..300 {
        let q = query.new_tree(&mut runner).unwrap().current();
        let (ctype, bytes) = body.new_tree(&mut runner).unwrap().current();
        let route = if i % 4 == 3 {
            "/api/profile/avatar"
        } else {
            "/api/attachments"
        };
        let status = c
            .http
            .post(format!("{}{route}?{q}", c.base))
            .header("origin", &c.base)
            .header("content-type", ctype)
            .body(bytes)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        bodies += 1;
        *statuses.entry(status).or_insert(0usize) += 1;
        if status >= 500 {
            server_errors += 1;
            println!("5xx: {route}?{q} {status}");
        }
    }
    let throwaway = app.client();
    throwaway.sign_up(&unique("throw")).await;
    for path in ["/api/change_password", "/api/sign_out"] {
        for _ in 0..50 {
            let (ctype, bytes) = body.new_tree(&mut runner).unwrap().current();
            let status = throwaway
                .http
                .post(app.url(path))
                .header("origin", &throwaway.base)
                .header("content-type", ctype)
                .body(bytes)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            bodies += 1;
            *statuses.entry(status).or_insert(0usize) += 1;
            if status >= 500 {
                server_errors += 1;
            }
        }
    }
    // `next` on sign-in and sign-up: any characters (controls, DEL, NUL, Unicode spaces,
    // backslashes), percent-encoded into the form as a browser would. None may panic, fail
    // or drop the session cookie (a panic used to come after the session was created).
    let next = prop_oneof![
        2 => "\\PC{0,24}",
        2 => "/[\\x00-\\x20\\x7f\\\\/]{0,3}[a-z.]{0,12}",
        1 => "[\\x00-\\x7f]{0,16}",
    ];
    let mut nexts = 0usize;
    for i in 0..300 {
        let next: String = next.new_tree(&mut runner).unwrap().current();
        let fresh = app.client();
        let (endpoint, user) = if i % 2 == 0 {
            ("sign_in", name.clone())
        } else {
            ("sign_up", unique("nx"))
        };
        let r = fresh
            .call(
                endpoint,
                &[("username", &user), ("password", PASSWORD), ("next", &next)],
            )
            .await;
        nexts += 1;
        *statuses.entry(r.status).or_insert(0usize) += 1;
        if r.status >= 500 || fresh.cookie().is_none() {
            server_errors += 1;
            println!("next {next:?} on {endpoint}: {} {:?}", r.status, r.body);
        }
    }
    bodies += nexts;
    // Search queries: any characters (FTS5 and LIKE syntax, quotes, controls, bidi
    // overrides, lone surrogates' replacements, very long ones) and any cursor. Each is a
    // result page (200) or the query's own error (422 with the reason), never an index's
    // syntax error or a 5xx.
    let query = prop_oneof![
        3 => "\\PC{0,60}",
        2 => r#"[a-z" *^:()\-+%_\\']{1,30}"#,
        1 => "(NEAR|AND|OR|NOT|\\*|\\^|\"|\\(|\\)|body:|\\{|\\}| ){1,12}",
        1 => "[\\x00-\\x20\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a]{0,10}",
        1 => ".{190,260}",
        1 => "[北京大学東京ñÄ ]{1,8}",
    ];
    let cursor = prop_oneof![
        2 => Just(None),
        1 => any::<i64>().prop_map(|n| Some(n.to_string())),
        1 => "[a-z0-9.-]{0,12}".prop_map(Some),
    ];
    let (mut searches, mut search_refusals) = (0usize, 0usize);
    let mut ws = c.socket().await;
    ws.send_message(conv, "searchable", "a searchable message")
        .await;
    for _ in 0..400 {
        let q: String = query.new_tree(&mut runner).unwrap().current();
        let before: Option<String> = cursor.new_tree(&mut runner).unwrap().current();
        let mut form = vec![("q", q.as_str())];
        if let Some(b) = &before {
            form.push(("before", b.as_str()));
        }
        let r = c.call("search", &form).await;
        searches += 1;
        *statuses.entry(r.status).or_insert(0usize) += 1;
        match r.status {
            200 => assert!(r.body["hits"].is_array(), "{q:?}: {}", r.body),
            422 => {
                search_refusals += 1;
                assert!(!r.message().is_empty(), "{q:?}: {}", r.body);
                let lower = r.message().to_lowercase();
                assert!(
                    !lower.contains("fts5") && !lower.contains("syntax") && !lower.contains("sql"),
                    "{q:?}: {}",
                    r.body
                );
            }
            s => {
                server_errors += usize::from(s >= 500);
                println!("search {q:?} before {before:?}: {s} {}", r.body);
                assert!(s < 500, "{q:?}");
            }
        }
    }
    bodies += searches;
    println!(
        "SECURITY malformed search queries               tried {searches:>5} / refused with a reason {search_refusals}"
    );
    let panics = PANICS.load(Ordering::SeqCst) - panics_before;
    println!(
        "SECURITY malformed WebSocket frames              tried {frames:>5} / panics {panics} / reconnects {reconnects} (oversized {oversized})"
    );
    println!(
        "SECURITY malformed server-function bodies        tried {bodies:>5} / panics {panics} / 5xx {server_errors}  statuses {statuses:?}"
    );
    assert_eq!(panics, 0);
    assert_eq!(server_errors, 0);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ----- login timing -------------------------------------------------------------------------

#[tokio::test]
async fn security_login_timing_does_not_tell_existing_from_unknown_users() {
    let app = spawn_app_in(
        tempfile::tempdir().unwrap().keep(),
        Some(|c| c.sign_in_failures = 1_000_000),
    )
    .await;
    let (_, name) = app.signed_up("tim").await;
    let c = app.client();
    // Warm up both paths.
    for _ in 0..3 {
        c.sign_in(&name, "wrong-password-1").await;
        c.sign_in("nobody_here", "wrong-password-1").await;
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..30 {
        for (user, into) in [(name.as_str(), &mut known), ("nobody_here", &mut unknown)] {
            let started = Instant::now();
            let r = c.sign_in(user, &format!("wrong-password-{i}")).await;
            into.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.status, 401);
            assert_eq!(r.message(), "Wrong username or password.");
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    println!(
        "SECURITY login timing: existing user median {k:.1} ms / unknown user median {u:.1} ms / difference {:.1} ms (limit 20 ms), 30 attempts each",
        (k - u).abs()
    );
    assert!((k - u).abs() < 20.0);
}
