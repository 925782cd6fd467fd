//! Palaver's web app: pages, components and server functions (Leptos 0.8).
#![recursion_limit = "256"]

pub mod api;
mod components;
pub mod error;
mod live;
mod pages;
mod time;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub use error::AppError;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_csp(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only with this response's nonce (leptos_axum
/// generates one per render and puts it on the hydration script), plus what those load
/// ('strict-dynamic') and the WASM they compile ('wasm-unsafe-eval'); no inline scripts or
/// styles, no plugins, no framing, no foreign form targets.
#[cfg(feature = "ssr")]
fn set_page_csp(options: &LeptosOptions) {
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` reloads the page through a socket on its own port.
    let reload = if std::env::var_os("LEPTOS_WATCH").is_some() {
        format!(" ws://{}:{}", options.site_addr.ip(), options.reload_port)
    } else {
        String::new()
    };
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&csp) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// leptos_meta 0.8 writes the title into the server's `<title>` element without escaping it,
/// so a conversation called `</title><script>…` would end the element early. On the server
/// the text is HTML-escaped (the browser decodes it back); in the browser the title is set as
/// plain text through `document.title`, which needs no escaping.
fn title_markup(title: String) -> String {
    #[cfg(feature = "ssr")]
    {
        title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        title
    }
}

/// Unread messages across the user's conversations, shown in the page title as "(3) …".
#[derive(Clone, Copy)]
pub struct UnreadTotal(pub RwSignal<i64>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let unread = UnreadTotal(RwSignal::new(0));
    provide_context(unread);
    // A marker that tests (and people debugging) can wait for: set only once the WASM app
    // has taken over the server-rendered page.
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="palaver" href="/pkg/palaver.css" />
        <Title formatter=move |text: String| {
            let base = if text.is_empty() { "Palaver".to_owned() } else { format!("{text} · Palaver") };
            let title = match unread.0.get() {
                0 => base,
                n => format!("({n}) {base}"),
            };
            title_markup(title)
        } />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=pages::SignupPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:code") view=pages::InvitePage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=pages::ChatShell ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::Welcome />
                    <Route path=path!("c/:id") view=pages::ConversationPage />
                    <Route path=path!("rooms") view=pages::RoomsPage />
                    <Route path=path!("account") view=pages::AccountPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
