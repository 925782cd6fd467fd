//! Appending to a conversation's sequence: the ordering lock, the writer's publish hook, and
//! the one mapping of the store's refusals to the core's errors. Messages, edits, deletions
//! and reactions all come through here.

use super::*;
use crate::files::AttachmentId;
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
    pub(super) fn publisher(&self, shared: tokio::sync::OwnedRwLockReadGuard<()>) -> Committed {
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
    pub(super) async fn append_lock(
        &self,
        id: ConversationId,
    ) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.send_locks[self.stripe(id)].clone().read_owned().await
    }

    fn stripe(&self, id: ConversationId) -> usize {
        (id.0.unsigned_abs() % self.send_locks.len() as u64) as usize
    }

    /// Publishes an event of the conversation's sequence (call under its ordering lock).
    pub(super) fn publish_event(&self, m: &MessageView) {
        publish_to(&*self.hub, m);
    }
}

/// The event `who` appends to conversation `id`, with what `mode` adds.
pub(super) fn new_event<'a>(
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
        erasure: false,
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
pub(super) fn append_error(e: StoreError, targeted: bool) -> CoreError {
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
