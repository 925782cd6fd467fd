//! Sign-in and sign-up. Plain forms posting to server functions: they work before the WASM
//! app loads, and the app enhances them once it has.

use crate::api::{SignIn, SignUp};
use crate::components::{action_error, Alert, Card};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use palaver::validate::{PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN};

fn next_param() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("next"))
}

fn with_next(path: &str, next: Option<String>) -> String {
    match next {
        Some(n) => format!("{path}?next={}", urlencode(&n)),
        None => path.to_owned(),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let next = next_param();
    let error = action_error(action.value());
    let query = use_query_map();
    let reason = move || query.read().get("reason");
    let ended = move || reason().as_deref() == Some("session_ended");
    let disabled = move || reason().as_deref() == Some("account_disabled");
    let deleted = move || reason().as_deref() == Some("account_deleted");
    view! {
        <Title text="Sign in" />
        <Card title="Sign in to Palaver" subtitle="Welcome back." page_class="auth-page">
            <Show when=ended>
                <p class="notice" role="status">
                    "Your session has ended. Please sign in again."
                </p>
            </Show>
            <Show when=disabled>
                <p class="notice" role="status">
                    "This account has been disabled by an administrator."
                </p>
            </Show>
            <Show when=deleted>
                <p class="notice" role="status">
                    "This account has been deleted by an administrator."
                </p>
            </Show>
            <ActionForm action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required autofocus />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <Alert message=error />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="switch">
                "New here? " <A href=move || with_next("/signup", next.get())>"Create an account"</A>
            </p>
        </Card>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let next = next_param();
    let error = action_error(action.value());
    view! {
        <Title text="Create your account" />
        <Card title="Create your account" subtitle="Group chat you host yourself." page_class="auth-page">
            <ActionForm action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    autofocus
                    minlength=USERNAME_MIN
                    maxlength=USERNAME_MAX
                    pattern="[A-Za-z0-9_.\\-]+"
                    aria-describedby="username-hint"
                />
                <p class="hint" id="username-hint">
                    {format!("{USERNAME_MIN}-{USERNAME_MAX} letters, digits, '_', '-' or '.'")}
                </p>
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="new-password"
                    required
                    aria-describedby="password-hint"
                />
                <p class="hint" id="password-hint">
                    {format!("At least {PASSWORD_MIN} characters. A passphrase works well.")}
                </p>
                <Alert message=error />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="switch">
                "Already have an account? " <A href=move || with_next("/login", next.get())>"Sign in"</A>
            </p>
        </Card>
    }
}
