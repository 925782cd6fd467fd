//! "Invite": create a link, copy it, show it for manual copying.

use crate::api::create_invite;
use crate::components::Alert;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::ConversationId;

#[component]
pub fn InviteControl(id: ConversationId) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_click = move |_| {
        busy.set(true);
        spawn_local(async move {
            match create_invite(id, None, None).await {
                Ok(invite) => {
                    error.set(None);
                    let copied = copy_to_clipboard(&invite.url).await;
                    link.set(Some(invite.url));
                    status.set(Some(
                        if copied {
                            "Invite link copied to clipboard"
                        } else {
                            "Copy the invite link below"
                        }
                        .to_owned(),
                    ));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="invite">
            <button type="button" class="primary" on:click=on_click disabled=move || busy.get()>
                "Invite"
            </button>
            <p class="invite-status" role="status">
                {move || status.get()}
            </p>
            <Alert message=error />
            {move || {
                link.get().map(|url| view! {
                    <div class="invite-link">
                        <label for="invite-link">"Invite link"</label>
                        <input id="invite-link" readonly value=url on:focus=|ev| select_all(&ev) />
                        <p class="hint">"Anyone with this link can join this conversation."</p>
                    </div>
                })
            }}
        </div>
    }
}

async fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = window().navigator().clipboard();
        wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
            .await
            .is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

fn select_all(ev: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
