//! The message list: bubbles (mine right, others left, grouped by author), join/leave lines,
//! the "new messages" divider, edit and delete on my own messages (and moderators' delete on
//! anyone's), "load older", the typing
//! line, and the read position that follows what is on screen.

mod announce;
mod attachments;
mod bubble;
mod emoji_picker;
pub mod jump;
mod quote;
mod reactions;
mod scroll;
mod sender;
mod text;

use crate::api::history;
use crate::components::Alert;
use crate::live::{now_ms, use_live, use_room};
use crate::time;
use bubble::{PendingBubble, RowView, TypingLine};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{EventKind, MessageView};
use palaver::{ConversationId, Seq};

/// Messages by one author within this many milliseconds share one header.
pub(super) const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How close to the bottom (px) still counts as "at the bottom" for auto-scroll.
const STICK_THRESHOLD_PX: i32 = 80;

/// One row of the list: the event, whether it continues the previous bubble's group, whether
/// the "new messages" divider goes before it, and the day divider's label when it starts a
/// new day.
#[derive(Clone, PartialEq)]
pub(super) struct Row {
    message: MessageView,
    continues: bool,
    divider: bool,
    day: Option<String>,
}

/// The rows for `messages`; `day_of` gives each message's day in the viewer's zone and
/// `today` is today's (see `time::day_of`).
fn rows(
    messages: &[MessageView],
    divider_at: Option<Seq>,
    day_of: impl Fn(&MessageView) -> i64,
    today: i64,
) -> Vec<Row> {
    let mut out = Vec::with_capacity(messages.len());
    let mut prev: Option<(&MessageView, i64)> = None;
    for m in messages {
        let divider = divider_at == Some(m.seq);
        let day = day_of(m);
        let new_day = prev.is_none_or(|(_, d)| d != day);
        let continues = !divider
            && !new_day
            && m.kind == EventKind::Message
            && prev.is_some_and(|(p, _)| {
                p.kind == EventKind::Message
                    && p.author_id == m.author_id
                    && m.created_at.ms_since(p.created_at) < GROUP_WINDOW_MS
            });
        out.push(Row {
            message: m.clone(),
            continues,
            divider,
            day: new_day.then(|| time::day_label(day, today)),
        });
        prev = Some((m, day));
    }
    out
}

/// `at`: the message the conversation was opened at (see [`jump`]).
#[component]
pub fn MessageList(id: ConversationId, at: Option<Seq>) -> impl IntoView {
    let live = use_live();
    let room = use_room();
    let scroller = NodeRef::<leptos::html::Div>::new();
    let zone = time::use_tz_offset();
    // "Today" and "Yesterday" move on at midnight with the page open: re-read the clock.
    let now = RwSignal::new(now_ms());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let ticker = set_interval_with_handle(
                move || now.set(now_ms()),
                std::time::Duration::from_secs(30),
            );
            if let Ok(ticker) = ticker {
                on_cleanup(move || ticker.clear());
            }
        }
    });
    let at_bottom = room.at_bottom;
    // The composer growing (files in its tray) keeps the newest messages in view.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = scroller.get() {
            scroll::stick_when_shorter(&el, at_bottom);
        }
    });
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);
    // Messages by others that arrived while the reader was scrolled up ("New messages" pill).
    let unseen = RwSignal::new(0_i64);
    // What the live region reads out (see `announce`).
    let announced = RwSignal::new(String::new());

    let on_scroll = move |_| {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            let bottom =
                el.scroll_height() - el.scroll_top() - el.client_height() < STICK_THRESHOLD_PX;
            at_bottom.set(bottom);
            if bottom {
                unseen.set(0);
                live.mark_read();
            }
        }
    };
    // A window of older messages (opened at one): "Load newer messages" fetches what
    // follows; the button waits for the batch (or gives up after a few seconds).
    let window = Memo::new(move |_| room.timeline.with(|t| t.has_newer));
    let loading_newer = RwSignal::new(false);
    let load_newer = move |_| {
        loading_newer.set(true);
        live.load_newer();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(5_000).await;
            loading_newer.try_set(false);
        });
    };
    // Sending from a window shows the message where it goes: at the newest.
    let navigate = leptos_router::hooks::use_navigate();
    let latest = move || navigate(&format!("/c/{id}"), Default::default());
    let latest = StoredValue::new(latest);
    Effect::new(move |sending_before: Option<usize>| {
        let sending = live
            .outbox
            .with(|o| o.iter().filter(|m| m.conversation == id).count());
        if sending_before.is_some_and(|n| sending > n) && window.get_untracked() {
            latest.with_value(|go| go());
        }
        sending
    });
    // On opening, a conversation with unread messages starts at the "New messages" divider;
    // otherwise at the bottom; opened at a message, at that message. Afterwards the view
    // sticks to the bottom when events arrive, unless the reader has scrolled up; what is on
    // screen at the bottom counts as read. A window of older messages does none of that:
    // what "load newer" adds is not new, and the reader stays where they are.
    Effect::new(move |previous: Option<(Seq, bool)>| {
        let (last, in_window) = room.timeline.with(|t| (t.last_seq, t.has_newer));
        loading_newer.set(false);
        // `try_`: when another conversation opens, this list may already be disposed by
        // the time the effect runs for the new timeline.
        let Some(el) = scroller.try_get_untracked().flatten() else {
            return (last, in_window);
        };
        if previous.is_none() {
            if let Some(seq) = at {
                leptos::task::spawn_local(async move {
                    // Scrolled to, focused and highlighted once drawn (nothing to show when
                    // `at` is not a message).
                    let _ = jump::show(seq).await;
                    // A short conversation may show everything, the newest included.
                    if let Some(el) = scroller.try_get_untracked().flatten() {
                        let bottom = scroll::is_at_bottom(&el, STICK_THRESHOLD_PX);
                        at_bottom.try_set(bottom);
                        if bottom {
                            live.mark_read();
                        }
                    }
                    // The window may reach the end in one batch: then it joins the live
                    // stream at once. Only the window as opened: a reader who pressed "Load
                    // newer messages" during the highlight has moved it (or is moving it),
                    // and the rest must then wait to be asked for.
                    let end = live
                        .conversations
                        .with_untracked(|cs| cs.iter().find(|c| c.id == id).map(|c| c.last_seq));
                    let here = room
                        .timeline
                        .try_with_untracked(|t| (t.last_seq, t.has_newer));
                    let idle = loading_newer.try_get_untracked() == Some(false);
                    if let (Some(end), Some((now, true))) = (end, here) {
                        if now == last && idle && end.0 - now.0 <= palaver::protocol::SYNC_BATCH {
                            live.load_newer();
                        }
                    }
                });
                return (last, in_window);
            }
        }
        if previous.is_none() && scroll::to_divider(&el) {
            let bottom = scroll::is_at_bottom(&el, STICK_THRESHOLD_PX);
            at_bottom.set(bottom);
            if bottom {
                live.mark_read();
            }
            return (last, in_window);
        }
        if in_window || previous.is_some_and(|(_, was_window)| was_window) {
            return (last, in_window);
        }
        let previous = previous.map(|(seq, _)| seq);
        if let Some(previous) = previous.filter(|p| last > *p) {
            let me = live.me_id();
            if let Some(text) = room
                .timeline
                .with_untracked(|t| announce::announcement(&t.messages, previous, me))
            {
                announced.set(text);
            }
        }
        if at_bottom.get_untracked() {
            el.set_scroll_top(el.scroll_height());
            live.mark_read();
        } else if let Some(previous) = previous {
            let me = live.me_id();
            let new = room.timeline.with_untracked(|t| {
                t.messages
                    .iter()
                    .filter(|m| {
                        m.seq > previous && m.kind == EventKind::Message && m.author_id != me
                    })
                    .count() as i64
            });
            unseen.update(|n| *n += new);
        }
        (last, in_window)
    });
    let jump_to_latest = move |_| {
        if window.get_untracked() {
            // Reopen at the end: the newest page, following live events again.
            latest.with_value(|go| go());
            return;
        }
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        unseen.set(0);
        at_bottom.set(true);
        live.mark_read();
    };

    let load_older = move |_| {
        let Some(first) = room.timeline.with_untracked(|t| t.first_seq()) else {
            return;
        };
        loading_older.set(true);
        spawn_local(async move {
            match history(id, Some(first)).await {
                Ok(page) => {
                    older_error.set(None);
                    // Keep the message the reader was looking at where it is on screen.
                    let anchor = scroller
                        .get_untracked()
                        .and_then(|el| scroll::Anchor::take(&el, first));
                    room.timeline
                        .try_update(|t| t.prepend(page.messages, page.has_older));
                    room.retention.try_update(|k| {
                        k.pruned_through = k.pruned_through.max(page.pruned_through);
                    });
                    if let (Some(el), Some(anchor)) = (scroller.get_untracked(), anchor) {
                        anchor.restore(&el).await;
                    }
                }
                Err(e) => older_error.set(Some(e.to_string())),
            }
            loading_older.set(false);
        });
    };

    view! {
        // Focusable so the keyboard can scroll it (the skip link lands here).
        <div
            id="messages"
            class="messages"
            role="region"
            aria-label="Message history"
            tabindex="0"
            node_ref=scroller
            on:scroll=on_scroll
        >
            <Show when=move || room.timeline.with(|t| t.has_older)>
                <button type="button" class="ghost load-older" on:click=load_older disabled=move || loading_older.get()>
                    {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                </button>
            </Show>
            <Alert message=older_error />
            <Show when=move || {
                room.timeline.with(|t| !t.has_older)
                    && room.retention.with(|k| k.pruned_through > palaver::Seq::ZERO)
            }>
                <p class="history-start">{move || history_start(room.retention.get())}</p>
            </Show>
            <Show when=move || room.timeline.with(|t| t.messages.is_empty())>
                <p class="empty-chat">"No messages yet. Say hello!"</p>
            </Show>
            <ol class="message-list" aria-label="Messages">
                <For
                    each=move || {
                        let today = time::day_of(now.get(), zone);
                        room.timeline.with(|t| {
                            rows(&t.messages, t.divider, |m| time::day_of(m.created_at, zone), today)
                        })
                    }
                    key=|r| (r.message.seq, r.continues, r.divider, r.day.clone(), r.message.edited_at, r.message.deleted, r.message.author.clone())
                    children=move |row| view! { <RowView row live id /> }
                />
                <For
                    each=move || live.outbox.with(|o| o.iter().filter(|m| m.conversation == id).cloned().collect::<Vec<_>>())
                    key=|m| (m.client_id.clone(), m.state.clone())
                    children=move |m| view! { <PendingBubble m live /> }
                />
            </ol>
            <Show when=move || window.get()>
                <button type="button" class="ghost load-newer" on:click=load_newer disabled=move || loading_newer.get()>
                    {move || if loading_newer.get() { "Loading…" } else { "Load newer messages" }}
                </button>
            </Show>
        </div>
        <Show when=move || !at_bottom.get() || window.get()>
            <button type="button" class="jump-latest" on:click=jump_to_latest>
                {move || match unseen.get() {
                    0 => "Jump to latest ↓".to_owned(),
                    1 => "1 new message ↓".to_owned(),
                    n => format!("{n} new messages ↓"),
                }}
            </button>
        </Show>
        <p class="sr-only" aria-live="polite" aria-atomic="true">{move || announced.get()}</p>
        <TypingLine />
    }
}

/// Where the history begins once retention has deleted its oldest messages.
fn history_start(retention: palaver::model::Retention) -> String {
    match retention.effective_days() {
        Some(1) => {
            "Older messages were deleted: this conversation keeps messages for 1 day.".into()
        }
        Some(days) => {
            format!(
                "Older messages were deleted: this conversation keeps messages for {days} days."
            )
        }
        None => "Older messages were deleted by a retention setting.".into(),
    }
}
