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
            EventKind::Message | EventKind::Join | EventKind::Leave => self.messages.push(event),
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
mod tests {
    use super::*;
    use palaver::{Timestamp, UserId};

    const CONV: ConversationId = ConversationId(1);

    fn event(seq: i64, kind: EventKind, target: Option<i64>, body: &str) -> MessageView {
        MessageView {
            conversation_id: CONV,
            seq: Seq(seq),
            kind,
            target_seq: target.map(Seq),
            author_id: UserId(7),
            author: "ann".into(),
            body: body.into(),
            created_at: Timestamp(seq * 1000),
            edited_at: None,
            deleted: false,
            client_id: format!("c{seq}"),
            mentions: vec![],
            reply_to: None,
            reactions: vec![],
            attachments: vec![],
        }
    }

    fn msg(seq: i64, body: &str) -> MessageView {
        event(seq, EventKind::Message, None, body)
    }

    #[test]
    fn next_event_is_appended_and_redeliveries_are_ignored() {
        let mut t = Timeline::new(CONV, vec![msg(1, "a")], false, Seq::ZERO);
        assert_eq!(t.apply(msg(2, "b")), Applied::Shown);
        assert_eq!(t.apply(msg(2, "b")), Applied::Duplicate);
        assert_eq!(t.apply(msg(1, "a")), Applied::Duplicate);
        assert_eq!(t.messages.len(), 2);
    }

    #[test]
    fn a_gap_is_reported_and_nothing_is_shown_out_of_order() {
        let mut t = Timeline::new(CONV, vec![msg(1, "a")], false, Seq::ZERO);
        assert_eq!(t.apply(msg(3, "c")), Applied::Gap { after: Seq(1) });
        assert_eq!(t.messages.len(), 1);
        assert_eq!(t.apply(msg(2, "b")), Applied::Shown);
        assert_eq!(t.apply(msg(3, "c")), Applied::Shown);
        let seqs: Vec<i64> = t.messages.iter().map(|m| m.seq.0).collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn edits_and_deletions_change_their_target_and_advance_the_position() {
        let file: palaver::model::Attachment = serde_json::from_str(
            r#"{"id":"AAAAAAAAAAAAAAAAAAAAAA","name":"a.png","content_type":"image/png","size":9}"#,
        )
        .unwrap();
        let mut with_files = msg(2, "bye");
        with_files.attachments = vec![file];
        let mut t = Timeline::new(CONV, vec![msg(1, "helo"), with_files], false, Seq::ZERO);
        assert_eq!(
            t.apply(event(3, EventKind::Edit, Some(1), "hello")),
            Applied::Shown
        );
        assert_eq!(
            t.apply(event(4, EventKind::Delete, Some(2), "")),
            Applied::Shown
        );
        assert_eq!(t.messages[0].body, "hello");
        assert_eq!(t.messages[0].edited_at, Some(Timestamp(3000)));
        assert!(t.messages[1].deleted);
        assert_eq!(t.messages[1].body, "");
        assert!(t.messages[1].attachments.is_empty(), "its files go with it");
        assert_eq!(
            t.messages.len(),
            2,
            "edit and delete events are not shown themselves"
        );
        assert_eq!(t.last_seq, Seq(4));
    }

    #[test]
    fn edits_of_messages_not_loaded_only_advance_the_position() {
        let mut t = Timeline::new(CONV, vec![msg(10, "x")], true, Seq::ZERO);
        assert_eq!(
            t.apply(event(11, EventKind::Edit, Some(3), "old one")),
            Applied::Shown
        );
        assert_eq!(t.last_seq, Seq(11));
        assert_eq!(t.messages[0].body, "x");
    }

    #[test]
    fn reactions_follow_their_events_and_quotes_follow_their_original() {
        let mut reply = msg(2, "yes");
        reply.reply_to = Some(ReplyQuote {
            seq: Seq(1),
            author_id: UserId(7),
            author: "ann".into(),
            excerpt: "lunch?".into(),
            deleted: false,
        });
        let mut t = Timeline::new(CONV, vec![msg(1, "lunch?"), reply], false, Seq::ZERO);
        let mut by = |seq, kind, emoji: &str, author: i64| {
            let mut e = event(seq, kind, Some(1), emoji);
            e.author_id = UserId(author);
            t.apply(e)
        };
        by(3, EventKind::React, "👍", 8);
        by(4, EventKind::React, "👍", 9);
        by(5, EventKind::React, "🎉", 8);
        by(6, EventKind::React, "👍", 8);
        by(7, EventKind::Unreact, "🎉", 8);
        let r = &t.messages[0].reactions;
        assert_eq!(r.len(), 1, "an emoji nobody uses goes away");
        assert_eq!(
            r[0].users.iter().map(|u| u.id.0).collect::<Vec<_>>(),
            [8, 9],
            "a repeated reaction counts once"
        );
        t.apply(event(
            8,
            EventKind::Edit,
            Some(1),
            "**dinner** instead?\nat 7",
        ));
        assert_eq!(
            t.messages[1].reply_to.as_ref().unwrap().excerpt,
            "dinner instead?"
        );
        t.apply(event(9, EventKind::Delete, Some(1), ""));
        let q = t.messages[1].reply_to.as_ref().unwrap();
        assert!(q.deleted && q.excerpt.is_empty());
        assert!(t.messages[0].reactions.is_empty());
        assert_eq!(t.last_seq, Seq(9));
        assert_eq!(
            t.messages.len(),
            2,
            "reaction events are not shown themselves"
        );
    }

    #[test]
    fn other_conversations_are_left_alone() {
        let mut t = Timeline::new(CONV, vec![], false, Seq::ZERO);
        let mut other = msg(1, "x");
        other.conversation_id = ConversationId(2);
        assert_eq!(t.apply(other), Applied::OtherConversation);
    }

    #[test]
    fn prepend_keeps_order_and_skips_overlap() {
        let mut t = Timeline::new(CONV, vec![msg(3, "c"), msg(4, "d")], true, Seq::ZERO);
        t.prepend(vec![msg(1, "a"), msg(2, "b"), msg(3, "c")], false);
        let seqs: Vec<i64> = t.messages.iter().map(|m| m.seq.0).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
        assert!(!t.has_older);
    }

    #[test]
    fn a_window_of_older_events_takes_only_what_follows_it_until_it_reaches_the_end() {
        let mut t = Timeline::window(CONV, vec![msg(10, "j"), msg(11, "k")], true, true, Seq(20));
        // Live events far ahead wait for "load newer"; they ask for no catch-up.
        assert_eq!(t.apply(msg(40, "live")), Applied::Beyond);
        assert_eq!(t.messages.len(), 2);
        // What "load newer" fetches arrives in order and is shown, edits included.
        assert_eq!(t.apply(msg(12, "l")), Applied::Shown);
        assert_eq!(
            t.apply(event(13, EventKind::Edit, Some(10), "J")),
            Applied::Shown
        );
        assert_eq!(t.messages[0].body, "J");
        assert_eq!(t.last_seq, Seq(13));
        // A catch-up that ended elsewhere (an older request) leaves the window as it is.
        t.attach(Seq(40));
        assert!(t.has_newer);
        assert_eq!(t.apply(msg(41, "live")), Applied::Beyond);
        // The one that ended here reached the end: live events count again.
        t.attach(Seq(13));
        assert!(!t.has_newer);
        assert_eq!(
            t.apply(msg(15, "after a gap")),
            Applied::Gap { after: Seq(13) }
        );
        assert_eq!(t.apply(msg(14, "next")), Applied::Shown);
    }

    #[test]
    fn a_window_that_reaches_the_end_is_a_plain_timeline() {
        let t = Timeline::window(CONV, vec![msg(1, "a")], false, false, Seq::ZERO);
        assert_eq!(t, Timeline::new(CONV, vec![msg(1, "a")], false, Seq::ZERO));
    }

    #[test]
    fn first_unread_skips_my_messages_and_system_lines() {
        let me = UserId(1);
        let mut mine = msg(3, "me");
        mine.author_id = me;
        let join = event(4, EventKind::Join, None, "");
        let t = Timeline::new(
            CONV,
            vec![msg(1, "a"), msg(2, "b"), mine, join, msg(5, "e")],
            false,
            Seq(2),
        );
        assert_eq!(t.first_unread(me), Some(Seq(5)));
    }
}
