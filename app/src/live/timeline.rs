//! The open conversation's events, as pure data: what a frame does to the view. Kept free of
//! signals so it is tested natively.

use palaver::model::{EventKind, MessageView, ReplyQuote, UserView};
use palaver::{reactions, ConversationId, Seq};

/// The visible events (messages, joins, leaves) of one conversation, oldest first, with
/// edits and deletions applied. `last_seq` counts every event seen, visible or not: a
/// client resumes from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub conversation: Option<ConversationId>,
    pub messages: Vec<MessageView>,
    pub has_older: bool,
    pub last_seq: Seq,
    /// Where the reader had read up to when the conversation opened: the "new messages"
    /// divider goes before the first message from someone else after it.
    pub read_marker: Seq,
    /// Decided once when the conversation opens: the seq the divider goes before.
    pub divider: Option<Seq>,
    /// The events shown end before the conversation's newest: the reader opened it at an
    /// older message (a search result). Events that arrive live are not shown then; "load
    /// newer" fetches what follows, in order, until the end is reached ([`Self::attach`]).
    pub has_newer: bool,
}

/// What applying an event did.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The event was the next in sequence and is now shown.
    Shown,
    /// Already seen (a redelivery after a catch-up): ignored.
    Duplicate,
    /// Events are missing before this one: fetch from `after` and drop this one meanwhile.
    Gap {
        after: Seq,
    },
    /// The timeline is a window of older events: this one comes later, with "load newer".
    Beyond,
    OtherConversation,
}

impl Timeline {
    pub fn new(
        conversation: ConversationId,
        messages: Vec<MessageView>,
        has_older: bool,
        read_marker: Seq,
    ) -> Self {
        let last_seq = messages.last().map_or(Seq::ZERO, |m| m.seq);
        Timeline {
            conversation: Some(conversation),
            messages,
            has_older,
            last_seq,
            read_marker,
            divider: None,
            has_newer: false,
        }
    }

    /// A stretch of older events (see [`Self::has_newer`]); `has_newer` false makes it the
    /// same as [`Self::new`].
    pub fn window(
        conversation: ConversationId,
        messages: Vec<MessageView>,
        has_older: bool,
        has_newer: bool,
        read_marker: Seq,
    ) -> Self {
        Timeline {
            has_newer,
            ..Timeline::new(conversation, messages, has_older, read_marker)
        }
    }

    /// A catch-up that ended at the conversation's newest event (`synced` with `complete`)
    /// reached the end of a window if it ended where the window now does: from here on the
    /// timeline follows live events again. A `synced` of another request ends elsewhere and
    /// changes nothing.
    pub fn attach(&mut self, synced_to: Seq) {
        if self.has_newer && synced_to == self.last_seq {
            self.has_newer = false;
        }
    }

    pub fn first_seq(&self) -> Option<Seq> {
        self.messages.first().map(|m| m.seq)
    }

    pub fn apply(&mut self, event: MessageView) -> Applied {
        if self.conversation != Some(event.conversation_id) {
            return Applied::OtherConversation;
        }
        if event.seq <= self.last_seq {
            return Applied::Duplicate;
        }
        if self.has_newer && event.seq != self.last_seq.next() {
            return Applied::Beyond;
        }
        // A timeline that has shown nothing yet starts wherever the server's stream starts.
        if event.seq != self.last_seq.next() && self.last_seq != Seq::ZERO {
            return Applied::Gap {
                after: self.last_seq,
            };
        }
        self.last_seq = event.seq;
        match event.kind {
            EventKind::Message | EventKind::Join => self.messages.push(event),
            EventKind::Leave => {
                // A leave carries the author's name as it is now: a deleted account's is
                // "Deleted user", and its earlier messages on screen follow.
                for m in &mut self.messages {
                    if m.author_id == event.author_id && m.author != event.author {
                        m.author = event.author.clone();
                    }
                }
                self.messages.push(event)
            }
            EventKind::Edit => {
                let excerpt = ReplyQuote::excerpt_of(&event.body);
                self.quotes_of(event.target_seq, |q| q.excerpt = excerpt.clone());
                if let Some(m) = self.target(event.target_seq) {
                    m.body = event.body;
                    m.edited_at = Some(event.created_at);
                    m.mentions = event.mentions;
                }
            }
            EventKind::Delete => {
                self.quotes_of(event.target_seq, |q| {
                    q.excerpt.clear();
                    q.deleted = true;
                });
                if let Some(m) = self.target(event.target_seq) {
                    m.body.clear();
                    m.deleted = true;
                    m.reactions.clear();
                    m.attachments.clear();
                }
            }
            EventKind::React | EventKind::Unreact => {
                let user = UserView {
                    id: event.author_id,
                    username: event.author,
                };
                if let Some(m) = self.target(event.target_seq) {
                    if event.kind == EventKind::React {
                        reactions::add(&mut m.reactions, &event.body, &user);
                    } else {
                        reactions::remove(&mut m.reactions, &event.body, user.id);
                    }
                }
            }
        }
        Applied::Shown
    }

    /// Changes the quote in every reply to message `seq`.
    fn quotes_of(&mut self, seq: Option<Seq>, mut change: impl FnMut(&mut ReplyQuote)) {
        let Some(seq) = seq else { return };
        for m in &mut self.messages {
            if let Some(q) = m.reply_to.as_mut().filter(|q| q.seq == seq) {
                change(q);
            }
        }
    }

    fn target(&mut self, seq: Option<Seq>) -> Option<&mut MessageView> {
        let seq = seq?;
        self.messages.iter_mut().find(|m| m.seq == seq)
    }

    /// Retention deleted every event at or below `through` (`history_pruned`): they leave
    /// the screen, and the sequence goes on after it, so the next event is not a gap.
    pub fn prune(&mut self, through: Seq) {
        self.messages.retain(|m| m.seq > through);
        if self.first_seq().is_none_or(|first| first <= through.next()) {
            self.has_older = false;
        }
        if self.divider.is_some_and(|d| d <= through) {
            self.divider = None;
        }
        self.last_seq = self.last_seq.max(through);
    }

    /// Older history fetched with "load older": only what is not shown yet.
    pub fn prepend(&mut self, older: Vec<MessageView>, has_older: bool) {
        let first = self.first_seq().unwrap_or(Seq(i64::MAX));
        let mut merged: Vec<MessageView> = older.into_iter().filter(|m| m.seq < first).collect();
        merged.append(&mut self.messages);
        self.messages = merged;
        self.has_older = has_older;
    }

    /// The seq of the first unread message from someone other than `me`, if any.
    pub fn first_unread(&self, me: palaver::UserId) -> Option<Seq> {
        self.messages
            .iter()
            .find(|m| m.seq > self.read_marker && m.kind == EventKind::Message && m.author_id != me)
            .map(|m| m.seq)
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
