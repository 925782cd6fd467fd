//! Messages and the other live frames of a conversation: history, catching up, sends,
//! edits, deletions, read positions and typing notices.

use super::appends::{append_error, new_event, Mode};
use super::*;
use crate::files::AttachmentId;
use crate::mentions;

impl Chat {
    /// A page of history ending before `before` (the newest page when `None`).
    pub async fn history(
        &self,
        who: &UserView,
        id: ConversationId,
        before: Option<Seq>,
    ) -> Result<HistoryPage, CoreError> {
        self.require_member(id, who.id).await?;
        let mut messages =
            timed("history", self.store.history(id, before, HISTORY_PAGE + 1)).await?;
        let has_older = messages.len() as i64 > HISTORY_PAGE;
        if has_older {
            messages.remove(0);
        }
        Ok(HistoryPage {
            messages,
            has_older,
            // Only where "load older" stops does it matter where history begins.
            pruned_through: if has_older {
                Seq::ZERO
            } else {
                self.retention(id).await?.pruned_through
            },
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
        timed(
            "messages_after",
            self.store.messages_after(id, after, limit),
        )
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
