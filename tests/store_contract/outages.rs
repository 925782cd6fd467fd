//! PostgreSQL only: its server can end the store's connections under it (a restart for an
//! upgrade, a failover, `idle_session_timeout`). SQLite is a file and has none to lose.

use crate::fixtures::{conversation, last_seq, say, user};
use crate::support::{admin_url, PgDatabase};
use palaver::Seq;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// Ends every connection to `database`, as a restart of the server does, and waits until
/// they are gone. Returns how many there were.
async fn end_connections(database: &PgDatabase) -> i64 {
    let mut admin = PgConnection::connect(&admin_url()).await.expect("admin");
    let url = url::Url::parse(&database.url).expect("a URL");
    let name = url.path().trim_start_matches('/');
    let ended: i64 = sqlx::query_scalar(
        // MATERIALIZED: the planner must not evaluate the termination before the filter.
        "WITH victims AS MATERIALIZED \
           (SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) \
         SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM victims",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .expect("terminate");
    // pg_terminate_backend only signals: wait for the backends to exit.
    for _ in 0..200 {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
                .bind(name)
                .fetch_one(&mut admin)
                .await
                .expect("count");
        if left == 0 {
            return ended;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the connections to {name} did not end");
}

/// Messages sent after the server ended every connection the store held are written, alone
/// and in a batch: the writer's lanes keep their connections between batches (no check
/// before each), so a lane whose connection was ended must find out before the batch is
/// sent and write it on a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_messages_are_written_after_the_server_ended_the_stores_connections() {
    let (store, guard) = crate::open(crate::Backend::Postgres).await;
    let database = guard._database.as_ref().expect("a PostgreSQL database");
    let alice = user(&*store, "alice").await;
    let id = conversation(&*store, &alice, "outage").await;
    // The conversation's lane now keeps a connection, which the server is about to end.
    let before = say(&*store, id, &alice, "before").await;

    assert!(
        end_connections(database).await > 0,
        "the store held connections"
    );
    let alone = say(&*store, id, &alice, "alone, after").await;

    assert!(end_connections(database).await > 0);
    let sends: Vec<_> = (0..20)
        .map(|n| {
            let (store, alice) = (store.clone(), alice.clone());
            tokio::spawn(async move { say(&*store, id, &alice, &format!("batch {n}")).await })
        })
        .collect();
    for send in sends {
        send.await.expect("every message of the batch is written");
    }
    assert_eq!(alone.seq, Seq(before.seq.0 + 1));
    assert_eq!(
        last_seq(&*store, id, &alice).await.0,
        alone.seq.0 + 20,
        "the batch took the next 20 seqs"
    );
}
