//! Replies and reactions on the append path, and reactions attached to read pages. Called
//! from `events.rs` inside the append's transaction, so a reply's target and a reaction's
//! limit are checked against what is committed, under the conversation's write lock.

macro_rules! impl_reactions {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The quote of message `seq`, which a new message answers: it must be a message
            /// of the conversation that is not deleted (`NotFound` otherwise).
            pub(crate) async fn reply_quote(
                tx: &mut sqlx::Transaction<'_, $db>,
                conversation: ConversationId,
                seq: Seq,
            ) -> StoreResult<ReplyQuote> {
                let row: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT m.sender_id, u.username, m.body FROM messages m \
                     JOIN users u ON u.id = m.sender_id \
                     WHERE m.conversation_id = $1 AND m.seq = $2 AND m.kind = 'message' \
                         AND m.deleted_at IS NULL",
                )
                .bind(conversation.0)
                .bind(seq)
                .fetch_optional(&mut **tx)
                .await?;
                let (author_id, author, body) = row.ok_or(StoreError::NotFound)?;
                Ok(ReplyQuote {
                    seq,
                    author_id: UserId(author_id),
                    author,
                    excerpt: ReplyQuote::excerpt_of(&body),
                    deleted: false,
                })
            }

            /// Applies a `react` or `unreact` event to message `target`: it must be a message
            /// that is not deleted (`NotFound`); a new emoji is refused once the message has
            /// [`crate::reactions::REACTIONS_MAX_DISTINCT`] (`TooManyReactions`). Adding what
            /// is there or removing what is not changes nothing and is not an error.
            pub(crate) async fn apply_reaction(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: &NewEvent<'_>,
                target: Seq,
                seq: Seq,
            ) -> StoreResult<()> {
                let live: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 \
                     AND seq = $2 AND kind = 'message' AND deleted_at IS NULL)",
                )
                .bind(e.conversation_id.0)
                .bind(target)
                .fetch_one(&mut **tx)
                .await?;
                if !live {
                    return Err(StoreError::NotFound);
                }
                if e.kind == EventKind::Unreact {
                    sqlx::query(
                        "DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2 \
                         AND emoji = $3 AND user_id = $4",
                    )
                    .bind(e.conversation_id.0)
                    .bind(target)
                    .bind(e.body)
                    .bind(e.sender.id.0)
                    .execute(&mut **tx)
                    .await?;
                    return Ok(());
                }
                let (distinct, present): (i64, bool) = sqlx::query_as(
                    "SELECT COUNT(DISTINCT emoji), \
                         COALESCE(MAX(CASE WHEN emoji = $3 THEN 1 ELSE 0 END), 0) = 1 \
                     FROM reactions WHERE conversation_id = $1 AND seq = $2",
                )
                .bind(e.conversation_id.0)
                .bind(target)
                .bind(e.body)
                .fetch_one(&mut **tx)
                .await?;
                if !present && distinct >= crate::reactions::REACTIONS_MAX_DISTINCT as i64 {
                    return Err(StoreError::TooManyReactions);
                }
                sqlx::query(
                    "INSERT INTO reactions (conversation_id, seq, emoji, user_id, event_seq) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(e.conversation_id.0)
                .bind(target)
                .bind(e.body)
                .bind(e.sender.id.0)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// A deleted message loses its reactions with its text.
            pub(crate) async fn clear_reactions(
                tx: &mut sqlx::Transaction<'_, $db>,
                conversation: ConversationId,
                seq: Seq,
            ) -> StoreResult<()> {
                sqlx::query("DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2")
                    .bind(conversation.0)
                    .bind(seq)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Fills in the reactions of the messages of one page (one query over the page's
            /// seq range), each emoji in the order it was first used, its users in the order
            /// they reacted.
            pub(crate) async fn attach_reactions(
                &self,
                conversation: ConversationId,
                page: &mut [MessageView],
            ) -> StoreResult<()> {
                let seqs = || {
                    page.iter()
                        .filter(|m| m.kind == EventKind::Message)
                        .map(|m| m.seq)
                };
                let (Some(low), Some(high)) = (seqs().min(), seqs().max()) else {
                    return Ok(());
                };
                let rows: Vec<(Seq, String, i64, String)> = sqlx::query_as(
                    "SELECT r.seq, r.emoji, r.user_id, u.username FROM reactions r \
                     JOIN users u ON u.id = r.user_id \
                     WHERE r.conversation_id = $1 AND r.seq BETWEEN $2 AND $3 \
                     ORDER BY r.seq, r.event_seq",
                )
                .bind(conversation.0)
                .bind(low)
                .bind(high)
                .fetch_all(&self.pool)
                .await?;
                let mut rows = rows.into_iter().peekable();
                for m in page.iter_mut().filter(|m| m.kind == EventKind::Message) {
                    while let Some((seq, ..)) = rows.peek() {
                        if *seq > m.seq {
                            break;
                        }
                        let (seq, emoji, id, username) = rows.next().expect("peeked");
                        if seq == m.seq {
                            let user = UserView {
                                id: UserId(id),
                                username,
                            };
                            crate::reactions::add(&mut m.reactions, &emoji, &user);
                        }
                    }
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_reactions;
