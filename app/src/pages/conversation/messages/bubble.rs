//! One row of the list: a bubble (mine right, others left; reply, react, edit and delete;
//! the quote of the message it answers and its reactions), a join or leave line, the "new
//! messages" divider before it; the pending bubbles of the outbox; and the typing line under
//! the list.

use super::attachments::Attachments;
use super::quote::Quote;
use super::reactions::ReactionBar;
use super::text::MessageText;
use super::Row;
use crate::components::{focus_by_id, Alert};
use crate::live::preview::excerpt_of;
use crate::live::{now_ms, use_room, ConnStatus, Live, OutState, Outgoing};
use crate::time::{clock, full, iso, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{EventKind, MessageView, ReplyQuote, Role};
use palaver::Seq;
use palaver::{ConversationId, MessageBody};

#[component]
pub(super) fn RowView(row: Row, live: Live, id: ConversationId) -> impl IntoView {
    let Row {
        message: m,
        continues,
        divider,
        day,
    } = row;
    let day = day.map(|label| view! { <li class="day"><span>{label}</span></li> });
    let divider = divider.then(|| view! { <li class="divider"><span>"New messages"</span></li> });
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
    view! { {day} {divider} {line} }
}

#[component]
fn Bubble(m: MessageView, continues: bool, live: Live, id: ConversationId) -> impl IntoView {
    let offset = use_tz_offset();
    let mine = live.is_mine(&m);
    let created = m.created_at;
    let seq = m.seq;
    let deleted = m.deleted;
    // Only authors edit, and only text: a message of files only has none.
    let editable = mine && !deleted && !m.body.is_empty();
    let editing = RwSignal::new(false);
    // Opened from the composer with the Up arrow: edit here and put the cursor in the editor.
    let room = use_room();
    Effect::new(move |_| {
        if editable && room.edit_request.get() == Some(seq) {
            room.edit_request.set(None);
            editing.set(true);
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async move {
                leptos::task::tick().await;
                focus_by_id(&format!("edit-{seq}"));
            });
        }
    });
    // The live parts of the message: its reactions and the quote of what it answers change
    // with events about other seqs, without redrawing the bubble (focus stays where it is).
    let reactions = Memo::new(move |_| {
        room.timeline
            .with(|t| shown(&t.messages, seq).map(|x| x.reactions.clone()))
            .unwrap_or_default()
    });
    let quote = Memo::new(move |_| {
        room.timeline
            .with(|t| shown(&t.messages, seq).and_then(|x| x.reply_to.clone()))
    });
    let picking = RwSignal::new(false);
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
                    focus_composer();
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
    let mentions = m.mentions.clone();
    let mentions_me = !mine && live.mentions_me(&m);
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
                                focus_composer();
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
        } else if body.is_empty() {
            // A message of files only: no empty text block above them.
            ().into_any()
        } else {
            view! { <MessageText body=body.clone() mentions=mentions.clone() /> }.into_any()
        }
    };
    let files = (!deleted && !m.attachments.is_empty())
        .then(|| view! { <Attachments attachments=m.attachments.clone() /> });
    // Authors delete their own messages; owners and admins anyone's (following the live
    // role). Only authors edit.
    let may_delete = move || mine || live.my_role(room).is_some_and(Role::can_moderate);
    // The buttons say which message they act on (a screen reader lists many "Delete"s);
    // a message of files only by its files.
    let excerpt = excerpt_of(&m.body, &m.attachments);
    let snippet = {
        let mut s: String = excerpt.chars().take(40).collect();
        if excerpt.chars().count() > 40 {
            s.push('…');
        }
        StoredValue::new(s)
    };
    let question = if mine {
        "Delete this message?".to_owned()
    } else {
        format!("Delete this message by {}?", m.author)
    };
    let reply_quote = ReplyQuote {
        seq,
        author_id: m.author_id,
        author: m.author.clone(),
        excerpt,
        deleted: false,
    };
    let reply = move |_| {
        room.replying.set(Some(reply_quote.clone()));
        focus_composer();
    };
    let react_id = format!("react-{seq}");
    let actions = move || {
        (!deleted).then(|| {
            let question = question.clone();
            let reply = reply.clone();
            let react_id = react_id.clone();
            view! {
                <div class="actions">
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="ghost" aria-label=format!("Reply to message: {}", snippet.get_value()) on:click=reply.clone()>"Reply"</button>
                            <button type="button" class="ghost" id=react_id.clone() aria-label=format!("React to message: {}", snippet.get_value()) aria-haspopup="dialog" aria-expanded=move || picking.get().to_string() on:click=move |_| picking.update(|p| *p = !*p)>"React"</button>
                            {editable.then(|| view! {
                                <button type="button" class="ghost" aria-label=format!("Edit message: {}", snippet.get_value()) on:click=move |_| editing.set(true)>"Edit"</button>
                            })}
                            {move || may_delete().then(|| view! {
                                <button type="button" class="ghost" aria-label=format!("Delete message: {}", snippet.get_value()) on:click=move |_| confirming.set(true)>"Delete"</button>
                            })}
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
    // Others' groups start with the author's avatar; the header names them as they are now.
    let profile = super::sender::author_profile(m.author_id);
    let face = (!mine && !continues).then(|| {
        view! { <super::sender::AuthorAvatar author=m.author_id username=m.author.clone() profile /> }
    });
    view! {
        <li
            class="bubble"
            class:mine=mine
            class:theirs=!mine
            class:continues=continues
            class:is-deleted=deleted
            class:mentions-me=mentions_me && !deleted
            data-mine=mine.to_string()
            data-seq=seq.0
        >
            {face}
            <div class="meta">
                <super::sender::AuthorName username=m.author.clone() profile continues />
                <time datetime=iso(created) title=move || full(created, offset)>
                    {move || clock(created, offset)}
                </time>
                {(m.edited_at.is_some() && !deleted).then(|| view! { <span class="edited">"(edited)"</span> })}
                {(mentions_me && !deleted).then(|| view! { <span class="sr-only">", mentions you"</span> })}
            </div>
            <Quote quote id error />
            {body_view}
            {files}
            {(!deleted).then(|| view! { <ReactionBar live id seq reactions picking opener=format!("react-{seq}") /> })}
            {actions}
            <Alert message=error />
        </li>
    }
}

/// A message of mine on its way: "Sending…", "Waiting for connection…", or refused with
/// the reason and a retry.
#[component]
pub(super) fn PendingBubble(m: Outgoing, live: Live) -> impl IntoView {
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
            <Quote quote=Signal::stored(m.reply_to.clone()) id=m.conversation clickable=false />
            {(!m.body.is_empty()).then(|| view! { <MessageText body=m.body.clone() mentions=Vec::new() /> })}
            {(!m.attachments.is_empty()).then(|| view! { <Attachments attachments=m.attachments.clone() /> })}
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
pub(super) fn TypingLine() -> impl IntoView {
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
                .map(|(u, _)| room.shown_name_of(u.id, &u.username))
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

/// The shown event `seq` (the timeline is in seq order).
fn shown(messages: &[MessageView], seq: Seq) -> Option<&MessageView> {
    messages
        .binary_search_by_key(&seq, |m| m.seq)
        .ok()
        .map(|i| &messages[i])
}

/// Back to the composer after editing (where the Up arrow came from).
fn focus_composer() {
    focus_by_id("composer");
}
