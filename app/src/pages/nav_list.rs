//! The side nav's lists: conversations, then direct messages (as Slack splits channels from
//! DMs). Each row shows the title, a one-line preview, the time and the unread and mention
//! counts; a direct message shows the other person's name and whether they are online.

use crate::live::use_live;
use crate::time::{short, use_tz_offset};
use leptos::prelude::*;
use leptos_router::components::A;
use palaver::model::{ConversationSummary, NotifyLevel};
use palaver::Timestamp;

/// The side nav's rows split into (conversations, direct messages), each keeping its order
/// (newest activity first).
pub fn sections(
    rows: &[ConversationSummary],
) -> (Vec<ConversationSummary>, Vec<ConversationSummary>) {
    rows.iter().cloned().partition(|c| !c.kind.is_direct())
}

/// A row's second line. In a conversation, "author: text"; in a direct message the title
/// already names the other person, so their messages show as plain text and mine as
/// "You: text".
pub fn preview_line(c: &ConversationSummary, me: &str) -> String {
    match &c.last_message {
        None => "No messages yet".to_owned(),
        Some(m) if !c.kind.is_direct() => format!("{}: {}", m.author, m.body),
        Some(m) if m.author == me => format!("You: {}", m.body),
        Some(m) => m.body.clone(),
    }
}

/// Both lists, or what to do when there is nothing yet.
#[component]
pub fn ConversationLists() -> impl IntoView {
    let live = use_live();
    let split = Memo::new(move |_| live.conversations.with(|cs| sections(cs)));
    let now = crate::live::now_ms();
    view! {
        <Show
            when=move || live.conversations.with(|c| !c.is_empty())
            fallback=|| view! { <p class="empty-nav">"No conversations yet. Create one above, or open an invite link."</p> }
        >
            <Show when=move || split.with(|(groups, _)| !groups.is_empty())>
                <h2 class="nav-heading" id="nav-conversations">"Conversations"</h2>
                <Rows rows=Signal::derive(move || split.with(|(groups, _)| groups.clone())) now labelled_by="nav-conversations" />
            </Show>
            <h2 class="nav-heading" id="nav-direct">"Direct messages"</h2>
            <Show
                when=move || split.with(|(_, direct)| !direct.is_empty())
                fallback=|| view! { <p class="empty-nav hint">"To write to one person, choose Message beside their name in a member list."</p> }
            >
                <Rows rows=Signal::derive(move || split.with(|(_, direct)| direct.clone())) now labelled_by="nav-direct" />
            </Show>
        </Show>
    }
}

#[component]
fn Rows(
    rows: Signal<Vec<ConversationSummary>>,
    now: Timestamp,
    labelled_by: &'static str,
) -> impl IntoView {
    view! {
        <ul class="conversation-list" aria-labelledby=labelled_by>
            <For
                each=move || rows.get()
                key=|c| (c.id, c.last_seq, c.unread, c.mentions, c.notify, c.title.clone(), c.public, c.peer_online)
                children=move |c| view! { <Row c now /> }
            />
        </ul>
    }
}

#[component]
fn Row(c: ConversationSummary, now: Timestamp) -> impl IntoView {
    let live = use_live();
    let offset = use_tz_offset();
    let href = format!("/c/{}", c.id);
    let preview = live.me.with_value(|me| preview_line(&c, &me.username));
    let at = c.last_activity_at;
    let stamp = move || short(at, now, offset);
    let muted = c.notify == NotifyLevel::None;
    let direct = c.kind.is_direct();
    // Public rooms wear a "#" instead of an initial; a direct message the other person's
    // initial with a presence dot.
    let avatar = if c.public {
        "#".to_owned()
    } else {
        initial(&c.title)
    };
    view! {
        <li>
            <A href=href attr:class=if muted { "conversation muted" } else { "conversation" }>
                <span class="avatar" class:public=c.public class:person=direct class:online=c.peer_online aria-hidden="true">
                    {avatar}
                    {direct.then(|| view! { <span class="dot"></span> })}
                </span>
                <span class="text">
                    <span class="title" dir="auto">
                        {c.title.clone()}
                        {c.public.then(|| view! { <span class="sr-only">" (public room)"</span> })}
                        {(direct && c.peer_online).then(|| view! { <span class="sr-only">" (online)"</span> })}
                    </span>
                    <span class="preview" dir="auto">{preview}</span>
                </span>
                <span class="side">
                    <span class="stamp">{stamp}</span>
                    <span class="badges">
                        {muted.then(|| view! { <span class="sr-only">"Muted. "</span> })}
                        {(c.mentions > 0).then(|| view! {
                            <span class="badge mention" aria-hidden="true">{format!("@{}", capped(c.mentions))}</span>
                            <span class="sr-only">{format!("{} unread mentioning you. ", c.mentions)}</span>
                        })}
                        {(c.unread > 0).then(|| view! {
                            <span class="badge" aria-hidden="true">{capped(c.unread)}</span>
                            <span class="sr-only">{format!("{} unread", c.unread)}</span>
                        })}
                    </span>
                </span>
            </A>
        </li>
    }
}

/// A count as the side nav shows it: "99+" from the cap on.
fn capped(n: i64) -> String {
    if n >= palaver::model::UNREAD_CAP {
        "99+".to_owned()
    } else {
        n.to_string()
    }
}

/// The first letter of a title, upper-cased, for its tile.
fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::model::{ConversationKind, MessagePreview};
    use palaver::{ConversationId, Seq, UserId};

    fn row(id: i64, kind: ConversationKind, last: Option<(&str, &str)>) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(id),
            title: if kind.is_direct() {
                "bob".into()
            } else {
                "Team".into()
            },
            last_activity_at: Timestamp(id),
            last_seq: Seq(1),
            last_message: last.map(|(a, b)| MessagePreview::new(a.into(), b)),
            unread: 0,
            public: false,
            mentions: 0,
            notify: NotifyLevel::All,
            kind,
            peer: kind.is_direct().then_some(UserId(2)),
            peer_online: false,
        }
    }

    #[test]
    fn direct_messages_get_a_section_of_their_own_in_the_same_order() {
        use ConversationKind::*;
        let rows = [
            row(5, Direct, None),
            row(4, Group, None),
            row(3, Direct, None),
            row(1, Group, None),
        ];
        let (groups, direct) = sections(&rows);
        let ids = |v: Vec<ConversationSummary>| v.into_iter().map(|c| c.id.0).collect::<Vec<_>>();
        assert_eq!(ids(groups), [4, 1]);
        assert_eq!(ids(direct), [5, 3]);
    }

    #[test]
    fn a_direct_preview_names_no_one_but_me() {
        use ConversationKind::*;
        assert_eq!(
            preview_line(&row(1, Group, Some(("bob", "hi"))), "alice"),
            "bob: hi"
        );
        assert_eq!(
            preview_line(&row(1, Direct, Some(("bob", "hi"))), "alice"),
            "hi"
        );
        assert_eq!(
            preview_line(&row(1, Direct, Some(("alice", "hi"))), "alice"),
            "You: hi"
        );
        assert_eq!(
            preview_line(&row(1, Direct, None), "alice"),
            "No messages yet"
        );
    }
}
