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
        let queued = self
            .queue_send(who, id, client_id, body, reply_to, attachments, false)
            .await?;
        self.finish_send(queued).await
    }

    /// The first half of [`Self::send_with_files`]: checks the message and queues it for the
    /// writer, without waiting for its commit. A socket queues its next message before this
    /// one has committed, so one client's messages share commits (the writer writes what
    /// one caller queued in that order). Errors: those of `send_with_files` that come before
    /// the write.
    ///
    /// `subscribed`: the caller's socket listens to this conversation, which it does only
    /// while its user is a member (it subscribes on joining and drops the subscription at the
    /// user's own `member_left`). The membership read is then skipped: the writer checks
    /// membership again in its transaction anyway, and refuses with `NotMember`, or
    /// `NotFound` for a conversation deleted since (which a member may know of). Without it,
    /// a non-member learns `NotMember` whether or not the conversation exists.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_send(
        &self,
        who: &UserView,
        id: ConversationId,
        client_id: &str,
        body: &str,
        reply_to: Option<Seq>,
        attachments: &[AttachmentId],
        subscribed: bool,
    ) -> Result<QueuedSend, CoreError> {
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
        if !subscribed {
            self.require_member(id, who.id).await?;
        }
        self.limits.message(who.id)?;
        let mentions = self.mentions_in(id, &body).await?;
        let mode = Mode::Message {
            mentions: &mentions,
            reply_to,
            attachments,
        };
        let event = new_event(who, id, EventKind::Message, None, client_id, &body, &mode);
        let shared = self.append_lock(id).await;
        let pending = self
            .store
            .queue_event_then(event, self.publisher(shared))
            .await
            .map_err(|e| append_error(e, reply_to.is_some()))?;
        Ok(QueuedSend { pending, reply_to })
    }

    /// The second half of [`Self::send_with_files`]: waits for the queued message's commit
    /// (it is published by then) and returns it, `created` false for a retry.
    pub async fn finish_send(&self, queued: QueuedSend) -> Result<(MessageView, bool), CoreError> {
        let QueuedSend { pending, reply_to } = queued;
        let inserted = pending
            .answer()
            .await
            .map_err(|e| append_error(e, reply_to.is_some()))?;
        if !inserted.reopened.is_empty() {
            // A direct conversation appears for whoever closed it, or never saw it yet.
            self.show_reopened(&inserted.message, &inserted.reopened)
                .await;
        }
        Ok((inserted.message, inserted.created))
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
        let event = new_event(who, id, kind, target_seq, client_id, body, &mode);
        let targeted = target_seq.is_some() || event.reply_to.is_some();
        let shared = self.append_lock(id).await;
        let inserted = self
            .store
            .append_event_then(event, self.publisher(shared))
            .await
            .map_err(|e| append_error(e, targeted))?;
        if inserted.created && kind == EventKind::Delete {
            // The message's files went with it; the janitor deletes their bytes.
            self.files_changed.notify_one();
        }
        Ok((inserted.message, inserted.created))
    }

    /// What the writer runs once an event has committed: publishes it. It holds `shared`,
    /// the append's side of the ordering lock, which the writer drops with it once done with
    /// the event, published or not: the lock never waits for the sender to come back for
    /// its answer (a socket may be busy queueing its next message).
    fn publisher(&self, shared: tokio::sync::OwnedRwLockReadGuard<()>) -> Committed {
        let hub = self.hub.clone();
        Box::new(move |m| {
            publish_to(&*hub, m);
            drop(shared);
        })
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

    /// The shared side of [`Self::ordering_lock`], for appends through the writer: owned, so
    /// that the writer can let go of it (see [`Self::publisher`]).
    async fn append_lock(&self, id: ConversationId) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.send_locks[self.stripe(id)].clone().read_owned().await
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

/// A message queued by [`Chat::queue_send`]; [`Chat::finish_send`] waits for its commit.
#[derive(Debug)]
pub struct QueuedSend {
    pending: crate::server::store::writer::Pending,
    reply_to: Option<Seq>,
}

/// The event `who` appends to conversation `id`, with what `mode` adds.
fn new_event<'a>(
    who: &'a UserView,
    id: ConversationId,
    kind: EventKind,
    target_seq: Option<Seq>,
    client_id: &'a str,
    body: &'a str,
    mode: &Mode<'a>,
) -> NewEvent<'a> {
    let (reply_to, attachments) = match *mode {
        Mode::Message {
            reply_to,
            attachments,
            ..
        } => (reply_to, attachments),
        _ => (None, &[][..]),
    };
    NewEvent {
        conversation_id: id,
        kind,
        target_seq,
        sender: who,
        client_id,
        body,
        now: Timestamp::now(),
        moderator: matches!(mode, Mode::Delete { moderator: true }),
        mentions: match *mode {
            Mode::Message { mentions, .. } | Mode::Edit(mentions) => mentions,
            _ => &[],
        },
        reply_to,
        attachments,
    }
}

/// The core's error for a refused append; `targeted` when the event names another message
/// (an edit's or deletion's target, a reply's original), whose absence is `NotFound("Message")`.
fn append_error(e: StoreError, targeted: bool) -> CoreError {
    match e {
        StoreError::NotMember => CoreError::NotMember,
        StoreError::NotFound if targeted => CoreError::NotFound("Message"),
        StoreError::AttachmentUnavailable => {
            CoreError::Invalid(crate::ValidationError::AttachmentUnavailable)
        }
        StoreError::TooManyReactions => {
            CoreError::Invalid(crate::ValidationError::TooManyReactions)
        }
        StoreError::NotFound => CoreError::NotFound("Conversation"),
        StoreError::Forbidden => CoreError::NotYours,
        e => CoreError::from(e),
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
