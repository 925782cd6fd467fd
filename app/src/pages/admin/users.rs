//! /admin/users: the instance's accounts for its administrators, searchable and paged, with
//! what an admin does to an account (disable, enable, sign out everywhere, admin or not,
//! reset password, delete).

use super::delete_account::DeleteAccountForm;
use super::{show_more, AdminFrame, AdminSearch};
use crate::api::{admin_account, admin_reset_link, admin_users};
use crate::components::{select_all, Alert};
use crate::live::use_live;
use crate::time::{short, use_tz_offset};
use leptos::prelude::*;
use palaver::model::{AccountAction, AdminUser, AdminUserPage};

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let first = Resource::new(move || query.get(), |q| admin_users(q, None));
    view! {
        <AdminFrame title="Users" hint="Every account of this Palaver. Only administrators see this page.">
            <AdminSearch label="Find an account" id="admin-q" placeholder="Username or display name" query />
            // A new search keeps the table on screen until its answer arrives.
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(page) => view! { <UserTable page query=query.get_untracked() /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
        </AdminFrame>
    }
}

/// The first page as loaded, then further pages of the same search appended by "Show more".
#[component]
fn UserTable(page: AdminUserPage, query: String) -> impl IntoView {
    let me = use_live().me.with_value(|m| m.id);
    let (rows, more) = show_more(page.users, page.next, move |after: String| {
        let page = admin_users(query.clone(), Some(after));
        async move { page.await.map(|p| (p.users, p.next)) }
    });
    view! {
        <Show
            when=move || rows.with(|r| !r.is_empty())
            fallback=|| view! { <p class="empty">"No account matches."</p> }
        >
            <table class="admin-users">
                <caption class="sr-only">"Accounts"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col">"Sessions"</th>
                        <th scope="col">"Conversations"</th>
                        <th scope="col">"Messages"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|u| u.id
                        children=move |user| view! { <UserRow user me /> }
                    />
                </tbody>
            </table>
        </Show>
        {more}
    }
}

#[component]
fn UserRow(user: AdminUser, me: palaver::UserId) -> impl IntoView {
    let offset = use_tz_offset();
    let now = crate::live::now_ms();
    let user = RwSignal::new(user);
    let act = Action::new(move |action: &AccountAction| {
        let (id, action) = (user.get_untracked().id, *action);
        admin_account(id, action)
    });
    let reset = Action::new(move |_: &()| admin_reset_link(user.get_untracked().id));
    let reset_link = move || reset.value().get().and_then(Result::ok).map(|l| l.url);
    // Disabling asks once more, in the row, before it is done.
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let deleted = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match act.value().get() {
        Some(Ok(updated)) => {
            user.set(updated);
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = reset.value().get() {
            error.set(Some(e.to_string()));
        }
    });
    let name = move || user.with(|u| u.username.clone());
    let run = move |action: AccountAction| {
        confirming.set(false);
        act.dispatch(action);
    };
    let busy = move || act.pending().get();
    let disabled = move || user.with(|u| u.disabled_at.is_some());
    let admin = move || user.with(|u| u.admin);
    view! {
        <tr class:disabled=disabled>
            <th scope="row" data-label="Account">
                <span class="username">{name}</span>
                {move || user.with(|u| (!u.display_name.is_empty()).then(|| u.display_name.clone()))
                    .map(|d| view! { <span class="display-name">{d}</span> })}
            </th>
            <td data-label="Created">{move || short(user.with(|u| u.created_at), now, offset)}</td>
            <td data-label="Last sign-in">
                {move || user.with(|u| match u.last_sign_in_at {
                    Some(at) => format!(
                        "{}{}",
                        short(at, now, offset),
                        u.last_sign_in_addr.as_deref().map(|a| format!(" from {a}")).unwrap_or_default()
                    ),
                    None => "Never".to_owned(),
                })}
            </td>
            <td data-label="Sessions">{move || user.with(|u| u.active_sessions)}</td>
            <td data-label="Conversations">{move || user.with(|u| u.conversations)}</td>
            <td data-label="Messages">{move || user.with(|u| u.messages_sent)}</td>
            <td data-label="Status">
                {move || if deleted.get() {
                    view! { <span class="tag danger">"Deleted"</span> }.into_any()
                } else if disabled() {
                    view! { <span class="tag danger">"Disabled"</span> }.into_any()
                } else {
                    view! { <span class="tag">"Active"</span> }.into_any()
                }}
                {move || admin().then(|| view! { <span class="tag admin">"Admin"</span> })}
            </td>
            <td data-label="Actions" class="actions">
              <Show when=move || !deleted.get() fallback=|| view! { <span class="hint">"Account deleted."</span> }>
              <Show when=move || !deleting.get() fallback=move || view! {
                  <DeleteAccountForm
                      id=user.with_untracked(|u| u.id)
                      username=name()
                      done=Callback::new(move |()| { deleting.set(false); deleted.set(true); })
                      cancel=Callback::new(move |()| deleting.set(false))
                  />
              }>
                <Show
                    when=move || !confirming.get()
                    fallback=move || view! {
                        <span class="confirm" role="group" aria-label=move || format!("Disable {}?", name())>
                            <span>{move || format!("Disable {}? They are signed out everywhere.", name())}</span>
                            <button class="danger" on:click=move |_| run(AccountAction::Disable)>"Disable"</button>
                            <button class="ghost" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    }
                >
                    {move || if disabled() {
                        view! {
                            <button on:click=move |_| run(AccountAction::Enable) disabled=busy
                                aria-label=move || format!("Enable {}", name())>"Enable"</button>
                        }.into_any()
                    } else {
                        view! {
                            <button class="danger" on:click=move |_| confirming.set(true)
                                disabled=move || busy() || user.with(|u| u.id) == me
                                aria-label=move || format!("Disable {}", name())>"Disable"</button>
                        }.into_any()
                    }}
                    <button on:click=move |_| run(AccountAction::SignOutEverywhere)
                        disabled=move || busy() || user.with(|u| u.active_sessions == 0)
                        aria-label=move || format!("Sign {} out everywhere", name())>"Sign out everywhere"</button>
                    {move || if admin() {
                        view! {
                            <button on:click=move |_| run(AccountAction::RevokeAdmin) disabled=busy
                                aria-label=move || format!("Remove {} as administrator", name())>"Remove admin"</button>
                        }.into_any()
                    } else {
                        view! {
                            <button on:click=move |_| run(AccountAction::GrantAdmin) disabled=busy
                                aria-label=move || format!("Make {} an administrator", name())>"Make admin"</button>
                        }.into_any()
                    }}
                    <button on:click=move |_| { reset.dispatch(()); } disabled=move || reset.pending().get()
                        aria-label=move || format!("Reset the password of {}", name())>"Reset password"</button>
                    <button class="danger" on:click=move |_| deleting.set(true)
                        disabled=move || busy() || user.with(|u| u.id) == me
                        aria-label=move || format!("Delete the account {}", name())>"Delete…"</button>
                </Show>
              </Show>
              </Show>
                {move || reset_link().map(|url| {
                    let id = format!("reset-{}", user.with_untracked(|u| u.id.0));
                    view! {
                        <span class="reset-link">
                            <label for=id.clone()>{move || format!("Reset link for {} (works once, for 24 hours)", name())}</label>
                            <input id=id readonly value=url on:focus=|ev| select_all(&ev) />
                        </span>
                    }
                })}
                <Alert message=Signal::derive(move || error.get()) />
            </td>
        </tr>
    }
}
