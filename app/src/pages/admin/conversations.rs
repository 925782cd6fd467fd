//! /admin/conversations: every live conversation of the instance, most recently active first,
//! searchable by title, with its kind, members, owner and last activity; an admin deletes one
//! (asked once more in the row) or takes over one whose owner's account is disabled. Never
//! what is said in them.

use super::{show_more, AdminFrame, AdminSearch};
use crate::api::{admin_conversation_action, admin_conversations};
use crate::components::Alert;
use crate::live::use_live;
use crate::time::{short, use_tz_offset};
use leptos::prelude::*;
use leptos_router::components::A;
use palaver::model::{
    AdminConversation, AdminConversationCursor, AdminConversationPage, ConversationAction,
};

#[component]
pub fn AdminConversationsPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let first = Resource::new(move || query.get(), |q| admin_conversations(q, None, None));
    view! {
        <AdminFrame
            title="Conversations"
            hint="Every conversation of this Palaver, most recently active first. What is said in them is not shown here."
        >
            <AdminSearch label="Find a conversation" id="admin-conversations-q" placeholder="Title" query />
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading conversations…"</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(page) => view! { <ConversationTable page query=query.get_untracked() /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
        </AdminFrame>
    }
}

/// The first page as loaded, then further pages of the same search appended by "Show more".
#[component]
fn ConversationTable(page: AdminConversationPage, query: String) -> impl IntoView {
    let (rows, more) = show_more(
        page.conversations,
        page.next,
        move |after: AdminConversationCursor| {
            let page =
                admin_conversations(query.clone(), Some(after.last_activity_at), Some(after.id));
            async move { page.await.map(|p| (p.conversations, p.next)) }
        },
    );
    view! {
        <Show
            when=move || rows.with(|r| !r.is_empty())
            fallback=|| view! { <p class="empty">"No conversation matches."</p> }
        >
            <table class="admin-users admin-conversations">
                <caption class="sr-only">"Conversations"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Conversation"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Members"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Last activity"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|c| c.id
                        children=move |conversation| view! { <ConversationRow conversation /> }
                    />
                </tbody>
            </table>
        </Show>
        {more}
    }
}

/// "Team" or, for a direct conversation (which has no title), "Direct conversation #12".
fn name_of(c: &AdminConversation) -> String {
    if c.direct || c.title.is_empty() {
        format!("Direct conversation #{}", c.id.0)
    } else {
        c.title.clone()
    }
}

fn kind_of(c: &AdminConversation) -> &'static str {
    match (c.direct, c.public) {
        (true, _) => "Direct",
        (false, true) => "Public room",
        (false, false) => "Private",
    }
}

#[component]
fn ConversationRow(conversation: AdminConversation) -> impl IntoView {
    let offset = use_tz_offset();
    let now = crate::live::now_ms();
    let id = conversation.id;
    // The name stays on the row once the conversation is deleted.
    let title = StoredValue::new(name_of(&conversation));
    let row = RwSignal::new(Some(conversation));
    let act =
        Action::new(move |action: &ConversationAction| admin_conversation_action(id, *action));
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match act.value().get() {
        Some(Ok(now)) => {
            row.set(now);
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let get = move |f: fn(&AdminConversation) -> String| {
        row.with(|c| c.as_ref().map(f).unwrap_or_default())
    };
    let name = move || title.get_value();
    let busy = move || act.pending().get();
    let run = move |action: ConversationAction| {
        confirming.set(false);
        act.dispatch(action);
    };
    let abandoned = move || row.with(|c| c.as_ref().is_some_and(|c| c.owner_disabled));
    // Once taken over (or when it was the admin's own), the conversation opens for them.
    let me = use_live().me.with_value(|m| m.id);
    let owned = move || row.with(|c| c.as_ref().is_some_and(|c| c.owner_id == Some(me)));
    view! {
        <tr class:disabled=move || row.with(Option::is_none)>
            <th scope="row" data-label="Conversation">
                <span class="username">{name}</span>
                {move || row.with(Option::is_none).then(|| view! { <span class="tag danger">"Deleted"</span> })}
            </th>
            <td data-label="Kind">{move || get(|c| kind_of(c).to_owned())}</td>
            <td data-label="Members">{move || get(|c| c.members.to_string())}</td>
            <td data-label="Owner">
                {move || get(|c| c.owner.clone().unwrap_or_else(|| "—".to_owned()))}
                {move || abandoned().then(|| view! { <span class="tag danger">"Disabled"</span> })}
            </td>
            <td data-label="Last activity">{move || row.with(|c| c.as_ref().map(|c| short(c.last_activity_at, now, offset)))}</td>
            <td data-label="Created">{move || row.with(|c| c.as_ref().map(|c| short(c.created_at, now, offset)))}</td>
            <td data-label="Actions" class="actions">
                <Show when=move || row.with(Option::is_some)>
                    <Show
                        when=move || !confirming.get()
                        fallback=move || view! {
                            <span class="confirm" role="group" aria-label=move || format!("Delete {}?", name())>
                                <span>{move || format!("Delete {} for its {} members? Its messages and files go with it.", name(), get(|c| c.members.to_string()))}</span>
                                <button class="danger" on:click=move |_| run(ConversationAction::Delete)>"Delete"</button>
                                <button class="ghost" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </span>
                        }
                    >
                        <button class="danger" on:click=move |_| confirming.set(true) disabled=busy
                            aria-label=move || format!("Delete {}", name())>"Delete"</button>
                        {move || abandoned().then(|| view! {
                            <button on:click=move |_| run(ConversationAction::TakeOwnership) disabled=busy
                                aria-label=move || format!("Take ownership of {}", name())>"Take ownership"</button>
                        })}
                        {move || owned().then(|| view! { <A href=format!("/c/{}", id.0)>"Open"</A> })}
                    </Show>
                </Show>
                <Alert message=Signal::derive(move || error.get()) />
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::{ConversationId, Timestamp};

    fn conversation(title: &str, direct: bool, public: bool) -> AdminConversation {
        AdminConversation {
            id: ConversationId(12),
            title: title.into(),
            direct,
            public,
            members: 2,
            owner_id: None,
            owner: None,
            owner_disabled: false,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(0),
        }
    }

    #[test]
    fn a_conversation_reads_by_title_and_kind() {
        let room = conversation("Ops", false, true);
        assert_eq!(
            (name_of(&room), kind_of(&room)),
            ("Ops".to_owned(), "Public room")
        );
        let private = conversation("Team", false, false);
        assert_eq!(kind_of(&private), "Private");
        let dm = conversation("", true, false);
        assert_eq!(
            (name_of(&dm), kind_of(&dm)),
            ("Direct conversation #12".to_owned(), "Direct")
        );
    }
}
