//! A batch of plain messages (no reply, no files: what a busy conversation is made of), in
//! the writer's transaction (see `batch`), costs a fixed handful of statements whatever its
//! size: one claim of seqs per conversation, one read that finds retries and non-members for
//! the whole batch, one multi-row insert of the messages and one of their mentions, one
//! update per conversation that settles its last seq and activity. Per message in its own
//! savepoint it was six statements (PERF.md: PostgreSQL appends ~490/s one by one, ~4,800/s
//! ten per statement).

macro_rules! impl_message_batch {
    ($store:ty, $db:ty) => {
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
pub(crate) use impl_message_batch;

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
