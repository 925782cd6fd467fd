//! Downloads of exports (formats in `palaver::server::export`), with the session cookie:
//! `GET /api/export` (the signed-in account's data, JSON),
//! `GET /api/conversations/{id}/export` (every event of a conversation, NDJSON, its owner
//! only) and `GET /api/admin/export` (every account and conversation, NDJSON, instance admins
//! only). Both stream: the server holds a page of events at a time, however large the export.

use crate::files::error_response;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use futures::Stream;
use palaver::server::chat::Export;
use palaver::server::export::Chunk;
use palaver::server::{Chat, SessionUser};
use palaver::{ConversationId, CoreError};
use palaver_app::api::ssr::SESSION_COOKIE;
use std::net::SocketAddr;
use std::sync::Arc;

pub fn routes(chat: Arc<Chat>) -> Router {
    Router::new()
        .route("/api/export", get(account))
        .route("/api/admin/export", get(instance))
        .route("/api/conversations/{id}/export", get(conversation))
        .with_state(chat)
}

async fn session(
    chat: &Chat,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Result<SessionUser, CoreError> {
    let jar = CookieJar::from_headers(headers);
    let secret = jar.get(SESSION_COOKIE).ok_or(CoreError::Unauthenticated)?;
    chat.session(secret.value(), Some(&addr.ip().to_string()))
        .await?
        .ok_or(CoreError::Unauthenticated)
}

async fn account(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match session(&chat, &headers, addr).await {
        Ok(who) => match chat.export_account(&who).await {
            Ok(export) => download(export, "application/json"),
            Err(e) => error_response(e),
        },
        Err(e) => error_response(e),
    }
}

async fn instance(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match session(&chat, &headers, addr).await {
        Ok(who) => match chat.export_instance(&who).await {
            Ok(export) => download(export, "application/x-ndjson"),
            Err(e) => error_response(e),
        },
        Err(e) => error_response(e),
    }
}

async fn conversation(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    match session(&chat, &headers, addr).await {
        Ok(who) => match chat.export_conversation(&who, ConversationId(id)).await {
            Ok(export) => download(export, "application/x-ndjson"),
            Err(e) => error_response(e),
        },
        Err(e) => error_response(e),
    }
}

/// A streamed attachment: saved under its file name, never cached, never read by another
/// origin.
fn download<S>(export: Export<S>, content_type: &'static str) -> Response
where
    S: Stream<Item = Chunk> + Send + 'static,
{
    let mut r = Body::from_stream(export.body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The file name is ASCII: a conversation id, or a username (letters, digits, `_-.`).
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", export.file_name))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    r
}
