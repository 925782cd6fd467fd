//! Palaver's web app: pages, components and server functions (Leptos 0.8).
#![recursion_limit = "256"]

pub mod api;
mod components;
mod drafts;
pub mod error;
mod focus;
mod live;
mod pages;
mod skin_tone;
mod time;
mod uploads;

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
                <link id="favicon" rel="icon" href="/favicon.svg" type="image/svg+xml" />
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
/// styles, no plugins, no framing, no foreign form targets. Images come from the site,
/// `data:` (the favicon's dot) and `blob:` (the composer's previews of the user's own files
/// while they upload; a `blob:` URL is this origin's and an `<img>` runs no script).
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
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'{reload}; font-src 'self'; \
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

/// Unread messages across the user's conversations, shown in the page title as "(3) …" and
/// as a dot on the favicon.
#[derive(Clone, Copy)]
pub struct UnreadTotal(pub RwSignal<i64>);

/// The favicon's address: the plain icon, or with unread messages the icon with a red dot (a
/// count would be unreadable at 16 px), as a `data:` URL (the CSP allows `img-src data:`).
pub fn favicon_href(unread: i64) -> String {
    if unread <= 0 {
        return "/favicon.svg".to_owned();
    }
    let svg = include_str!("../../public/favicon.svg").trim().replace(
        "</svg>",
        r##"<circle cx="50" cy="14" r="13" fill="#e5484d" stroke="#fff" stroke-width="3"/></svg>"##,
    );
    let mut href = String::from("data:image/svg+xml,");
    for c in svg.chars() {
        match c {
            '%' => href.push_str("%25"),
            '#' => href.push_str("%23"),
            '<' => href.push_str("%3C"),
            '>' => href.push_str("%3E"),
            '"' => href.push_str("%22"),
            c => href.push(c),
        }
    }
    href
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let unread = UnreadTotal(RwSignal::new(0));
    provide_context(unread);
    Effect::new(move |_| {
        let href = favicon_href(unread.0.get());
        #[cfg(feature = "hydrate")]
        if let Some(link) = document().get_element_by_id("favicon") {
            let _ = link.set_attribute("href", &href);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = href;
    });
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
            <focus::FocusOnNavigate />
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=pages::SignupPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:code") view=pages::InvitePage ssr=SsrMode::Async />
                <Route path=path!("/reset/:code") view=pages::ResetPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=pages::ChatShell ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::Welcome />
                    <Route path=path!("c/:id") view=pages::ConversationPage />
                    <Route path=path!("rooms") view=pages::RoomsPage />
                    <Route path=path!("search") view=pages::SearchPage />
                    <Route path=path!("account") view=pages::AccountPage />
                    <Route path=path!("admin") view=pages::AdminDashboardPage />
                    <Route path=path!("admin/users") view=pages::AdminUsersPage />
                    <Route path=path!("admin/conversations") view=pages::AdminConversationsPage />
                    <Route path=path!("admin/audit") view=pages::AdminAuditPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(test)]
mod favicon_tests {
    use super::favicon_href;

    #[test]
    fn unread_messages_put_a_dot_on_the_favicon() {
        assert_eq!(favicon_href(0), "/favicon.svg");
        let dotted = favicon_href(3);
        assert!(dotted.starts_with("data:image/svg+xml,%3Csvg"), "{dotted}");
        assert!(dotted.contains("%3Ccircle"), "{dotted}");
        assert!(!dotted.contains(['<', '>', '#', '"']), "{dotted}");
    }
}
