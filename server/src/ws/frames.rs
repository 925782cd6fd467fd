//! What the client sends, once authenticated. Every frame acts as the socket's verified user;
//! ids in a frame only name what to act on, and the core re-checks membership and roles on
//! every one.

use super::connection::{oldest, Acked, Catchup, Connection, BATCH_MAX, PONG_EVERY};
use super::writes::{error_frame, feed, flow, flush, Flow, ABNORMAL};
use axum::extract::ws::Message;
use futures::future::BoxFuture;
use futures::FutureExt;
use palaver::model::MessageView;
use palaver::protocol::{close, ClientFrame, ErrorCode, RemovalReason, ServerFrame, SYNC_BATCH};
use palaver::{ConversationId, CoreError, Seq, Timestamp};

impl Connection {
    pub(super) async fn on_text(&mut self, text: &str) -> Flow {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                return self
                    .reply(&ServerFrame::error(
                        ErrorCode::BadFrame,
                        format!("Malformed frame: {e}"),
                        None,
                    ))
                    .await
            }
        };
        if !matches!(frame, ClientFrame::Send { .. } | ClientFrame::Ping) {
            // Everything else is answered after the messages before it: a `sync` sees them,
            // an edit of one finds it, and answers keep the order of the frames.
            if let Flow::Close(code, why) = self.acknowledge_in_flight().await {
                return Flow::Close(code, why);
            }
        }
        match frame {
            ClientFrame::Renew { token } => match self.gateway.chat.renew_allowed(self.user.id) {
                Ok(()) => self.renew(&token).await,
                Err(e) => self.reply(&error_frame(e, None)).await,
            },
            ClientFrame::Auth { .. } => {
                self.reply(&ServerFrame::error(
                    ErrorCode::BadFrame,
                    "Already authenticated.",
                    None,
                ))
                .await
            }
            ClientFrame::Send {
                conversation_id,
                client_id,
                body,
                reply_to,
                attachments,
            } => {
                let chat = self.gateway.chat.clone();
                let queued = chat
                    .queue_send(
                        &self.user,
                        conversation_id,
                        &client_id,
                        &body,
                        reply_to,
                        &attachments,
                        self.listens_to(conversation_id),
                    )
                    .await;
                // The wait runs as a task of its own: after the commit it may read the database
                // (`finish_send`), and a future the socket only polls between frames could
                // hold pooled connections while the socket waits for one to check its next
                // frame, which with enough messages in flight is every connection.
                let acked: BoxFuture<'static, Acked> = match queued {
                    Ok(queued) => {
                        let task = tokio::spawn(async move { chat.finish_send(queued).await });
                        Box::pin(async move {
                            let result = task.await.unwrap_or_else(|e| Err(CoreError::internal(e)));
                            (conversation_id, client_id, stored(result))
                        })
                    }
                    Err(e) => Box::pin(std::future::ready((conversation_id, client_id, Err(e)))),
                };
                self.acks.push_back(acked);
                Flow::Continue
            }
            ClientFrame::React {
                conversation_id,
                seq,
                client_id,
                emoji,
            } => {
                self.react(conversation_id, seq, client_id, &emoji, true)
                    .await
            }
            ClientFrame::Unreact {
                conversation_id,
                seq,
                client_id,
                emoji,
            } => {
                self.react(conversation_id, seq, client_id, &emoji, false)
                    .await
            }
            ClientFrame::Sync {
                conversation_id,
                after_seq,
            } => match self.gateway.chat.sync_allowed(self.user.id) {
                Ok(()) => {
                    self.sync(conversation_id, after_seq.max(Seq::ZERO), Catchup::Asked)
                        .await
                }
                Err(e) => self.reply(&error_frame(e, None)).await,
            },
            ClientFrame::Edit {
                conversation_id,
                seq,
                client_id,
                body,
            } => {
                let result = self
                    .gateway
                    .chat
                    .edit_message(&self.user, conversation_id, seq, &client_id, &body)
                    .await;
                self.acknowledge(conversation_id, client_id, result).await
            }
            ClientFrame::Delete {
                conversation_id,
                seq,
                client_id,
            } => {
                let result = self
                    .gateway
                    .chat
                    .delete_message(&self.user, conversation_id, seq, &client_id)
                    .await;
                self.acknowledge(conversation_id, client_id, result).await
            }
            ClientFrame::Read {
                conversation_id,
                seq,
            } => {
                let result = self
                    .gateway
                    .chat
                    .mark_read(&self.user, conversation_id, seq)
                    .await;
                self.quietly(result.map(drop)).await
            }
            ClientFrame::Typing { conversation_id } => {
                let result = self.gateway.chat.typing(&self.user, conversation_id).await;
                self.quietly(result).await
            }
            ClientFrame::Ping => {
                let now = tokio::time::Instant::now();
                if self
                    .last_pong
                    .is_some_and(|at| now.duration_since(at) < PONG_EVERY)
                {
                    return Flow::Continue;
                }
                self.last_pong = Some(now);
                self.reply(&ServerFrame::Pong).await
            }
        }
    }

    /// A `react` (`on`) or `unreact`, answered like a send.
    async fn react(
        &mut self,
        conversation_id: ConversationId,
        seq: Seq,
        client_id: String,
        emoji: &str,
        on: bool,
    ) -> Flow {
        let result = self
            .gateway
            .chat
            .react(&self.user, conversation_id, seq, &client_id, emoji, on)
            .await;
        self.acknowledge(conversation_id, client_id, result).await
    }

    /// Frames that need no answer unless they fail.
    async fn quietly(&mut self, result: Result<(), CoreError>) -> Flow {
        match result {
            Ok(()) => Flow::Continue,
            Err(e) => self.reply(&error_frame(e, None)).await,
        }
    }

    /// Answers a queued message once its commit is known, and any others already known
    /// with it, in one write.
    pub(super) async fn on_acked(&mut self, acked: Acked) -> Flow {
        let mut deadline = None;
        let mut next = Some(acked);
        let mut written = 0;
        while let Some(acked) = next.take() {
            let frame = Message::Text(ack_frame(acked).to_json().into());
            if !feed(&mut self.socket, frame, &mut deadline).await {
                return Flow::Close(ABNORMAL, "write failed");
            }
            written += 1;
            if written < BATCH_MAX && !self.acks.is_empty() {
                next = oldest(&mut self.acks).now_or_never();
            }
        }
        flow(flush(&mut self.socket).await)
    }

    /// Waits for every queued message's commit and answers them.
    pub(super) async fn acknowledge_in_flight(&mut self) -> Flow {
        while !self.acks.is_empty() {
            let acked = oldest(&mut self.acks).await;
            if let Flow::Close(code, why) = self.on_acked(acked).await {
                return Flow::Close(code, why);
            }
        }
        Flow::Continue
    }

    /// Answers a send, edit or delete: `ack` with the stored seq, or an `error` naming the
    /// client id so the client can mark that one message as failed.
    async fn acknowledge(
        &mut self,
        conversation_id: ConversationId,
        client_id: String,
        result: Result<(MessageView, bool), CoreError>,
    ) -> Flow {
        self.reply(&ack_frame((conversation_id, client_id, stored(result))))
            .await
    }

    /// Accepts a fresh token for the same user and session holder; anything else ends the
    /// socket, since it means the client is confused or hostile.
    async fn renew(&mut self, token: &str) -> Flow {
        match self.gateway.chat.verify_ws_token(token).await {
            Ok(id) if id.user_id == self.user.id => {
                self.expires_at = id.expires_at;
                self.session_id = id.session_id;
                self.reply(&ServerFrame::Renewed {
                    expires_at: id.expires_at,
                })
                .await
            }
            Ok(_) | Err(_) => {
                let _ = self
                    .reply(&ServerFrame::error(
                        ErrorCode::Unauthenticated,
                        "Invalid token for this socket.",
                        None,
                    ))
                    .await;
                Flow::Close(close::POLICY, "invalid token")
            }
        }
    }

    /// Sends the messages after `after` from the database, as [`Catchup`] says: one batch
    /// for the client's `sync`, everything for a lag resync.
    pub(super) async fn sync(&mut self, id: ConversationId, after: Seq, why: Catchup) -> Flow {
        let mut after = after;
        loop {
            let batch = match self
                .gateway
                .chat
                .messages_after(self.user.id, id, after, SYNC_BATCH)
                .await
            {
                Ok(b) => b,
                Err(e) => return self.sync_failed(id, e, &why).await,
            };
            let complete = (batch.len() as i64) < SYNC_BATCH;
            // Seqs have no gaps, so one before the first event answered means retention
            // deleted the events in between: the client drops what it still shows of them.
            if let Some(first) = batch.first().filter(|m| m.seq > after.next()) {
                let pruned = ServerFrame::HistoryPruned {
                    conversation_id: id,
                    through: Seq(first.seq.0 - 1),
                };
                if let Flow::Close(c, r) = self.reply(&pruned).await {
                    return Flow::Close(c, r);
                }
            }
            for message in batch {
                after = message.seq;
                let sent = self.sent.entry(id).or_insert(Seq::ZERO);
                *sent = (*sent).max(message.seq);
                if let Flow::Close(c, r) = self.reply(&ServerFrame::Message { message }).await {
                    return Flow::Close(c, r);
                }
            }
            if complete || matches!(why, Catchup::Asked) {
                return self
                    .reply(&ServerFrame::Synced {
                        conversation_id: id,
                        last_seq: after,
                        complete,
                    })
                    .await;
            }
        }
    }

    /// A client's `sync` that fails is answered with an error frame. A lag resync cannot
    /// just report and carry on, since the events it was to replace would be skipped.
    async fn sync_failed(&mut self, id: ConversationId, e: CoreError, why: &Catchup) -> Flow {
        match (why, e) {
            (Catchup::Asked, e) => self.reply(&error_frame(e, None)).await,
            (Catchup::Lagged, CoreError::NotMember) => {
                // Lagged past the departure: stop forwarding and say so.
                self.unsubscribe(id);
                self.reply(&ServerFrame::ConversationRemoved {
                    conversation_id: id,
                    reason: RemovalReason::Removed,
                })
                .await
            }
            (Catchup::Lagged, e) => {
                tracing::warn!(conversation = %id, error = %e, "cannot resync a lagged subscriber; closing");
                Flow::Close(close::RESYNC, "fell behind; reconnect")
            }
        }
    }
}

/// What an `ack` says of a stored event: its seq and time.
fn stored(result: Result<(MessageView, bool), CoreError>) -> Result<(Seq, Timestamp), CoreError> {
    result.map(|(m, _)| (m.seq, m.created_at))
}

/// The `ack`, or the `error` carrying the client id, that answers a message, edit,
/// deletion or reaction.
fn ack_frame((conversation_id, client_id, result): Acked) -> ServerFrame {
    match result {
        Ok((seq, created_at)) => ServerFrame::Ack {
            conversation_id,
            client_id,
            seq,
            created_at,
        },
        Err(e) => error_frame(e, Some(client_id)),
    }
}
