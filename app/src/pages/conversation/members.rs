//! The member list: who is in the conversation (avatar, display name and username, their
//! local time on hover and focus) and who is online, "Message" to write to one of them
//! directly, and for owners and admins what they may do to whom. The rules are the core's
//! (`palaver::permissions`), the same the server enforces whatever the UI shows: the list
//! only avoids offering what would be refused.

use super::person::MemberName;
use crate::api::{open_direct, remove_member, set_role, transfer_ownership};
use crate::components::{Alert, Avatar, AvatarSize};
use crate::live::{use_live, use_room};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use palaver::model::{Member, Profile, Role};
use palaver::permissions::{member_actions, MemberAction};
use palaver::profiles::shown_name;
use palaver::{ConversationId, UserId};

/// How an action on a member reads in the menu.
trait Presented: Copy {
    fn label(self) -> &'static str;
    fn confirmation(self, name: &str) -> Option<String>;
}

impl Presented for MemberAction {
    fn label(self) -> &'static str {
        match self {
            MemberAction::MakeAdmin => "Make admin",
            MemberAction::RemoveAdmin => "Remove admin",
            MemberAction::MakeOwner => "Make owner",
            MemberAction::Remove => "Remove",
        }
    }

    /// The question asked before the action, for the ones that are hard to undo.
    fn confirmation(self, name: &str) -> Option<String> {
        match self {
            MemberAction::MakeOwner => {
                Some(format!("Make {name} the owner? You will become an admin."))
            }
            MemberAction::Remove => Some(format!(
                "Remove {name} from this conversation? They cannot join again until an owner or admin lifts the ban."
            )),
            MemberAction::MakeAdmin | MemberAction::RemoveAdmin => None,
        }
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Member => 2,
    }
}

#[component]
pub fn MembersPanel(
    id: ConversationId,
    role: Memo<Option<Role>>,
    /// Shown as a sheet on narrow screens (the header's "Members" button); always shown on
    /// wide ones. Escape closes the sheet (handled by the conversation view).
    open: RwSignal<bool>,
) -> impl IntoView {
    let room = use_room();
    let sorted = move || {
        let mut ms = room.members.get();
        ms.sort_by_key(|m| rank(m.role));
        ms
    };
    view! {
        <aside
            id="conversation-members"
            class="members"
            class:open=move || open.get()
            aria-label="Members"
        >
            <div class="members-head">
                <h2>{move || format!("Members · {}", room.members.with(Vec::len))}</h2>
                <button type="button" class="ghost close-sheet" on:click=move |_| open.set(false)>
                    "Close"
                </button>
            </div>
            <ul>
                // Keyed by role too: a promotion redraws the row with its new badge and actions.
                <For
                    each=sorted
                    key=|m| (m.user.id, m.role.as_str())
                    children=move |m| view! { <MemberRow m id my_role=role /> }
                />
            </ul>
        </aside>
    }
}

#[component]
fn MemberRow(m: Member, id: ConversationId, my_role: Memo<Option<Role>>) -> impl IntoView {
    let live = use_live();
    let room = use_room();
    let user: UserId = m.user.id;
    let name = m.user.username.clone();
    let is_self = user == live.me_id();
    let target = m.role;
    let online = move || room.online.with(|o| o.contains(&user));
    let actions = move || member_actions(my_role.get(), is_self, target);
    let open = RwSignal::new(false);
    let confirming = RwSignal::new(None::<MemberAction>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    // The row is redrawn (or gone) once the change arrives over the socket, so these
    // signals may be disposed by the time the answer comes back.
    let run = move |action: MemberAction| {
        busy.set(true);
        spawn_local(async move {
            let result = match action {
                MemberAction::MakeAdmin => set_role(id, user, Role::Admin).await,
                MemberAction::RemoveAdmin => set_role(id, user, Role::Member).await,
                MemberAction::MakeOwner => transfer_ownership(id, user).await,
                MemberAction::Remove => remove_member(id, user).await,
            };
            match result {
                Ok(()) => {
                    error.try_set(None);
                    confirming.try_set(None);
                    open.try_set(false);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let choose = move |action: MemberAction, name: &str| {
        if action.confirmation(name).is_some() {
            confirming.set(Some(action));
        } else {
            run(action);
        }
    };

    let role_badge = match target {
        Role::Owner => Some("owner"),
        Role::Admin => Some("admin"),
        Role::Member => None,
    };
    let menu_name = name.clone();
    let menu = move || {
        let name = menu_name.clone();
        let list = actions();
        if list.is_empty() || !open.get() {
            return None;
        }
        let body = match confirming.get() {
            Some(action) => {
                let question = action.confirmation(&name).unwrap_or_default();
                view! {
                    <p>{question}</p>
                    <div class="row">
                        <button type="button" class="danger" disabled=move || busy.get() on:click=move |_| run(action)>
                            {action.label()}
                        </button>
                        <button type="button" class="ghost" on:click=move |_| confirming.set(None)>"Cancel"</button>
                    </div>
                }
                .into_any()
            }
            None => list
                .into_iter()
                .map(|action| {
                    let name = name.clone();
                    view! {
                        <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| choose(action, &name)>
                            {action.label()}
                        </button>
                    }
                })
                .collect_view()
                .into_any(),
        };
        Some(view! {
            <div class="member-actions" role="group" aria-label=format!("Actions for {name}")>
                {body}
            </div>
        })
    };
    // "Message": opens (creating on first use) the direct conversation with this member and
    // puts the keyboard in its composer.
    let navigate = use_navigate();
    let messaging = RwSignal::new(false);
    let message = move |_| {
        messaging.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match open_direct(user).await {
                Ok(direct) => {
                    let path = format!("/c/{}", direct.id);
                    live.add_conversation(direct);
                    crate::focus::request_composer();
                    navigate(&path, Default::default());
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            messaging.try_set(false);
        });
    };
    // Drawn from the member list, so a profile change redraws it.
    let profile = Memo::new(move |_| room.profile_of(user).unwrap_or_default());
    let avatar_name = {
        let name = name.clone();
        Signal::derive(move || profile.with(|p| shown_name(&p.display_name, &name).to_owned()))
    };
    let avatar_url = Signal::derive(move || profile.with(Profile::avatar_url));
    let message_name = name.clone();
    let toggle_name = name.clone();
    // Escape closes this member's menu (and only it: the sheet around it stays), and focus
    // goes back to the button that opened it.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() != "Escape" || !open.get_untracked() {
            return;
        }
        ev.stop_propagation();
        open.set(false);
        confirming.set(None);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let button = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|li| li.query_selector("button.more").ok().flatten())
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(b) = button {
                let _ = b.focus();
            }
        }
    };
    view! {
        <li class:online=online data-role=target.as_str() on:keydown=on_keydown>
            <div class="member">
                <span class="presence" aria-hidden="true">
                    <Avatar user name=avatar_name url=avatar_url size=AvatarSize::S32 />
                    <span class="dot"></span>
                </span>
                <MemberName user username=name.clone() role=role_badge />
                <span class="sr-only">{move || if online() { "online" } else { "offline" }}</span>
                {(!is_self).then(|| view! {
                    <button
                        type="button"
                        class="ghost message-member"
                        aria-label=format!("Message {message_name}")
                        disabled=move || messaging.get()
                        on:click=message
                    >
                        "Message"
                    </button>
                })}
                {move || (!actions().is_empty()).then(|| view! {
                    <button
                        type="button"
                        class="ghost more"
                        aria-label=format!("Manage {toggle_name}")
                        aria-expanded=move || open.get().to_string()
                        on:click=move |_| {
                            open.update(|o| *o = !*o);
                            confirming.set(None);
                            error.set(None);
                        }
                    >
                        "⋯"
                    </button>
                })}
            </div>
            {menu}
            <Alert message=error />
        </li>
    }
}
