//! A conversation's sequence of events: appending (gap-free seq, idempotent client ids,
//! edits and deletions applied to their target in the same transaction), history pages and
//! catching up.

macro_rules! impl_event_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Appends `e` inside the caller's transaction and returns it, or the event stored
            /// earlier under the same (conversation, sender, client id) with `created: false`,
            /// in which case the caller must roll back (the seq claimed here is given back).
            /// Errors leave the transaction to be rolled back by the caller (dropping it).
            pub(crate) async fn append_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
            ) -> StoreResult<Inserted> {
                // Claim the next seq first. This write takes the lock at the start of the
                // transaction (SQLite's write lock, the conversation row's lock in
                // PostgreSQL), so concurrent writers queue and seqs stay gap-free: a rollback
                // gives the number back. A deleted conversation takes no more events. Edits
                // do not count as new activity.
                let seq: Option<Seq> = sqlx::query_scalar(
                    "UPDATE conversations SET last_seq = last_seq + 1, \
                         last_activity_at = CASE WHEN $1 THEN $2 ELSE last_activity_at END \
                     WHERE id = $3 AND deleted_at IS NULL RETURNING last_seq",
                )
                .bind(matches!(e.kind, EventKind::Message | EventKind::Join))
                .bind(e.now)
                .bind(e.conversation_id.0)
                .fetch_optional(&mut **tx)
                .await?;
                let Some(seq) = seq else {
                    return Err(StoreError::NotFound);
                };
                if let Some(message) = Self::stored_event(tx, e).await? {
                    return Ok(Inserted {
                        message,
                        created: false,
                        reopened: Vec::new(),
                    });
                }
                // Membership inside the write transaction: a removal or deletion that
                // committed after the caller's check is seen here, so nothing is written
                // after it.
                if e.kind.is_written_by_member()
                    && !e.erasure
                    && !Self::is_member(tx, e.conversation_id.0, e.sender.id).await?
                {
                    return Err(StoreError::NotMember);
                }
                match (e.kind, e.target_seq) {
                    (EventKind::Edit | EventKind::Delete, Some(target)) => {
                        Self::apply_to_target(tx, e, target).await?
                    }
                    (EventKind::React | EventKind::Unreact, Some(target)) => {
                        Self::apply_reaction(tx, e, target, seq).await?
                    }
                    _ => {}
                }
                let reply_to = match (e.kind, e.reply_to) {
                    (EventKind::Message, Some(answered)) => {
                        Some(Self::reply_quote(tx, e.conversation_id, answered).await?)
                    }
                    _ => None,
                };
                sqlx::query(
                    "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, target_seq, mentions, reply_to) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(e.conversation_id.0)
                .bind(seq)
                .bind(e.sender.id.0)
                .bind(e.client_id)
                .bind(e.body)
                .bind(e.now)
                .bind(e.kind.as_str())
                .bind(e.target_seq)
                .bind(mentions::encode(e.mentions))
                .bind(reply_to.as_ref().map(|q| q.seq))
                .execute(&mut **tx)
                .await?;
                let mut attachments = Vec::new();
                if e.kind == EventKind::Message {
                    Self::index_mentions(tx, e, seq).await?;
                    if !e.attachments.is_empty() {
                        attachments = Self::attach_files(tx, e, seq).await?;
                    }
                }
                Ok(Inserted {
                    message: MessageView {
                        conversation_id: e.conversation_id,
                        seq,
                        kind: e.kind,
                        target_seq: e.target_seq,
                        author_id: e.sender.id,
                        author: e.sender.username.clone(),
                        body: e.body.to_owned(),
                        created_at: e.now,
                        edited_at: None,
                        deleted: false,
                        client_id: e.client_id.to_owned(),
                        mentions: e.mentions.to_vec(),
                        reply_to,
                        reactions: Vec::new(),
                        attachments,
                    },
                    created: true,
                    reopened: Vec::new(),
                })
            }

            /// The event stored earlier under `e`'s (conversation, sender, client id), with its
            /// files: what a retry is answered with.
            pub(crate) async fn stored_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
            ) -> StoreResult<Option<MessageView>> {
                let existing: Option<MessageRow> = sqlx::query_as(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
                     WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_id = $3"
                ))
                .bind(e.conversation_id.0)
                .bind(e.sender.id.0)
                .bind(e.client_id)
                .fetch_optional(&mut **tx)
                .await?;
                let Some(row) = existing else {
                    return Ok(None);
                };
                let mut message = MessageView::try_from(row)?;
                if message.kind == EventKind::Message && !message.deleted {
                    message.attachments =
                        Self::files_of(&mut **tx, e.conversation_id, message.seq).await?;
                }
                Ok(Some(message))
            }

            /// An edit or deletion changes its target: only the author's (moderators may
            /// delete), and a deleted message stays deleted.
            async fn apply_to_target(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
                target: Seq,
            ) -> StoreResult<()> {
                let deleting = e.kind == EventKind::Delete;
                let changed = sqlx::query(
                    "UPDATE messages SET \
                         body = CASE WHEN $1 THEN '' ELSE $2 END, \
                         edited_at = CASE WHEN $1 THEN edited_at ELSE $3 END, \
                         deleted_at = CASE WHEN $1 THEN $3 ELSE deleted_at END, \
                         mentions = CASE WHEN $1 THEN '' ELSE $8 END \
                     WHERE conversation_id = $4 AND seq = $5 AND (sender_id = $6 OR $7) \
                         AND kind = 'message' AND deleted_at IS NULL",
                )
                .bind(deleting)
                .bind(e.body)
                .bind(e.now)
                .bind(e.conversation_id.0)
                .bind(target)
                .bind(e.sender.id.0)
                .bind(e.moderator && deleting)
                .bind(mentions::encode(e.mentions))
                .execute(&mut **tx)
                .await?;
                if changed.rows_affected() == 0 {
                    let exists: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM messages \
                         WHERE conversation_id = $1 AND seq = $2 AND kind = 'message')",
                    )
                    .bind(e.conversation_id.0)
                    .bind(target)
                    .fetch_one(&mut **tx)
                    .await?;
                    return Err(if exists {
                        StoreError::Forbidden
                    } else {
                        StoreError::NotFound
                    });
                }
                // The target's mentions become the edit's (none once deleted): whoever the
                // text no longer names stops counting it as an unread mention.
                sqlx::query("DELETE FROM mentions WHERE conversation_id = $1 AND seq = $2")
                    .bind(e.conversation_id.0)
                    .bind(target)
                    .execute(&mut **tx)
                    .await?;
                if !deleting {
                    Self::index_mentions(tx, e, target).await?;
                }
                if deleting {
                    Self::clear_reactions(tx, e.conversation_id, target).await?;
                    // Its files go with it: the trigger queues their bytes for deletion.
                    sqlx::query("DELETE FROM attachments WHERE conversation_id = $1 AND seq = $2")
                        .bind(e.conversation_id.0)
                        .bind(target)
                        .execute(&mut **tx)
                        .await?;
                    // The edits held the text too: blank them with the message (SECURITY 32).
                    sqlx::query(
                        "UPDATE messages SET body = '' \
                         WHERE conversation_id = $1 AND target_seq = $2 AND kind = 'edit'",
                    )
                    .bind(e.conversation_id.0)
                    .bind(target)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// Indexes the members message `seq` mentions, for their unread-mention counts.
            /// Mentioning oneself counts for nothing.
            async fn index_mentions(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
                seq: Seq,
            ) -> StoreResult<()> {
                for user in e.mentions.iter().filter(|u| **u != e.sender.id) {
                    sqlx::query(
                        "INSERT INTO mentions (conversation_id, user_id, seq) VALUES ($1, $2, $3)",
                    )
                    .bind(e.conversation_id.0)
                    .bind(user.0)
                    .bind(seq)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl EventStore for $store {
            async fn append_event(&self, e: NewEvent<'_>) -> StoreResult<Inserted> {
                self.append_event_then(e, Box::new(|_| {})).await
            }

            async fn append_event_then(
                &self,
                e: NewEvent<'_>,
                committed: writer::Committed,
            ) -> StoreResult<Inserted> {
                let inserted = self.writer.append_then(&e, Some(committed)).await?;
                // An erasure's many deletions share one, at its end (`finish_bulk_deletion`).
                if inserted.created && e.kind == EventKind::Delete && !e.erasure {
                    self.after_deletion().await;
                }
                Ok(inserted)
            }

            async fn queue_event_then(
                &self,
                e: NewEvent<'_>,
                committed: writer::Committed,
            ) -> StoreResult<writer::Pending> {
                debug_assert!(!matches!(e.kind, EventKind::Delete | EventKind::Edit));
                self.writer.queue_then(&e, Some(committed)).await
            }

            async fn history(
                &self,
                conversation: ConversationId,
                before: Option<Seq>,
                limit: i64,
            ) -> StoreResult<Vec<MessageView>> {
                let rows: Vec<MessageRow> = sqlx::query_as(&statements::history())
                    .bind(conversation.0)
                    .bind(before.unwrap_or(Seq(i64::MAX)))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let mut messages = rows
                    .into_iter()
                    .map(MessageView::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                messages.reverse();
                self.attach_reactions(conversation, &mut messages).await?;
                self.attach_files_to_page(conversation, &mut messages).await?;
                Ok(messages)
            }

            async fn messages_after(
                &self,
                conversation: ConversationId,
                after: Seq,
                limit: i64,
            ) -> StoreResult<Vec<MessageView>> {
                let rows: Vec<MessageRow> = sqlx::query_as(&statements::messages_after())
                    .bind(conversation.0)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let mut messages = rows
                    .into_iter()
                    .map(MessageView::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                self.attach_reactions(conversation, &mut messages).await?;
                self.attach_files_to_page(conversation, &mut messages).await?;
                Ok(messages)
            }
        }
    };
}
pub(crate) use impl_event_store;
