//! Message formatting: a safe Markdown subset (CommonMark, parsed by pulldown-cmark) turned
//! into a small tree that the UI draws element by element. Shared by the server (which
//! renders the page) and the browser (which hydrates and updates it), so both draw the same.
//!
//! Safety comes from the shape, not from cleaning a string afterwards: nothing here is ever
//! HTML. Raw HTML in a message (`<script>`, `<img onerror=…>`) stays text, shown as typed;
//! the only attribute that carries user input is a link's `href`, and a link exists only for
//! `http`, `https` and `mailto` URLs (OWASP XSS Filter Evasion: `javascript:`, `data:`,
//! `vbscript:` and scheme-obfuscated variants are not links). There is no `id`, `name`,
//! `class` or `style` from user input, so nothing can clobber DOM globals.
//!
//! Supported: *emphasis*, **strong**, ~~strikethrough~~, `inline code`, fenced and indented
//! code blocks, > block quotes, ordered and unordered lists, `[text](url)` links, `<url>`
//! autolinks and bare URLs (linkify). Headings read as strong paragraphs, images as links to
//! the image, tables and footnotes are not parsed. A line break in a paragraph is kept, as
//! chat users expect.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// A block of a formatted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// A code block: its language tag (as written after the fence, may be empty) and text.
    Code {
        lang: String,
        text: String,
    },
    Quote(Vec<Block>),
    /// `start`: the first number of an ordered list; None for a bulleted one.
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Strike(Vec<Inline>),
    /// `href` is an http, https or mailto URL (see [`safe_href`]).
    Link {
        href: String,
        children: Vec<Inline>,
    },
    Break,
}

/// The URL as a link target if its scheme is http, https or mailto; None otherwise.
/// Parsed with the WHATWG URL parser, so whitespace, control characters and case games in
/// the scheme (`jAvA\tscript:`) are seen as the browser would see them.
pub fn safe_href(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https" | "mailto").then(|| url.to_string())
}

/// Whether `body` needs more than plain text to show: lets the UI keep the common case (a
/// sentence or two) cheap. Errs towards true.
pub fn is_plain(body: &str) -> bool {
    !body.contains([
        '*', '_', '`', '~', '>', '#', '[', '<', '-', '+', '|', '!', '\\', '&', ':', '.', ')',
    ]) && !body.contains("\n\n")
        && !body.starts_with("    ")
}

/// What a formatted message says, without its formatting: for one-line previews and
/// notifications. Blocks and line breaks become spaces.
pub fn plain_text(body: &str) -> String {
    if is_plain(body) {
        return body.to_owned();
    }
    fn inline(i: &Inline, out: &mut String) {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Break => out.push(' '),
            Inline::Link { children: c, .. }
            | Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strike(c) => c.iter().for_each(|c| inline(c, out)),
        }
    }
    fn block(b: &Block, out: &mut String) {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        match b {
            Block::Paragraph(i) => i.iter().for_each(|i| inline(i, out)),
            Block::Code { text, .. } => out.push_str(text),
            Block::Quote(bs) => bs.iter().for_each(|b| block(b, out)),
            Block::List { items, .. } => items.iter().flatten().for_each(|b| block(b, out)),
        }
    }
    let mut out = String::new();
    parse(body).iter().for_each(|b| block(b, &mut out));
    out
}

/// Parses `body` into blocks.
pub fn parse(body: &str) -> Vec<Block> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut b = Builder::default();
    for event in Parser::new_ext(body, options) {
        b.event(event);
    }
    b.finish()
}

/// What is open while the parser's events come in: each frame collects its children.
#[derive(Debug)]
enum Open {
    Blocks(Vec<Block>, Container),
    Inlines(Vec<Inline>, Wrap),
    Code(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Root,
    Quote,
    Item,
    List(Option<u64>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Wrap {
    Paragraph,
    Emphasis,
    Strong,
    Strike,
    Link(Option<String>),
}

#[derive(Debug)]
struct Builder {
    stack: Vec<Open>,
    /// Items of the lists being built, innermost last (a list's children are items).
    lists: Vec<Vec<Vec<Block>>>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            stack: vec![Open::Blocks(Vec::new(), Container::Root)],
            lists: Vec::new(),
        }
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(t) => self.text(&t),
            Event::Code(c) => self.inline(Inline::Code(c.into_string())),
            // Raw HTML is shown as typed, never interpreted.
            Event::Html(t) | Event::InlineHtml(t) => self.text(&t),
            Event::SoftBreak | Event::HardBreak => self.inline(Inline::Break),
            Event::Rule => self.text("———"),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.text(&t)
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        if matches!(
            tag,
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::List(_)
        ) {
            self.close_loose_paragraph();
        }
        let open = match tag {
            Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell => {
                Open::Inlines(Vec::new(), Wrap::Paragraph)
            }
            Tag::BlockQuote(_) => Open::Blocks(Vec::new(), Container::Quote),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => {
                        l.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                Open::Code(lang, String::new())
            }
            Tag::List(start) => {
                self.lists.push(Vec::new());
                Open::Blocks(Vec::new(), Container::List(start))
            }
            Tag::Item => Open::Blocks(Vec::new(), Container::Item),
            Tag::Emphasis => Open::Inlines(Vec::new(), Wrap::Emphasis),
            Tag::Strong => Open::Inlines(Vec::new(), Wrap::Strong),
            Tag::Strikethrough => Open::Inlines(Vec::new(), Wrap::Strike),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let href = match link_type {
                    LinkType::Email => safe_href(&format!("mailto:{dest_url}")),
                    _ => safe_href(&dest_url),
                };
                Open::Inlines(Vec::new(), Wrap::Link(href))
            }
            // An image is not loaded (no requests to foreign hosts): its alt text links to it.
            Tag::Image { dest_url, .. } => {
                Open::Inlines(Vec::new(), Wrap::Link(safe_href(&dest_url)))
            }
            // Anything else (tables, footnotes, metadata) is transparent: its text still shows.
            _ => return,
        };
        self.stack.push(open);
    }

    fn end(&mut self, end: TagEnd) {
        let transparent = !matches!(
            end,
            TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
        );
        if transparent || self.stack.len() < 2 {
            return;
        }
        if matches!(end, TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::List(_)) {
            self.close_loose_paragraph();
        }
        let heading = matches!(end, TagEnd::Heading(_));
        match self.stack.pop() {
            Some(Open::Inlines(children, wrap)) => match wrap {
                Wrap::Paragraph if heading => {
                    self.block(Block::Paragraph(vec![Inline::Strong(children)]))
                }
                Wrap::Paragraph => self.block(Block::Paragraph(children)),
                Wrap::Emphasis => self.inline(Inline::Emphasis(children)),
                Wrap::Strong => self.inline(Inline::Strong(children)),
                Wrap::Strike => self.inline(Inline::Strike(children)),
                Wrap::Link(Some(href)) => self.inline(Inline::Link { href, children }),
                // Not a safe link: its text shows, unlinked.
                Wrap::Link(None) => {
                    for child in children {
                        self.inline(child);
                    }
                }
            },
            Some(Open::Code(lang, mut text)) => {
                if text.ends_with('\n') {
                    text.pop();
                }
                self.block(Block::Code { lang, text })
            }
            Some(Open::Blocks(blocks, Container::Quote)) => self.block(Block::Quote(blocks)),
            Some(Open::Blocks(blocks, Container::Item)) => {
                if let Some(items) = self.lists.last_mut() {
                    items.push(blocks);
                }
            }
            Some(Open::Blocks(_, Container::List(start))) => {
                let items = self.lists.pop().unwrap_or_default();
                self.block(Block::List { start, items })
            }
            Some(other @ Open::Blocks(_, Container::Root)) => self.stack.push(other),
            None => {}
        }
    }

    /// Text, with bare URLs turned into links (not inside code or an existing link).
    fn text(&mut self, text: &str) {
        if let Some(Open::Code(_, code)) = self.stack.last_mut() {
            code.push_str(text);
            return;
        }
        let in_link = self
            .stack
            .iter()
            .any(|o| matches!(o, Open::Inlines(_, Wrap::Link(_))));
        if in_link {
            self.inline(Inline::Text(text.to_owned()));
            return;
        }
        let mut finder = linkify::LinkFinder::new();
        finder.url_must_have_scheme(true);
        for span in finder.spans(text) {
            let piece = span.as_str();
            match span.kind().and_then(|_| safe_href(piece)) {
                Some(href) => self.inline(Inline::Link {
                    href,
                    children: vec![Inline::Text(piece.to_owned())],
                }),
                None => self.inline(Inline::Text(piece.to_owned())),
            }
        }
    }

    /// Adds an inline to the innermost open run, opening a paragraph if a block is open
    /// (text directly in a list item, as in a tight list).
    fn inline(&mut self, inline: Inline) {
        if !matches!(self.stack.last(), Some(Open::Inlines(..))) {
            self.stack.push(Open::Inlines(Vec::new(), Wrap::Paragraph));
        }
        if let Some(Open::Inlines(children, _)) = self.stack.last_mut() {
            // Neighbouring text merges, so mentions and words are never split.
            if let (Inline::Text(t), Some(Inline::Text(prev))) = (&inline, children.last_mut()) {
                prev.push_str(t);
                return;
            }
            children.push(inline);
        }
    }

    /// Adds a block to the innermost open container, closing a paragraph left open by
    /// tight-list text first.
    fn block(&mut self, block: Block) {
        self.close_loose_paragraph();
        if let Some(Open::Blocks(blocks, _)) = self.stack.last_mut() {
            blocks.push(block);
        }
    }

    fn close_loose_paragraph(&mut self) {
        if let Some(Open::Inlines(_, Wrap::Paragraph)) = self.stack.last() {
            if self.stack.len() >= 2 && matches!(self.stack[self.stack.len() - 2], Open::Blocks(..))
            {
                if let Some(Open::Inlines(children, _)) = self.stack.pop() {
                    if let Some(Open::Blocks(blocks, _)) = self.stack.last_mut() {
                        blocks.push(Block::Paragraph(children));
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        // Close whatever is still open (the parser ends every tag, but be total anyway).
        while self.stack.len() > 1 {
            self.close_loose_paragraph();
            if self.stack.len() > 1 {
                match self.stack.pop() {
                    Some(Open::Inlines(children, _)) => self.block(Block::Paragraph(children)),
                    Some(Open::Code(lang, text)) => self.block(Block::Code { lang, text }),
                    Some(Open::Blocks(blocks, _)) => {
                        for b in blocks {
                            self.block(b);
                        }
                    }
                    None => {}
                }
            }
        }
        match self.stack.pop() {
            Some(Open::Blocks(blocks, _)) => blocks,
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "markup_tests.rs"]
mod tests;
