//! One conversation: header with invite, the message list, the composer and the member list.

use crate::api::{conversation, create_invite, history};
use crate::components::{http_status, Alert, Notice};
use crate::error::AppError;
use crate::live::{use_live, ConnStatus};
use crate::pages::shell::initial;
use crate::time::{clock, full, iso, use_tz_offset};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use palaver::model::{ConversationDetail, MessageView};
use palaver::validate::MESSAGE_MAX;
use palaver::{ConversationId, MessageBody};

/// Messages by one author within this many milliseconds share one header.
const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How close to the bottom (px) still counts as "at the bottom" for auto-scroll.
const STICK_THRESHOLD_PX: i32 = 80;

#[component]
pub fn ConversationPage() -> impl IntoView {
    let live = use_live();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .map(ConversationId)
    };
    let data = Resource::new(id, |id| async move {
        let id = id.ok_or_else(|| AppError::NotFound("Conversation not found.".into()))?;
        let (detail, page) = futures::join!(conversation(id), history(id, None));
        Ok::<_, AppError>((detail?, page?))
    });
    view! {
        <Suspense fallback=|| view! { <div class="loading" aria-busy="true">"Loading conversation…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((detail, page)) => {
                        live.open(detail.id, page.messages, page.has_older, detail.members.clone());
                        Either::Left(view! { <ConversationView detail /> })
                    }
                    Err(e) => {
                        if matches!(e, AppError::NotFound(_)) {
                            http_status(404);
                        }
                        Either::Right(view! {
                            <Notice title="Conversation unavailable">
                                <p>{e.to_string()}</p>
                                <p><a class="button" href="/">"Back to your conversations"</a></p>
                            </Notice>
                        })
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConversationView(detail: ConversationDetail) -> impl IntoView {
    let id = detail.id;
    let title = detail.title.clone();
    view! {
        <Title text=title.clone() />
        <div class="conversation-view">
            <section class="chat" aria-labelledby="conversation-title">
                <header class="chat-header">
                    <h1 id="conversation-title">{title}</h1>
                    <InviteControl id />
                </header>
                <MessageList id />
                <Composer id />
            </section>
            <MembersPanel />
        </div>
    }
}

#[component]
fn InviteControl(id: ConversationId) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_click = move |_| {
        busy.set(true);
        spawn_local(async move {
            match create_invite(id).await {
                Ok(invite) => {
                    error.set(None);
                    let copied = copy_to_clipboard(&invite.url).await;
                    link.set(Some(invite.url));
                    status.set(Some(
                        if copied {
                            "Invite link copied to clipboard"
                        } else {
                            "Copy the invite link below"
                        }
                        .to_owned(),
                    ));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="invite">
            <button type="button" class="primary" on:click=on_click disabled=move || busy.get()>
                "Invite"
            </button>
            <p class="invite-status" role="status">
                {move || status.get()}
            </p>
            <Alert message=error />
            {move || {
                link.get().map(|url| view! {
                    <div class="invite-link">
                        <label for="invite-link">"Invite link"</label>
                        <input id="invite-link" readonly value=url on:focus=|ev| select_all(&ev) />
                        <p class="hint">"Anyone with this link can join this conversation."</p>
                    </div>
                })
            }}
        </div>
    }
}

async fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = window().navigator().clipboard();
        wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
            .await
            .is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

fn select_all(ev: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

/// Each message with whether it continues the previous one's group.
fn grouped(messages: &[MessageView]) -> Vec<(MessageView, bool)> {
    let mut out = Vec::with_capacity(messages.len());
    let mut prev: Option<&MessageView> = None;
    for m in messages {
        let continues = prev.is_some_and(|p| {
            p.author_id == m.author_id && m.created_at - p.created_at < GROUP_WINDOW_MS
        });
        out.push((m.clone(), continues));
        prev = Some(m);
    }
    out
}

#[component]
fn MessageList(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let offset = use_tz_offset();
    let scroller = NodeRef::<leptos::html::Div>::new();
    let at_bottom = RwSignal::new(true);
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            at_bottom.set(
                el.scroll_height() - el.scroll_top() - el.client_height() < STICK_THRESHOLD_PX,
            );
        }
    };
    // Stick to the bottom when messages arrive, unless the reader has scrolled up.
    Effect::new(move |_| {
        let count = live.timeline.with(|t| t.messages.last().map(|m| m.seq));
        if at_bottom.get_untracked() {
            if let Some(el) = scroller.get() {
                el.set_scroll_top(el.scroll_height());
            }
        }
        count
    });

    let load_older = move |_| {
        let Some(first) = live.timeline.with_untracked(|t| t.first_seq()) else {
            return;
        };
        loading_older.set(true);
        spawn_local(async move {
            let before_height = scroller.get_untracked().map(|el| el.scroll_height());
            match history(id, Some(first)).await {
                Ok(page) => {
                    older_error.set(None);
                    live.prepend_older(id, page.messages, page.has_older);
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
            <Show when=move || live.timeline.with(|t| t.has_older)>
                <button type="button" class="ghost load-older" on:click=load_older disabled=move || loading_older.get()>
                    {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                </button>
            </Show>
            <Alert message=older_error />
            <Show when=move || live.timeline.with(|t| t.messages.is_empty())>
                <p class="empty-chat">"No messages yet. Say hello!"</p>
            </Show>
            <ol class="message-list" aria-label="Messages" aria-live="polite">
                <For
                    each=move || live.timeline.with(|t| grouped(&t.messages))
                    key=|(m, continues)| (m.seq, *continues)
                    children=move |(m, continues)| {
                        let mine = live.is_mine(&m);
                        let created = m.created_at;
                        view! {
                            <li class="bubble" class:mine=mine class:theirs=!mine class:continues=continues data-mine=mine.to_string() data-seq=m.seq>
                                <div class="meta">
                                    <span class="author" class:sr-only=continues>{m.author.clone()}</span>
                                    <time datetime=iso(created) title=move || full(created, offset.get())>
                                        {move || clock(created, offset.get())}
                                    </time>
                                </div>
                                <p class="body">{m.body.clone()}</p>
                            </li>
                        }
                    }
                />
            </ol>
        </div>
    }
}

#[component]
fn Composer(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let offline = move || live.status.get() != ConnStatus::Online;

    let submit = move || {
        if sending.get_untracked() {
            return;
        }
        let body = text.get_untracked();
        if let Err(e) = MessageBody::parse(&body) {
            error.set(Some(e.to_string()));
            return;
        }
        sending.set(true);
        spawn_local(async move {
            match live.send(id, body).await {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            sending.set(false);
        });
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Enter sends; Shift+Enter (and Enter while an IME is composing) makes a new line.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <label for="composer" class="sr-only">"Message"</label>
            <textarea
                id="composer"
                rows="1"
                placeholder="Write a message…  (Enter to send, Shift+Enter for a new line)"
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    if error.get_untracked().is_some() {
                        error.set(None);
                    }
                }
                on:keydown=on_keydown
                readonly=move || sending.get()
                aria-describedby="composer-count"
            ></textarea>
            <span id="composer-count" class="count" class:over=move || text.with(|t| t.chars().count() > MESSAGE_MAX)>
                {move || {
                    let n = text.with(|t| t.chars().count());
                    (n > MESSAGE_MAX - 500).then(|| format!("{n}/{MESSAGE_MAX}"))
                }}
            </span>
            <button type="submit" class="primary" disabled=move || sending.get() || offline()>
                "Send"
            </button>
            <Alert message=error />
        </form>
    }
}

#[component]
fn MembersPanel() -> impl IntoView {
    let live = use_live();
    view! {
        <aside class="members" aria-label="Members">
            <h2>{move || format!("Members · {}", live.members.with(Vec::len))}</h2>
            <ul>
                <For
                    each=move || live.members.get()
                    key=|m| m.user.id
                    children=move |m| {
                        let role = match m.role {
                            palaver::model::Role::Owner => Some("owner"),
                            palaver::model::Role::Admin => Some("admin"),
                            palaver::model::Role::Member => None,
                        };
                        view! {
                            <li>
                                <span class="avatar" aria-hidden="true">{initial(&m.user.username)}</span>
                                <span class="name">{m.user.username.clone()}</span>
                                {role.map(|r| view! { <span class="role">{r}</span> })}
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
}
