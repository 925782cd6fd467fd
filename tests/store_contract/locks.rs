//! PostgreSQL only: the writer's lanes keep their connections between batches (`kept`), so a
//! batch must leave nothing open on one. sqlx only queues the `ROLLBACK` of a transaction
//! dropped on PostgreSQL (SQLite's worker runs it at once): a refused send that dropped its
//! transaction left the conversation's row locked on a kept connection until that connection
//! was next used, and every other lane that wrote to the conversation waited on it (the
//! contract's batch case hung in CI, 2026-12-03).

use crate::fixtures::{add_member, append, conversation, event, say, user};
use palaver::model::EventKind;
use palaver::server::StoreError;
use palaver::ConversationId;
use sqlx::{Connection, PgConnection};

/// Whether another connection can lock `id`'s row at once (`FOR UPDATE NOWAIT` fails with
/// `lock_not_available`, 55P03, while a transaction holds it).
async fn row_is_free(database_url: &str, id: ConversationId) -> bool {
    let mut other = PgConnection::connect(database_url).await.expect("connect");
    let mut tx = other.begin().await.expect("begin");
    let locked = sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE NOWAIT")
        .bind(id.0)
        .execute(&mut *tx)
        .await;
    match locked {
        Ok(_) => true,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => false,
        Err(e) => panic!("row lock check: {e}"),
    }
}

/// Every way a lone send is refused after it claimed its seq (a non-member, an edit of
/// someone else's message, an edit of a message that is not there) leaves the conversation
/// unlocked once the refusal is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_refused_send_leaves_its_conversation_unlocked() {
    let (store, guard) = crate::open(crate::Backend::Postgres).await;
    let url = guard._database.as_ref().expect("a database").url.clone();
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let outsider = user(&*store, "outsider").await;
    let id = conversation(&*store, &alice, "locks").await;
    add_member(&*store, id, &alice, &bob).await;
    let alices = say(&*store, id, &alice, "alice's").await;
    assert!(row_is_free(&url, id).await, "free after a stored message");

    let refused = append(
        &*store,
        event(id, &outsider, EventKind::Message, None, "o1", "hi"),
    )
    .await;
    assert!(matches!(refused, Err(StoreError::NotMember)), "{refused:?}");
    assert!(
        row_is_free(&url, id).await,
        "free after a non-member's send"
    );

    let forbidden = append(
        &*store,
        event(
            id,
            &bob,
            EventKind::Edit,
            Some(alices.seq),
            "e1",
            "mine now",
        ),
    )
    .await;
    assert!(
        matches!(forbidden, Err(StoreError::Forbidden)),
        "{forbidden:?}"
    );
    assert!(row_is_free(&url, id).await, "free after a refused edit");

    let missing = append(
        &*store,
        event(
            id,
            &alice,
            EventKind::Edit,
            Some(alices.seq.plus(99)),
            "e2",
            "x",
        ),
    )
    .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert!(row_is_free(&url, id).await, "free after an edit of nothing");

    // And the conversation takes messages as before.
    let next = say(&*store, id, &bob, "bob's").await;
    assert_eq!(next.seq, alices.seq.plus(1), "no seq lost to the refusals");
}

/// A lone message on PostgreSQL is written by one function call (`append_message`,
/// migration 0019) instead of a transaction of separate statements: it must still see a
/// removal that committed while it waited for the conversation's row. Here the removal holds
/// the row (as `remove_member` does, member row first, then the conversation's) until the send
/// is seen waiting on it, then commits: the send is refused and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_send_waiting_on_a_removal_sees_it_once_it_commits() {
    let (store, guard) = crate::open(crate::Backend::Postgres).await;
    let url = guard._database.as_ref().expect("a database").url.clone();
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &alice, "removal").await;
    add_member(&*store, id, &alice, &bob).await;
    let before = say(&*store, id, &bob, "before").await;

    let mut removal = PgConnection::connect(&url).await.expect("connect");
    let mut tx = removal.begin().await.expect("begin");
    sqlx::query("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2")
        .bind(id.0)
        .bind(bob.id.0)
        .execute(&mut *tx)
        .await
        .expect("remove bob");
    sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .expect("hold the conversation's row");

    let sender = store.clone();
    let send = tokio::spawn(async move {
        let e = event(id, &bob, EventKind::Message, None, "late", "after removal");
        append(&*sender, e).await
    });
    // The send is waiting on the row lock before the removal commits.
    let mut watcher = PgConnection::connect(&url).await.expect("connect");
    let waited_since = std::time::Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            break;
        }
        assert!(
            waited_since.elapsed() < std::time::Duration::from_secs(10),
            "the send never waited on the conversation's row"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tx.commit().await.expect("commit the removal");

    let refused = send.await.expect("send task");
    assert!(matches!(refused, Err(StoreError::NotMember)), "{refused:?}");
    let (last_seq, stored): (i64, i64) = sqlx::query_as(
        "SELECT c.last_seq, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) \
         FROM conversations c WHERE c.id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut watcher)
    .await
    .expect("read back");
    assert_eq!(last_seq, before.seq.0, "no seq taken by the refused send");
    assert!(stored >= 1, "the earlier messages stay");
    let late: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE client_id = 'late'")
        .fetch_one(&mut watcher)
        .await
        .expect("read back");
    assert_eq!(late, 0, "nothing of the refused send was written");
}
