//! The header's bell: what the viewer is notified of in this conversation (all messages,
//! mentions only, or nothing), stored on the server so every device follows, and the one
//! place that asks the browser for permission to show desktop notifications, only when the
//! viewer presses it.

use crate::api::set_notify_level;
use crate::components::Alert;
use crate::live::use_live;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::NotifyLevel;
use palaver::ConversationId;

fn describe(level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => "All messages",
        NotifyLevel::Mentions => "Mentions only",
        NotifyLevel::None => "Nothing (muted)",
    }
}

/// Whether the browser shows notifications: not asked yet, allowed, blocked, or unable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Permission {
    Ask,
    Granted,
    Denied,
    Unsupported,
}

fn permission() -> Permission {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::NotificationPermission as P;
        match crate::live::desktop::permission() {
            Some(P::Granted) => Permission::Granted,
            Some(P::Denied) => Permission::Denied,
            Some(_) => Permission::Ask,
            None => Permission::Unsupported,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Permission::Ask
    }
}

#[component]
pub fn NotifyControl(id: ConversationId) -> impl IntoView {
    let live = use_live();
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let level = move || live.notify_level(id).unwrap_or_default();
    // Read when the menu opens (the browser's answer can change in its settings meanwhile).
    let allowed = RwSignal::new(Permission::Ask);
    let toggle = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        open.set(false);
        if let Some(b) = toggle.get_untracked() {
            let _ = b.focus();
        }
    };
    let choose = move |new: NotifyLevel| {
        let before = level();
        if new == before {
            return;
        }
        live.set_notify_level(id, new);
        spawn_local(async move {
            match set_notify_level(id, new).await {
                Ok(()) => {
                    error.try_set(None);
                }
                Err(e) => {
                    live.set_notify_level(id, before);
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        spawn_local(async move {
            crate::live::desktop::request().await;
            allowed.try_set(permission());
            // The button that asked is gone now: keep focus in the menu.
            crate::focus::focus_selector("#notify-menu input:checked");
        });
    };
    view! {
        <div
            class="notify"
            on:keydown=move |ev| {
                if ev.key() == "Escape" && open.get_untracked() {
                    ev.stop_propagation();
                    close();
                }
            }
        >
            <button
                type="button"
                class="ghost notify-toggle"
                class:muted=move || level() == NotifyLevel::None
                node_ref=toggle
                aria-expanded=move || open.get().to_string()
                aria-controls="notify-menu"
                aria-label=move || format!("Notifications: {}", describe(level()).to_lowercase())
                title="Notifications"
                on:click=move |_| {
                    allowed.set(permission());
                    open.update(|o| *o = !*o);
                }
            >
                <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
                    <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" fill="currentColor" />
                    {move || (level() == NotifyLevel::None).then(|| view! {
                        <path d="M3 3 21 21" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" />
                    })}
                </svg>
            </button>
            <div id="notify-menu" class="notify-menu" class:open=move || open.get()>
                <fieldset>
                    <legend>"Notify me about"</legend>
                    {NotifyLevel::ALL.into_iter().map(|l| view! {
                        <label>
                            <input
                                type="radio"
                                name=format!("notify-{id}")
                                value=l.as_str()
                                prop:checked=move || level() == l
                                on:change=move |_| choose(l)
                            />
                            {describe(l)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <p class="hint">"Saved to your account: your other devices follow."</p>
                {move || match allowed.get() {
                    Permission::Ask => view! {
                        <button type="button" class="primary" on:click=ask>"Turn on desktop notifications"</button>
                    }.into_any(),
                    Permission::Granted => view! {
                        <p class="hint">"Desktop notifications are on while Palaver is open in a tab."</p>
                    }.into_any(),
                    Permission::Denied => view! {
                        <p class="hint">"Desktop notifications are blocked for this site in your browser's settings."</p>
                    }.into_any(),
                    Permission::Unsupported => view! {
                        <p class="hint">"This browser cannot show desktop notifications."</p>
                    }.into_any(),
                }}
                <button type="button" class="ghost" on:click=move |_| close()>"Done"</button>
                <Alert message=error />
            </div>
        </div>
    }
}
