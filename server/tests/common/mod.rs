//! `spawn_app()`: the real application on a random port with a fresh data directory, and a
//! client that talks to it the way the browser does (server functions over HTTP with a cookie
//! jar, the WebSocket with a token).
#![allow(dead_code)]

pub mod process;
pub mod store;

use futures::{SinkExt, StreamExt};
use palaver_server::{Application, Config};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const PASSWORD: &str = "correct-horse-battery-9";

pub struct TestApp {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The app's database (SQLite in the data directory, or PostgreSQL).
    pub database_url: String,
    /// Where `/metrics` is served, when the test set `metrics_listen`.
    pub metrics_addr: Option<SocketAddr>,
    _dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The app with one account already signed up: that first user owns the General room, so
/// the users a test creates start with an empty side nav. (`spawn_app_in` is a fresh
/// install.)
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let mut app = spawn_app_in(path, None).await;
    app._dir = Some(dir);
    app.client().sign_up(&unique("founder")).await;
    app
}

/// Like [`spawn_app`], with the configuration changed by `tweak` first.
pub async fn spawn_app_with(tweak: fn(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let mut app = spawn_app_in(path, Some(tweak)).await;
    app._dir = Some(dir);
    app.client().sign_up(&unique("founder")).await;
    app
}

/// The production rates for typing, reads, syncs, renewals, joins, invites and admin
/// actions (tests otherwise run with them multiplied, see `Config::for_tests`).
pub fn real_rates(c: &mut Config) {
    c.rate_scale = 1;
}

/// Starts the app on `data_dir` (kept by the caller, so a restart finds the same database).
pub async fn spawn_app_in(data_dir: PathBuf, tweak: Option<fn(&mut Config)>) -> TestApp {
    let mut config = Config::for_tests(data_dir.clone());
    config.database_url = store::database_url_for(&data_dir).await;
    if let Some(tweak) = tweak {
        tweak(&mut config);
    }
    let database_url = config.database_url();
    let app = Application::build(config)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        data_dir,
        database_url,
        metrics_addr,
        _dir: None,
        stop: Some(tx),
        handle: Some(handle),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// A client signed up as a fresh user named after `prefix`; returns it with the name.
    pub async fn signed_up(&self, prefix: &str) -> (Client, String) {
        let c = self.client();
        let name = unique(prefix);
        c.sign_up(&name).await;
        (c, name)
    }

    /// A second connection to the app's database (either backend), for a test to look at or
    /// tamper with what the server stored. Statements use `$1..$n` placeholders.
    pub async fn database(&self) -> sqlx::AnyPool {
        store::open(&self.database_url).await
    }

    /// Graceful stop, as on SIGTERM.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }

    /// Hard stop, like a crash: the server task is aborted without any shutdown.
    pub fn kill(mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
        self.stop.take();
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub addr: SocketAddr,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

/// A server function's answer: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn ok<T: DeserializeOwned>(self) -> T {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        serde_json::from_value(self.body).expect("response has the expected shape")
    }

    /// The user-facing message of an `AppError` reply.
    pub fn message(&self) -> String {
        self.body["message"].as_str().unwrap_or_default().to_owned()
    }
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Self::sharing(addr, &std::sync::Arc::new(reqwest::cookie::Jar::default()))
    }

    /// A client for `addr` whose cookies are `jar`'s, shared with other clients (a session is
    /// valid on every node of a cluster).
    pub fn sharing(addr: SocketAddr, jar: &std::sync::Arc<reqwest::cookie::Jar>) -> Client {
        let jar = jar.clone();
        Client {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            base: format!("http://{addr}"),
            addr,
            jar,
        }
    }

    /// Calls a server function the way the browser app does: a same-origin POST with a
    /// url-encoded body.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            headers,
        }
    }

    /// Uploads `bytes` as `name` to conversation `conv` (`POST /api/attachments`).
    pub async fn upload(&self, conv: i64, name: &str, bytes: Vec<u8>) -> Reply {
        let res = self
            .http
            .post(format!("{}/api/attachments", self.base))
            .query(&[
                ("conversation_id", conv.to_string()),
                ("name", name.to_owned()),
            ])
            .header("origin", &self.base)
            .body(bytes)
            .send()
            .await
            .expect("request sent");
        Self::reply(res).await
    }

    /// A GET of `path` with the session cookie; the body as JSON, or as text when it is not.
    pub async fn get(&self, path: &str) -> Reply {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent");
        Self::reply(res).await
    }

    async fn reply(res: reqwest::Response) -> Reply {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn sign_up(&self, username: &str) -> Value {
        self.call("sign_up", &[("username", username), ("password", PASSWORD)])
            .await
            .ok()
    }

    /// The signed-in user's id.
    pub async fn user_id(&self) -> i64 {
        let me: Value = self.call("me", &[]).await.ok();
        me["id"].as_i64().expect("signed in")
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Reply {
        self.call("sign_in", &[("username", username), ("password", password)])
            .await
    }

    pub async fn create_conversation(&self, title: &str) -> i64 {
        let v: Value = self
            .call("create_conversation", &[("title", title)])
            .await
            .ok();
        v["id"].as_i64().expect("conversation id")
    }

    pub async fn invite(&self, id: i64) -> String {
        let v: Value = self
            .call("create_invite", &[("id", &id.to_string())])
            .await
            .ok();
        v["code"].as_str().expect("invite code").to_owned()
    }

    pub async fn history(&self, id: i64) -> Reply {
        self.call("history", &[("id", &id.to_string())]).await
    }

    pub async fn ws_token(&self) -> String {
        let v: Value = self.call("ws_token", &[]).await.ok();
        v["token"].as_str().expect("token").to_owned()
    }

    /// The `Cookie` header the browser would send (the session cookie).
    pub fn cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().expect("base url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Like [`Self::socket`], with the client's receive buffer pinned to `bytes`: Linux may
    /// otherwise grow a loopback receive buffer to `tcp_rmem`'s maximum (32 MiB on some
    /// machines), which would swallow a firehose and hide a client that stops reading.
    pub async fn socket_with_recv_buffer(&self, bytes: u32) -> Socket {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let tcp = tokio::net::TcpSocket::new_v4().expect("tcp socket");
        tcp.set_recv_buffer_size(bytes).expect("buffer size");
        let stream = tcp.connect(self.addr).await.expect("connects");
        let mut req = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "cookie",
            self.cookie().expect("signed in").parse().expect("cookie"),
        );
        let (ws, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
            .await
            .expect("handshake");
        let mut socket = Socket { ws };
        let token = self.ws_token().await;
        socket
            .send_json(&serde_json::json!({"type": "auth", "token": token}))
            .await;
        assert_eq!(socket.next_json().await["type"], "ready");
        socket
    }

    /// An authenticated WebSocket, past its `ready` frame.
    pub async fn socket(&self) -> Socket {
        self.socket_at(self.addr).await
    }

    /// Like [`Self::socket`], through `addr` (a proxy in front of the app).
    pub async fn socket_at(&self, addr: SocketAddr) -> Socket {
        let token = self.ws_token().await;
        let mut socket = Socket::connect_as(addr, self).await;
        socket
            .send_json(&serde_json::json!({"type": "auth", "token": token}))
            .await;
        let ready = socket.next_json().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        socket
    }
}

pub struct Socket {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// A handshake with the client's session cookie, as a browser tab makes it.
    pub async fn connect_as(addr: SocketAddr, client: &Client) -> Socket {
        Self::try_connect(addr, client.cookie().as_deref())
            .await
            .expect("socket connects")
    }

    /// A handshake with the given `Cookie` header (or none); the HTTP error if refused.
    pub async fn try_connect(
        addr: SocketAddr,
        cookie: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("request");
        if let Some(cookie) = cookie {
            req.headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Socket { ws })
    }

    pub async fn send_json(&mut self, v: &Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("frame sent");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("frame sent");
    }

    /// The next JSON text frame (pings skipped); panics after 5 s.
    pub async fn next_json(&mut self) -> Value {
        self.next_json_within(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    pub async fn next_json_within(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match msg {
                Ok(Message::Text(t)) => {
                    return Some(serde_json::from_str(&t).expect("server frames are JSON"))
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads frames until one of `kind` arrives.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next_json().await;
            if f["type"] == kind {
                return f;
            }
        }
    }

    /// Reads frames until one satisfies `is_marker`; returns the frames that came before it.
    /// Proves absence without a timeout: the server writes a socket's events of one
    /// conversation in the order they were published, so whatever was published before the
    /// marker is among the frames returned (panics if the marker takes more than 5 s).
    pub async fn frames_before(&mut self, is_marker: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut before = Vec::new();
        loop {
            let f = self.next_json().await;
            if is_marker(&f) {
                return before;
            }
            before.push(f);
        }
    }

    /// The next ordinary message written by `author` (skipping echoes, joins and the rest).
    pub async fn next_message_from(&mut self, author: &str) -> Value {
        loop {
            let f = self.next_of("message").await;
            if f["message"]["kind"] == "message" && f["message"]["author"] == author {
                return f["message"].clone();
            }
        }
    }

    /// Waits for the server to close the socket; returns the close code.
    pub async fn close_code(&mut self, limit: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => return Some(1006),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Some(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) => return Some(1006),
            }
        }
    }

    pub async fn send_message(&mut self, conversation: i64, client_id: &str, body: &str) -> Value {
        self.send_json(&serde_json::json!({
            "type": "send", "conversation_id": conversation, "client_id": client_id, "body": body
        }))
        .await;
        loop {
            let f = self.next_json().await;
            if (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id {
                return f;
            }
        }
    }
}

pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}_{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
