//! The cluster suite: three `palaver` processes share one PostgreSQL database and carry live
//! events over a NATS server this suite starts on a random port, so that it can stop it.
//! Always on PostgreSQL (a cluster needs it), whatever `PALAVER_TEST_STORE` says.
//!
//! The fault run: 3 conversations, 30 clients spread over the nodes (10 members each), two
//! senders per conversation whose bursts start on the next node in turn, as a round-robin load
//! balancer places connections, while (a) a node is SIGKILLed and restarted 5 times, (b) a
//! node is SIGSTOPped for 10 s, (c) NATS is stopped for 5 s. It prints acknowledged,
//! persisted, lost, duplicated, out-of-order and cross-node deliveries and the catch-up time
//! after each fault; lost, duplicated and out of order must be 0 and every client's view must
//! equal the stored history.

mod common;
#[path = "cluster/harness.rs"]
mod harness;
#[path = "cluster/traffic.rs"]
mod traffic;

use common::unique;
use harness::Cluster;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use traffic::{Jar, Receiver, Sender};

const NODES: usize = 3;
const CONVERSATIONS: usize = 3;
const CLIENTS: usize = 30;

/// Signs up `CLIENTS` users (user `i` through node `i % NODES`) and puts user `i` in
/// conversation `i % CONVERSATIONS`, owned by user `c`. Returns the jars and conversations.
async fn members(cluster: &Cluster) -> (Vec<(Jar, String)>, Vec<i64>) {
    let mut users = Vec::new();
    for i in 0..CLIENTS {
        let jar: Jar = Arc::new(reqwest::cookie::Jar::default());
        let name = unique(&format!("u{i}x"));
        cluster.client_on(i % NODES, &jar).sign_up(&name).await;
        users.push((jar, name));
    }
    let mut conversations = Vec::new();
    for c in 0..CONVERSATIONS {
        let owner = cluster.client_on(c % NODES, &users[c].0);
        let id = owner.create_conversation(&format!("Room {c}")).await;
        let code = owner.invite(id).await;
        for i in (c + CONVERSATIONS..CLIENTS).step_by(CONVERSATIONS) {
            cluster
                .client_on(i % NODES, &users[i].0)
                .call("accept_invite", &[("code", &code)])
                .await
                .ok::<Value>();
        }
        conversations.push(id);
    }
    (users, conversations)
}

/// Someone new, signed up through node `i`, who joined with invite `code`.
async fn joined(cluster: &Cluster, i: usize, prefix: &str, code: &str) -> (Jar, common::Client) {
    let jar: Jar = Default::default();
    let client = cluster.client_on(i, &jar);
    client.sign_up(&unique(prefix)).await;
    client
        .call("accept_invite", &[("code", code)])
        .await
        .ok::<Value>();
    (jar, client)
}

/// Waits until every receiver holds its conversation's newest stored seq; the time it took.
async fn catch_up(
    cluster: &Cluster,
    db: &sqlx::AnyPool,
    receivers: &[(i64, Receiver)],
    from: Instant,
) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut behind = 0;
        for (conversation, receiver) in receivers {
            let newest = *cluster
                .stored_seqs(db, *conversation)
                .await
                .last()
                .unwrap_or(&0);
            if receiver.view.lock().unwrap().last() < newest {
                behind += 1;
            }
        }
        if behind == 0 {
            return from.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{behind} clients never caught up"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn bursts(senders: &mut [Sender], tag: &str, count: usize) {
    futures::future::join_all(senders.iter_mut().map(|s| s.burst(tag, count))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_lose_nothing_through_kills_a_stopped_node_and_a_bus_outage() {
    let mut cluster = Cluster::start(NODES).await;
    let db = cluster.database().await;
    let nodes: Vec<_> = (0..NODES).map(|i| cluster.addr(i)).collect();
    let (users, conversations) = members(&cluster).await;
    let stop = Arc::new(AtomicBool::new(false));
    // User i listens from node (i / 3) % 3: each conversation has members on every node.
    let receivers: Vec<(i64, Receiver)> = users
        .iter()
        .enumerate()
        .map(|(i, (jar, _))| {
            let conversation = conversations[i % CONVERSATIONS];
            let home = (i / CONVERSATIONS) % NODES;
            let receiver =
                Receiver::spawn(nodes.clone(), home, jar.clone(), conversation, stop.clone());
            (conversation, receiver)
        })
        .collect();
    // Two senders per conversation (members c and c + 3), starting on different nodes.
    let mut senders: Vec<Sender> = (0..2 * CONVERSATIONS)
        .map(|k| {
            let (jar, name) = &users[k];
            Sender::new(
                name.clone(),
                nodes.clone(),
                k % NODES,
                jar.clone(),
                conversations[k % CONVERSATIONS],
            )
        })
        .collect();

    let mut catch_ups = Vec::new();
    let started = Instant::now();
    bursts(&mut senders, "steady", 20).await;
    catch_ups.push(("steady", catch_up(&cluster, &db, &receivers, started).await));

    // (a) SIGKILL node 2 and start it again, 5 times, with a burst while it is down.
    for round in 0..5 {
        cluster.kill(2);
        bursts(&mut senders, &format!("kill{round}"), 8).await;
        cluster.resume(2).await;
        let back = Instant::now();
        catch_ups.push((
            "kill -9 + restart",
            catch_up(&cluster, &db, &receivers, back).await,
        ));
    }

    // (b) SIGSTOP node 1 for 10 s during a burst.
    cluster.signal(1, libc::SIGSTOP);
    let continued = {
        let cluster = &cluster;
        let (_, continued) = tokio::join!(bursts(&mut senders, "stop", 10), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            cluster.signal(1, libc::SIGCONT);
            Instant::now()
        });
        continued
    };
    catch_ups.push((
        "SIGSTOP 10 s",
        catch_up(&cluster, &db, &receivers, continued).await,
    ));

    // (c) NATS down for 5 s during a burst: every node reports not ready meanwhile, and
    // recovers by itself.
    cluster.nats.stop();
    let down = Instant::now();
    let mut unready = 0;
    while unready < NODES && down.elapsed() < Duration::from_secs(3) {
        unready = 0;
        for i in 0..NODES {
            if cluster.readiness(i).await == 503 {
                unready += 1;
            }
        }
    }
    assert_eq!(unready, NODES, "every node reports not ready without NATS");
    let nats = &mut cluster.nats;
    let (_, restarted) = tokio::join!(bursts(&mut senders, "nats", 10), async {
        tokio::time::sleep(Duration::from_secs(5).saturating_sub(down.elapsed())).await;
        nats.resume().await;
        Instant::now()
    });
    for i in 0..NODES {
        assert!(
            cluster.ready_within(i, Duration::from_secs(10)).await,
            "node {i} ready again"
        );
    }
    catch_ups.push((
        "NATS down 5 s",
        catch_up(&cluster, &db, &receivers, restarted).await,
    ));

    stop.store(true, Ordering::Relaxed);
    let (mut lost, mut duplicated, mut out_of_order, mut cross_node, mut reconnects) =
        (0, 0, 0, 0, 0);
    let mut views = Vec::new();
    for (conversation, receiver) in receivers {
        let view = receiver.view.clone();
        receiver.join().await;
        views.push((conversation, view));
    }
    for (conversation, view) in &views {
        let stored = cluster.stored_seqs(&db, *conversation).await;
        let view = view.lock().unwrap();
        lost += stored.iter().filter(|s| !view.seqs.contains(s)).count();
        assert_eq!(view.waiting(), 0, "nothing waits for a gap");
        duplicated += view.duplicates;
        out_of_order += view.out_of_order;
        cross_node += view.cross_node;
        reconnects += view.reconnects;
        assert_eq!(view.seqs, stored, "a client's view is the stored history");
    }
    let mut acknowledged = 0;
    let mut retried = 0;
    for sender in &senders {
        retried += sender.retried;
        acknowledged += sender.acked.len();
    }
    // Each acknowledged message is stored once, under the seq its ack gave, however many
    // times it was sent again through another node.
    let mut persisted = 0;
    for sender in &senders {
        for (client_id, seq) in &sender.acked {
            let seqs: Vec<i64> =
                sqlx::query_scalar("SELECT seq FROM messages WHERE client_id = $1")
                    .bind(client_id)
                    .fetch_all(&db)
                    .await
                    .expect("messages readable");
            assert_eq!(
                seqs,
                vec![*seq],
                "{client_id} is stored once, as acknowledged"
            );
            persisted += seqs.len();
        }
    }
    println!(
        "cluster ({NODES} nodes, {CONVERSATIONS} conversations, {CLIENTS} clients): \
         acknowledged {acknowledged}, persisted {persisted}, lost {lost}, duplicated {duplicated}, \
         out of order {out_of_order}, cross-node deliveries {cross_node}, sends retried through \
         another node {retried}, client (re)connections {reconnects}"
    );
    for (fault, took) in &catch_ups {
        println!("cluster catch-up after {fault}: {} ms", took.as_millis());
    }
    assert_eq!(
        persisted, acknowledged,
        "every acknowledged message is stored once"
    );
    assert_eq!((lost, duplicated, out_of_order), (0, 0, 0));
    assert!(cross_node > 0, "deliveries crossed nodes");
}

/// Signing out elsewhere, on one node, closes the other sessions' sockets on every node
/// within a second; a file uploaded through one node is served by another; a removal
/// reaches the removed member's socket on another node.
#[tokio::test]
async fn sign_out_elsewhere_and_removal_reach_sockets_on_every_node() {
    let cluster = Cluster::start(NODES).await;
    let name = unique("roamer");
    let home: Jar = Arc::new(reqwest::cookie::Jar::default());
    let me = cluster.client_on(0, &home);
    me.sign_up(&name).await;
    let mut sockets = Vec::new();
    for i in 0..NODES {
        let jar: Jar = Arc::new(reqwest::cookie::Jar::default());
        let device = cluster.client_on(i, &jar);
        device.sign_in(&name, common::PASSWORD).await.ok::<Value>();
        sockets.push(device.socket().await);
    }
    let revoked = Instant::now();
    let ended: usize = cluster
        .client_on(1, &home)
        .call("revoke_other_sessions", &[])
        .await
        .ok();
    assert_eq!(ended, NODES);
    for (i, socket) in sockets.iter_mut().enumerate() {
        let code = socket
            .close_code(Duration::from_secs(1).saturating_sub(revoked.elapsed()))
            .await;
        assert_eq!(
            code,
            Some(palaver::protocol::close::SESSION_ENDED),
            "node {i}"
        );
    }
    println!(
        "cluster: 3 sockets on 3 nodes closed {} ms after sign-out elsewhere",
        revoked.elapsed().as_millis()
    );

    let owner = cluster.client_on(0, &home);
    let conversation = owner.create_conversation("Team").await;
    // A file uploaded through one node is served by another (a shared --files-dir).
    let uploaded: Value = owner
        .upload(conversation, "notes.txt", b"shared notes".to_vec())
        .await
        .ok();
    let id = uploaded["id"].as_str().expect("file id");
    let fetched = cluster
        .client_on(2, &home)
        .get(&format!("/files/{id}/notes.txt"))
        .await;
    assert_eq!(fetched.status, 200, "{fetched:?}");
    assert_eq!(fetched.body, Value::String("shared notes".into()));
    let code = owner.invite(conversation).await;
    let (_, member) = joined(&cluster, 2, "member", &code).await;
    let member_id = member.user_id().await;
    let mut socket = member.socket().await;
    owner
        .call(
            "remove_member",
            &[
                ("id", &conversation.to_string()),
                ("user_id", &member_id.to_string()),
            ],
        )
        .await
        .ok::<Value>();
    let removed = socket.next_of("conversation_removed").await;
    assert_eq!(removed["conversation_id"], conversation);
}

/// Presence across nodes: a member whose sockets open on every node at once is announced
/// online once (to a watcher on another node), stays online while any node holds a socket
/// of theirs, and goes offline within the presence expiry (10 s) when the last node holding
/// one is SIGKILLed.
#[tokio::test]
async fn presence_spans_nodes_and_leaves_with_a_dead_node() {
    let mut cluster = Cluster::start(NODES).await;
    let watcher_jar: Jar = Default::default();
    let watcher = cluster.client_on(0, &watcher_jar);
    watcher.sign_up(&unique("watcher")).await;
    let conversation = watcher.create_conversation("Presence").await;
    let code = watcher.invite(conversation).await;
    let (roamer_jar, roamer) = joined(&cluster, 1, "roamer", &code).await;
    let roamer_id = roamer.user_id().await;
    let mut watching = watcher.socket().await;

    // A storm: the roamer's sockets on every node, twice over, all at once. Every node
    // works presence out for itself, so the watcher's node announces it once.
    let roamers: Vec<_> = (0..2 * NODES)
        .map(|i| cluster.client_on(i % NODES, &roamer_jar))
        .collect();
    let mut sockets = futures::future::join_all(roamers.iter().map(|c| c.socket())).await;
    let mut presence = Vec::new();
    while presence.is_empty() {
        let f = watching
            .next_json_within(Duration::from_secs(5))
            .await
            .expect("presence within 5 s");
        if f["type"] == "presence" && f["user_id"] == roamer_id {
            presence.push(f);
        }
    }
    assert_eq!(presence[0]["online"], true);

    // Closing every socket but those on node 2 keeps the roamer online.
    for (i, socket) in sockets.iter_mut().enumerate() {
        if i % NODES != 2 {
            socket.ws.close(None).await.ok();
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let detail: Value = watcher
        .call("conversation", &[("id", &conversation.to_string())])
        .await
        .ok();
    assert!(
        detail["online"]
            .as_array()
            .unwrap()
            .contains(&roamer_id.into()),
        "{detail}"
    );

    // Node 2 dies without a word: the others take it for dead and the roamer goes offline.
    // The offline is the next presence frame of theirs: a second online from the storm, or an
    // early offline, would come before it.
    let killed = Instant::now();
    cluster.kill(2);
    let offline = loop {
        let f = watching
            .next_json_within(Duration::from_secs(15))
            .await
            .expect("presence within 15 s");
        if f["type"] == "presence" && f["user_id"] == roamer_id {
            break f;
        }
    };
    let took = killed.elapsed();
    assert_eq!(offline["online"], false, "{offline}");
    println!(
        "cluster: a SIGKILLed node's user went offline elsewhere after {} ms",
        took.as_millis()
    );
    assert!(
        took > Duration::from_secs(1),
        "not before the node was silent: {took:?}"
    );
    assert!(
        took < Duration::from_secs(14),
        "within the expiry and a heartbeat: {took:?}"
    );
}

/// The bus's own promise, below the sockets: an event crosses to the other node once; while
/// NATS is away a node is not ready; once NATS is back every local channel, conversation and
/// personal, is told to resync (events of that time may be lost).
#[tokio::test]
async fn the_bus_carries_events_between_nodes_and_resyncs_after_an_outage() {
    use palaver::server::{Hub, HubEvent, Topic};
    use palaver::{ConversationId, Seq, UserId};
    use palaver_server::bus::NatsHub;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut nats = harness::Nats::start().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let a = NatsHub::connect(&nats.url(), "bus_test", shutdown.clone())
        .await
        .expect("A connects");
    let b = NatsHub::connect(&nats.url(), "bus_test", shutdown.clone())
        .await
        .expect("B connects");
    let topic = Topic::Conversation(ConversationId(1));
    let (mut on_a, mut on_b) = (a.subscribe(topic), b.subscribe(topic));
    let mut personal = b.subscribe(Topic::User(UserId(1)));
    let event = |seq| HubEvent::Sequenced {
        conversation: ConversationId(1),
        seq: Seq(seq),
        payload: bytes::Bytes::from(format!("{{\"seq\":{seq}}}")),
    };
    a.publish(topic, event(1));
    a.publish(topic, event(2));
    for (name, rx) in [("A", &mut on_a), ("B", &mut on_b)] {
        for seq in [1, 2] {
            let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
            let got = got
                .unwrap_or_else(|_| panic!("{name} got {seq} in time"))
                .expect("open");
            assert!(
                matches!(got, HubEvent::Sequenced { seq: s, .. } if s == Seq(seq)),
                "{got:?}"
            );
        }
    }

    nats.stop();
    let down = Instant::now();
    while b.ready().is_ok() {
        assert!(
            down.elapsed() < Duration::from_secs(5),
            "B notices the outage"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(on_b.try_recv().is_err(), "no resync before NATS is back");
    nats.resume().await;
    for rx in [&mut on_a, &mut on_b, &mut personal] {
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("in time")
            .expect("open");
        assert!(matches!(got, HubEvent::Resync), "{got:?}");
    }
    assert!(a.ready().is_ok() && b.ready().is_ok());
    // A's own events reached A once, locally, never again from NATS: B's marker is next.
    b.publish(topic, event(3));
    let got = tokio::time::timeout(Duration::from_secs(5), on_a.recv())
        .await
        .expect("in time")
        .expect("open");
    assert!(
        matches!(got, HubEvent::Sequenced { seq, .. } if seq == Seq(3)),
        "{got:?}"
    );
    shutdown.cancel();
}

/// The sign-in throttle holds across nodes (SECURITY 26, 27): 40 wrong passwords at once,
/// spread over the three nodes, get the allowance of 5 checks in all, not 5 per node; the
/// account's owner is locked out everywhere until the window passes.
#[tokio::test]
async fn the_sign_in_throttle_is_one_for_the_whole_cluster() {
    let cluster = Cluster::start(NODES).await;
    let jar: Jar = Arc::new(reqwest::cookie::Jar::default());
    let name = unique("target");
    cluster.client_on(0, &jar).sign_up(&name).await;
    let attempts = 40;
    let calls = (0..attempts).map(|i| {
        let jar: Jar = Arc::new(reqwest::cookie::Jar::default());
        let client = cluster.client_on(i % NODES, &jar);
        let name = name.clone();
        async move {
            client
                .sign_in(&name, &format!("wrong-password-{i}"))
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(calls).await;
    let checked = statuses.iter().filter(|s| **s != 429).count();
    println!("cluster: {attempts} wrong passwords over {NODES} nodes at once: {checked} checked, the rest 429");
    assert_eq!(checked, 5, "{statuses:?}");
    for i in 0..NODES {
        let right = cluster
            .client_on(i, &jar)
            .sign_in(&name, common::PASSWORD)
            .await;
        assert_eq!(right.status, 429, "node {i}: locked out everywhere");
    }
}
