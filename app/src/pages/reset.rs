//! /reset/:code: the owner of an account sets a new password with the one-time link an
//! administrator handed them. A plain form posting to a server function, like sign-in: it
//! works before the WASM app loads. Done, the browser is signed in and every other session
//! of the account is signed out.

use crate::api::{reset_target, ResetPassword};
use crate::components::{action_error, Alert, Card};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use palaver::validate::PASSWORD_MIN;

#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let target = Resource::new(code, reset_target);
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.value());
    view! {
        <Title text="Set a new password" />
        <Card title="Set a new password" subtitle="With the link an administrator gave you." page_class="auth-page">
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match target.await {
                        Ok(username) => view! {
                            <ActionForm action>
                                <input type="hidden" name="code" value=code />
                                <p>"For the account " <strong>{username}</strong> "."</p>
                                <label for="password">"New password"</label>
                                <input
                                    id="password"
                                    name="password"
                                    type="password"
                                    autocomplete="new-password"
                                    required
                                    autofocus
                                    aria-describedby="password-hint"
                                />
                                <p class="hint" id="password-hint">
                                    {format!("At least {PASSWORD_MIN} characters. Every other session of the account is signed out.")}
                                </p>
                                <Alert message=error />
                                <button type="submit" class="primary" disabled=move || action.pending().get()>
                                    {move || if action.pending().get() { "Saving…" } else { "Set password and sign in" }}
                                </button>
                            </ActionForm>
                        }
                        .into_any(),
                        Err(_) => view! {
                            <p class="alert" role="alert">
                                "This reset link is invalid, has expired or has been used. Ask an administrator for a new one."
                            </p>
                            <p class="switch"><A href="/login">"Sign in"</A></p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}
