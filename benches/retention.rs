//! Retention never stalls live sends (issue 14): send-to-commit latency of an open-loop
//! sender at 200 messages/s into one conversation, first alone, then while a retention pass
//! deletes every expired message of 100 other conversations, on SQLite (a file in a temp
//! dir, WAL/NORMAL as the server runs it) and on PostgreSQL (a fresh database on
//! `PALAVER_TEST_POSTGRES`, dropped after). The pass is the server's own
//! (`Chat::prune_expired`: batches of `PRUNE_BATCH` in their own transactions); the sends
//! are `Chat::send_message`, as a socket's `send` makes them.
//!
//! `PALAVER_BENCH_SCALE=full` (`make bench`) expires 1,000,000 messages on PostgreSQL and
//! 100,000 on SQLite; `small` (`make test`) a tenth. Figures are printed, not asserted.

use hdrhistogram::Histogram;
use palaver::model::UserView;
use palaver::server::auth::TokenKeys;
use palaver::server::chat::{PRUNE_BATCH, PRUNE_TARGET};
use palaver::server::files::LocalFiles;
use palaver::server::limits::LimitsConfig;
use palaver::server::store::{self, NewUser, Store};
use palaver::server::{Chat, ChatConfig, LocalHub};
use palaver::{ConversationId, Timestamp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/scratch_pg.rs"]
mod scratch_pg;
use scratch_pg::ScratchPg;

const CONVERSATIONS: i64 = 100;
const SENDS_PER_SECOND: u64 = 200;
const DAY_MS: i64 = 86_400_000;

#[tokio::main]
async fn main() {
    // Expired messages on (SQLite, PostgreSQL). SQLite deletes about a thousand a second (the
    // search index's secure-delete forgets each trigram of each text, SECURITY 32): a million
    // would take this bench an hour, and the sends' latency depends on one batch, not on
    // how many follow.
    let (sqlite_expired, pg_expired): (i64, i64) =
        match std::env::var("PALAVER_BENCH_SCALE").as_deref() {
            Ok("small") => (10_000, 100_000),
            _ => (100_000, 1_000_000),
        };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("retention.db").display());
    let pg = ScratchPg::create("palaver_retention").await;

    println!(
        "\nRetention: sends at {SENDS_PER_SECOND}/s into one conversation, alone and during a pass deleting the expired messages of {CONVERSATIONS} others"
    );
    println!(
        "{:<11} {:<16} {:>7} {:>9} {:>9} {:>9} {:>10} {:>12}",
        "store", "sends", "count", "p50 ms", "p99 ms", "max ms", "pass s", "deleted/s"
    );
    for (name, url, expired) in [
        ("SQLite", sqlite_url.clone(), sqlite_expired),
        ("PostgreSQL", pg.url.clone(), pg_expired),
    ] {
        run(name, &url, expired, dir.path()).await;
    }
    pg.drop_database().await;
}

async fn run(name: &str, url: &str, expired: i64, dir: &std::path::Path) {
    let store = store::connect(url, 16).await.expect("store opens");
    let old = Timestamp(Timestamp::now().0 - 400 * DAY_MS);
    let owner = store
        .create_user(NewUser {
            username: "owner",
            key: "owner",
            skeleton: "owner",
            password_hash: "not-a-real-hash",
            now: old,
        })
        .await
        .expect("user");
    let seeded = Instant::now();
    for i in 0..CONVERSATIONS {
        let id = store
            .create_conversation(owner.id, &format!("Old {i}"), false, old)
            .await
            .expect("conversation")
            .id;
        seed(url, id, owner.id.0, expired / CONVERSATIONS, old).await;
    }
    eprintln!(
        "{name}: seeded {expired} messages in {:.1?}",
        seeded.elapsed()
    );
    let live = store
        .create_conversation(owner.id, "Live", false, Timestamp::now())
        .await
        .expect("conversation")
        .id;
    let chat = Arc::new(chat(store.clone(), dir.join(name)).await);

    let alone = sends(chat.clone(), &owner, live, Duration::from_secs(5), None).await;
    print_row(name, "alone", &alone, None);
    println!("{name:<11} {expired} expired messages");

    let pass = {
        let chat = chat.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let report = chat.prune_expired(Timestamp::now()).await.expect("pass");
            (report, started.elapsed())
        })
    };
    // Until the pass ends, its closing WAL truncation included (two hours at most).
    let during = sends(
        chat.clone(),
        &owner,
        live,
        Duration::from_secs(7_200),
        Some(&pass),
    )
    .await;
    let (report, took) = pass.await.expect("pass ran");
    assert_eq!(
        report.events as i64, expired,
        "every expired event: {report:?}"
    );
    print_row(
        name,
        "during the pass",
        &during,
        Some((took, report.events)),
    );
    eprintln!(
        "{name}: {} transactions, {:.0} events each on average (at most {PRUNE_BATCH}, each aiming at {PRUNE_TARGET:?})",
        report.batches,
        report.events as f64 / report.batches.max(1) as f64
    );
}

/// `per_conversation` messages in `id` from `created` on, through the pool as appends would
/// have left them (the search index follows by its triggers).
async fn seed(
    url: &str,
    id: ConversationId,
    sender: i64,
    per_conversation: i64,
    created: Timestamp,
) {
    let insert = if url.starts_with("sqlite") {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) \
         SELECT $2, i + 1, $3, 'seed-' || i, \
         'an expired message ' || i || ', ' || lower(hex(randomblob(12))), $4 + i, 'message' FROM n"
    } else {
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) \
         SELECT $2, i + 1, $3, 'seed-' || i, \
         'an expired message ' || i || ', ' || substr(md5(i::TEXT), 1, 24), $4 + i, 'message' \
         FROM generate_series(1, $1::BIGINT) AS i"
    };
    let last = "UPDATE conversations SET last_seq = $1 + 1 WHERE id = $2";
    macro_rules! on {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await.expect("pool");
            sqlx::query(insert)
                .bind(per_conversation)
                .bind(id.0)
                .bind(sender)
                .bind(created.0)
                .execute(&pool)
                .await
                .expect("seeded");
            sqlx::query(last)
                .bind(per_conversation)
                .bind(id.0)
                .execute(&pool)
                .await
                .expect("last seq");
            pool.close().await;
        }};
    }
    if url.starts_with("sqlite") {
        on!(sqlx::SqlitePool)
    } else {
        on!(sqlx::PgPool)
    }
}

async fn chat(store: Arc<dyn Store>, files: std::path::PathBuf) -> Chat {
    let files = LocalFiles::open(files).await.expect("file store");
    Chat::new(
        store,
        Arc::new(LocalHub::new()),
        TokenKeys::new(&[7u8; 32], "http://bench", 600).expect("keys"),
        ChatConfig {
            public_origin: "http://bench".to_owned(),
            session_lifetime_ms: 3_600_000,
            max_members: 10_000,
            max_upload_bytes: 1_000_000,
            limits: LimitsConfig {
                messages_per_minute: 1_000_000,
                ..Default::default()
            },
            retention_days: Some(30),
        },
        Arc::new(files),
    )
}

/// Sends at [`SENDS_PER_SECOND`], open loop (each latency counted from its intended start),
/// for `length` or until `until` has finished; answers the latencies in µs.
async fn sends(
    chat: Arc<Chat>,
    who: &UserView,
    id: ConversationId,
    length: Duration,
    until: Option<&tokio::task::JoinHandle<(palaver::server::chat::RetentionReport, Duration)>>,
) -> Histogram<u64> {
    let mut tasks = Vec::new();
    let start = tokio::time::Instant::now();
    let every = Duration::from_micros(1_000_000 / SENDS_PER_SECOND);
    for i in 0u32.. {
        let intended = start + every * i;
        if intended - start > length || until.is_some_and(|t| t.is_finished()) {
            break;
        }
        tokio::time::sleep_until(intended).await;
        let (chat, who) = (chat.clone(), who.clone());
        tasks.push(tokio::spawn(async move {
            static SENT: AtomicU64 = AtomicU64::new(0);
            let client_id = format!("live-{}", SENT.fetch_add(1, Ordering::Relaxed));
            chat.send_message(&who, id, &client_id, "a live message")
                .await
                .expect("sent");
            intended.elapsed()
        }));
    }
    let mut histogram = Histogram::<u64>::new(3).expect("histogram");
    for task in tasks {
        let took = task.await.expect("send task");
        histogram.record(took.as_micros() as u64).expect("recorded");
    }
    histogram
}

fn print_row(store: &str, what: &str, h: &Histogram<u64>, pass: Option<(Duration, u64)>) {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let (took, rate) = match pass {
        Some((took, events)) => (
            format!("{:.1}", took.as_secs_f64()),
            format!("{:.0}", events as f64 / took.as_secs_f64()),
        ),
        None => ("-".to_owned(), "-".to_owned()),
    };
    println!(
        "{store:<11} {what:<16} {:>7} {:>9.2} {:>9.2} {:>9.2} {took:>10} {rate:>12}",
        h.len(),
        ms(0.5),
        ms(0.99),
        h.max() as f64 / 1000.0,
    );
}
