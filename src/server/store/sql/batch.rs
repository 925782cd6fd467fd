//! The writer's side of a conversation's sequence (see `writer`): a batch of events in one
//! transaction.
//!
//! A batch of plain messages (no reply, no files: what a busy conversation is made of) costs
//! a fixed handful of statements: one claim of seqs per conversation, one read that finds
//! retries and non-members for the whole batch, one multi-row insert of the messages and one
//! of their mentions, one update per conversation that settles its last seq and activity.
//! Per message in its own savepoint it was six statements (PERF.md: PostgreSQL appends
//! ~490/s one by one, ~4,800/s ten per statement).

macro_rules! impl_batch_append {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Starts the store's writer (see `writer`): `lanes` tasks that write their
            /// batches with [`Self::append_batch`], each batch holding `gate` when there is
            /// one (see `SqliteStore::write_gate`). The lanes keep their connections between
            /// batches (see `kept`).
            fn start_writer(
                pool: &sqlx::Pool<$db>,
                lanes: usize,
                gate: Option<writer::WriteGate>,
            ) -> writer::Writer {
                let kept = std::sync::Arc::new(crate::server::store::kept::KeptConnections::new(
                    pool.clone(),
                ));
                writer::Writer::start(
                    lanes,
                    std::sync::Arc::new(move |events| {
                        let (gate, kept) = (gate.clone(), kept.clone());
                        Box::pin(async move {
                            let _turn = match &gate {
                                Some(gate) => Some(gate.lock().await),
                                None => None,
                            };
                            Self::write_batch(&kept, events).await
                        })
                    }),
                )
            }

            /// One batch of the writer on a kept connection. If its BEGIN fails on a kept
            /// connection (ended by the server since its last batch: PostgreSQL restarted),
            /// nothing of the batch was sent, and it is written on a fresh one instead.
            async fn write_batch(
                kept: &crate::server::store::kept::KeptConnections<$db>,
                events: Vec<writer::OwnedEvent>,
            ) -> Vec<StoreResult<Inserted>> {
                let (mut conn, mut was_kept) = match kept.take().await {
                    Ok(taken) => taken,
                    Err(e) => return none_written(events.len(), &e),
                };
                let results = loop {
                    let error = match sqlx::Connection::begin(&mut *conn).await {
                        Ok(tx) => break Self::append_batch(tx, events).await,
                        Err(e) => e,
                    };
                    kept.give_back(conn, true);
                    if !was_kept {
                        return none_written(events.len(), &error);
                    }
                    conn = match kept.fresh().await {
                        Ok(conn) => conn,
                        Err(e) => return none_written(events.len(), &e),
                    };
                    was_kept = false;
                };
                let failed = results
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::Batch(_) | StoreError::Database(_))));
                kept.give_back(conn, failed);
                results
            }

            /// The lanes' writer (see `writer`): `events` in the transaction `tx` with one
            /// commit; the answers are in the order of `events`. A batch of plain messages
            /// (the bulk of any chat) is written with a handful of statements whatever its
            /// size (see [`Self::append_messages`]); any other batch writes each event in its
            /// own savepoint, so a refused event or the retry of a stored one gives its seq
            /// back without undoing the others.
            pub(crate) async fn append_batch(
                mut tx: sqlx::Transaction<'_, $db>,
                events: Vec<writer::OwnedEvent>,
            ) -> Vec<StoreResult<Inserted>> {
                // Alone in its batch (one sender at a time, the usual case): its own
                // transaction, without the two savepoint statements, which cost a lone send
                // about a fifth more CPU (load bench: 441 -> 538 µs per acknowledged send).
                if let [event] = events.as_slice() {
                    return vec![Self::append_alone(tx, &event.as_new()).await];
                }
                let mut results = if events.iter().all(writer::OwnedEvent::is_plain_message) {
                    match Self::append_messages(&mut tx, &events).await {
                        Ok(results) => results,
                        Err(e) => {
                            let _ = tx.rollback().await;
                            return none_written(events.len(), &e);
                        }
                    }
                } else {
                    let mut results = Vec::with_capacity(events.len());
                    for event in &events {
                        match Self::append_in_savepoint(&mut tx, &event.as_new()).await {
                            Ok(result) => results.push(result),
                            // The savepoint itself failed: the transaction's state is unknown.
                            // This event and the rest are not written at all.
                            Err(e) => {
                                let _ = tx.rollback().await;
                                let mut failed = writer::batch_failed(results, &e);
                                failed.resize_with(events.len(), || {
                                    Err(StoreError::Batch(e.to_string()))
                                });
                                return failed;
                            }
                        }
                    }
                    results
                };
                if let Err(e) = Self::settle_in(&mut tx, &mut results).await {
                    let _ = tx.rollback().await;
                    return writer::batch_failed(results, &e);
                }
                match tx.commit().await {
                    Ok(()) => results,
                    Err(e) => writer::batch_failed(results, &e),
                }
            }

            /// What every batch does once its events are in, in its transaction: reopens
            /// closed conversations ([`Self::reopen_in`]) and adds the new messages to the
            /// rollups /admin reads instead of counting (see `rollups`; each store's own
            /// `add_rollups`).
            async fn settle_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                results: &mut [StoreResult<Inserted>],
            ) -> Result<(), sqlx::Error> {
                Self::reopen_in(tx, results).await?;
                Self::add_rollups(tx, results).await
            }

            /// Brings each conversation that got new messages in this batch back to the
            /// members who had closed it (hidden before the newest one), and records them on
            /// that newest message ([`Inserted::reopened`]). One statement per conversation,
            /// on the partial index `members_hidden`, under the write lock the batch holds
            /// already. Only a message does this, not an edit, a deletion or a reaction.
            async fn reopen_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                results: &mut [StoreResult<Inserted>],
            ) -> Result<(), sqlx::Error> {
                // The newest new message of each conversation (seqs grow along the batch).
                let mut newest: Vec<(i64, usize)> = Vec::new();
                for (i, result) in results.iter().enumerate() {
                    let Ok(inserted) = result else { continue };
                    if !inserted.created || inserted.message.kind != EventKind::Message {
                        continue;
                    }
                    let conversation = inserted.message.conversation_id.0;
                    match newest.iter_mut().find(|(c, _)| *c == conversation) {
                        Some(slot) => slot.1 = i,
                        None => newest.push((conversation, i)),
                    }
                }
                for (conversation, i) in newest {
                    let Ok(inserted) = &mut results[i] else { continue };
                    let users: Vec<i64> = sqlx::query_scalar(
                        "UPDATE members SET hidden_seq = NULL \
                         WHERE conversation_id = $1 AND hidden_seq IS NOT NULL AND hidden_seq < $2 \
                         RETURNING user_id",
                    )
                    .bind(conversation)
                    .bind(inserted.message.seq)
                    .fetch_all(&mut **tx)
                    .await?;
                    inserted.reopened = users.into_iter().map(UserId).collect();
                }
                Ok(())
            }

            /// A batch of one event: one transaction, rolled back for a retry of a stored
            /// event (the seq claim is given back) or a refusal.
            async fn append_alone(
                mut tx: sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
            ) -> StoreResult<Inserted> {
                let inserted = Self::append_in(&mut tx, e).await?;
                if !inserted.created {
                    tx.rollback().await?;
                    return Ok(inserted);
                }
                let mut results = [Ok(inserted)];
                Self::settle_in(&mut tx, &mut results).await?;
                tx.commit().await?;
                let [result] = results;
                result
            }

            /// One event of a batch, in a savepoint of the batch's transaction. The outer
            /// error means the savepoint could not be released or rolled back.
            async fn append_in_savepoint(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
            ) -> Result<StoreResult<Inserted>, sqlx::Error> {
                let mut savepoint = sqlx::Connection::begin(&mut **tx).await?;
                let result = Self::append_in(&mut savepoint, e).await;
                match &result {
                    Ok(inserted) if inserted.created => savepoint.commit().await?,
                    // A retry of a stored event, or a refusal: undo the seq claim.
                    _ => savepoint.rollback().await?,
                }
                Ok(result)
            }
        }

        impl $store {
            /// A batch of plain messages, written in the caller's transaction. Answers, in the
            /// order of `events`: the new message; the one stored earlier under the same
            /// (conversation, sender, client id), also when the earlier one is in this batch
            /// (`created: false`); `NotFound` when the conversation is gone; `NotMember`
            /// when the sender is not a member. The outer error is the database's: nothing
            /// of the batch may be committed then.
            pub(crate) async fn append_messages(
                tx: &mut sqlx::Transaction<'_, $db>,
                events: &[writer::OwnedEvent],
            ) -> Result<Vec<StoreResult<Inserted>>, sqlx::Error> {
                use std::collections::HashMap;
                // Claim every seq the batch could need, per conversation in id order (the
                // order every writer locks conversation rows in, so two lanes cannot
                // deadlock). The first write takes the lock, as in `append_in`.
                let mut claimed: Vec<(i64, i64)> = Vec::new();
                for e in events {
                    match claimed.iter_mut().find(|(c, _)| *c == e.conversation_id.0) {
                        Some((_, n)) => *n += 1,
                        None => claimed.push((e.conversation_id.0, 1)),
                    }
                }
                claimed.sort_unstable();
                // Per live conversation: the first seq claimed, and the next one to give out.
                // A deleted or unknown conversation has no entry.
                let mut seqs: HashMap<i64, (i64, i64)> = HashMap::new();
                for &(conversation, n) in &claimed {
                    let last: Option<i64> = sqlx::query_scalar(
                        "UPDATE conversations SET last_seq = last_seq + $1 \
                         WHERE id = $2 AND deleted_at IS NULL RETURNING last_seq",
                    )
                    .bind(n)
                    .bind(conversation)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some(last) = last {
                        seqs.insert(conversation, (last - n + 1, last - n + 1));
                    }
                }
                // Membership and retries, for the whole batch in one read.
                let mut check = sqlx::QueryBuilder::<$db>::new("WITH b(i, c, u, k) AS (");
                check.push_values(events.iter().enumerate(), |mut row, (i, e)| {
                    row.push_bind(i as i64)
                        .push_bind(e.conversation_id.0)
                        .push_bind(e.sender.id.0)
                        .push_bind(e.client_id.as_str());
                });
                check.push(
                    ") SELECT b.i, \
                     EXISTS (SELECT 1 FROM members x WHERE x.conversation_id = b.c AND x.user_id = b.u), \
                     EXISTS (SELECT 1 FROM messages m \
                         WHERE m.conversation_id = b.c AND m.sender_id = b.u AND m.client_id = b.k) \
                     FROM b ORDER BY b.i",
                );
                // Planned afresh each time, never from a cached generic plan: PostgreSQL's
                // plan for this read, cached while `messages` was small, read and hashed the
                // whole table in every batch (5.6 ms a batch at 30,000 messages in the load
                // bench). Planned for the table as it is now, it probes the
                // `messages_client_id` index per event: about 1.5 ms with the planning.
                let checked: Vec<(i64, bool, bool)> = check
                    .build_query_as()
                    .persistent(false)
                    .fetch_all(&mut **tx)
                    .await?;
                let mut results: Vec<StoreResult<Inserted>> = Vec::with_capacity(events.len());
                // Where each (conversation, sender, client id) of the batch was answered.
                let mut first_of: HashMap<(i64, i64, &str), usize> = HashMap::new();
                // The new messages: their place in the batch and their seq.
                let mut new: Vec<(usize, Seq)> = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    let key = (e.conversation_id.0, e.sender.id.0, e.client_id.as_str());
                    let (_, member, stored) = checked[i];
                    // The checks in the order of `append_in`: the conversation, a retry,
                    // the membership.
                    let result = if let Some((_, next)) = seqs.get_mut(&e.conversation_id.0) {
                        if let Some(&earlier) = first_of.get(&key) {
                            // The same message twice in one batch: a retry of the first.
                            match &results[earlier] {
                                Ok(first) => Ok(Inserted {
                                    message: first.message.clone(),
                                    created: false,
                                    reopened: Vec::new(),
                                }),
                                Err(StoreError::NotMember) => Err(StoreError::NotMember),
                                Err(_) => Err(StoreError::NotFound),
                            }
                        } else if stored {
                            match Self::stored_event(tx, &e.as_new()).await {
                                Ok(Some(message)) => Ok(Inserted {
                                    message,
                                    created: false,
                                    reopened: Vec::new(),
                                }),
                                Ok(None) => Err(StoreError::NotFound),
                                Err(StoreError::Database(e)) => return Err(e),
                                Err(e) => Err(e),
                            }
                        } else if member {
                            let seq = Seq(*next);
                            *next += 1;
                            new.push((i, seq));
                            Ok(Inserted {
                                message: new_message(e, seq),
                                created: true,
                                reopened: Vec::new(),
                            })
                        } else {
                            Err(StoreError::NotMember)
                        }
                    } else {
                        Err(StoreError::NotFound)
                    };
                    first_of.entry(key).or_insert(i);
                    results.push(result);
                }
                if !new.is_empty() {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, mentions) ",
                    );
                    insert.push_values(new.iter(), |mut row, &(i, seq)| {
                        let e = &events[i];
                        row.push_bind(e.conversation_id.0)
                            .push_bind(seq)
                            .push_bind(e.sender.id.0)
                            .push_bind(e.client_id.as_str())
                            .push_bind(e.body.as_str())
                            .push_bind(e.now)
                            .push_bind(EventKind::Message.as_str())
                            .push_bind(mentions::encode(&e.mentions));
                    });
                    insert.build().execute(&mut **tx).await?;
                    // Their mentions, for the mentioned members' unread counts (mentioning
                    // oneself counts for nothing).
                    let mentioned: Vec<(i64, i64, Seq)> = new
                        .iter()
                        .flat_map(|&(i, seq)| {
                            let e = &events[i];
                            e.mentions
                                .iter()
                                .filter(move |u| **u != e.sender.id)
                                .map(move |u| (e.conversation_id.0, u.0, seq))
                        })
                        .collect();
                    if !mentioned.is_empty() {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO mentions (conversation_id, user_id, seq) ",
                        );
                        insert.push_values(mentioned, |mut row, (c, u, seq)| {
                            row.push_bind(c).push_bind(u).push_bind(seq);
                        });
                        insert.build().execute(&mut **tx).await?;
                    }
                }
                // Settle each conversation: the seqs not used (retries, refusals) are given
                // back, and new messages are new activity.
                let newest = events.iter().map(|e| e.now).max().unwrap_or(Timestamp(0));
                for (conversation, (first, next)) in seqs {
                    sqlx::query(
                        "UPDATE conversations SET last_seq = $1, \
                             last_activity_at = CASE WHEN $2 THEN $3 ELSE last_activity_at END \
                         WHERE id = $4",
                    )
                    .bind(next - 1)
                    .bind(next > first)
                    .bind(newest)
                    .bind(conversation)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(results)
            }
        }
    };
}
pub(crate) use impl_batch_append;

/// The answers for a batch of `n` events none of which was written (no connection, no
/// transaction, or it failed before anything was settled): each is told why.
pub fn none_written(
    n: usize,
    why: &sqlx::Error,
) -> Vec<super::super::StoreResult<super::super::Inserted>> {
    (0..n)
        .map(|_| Err(super::super::StoreError::Batch(why.to_string())))
        .collect()
}

/// The view of a plain message just written at `seq`.
pub fn new_message(
    e: &crate::server::store::writer::OwnedEvent,
    seq: crate::ids::Seq,
) -> crate::model::MessageView {
    crate::model::MessageView {
        conversation_id: e.conversation_id,
        seq,
        kind: crate::model::EventKind::Message,
        target_seq: None,
        author_id: e.sender.id,
        author: e.sender.username.clone(),
        body: e.body.clone(),
        created_at: e.now,
        edited_at: None,
        deleted: false,
        client_id: e.client_id.clone(),
        mentions: e.mentions.clone(),
        reply_to: None,
        reactions: Vec::new(),
        attachments: Vec::new(),
    }
}
