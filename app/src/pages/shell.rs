//! The signed-in layout: top bar, side nav of conversations, and the routed main pane.

use crate::api::{
    am_admin, current_user, get_profile, list_conversations, CreateConversation, SignOut,
};
use crate::components::{action_error, Alert, Avatar, AvatarSize, Notice};
use crate::error::AppError;
use crate::live::{use_live, ConnStatus, Live};
use crate::time::provide_tz_offset;
use leptos::either::EitherOf3;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;
use palaver::model::Profile;
use palaver::profiles::shown_name;
use palaver::validate::TITLE_MAX_BYTES;

#[component]
pub fn ChatShell() -> impl IntoView {
    provide_tz_offset();
    let data = Resource::new(
        || (),
        |_| async {
            match current_user().await? {
                Some(me) => Ok::<_, AppError>(Some((me, list_conversations().await?))),
                None => Ok(None),
            }
        },
    );
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <div class="loading" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some((me, conversations))) => {
                        let me_id = me.id;
                        let live = Live::new(me, conversations);
                        crate::uploads::Uploads::new(me_id);
                        live.connect();
                        if let Some(total) = use_context::<crate::UnreadTotal>() {
                            Effect::new(move |_| total.0.set(live.total_unread()));
                            on_cleanup(move || total.0.set(0));
                        }
                        EitherOf3::A(view! { <ChatLayout /> })
                    }
                    Ok(None) => {
                        let here = location.pathname.get_untracked();
                        let path = if here == "/" { "/login".to_owned() } else { format!("/login?next={here}") };
                        EitherOf3::B(view! { <Redirect path /> })
                    }
                    Err(e) => EitherOf3::C(view! {
                        <Notice title="Palaver is having trouble">
                            <p>{e.to_string()}</p>
                        </Notice>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChatLayout() -> impl IntoView {
    // On a phone one pane shows at a time: the list at "/", the page elsewhere (style.scss).
    let location = use_location();
    let at_home = move || location.pathname.with(|p| p == "/");
    let in_conversation = move || location.pathname.with(|p| p.starts_with("/c/"));
    #[cfg(feature = "hydrate")]
    crate::uploads::guard_window_drops();
    view! {
        <div class="app">
            <Show when=in_conversation>
                <a class="skip-link" href="#messages" on:click=skip_to_messages>"Skip to messages"</a>
            </Show>
            <TopBar />
            <super::search::SearchShortcut />
            <div class="workspace" class:at-home=at_home>
                <Sidebar />
                <main class="pane">
                    // Conversations have a back button in their header; other pages get this.
                    <Show when=move || !at_home() && !in_conversation()>
                        <a class="back-to-list" href="/">
                            <span aria-hidden="true">"‹ "</span>
                            "Conversations"
                        </a>
                    </Show>
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let live = use_live();
    let sign_out = ServerAction::<SignOut>::new();
    let status = move || match live.status.get() {
        ConnStatus::Online => None,
        ConnStatus::Connecting => Some("Connecting…"),
        ConnStatus::Reconnecting => Some("Reconnecting…"),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="logo" aria-hidden="true">"◆"</span>
                "Palaver"
            </a>
            <super::search::SearchBox />
            <p class="conn" role="status">
                {move || status().map(|s| view! { <span class="conn-badge">{s}</span> })}
            </p>
            <div class="me">
                <MyAvatar />
                <A
                    href="/account"
                    attr:class="username"
                    attr:aria-label=live.me.with_value(|m| format!("{}, your account", m.username))
                >
                    {live.me.with_value(|m| m.username.clone())}
                </A>
                <ActionForm action=sign_out on:submit=|_| crate::live::start_signing_out()>
                    <button type="submit" class="ghost">
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </header>
    }
}

/// The viewer's avatar in the top bar: their profile is loaded with the page (so the server
/// draws the picture), then follows the account page and `profile` frames (`Live::my_profile`).
#[component]
fn MyAvatar() -> impl IntoView {
    let live = use_live();
    let mine = Resource::new(|| (), |_| get_profile());
    let (id, username) = live.me.with_value(|m| (m.id, m.username.clone()));
    let avatar = move || {
        let username = username.clone();
        let name = Signal::derive(move || {
            live.my_profile
                .with(|p| shown_name(&p.display_name, &username).to_owned())
        });
        let url = Signal::derive(move || live.my_profile.with(Profile::avatar_url));
        view! { <Avatar user=id name url size=AvatarSize::S32 /> }
    };
    let fallback = avatar.clone();
    view! {
        <Suspense fallback=fallback>
            {move || {
                let avatar = avatar.clone();
                Suspend::new(async move {
                    if let Ok(me) = mine.await {
                        live.set_my_profile(me.profile);
                    }
                    avatar()
                })
            }}
        </Suspense>
    }
}

/// Moves focus to the message history (the router would treat the fragment as navigation).
fn skip_to_messages(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    crate::components::focus_by_id("messages");
}

#[component]
fn Sidebar() -> impl IntoView {
    let create = ServerAction::<CreateConversation>::new();
    let error = action_error(create.value());
    // A created conversation opens at once; clear the field for the next one.
    let title_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if create.value().with(|v| matches!(v, Some(Ok(_)))) {
            if let Some(input) = title_input.get_untracked() {
                input.set_value("");
            }
        }
    });
    view! {
        <nav class="sidebar" aria-label="Conversations">
            <ActionForm action=create attr:class="new-conversation">
                <label for="new-title" class="sr-only">
                    "New conversation title"
                </label>
                <input
                    node_ref=title_input
                    id="new-title"
                    name="title"
                    placeholder="New conversation…"
                    maxlength=TITLE_MAX_BYTES
                    required
                    autocomplete="off"
                />
                <button type="submit" class="primary" aria-label="Create conversation" title="Create conversation">
                    "+"
                </button>
            </ActionForm>
            <Alert message=error />
            <A href="/rooms" attr:class="browse">
                <span class="icon" aria-hidden="true">"#"</span>
                "Browse rooms"
            </A>
            <AdminLink />
            <super::nav_list::ConversationLists />
        </nav>
    }
}

/// "Administration" in the side nav, for instance admins only (the server checks again on
/// every admin call).
#[component]
fn AdminLink() -> impl IntoView {
    let admin = Resource::new(|| (), |_| am_admin());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                matches!(admin.await, Ok(true)).then(|| view! {
                    <A href="/admin" attr:class="browse">
                        <span class="icon" aria-hidden="true">"⚙"</span>
                        "Administration"
                    </A>
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn Welcome() -> impl IntoView {
    let live = use_live();
    view! {
        <Title text="Conversations" />
        <div class="welcome">
            <h1>{move || format!("Hi, {}", live.me.with_value(|m| m.username.clone()))}</h1>
            <p>
                "Pick a conversation on the left, start a new one and invite people with a link, or "
                <A href="/rooms">"browse the public rooms"</A>
                ". To write to one person, choose Message beside their name in a member list."
            </p>
        </div>
    }
}
