//! Server-side plumbing shared by the server functions: the app state, the session cookie,
//! and turning errors into responses with the right status.

use crate::error::AppError;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use http::header::{CACHE_CONTROL, SET_COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use palaver::server::{Chat, ClientMeta, SessionUser};
use palaver::CoreError;
use std::net::SocketAddr;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "palaver_session";

/// What the server functions need, provided as Leptos context by the host.
#[derive(Clone)]
pub struct AppState {
    pub chat: Arc<Chat>,
    /// Set the cookie's `Secure` attribute: true whenever Palaver is served over HTTPS.
    pub secure_cookies: bool,
    /// Session cookie lifetime, in seconds.
    pub session_max_age_secs: i64,
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// Maps a core error, logging internal ones and setting the HTTP status.
pub fn fail(e: CoreError) -> AppError {
    AppError::from(e)
}

/// Returns `e` after setting the HTTP status that goes with it.
pub fn reject(e: AppError) -> AppError {
    crate::error::error_status(e.status());
    e
}

pub fn no_store() {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

pub async fn session_secret() -> Option<String> {
    let jar: CookieJar = leptos_axum::extract().await.ok()?;
    jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

pub async fn session() -> Result<Option<SessionUser>, AppError> {
    let Some(secret) = session_secret().await else {
        return Ok(None);
    };
    let addr = client_addr().await;
    state()?
        .chat
        .session(&secret, addr.as_deref())
        .await
        .map_err(fail)
}

async fn client_addr() -> Option<String> {
    let addr: axum::extract::ConnectInfo<SocketAddr> = leptos_axum::extract().await.ok()?;
    Some(addr.0.ip().to_string())
}

pub async fn require_session() -> Result<SessionUser, AppError> {
    session()
        .await?
        .ok_or_else(|| reject(AppError::Unauthenticated))
}

pub async fn client_meta() -> ClientMeta {
    let headers: Option<HeaderMap> = leptos_axum::extract().await.ok();
    ClientMeta {
        user_agent: headers
            .as_ref()
            .and_then(|h| h.get(USER_AGENT))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_addr: client_addr().await,
    }
}

fn set_cookie(cookie: Cookie<'static>) {
    if let (Some(res), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie.to_string()),
    ) {
        res.append_header(SET_COOKIE, value);
    }
}

fn base_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .build()
}

pub fn set_session_cookie(state: &AppState, secret: &str) {
    let mut c = base_cookie(state, secret.to_owned());
    c.set_max_age(cookie::time::Duration::seconds(state.session_max_age_secs));
    set_cookie(c);
}

/// Finishes a sign-up or sign-in: sets the session cookie and goes to `next` (local paths only).
pub fn signed_in(
    state: &AppState,
    login: Result<palaver::server::chat::NewLogin, CoreError>,
    next: Option<&str>,
) -> Result<palaver::model::UserView, AppError> {
    let login = login.map_err(fail)?;
    set_session_cookie(state, &login.cookie_secret);
    leptos_axum::redirect(&super::safe_next(next));
    Ok(login.user)
}

pub fn clear_session_cookie(state: &AppState) {
    let mut c = base_cookie(state, String::new());
    c.make_removal();
    set_cookie(c);
}
