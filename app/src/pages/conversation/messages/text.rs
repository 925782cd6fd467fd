//! A message's text as the reader sees it: formatted (`palaver::markup`: emphasis, code,
//! quotes, lists, links) with its @mentions drawn as such (`palaver::mentions`). Every piece
//! is built as an element of a fixed kind with text inside; nothing the author wrote is
//! ever inserted as HTML, so the server's page and the hydrated one are the same.

use crate::live::{use_live, use_room};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::markup::{self, Block, Inline};
use palaver::mentions;
use palaver::UserId;

/// Who the mentioned members are now (case-folded name, id) and who is reading.
struct Names {
    named: Vec<(String, UserId)>,
    me: UserId,
}

#[component]
pub(super) fn MessageText(body: String, mentions: Vec<UserId>) -> impl IntoView {
    let me = use_live().me_id();
    // The names of the mentioned members as they are now; someone who has left since is
    // no longer highlighted (their id still counts for the mention itself).
    let named: Vec<(String, UserId)> = if mentions.is_empty() {
        Vec::new()
    } else {
        use_room().members.with_untracked(|ms| {
            ms.iter()
                .filter(|m| mentions.contains(&m.user.id))
                .map(|m| (m.user.username.to_ascii_lowercase(), m.user.id))
                .collect()
        })
    };
    let names = Names { named, me };
    let blocks = if markup::is_plain(&body) {
        // The common case needs no parser: one paragraph, its line breaks kept.
        let mut inlines = Vec::new();
        for (i, line) in body.split('\n').enumerate() {
            if i > 0 {
                inlines.push(Inline::Break);
            }
            inlines.push(Inline::Text(line.to_owned()));
        }
        vec![Block::Paragraph(inlines)]
    } else {
        markup::parse(&body)
    };
    let content = blocks.into_iter().map(|b| block(b, &names)).collect_view();
    view! { <div class="body" dir="auto">{content}</div> }
}

fn block(b: Block, names: &Names) -> AnyView {
    match b {
        Block::Paragraph(inlines) => view! { <p>{inlines_view(inlines, names)}</p> }.into_any(),
        Block::Code { lang, text } => view! { <CodeBlock lang text /> }.into_any(),
        Block::Quote(blocks) => {
            let inner = blocks.into_iter().map(|b| block(b, names)).collect_view();
            view! { <blockquote>{inner}</blockquote> }.into_any()
        }
        Block::List { start, items } => {
            let items = items
                .into_iter()
                .map(|item| {
                    let inner = item.into_iter().map(|b| block(b, names)).collect_view();
                    view! { <li>{inner}</li> }
                })
                .collect_view();
            match start {
                Some(n) => view! { <ol start=n.to_string()>{items}</ol> }.into_any(),
                None => view! { <ul>{items}</ul> }.into_any(),
            }
        }
    }
}

fn inlines_view(inlines: Vec<Inline>, names: &Names) -> Vec<AnyView> {
    inlines.into_iter().map(|i| inline(i, names)).collect()
}

fn inline(i: Inline, names: &Names) -> AnyView {
    match i {
        Inline::Text(t) => text(t, names),
        Inline::Code(c) => view! { <code>{c}</code> }.into_any(),
        Inline::Emphasis(c) => view! { <em>{inlines_view(c, names)}</em> }.into_any(),
        Inline::Strong(c) => view! { <strong>{inlines_view(c, names)}</strong> }.into_any(),
        Inline::Strike(c) => view! { <del>{inlines_view(c, names)}</del> }.into_any(),
        Inline::Link { href, children } => view! {
            <a href=href target="_blank" rel="noopener noreferrer nofollow">{inlines_view(children, names)}</a>
        }
        .into_any(),
        Inline::Break => view! { <br /> }.into_any(),
    }
}

/// Plain text with the mentions of members cut out as highlighted spans.
fn text(body: String, names: &Names) -> AnyView {
    if names.named.is_empty() {
        return body.into_any();
    }
    let parts = mentions::segments(&body, |key| {
        names
            .named
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
    });
    parts
        .into_iter()
        .map(|(range, user)| {
            let piece = body[range].to_owned();
            match user {
                Some(user) => {
                    view! { <span class="mention" class:me=user == names.me>{piece}</span> }
                        .into_any()
                }
                None => piece.into_any(),
            }
        })
        .collect_view()
        .into_any()
}

/// A code block: monospace, scrolling sideways rather than wrapping, with a copy button.
#[component]
fn CodeBlock(lang: String, text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let code = StoredValue::new(text.clone());
    let label = if lang.is_empty() {
        "Code".to_owned()
    } else {
        format!("Code ({lang})")
    };
    let copy = move |_| {
        let text = code.get_value();
        spawn_local(async move {
            if crate::components::copy_to_clipboard(&text).await {
                copied.try_set(true);
            }
        });
    };
    view! {
        <div class="code-block" role="group" aria-label=label>
            <pre tabindex="0"><code>{text}</code></pre>
            <button type="button" class="ghost copy" on:click=copy>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}
