//! SQLite's search index file (`<database>-search`, `store::search_index`): built from the
//! messages when it is missing, resumed from the log after changes it has not seen, rebuilt
//! when it is ahead of the database (a database restored without its index), and kept in
//! step with edits and deletions afterwards.

use palaver::server::store::search_index::path_beside;
use palaver::server::store::sqlite::SqliteStore;
use palaver::server::store::{Durability, SearchStore};
use palaver::UserId;
use sqlx::{Connection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Two users in one conversation; messages come with [`say`].
const PEOPLE: &[&str] = &[
    "INSERT INTO users (username, username_key, password_hash, created_at) \
     VALUES ('ann', 'ann', 'x', 1), ('bob', 'bob', 'x', 1)",
    "INSERT INTO conversations (title, owner_id, created_at, last_seq, last_activity_at) \
     VALUES ('Notes', 1, 1, 0, 1)",
    "INSERT INTO members (conversation_id, user_id, role, joined_at) \
     VALUES (1, 1, 'owner', 1), (1, 2, 'member', 1)",
];

struct Db {
    _dir: tempfile::TempDir,
    file: PathBuf,
}

impl Db {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("palaver.db");
        Self { _dir: dir, file }
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.file.display())
    }

    async fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.url(), Durability::Normal)
            .await
            .expect("store opens")
    }

    /// The first opening: the store with [`PEOPLE`] in it.
    async fn open_new(&self) -> SqliteStore {
        with_people(self.open().await).await
    }

    /// The index file and its WAL and shared memory.
    fn index_files(&self) -> Vec<PathBuf> {
        let index = path_beside(&self.file);
        ["", "-wal", "-shm"]
            .iter()
            .map(|end| {
                let mut name = index.clone().into_os_string();
                name.push(end);
                PathBuf::from(name)
            })
            .collect()
    }
}

/// `store` with [`PEOPLE`] added.
async fn with_people(store: SqliteStore) -> SqliteStore {
    for sql in PEOPLE {
        run(&store, sql).await;
    }
    store
}

/// An in-memory store with [`PEOPLE`] in it.
async fn in_memory() -> SqliteStore {
    let store = SqliteStore::open("sqlite::memory:", Durability::Normal)
        .await
        .expect("store opens");
    with_people(store).await
}

/// Stops `store`: its pool closes and its indexer task ends.
async fn close(store: SqliteStore) {
    store.pool().close().await;
    drop(store);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

async fn run(store: &SqliteStore, sql: &str) {
    sqlx::query(sql)
        .execute(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The statement that stores message `seq` from bob with `body`, as the server's writer
/// would (the triggers number it and log it for the index).
fn message(seq: i64, body: &str) -> String {
    format!(
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) \
         VALUES (1, {seq}, 2, 'c{seq}', '{body}', {seq}, 'message')"
    )
}

/// Stores message `seq` from bob with `body` through the store's pool.
async fn say(store: &SqliteStore, seq: i64, body: &str) {
    run(store, &message(seq, body)).await;
}

/// The bodies ann finds for `term`, newest first.
async fn found(store: &SqliteStore, term: &str) -> Vec<String> {
    SearchStore::search_messages(store, UserId(1), &[term.to_owned()], None, 50, 1_000)
        .await
        .expect("search")
        .messages
        .into_iter()
        .map(|m| m.body)
        .collect()
}

async fn log_rows(store: &SqliteStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM search_log")
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// Sets the last log id the index file holds, with the store closed.
async fn set_applied(index: &Path, applied: i64) {
    let url = format!("sqlite://{}", index.display());
    let mut conn = SqliteConnection::connect(&url).await.expect("index opens");
    sqlx::query("UPDATE search_state SET applied = ?")
        .bind(applied)
        .execute(&mut conn)
        .await
        .expect("update");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn a_missing_index_file_is_built_from_the_messages_and_then_kept() {
    let db = Db::new();
    let store = db.open_new().await;
    say(&store, 1, "first draft of the plan").await;
    say(&store, 2, "lunch plans").await;
    say(&store, 3, "private plan").await;
    run(
        &store,
        "UPDATE messages SET body = 'final plan', edited_at = 9 WHERE seq = 1",
    )
    .await;
    run(
        &store,
        "UPDATE messages SET body = '', deleted_at = 9 WHERE seq = 3",
    )
    .await;
    assert_eq!(found(&store, "plan").await, ["lunch plans", "final plan"]);
    assert!(
        found(&store, "draft").await.is_empty(),
        "the edit replaced it"
    );
    assert!(store.search_index_settled(Duration::from_secs(5)).await);
    assert_eq!(log_rows(&store).await, 0, "applied rows leave the log");
    close(store).await;

    let index = db.index_files();
    assert!(index[0].exists(), "{} was created", index[0].display());
    for file in &index {
        let _ = std::fs::remove_file(file);
    }
    let store = db.open().await;
    assert_eq!(
        found(&store, "plan").await,
        ["lunch plans", "final plan"],
        "built again from the messages: live text only, as edited"
    );
    say(&store, 4, "new plan").await;
    run(
        &store,
        "UPDATE messages SET body = '', deleted_at = 10 WHERE seq = 2",
    )
    .await;
    assert_eq!(found(&store, "plan").await, ["new plan", "final plan"]);
    close(store).await;
}

#[tokio::test]
async fn changes_the_index_has_not_seen_are_applied_on_the_next_start() {
    let db = Db::new();
    let store = db.open_new().await;
    say(&store, 1, "alpha notes").await;
    assert_eq!(found(&store, "notes").await, ["alpha notes"]);
    // The index file falls behind: as after a crash between a send's commit and the
    // indexer's next round.
    close(store).await;
    set_applied(&db.index_files()[0], 0).await;
    let mut conn = SqliteConnection::connect(&db.url())
        .await
        .expect("db opens");
    sqlx::query(&message(2, "beta notes"))
        .execute(&mut conn)
        .await
        .expect("insert");
    conn.close().await.expect("close");

    let store = db.open().await;
    assert_eq!(
        found(&store, "notes").await,
        ["beta notes", "alpha notes"],
        "the log after the index's last id is applied, each message once"
    );
    close(store).await;
}

#[tokio::test]
async fn an_index_file_ahead_of_the_database_is_built_again() {
    let db = Db::new();
    let store = db.open_new().await;
    say(&store, 1, "gamma report").await;
    assert_eq!(found(&store, "report").await, ["gamma report"]);
    close(store).await;
    // As if the database came back from an older backup beside a newer index file: the
    // index claims log ids the database never gave out.
    set_applied(&db.index_files()[0], 1_000).await;

    let store = db.open().await;
    say(&store, 2, "delta report").await;
    assert_eq!(
        found(&store, "report").await,
        ["delta report", "gamma report"],
        "new messages are not skipped as already applied"
    );
    close(store).await;
}

#[tokio::test]
async fn an_in_memory_database_has_an_in_memory_index() {
    let store = in_memory().await;
    say(&store, 1, "epsilon memo").await;
    assert_eq!(found(&store, "memo").await, ["epsilon memo"]);
    // A second in-memory store has its own index.
    let other = in_memory().await;
    assert!(found(&other, "memo").await.is_empty());
}

#[tokio::test]
async fn a_trimmed_log_is_not_taken_for_an_index_that_has_caught_up() {
    let db = Db::new();
    let store = db.open_new().await;
    say(&store, 1, "zeta minutes").await;
    assert!(store.search_index_settled(Duration::from_secs(5)).await);
    // A change whose log row is gone before the indexer has told anyone it applied it: the
    // moment between a round's trim of the log and the end of that round. (Here the row is
    // deleted in the change's own transaction, so the indexer never applies it and the
    // answer cannot change while the wait runs.)
    let mut tx = store.pool().begin().await.expect("begin");
    sqlx::query(&message(2, "eta minutes"))
        .execute(&mut *tx)
        .await
        .expect("insert");
    sqlx::query("DELETE FROM search_log")
        .execute(&mut *tx)
        .await
        .expect("trim");
    tx.commit().await.expect("commit");
    assert!(
        !store.search_index_settled(Duration::from_millis(300)).await,
        "an empty log does not mean the index holds the last change logged"
    );
    close(store).await;
}

/// Applying the log runs at the lowest CPU priority, in the index connection's thread
/// (`search_index::priority`): on a server with one core, the chat's threads come first.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_index_thread_runs_at_the_lowest_priority() {
    let db = Db::new();
    let store = db.open_new().await;
    let mut lowered = 0;
    for task in std::fs::read_dir("/proc/self/task")
        .expect("threads")
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != "palaver-index" {
            continue;
        }
        let tid: libc::id_t = task.file_name().to_str().unwrap().parse().unwrap();
        // SAFETY: getpriority reads its two integer arguments and nothing else.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) };
        assert_eq!(nice, 19, "thread {tid} named palaver-index");
        lowered += 1;
    }
    assert!(
        lowered >= 1,
        "the index connection's thread is named palaver-index"
    );
    say(&store, 1, "still searchable").await;
    assert_eq!(found(&store, "searchable").await.len(), 1);
    close(store).await;
}
