//! Accounts, conversations and tokens, made the way the browser makes them: server functions
//! (`POST /api/<name>`, form-encoded, same origin) with a cookie jar per user. Sign-up hashes
//! with argon2, so a few dozen users carry all the sockets (`--sockets-per-user` is raised).
//! The baseline needs none of it: its `auth` frame only names the room.

use crate::procs::{Kind, Server};
use crate::Scale;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "correct-horse-battery-9";

/// Rooms of the baseline (any number names a broadcast channel).
const BASE_ROOM: i64 = 1;
const BASE_SENDS: i64 = 2;

struct User {
    http: reqwest::Client,
    /// The session cookie, as the browser sends it with the handshake.
    cookie: String,
    token: String,
}

/// How the generator's sockets authenticate against one server.
pub struct Auth {
    kind: Kind,
    base: String,
    users: Vec<User>,
    /// The fan-out room (all users are members).
    pub room: i64,
    /// User 0's conversation of their own, for the persisted-sends scenario.
    pub sends: i64,
}

impl Auth {
    /// Users sockets are spread over (1 for the baseline, which has none).
    pub fn users(&self) -> usize {
        self.users.len().max(1)
    }

    /// The cookie and `auth` frame of socket `i` (user `i % users`) for `conversation`.
    pub fn socket(&self, i: usize, conversation: i64) -> (Option<&str>, String) {
        if self.kind == Kind::Baseline {
            let frame = format!(r#"{{"type":"auth","token":"","room":{conversation}}}"#);
            return (None, frame);
        }
        let u = &self.users[i % self.users.len()];
        let frame = format!(r#"{{"type":"auth","token":"{}"}}"#, u.token);
        (Some(u.cookie.as_str()), frame)
    }

    /// Fresh tokens (15 minutes each), fetched before each scenario.
    pub async fn refresh(&mut self) {
        let base = self.base.clone();
        for u in &mut self.users {
            let v = call(&u.http, &base, "ws_token", &[]).await;
            u.token = v["token"].as_str().expect("a token").to_owned();
        }
    }
}

/// One server function call; retries while the server answers 503 (password checks queued)
/// or 429, panics on any other failure.
async fn call(http: &reqwest::Client, base: &str, endpoint: &str, form: &[(&str, &str)]) -> Value {
    for _ in 0..200 {
        let res = http
            .post(format!("{base}/api/{endpoint}"))
            .header("origin", base)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        if status == 503 || status == 429 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert!(
            (200..300).contains(&status),
            "{endpoint} answered {status}: {text}"
        );
        return serde_json::from_str(&text).unwrap_or(Value::Null);
    }
    panic!("{endpoint}: still refused after 200 tries");
}

async fn sign_up(base: &str, name: String) -> User {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    call(
        &http,
        base,
        "sign_up",
        &[("username", &name), ("password", PASSWORD)],
    )
    .await;
    let url = base.parse().expect("base url");
    let cookie = jar
        .cookies(&url)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .expect("a session cookie");
    User {
        http,
        cookie,
        token: String::new(),
    }
}

/// Signs up `scale.users` accounts (two at a time: the server has one core), makes user 0 a
/// room and an invite link the others accept, and user 0 a conversation of their own.
pub async fn prepare(server: &Server, scale: &Scale) -> Auth {
    let base = format!("http://{}", server.addr);
    if server.kind == Kind::Baseline {
        return Auth {
            kind: server.kind,
            base,
            users: Vec::new(),
            room: BASE_ROOM,
            sends: BASE_SENDS,
        };
    }
    let started = std::time::Instant::now();
    let mut users = Vec::with_capacity(scale.users);
    for pair in (0..scale.users).collect::<Vec<_>>().chunks(2) {
        let signed =
            futures::future::join_all(pair.iter().map(|i| sign_up(&base, format!("bench{i}"))))
                .await;
        users.extend(signed);
    }
    let owner = &users[0];
    let room = call(
        &owner.http,
        &base,
        "create_conversation",
        &[("title", "Load room")],
    )
    .await["id"]
        .as_i64()
        .expect("room id");
    let sends = call(
        &owner.http,
        &base,
        "create_conversation",
        &[("title", "Sends")],
    )
    .await["id"]
        .as_i64()
        .expect("conversation id");
    let id = room.to_string();
    let invite = call(
        &owner.http,
        &base,
        "create_invite",
        &[
            ("id", &id),
            ("expires_in_hours", "0"),
            ("max_uses", "100000"),
        ],
    )
    .await;
    let code = invite["code"].as_str().expect("invite code").to_owned();
    let form = [("code", code.as_str())];
    for chunk in users[1..].chunks(8) {
        futures::future::join_all(
            chunk
                .iter()
                .map(|u| call(&u.http, &base, "accept_invite", &form)),
        )
        .await;
    }
    let mut auth = Auth {
        kind: server.kind,
        base,
        users,
        room,
        sends,
    };
    auth.refresh().await;
    println!(
        "{} users signed up, room {room} joined by all, in {:.1} s",
        auth.users.len(),
        started.elapsed().as_secs_f64()
    );
    auth
}
