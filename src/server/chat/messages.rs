//! Messages and the other live frames of a conversation: history, catching up, sends,
//! edits, deletions, read positions and typing notices.

use super::*;
use crate::files::AttachmentId;
use crate::mentions;
use crate::server::store::writer::Committed;

/// What an appended event carries besides its text.
pub(super) enum Mode<'a> {
    /// Messages: the members the text mentions, the message it answers, its files.
    Message {
        mentions: &'a [UserId],
        reply_to: Option<Seq>,
        attachments: &'a [AttachmentId],
    },
    /// Edits: the members the new text mentions.
    Edit(&'a [UserId]),
    /// Deletions: whether the sender may delete anyone's message.
    Delete { moderator: bool },
    /// Reactions: nothing more (the emoji is the body).
    Reaction,
}

impl Chat {
    /// A page of history ending before `before` (the newest page when `None`).
    pub async fn history(
        &self,
        who: &UserView,
        id: ConversationId,
        before: Option<Seq>,
    ) -> Result<HistoryPage, CoreError> {
        self.require_member(id, who.id).await?;
        let mut messages = self.store.history(id, before, HISTORY_PAGE + 1).await?;
        let has_older = messages.len() as i64 > HISTORY_PAGE;
        if has_older {
            messages.remove(0);
        }
        Ok(HistoryPage {
            messages,
            has_older,
        })
    }

    /// Messages after `after`, for a client catching up; at most `limit`.
    pub async fn messages_after(
        &self,
        who: UserId,
        id: ConversationId,
        after: Seq,
        limit: i64,
    ) -> Result<Vec<MessageView>, CoreError> {
        self.require_member(id, who).await?;
        self.store
            .messages_after(id, after, limit)
            .await
            .map_err(CoreError::from)
    }

    /// Persists, then broadcasts. Returns the stored message; `created` is false when this
    /// client id was stored before (a retry), in which case nothing is broadcast again.
    pub async fn send_message(
        &self,
        who: &UserView,
        id: ConversationId,
        client_id: &str,
        body: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        self.send_reply(who, id, client_id, body, None).await
    }

    /// [`Self::send_message`], answering message `reply_to` of the same conversation when
    /// given. Errors: `NotFound("Message")` when that is not a message of the conversation
    /// or is deleted.
    pub async fn send_reply(
        &self,
        who: &UserView,
        id: ConversationId,
        client_id: &str,
        body: &str,
        reply_to: Option<Seq>,
    ) -> Result<(MessageView, bool), CoreError> {
        self.send_with_files(who, id, client_id, body, reply_to, &[])
            .await
    }

    /// [`Self::send_reply`] carrying the caller's pending uploads `attachments` (at most
    /// [`crate::files::ATTACHMENTS_PER_MESSAGE_MAX`], no repeats) to this conversation;
    /// with at least one, `body` may be empty. Errors: `TooManyAttachments`,
    /// `AttachmentUnavailable` (not a pending upload of the caller here: expired, sent,
    /// someone else's), and those of `send_reply`.
    pub async fn send_with_files(
        &self,
        who: &UserView,
        id: ConversationId,
        client_id: &str,
        body: &str,
        reply_to: Option<Seq>,
        attachments: &[AttachmentId],
    ) -> Result<(MessageView, bool), CoreError> {
        if attachments.len() > crate::files::ATTACHMENTS_PER_MESSAGE_MAX {
            return Err(ValidationError::TooManyAttachments.into());
        }
        if attachments
            .iter()
            .enumerate()
            .any(|(i, a)| attachments[..i].contains(a))
        {
            return Err(ValidationError::AttachmentUnavailable.into());
        }
        let body = if !attachments.is_empty() && body.trim().is_empty() {
            String::new()
        } else {
            MessageBody::parse(body)?.into_inner()
        };
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.limits.message(who.id)?;
        let mentions = self.mentions_in(id, &body).await?;
        let (message, created) = self
            .append_as(
                who,
                id,
                EventKind::Message,
                None,
                client_id,
                &body,
                Mode::Message {
                    mentions: &mentions,
                    reply_to,
                    attachments,
                },
            )
            .await?;
        if created {
            // A direct conversation appears for whoever closed it, or never saw it yet.
            self.reopen_for(&message).await;
        }
        Ok((message, created))
    }

    /// Replaces the text of the caller's own message.
    pub async fn edit_message(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
        body: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        let body = MessageBody::parse(body)?;
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.limits.message(who.id)?;
        // Recomputed from the new text: the message's mention set becomes this one.
        let mentions = self.mentions_in(id, body.as_str()).await?;
        self.append_as(
            who,
            id,
            EventKind::Edit,
            Some(seq),
            client_id,
            body.as_str(),
            Mode::Edit(&mentions),
        )
        .await
    }

    /// The members `body` mentions (see [`crate::mentions`]). Only names that are members
    /// of the conversation now count; the body's validation has capped how many there are.
    async fn mentions_in(&self, id: ConversationId, body: &str) -> Result<Vec<UserId>, CoreError> {
        let keys = mentions::lookup_keys(body);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.store.members_by_key(id, &keys).await?;
        Ok(mentions::resolve(body, |key| {
            found.iter().find(|(k, _)| k == key).map(|(_, id)| *id)
        }))
    }

    /// Deletes a message, leaving a placeholder in the sequence: authors delete their own,
    /// owners and admins anyone's.
    pub async fn delete_message(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        check_client_id(client_id)?;
        let role = self.require_member(id, who.id).await?;
        self.limits.message(who.id)?;
        self.append_as(
            who,
            id,
            EventKind::Delete,
            Some(seq),
            client_id,
            "",
            Mode::Delete {
                moderator: permissions::may(role, Action::DeleteOthersMessages),
            },
        )
        .await
    }

    /// Appends an event and publishes it. The writer publishes it right after its commit,
    /// in seq order among the conversation's appends (`EventStore::append_event_then`), so
    /// senders to one conversation share commits instead of taking turns across each one;
    /// they hold the shared side of the conversation's ordering lock meanwhile (see
    /// [`Self::ordering_lock`]). Callers have checked membership and input.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn append_as(
        &self,
        who: &UserView,
        id: ConversationId,
        kind: EventKind,
        target_seq: Option<Seq>,
        client_id: &str,
        body: &str,
        mode: Mode<'_>,
    ) -> Result<(MessageView, bool), CoreError> {
        let (reply_to, attachments) = match mode {
            Mode::Message {
                reply_to,
                attachments,
                ..
            } => (reply_to, attachments),
            _ => (None, &[][..]),
        };
        let _shared = self.append_lock(id).await;
        let hub = self.hub.clone();
        let publish: Committed = Box::new(move |m| publish_to(&*hub, m));
        let inserted = self
            .store
            .append_event_then(
                NewEvent {
                    conversation_id: id,
                    kind,
                    target_seq,
                    sender: who,
                    client_id,
                    body,
                    now: Timestamp::now(),
                    moderator: matches!(mode, Mode::Delete { moderator: true }),
                    mentions: match mode {
                        Mode::Message { mentions, .. } | Mode::Edit(mentions) => mentions,
                        _ => &[],
                    },
                    reply_to,
                    attachments,
                },
                publish,
            )
            .await
            .map_err(|e| match e {
                StoreError::NotMember => CoreError::NotMember,
                StoreError::NotFound if target_seq.is_some() || reply_to.is_some() => {
                    CoreError::NotFound("Message")
                }
                StoreError::AttachmentUnavailable => {
                    CoreError::Invalid(crate::ValidationError::AttachmentUnavailable)
                }
                StoreError::TooManyReactions => {
                    CoreError::Invalid(crate::ValidationError::TooManyReactions)
                }
                StoreError::NotFound => CoreError::NotFound("Conversation"),
                StoreError::Forbidden => CoreError::NotYours,
                e => CoreError::from(e),
            })?;
        if inserted.created && kind == EventKind::Delete {
            // The message's files went with it; the janitor deletes their bytes.
            self.files_changed.notify_one();
        }
        Ok((inserted.message, inserted.created))
    }

    /// A conversation's events leave in seq order. Appends through the writer (messages,
    /// edits, deletions, reactions) share this lock, from before they are queued until the
    /// writer has published them: among themselves the writer keeps the order, so they are
    /// batched together. Everything else that writes to the sequence or ends a membership
    /// (joins, removals, deleting the conversation) holds it alone, across its transaction and
    /// its publishing: no send is published in between, so a removed member's sockets stop at
    /// their `member_left` with nothing after it (SECURITY 29). Striped rather than one lock
    /// per conversation: bounded memory. tokio's lock is fair, so a waiting removal is not
    /// starved by a stream of sends.
    pub(super) async fn ordering_lock(
        &self,
        id: ConversationId,
    ) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.send_locks[self.stripe(id)].write().await
    }

    /// The shared side of [`Self::ordering_lock`], for appends through the writer.
    pub(super) async fn append_lock(
        &self,
        id: ConversationId,
    ) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.send_locks[self.stripe(id)].read().await
    }

    fn stripe(&self, id: ConversationId) -> usize {
        (id.0.unsigned_abs() % self.send_locks.len() as u64) as usize
    }

    /// Publishes an event of the conversation's sequence (call under its ordering lock).
    pub(super) fn publish_event(&self, m: &MessageView) {
        publish_to(&*self.hub, m);
    }

    /// Records that the caller has read up to `seq`; their other sockets follow. Rate
    /// limited, and published only when the position moved, so a flood of `read` frames can
    /// neither write nor fan out without bound (SECURITY 28).
    pub async fn mark_read(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
    ) -> Result<Seq, CoreError> {
        self.limits.read(who.id)?;
        self.require_member(id, who.id).await?;
        let (stored, moved) = self.store.mark_read(id, who.id, seq).await?;
        if moved {
            self.publish(
                Topic::User(who.id),
                &ServerFrame::ReadUpTo {
                    conversation_id: id,
                    seq: stored,
                },
            );
        }
        Ok(stored)
    }

    /// A client's `sync` request: at most a few at once per user (each answers at most
    /// `SYNC_BATCH` messages), so a small frame cannot make the server send without bound.
    pub fn sync_allowed(&self, who: UserId) -> Result<(), CoreError> {
        self.limits.sync(who)
    }

    /// A token renewal on an open socket, rate limited per user.
    pub fn renew_allowed(&self, who: UserId) -> Result<(), CoreError> {
        self.limits.renew(who)
    }

    /// Tells the other members that the caller is typing. Not stored.
    /// At most one per user and conversation every few seconds is broadcast; the rest are
    /// dropped without an answer (the indicator is already showing).
    pub async fn typing(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        if !self.limits.typing(who.id, id) {
            return Ok(());
        }
        self.require_member(id, who.id).await?;
        self.publish(
            Topic::Conversation(id),
            &ServerFrame::Typing {
                conversation_id: id,
                user: who.clone(),
            },
        );
        Ok(())
    }
}

/// Publishes an event of a conversation's sequence on its channel.
fn publish_to(hub: &dyn Hub, m: &MessageView) {
    hub.publish(
        Topic::Conversation(m.conversation_id),
        HubEvent::Sequenced {
            conversation: m.conversation_id,
            seq: m.seq,
            payload: frame_bytes(&ServerFrame::Message { message: m.clone() }),
        },
    );
}
