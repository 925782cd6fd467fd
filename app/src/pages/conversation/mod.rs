//! One conversation: header (title, who is online, invite, leave), the message list, the
//! composer and the member list.

mod composer;
mod invite;
mod messages;

use crate::api::{conversation, history, LeaveConversation};
use crate::components::{action_error, http_status, Alert, Notice};
use crate::error::AppError;
use crate::live::{use_live, use_room};
use crate::pages::shell::initial;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use palaver::model::{ConversationDetail, Role};
use palaver::ConversationId;

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
                        live.open(&detail, page.messages, page.has_older);
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
    let room = use_room();
    let id = detail.id;
    let title = detail.title.clone();
    let can_leave = detail.my_role != Role::Owner;
    let online_count = move || {
        let members = room
            .members
            .with(|ms| ms.iter().map(|m| m.user.id).collect::<Vec<_>>());
        room.online
            .with(|o| members.iter().filter(|u| o.contains(u)).count())
    };
    view! {
        <Title text=title.clone() />
        <div class="conversation-view">
            <section class="chat" aria-labelledby="conversation-title">
                <header class="chat-header">
                    <div class="heading">
                        <h1 id="conversation-title">{title}</h1>
                        <p class="subline">
                            {move || {
                                let n = room.members.with(Vec::len);
                                format!("{n} {} · {} online", if n == 1 { "member" } else { "members" }, online_count())
                            }}
                        </p>
                    </div>
                    <invite::InviteControl id />
                    {can_leave.then(|| view! { <LeaveControl id /> })}
                </header>
                <messages::MessageList id />
                <composer::Composer id />
            </section>
            <MembersPanel />
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

#[component]
fn MembersPanel() -> impl IntoView {
    let room = use_room();
    view! {
        <aside class="members" aria-label="Members">
            <h2>{move || format!("Members · {}", room.members.with(Vec::len))}</h2>
            <ul>
                <For
                    each=move || room.members.get()
                    key=|m| m.user.id
                    children=move |m| {
                        let user = m.user.id;
                        let online = move || room.online.with(|o| o.contains(&user));
                        let role = match m.role {
                            Role::Owner => Some("owner"),
                            Role::Admin => Some("admin"),
                            Role::Member => None,
                        };
                        view! {
                            <li class:online=online>
                                <span class="avatar" aria-hidden="true">
                                    {initial(&m.user.username)}
                                    <span class="dot"></span>
                                </span>
                                <span class="name">{m.user.username.clone()}</span>
                                <span class="sr-only">{move || if online() { "online" } else { "offline" }}</span>
                                {role.map(|r| view! { <span class="role">{r}</span> })}
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
}
