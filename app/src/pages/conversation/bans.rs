//! Removed members, for owners and admins: removing someone bans them from the conversation
//! (no invite link or public join lets them back) until an owner or admin lifts the ban here.

use crate::api::{lift_ban, list_bans};
use crate::components::Alert;
use crate::live::use_room;
use crate::time::{full, iso, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::BanInfo;
use palaver::{ConversationId, UserId};

#[component]
pub fn BansSection(id: ConversationId) -> impl IntoView {
    let room = use_room();
    // Reloaded whenever the member list changes, so a removal made from the member list
    // while the settings are open shows up here without a refresh.
    let bans = Resource::new(
        move || {
            room.members
                .with(|ms| ms.iter().map(|m| m.user.id).collect::<Vec<_>>())
        },
        move |_| list_bans(id),
    );
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<UserId>);
    let heading = NodeRef::<leptos::html::H3>::new();
    let lift = Callback::new(move |ban: BanInfo| {
        busy.set(Some(ban.user_id));
        spawn_local(async move {
            let result = lift_ban(id, ban.user_id).await;
            // The panel may have closed meanwhile.
            if busy.try_set(None).is_some() {
                return;
            }
            match result {
                Ok(()) => {
                    error.set(None);
                    done.set(Some(format!(
                        "Ban lifted: {} can join again with an invite link.",
                        ban.username
                    )));
                    // The row and its button go away: keep the keyboard in this section.
                    if let Some(h) = heading.get_untracked() {
                        let _ = h.focus();
                    }
                }
                Err(e) => {
                    done.set(None);
                    error.set(Some(e.to_string()));
                }
            }
            bans.refetch();
        });
    });
    view! {
        <section class="settings-section" aria-labelledby="bans-title">
            <h3 id="bans-title" tabindex="-1" node_ref=heading>"Removed members"</h3>
            <p class="hint">
                "Removed members cannot join again, by invite link or from the room directory, until their ban is lifted."
            </p>
            <Transition fallback=|| view! { <p class="hint">"Loading removed members…"</p> }>
                {move || Suspend::new(async move {
                    match bans.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint">"Nobody is banned."</p> }.into_any(),
                        Ok(list) => view! { <BanList list busy lift /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="success" role="status">{move || done.get()}</p>
            <Alert message=error />
        </section>
    }
}

/// A list rather than a table: three facts and a button per person read well at any width.
#[component]
fn BanList(
    list: Vec<BanInfo>,
    busy: RwSignal<Option<UserId>>,
    lift: Callback<BanInfo>,
) -> impl IntoView {
    let offset = use_tz_offset();
    let items = list
        .into_iter()
        .map(|ban| {
            let at = ban.banned_at;
            let user = ban.user_id;
            let by = ban.banned_by.clone();
            view! {
                <li class="ban">
                    <div class="text">
                        <p class="name">{ban.username.clone()}</p>
                        <p class="meta">
                            {match by {
                                Some(by) => format!("Removed by {by}, "),
                                None => "Removed ".to_owned(),
                            }}
                            <time datetime=iso(at)>{move || full(at, offset)}</time>
                        </p>
                    </div>
                    <button
                        type="button"
                        aria-label=format!("Lift ban for {}", ban.username)
                        disabled=move || busy.get().is_some()
                        on:click=move |_| lift.run(ban.clone())
                    >
                        {move || if busy.get() == Some(user) { "Lifting…" } else { "Lift ban" }}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="bans" aria-label="Members removed from this conversation">{items}</ul> }
}
