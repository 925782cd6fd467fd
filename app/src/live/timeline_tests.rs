//! The timeline's rules, natively: what each frame does to the view.

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

#[test]
fn pruning_drops_the_events_it_deleted_and_the_sequence_goes_on_after_it() {
    let mut t = Timeline::new(
        CONV,
        vec![msg(3, "a"), msg(4, "b"), msg(5, "c")],
        true,
        Seq::ZERO,
    );
    t.divider = Some(Seq(4));
    t.prune(Seq(4));
    assert_eq!(t.messages.iter().map(|m| m.seq.0).collect::<Vec<_>>(), [5]);
    assert!(
        !t.has_older,
        "nothing older than the first kept event is left"
    );
    assert_eq!(t.divider, None);
    // A client that saw seq 5 and missed 6..=9, all pruned since: the next is no gap.
    let mut behind = Timeline::new(CONV, vec![msg(5, "c")], false, Seq::ZERO);
    behind.prune(Seq(9));
    assert!(behind.messages.is_empty());
    assert_eq!(behind.apply(msg(10, "d")), Applied::Shown);
    assert_eq!(behind.apply(msg(12, "f")), Applied::Gap { after: Seq(10) });
}

#[test]
fn pruning_older_than_what_is_shown_keeps_load_older_only_while_some_may_be_left() {
    let mut t = Timeline::new(CONV, vec![msg(10, "a")], true, Seq::ZERO);
    t.prune(Seq(4));
    assert_eq!(t.messages.len(), 1);
    assert!(t.has_older, "5..=9 may still be there");
    t.prune(Seq(9));
    assert!(!t.has_older);
    assert_eq!(t.last_seq, Seq(10), "never moves back");
}

#[test]
fn a_leave_renames_its_authors_earlier_messages() {
    let mut t = Timeline::new(CONV, vec![msg(1, "hi")], false, Seq::ZERO);
    let mut other = msg(2, "yo");
    other.author_id = UserId(8);
    other.author = "bob".into();
    t.apply(other);
    let mut leave = event(3, EventKind::Leave, None, "removed");
    leave.author = "Deleted user".into();
    assert_eq!(t.apply(leave), Applied::Shown);
    let authors: Vec<&str> = t.messages.iter().map(|m| m.author.as_str()).collect();
    assert_eq!(authors, ["Deleted user", "bob", "Deleted user"]);
}
