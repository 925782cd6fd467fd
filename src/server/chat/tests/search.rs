//! Search through the chat layer: pages and their cursor, excerpts, who sees what, bad
//! queries and the rate limit.

use super::*;
use crate::model::SEARCH_PAGE;

#[tokio::test]
async fn results_page_newest_first_and_the_cursor_reaches_every_match_once() {
    let r = Room::new().await;
    let total = SEARCH_PAGE * 2 + 5;
    let mut seqs = Vec::new();
    for i in 0..total {
        seqs.push(r.say(&r.member, &format!("report number {i}")).await);
    }
    r.say(&r.member, "something else").await;
    seqs.reverse();
    let (mut found, mut before, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = r
            .chat
            .search(&r.owner.user, "REPORT", before)
            .await
            .expect("search");
        pages += 1;
        assert!(page.hits.len() as i64 <= SEARCH_PAGE);
        found.extend(page.hits.iter().map(|h| h.seq));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(found, seqs);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn a_hit_carries_its_conversation_author_and_marked_excerpt() {
    let r = Room::new().await;
    let seq = r.say(&r.admin, "Is the **Deploy** green?").await;
    let page = r.chat.search(&r.member.user, "deploy", None).await.unwrap();
    assert_eq!(page.next, None);
    let [hit] = &page.hits[..] else {
        panic!("one hit: {page:?}")
    };
    assert_eq!(
        (
            hit.conversation_id,
            hit.conversation_title.as_str(),
            hit.seq
        ),
        (r.id, TITLE, seq)
    );
    assert_eq!(
        (hit.author_id, hit.author.as_str()),
        (r.admin.user.id, "admin")
    );
    assert_eq!(hit.excerpt.text, "Is the Deploy green?");
    let marked: Vec<&str> = hit
        .excerpt
        .parts()
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(marked, ["Deploy"]);
}

#[tokio::test]
async fn outsiders_find_nothing_of_the_conversation_and_leavers_lose_it() {
    let r = Room::new().await;
    r.say(&r.owner, "the secret plan").await;
    let outsider = r
        .chat
        .search(&r.outsider.user, "secret", None)
        .await
        .unwrap();
    assert!(outsider.hits.is_empty() && outsider.next.is_none());
    assert_eq!(
        r.chat
            .search(&r.member.user, "secret", None)
            .await
            .unwrap()
            .hits
            .len(),
        1
    );
    r.chat.leave(&r.member.user, r.id).await.expect("leave");
    assert!(r
        .chat
        .search(&r.member.user, "secret", None)
        .await
        .unwrap()
        .hits
        .is_empty());
}

#[tokio::test]
async fn bad_queries_are_refused_with_their_reason_before_any_search() {
    let r = Room::new().await;
    for (q, expected) in [
        ("   ", ValidationError::SearchEmpty),
        (&*"x".repeat(201), ValidationError::SearchTooLong),
        ("a b c d e f g h i", ValidationError::SearchTooManyTerms),
        ("nul\u{0}", ValidationError::SearchControl),
    ] {
        let err = r.chat.search(&r.owner.user, q, None).await;
        assert!(
            matches!(&err, Err(CoreError::Invalid(e)) if *e == expected),
            "{q:?}: {err:?}"
        );
    }
    // FTS5 syntax is only text: no error.
    for q in [
        "\"x",
        "x\"",
        "NEAR(a b)",
        "a OR",
        "*",
        "^x",
        "body:y",
        "((",
        "AND",
    ] {
        r.chat
            .search(&r.owner.user, q, None)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
}

#[tokio::test]
async fn searching_is_rate_limited_per_user() {
    // The other tests run with scaled-up rates; this one with the real ones.
    let (chat, _dir) = chat_with(LimitsConfig::default()).await;
    let ann = user(&chat, "ann").await;
    let bob = user(&chat, "bob").await;
    let burst = crate::server::limits::rates::SEARCHES.0;
    for i in 0..burst {
        chat.search(&ann.user, "x", None)
            .await
            .unwrap_or_else(|e| panic!("#{i}: {e}"));
    }
    let err = chat.search(&ann.user, "x", None).await;
    assert!(matches!(err, Err(CoreError::RateLimited { .. })), "{err:?}");
    assert!(chat.search(&bob.user, "x", None).await.is_ok());
}
