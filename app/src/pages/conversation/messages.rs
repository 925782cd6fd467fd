//! The message list: bubbles (mine right, others left, grouped by author), join/leave lines,
//! the "new messages" divider, edit and delete on my own messages (and moderators' delete on
//! anyone's), "load older", the typing
//! line, and the read position that follows what is on screen.

use crate::api::history;
use crate::components::Alert;
use crate::live::{now_ms, use_live, use_room, ConnStatus, Live, OutState, Outgoing};
use crate::time::{clock, full, iso, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{EventKind, MessageView, Role};
use palaver::{ConversationId, MessageBody, Seq};

/// Messages by one author within this many milliseconds share one header.
const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How close to the bottom (px) still counts as "at the bottom" for auto-scroll.
const STICK_THRESHOLD_PX: i32 = 80;

/// One row of the list: the event, whether it continues the previous bubble's group, and
/// whether the "new messages" divider goes before it.
#[derive(Clone, PartialEq)]
struct Row {
    message: MessageView,
    continues: bool,
    divider: bool,
}

fn rows(messages: &[MessageView], divider_at: Option<Seq>) -> Vec<Row> {
    let mut out = Vec::with_capacity(messages.len());
    let mut prev: Option<&MessageView> = None;
    for m in messages {
        let divider = divider_at == Some(m.seq);
        let continues = !divider
            && m.kind == EventKind::Message
            && prev.is_some_and(|p| {
                p.kind == EventKind::Message
                    && p.author_id == m.author_id
                    && m.created_at.ms_since(p.created_at) < GROUP_WINDOW_MS
            });
        out.push(Row {
            message: m.clone(),
            continues,
            divider,
        });
        prev = Some(m);
    }
    out
}

#[component]
pub fn MessageList(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let room = use_room();
    let scroller = NodeRef::<leptos::html::Div>::new();
    let at_bottom = room.at_bottom;
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);

    let on_scroll = move |_| {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            let bottom =
                el.scroll_height() - el.scroll_top() - el.client_height() < STICK_THRESHOLD_PX;
            at_bottom.set(bottom);
            if bottom {
                live.mark_read();
            }
        }
    };
    // Stick to the bottom when events arrive, unless the reader has scrolled up; what is on
    // screen at the bottom counts as read.
    Effect::new(move |_| {
        let last = room.timeline.with(|t| t.last_seq);
        if at_bottom.get_untracked() {
            // `try_`: when another conversation opens, this list may already be disposed by
            // the time the effect runs for the new timeline.
            if let Some(el) = scroller.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
            live.mark_read();
        }
        last
    });

    let load_older = move |_| {
        let Some(first) = room.timeline.with_untracked(|t| t.first_seq()) else {
            return;
        };
        loading_older.set(true);
        spawn_local(async move {
            let before_height = scroller.get_untracked().map(|el| el.scroll_height());
            match history(id, Some(first)).await {
                Ok(page) => {
                    older_error.set(None);
                    room.timeline
                        .try_update(|t| t.prepend(page.messages, page.has_older));
                    // Keep the message the reader was looking at in place.
                    if let (Some(el), Some(before)) = (scroller.get_untracked(), before_height) {
                        el.set_scroll_top(el.scroll_top() + el.scroll_height() - before);
                    }
                }
                Err(e) => older_error.set(Some(e.to_string())),
            }
            loading_older.set(false);
        });
    };

    view! {
        <div class="messages" node_ref=scroller on:scroll=on_scroll>
            <Show when=move || room.timeline.with(|t| t.has_older)>
                <button type="button" class="ghost load-older" on:click=load_older disabled=move || loading_older.get()>
                    {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                </button>
            </Show>
            <Alert message=older_error />
            <Show when=move || room.timeline.with(|t| t.messages.is_empty())>
                <p class="empty-chat">"No messages yet. Say hello!"</p>
            </Show>
            <ol class="message-list" aria-label="Messages" aria-live="polite">
                <For
                    each=move || room.timeline.with(|t| rows(&t.messages, t.divider))
                    key=|r| (r.message.seq, r.continues, r.divider, r.message.edited_at, r.message.deleted)
                    children=move |row| view! { <RowView row live id /> }
                />
                <For
                    each=move || live.outbox.with(|o| o.iter().filter(|m| m.conversation == id).cloned().collect::<Vec<_>>())
                    key=|m| (m.client_id.clone(), m.state.clone())
                    children=move |m| view! { <PendingBubble m live /> }
                />
            </ol>
        </div>
        <TypingLine />
    }
}

#[component]
fn RowView(row: Row, live: Live, id: ConversationId) -> impl IntoView {
    let Row {
        message: m,
        continues,
        divider,
    } = row;
    let divider = divider
        .then(|| view! { <li class="divider" role="separator"><span>"New messages"</span></li> });
    let line = match m.kind {
        EventKind::Join | EventKind::Leave => {
            // A removal is stored as a leave whose body says so.
            let text = match (m.kind, m.body.as_str()) {
                (EventKind::Join, _) => format!("{} joined", m.author),
                (_, "removed") => format!("{} was removed", m.author),
                _ => format!("{} left", m.author),
            };
            view! { <li class="system" data-kind=m.kind.as_str()>{text}</li> }.into_any()
        }
        _ => view! { <Bubble m continues live id /> }.into_any(),
    };
    view! { {divider} {line} }
}

#[component]
fn Bubble(m: MessageView, continues: bool, live: Live, id: ConversationId) -> impl IntoView {
    let offset = use_tz_offset();
    let mine = live.is_mine(&m);
    let created = m.created_at;
    let seq = m.seq;
    let deleted = m.deleted;
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(m.body.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let save = move || {
        let body = draft.get_untracked();
        if let Err(e) = MessageBody::parse(&body) {
            error.set(Some(e.to_string()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match live.edit(id, seq, body).await {
                Ok(_) => {
                    editing.set(false);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let remove = move |_| {
        busy.set(true);
        spawn_local(async move {
            match live.delete(id, seq).await {
                Ok(_) => error.set(None),
                Err(e) => error.set(Some(e.to_string())),
            }
            confirming.set(false);
            busy.set(false);
        });
    };
    let body = m.body.clone();
    let body_view = move || {
        if deleted {
            view! { <p class="body deleted">"Message deleted"</p> }.into_any()
        } else if editing.get() {
            view! {
                <div class="edit">
                    <label class="sr-only" for=format!("edit-{seq}")>"Edit your message"</label>
                    <textarea
                        id=format!("edit-{seq}")
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                ev.prevent_default();
                                save();
                            } else if ev.key() == "Escape" {
                                editing.set(false);
                            }
                        }
                    ></textarea>
                    <div class="edit-actions">
                        <button type="button" class="primary" on:click=move |_| save() disabled=move || busy.get()>"Save"</button>
                        <button type="button" class="ghost" on:click=move |_| editing.set(false)>"Cancel"</button>
                    </div>
                </div>
            }
            .into_any()
        } else {
            view! { <p class="body">{body.clone()}</p> }.into_any()
        }
    };
    // Authors delete their own messages; owners and admins anyone's (following the live
    // role). Only authors edit.
    let room = use_room();
    let may_delete = move || mine || live.my_role(room).is_some_and(Role::can_moderate);
    let question = if mine {
        "Delete this message?".to_owned()
    } else {
        format!("Delete this message by {}?", m.author)
    };
    let actions = move || {
        (!deleted && may_delete()).then(|| {
            let question = question.clone();
            view! {
                <div class="actions">
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            {mine.then(|| view! {
                                <button type="button" class="ghost" aria-label="Edit message" on:click=move |_| editing.set(true)>"Edit"</button>
                            })}
                            <button type="button" class="ghost" aria-label="Delete message" on:click=move |_| confirming.set(true)>"Delete"</button>
                        }
                    >
                        <span>{question.clone()}</span>
                        <button type="button" class="danger" on:click=remove disabled=move || busy.get()>"Delete"</button>
                        <button type="button" class="ghost" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </Show>
                </div>
            }
        })
    };
    view! {
        <li
            class="bubble"
            class:mine=mine
            class:theirs=!mine
            class:continues=continues
            class:is-deleted=deleted
            data-mine=mine.to_string()
            data-seq=seq.0
        >
            <div class="meta">
                <span class="author" class:sr-only=continues>{m.author.clone()}</span>
                <time datetime=iso(created) title=move || full(created, offset.get())>
                    {move || clock(created, offset.get())}
                </time>
                {(m.edited_at.is_some() && !deleted).then(|| view! { <span class="edited">"(edited)"</span> })}
            </div>
            {body_view}
            {actions}
            <Alert message=error />
        </li>
    }
}

/// A message of mine on its way: "Sending…", "Waiting for connection…", or refused with
/// the reason and a retry.
#[component]
fn PendingBubble(m: Outgoing, live: Live) -> impl IntoView {
    let retry_id = m.client_id.clone();
    let discard_id = m.client_id.clone();
    let (status, failed) = match &m.state {
        OutState::Waiting if live.status.get_untracked() != ConnStatus::Online => {
            ("Waiting for connection…".to_owned(), false)
        }
        OutState::Waiting | OutState::Sending => ("Sending…".to_owned(), false),
        OutState::Failed(reason) => (format!("Not sent: {reason}"), true),
    };
    view! {
        <li class="bubble mine pending" class:failed=failed data-mine="true" data-pending="true">
            <p class="body">{m.body.clone()}</p>
            <div class="pending-status">
                <span>{status}</span>
                {failed.then(|| view! {
                    <button type="button" class="ghost" on:click=move |_| live.retry(&retry_id)>"Retry"</button>
                    <button type="button" class="ghost" on:click=move |_| live.discard(&discard_id)>"Discard"</button>
                })}
            </div>
        </li>
    }
}

/// "alice is typing…", gone a few seconds after the last keystroke signal.
#[component]
fn TypingLine() -> impl IntoView {
    let room = use_room();
    let now = RwSignal::new(now_ms());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Ok(handle) = set_interval_with_handle(
            move || now.set(now_ms()),
            std::time::Duration::from_millis(1000),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let text = move || {
        let t = now.get();
        let names: Vec<String> = room.typing.with(|ty| {
            ty.iter()
                .filter(|(_, until)| *until > t)
                .map(|(u, _)| u.username.clone())
                .collect()
        });
        match names.as_slice() {
            [] => String::new(),
            [one] => format!("{one} is typing…"),
            [a, b] => format!("{a} and {b} are typing…"),
            [a, b, ..] => format!("{a}, {b} and others are typing…"),
        }
    };
    view! { <p class="typing" aria-live="polite">{text}</p> }
}
