//! The settings panel, for owners and admins: rename (admins too), public listing (owner),
//! invite links and removed members (admins too), retention, the audit log, export and
//! deletion (owner). Each section shows only for the roles the server allows, following the viewer's
//! live role; the server checks again on every call.

use super::{
    audit::AuditSection, bans::BansSection, invites::InvitesSection, retention::RetentionSection,
};
use crate::api::{set_public, DeleteConversation, RenameConversation};
use crate::components::{action_error, Alert};
use crate::live::use_room;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::Role;
use palaver::validate::TITLE_MAX_BYTES;
use palaver::ConversationId;

#[component]
pub fn SettingsPanel(
    id: ConversationId,
    role: Memo<Option<Role>>,
    /// Whether the panel is open; its "Back to messages" button closes it.
    open: RwSignal<bool>,
) -> impl IntoView {
    let owner = move || role.get() == Some(Role::Owner);
    view! {
        <section id="conversation-settings" class="settings" aria-labelledby="settings-title">
            <div class="settings-head">
                <h2 id="settings-title">"Conversation settings"</h2>
                <button type="button" class="ghost" on:click=move |_| open.set(false)>
                    "Back to messages"
                </button>
            </div>
            <RenameSection id />
            <Show when=owner>
                <VisibilitySection id />
                <RetentionSection id />
            </Show>
            <InvitesSection id />
            <BansSection id />
            <Show when=owner>
                <AuditSection id />
                <ExportSection id />
                <DangerZone id />
            </Show>
        </section>
    }
}

/// The owner's download of every event of the conversation (NDJSON).
#[component]
fn ExportSection(id: ConversationId) -> impl IntoView {
    view! {
        <section class="settings-section" aria-labelledby="export-title">
            <h3 id="export-title">"Export"</h3>
            <p class="hint">
                "Every message and event of this conversation, one JSON object per line (NDJSON), for an archive or another tool."
            </p>
            <a class="button" href=format!("/api/conversations/{}/export", id.0) download rel="external">
                "Download the conversation"
            </a>
        </section>
    }
}

#[component]
fn RenameSection(id: ConversationId) -> impl IntoView {
    let room = use_room();
    let rename = ServerAction::<RenameConversation>::new();
    let error = action_error(rename.value());
    let saved = move || rename.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <section class="settings-section" aria-labelledby="rename-title">
            <h3 id="rename-title">"Name"</h3>
            <ActionForm action=rename attr:class="inline-form">
                <input type="hidden" name="id" value=id.0 />
                <label for="rename-title-input" class="sr-only">"Conversation title"</label>
                <input
                    id="rename-title-input"
                    name="title"
                    value=room.title.get_untracked()
                    maxlength=TITLE_MAX_BYTES
                    required
                    autocomplete="off"
                />
                <button type="submit" class="primary" disabled=move || rename.pending().get()>
                    "Rename"
                </button>
            </ActionForm>
            <p class="hint" role="status">
                {move || saved().then_some("Renamed. Everyone in the conversation sees the new title.")}
            </p>
            <Alert message=error />
        </section>
    }
}

#[component]
fn VisibilitySection(id: ConversationId) -> impl IntoView {
    let room = use_room();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let checkbox = NodeRef::<leptos::html::Input>::new();
    let on_change = move |ev: leptos::ev::Event| {
        let public = event_target_checked(&ev);
        busy.set(true);
        spawn_local(async move {
            match set_public(id, public).await {
                // The room's `public` follows from the server's `conversation_updated`.
                Ok(()) => {
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                    // Put the box back to what is true.
                    if let (Some(input), Some(now)) = (
                        checkbox.try_get_untracked().flatten(),
                        room.public.try_get_untracked(),
                    ) {
                        input.set_checked(now);
                    }
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="visibility-title">
            <h3 id="visibility-title">"Visibility"</h3>
            <div class="toggle">
                <input
                    node_ref=checkbox
                    type="checkbox"
                    id="public-toggle"
                    prop:checked=move || room.public.get()
                    disabled=move || busy.get()
                    on:change=on_change
                    aria-describedby="public-hint"
                />
                <label for="public-toggle">"Public room: listed in the directory, anyone can join"</label>
            </div>
            <p class="hint" id="public-hint">
                "Off: only people with an invite link can join."
            </p>
            <Alert message=error />
        </section>
    }
}

/// Deleting asks for the exact title, which the server checks again (`confirm`).
#[component]
fn DangerZone(id: ConversationId) -> impl IntoView {
    let room = use_room();
    let delete = ServerAction::<DeleteConversation>::new();
    let error = action_error(delete.value());
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let matches = move || room.title.with(|t| typed.with(|x| x.trim() == t));
    view! {
        <section class="settings-section danger-zone" aria-labelledby="danger-title">
            <h3 id="danger-title">"Danger zone"</h3>
            <p class="hint">
                "Deleting removes the conversation and all its messages for everyone. It cannot be undone."
            </p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="danger-outline" on:click=move |_| confirming.set(true)>
                        "Delete conversation"
                    </button>
                }
            >
                <ActionForm action=delete attr:class="delete-form">
                    <input type="hidden" name="id" value=id.0 />
                    <label for="delete-confirm">
                        "Type the title to confirm: "
                        <strong>{move || room.title.get()}</strong>
                    </label>
                    <input
                        id="delete-confirm"
                        name="confirm"
                        autocomplete="off"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                    <div class="row">
                        <button type="submit" class="danger" disabled=move || !matches() || delete.pending().get()>
                            "Delete forever"
                        </button>
                        <button
                            type="button"
                            class="ghost"
                            on:click=move |_| {
                                confirming.set(false);
                                typed.set(String::new());
                            }
                        >
                            "Cancel"
                        </button>
                    </div>
                </ActionForm>
            </Show>
            <Alert message=error />
        </section>
    }
}
