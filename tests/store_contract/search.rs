//! Message search: what matches (every term, any case, any script, punctuation as typed),
//! whose messages (members only, now), that edits and deletions count at once, and paging
//! newest first with a cursor through a bounded scan.

use crate::fixtures::{
    add_member, append, at, conversation, event, join_via, leave, say, user, NO_CAP,
};
use palaver::model::{EventKind, MessageView, UserView};
use palaver::server::store::{Ban, Found, FoundMessage, InviteLimits, JoinOutcome, JoinVia};
use palaver::server::Store;
use palaver::ConversationId;
use std::sync::Arc;

/// Generous enough that no behaviour here reaches it unless it means to.
const SCAN: i64 = 10_000;

fn owned(terms: &[&str]) -> Vec<String> {
    terms.iter().map(|t| (*t).to_owned()).collect()
}

async fn found(store: &dyn Store, who: &UserView, terms: &[&str]) -> Found {
    store
        .search_messages(who.id, &owned(terms), None, 100, SCAN)
        .await
        .unwrap_or_else(|e| panic!("search {terms:?}: {e}"))
}

/// The bodies found, newest first.
async fn bodies(store: &dyn Store, who: &UserView, terms: &[&str]) -> Vec<String> {
    let found = found(store, who, terms).await;
    assert_eq!(found.floor, None, "{terms:?}: nothing left unscanned");
    found.messages.into_iter().map(|m| m.body).collect()
}

/// Every result for `terms`, following the cursor as the chat layer does: after a full page
/// from its last position, after a short one from the floor the scan stopped at.
async fn all_pages(
    store: &dyn Store,
    who: &UserView,
    terms: &[&str],
    limit: i64,
    scan: i64,
) -> (Vec<FoundMessage>, usize) {
    let terms = owned(terms);
    let (mut all, mut calls, mut before) = (Vec::new(), 0, None);
    loop {
        let page = store
            .search_messages(who.id, &terms, before, limit, scan)
            .await
            .expect("search");
        calls += 1;
        assert!(calls < 1_000, "the cursor moves on");
        let full = page.messages.len() as i64 == limit;
        before = if full {
            page.messages.last().map(|m| m.position)
        } else {
            page.floor
        };
        all.extend(page.messages);
        if before.is_none() {
            return (all, calls);
        }
    }
}

async fn edit(store: &dyn Store, id: ConversationId, who: &UserView, m: &MessageView, body: &str) {
    let client_id = format!("edit-{body}");
    append(
        store,
        event(id, who, EventKind::Edit, Some(m.seq), &client_id, body),
    )
    .await
    .expect("edit");
}

async fn delete(store: &dyn Store, id: ConversationId, who: &UserView, m: &MessageView) {
    let client_id = format!("delete-{}", m.seq);
    append(
        store,
        event(id, who, EventKind::Delete, Some(m.seq), &client_id, ""),
    )
    .await
    .expect("delete");
}

pub async fn search_finds_messages_with_every_term_in_any_case_and_script_newest_first(
    store: Arc<dyn Store>,
) {
    let ann = user(&*store, "ann").await;
    let id = conversation(&*store, &ann, "Team").await;
    for body in [
        "The Deploy is green",
        "deploy failed again",
        "lunch at noon",
        "我们去北京大学",
        "北京欢迎你",
        "e.g. this ... that",
        "100% done_ok",
        "Ünïcode ÄB test",
    ] {
        say(&*store, id, &ann, body).await;
    }
    let s = &*store;
    assert_eq!(
        bodies(s, &ann, &["deploy"]).await,
        ["deploy failed again", "The Deploy is green"]
    );
    assert_eq!(
        bodies(s, &ann, &["DEPLOY", "green"]).await,
        ["The Deploy is green"]
    );
    assert_eq!(bodies(s, &ann, &["ploy"]).await.len(), 2, "inside words");
    assert_eq!(bodies(s, &ann, &["北京大学"]).await, ["我们去北京大学"]);
    // Two CJK characters have no trigram: found all the same.
    assert_eq!(
        bodies(s, &ann, &["北京"]).await,
        ["北京欢迎你", "我们去北京大学"]
    );
    assert_eq!(bodies(s, &ann, &["北京", "大学"]).await, ["我们去北京大学"]);
    assert_eq!(
        bodies(s, &ann, &["at"]).await,
        ["e.g. this ... that", "lunch at noon"]
    );
    assert_eq!(bodies(s, &ann, &["äb"]).await, ["Ünïcode ÄB test"]);
    assert_eq!(bodies(s, &ann, &["ÜNÏCODE"]).await, ["Ünïcode ÄB test"]);
    assert_eq!(bodies(s, &ann, &["Ü"]).await, ["Ünïcode ÄB test"]);
    // Punctuation and wildcards are matched as typed.
    assert_eq!(bodies(s, &ann, &["..."]).await, ["e.g. this ... that"]);
    assert_eq!(bodies(s, &ann, &["100%"]).await, ["100% done_ok"]);
    assert_eq!(bodies(s, &ann, &["_ok"]).await, ["100% done_ok"]);
    assert_eq!(bodies(s, &ann, &["%"]).await, ["100% done_ok"]);
    assert!(bodies(s, &ann, &["1%0"]).await.is_empty());
    assert!(bodies(s, &ann, &["d_ne"]).await.is_empty());
    // Query syntax of either index is text here.
    for q in [
        "\"",
        "\"deploy",
        "deploy OR lunch",
        "NEAR(a b)",
        "dep*",
        "^lunch",
        "body:x",
        "'",
    ] {
        assert!(bodies(s, &ann, &[q]).await.is_empty(), "{q}");
    }
    assert!(bodies(s, &ann, &["xylophone"]).await.is_empty());
    assert!(bodies(s, &ann, &["deploy", "noon"]).await.is_empty());
}

pub async fn only_messages_are_found_never_joins_leaves_or_edit_events(store: Arc<dyn Store>) {
    let ann = user(&*store, "ann").await;
    let bob = user(&*store, "bob").await;
    let id = conversation(&*store, &ann, "Team").await;
    add_member(&*store, id, &ann, &bob).await;
    let m = say(&*store, id, &bob, "first words").await;
    edit(&*store, id, &bob, &m, "second words").await;
    leave(&*store, id, &bob, None, "removed")
        .await
        .expect("remove");
    assert!(bodies(&*store, &ann, &["removed"]).await.is_empty());
    // The edit event holds the new text too; the message is found once, as it is now.
    let hits = found(&*store, &ann, &["words"]).await.messages;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].seq, hits[0].body.as_str()),
        (m.seq, "second words")
    );
    assert!(hits[0].edited_at.is_some());
    assert_eq!(hits[0].author, "bob");
    assert_eq!(hits[0].title, "Team");
    assert_eq!(hits[0].conversation_id, id);
}

pub async fn search_covers_only_live_conversations_the_user_is_a_member_of_now(
    store: Arc<dyn Store>,
) {
    let s = &*store;
    let ann = user(s, "ann").await;
    let bob = user(s, "bob").await;
    let carl = user(s, "carl").await;
    let shared = conversation(s, &ann, "Shared").await;
    add_member(s, shared, &ann, &bob).await;
    let private = conversation(s, &ann, "Private").await;
    let left = conversation(s, &bob, "Left").await;
    add_member(s, left, &bob, &ann).await;
    let removed = conversation(s, &carl, "Removed").await;
    add_member(s, removed, &carl, &ann).await;
    let deleted = conversation(s, &ann, "Deleted").await;
    add_member(s, deleted, &ann, &bob).await;
    for (id, who, body) in [
        (shared, &bob, "needle in shared"),
        (private, &ann, "needle in private"),
        (left, &ann, "needle in left"),
        (removed, &ann, "needle in removed"),
        (deleted, &ann, "needle in deleted"),
        (removed, &carl, "needle from carl"),
    ] {
        say(s, id, who, body).await;
    }
    leave(s, left, &ann, None, "").await.expect("leave");
    let ban = Ban {
        by: carl.id,
        at: at(10),
    };
    leave(s, removed, &ann, Some(ban), "removed")
        .await
        .expect("remove");
    s.delete_conversation(deleted, at(20))
        .await
        .expect("delete");
    // Ann wrote in "Left" and "Removed" herself: still not hers to search.
    assert_eq!(
        bodies(s, &ann, &["needle"]).await,
        ["needle in private", "needle in shared"]
    );
    assert_eq!(
        bodies(s, &bob, &["needle"]).await,
        ["needle in left", "needle in shared"]
    );
    assert_eq!(
        bodies(s, &carl, &["needle"]).await,
        ["needle from carl", "needle in removed"]
    );
    assert_eq!(bodies(s, &ann, &["ne"]).await.len(), 2, "short terms too");
    assert!(bodies(s, &bob, &["in deleted"]).await.is_empty());
    // Joining again (the ban lifted) brings the conversation back.
    s.lift_ban(removed, ann.id).await.expect("lift");
    let code = b"ann again";
    let limits = InviteLimits {
        expires_at: None,
        max_uses: None,
    };
    s.create_invite(removed, code, carl.id, at(30), limits)
        .await
        .expect("invite");
    let rejoined = join_via(s, JoinVia::Invite(code), &ann, at(40).0, NO_CAP).await;
    assert!(
        matches!(rejoined, Ok(JoinOutcome::Joined(..))),
        "{rejoined:?}"
    );
    assert_eq!(bodies(s, &ann, &["carl"]).await, ["needle from carl"]);
}

pub async fn edits_and_deletions_change_what_is_found_at_once(store: Arc<dyn Store>) {
    let s = &*store;
    let ann = user(s, "ann").await;
    let bob = user(s, "bob").await;
    let id = conversation(s, &ann, "Team").await;
    add_member(s, id, &ann, &bob).await;
    let m = say(s, id, &bob, "original wording").await;
    say(s, id, &bob, "another message").await;
    edit(s, id, &bob, &m, "revised wording").await;
    assert!(bodies(s, &ann, &["original"]).await.is_empty());
    assert!(
        bodies(s, &ann, &["gi"]).await.is_empty(),
        "short terms read the new text"
    );
    assert_eq!(bodies(s, &ann, &["revised"]).await, ["revised wording"]);
    assert_eq!(bodies(s, &ann, &["wording"]).await, ["revised wording"]);
    edit(s, id, &bob, &m, "third version").await;
    assert!(bodies(s, &ann, &["revised"]).await.is_empty());
    assert_eq!(bodies(s, &ann, &["third"]).await, ["third version"]);
    delete(s, id, &bob, &m).await;
    assert!(bodies(s, &ann, &["third"]).await.is_empty());
    assert!(bodies(s, &ann, &["rd"]).await.is_empty());
    assert_eq!(bodies(s, &ann, &["message"]).await, ["another message"]);
    // A moderator's deletion of someone else's message counts the same.
    let other = say(s, id, &bob, "moderated text").await;
    let client_id = "mod-delete".to_owned();
    let mut e = event(id, &ann, EventKind::Delete, Some(other.seq), &client_id, "");
    e.moderator = true;
    append(s, e).await.expect("moderator deletes");
    assert!(bodies(s, &ann, &["moderated"]).await.is_empty());
}

pub async fn search_pages_newest_first_through_a_bounded_scan_without_gaps_or_repeats(
    store: Arc<dyn Store>,
) {
    let s = &*store;
    let ann = user(s, "ann").await;
    let zed = user(s, "zed").await;
    let mine = conversation(s, &ann, "Mine").await;
    let theirs = conversation(s, &zed, "Theirs").await;
    let mut expected = Vec::new();
    for i in 0..40 {
        // Three of every four go to a conversation Ann is not in.
        if i % 4 == 0 {
            expected.push(say(s, mine, &ann, &format!("item {i}")).await.seq);
        } else {
            say(s, theirs, &zed, &format!("item {i}")).await;
        }
    }
    expected.reverse();
    for (terms, limit, scan) in [
        (&["item"][..], 100, SCAN),
        (&["item"], 3, SCAN),
        (&["item"], 3, 5),
        (&["item"], 100, 1),
        (&["it"], 3, 5),
        (&["it", "em"], 4, 7),
    ] {
        let (hits, calls) = all_pages(s, &ann, terms, limit, scan).await;
        let got: Vec<_> = hits.iter().map(|m| m.seq).collect();
        assert_eq!(got, expected, "{terms:?} limit {limit} scan {scan}");
        assert!(
            hits.windows(2).all(|w| w[0].position > w[1].position),
            "newest first"
        );
        assert!(hits.iter().all(|m| m.conversation_id == mine));
        // A scan of `scan` candidates at a time goes through the 40 in about 40 / scan calls.
        assert!(
            calls as i64 <= 40 / scan.min(40) + 40 / limit + 2,
            "{calls} calls"
        );
    }
}

pub async fn a_direct_conversation_is_found_under_the_other_persons_name(store: Arc<dyn Store>) {
    let s = &*store;
    let ann = user(s, "ann").await;
    let bob = user(s, "bob").await;
    let carl = user(s, "carl").await;
    let team = conversation(s, &ann, "Team").await;
    add_member(s, team, &ann, &bob).await;
    add_member(s, team, &ann, &carl).await;
    let direct = s
        .open_direct(ann.id, bob.id, at(1))
        .await
        .expect("open")
        .expect("they share Team")
        .id;
    say(s, direct, &bob, "just between us").await;
    let seen_by = |who: UserView| async move {
        found(s, &who, &["between"])
            .await
            .messages
            .into_iter()
            .map(|m| (m.conversation_id, m.title))
            .collect::<Vec<_>>()
    };
    assert_eq!(seen_by(ann.clone()).await, [(direct, "bob".to_owned())]);
    assert_eq!(seen_by(bob.clone()).await, [(direct, "ann".to_owned())]);
    assert!(seen_by(carl.clone()).await.is_empty(), "not carl's to read");
}
