//! Applying the server's frames to the signals: the open timeline, the side nav, members,
//! presence and typing.

// Called by the socket, which runs in the browser only.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::attention::document_visible;
use super::*;

impl Live {
    /// Applies one server frame to the signals.
    pub fn apply(self, frame: ServerFrame) {
        if !matches!(frame, ServerFrame::Typing { .. }) {
            self.refresh.try_update_value(|r| {
                if let Some(r) = r {
                    r.journal.push(frame.clone());
                }
            });
        }
        let room = self.room();
        let open = |id: ConversationId| room.filter(|r| r.id == id);
        match frame {
            ServerFrame::Message { message } => {
                self.notify(&message);
                self.touch_summary(&message);
                if self.is_mine(&message) {
                    // Stored: the pending bubble gives way to the real one.
                    self.outbox
                        .update(|o| o.retain(|m| m.client_id != message.client_id));
                }
                if let Some(r) = open(message.conversation_id) {
                    // Their message is what they were typing: the indicator goes with it.
                    if message.kind == EventKind::Message {
                        let author = message.author_id;
                        r.typing.try_update(|t| t.retain(|(u, _)| u.id != author));
                    }
                    if let Some(Applied::Gap { .. }) = r.timeline.try_update(|t| t.apply(message)) {
                        self.catch_up();
                    }
                }
            }
            ServerFrame::MemberLeft {
                conversation_id,
                user_id,
            } => {
                if let Some(r) = open(conversation_id) {
                    r.members
                        .try_update(|ms| ms.retain(|m| m.user.id != user_id));
                }
            }
            ServerFrame::Presence {
                conversation_id,
                user_id,
                online,
            } => {
                // A direct message's row in the side nav shows whether the other person is on.
                if self.conversations.with_untracked(|cs| {
                    cs.iter().any(|c| {
                        c.id == conversation_id
                            && c.peer == Some(user_id)
                            && c.peer_online != online
                    })
                }) {
                    self.conversations.update(|cs| {
                        if let Some(c) = cs.iter_mut().find(|c| c.id == conversation_id) {
                            c.peer_online = online;
                        }
                    });
                }
                if let Some(r) = open(conversation_id) {
                    r.online.try_update(|o| {
                        if online {
                            o.insert(user_id);
                        } else {
                            o.remove(&user_id);
                        }
                    });
                }
            }
            ServerFrame::Typing {
                conversation_id,
                user,
            } => {
                if let Some(r) = open(conversation_id).filter(|_| user.id != self.me_id()) {
                    let until = now_ms().plus_ms(TYPING_SHOWN_MS);
                    r.typing.try_update(|t| {
                        t.retain(|(u, _)| u.id != user.id);
                        t.push((user, until));
                    });
                }
            }
            ServerFrame::ReadUpTo {
                conversation_id,
                seq,
            } => {
                self.conversations.update(|cs| {
                    if let Some(c) = cs
                        .iter_mut()
                        .find(|c| c.id == conversation_id && seq >= c.last_seq)
                    {
                        c.unread = 0;
                        c.mentions = 0;
                    }
                });
            }
            ServerFrame::NotifyLevel {
                conversation_id,
                level,
            } => self.set_notify_level(conversation_id, level),
            ServerFrame::AuditAppended { conversation_id } => {
                if let Some(r) = open(conversation_id) {
                    r.audit_appended.try_update(|n| *n += 1);
                }
            }
            ServerFrame::ConversationAdded { conversation } => {
                // A direct message that appears with an unread message (its first, or the
                // first since it was closed) may have been published before this socket
                // listened to it: its notification comes from the row (see `notify_added`).
                let row = conversation.clone();
                if self.add_conversation(conversation) {
                    self.notify_added(&row);
                }
            }
            // Closed here or on another device: out of the side nav until its next message.
            ServerFrame::ConversationHidden { conversation_id } => {
                self.conversations
                    .update(|cs| cs.retain(|c| c.id != conversation_id));
            }
            ServerFrame::ConversationRemoved {
                conversation_id,
                reason,
            } => {
                self.conversations
                    .update(|cs| cs.retain(|c| c.id != conversation_id));
                // Nothing queued for it can be sent any more.
                self.outbox
                    .update(|o| o.retain(|m| m.conversation != conversation_id));
                if let Some(r) = open(conversation_id) {
                    r.closed.try_set(Some(reason.into()));
                    r.typing.try_update(Vec::clear);
                }
            }
            ServerFrame::ConversationUpdated {
                conversation_id,
                title,
                public,
            } => {
                self.conversations.update(|cs| {
                    if let Some(c) = cs.iter_mut().find(|c| c.id == conversation_id) {
                        c.title = title.clone();
                        c.public = public;
                    }
                });
                if let Some(r) = open(conversation_id) {
                    r.title.try_set(title);
                    r.public.try_set(public);
                }
            }
            // A new member, or a member's new role: either way the list holds them once,
            // as the server last described them.
            ServerFrame::MemberJoined {
                conversation_id,
                member,
            }
            | ServerFrame::MemberUpdated {
                conversation_id,
                member,
            } => {
                if let Some(r) = open(conversation_id) {
                    r.members.try_update(|ms| {
                        match ms.iter_mut().find(|m| m.user.id == member.user.id) {
                            Some(m) => *m = member,
                            None => ms.push(member),
                        }
                    });
                }
            }
            ServerFrame::Profile {
                conversation_id,
                user_id,
                profile,
            } => self.apply_profile(conversation_id, user_id, profile),
            ServerFrame::HistoryPruned {
                conversation_id,
                through,
            } => {
                if let Some(r) = open(conversation_id) {
                    r.timeline.try_update(|t| t.prune(through));
                    r.retention.try_update(|k| {
                        k.pruned_through = k.pruned_through.max(through);
                    });
                }
            }
            // A catch-up that reached the newest event may end a window of older messages.
            ServerFrame::Synced {
                conversation_id,
                last_seq,
                complete: true,
            } => {
                if let Some(r) = open(conversation_id) {
                    r.timeline.try_update(|t| t.attach(last_seq));
                }
            }
            // Ready, Ack, other Synced, Renewed and Error are the socket's business.
            _ => {}
        }
    }

    fn is_open(self, id: ConversationId) -> bool {
        self.room().is_some_and(|r| r.id == id)
    }

    /// Keeps the side nav current: a new message moves its conversation to the top with a
    /// fresh preview and, unless it is mine or I am looking at it, one more unread (and one
    /// more unread mention if it mentions me).
    fn touch_summary(self, m: &MessageView) {
        let mine = self.is_mine(m);
        let mentioned = self.mentions_me(m);
        let reading = self.is_open(m.conversation_id) && document_visible();
        let mut changed_a_message = false;
        self.conversations.update(|cs| {
            let Some(pos) = cs
                .iter()
                .position(|c| c.id == m.conversation_id && c.last_seq < m.seq)
            else {
                return;
            };
            let mut c = cs.remove(pos);
            c.last_seq = m.seq;
            if m.kind == EventKind::Message {
                c.last_activity_at = m.created_at;
                c.last_message = Some(MessagePreview::of(m));
                if !mine && !reading {
                    c.unread = (c.unread + 1).min(palaver::model::UNREAD_CAP);
                    if mentioned {
                        c.mentions = (c.mentions + 1).min(palaver::model::UNREAD_CAP);
                    }
                }
                cs.insert(0, c);
            } else {
                changed_a_message = matches!(m.kind, EventKind::Edit | EventKind::Delete);
                cs.insert(pos, c);
            }
        });
        // The edited or deleted message may be the preview or one of the unread ones.
        if changed_a_message {
            self.reload_side_nav();
        }
    }
}
