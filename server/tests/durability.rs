//! Kill -9 during bursts of sends from several clients, restart, let the clients resume the
//! way the browser does (sync from their last seq, resend what was not acknowledged with the
//! same client id), and check SECURITY.md 21-22: every acknowledged message is stored exactly
//! once, no client misses or duplicates one, all agree on the order. Prints the figures.

mod common;

use common::process::{free_addr, ServerProcess as Server};
use common::{unique, Client, Socket, PASSWORD};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

const CLIENTS: usize = 4;
const CYCLES: usize = 5;
const BURST: usize = 40;

/// One chat participant that behaves like the browser client.
struct Agent {
    http: Client,
    id: usize,
    /// Typed but not acknowledged, oldest first: resent with the same client id.
    outbox: VecDeque<String>,
    next: usize,
    acked: HashSet<String>,
    /// Every message this client has shown, in arrival order (seq, client id).
    seen: Vec<(i64, String)>,
    duplicates_seen: usize,
}

impl Agent {
    fn last_seq(&self) -> i64 {
        self.seen.last().map_or(0, |s| s.0)
    }

    fn record(&mut self, m: &Value) {
        let seq = m["seq"].as_i64().unwrap();
        let cid = format!(
            "{}:{}",
            m["author"].as_str().unwrap(),
            m["client_id"].as_str().unwrap()
        );
        if seq <= self.last_seq() {
            self.duplicates_seen += 1;
        } else {
            self.seen.push((seq, cid));
        }
    }

    /// Applies frames until `until` matches one; returns it. Gaps trigger a sync.
    async fn pump(
        &mut self,
        ws: &mut Socket,
        conv: i64,
        until: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        loop {
            let f = ws.next_json_within(Duration::from_secs(5)).await?;
            match f["type"].as_str() {
                Some("message") => {
                    let seq = f["message"]["seq"].as_i64().unwrap();
                    if seq > self.last_seq() + 1 {
                        // A gap: fetch it before accepting anything newer.
                        ws.send_json(&json!({"type":"sync","conversation_id":conv,"after_seq":self.last_seq()})).await;
                        continue;
                    }
                    self.record(&f["message"]);
                }
                Some("synced") if f["complete"] == false => {
                    ws.send_json(
                        &json!({"type":"sync","conversation_id":conv,"after_seq":self.last_seq()}),
                    )
                    .await;
                }
                _ => {}
            }
            if until(&f) {
                return Some(f);
            }
        }
    }

    /// Connects, catches up, resends the outbox, then sends new messages up to `target`.
    /// Returns when done or when the server disappears.
    async fn session(&mut self, conv: i64, target: usize, name: &str) {
        let Ok(token) =
            tokio::time::timeout(Duration::from_secs(5), self.http.call("ws_token", &[])).await
        else {
            return;
        };
        let Some(token) = token.body["token"].as_str().map(str::to_owned) else {
            return;
        };
        let cookie = self.http.cookie();
        let Ok(Ok(mut ws)) = tokio::time::timeout(
            Duration::from_secs(5),
            Socket::try_connect(self.http.addr, cookie.as_deref()),
        )
        .await
        else {
            return;
        };
        ws.send_json(&json!({"type":"auth","token":token})).await;
        if self
            .pump(&mut ws, conv, |f| f["type"] == "ready")
            .await
            .is_none()
        {
            return;
        }
        ws.send_json(&json!({"type":"sync","conversation_id":conv,"after_seq":self.last_seq()}))
            .await;
        if self
            .pump(&mut ws, conv, |f| {
                f["type"] == "synced" && f["complete"] == true
            })
            .await
            .is_none()
        {
            return;
        }
        loop {
            if self.outbox.is_empty() {
                if self.next >= target {
                    return;
                }
                self.outbox.push_back(format!("{}-{}", self.id, self.next));
                self.next += 1;
            }
            let cid = self.outbox.front().unwrap().clone();
            let frame = json!({"type":"send","conversation_id":conv,"client_id":cid,"body":format!("{name} says {cid}")});
            if ws
                .ws
                .send(tokio_tungstenite::tungstenite::Message::Text(
                    frame.to_string().into(),
                ))
                .await
                .is_err()
            {
                return;
            }
            let want = cid.clone();
            match self
                .pump(&mut ws, conv, move |f| {
                    f["type"] == "ack" && f["client_id"] == want.as_str()
                })
                .await
            {
                Some(_) => {
                    self.outbox.pop_front();
                    self.acked.insert(format!("{name}:{cid}"));
                }
                None => return,
            }
        }
    }
}

use futures::SinkExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_nine_exactly_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut server = Some(Server::start(addr, dir.path()).await);

    let names: Vec<String> = (0..CLIENTS).map(|i| unique(&format!("k{i}_"))).collect();
    let mut agents = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let http = Client::for_addr(addr);
        http.call("sign_up", &[("username", name), ("password", PASSWORD)])
            .await
            .ok::<Value>();
        agents.push(Agent {
            http,
            id: i,
            outbox: VecDeque::new(),
            next: 0,
            acked: HashSet::new(),
            seen: Vec::new(),
            duplicates_seen: 0,
        });
    }
    let conv = agents[0].http.create_conversation("Crash test").await;
    let code = agents[0].http.invite(conv).await;
    for a in &agents[1..] {
        a.http
            .call("accept_invite", &[("code", &code)])
            .await
            .ok::<Value>();
    }

    let mut kills = 0;
    for cycle in 0..=CYCLES {
        let target = BURST * (cycle + 1);
        let last = cycle == CYCLES;
        let mut tasks = Vec::new();
        for (mut agent, name) in agents.drain(..).zip(names.iter().cloned()) {
            tasks.push(tokio::spawn(async move {
                agent.session(conv, target, &name).await;
                agent
            }));
        }
        if !last {
            // Kill somewhere inside the burst.
            let delay = 80 + (cycle as u64 * 137) % 400;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            server.take().expect("running").kill9();
            kills += 1;
        }
        for t in tasks {
            agents.push(t.await.unwrap());
        }
        if !last {
            server = Some(Server::start(addr, dir.path()).await);
        }
    }
    // Clients that finished early catch up on what others sent after them, as an open app does.
    let target = BURST * (CYCLES + 1);
    for (agent, name) in agents.iter_mut().zip(names.iter()) {
        agent.session(conv, target, name).await;
    }
    // Every agent finished its outbox in the last, uninterrupted cycle.
    for a in &agents {
        assert!(
            a.outbox.is_empty(),
            "agent {} still has unsent messages",
            a.id
        );
    }

    // What the database holds, read through the API page by page.
    let reader = &agents[0].http;
    let mut stored: Vec<(i64, String)> = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("id", conv.to_string())];
        if let Some(b) = before {
            form.push(("before", b.to_string()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page: Value = reader.call("history", &form).await.ok();
        let msgs = page["messages"].as_array().unwrap().clone();
        let mut batch: Vec<(i64, String)> = msgs
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    format!(
                        "{}:{}",
                        m["author"].as_str().unwrap(),
                        m["client_id"].as_str().unwrap()
                    ),
                )
            })
            .collect();
        before = batch.first().map(|b| b.0);
        batch.append(&mut stored);
        stored = batch;
        if page["has_older"] == false {
            break;
        }
    }

    let acknowledged: HashSet<String> = agents
        .iter()
        .flat_map(|a| a.acked.iter().cloned())
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, cid) in &stored {
        *counts.entry(cid.as_str()).or_default() += 1;
    }
    // The sequence also holds the join events of the invited clients.
    let messages_stored = stored
        .iter()
        .filter(|(_, cid)| !cid.contains(":join-"))
        .count();
    let lost = acknowledged
        .iter()
        .filter(|c| !counts.contains_key(c.as_str()))
        .count();
    let duplicated = counts.values().filter(|&&n| n > 1).count();
    let gap_free = stored
        .iter()
        .enumerate()
        .all(|(i, (seq, _))| *seq == i as i64 + 1);
    let mut out_of_order = if gap_free { 0 } else { 1 };
    let mut client_missed = 0;
    let mut client_dups = 0;
    for a in &agents {
        // Each client must have shown exactly the stored sequence, in the stored order.
        if a.seen != stored {
            out_of_order += 1;
        }
        client_missed += stored.len().saturating_sub(a.seen.len());
        client_dups += a.duplicates_seen;
    }

    println!(
        "durability: {CLIENTS} clients, {kills} kill -9 cycles, {} sent: acknowledged {} / persisted {} / lost {lost} / duplicated {duplicated} / out of order {out_of_order}; clients missed {client_missed}, redundant deliveries deduplicated by clients {client_dups} (catch-up overlapping live traffic)",
        CLIENTS * BURST * (CYCLES + 1),
        acknowledged.len(),
        messages_stored,
    );
    assert_eq!(
        messages_stored,
        CLIENTS * BURST * (CYCLES + 1),
        "every message sent was eventually stored"
    );
    assert_eq!(
        stored.len(),
        messages_stored + CLIENTS - 1,
        "plus one join per invited client"
    );
    assert_eq!(lost, 0);
    assert_eq!(duplicated, 0);
    assert_eq!(
        out_of_order, 0,
        "sequence gap-free and every client saw the stored order"
    );
    assert_eq!(client_missed, 0);
    assert!(kills >= CYCLES);
    if let Some(s) = server {
        s.kill9();
    }
}
