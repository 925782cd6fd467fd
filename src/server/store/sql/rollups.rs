//! The two counts the writer keeps beside the messages it commits, in the same transaction,
//! so that /admin reads them instead of counting the messages table: `users.messages_sent`
//! (/admin/users) and `daily_messages` (the dashboard's 30 days, see `stats`). Only new
//! messages count: not a retry of a stored one, an edit, a deletion or a reaction.
//!
//! They cost a send nothing it can avoid:
//! - SQLite: triggers on `messages` keep both (migrations/sqlite/0016), inside the insert's
//!   own statement. A statement of its own is a round trip to sqlx's worker thread; the two
//!   of them made a lone send about a fifth dearer (appends bench, issue 14).
//! - PostgreSQL: one statement per batch ([`POSTGRES_FIRST`]) adds the day rows and the
//!   first sender's count; further senders of the same batch get one UPDATE each. A trigger
//!   would lock senders' rows in insertion order, and two writer lanes taking the same two
//!   rows in opposite orders deadlock: here they are taken in id order.

use crate::ids::ConversationId;
use crate::model::EventKind;
use crate::server::store::{Inserted, StoreResult};
use crate::time::{Timestamp, DAY_MS};

/// Messages per UTC day are kept in this many rows per day, by conversation id modulo it: the
/// writer's lanes on PostgreSQL split conversations the same way, so two lanes committing at
/// once never wait on one row. Must equal the `% 4` of migrations 0014 and 0016.
pub const DAILY_SHARDS: i64 = 4;

/// The `daily_messages` row a message written at `at` into `conversation` counts in: (day
/// since 1970-01-01 UTC, shard).
pub fn day_and_shard(at: Timestamp, conversation: ConversationId) -> (i64, i64) {
    (
        at.0.div_euclid(DAY_MS),
        conversation.0.rem_euclid(DAILY_SHARDS),
    )
}

/// What one batch adds to the rollups.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Additions {
    /// (sender, new messages), in sender id order.
    pub senders: Vec<(i64, i64)>,
    /// (day since 1970-01-01 UTC, shard, new messages), in (day, shard) order.
    pub days: Vec<(i64, i64, i64)>,
}

impl Additions {
    /// The additions of a batch's answers: every message it created.
    pub fn of(results: &[StoreResult<Inserted>]) -> Self {
        let mut out = Self::default();
        for inserted in results.iter().flatten() {
            let m = &inserted.message;
            if !inserted.created || m.kind != EventKind::Message {
                continue;
            }
            match out.senders.iter_mut().find(|(s, _)| *s == m.author_id.0) {
                Some(slot) => slot.1 += 1,
                None => out.senders.push((m.author_id.0, 1)),
            }
            let (day, shard) = day_and_shard(m.created_at, m.conversation_id);
            match out.days.iter_mut().find(|r| (r.0, r.1) == (day, shard)) {
                Some(row) => row.2 += 1,
                None => out.days.push((day, shard, 1)),
            }
        }
        // Sorted, so that two transactions lock rows in the same order (PostgreSQL).
        out.senders.sort_unstable();
        out.days.sort_unstable();
        out
    }
}

/// The day rows and the first sender's count, in one statement. Binds: days, shards and
/// counts (three arrays of the same length, one entry per (day, shard), no key twice), the
/// sender's new messages, the sender.
pub const POSTGRES_FIRST: &str = "WITH days AS ( \
         INSERT INTO daily_messages (day, shard, messages) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) \
         ON CONFLICT (day, shard) DO UPDATE \
         SET messages = daily_messages.messages + excluded.messages) \
     UPDATE users SET messages_sent = messages_sent + $4 WHERE id = $5";

/// A further sender's count. Binds: new messages, sender.
pub const POSTGRES_SENDER: &str =
    "UPDATE users SET messages_sent = messages_sent + $1 WHERE id = $2";

/// Adds a batch's new messages to the rollups on PostgreSQL: one statement for a batch of one
/// sender (a lone send), one more per further sender, in id order.
pub async fn add_postgres(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    results: &[StoreResult<Inserted>],
) -> Result<(), sqlx::Error> {
    let Additions { senders, days } = Additions::of(results);
    let Some((&(first, n), rest)) = senders.split_first() else {
        return Ok(());
    };
    let (mut day, mut shard, mut messages) = (Vec::new(), Vec::new(), Vec::new());
    for (d, s, m) in days {
        day.push(d);
        shard.push(s);
        messages.push(m);
    }
    sqlx::query(POSTGRES_FIRST)
        .bind(day)
        .bind(shard)
        .bind(messages)
        .bind(n)
        .bind(first)
        .execute(&mut **tx)
        .await?;
    for &(sender, n) in rest {
        sqlx::query(POSTGRES_SENDER)
            .bind(n)
            .bind(sender)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ConversationId, Seq, UserId};
    use crate::model::MessageView;
    use crate::server::store::StoreError;
    use crate::time::Timestamp;

    fn event(
        kind: EventKind,
        created: bool,
        sender: i64,
        conversation: i64,
        at: i64,
    ) -> StoreResult<Inserted> {
        Ok(Inserted {
            message: MessageView {
                conversation_id: ConversationId(conversation),
                seq: Seq(1),
                kind,
                target_seq: None,
                author_id: UserId(sender),
                author: String::new(),
                body: String::new(),
                created_at: Timestamp(at),
                edited_at: None,
                deleted: false,
                client_id: String::new(),
                mentions: Vec::new(),
                reply_to: None,
                reactions: Vec::new(),
                attachments: Vec::new(),
            },
            created,
            reopened: Vec::new(),
        })
    }

    #[test]
    fn a_batch_adds_its_new_messages_once_per_sender_and_per_day_and_shard_in_lock_order() {
        let day = 20_787 * DAY_MS;
        let results = vec![
            event(EventKind::Message, true, 7, 9, day + 5),
            event(EventKind::Message, true, 3, 1, day + 1),
            event(EventKind::Message, true, 7, 5, day + 2),
            event(EventKind::Message, true, 3, 2, day - 1),
            event(EventKind::Message, true, 5, 9, day + 9),
            // Not counted: a retry of a stored message, an edit, a reaction, a refusal.
            event(EventKind::Message, false, 5, 9, day + 9),
            event(EventKind::Edit, true, 5, 9, day + 9),
            event(EventKind::React, true, 5, 9, day + 9),
            Err(StoreError::NotMember),
        ];
        let added = Additions::of(&results);
        assert_eq!(added.senders, vec![(3, 2), (5, 1), (7, 2)]);
        // Conversations 1, 5 and 9 share shard 1; 2 is shard 2 of the day before.
        assert_eq!(added.days, vec![(20_786, 2, 1), (20_787, 1, 4)]);
    }

    #[test]
    fn a_batch_without_new_messages_adds_nothing() {
        let results = vec![event(EventKind::Delete, true, 1, 1, 0)];
        assert_eq!(Additions::of(&results), Additions::default());
    }
}
