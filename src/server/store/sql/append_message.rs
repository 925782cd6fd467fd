//! A lone plain message on PostgreSQL in one round trip: the writer's usual batch (one sender
//! at a time) calls the `append_message` function of migration 0019 in autocommit instead of
//! sending BEGIN, six statements and COMMIT one after the other.
//!
//! Each statement was a round trip to PostgreSQL's backend, and every message is committed
//! before it is published, so each one lengthened every delivery's latency: more so with
//! PostgreSQL on another machine (eight network round trips a message) or on a busy core.
//! The function keeps the writer's rules, order and locks (see the migration); anything but a
//! new message writes nothing and goes the transaction path (`batch`), which answers it.

use crate::ids::{Seq, UserId};
use crate::mentions;
use crate::server::store::sql::{batch_messages::new_message, rollups::day_and_shard};
use crate::server::store::writer::OwnedEvent;
use crate::server::store::Inserted;

/// The call. Binds: conversation, sender, client id, body, time (ms since 1970), the
/// mentions as stored (`mentions::encode`), the mentioned user ids, the rollup's day and shard.
const APPEND_MESSAGE: &str = "SELECT outcome, new_seq, reopened \
     FROM append_message($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Writes `e`, a plain message (`OwnedEvent::is_plain_message`), in one statement of its own
/// transaction on `conn`. `Ok(Some(_))`: written, with the members it reopened. `Ok(None)`:
/// nothing written (a retry of a stored message, a deleted or unknown conversation, a sender
/// who is not a member): the caller answers it through the transaction path. Errors are the
/// database's; the statement's transaction is rolled back then, so nothing was written
/// either, unless the connection broke after PostgreSQL committed, which the transaction
/// path then answers as a retry.
pub async fn append_postgres(
    conn: &mut sqlx::PgConnection,
    e: &OwnedEvent,
) -> Result<Option<Inserted>, sqlx::Error> {
    debug_assert!(e.is_plain_message());
    let (day, shard) = day_and_shard(e.now, e.conversation_id);
    let mentioned: Vec<i64> = e.mentions.iter().map(|u| u.0).collect();
    let (outcome, seq, reopened): (String, Option<i64>, Vec<i64>) = sqlx::query_as(APPEND_MESSAGE)
        .bind(e.conversation_id.0)
        .bind(e.sender.id.0)
        .bind(e.client_id.as_str())
        .bind(e.body.as_str())
        .bind(e.now)
        .bind(mentions::encode(&e.mentions))
        .bind(mentioned)
        .bind(day)
        .bind(shard)
        .fetch_one(conn)
        .await?;
    Ok(match (outcome.as_str(), seq) {
        ("created", Some(seq)) => Some(Inserted {
            message: new_message(e, Seq(seq)),
            created: true,
            reopened: reopened.into_iter().map(UserId).collect(),
        }),
        _ => None,
    })
}
