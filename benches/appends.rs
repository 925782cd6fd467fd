//! Persisted messages per second on each store: `Store::append_event`, the call every send
//! makes (claim the next seq, check membership and the client id, insert, commit), from one
//! writer and from eight writers into one hot conversation, on SQLite (a file in a temp dir,
//! WAL/NORMAL as the server runs it) and on PostgreSQL (a fresh database on
//! `PALAVER_TEST_POSTGRES`, default postgres://postgres@127.0.0.1:5432/postgres, dropped
//! after). Figures are printed, not asserted; the contract suite proves the gap-free seqs.
//!
//! Then the store's share of a send's latency: one writer at 100 appends/s for 10 s,
//! open-loop (an append queued behind a slow one is timed from its intended start), printing
//! p50 / p90 / p99 / p99.9 / max in ms. The load bench's send-to-ack figure is this plus the
//! socket, the gateway and the network.
//!
//! Run with `make bench` (dev profile, so it reuses the test build: the Rust layer is
//! unoptimised; the databases are not).

use palaver::model::{EventKind, UserView};
use palaver::server::store::{self, InviteLimits, JoinVia, NewEvent, NewUser};
use palaver::server::Store;
use palaver::ConversationId;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/scratch_pg.rs"]
mod scratch_pg;
use scratch_pg::ScratchPg;

const PER_WRITER: usize = 1_000;
/// The paced run: appends per second, and for how many seconds.
const PACED_RATE: u32 = 100;
const PACED_SECONDS: u32 = 10;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("appends.db").display());
    let pg = ScratchPg::create("palaver_bench").await;

    println!(
        "\n{:<12} {:>8} {:>10} {:>12} {:>14}",
        "store", "writers", "messages", "seconds", "messages/s"
    );
    let stores = [
        ("SQLite", sqlite_url.as_str()),
        ("PostgreSQL", pg.url.as_str()),
    ];
    for (name, url) in stores {
        let store = store::connect(url, 16).await.expect("store opens");
        for writers in [1usize, 8] {
            let (n, secs) = run(store.clone(), writers).await;
            println!(
                "{name:<12} {writers:>8} {n:>10} {secs:>12.2} {:>14.0}",
                n as f64 / secs
            );
        }
    }

    println!(
        "\nappend latency, one writer at {PACED_RATE}/s for {PACED_SECONDS} s (ms; open-loop: one queued behind a slow one is timed from its intended start)"
    );
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "store", "appends", "p50", "p90", "p99", "p99.9", "max"
    );
    for (name, url) in stores {
        let store = store::connect(url, 16).await.expect("store opens");
        let h = paced(store).await;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "{name:<12} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
            h.len(),
            ms(0.5),
            ms(0.9),
            ms(0.99),
            ms(0.999),
            h.max() as f64 / 1000.0
        );
    }

    pg.drop_database().await;
}

/// One member appends PACED_RATE messages a second for PACED_SECONDS into a new
/// conversation, each started at its intended time; the latencies in µs.
async fn paced(store: Arc<dyn Store>) -> hdrhistogram::Histogram<u64> {
    let (id, members) = conversation(store.clone(), 1).await;
    let who = &members[0];
    let mut h = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
    let period = Duration::from_secs(1) / PACED_RATE;
    let start = Instant::now() + period;
    let mut previous_end = Instant::now();
    for n in 0..PACED_RATE * PACED_SECONDS {
        let intended = start + period * n;
        tokio::time::sleep_until(intended.into()).await;
        // Queued behind a slow previous append, it is charged from its intended time; else
        // from when the timer woke us (tokio's timer is up to ~1 ms late, not the store).
        let charged_from = if previous_end > intended {
            intended
        } else {
            Instant::now()
        };
        append(&store, id, who, &format!("p{n}")).await;
        previous_end = Instant::now();
        h.record((previous_end - charged_from).as_micros() as u64)
            .expect("in range");
    }
    h
}

/// `writers` members each append PER_WRITER messages into one new conversation at once.
async fn run(store: Arc<dyn Store>, writers: usize) -> (usize, f64) {
    let (id, members) = conversation(store.clone(), writers).await;
    let started = Instant::now();
    let tasks: Vec<_> = members
        .into_iter()
        .map(|m| {
            let store = store.clone();
            tokio::spawn(async move { write(store, id, m).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer");
    }
    (writers * PER_WRITER, started.elapsed().as_secs_f64())
}

/// A new conversation of `writers` new members.
async fn conversation(store: Arc<dyn Store>, writers: usize) -> (ConversationId, Vec<UserView>) {
    let tag = format!("{writers}w{}", palaver::Timestamp::now().as_millis());
    let mut members = Vec::new();
    for i in 0..writers {
        let name = format!("b{tag}x{i}");
        let user = store
            .create_user(NewUser {
                username: &name,
                key: &name,
                skeleton: &name,
                password_hash: "not-a-real-hash",
                now: palaver::Timestamp(0),
            })
            .await
            .expect("user");
        members.push(user);
    }
    let owner = members[0].clone();
    let id = store
        .create_conversation(
            owner.id,
            &format!("bench {tag}"),
            false,
            palaver::Timestamp(0),
        )
        .await
        .expect("conversation")
        .id;
    let code = format!("bench-{tag}").into_bytes();
    let open = InviteLimits {
        expires_at: None,
        max_uses: None,
    };
    store
        .create_invite(id, &code, owner.id, palaver::Timestamp(0), open)
        .await
        .expect("invite");
    for m in &members[1..] {
        store
            .join(
                JoinVia::Invite(&code),
                m,
                &format!("join-{}", m.id),
                palaver::Timestamp(0),
                i64::MAX,
            )
            .await
            .expect("join");
    }
    (id, members)
}

async fn write(store: Arc<dyn Store>, id: ConversationId, who: UserView) {
    for n in 0..PER_WRITER {
        append(&store, id, &who, &format!("m{n}")).await;
    }
}

/// One plain message of about 64 bytes from `who`, which must be new.
async fn append(store: &Arc<dyn Store>, id: ConversationId, who: &UserView, client_id: &str) {
    let inserted = store
        .append_event(NewEvent {
            conversation_id: id,
            kind: EventKind::Message,
            target_seq: None,
            sender: who,
            client_id,
            body: "a message of an ordinary length, about sixty-four bytes long",
            now: palaver::Timestamp(1),
            moderator: false,
            erasure: false,
            mentions: &[],
            reply_to: None,
            attachments: &[],
        })
        .await
        .expect("append");
    assert!(inserted.created);
}
