//! Upgrading to search (migration 0008): the messages an installation already holds are
//! numbered oldest first and indexed, on both backends, so that search finds them at once;
//! deleted messages, edit events, joins and leaves are not.
//!
//! Needs PostgreSQL: PALAVER_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).

mod support;

use palaver::server::store::{connect, EventStore, SearchStore, UserStore, DEFAULT_POOL_SIZE};
use palaver::UserId;
use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::path::Path;
use support::PgDatabase;

const SEARCH_VERSION: i64 = 8;

/// The migrations of `dialect` from before search, as a migrator of their own.
async fn before_search(dialect: &str, scratch: &Path) -> Migrator {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let dir = scratch.join(dialect);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let version: i64 = name
            .split('_')
            .next()
            .unwrap()
            .parse()
            .expect("NNNN_name.sql");
        if version < SEARCH_VERSION {
            std::fs::copy(&path, dir.join(&name)).expect("copy");
        }
    }
    Migrator::new(dir.as_path()).await.expect("migrator")
}

/// What an installation from before search holds: in one conversation, two messages (the
/// older one edited), a deleted one, an edit event and a join; statements any dialect reads.
const EXISTING: &[&str] = &[
    "INSERT INTO users (username, username_key, password_hash, created_at) \
     VALUES ('ann', 'ann', 'x', 1), ('bob', 'bob', 'x', 1)",
    "INSERT INTO conversations (title, owner_id, created_at, last_seq, last_activity_at) \
     VALUES ('Old times', 1, 1, 5, 5)",
    "INSERT INTO members (conversation_id, user_id, role, joined_at) \
     VALUES (1, 1, 'owner', 1), (1, 2, 'member', 1)",
    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, edited_at) \
     VALUES (1, 1, 1, 'a', 'archived notes, edited', 10, 'message', 40)",
    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) \
     VALUES (1, 2, 2, 'b', '', 20, 'join')",
    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) \
     VALUES (1, 3, 2, 'c', 'archived plans', 30, 'message')",
    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, target_seq) \
     VALUES (1, 4, 1, 'd', 'archived notes, edited', 40, 'edit', 1)",
    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, deleted_at) \
     VALUES (1, 5, 2, 'e', '', 50, 'message', 60)",
];

/// Migrates `url` to just before search and stores [`EXISTING`] there.
macro_rules! install_before_search {
    ($conn:ty, $url:expr, $dialect:expr) => {{
        let scratch = tempfile::tempdir().expect("temp dir");
        let mut conn = <$conn>::connect($url).await.expect("connect");
        before_search($dialect, scratch.path())
            .await
            .run(&mut conn)
            .await
            .expect("migrations before search");
        for statement in EXISTING {
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        conn.close().await.expect("close");
    }};
}

async fn upgrade_and_search(url: &str, dialect: &str) {
    // Opening the store runs the rest (0008 included), as a server start would.
    let store = connect(url, DEFAULT_POOL_SIZE).await.expect("store opens");
    let search = |user: i64, term: &str| {
        let store = store.clone();
        let term = term.to_owned();
        async move {
            SearchStore::search_messages(&*store, UserId(user), &[term], None, 10, 1_000)
                .await
                .expect("search")
                .messages
                .into_iter()
                .map(|m| (m.seq.0, m.body))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search(2, "archived").await,
        [
            (3, "archived plans".to_owned()),
            (1, "archived notes, edited".to_owned())
        ],
        "{dialect}: newest first, each message once"
    );
    assert_eq!(search(1, "ar").await.len(), 2, "{dialect}: short terms");
    // New messages are numbered after the old ones.
    let ann = UserStore::user_by_id(&*store, UserId(1))
        .await
        .unwrap()
        .expect("ann");
    let e = palaver::server::store::NewEvent {
        conversation_id: palaver::ConversationId(1),
        kind: palaver::model::EventKind::Message,
        target_seq: None,
        sender: &ann,
        client_id: "new",
        body: "archived yesterday",
        now: palaver::Timestamp(70),
        moderator: false,
        erasure: false,
        mentions: &[],
        reply_to: None,
        attachments: &[],
    };
    EventStore::append_event(&*store, e).await.expect("append");
    let found = search(2, "archived").await;
    assert_eq!(found.first().map(|f| f.0), Some(6), "{dialect}: {found:?}");
    assert_eq!(found.len(), 3);
}

#[tokio::test]
async fn sqlite_messages_stored_before_search_are_found_after_the_upgrade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    install_before_search!(SqliteConnection, &url, "sqlite");
    upgrade_and_search(&url, "sqlite").await;
}

#[tokio::test]
async fn postgres_messages_stored_before_search_are_found_after_the_upgrade() {
    let database = PgDatabase::create("palaver_backfill_").await;
    install_before_search!(PgConnection, &database.url, "postgres");
    upgrade_and_search(&database.url, "postgres").await;
}
