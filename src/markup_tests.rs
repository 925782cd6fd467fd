use super::*;

fn text(s: &str) -> Inline {
    Inline::Text(s.to_owned())
}

fn para(inlines: Vec<Inline>) -> Block {
    Block::Paragraph(inlines)
}

/// Every link in the tree, depth first.
fn hrefs(blocks: &[Block]) -> Vec<String> {
    fn inl(i: &Inline, out: &mut Vec<String>) {
        match i {
            Inline::Link { href, children } => {
                out.push(href.clone());
                children.iter().for_each(|c| inl(c, out));
            }
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => {
                c.iter().for_each(|c| inl(c, out))
            }
            _ => {}
        }
    }
    fn blk(b: &Block, out: &mut Vec<String>) {
        match b {
            Block::Paragraph(i) => i.iter().for_each(|i| inl(i, out)),
            Block::Quote(bs) => bs.iter().for_each(|b| blk(b, out)),
            Block::List { items, .. } => items.iter().flatten().for_each(|b| blk(b, out)),
            Block::Code { .. } => {}
        }
    }
    let mut out = Vec::new();
    blocks.iter().for_each(|b| blk(b, &mut out));
    out
}

#[test]
fn plain_text_is_one_paragraph_and_keeps_its_line_breaks() {
    assert_eq!(parse("hello there"), [para(vec![text("hello there")])]);
    assert_eq!(
        parse("line one\nline two"),
        [para(vec![
            text("line one"),
            Inline::Break,
            text("line two")
        ])]
    );
    assert_eq!(
        parse("a\n\nb"),
        [para(vec![text("a")]), para(vec![text("b")])]
    );
}

#[test]
fn emphasis_strong_strike_and_code() {
    assert_eq!(
        parse("*a* **b** ~~c~~ `d<e>`"),
        [para(vec![
            Inline::Emphasis(vec![text("a")]),
            text(" "),
            Inline::Strong(vec![text("b")]),
            text(" "),
            Inline::Strike(vec![text("c")]),
            text(" "),
            Inline::Code("d<e>".into()),
        ])]
    );
    assert_eq!(
        parse("# Title"),
        [para(vec![Inline::Strong(vec![text("Title")])])]
    );
}

#[test]
fn code_blocks_keep_their_text_exactly_and_make_no_links() {
    let body = "```rust\nlet x = \"<b>https://example.com</b>\";\n  *not emphasis*\n```";
    assert_eq!(
        parse(body),
        [Block::Code {
            lang: "rust".into(),
            text: "let x = \"<b>https://example.com</b>\";\n  *not emphasis*".into(),
        }]
    );
}

#[test]
fn quotes_and_lists_nest() {
    assert_eq!(
        parse("> quoted *word*"),
        [Block::Quote(vec![para(vec![
            text("quoted "),
            Inline::Emphasis(vec![text("word")])
        ])])]
    );
    assert_eq!(
        parse("3. three\n4. four\n   - inner"),
        [Block::List {
            start: Some(3),
            items: vec![
                vec![para(vec![text("three")])],
                vec![
                    para(vec![text("four")]),
                    Block::List {
                        start: None,
                        items: vec![vec![para(vec![text("inner")])]],
                    },
                ],
            ],
        }]
    );
}

#[test]
fn only_http_https_and_mailto_become_links() {
    assert_eq!(
        parse("see https://example.com/a?b=1 now"),
        [para(vec![
            text("see "),
            Inline::Link {
                href: "https://example.com/a?b=1".into(),
                children: vec![text("https://example.com/a?b=1")],
            },
            text(" now"),
        ])]
    );
    assert_eq!(
        hrefs(&parse("[docs](http://example.org/x)")),
        ["http://example.org/x"]
    );
    assert_eq!(
        hrefs(&parse("<mailto:a@example.org>")),
        ["mailto:a@example.org"]
    );
    assert_eq!(hrefs(&parse("<a@example.org>")), ["mailto:a@example.org"]);
    for bad in [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "javascript:alert(1)",
        "![x](javascript:alert(1))",
        "[x](/relative/path)",
        "[x](//evil.example/path)",
    ] {
        assert_eq!(hrefs(&parse(bad)), Vec::<String>::new(), "{bad}");
        assert!(
            !plain_text(bad).trim().is_empty(),
            "{bad}: its text still shows"
        );
    }
}

#[test]
fn raw_html_is_shown_as_text() {
    for html in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "\"><svg onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<form id=\"location\"><input name=\"href\"></form>",
        "<div>\n\n*inside*\n\n</div>",
    ] {
        assert!(hrefs(&parse(html)).is_empty(), "{html}");
        let shown = plain_text(html);
        for tag in ["<script>", "<img", "<svg", "<a href", "<form"] {
            if html.contains(tag) {
                assert!(shown.contains(tag), "{html} shows as typed: {shown:?}");
            }
        }
    }
}

/// A deterministic generator of hostile-looking messages: markup characters, schemes,
/// entities and tags in random order. Whatever comes out, every link is safe and parsing
/// never panics.
#[test]
fn ten_thousand_random_messages_make_only_safe_links() {
    const PIECES: &[&str] = &[
        "<",
        ">",
        "[",
        "]",
        "(",
        ")",
        "*",
        "_",
        "`",
        "~",
        "\n",
        " ",
        "!",
        "&#",
        "x6A;",
        "&amp;",
        "javascript:",
        "JAVASCRIPT:",
        "data:",
        "http://",
        "https://",
        "mailto:",
        "a@b.co",
        "\t",
        "alert(1)",
        "onerror=",
        "\"",
        "'",
        "<script>",
        "</script>",
        "<img src=x ",
        "> ",
        "- ",
        "1. ",
        "```",
        "\\",
        "%0a",
        "\u{0}",
        "\u{202e}",
        "//",
        "a.b",
        "name=\"body\"",
        "id=x",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut links = 0;
    for _ in 0..10_000 {
        let n = 1 + (next() % 24) as usize;
        let body: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        for href in hrefs(&parse(&body)) {
            links += 1;
            let scheme = href.split(':').next().unwrap_or_default();
            assert!(
                matches!(scheme, "http" | "https" | "mailto"),
                "{body:?} made a link to {href:?}"
            );
            assert_eq!(safe_href(&href).as_deref(), Some(href.as_str()));
        }
    }
    assert!(links > 100, "the corpus exercises links ({links})");
}

#[test]
fn plain_messages_are_recognised_cheaply() {
    assert!(is_plain("hello there, how are you"));
    assert!(!is_plain("**bold**"));
    assert!(!is_plain("see https://x.org"));
    assert!(!is_plain("a\n\nb"));
}

#[test]
fn previews_read_the_text_without_the_formatting() {
    assert_eq!(plain_text("**Plan** for *today*"), "Plan for today");
    assert_eq!(plain_text("> quoted\n\n- one\n- two"), "quoted one two");
    assert_eq!(plain_text("just words"), "just words");
    assert_eq!(plain_text("<b>raw</b>"), "<b>raw</b>");
}
