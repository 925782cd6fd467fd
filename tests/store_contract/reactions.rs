//! Replies and reactions: a reply carries a quote of the message it answers as that message
//! reads now; reactions are events whose current set every read page carries.

use crate::fixtures::{add_member, append, conversation, event, say, user};
use palaver::model::{EventKind, MessageView, Reaction};
use palaver::reactions::REACTIONS_MAX_DISTINCT;
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq};
use std::sync::Arc;

async fn stored(store: &dyn Store, room: ConversationId, seq: Seq) -> MessageView {
    store
        .history(room, None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.seq == seq)
        .expect("in history")
}

fn summary(reactions: &[Reaction]) -> Vec<(String, Vec<String>)> {
    reactions
        .iter()
        .map(|r| {
            (
                r.emoji.clone(),
                r.users.iter().map(|u| u.username.clone()).collect(),
            )
        })
        .collect()
}

pub async fn a_reply_quotes_the_message_it_answers_as_it_reads_now(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    let other = conversation(&*store, &bob, "other").await;
    add_member(&*store, room, &alice, &bob).await;
    let original = say(&*store, room, &alice, "**Lunch** at noon?\nsecond line").await;

    let mut reply = event(room, &bob, EventKind::Message, None, "r1", "yes!");
    reply.reply_to = Some(original.seq);
    let sent = append(&*store, reply).await.unwrap().message;
    let quote = sent.reply_to.clone().expect("the echo carries the quote");
    assert_eq!(
        (quote.seq, quote.author_id, quote.author.as_str()),
        (original.seq, alice.id, "alice")
    );
    assert_eq!(
        quote.excerpt, "Lunch at noon?",
        "first line, formatting removed"
    );
    assert!(!quote.deleted);
    assert_eq!(stored(&*store, room, sent.seq).await.reply_to, Some(quote));
    let after = store.messages_after(room, original.seq, 10).await.unwrap();
    assert!(after
        .iter()
        .any(|m| m.seq == sent.seq && m.reply_to.is_some()));

    // An edit of the original shows in the quote; its deletion leaves "deleted".
    append(
        &*store,
        event(
            room,
            &alice,
            EventKind::Edit,
            Some(original.seq),
            "e1",
            "Dinner instead",
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        stored(&*store, room, sent.seq)
            .await
            .reply_to
            .unwrap()
            .excerpt,
        "Dinner instead"
    );
    append(
        &*store,
        event(
            room,
            &alice,
            EventKind::Delete,
            Some(original.seq),
            "d1",
            "",
        ),
    )
    .await
    .unwrap();
    let quote = stored(&*store, room, sent.seq).await.reply_to.unwrap();
    assert!(quote.deleted);
    assert_eq!(
        quote.excerpt, "",
        "a deleted message's text is gone from quotes too"
    );

    // Replying to a deleted message, to a seq that is not a message, to another
    // conversation's message or to nothing is refused, and nothing is written.
    let join_seq = store
        .history(room, None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == EventKind::Join)
        .expect("bob's join")
        .seq;
    // A seq that is a message in `other` only: a reply never quotes another conversation.
    let mut elsewhere = say(&*store, other, &bob, "elsewhere 0").await;
    for n in 1..20 {
        elsewhere = say(&*store, other, &bob, &format!("elsewhere {n}")).await;
    }
    let room_last = store.messages_after(room, Seq::ZERO, 100).await.unwrap();
    assert!(room_last.iter().all(|m| m.seq < elsewhere.seq));
    for (n, target) in [original.seq, join_seq, elsewhere.seq, Seq(999)]
        .into_iter()
        .enumerate()
    {
        let id = format!("bad{n}");
        let mut bad = event(room, &bob, EventKind::Message, None, &id, "to nothing");
        bad.reply_to = Some(target);
        assert!(
            matches!(append(&*store, bad).await, Err(StoreError::NotFound)),
            "reply to {target}"
        );
    }
    assert_eq!(
        store.messages_after(room, Seq::ZERO, 100).await.unwrap(),
        room_last,
        "refused replies wrote nothing"
    );
}

pub async fn reactions_aggregate_per_emoji_and_follow_their_events(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    let m = say(&*store, room, &alice, "ship it").await;
    let react = |who, kind, id: &'static str, emoji: &'static str| {
        let store = store.clone();
        async move { append(&*store, event(room, who, kind, Some(m.seq), id, emoji)).await }
    };
    let r1 = react(&bob, EventKind::React, "r1", "👍").await.unwrap();
    assert!(r1.created);
    assert_eq!(
        (
            r1.message.kind,
            r1.message.target_seq,
            r1.message.body.as_str()
        ),
        (EventKind::React, Some(m.seq), "👍")
    );
    react(&alice, EventKind::React, "r2", "🎉").await.unwrap();
    react(&alice, EventKind::React, "r3", "👍").await.unwrap();
    // Adding again changes nothing but is not an error; a retry takes no new seq.
    react(&bob, EventKind::React, "r4", "👍").await.unwrap();
    let retry = react(&bob, EventKind::React, "r1", "👍").await.unwrap();
    assert!(!retry.created);
    assert_eq!(retry.message.seq, r1.message.seq);
    assert_eq!(
        summary(&stored(&*store, room, m.seq).await.reactions),
        [
            ("👍".to_owned(), vec!["bob".to_owned(), "alice".to_owned()]),
            ("🎉".to_owned(), vec!["alice".to_owned()]),
        ],
        "per emoji in first-use order, users in the order they reacted"
    );
    react(&alice, EventKind::Unreact, "u1", "🎉").await.unwrap();
    react(&bob, EventKind::Unreact, "u2", "🎉").await.unwrap();
    react(&alice, EventKind::Unreact, "u3", "👍").await.unwrap();
    let now = stored(&*store, room, m.seq).await;
    assert_eq!(
        summary(&now.reactions),
        [("👍".to_owned(), vec!["bob".to_owned()])]
    );
    // Resume: the message row carries the current set and the events follow it.
    let after = store
        .messages_after(room, Seq(m.seq.0 - 1), 100)
        .await
        .unwrap();
    assert_eq!(after[0].reactions, now.reactions);
    let kinds: Vec<EventKind> = after[1..].iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::React).count(), 4);
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Unreact).count(),
        3
    );
    assert!(
        store
            .history(room, None, 50)
            .await
            .unwrap()
            .iter()
            .all(|e| e.kind.is_visible()),
        "reaction events are not history rows"
    );
}

pub async fn reactions_are_refused_on_deleted_or_missing_messages_and_past_the_limit(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let outsider = user(&*store, "mallory").await;
    let room = conversation(&*store, &alice, "room").await;
    let m = say(&*store, room, &alice, "react to me").await;
    let emoji: Vec<&str> = emojis::iter()
        .take(REACTIONS_MAX_DISTINCT + 1)
        .map(|e| e.as_str())
        .collect();
    for (i, e) in emoji[..REACTIONS_MAX_DISTINCT].iter().enumerate() {
        let id = format!("r{i}");
        append(
            &*store,
            event(room, &alice, EventKind::React, Some(m.seq), &id, e),
        )
        .await
        .unwrap();
    }
    let last = store
        .messages_after(room, Seq::ZERO, 100)
        .await
        .unwrap()
        .len();
    let over = event(
        room,
        &alice,
        EventKind::React,
        Some(m.seq),
        "over",
        emoji[REACTIONS_MAX_DISTINCT],
    );
    assert!(matches!(
        append(&*store, over).await,
        Err(StoreError::TooManyReactions)
    ));
    assert_eq!(
        store
            .messages_after(room, Seq::ZERO, 100)
            .await
            .unwrap()
            .len(),
        last,
        "a refused reaction takes no seq"
    );
    assert_eq!(
        stored(&*store, room, m.seq).await.reactions.len(),
        REACTIONS_MAX_DISTINCT
    );
    // An emoji already there stays open at the limit.
    let mut again = event(
        room,
        &alice,
        EventKind::React,
        Some(m.seq),
        "again",
        emoji[0],
    );
    again.now = palaver::Timestamp(again.now.0 + 1);
    append(&*store, again).await.unwrap();

    let outside = event(room, &outsider, EventKind::React, Some(m.seq), "o1", "👍");
    assert!(matches!(
        append(&*store, outside).await,
        Err(StoreError::NotMember)
    ));
    let missing = event(room, &alice, EventKind::React, Some(Seq(999)), "x1", "👍");
    assert!(matches!(
        append(&*store, missing).await,
        Err(StoreError::NotFound)
    ));

    append(
        &*store,
        event(room, &alice, EventKind::Delete, Some(m.seq), "d1", ""),
    )
    .await
    .unwrap();
    assert_eq!(
        stored(&*store, room, m.seq).await.reactions,
        [],
        "a deleted message loses its reactions"
    );
    let late = event(room, &alice, EventKind::React, Some(m.seq), "late", "👍");
    assert!(matches!(
        append(&*store, late).await,
        Err(StoreError::NotFound)
    ));
}
