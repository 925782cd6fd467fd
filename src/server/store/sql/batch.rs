//! The writer's side of a conversation's sequence (see `writer`): a batch of events in one
//! transaction.
//!
//! A batch of plain messages is written by `batch_messages`; any other batch event by event,
//! each in its own savepoint.

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
                // A lone plain message, the usual send, in one statement where the store
                // has one (`append_at_once`). Not written by it (a retry, a refusal, or an
                // error, after which the connection's state is unknown): the transaction
                // path below answers, on a fresh connection after an error.
                if let [event] = events.as_slice() {
                    if event.is_plain_message() {
                        match Self::append_at_once(&mut *conn, event).await {
                            Ok(Some(inserted)) => {
                                kept.give_back(conn, false);
                                return vec![Ok(inserted)];
                            }
                            Ok(None) => {}
                            Err(error) => {
                                conn = match kept.replace(conn).await {
                                    Ok(conn) => conn,
                                    Err(_) => return none_written(events.len(), &error),
                                };
                                was_kept = false;
                            }
                        }
                    }
                }
                let results = loop {
                    let error = match sqlx::Connection::begin(&mut *conn).await {
                        Ok(tx) => break Self::append_batch(tx, events).await,
                        Err(e) => e,
                    };
                    if !was_kept {
                        kept.give_back(conn, true);
                        return none_written(events.len(), &error);
                    }
                    conn = match kept.replace(conn).await {
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
            ///
            /// Every way out ends the transaction before answering, never by dropping it:
            /// the lane keeps this connection (`kept`), and on PostgreSQL sqlx only queues
            /// a dropped transaction's `ROLLBACK` until the connection's next use, so the
            /// conversation's row stayed locked against the other lanes until then.
            async fn append_alone(
                mut tx: sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
            ) -> StoreResult<Inserted> {
                let inserted = match Self::append_in(&mut tx, e).await {
                    Ok(inserted) if inserted.created => inserted,
                    // A retry answered with the stored event, or a refusal.
                    answer => {
                        tx.rollback().await?;
                        return answer;
                    }
                };
                let mut results = [Ok(inserted)];
                if let Err(e) = Self::settle_in(&mut tx, &mut results).await {
                    tx.rollback().await?;
                    return Err(e.into());
                }
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
