//! Small pieces shared by the pages.

use crate::error::AppError;
use leptos::prelude::*;

pub mod audit_filter;
pub mod audit_table;
mod file_icon;
pub use file_icon::{FileIcon, PaperclipIcon};

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

/// A centred card on its own page: sign-in, sign-up, notices (errors, invalid links, 404).
#[component]
pub fn Card(
    #[prop(into)] title: String,
    #[prop(optional)] subtitle: Option<&'static str>,
    #[prop(default = "notice-page")] page_class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <main class=page_class>
            <div class="card">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    "Palaver"
                </a>
                <h1>{title}</h1>
                {subtitle.map(|s| view! { <p class="subtitle">{s}</p> })}
                {children()}
            </div>
        </main>
    }
}

/// A full-page notice (errors, invalid links, not found).
#[component]
pub fn Notice(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! { <Card title>{children()}</Card> }
}

pub use crate::focus::focus_by_id;

mod avatar;
pub use avatar::{Avatar, AvatarSize};

/// Puts `text` on the clipboard; false when the browser refused (no permission, not a
/// secure context) or on the server.
pub async fn copy_to_clipboard(text: &str) -> bool {
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

/// Selects a read-only field's whole text when it gets focus (a link to copy).
pub fn select_all(ev: &leptos::ev::FocusEvent) {
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
