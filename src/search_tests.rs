use super::*;

fn terms(q: &str) -> Vec<String> {
    SearchQuery::parse(q)
        .expect("a valid query")
        .terms()
        .to_vec()
}

fn marked(e: &Excerpt) -> Vec<&str> {
    e.parts()
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn a_query_is_split_into_terms_with_quoted_phrases_kept_together() {
    assert_eq!(terms("  deploy   green "), ["deploy", "green"]);
    assert_eq!(
        terms(r#"review "lunch   at noon" x"#),
        ["review", "lunch at noon", "x"]
    );
    assert_eq!(terms(r#"say "unclosed phrase"#), ["say", "unclosed phrase"]);
    assert_eq!(terms("北京 大学"), ["北京", "大学"]);
    assert_eq!(terms("a\"b"), ["a", "b"]);
}

#[test]
fn repeated_terms_count_once_whatever_their_case() {
    assert_eq!(terms("Deploy deploy DEPLOY green"), ["Deploy", "green"]);
}

#[test]
fn punctuation_is_a_term_like_any_other() {
    assert_eq!(terms("... ?!"), ["...", "?!"]);
    assert_eq!(
        terms("' ; -- OR * NEAR("),
        ["'", ";", "--", "OR", "*", "NEAR("]
    );
    // An opening quote with nothing closing it takes the rest as one phrase.
    assert_eq!(terms(r#"" ' OR *"#), ["' OR *"]);
}

#[test]
fn empty_long_and_control_queries_are_refused_with_their_reason() {
    for q in ["", "   ", "\"\"", "\" \"", "\u{200B}"] {
        assert_eq!(
            SearchQuery::parse(q),
            Err(ValidationError::SearchEmpty),
            "{q:?}"
        );
    }
    assert_eq!(
        SearchQuery::parse(&"x".repeat(QUERY_MAX + 1)),
        Err(ValidationError::SearchTooLong)
    );
    assert!(SearchQuery::parse(&"x".repeat(QUERY_MAX)).is_ok());
    assert_eq!(
        SearchQuery::parse(&"🦀".repeat(QUERY_MAX)).map(|q| q.terms().len()),
        Ok(1)
    );
    assert_eq!(
        SearchQuery::parse("a b c d e f g h i"),
        Err(ValidationError::SearchTooManyTerms)
    );
    assert!(SearchQuery::parse("a b c d e f g h").is_ok());
    for q in ["x\u{0}y", "x\u{7}", "evil\u{202E}txt", "\u{1b}[31m"] {
        assert_eq!(
            SearchQuery::parse(q),
            Err(ValidationError::SearchControl),
            "{q:?}"
        );
    }
    // Tabs and new lines are white space: they separate terms.
    assert_eq!(terms("a\tb\nc"), ["a", "b", "c"]);
}

#[test]
fn matches_ignore_case_in_any_script_and_are_merged() {
    let text = "Deploy the DEPLOYMENT; déploiement Ünïcode 北京大学 ÄBC";
    let found = |t: &str| -> Vec<&str> {
        matches(text, &[t.to_owned()])
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    };
    assert_eq!(found("deploy"), ["Deploy", "DEPLOY"]);
    assert_eq!(found("ünï"), ["Ünï"]);
    assert_eq!(found("北京"), ["北京"]);
    assert_eq!(found("äb"), ["ÄB"]);
    assert!(found("xyz").is_empty());
    // Overlapping and touching matches of different terms make one range.
    let both = matches(
        "abcdef",
        &["abc".to_owned(), "cde".to_owned(), "ef".to_owned()],
    );
    assert_eq!(both, [(0, 6)]);
}

#[test]
fn a_short_message_is_shown_whole_with_its_matches_marked() {
    let e = Excerpt::new("Is the **deploy** green?\n\nDeploy again", &terms("deploy"));
    assert_eq!(e.text, "Is the deploy green? Deploy again");
    assert_eq!(marked(&e), ["deploy", "Deploy"]);
    let joined: String = e.parts().iter().map(|(t, _)| *t).collect();
    assert_eq!(joined, e.text);
}

#[test]
fn a_long_message_is_cut_around_its_first_match() {
    let body = format!(
        "{} needle {}",
        "lorem ipsum ".repeat(40),
        "dolor sit ".repeat(40)
    );
    let e = Excerpt::new(&body, &terms("NEEDLE"));
    assert!(
        e.text.starts_with('…') && e.text.ends_with('…'),
        "{}",
        e.text
    );
    assert!(e.text.chars().count() <= EXCERPT_CHARS + 2);
    assert_eq!(marked(&e), ["needle"]);
    // The cut starts at a word, a little before the match.
    assert!(
        e.text.starts_with("…lorem") || e.text.starts_with("…ipsum"),
        "{}",
        e.text
    );
    // A match at the very end shows the end of the message.
    let late = format!("{} last words", "word ".repeat(100));
    let e = Excerpt::new(&late, &terms("words"));
    assert!(e.text.ends_with("last words"), "{}", e.text);
    assert_eq!(marked(&e), ["words"]);
}

#[test]
fn a_match_only_in_the_markup_marks_nothing_and_shows_the_start() {
    let e = Excerpt::new("[the docs](https://example.com/deploy)", &terms("deploy"));
    assert_eq!(e.text, "the docs");
    assert!(e.marks.is_empty());
}

#[test]
fn excerpts_are_text_whatever_the_message_holds() {
    let e = Excerpt::new("<script>alert(1)</script> <b>x</b>", &terms("script"));
    assert_eq!(e.text, "<script>alert(1)</script> <b>x</b>");
    assert_eq!(marked(&e), ["script", "script"]);
}

#[test]
fn parts_ignore_marks_that_do_not_fit_the_text() {
    let e = Excerpt {
        text: "héllo world".into(),
        // Inside "é" (bytes 1..3), out of order, past the end, empty.
        marks: vec![(2, 4), (7, 12), (0, 1), (13, 20), (5, 5)],
    };
    let parts = e.parts();
    let joined: String = parts.iter().map(|(t, _)| *t).collect();
    assert_eq!(joined, "héllo world");
    assert_eq!(
        parts
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| *t)
            .collect::<Vec<_>>(),
        ["world"]
    );
}
