//! PostgreSQL only: the writer sends a lone plain message as one call of `append_message`
//! (migration 0019, `sql::append_message`). Its contract, read back from the tables: a new
//! message brings everything the transaction path writes with it (the seq, the activity, the
//! mentions, the members it reopens, both rollups); anything else writes nothing at all and
//! is left to the transaction path.

use crate::fixtures::{add_member, at, conversation, say, user};
use palaver::model::{EventKind, UserView};
use palaver::server::store::sql::append_message::append_postgres;
use palaver::server::store::writer::OwnedEvent;
use palaver::ConversationId;
use sqlx::{Connection, PgConnection};

fn message(
    id: ConversationId,
    sender: &UserView,
    client_id: &str,
    mentions: &[&UserView],
) -> OwnedEvent {
    OwnedEvent {
        conversation_id: id,
        kind: EventKind::Message,
        target_seq: None,
        sender: sender.clone(),
        client_id: client_id.to_owned(),
        body: format!("body of {client_id}"),
        now: at(5_000),
        moderator: false,
        erasure: false,
        mentions: mentions.iter().map(|u| u.id).collect(),
        reply_to: None,
        attachments: Vec::new(),
    }
}

/// Everything a lone message touches: the conversation's last seq and activity, the
/// conversation's messages, the mention rows, the members hidden, the sender's count and
/// the daily count.
async fn footprint(conn: &mut PgConnection, id: ConversationId, sender: &UserView) -> Vec<i64> {
    let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT c.last_seq, c.last_activity_at, \
             (SELECT count(*) FROM messages WHERE conversation_id = c.id), \
             (SELECT count(*) FROM mentions WHERE conversation_id = c.id), \
             (SELECT count(*) FROM members WHERE conversation_id = c.id AND hidden_seq IS NOT NULL), \
             (SELECT messages_sent FROM users WHERE id = $2), \
             (SELECT COALESCE(sum(messages), 0)::BIGINT FROM daily_messages) \
         FROM conversations c WHERE c.id = $1",
    )
    .bind(id.0)
    .bind(sender.id.0)
    .fetch_one(conn)
    .await
    .expect("footprint");
    vec![row.0, row.1, row.2, row.3, row.4, row.5, row.6]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_call_writes_a_lone_message_with_all_it_brings_or_nothing() {
    let (store, guard) = crate::open(crate::Backend::Postgres).await;
    let url = guard._database.as_ref().expect("a database").url.clone();
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let carol = user(&*store, "carol").await;
    let outsider = user(&*store, "outsider").await;
    let id = conversation(&*store, &alice, "one call").await;
    add_member(&*store, id, &alice, &bob).await;
    add_member(&*store, id, &alice, &carol).await;
    let first = say(&*store, id, &alice, "first").await;
    let mut conn = PgConnection::connect(&url).await.expect("connect");
    // Carol closed the conversation after the first message.
    sqlx::query("UPDATE members SET hidden_seq = $1 WHERE conversation_id = $2 AND user_id = $3")
        .bind(first.seq.0)
        .bind(id.0)
        .bind(carol.id.0)
        .execute(&mut conn)
        .await
        .expect("hide");
    let before = footprint(&mut conn, id, &alice).await;

    // New: alice mentions bob and herself (which counts for nothing).
    let sent = message(id, &alice, "new", &[&bob, &alice]);
    let inserted = append_postgres(&mut conn, &sent)
        .await
        .expect("the call")
        .expect("written");
    assert!(inserted.created);
    assert_eq!(inserted.message.seq, first.seq.plus(1), "the next seq");
    assert_eq!(inserted.message.body, "body of new");
    assert_eq!(
        inserted.reopened,
        vec![carol.id],
        "carol's conversation is back"
    );
    let after = footprint(&mut conn, id, &alice).await;
    assert_eq!(
        after,
        vec![
            before[0] + 1,
            at(5_000).0,
            before[2] + 1,
            before[3] + 1,
            before[4] - 1,
            before[5] + 1,
            before[6] + 1,
        ],
        "seq, activity, message, bob's mention, carol shown, alice's count, the day's count"
    );
    let (body, mentions): (String, String) = sqlx::query_as(
        "SELECT body, mentions FROM messages WHERE conversation_id = $1 AND seq = $2",
    )
    .bind(id.0)
    .bind(inserted.message.seq.0)
    .fetch_one(&mut conn)
    .await
    .expect("the row");
    assert_eq!(body, "body of new");
    assert_eq!(mentions, format!("{} {}", bob.id.0, alice.id.0));

    // A retry of it, a non-member's message, and any message once the conversation is
    // deleted: nothing written, not even a seq.
    let retry = append_postgres(&mut conn, &sent).await.expect("the call");
    assert!(
        retry.is_none(),
        "a retry is the transaction path's: {retry:?}"
    );
    let refused = append_postgres(&mut conn, &message(id, &outsider, "out", &[]))
        .await
        .expect("the call");
    assert!(refused.is_none(), "{refused:?}");
    assert_eq!(
        footprint(&mut conn, id, &alice).await,
        after,
        "nothing written"
    );
    sqlx::query("UPDATE conversations SET deleted_at = $1 WHERE id = $2")
        .bind(at(6_000).0)
        .bind(id.0)
        .execute(&mut conn)
        .await
        .expect("delete");
    let gone = append_postgres(&mut conn, &message(id, &bob, "gone", &[]))
        .await
        .expect("the call");
    assert!(gone.is_none(), "{gone:?}");
    let bobs = footprint(&mut conn, id, &bob).await;
    assert_eq!(
        bobs[..5],
        after[..5],
        "nothing written to a deleted conversation"
    );
}
