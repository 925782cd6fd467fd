//! "Invite": create a link, copy it, show it for manual copying. Used as is in the header
//! (the default link: a week, unlimited uses) and with chosen limits in the settings.

use crate::api::create_invite;
use crate::components::{copy_to_clipboard, select_all, Alert};
use crate::time::{full, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::InviteInfo;
use palaver::ConversationId;

#[component]
pub fn InviteControl(
    id: ConversationId,
    /// Hours the link lives: `None` for the server's default (7 days), `Some(0)` for never.
    #[prop(optional, into)]
    expires_in_hours: Signal<Option<i64>>,
    /// Uses the link allows: `None` for unlimited.
    #[prop(optional, into)]
    max_uses: Signal<Option<i64>>,
    #[prop(default = "Invite")] label: &'static str,
    /// The link field's label and element id; unique on the page.
    #[prop(default = "Invite link")]
    field_label: &'static str,
    #[prop(default = "invite-link")] field_id: &'static str,
    #[prop(default = "invite")] class: &'static str,
    /// Runs after a link was created (to refresh a list of links).
    #[prop(optional)]
    on_created: Option<Callback<()>>,
) -> impl IntoView {
    let offset = use_tz_offset();
    let link = RwSignal::new(None::<(String, InviteInfo)>);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_click = move |_| {
        busy.set(true);
        let (hours, uses) = (expires_in_hours.get_untracked(), max_uses.get_untracked());
        spawn_local(async move {
            match create_invite(id, hours, uses).await {
                Ok(invite) => {
                    error.try_set(None);
                    let copied = copy_to_clipboard(&invite.url).await;
                    link.try_set(Some((invite.url, invite.info)));
                    status.try_set(Some(
                        if copied {
                            "Invite link copied to clipboard"
                        } else {
                            "Copy the invite link below"
                        }
                        .to_owned(),
                    ));
                    if let Some(cb) = on_created {
                        cb.try_run(());
                    }
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let button = NodeRef::<leptos::html::Button>::new();
    // Closing the link (Done or Escape) puts focus back on the button that made it.
    let dismiss = move || {
        link.set(None);
        status.set(None);
        if let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    };
    let done = move |_| dismiss();
    view! {
        // Escape dismisses the link (from the button or from inside the popover).
        <div
            class=class
            on:keydown=move |ev| {
                if ev.key() == "Escape" && link.with_untracked(Option::is_some) {
                    ev.stop_propagation();
                    dismiss();
                }
            }
        >
            <button type="button" class="primary" node_ref=button on:click=on_click disabled=move || busy.get()>
                {label}
            </button>
            <Alert message=error />
            // Shown next to the button (in the header, as a popover) until dismissed.
            <div class="invite-result" class:open=move || link.with(Option::is_some)>
                <p class="invite-status" role="status">
                    {move || status.get()}
                </p>
                {move || {
                    link.get().map(|(url, info)| {
                        let expires = match info.expires_at {
                            Some(at) => format!("expires {}", full(at, offset)),
                            None => "never expires".to_owned(),
                        };
                        let uses = match info.max_uses {
                            Some(1) => "one use".to_owned(),
                            Some(n) => format!("{n} uses"),
                            None => "unlimited uses".to_owned(),
                        };
                        view! {
                            <div class="invite-link">
                                <label for=field_id>{field_label}</label>
                                <input id=field_id readonly value=url on:focus=|ev| select_all(&ev) />
                                <p class="hint">
                                    {format!("Anyone with this link can join this conversation: {expires}, {uses}. It is shown only once.")}
                                </p>
                                <button type="button" class="ghost" on:click=done>"Done"</button>
                            </div>
                        }
                    })
                }}
            </div>
        </div>
    }
}
