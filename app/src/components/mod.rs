//! Small pieces shared by the pages.

use crate::error::AppError;
use leptos::prelude::*;

/// Sets the HTTP status of the server-rendered page (no-op in the browser).
pub fn http_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// An error message announced to screen readers.
#[component]
pub fn Alert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <p class="alert" role="alert">
                    {m}
                </p>
            }
        })
    }
}

/// The message of a failed server action, if its last run failed.
pub fn action_error<T: 'static>(
    value: impl With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        value.with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .map(ToString::to_string)
        })
    })
}

/// A full-page notice (errors, invalid links, not found).
#[component]
pub fn Notice(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="notice-page">
            <div class="card">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    "Palaver"
                </a>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}
