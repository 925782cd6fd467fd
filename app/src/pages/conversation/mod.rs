//! One conversation: header (title, who is online, invite, settings, leave), the message
//! list, the composer (or why it is gone), the member list, and files dropped on it.

mod audit;
mod bans;
mod composer;
mod drop_zone;
mod invite;
mod invites;
mod members;
mod messages;
mod notify;
mod person;
mod retention;
mod settings;

use crate::api::{conversation, history, CloseDirect, LeaveConversation};
use crate::components::{action_error, http_status, Alert};
use crate::error::AppError;
#[allow(unused_imports)]
use crate::focus::{focus_selector, narrow_screen};
use crate::live::{use_live, use_room, Closed, ConnStatus};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use palaver::model::Role;
use palaver::{ConversationId, Seq};

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
    // `?at=SEQ`: open at that message (a search result), with some of what came before
    // and after it (see `messages::jump`).
    let query = use_query_map();
    let at = move || {
        query
            .read()
            .get("at")
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .map(Seq)
    };
    let data = Resource::new(
        move || (id(), at()),
        |(id, at)| async move {
            let id = id.ok_or_else(|| AppError::NotFound("Conversation not found.".into()))?;
            let (detail, page) = futures::join!(
                conversation(id),
                history(id, messages::jump::window_end(at))
            );
            let (detail, page) = (detail?, page?);
            let has_newer = messages::jump::window_has_newer(at, detail.last_seq);
            Ok::<_, AppError>((detail, page, has_newer, at))
        },
    );
    view! {
        <Suspense fallback=|| view! { <div class="loading" aria-busy="true">"Loading conversation…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((detail, page, has_newer, at)) => {
                        live.open(&detail, page.messages, page.has_older, has_newer);
                        Either::Left(view! { <ConversationView id=detail.id at /> })
                    }
                    Err(e) => {
                        if matches!(e, AppError::NotFound(_)) {
                            http_status(404);
                        }
                        let retry = Callback::new(move |()| data.refetch());
                        Either::Right(view! { <PaneError error=e retry /> })
                    }
                }
            })}
        </Suspense>
    }
}

/// `at`: the message the page was opened at, revealed once it is drawn.
#[component]
fn ConversationView(id: ConversationId, at: Option<Seq>) -> impl IntoView {
    let live = use_live();
    let room = use_room();
    // What the viewer may do follows their live role: a promotion shows the controls and a
    // demotion or removal takes them away without a reload. The server checks again anyway.
    let role = Memo::new(move |_| live.my_role(room));
    let moderator = Signal::derive(move || role.get().is_some_and(Role::can_moderate));
    let settings_open = RwSignal::new(false);
    // Below 900 px the member list is a sheet over the conversation, opened from the header.
    let members_open = RwSignal::new(false);
    let showing_settings = move || settings_open.get() && moderator.get();
    // Opened by navigation (the side nav, a created conversation): the keyboard lands in the
    // composer, as in Slack; on a phone on the title instead, so that no on-screen keyboard
    // covers the conversation. A page loaded from the server keeps the browser's start.
    // "Message" on a member asks for the composer on a phone too: writing is the point.
    // Opened at a message, that message takes the focus instead (see `messages::jump`).
    #[cfg(feature = "hydrate")]
    if crate::focus::navigated() && at.is_none() {
        let composer_first = crate::focus::take_composer_request() || !narrow_screen();
        leptos::task::spawn_local(async move {
            leptos::task::tick().await;
            if !composer_first || !focus_selector("#composer") {
                focus_selector("#conversation-title");
            }
        });
    }
    // A direct conversation is two people: no member list, roles, invites or settings, and
    // "Close" (hide it until the next message) in place of "Leave".
    let direct = room.kind.is_direct();
    let subline = move || {
        if direct {
            return direct_subline(live, room);
        }
        let members = room
            .members
            .with(|ms| ms.iter().map(|m| m.user.id).collect::<Vec<_>>());
        let n = members.len();
        let noun = if n == 1 { "member" } else { "members" };
        if room.presence_known.get() {
            let online = room
                .online
                .with(|o| members.iter().filter(|u| o.contains(u)).count());
            format!("{n} {noun} · {online} online")
        } else {
            format!("{n} {noun}")
        }
    };
    view! {
        // The page title outlives this view a little (the meta context re-formats it when
        // the unread count changes, also while the next conversation opens): `try_`.
        <Title text=move || room.title.try_get().unwrap_or_default() />
        // Escape closes what is open over the conversation: the member sheet, then settings.
        <div
            class="conversation-view"
            on:keydown=move |ev| {
                if ev.key() != "Escape" {
                    return;
                }
                // Focus goes back to the button that opened what closed.
                if members_open.get_untracked() {
                    members_open.set(false);
                    focus_selector(".members-toggle");
                } else if settings_open.get_untracked() {
                    settings_open.set(false);
                    focus_selector(".settings-toggle");
                }
            }
        >
            <drop_zone::DropZone id>
                <header class="chat-header">
                    // Phones show one pane at a time: this leads back to the list.
                    <a class="back" href="/" aria-label="Back to conversations">
                        <span aria-hidden="true">"‹"</span>
                    </a>
                    <div class="heading">
                        <h1 id="conversation-title" dir="auto">{move || room.title.get()}</h1>
                        <p class="subline">
                            {move || room.public.get().then(|| view! {
                                <span class="tag" title="Listed in the room directory; anyone can join">"Public"</span>
                            })}
                            {subline}
                        </p>
                    </div>
                    <notify::NotifyControl id />
                    <Show when=move || moderator.get()>
                        <invite::InviteControl id />
                        <button
                            type="button"
                            class="ghost settings-toggle"
                            class:active=move || settings_open.get()
                            aria-expanded=move || settings_open.get().to_string()
                            aria-controls="conversation-settings"
                            on:click=move |_| settings_open.update(|o| *o = !*o)
                        >
                            "Settings"
                        </button>
                    </Show>
                    <Show when=move || !direct>
                        <button
                            type="button"
                            class="ghost members-toggle"
                            aria-expanded=move || members_open.get().to_string()
                            aria-controls="conversation-members"
                            on:click=move |_| members_open.update(|o| *o = !*o)
                        >
                            "Members"
                        </button>
                    </Show>
                    <Show when=move || !direct && role.get().is_some_and(|r| r != Role::Owner)>
                        <LeaveControl id />
                    </Show>
                    <Show when=move || direct && role.get().is_some()>
                        <CloseControl id />
                    </Show>
                </header>
                {move || {
                    if showing_settings() {
                        Either::Left(view! {
                            <settings::SettingsPanel id role open=settings_open />
                        })
                    } else {
                        Either::Right(view! {
                            <messages::MessageList id at />
                            {move || match room.closed.get() {
                                Some(reason) => Either::Left(view! { <ClosedNotice reason /> }),
                                None => Either::Right(view! { <composer::Composer id /> }),
                            }}
                        })
                    }
                }}
            </drop_zone::DropZone>
            <Show when=move || !direct>
                <members::MembersPanel id role open=members_open />
            </Show>
        </div>
    }
}

/// Why a conversation could not be opened, inside the pane (the side nav stays usable): with
/// Retry, and retried by itself when the connection comes back after an outage.
#[component]
fn PaneError(error: AppError, retry: Callback<()>) -> impl IntoView {
    let live = use_live();
    Effect::new(move |was: Option<ConnStatus>| {
        let now = live.status.get();
        if was.is_some_and(|w| w != ConnStatus::Online) && now == ConnStatus::Online {
            retry.run(());
        }
        now
    });
    let title = match error {
        AppError::NotFound(_) | AppError::Forbidden(_) => "Conversation unavailable",
        _ => "This conversation could not be loaded",
    };
    view! {
        <Title text=title />
        <div class="pane-error" role="alert">
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <div class="pane-error-actions">
                <button type="button" class="primary" on:click=move |_| retry.run(())>"Retry"</button>
                <a class="button" href="/">"Back to your conversations"</a>
            </div>
        </div>
    }
}

/// In place of the composer once the conversation is no longer the viewer's.
#[component]
fn ClosedNotice(reason: Closed) -> impl IntoView {
    let text = match reason {
        Closed::Removed => "You were removed from this conversation.",
        Closed::Deleted => "This conversation was deleted.",
        Closed::Left => "You left this conversation.",
        Closed::Gone => "You are no longer a member of this conversation.",
    };
    view! {
        <div class="closed-notice" role="status">
            <p>{text}</p>
            <a class="button" href="/">"Back to your conversations"</a>
        </div>
    }
}

/// A direct conversation's header line: whether the other person is online (once known).
fn direct_subline(live: crate::live::Live, room: crate::live::Room) -> String {
    let me = live.me_id();
    let peer = room
        .members
        .with(|ms| ms.iter().map(|m| m.user.id).find(|u| *u != me));
    let online = peer.is_some_and(|p| room.online.with(|o| o.contains(&p)));
    match (room.presence_known.get(), online) {
        (true, true) => "Direct message · online".to_owned(),
        (true, false) => "Direct message · offline".to_owned(),
        (false, _) => "Direct message".to_owned(),
    }
}

/// "Close" hides a direct conversation from the side nav until its next message (and goes
/// back to the list); nothing to confirm, since "Message" or the next message brings it back.
#[component]
fn CloseControl(id: ConversationId) -> impl IntoView {
    let close = ServerAction::<CloseDirect>::new();
    let error = action_error(close.value());
    view! {
        <div class="leave">
            <ActionForm action=close>
                <input type="hidden" name="id" value=id.0 />
                <button
                    type="submit"
                    class="ghost"
                    aria-label="Close direct message"
                    title="Hide it from your list until the next message"
                >
                    "Close"
                </button>
            </ActionForm>
            <Alert message=error />
        </div>
    }
}

/// "Leave" asks once before leaving.
#[component]
fn LeaveControl(id: ConversationId) -> impl IntoView {
    let leave = ServerAction::<LeaveConversation>::new();
    let error = action_error(leave.value());
    let confirming = RwSignal::new(false);
    view! {
        <div class="leave">
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="ghost" on:click=move |_| confirming.set(true)>"Leave"</button>
                }
            >
                <ActionForm action=leave attr:class="confirm">
                    <input type="hidden" name="id" value=id.0 />
                    <span>"Leave this conversation?"</span>
                    <button type="submit" class="danger">"Leave conversation"</button>
                    <button type="button" class="ghost" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </ActionForm>
            </Show>
            <Alert message=error />
        </div>
    }
}
