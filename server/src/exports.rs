//! Downloads of exports (formats in `palaver::server::export`), with the session cookie:
//! `GET /api/export` (the signed-in account's data, JSON),
//! `GET /api/conversations/{id}/export` (every event of a conversation, NDJSON, its owner
//! only) and `GET /api/admin/export` (every account and conversation, NDJSON, instance admins
//! only). Both stream: the server holds a page of events at a time, however large the export.

use crate::files::{error_response, session};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::Stream;
use palaver::server::chat::Export;
use palaver::server::export::Chunk;
use palaver::server::Chat;
use palaver::{ConversationId, CoreError};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn routes(chat: Arc<Chat>) -> Router {
    Router::new()
        .route("/api/export", get(account))
        .route("/api/admin/export", get(instance))
        .route("/api/conversations/{id}/export", get(conversation))
        .with_state(chat)
}

async fn account(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let export = match session(&chat, &headers, addr).await {
        Ok(who) => chat.export_account(&who).await,
        Err(e) => return error_response(e),
    };
    download(export, "application/json")
}

async fn instance(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let export = match session(&chat, &headers, addr).await {
        Ok(who) => chat.export_instance(&who).await,
        Err(e) => return error_response(e),
    };
    download(export, "application/x-ndjson")
}

async fn conversation(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let export = match session(&chat, &headers, addr).await {
        Ok(who) => chat.export_conversation(&who, ConversationId(id)).await,
        Err(e) => return error_response(e),
    };
    download(export, "application/x-ndjson")
}

/// A streamed attachment: saved under its file name, never cached, never read by another
/// origin; or the error's answer.
fn download<S>(export: Result<Export<S>, CoreError>, content_type: &'static str) -> Response
where
    S: Stream<Item = Chunk> + Send + 'static,
{
    let export = match export {
        Ok(export) => export,
        Err(e) => return error_response(e),
    };
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
