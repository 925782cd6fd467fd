//! Invite links in the settings: create one with an expiry and a use limit, see every link
//! of the conversation with its state, revoke one. Codes are never listed (the server keeps
//! only their hashes): a new link is shown once, by [`InviteControl`].

use super::invite::InviteControl;
use crate::api::{list_invites, revoke_invite};
use crate::components::Alert;
use crate::time::{full, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{InviteInfo, INVITE_DEFAULT_TTL_HOURS};
use palaver::ConversationId;

/// (label, hours; 0 = never).
const EXPIRY_CHOICES: [(&str, i64); 5] = [
    ("1 hour", 1),
    ("1 day", 24),
    ("7 days", INVITE_DEFAULT_TTL_HOURS),
    ("30 days", 30 * 24),
    ("Never", 0),
];
/// Use limits offered; `None` is unlimited.
const USE_CHOICES: [Option<i64>; 6] = [None, Some(1), Some(5), Some(10), Some(25), Some(100)];

fn status(invite: &InviteInfo) -> &'static str {
    if invite.revoked {
        "Revoked"
    } else if invite.active {
        "Active"
    } else if invite.max_uses.is_some_and(|max| invite.uses >= max) {
        "Used up"
    } else {
        "Expired"
    }
}

#[component]
pub fn InvitesSection(id: ConversationId) -> impl IntoView {
    let expiry = RwSignal::new(Some(INVITE_DEFAULT_TTL_HOURS));
    let uses = RwSignal::new(None::<i64>);
    let invites = Resource::new(|| (), move |_| list_invites(id));
    let refresh = Callback::new(move |()| invites.refetch());
    view! {
        <section class="settings-section" aria-labelledby="invites-title">
            <h3 id="invites-title">"Invite links"</h3>
            <div class="invite-options">
                <div class="field">
                    <label for="invite-expiry">"Expires after"</label>
                    <select
                        id="invite-expiry"
                        on:change=move |ev| expiry.set(event_target_value(&ev).parse().ok())
                    >
                        {EXPIRY_CHOICES
                            .iter()
                            .map(|(label, hours)| view! {
                                <option value=hours.to_string() selected=*hours == INVITE_DEFAULT_TTL_HOURS>
                                    {*label}
                                </option>
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="invite-uses">"Max uses"</label>
                    <select id="invite-uses" on:change=move |ev| uses.set(event_target_value(&ev).parse().ok())>
                        {USE_CHOICES
                            .iter()
                            .map(|n| {
                                let (value, label) = match n {
                                    Some(n) => (n.to_string(), n.to_string()),
                                    None => (String::new(), "Unlimited".to_owned()),
                                };
                                view! { <option value=value>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <InviteControl
                    id
                    expires_in_hours=expiry
                    max_uses=uses
                    label="Create link"
                    field_label="New invite link"
                    field_id="new-invite-link"
                    class="invite invite-create"
                    on_created=refresh
                />
            </div>
            <Transition fallback=|| view! { <p class="hint">"Loading invite links…"</p> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="hint">"No invite links yet."</p>
                        }
                        .into_any(),
                        Ok(list) => view! { <InviteTable id list refresh /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn InviteTable(id: ConversationId, list: Vec<InviteInfo>, refresh: Callback<()>) -> impl IntoView {
    let offset = use_tz_offset();
    let error = RwSignal::new(None::<String>);
    let revoke = move |invite_id: palaver::InviteId| {
        spawn_local(async move {
            match revoke_invite(id, invite_id).await {
                Ok(()) => {
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            refresh.try_run(());
        });
    };
    let rows = list
        .into_iter()
        .map(|invite| {
            let state = status(&invite);
            let created = invite.created_at;
            let expires = invite.expires_at;
            let uses = match invite.max_uses {
                Some(max) => format!("{} / {max}", invite.uses),
                None => format!("{} / unlimited", invite.uses),
            };
            let invite_id = invite.id;
            view! {
                <tr data-status=state.to_lowercase()>
                    <td>{invite.created_by.clone()}</td>
                    <td>{move || full(created, offset)}</td>
                    <td>{move || expires.map_or_else(|| "Never".to_owned(), |at| full(at, offset))}</td>
                    <td>{uses}</td>
                    <td><span class="status" class:active=state == "Active">{state}</span></td>
                    <td>
                        {(state == "Active").then(|| view! {
                            <button
                                type="button"
                                class="ghost"
                                aria-label=format!("Revoke invite #{invite_id}")
                                on:click=move |_| revoke(invite_id)
                            >
                                "Revoke"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="invites">
                <caption class="sr-only">"Invite links of this conversation"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Created by"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Uses"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Alert message=error />
    }
}
