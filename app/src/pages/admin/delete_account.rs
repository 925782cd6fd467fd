//! Deleting an account from /admin/users: the admin chooses what happens to its messages and
//! types its username to confirm. The server refuses the admin's own account and the last
//! admin whatever this form allows.

use crate::api::admin_delete_account;
use crate::components::Alert;
use leptos::prelude::*;
use palaver::UserId;

/// The form, shown in the account's row in place of its actions. `done` runs once the
/// account is deleted; `cancel` closes the form.
#[component]
pub fn DeleteAccountForm(
    id: UserId,
    username: String,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let erase = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let delete = Action::new(move |(erase, confirm): &(bool, String)| {
        admin_delete_account(id, *erase, confirm.clone())
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => done.run(()),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let first = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        }
    });
    let name = username.clone();
    let matches = move || typed.with(|t| t.trim() == name);
    let keep_id = format!("delete-keep-{id}");
    let erase_id = format!("delete-erase-{id}");
    let confirm_id = format!("delete-confirm-{id}");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        delete.dispatch((erase.get_untracked(), typed.get_untracked()));
    };
    view! {
        <form class="delete-account" on:submit=submit>
            <fieldset>
                <legend>{format!("Delete the account {username}")}</legend>
                <p class="hint">
                    "They are signed out everywhere and leave every conversation; conversations they own pass to their longest-standing admin or member, and those nobody else is in are deleted. This cannot be undone."
                </p>
                <div class="choice">
                    <input type="radio" name=format!("delete-mode-{id}") id=keep_id.clone() node_ref=first
                        prop:checked=move || !erase.get() on:change=move |_| erase.set(false) />
                    <label for=keep_id>"Keep their messages, shown as “Deleted user”"</label>
                </div>
                <div class="choice">
                    <input type="radio" name=format!("delete-mode-{id}") id=erase_id.clone()
                        prop:checked=move || erase.get() on:change=move |_| erase.set(true) />
                    <label for=erase_id>"Erase their messages everywhere"</label>
                </div>
                <label for=confirm_id.clone()>{format!("Type {username} to confirm")}</label>
                <input id=confirm_id type="text" autocomplete="off" spellcheck="false"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                <div class="buttons">
                    <button type="submit" class="danger" disabled=move || !matches() || delete.pending().get()>
                        {move || if delete.pending().get() { "Deleting…" } else { "Delete account" }}
                    </button>
                    <button type="button" class="ghost" on:click=move |_| cancel.run(())>"Cancel"</button>
                </div>
                <Alert message=Signal::derive(move || error.get()) />
            </fieldset>
        </form>
    }
}
