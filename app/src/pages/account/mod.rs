//! The account page: your profile (picture, display name, time zone), where you are signed
//! in (and signing other sessions out), and changing the password, which signs out every
//! other session.

mod picture;
mod profile;
#[cfg(feature = "hydrate")]
mod upload;

use crate::api::{list_sessions, revoke_other_sessions, revoke_session, ChangePassword};
use crate::components::{action_error, Alert};
use crate::live::use_live;
use crate::time::{full, use_tz_offset};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use palaver::model::SessionInfo;
use palaver::validate::PASSWORD_MIN;

fn sessions_text(n: usize) -> String {
    match n {
        0 => "no other sessions".to_owned(),
        1 => "1 other session".to_owned(),
        n => format!("{n} other sessions"),
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let live = use_live();
    let sessions = Resource::new(|| (), |_| list_sessions());
    view! {
        <Title text="Your account" />
        <div class="page">
            <header class="page-head">
                <h1>"Your account"</h1>
                <p class="hint">{format!("Signed in as {}", live.me.with_value(|m| m.username.clone()))}</p>
            </header>
            <profile::ProfileSection />
            <Sessions sessions />
            <PasswordForm sessions />
            <YourData />
        </div>
    }
}

/// A download of everything Palaver keeps about the account (`GET /api/export`).
#[component]
fn YourData() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="data-title">
            <h2 id="data-title">"Your data"</h2>
            <p class="hint">
                "One JSON file with your account, profile, sessions, the conversations you are in and every message you wrote in them."
            </p>
            <a class="button" href="/api/export" download rel="external">"Download your data"</a>
        </section>
    }
}

#[component]
fn Sessions(sessions: Resource<Result<Vec<SessionInfo>, crate::AppError>>) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sign_out_others = move |_| {
        busy.set(true);
        spawn_local(async move {
            match revoke_other_sessions().await {
                Ok(n) => {
                    error.try_set(None);
                    status.try_set(Some(format!("Signed out {}.", sessions_text(n))));
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
            sessions.refetch();
        });
    };
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you're signed in"</h2>
            <Transition fallback=|| view! { <p class="hint">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => {
                            let others = list.iter().filter(|s| !s.current).count();
                            view! {
                                <ul class="sessions" aria-label="Sessions">
                                    {list
                                        .into_iter()
                                        .map(|s| view! { <SessionRow s sessions status error /> })
                                        .collect_view()}
                                </ul>
                                {(others > 0).then(|| view! {
                                    <button type="button" class="danger-outline" disabled=move || busy.get() on:click=sign_out_others>
                                        "Sign out all other sessions"
                                    </button>
                                })}
                            }
                            .into_any()
                        }
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="hint" role="status">{move || status.get()}</p>
            <Alert message=error />
        </section>
    }
}

#[component]
fn SessionRow(
    s: SessionInfo,
    sessions: Resource<Result<Vec<SessionInfo>, crate::AppError>>,
    status: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let offset = use_tz_offset();
    let (created, seen) = (s.created_at, s.last_seen_at);
    let id = s.id.clone();
    let device = s.device.clone();
    let sign_out = move |_| {
        let id = id.clone();
        spawn_local(async move {
            match revoke_session(id).await {
                Ok(()) => {
                    error.try_set(None);
                    status.try_set(Some("Signed out that session.".to_owned()));
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            sessions.refetch();
        });
    };
    view! {
        <li class="session" class:current=s.current>
            <div class="text">
                <p class="device">
                    {s.device.clone()}
                    {s.current.then(|| view! { <span class="tag">"This device"</span> })}
                </p>
                <p class="meta">
                    {s.client_addr.clone().unwrap_or_else(|| "Unknown address".to_owned())}
                    " · signed in "
                    {move || full(created, offset)}
                    " · last active "
                    {move || full(seen, offset)}
                </p>
            </div>
            {(!s.current).then(|| view! {
                <button type="button" class="ghost" aria-label=format!("Sign out {device}") on:click=sign_out>
                    "Sign out"
                </button>
            })}
        </li>
    }
}

#[component]
fn PasswordForm(sessions: Resource<Result<Vec<SessionInfo>, crate::AppError>>) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change.value());
    let current = NodeRef::<leptos::html::Input>::new();
    let new = NodeRef::<leptos::html::Input>::new();
    let done = move || {
        change.value().with(|v| match v {
            Some(Ok(n)) => Some(format!(
                "Password changed. Signed out {}.",
                sessions_text(*n)
            )),
            _ => None,
        })
    };
    // A changed password leaves the form empty and the session list current.
    Effect::new(move |_| {
        if change.value().with(|v| matches!(v, Some(Ok(_)))) {
            for input in [current, new] {
                if let Some(input) = input.get_untracked() {
                    input.set_value("");
                }
            }
            sessions.refetch();
        }
    });
    view! {
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <ActionForm action=change attr:class="stacked">
                <label for="current-password">"Current password"</label>
                <input node_ref=current id="current-password" name="current" type="password" autocomplete="current-password" required />
                <label for="new-password">"New password"</label>
                <input
                    node_ref=new
                    id="new-password"
                    name="new"
                    type="password"
                    autocomplete="new-password"
                    required
                    minlength=PASSWORD_MIN
                    aria-describedby="new-password-hint"
                />
                <p class="hint" id="new-password-hint">
                    {format!("At least {PASSWORD_MIN} characters. Your other sessions will be signed out.")}
                </p>
                <Alert message=error />
                <p class="success" role="status">{done}</p>
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}
