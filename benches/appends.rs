//! Persisted messages per second on each store: `Store::append_event`, the call every send
//! makes (claim the next seq, check membership and the client id, insert, commit), from one
//! writer and from eight writers into one hot conversation, on SQLite (a file in a temp dir,
//! WAL/NORMAL as the server runs it) and on PostgreSQL (a fresh database on
//! `PALAVER_TEST_POSTGRES`, default postgres://postgres@127.0.0.1:5432/postgres, dropped
//! after). Figures are printed, not asserted; the contract suite proves the gap-free seqs.
//!
//! Run with `make bench` (dev profile, so it reuses the test build: the Rust layer is
//! unoptimised; the databases are not).

use palaver::model::{EventKind, UserView};
use palaver::server::store::{self, InviteLimits, JoinVia, NewEvent, NewUser};
use palaver::server::Store;
use palaver::ConversationId;
use std::sync::Arc;
use std::time::Instant;

#[path = "support/scratch_pg.rs"]
mod scratch_pg;
use scratch_pg::ScratchPg;

const PER_WRITER: usize = 1_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("appends.db").display());
    let pg = ScratchPg::create("palaver_bench").await;

    println!(
        "\n{:<12} {:>8} {:>10} {:>12} {:>14}",
        "store", "writers", "messages", "seconds", "messages/s"
    );
    for (name, url) in [
        ("SQLite", sqlite_url.as_str()),
        ("PostgreSQL", pg.url.as_str()),
    ] {
        let store = store::connect(url, 16).await.expect("store opens");
        for writers in [1usize, 8] {
            let (n, secs) = run(store.clone(), writers).await;
            println!(
                "{name:<12} {writers:>8} {n:>10} {secs:>12.2} {:>14.0}",
                n as f64 / secs
            );
        }
    }

    pg.drop_database().await;
}

/// `writers` members each append PER_WRITER messages into one new conversation at once.
async fn run(store: Arc<dyn Store>, writers: usize) -> (usize, f64) {
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

async fn write(store: Arc<dyn Store>, id: ConversationId, who: UserView) {
    for n in 0..PER_WRITER {
        let client_id = format!("m{n}");
        let inserted = store
            .append_event(NewEvent {
                conversation_id: id,
                kind: EventKind::Message,
                target_seq: None,
                sender: &who,
                client_id: &client_id,
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
}
