//! Attachments over HTTP: uploading (`POST /api/attachments`), removing a pending upload
//! (`DELETE /api/attachments/{id}`), and serving files (`GET /files/{id}/{name}`) and
//! thumbnails (`GET /thumbnails/{id}`), with the session cookie. The rules are
//! [`palaver::server::Chat`]'s; this module speaks HTTP.
//!
//! A served file can never run script on Palaver's origin (issue 11, SECURITY 33): the type is
//! the one sniffed at upload, with HTML, XML, SVG, script and text turned into
//! `application/octet-stream`; only PNG, JPEG, GIF and WebP are `inline`, everything else is
//! `Content-Disposition: attachment`; `nosniff`; and a CSP of `default-src 'none'; sandbox`
//! that would stop a document even if a browser rendered one.

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use palaver::files::{content_disposition, served_type, AttachmentId};
use palaver::model::UserView;
use palaver::protocol::ErrorCode;
use palaver::server::files::thumbnail::thumbnail_type;
use palaver::server::files::Blob;
use palaver::server::{Chat, SessionUser};
use palaver::{CoreError, ValidationError};
use palaver_app::api::ssr::SESSION_COOKIE;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tower_http::timeout::TimeoutLayer;

/// The longest an upload may take, however slow the link (25 MB at 1 Mbit/s takes 200 s).
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// A file's responses: a sandbox with nothing allowed, and never framed.
const FILE_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// The routes, with their own timeout; the host adds the cross-site guard, security headers
/// and tracing around them. No body limit layer: the upload counts its bytes itself and
/// answers 413 with the file's name the moment they pass `--max-upload-mb` (the other routes
/// read no body).
pub fn routes(chat: Arc<Chat>) -> Router {
    Router::new()
        .route("/api/attachments", post(upload))
        .route("/api/attachments/{id}", delete(discard))
        .route("/files/{id}/{name}", get(file))
        .route("/thumbnails/{id}", get(thumbnail))
        .route("/api/profile/avatar", post(set_avatar))
        .route("/avatars/{id}", get(avatar))
        .with_state(chat)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            UPLOAD_TIMEOUT,
        ))
}

#[derive(Deserialize)]
struct UploadQuery {
    conversation_id: i64,
    name: String,
}

/// The session of the request's cookie (`Unauthenticated` without a live one), for the plain
/// HTTP routes beside the server functions.
pub(crate) async fn session(
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

async fn signed_in(
    chat: &Chat,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Result<UserView, CoreError> {
    Ok(session(chat, headers, addr).await?.user)
}

/// An upload's declared length (`Content-Length`, when it has one) and its body as a reader.
fn upload_body(request: Request) -> (Option<u64>, impl tokio::io::AsyncRead + Unpin + Send) {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let stream = futures::TryStreamExt::map_err(
        request.into_body().into_data_stream(),
        std::io::Error::other,
    );
    (declared, tokio_util::io::StreamReader::new(stream))
}

/// `201` with the [`palaver::model::Attachment`] as JSON.
async fn upload(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Response {
    let Ok(Query(q)) = query else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "An upload names its conversation and its file: ?conversation_id=…&name=….",
        );
    };
    let result = async {
        let user = signed_in(&chat, request.headers(), addr).await?;
        let (declared, mut reader) = upload_body(request);
        chat.upload(
            &user,
            palaver::ConversationId(q.conversation_id),
            &q.name,
            declared,
            &mut reader,
        )
        .await
    }
    .await;
    match result {
        Ok(attachment) => (StatusCode::CREATED, axum::Json(attachment)).into_response(),
        Err(e) => error_response(e),
    }
}

/// `200` with the caller's new [`palaver::model::Profile`] as JSON.
async fn set_avatar(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let result = async {
        let user = signed_in(&chat, request.headers(), addr).await?;
        let (declared, mut reader) = upload_body(request);
        chat.set_avatar(&user, declared, &mut reader).await
    }
    .await;
    match result {
        Ok(profile) => axum::Json(profile).into_response(),
        Err(e) => error_response(e),
    }
}

/// An avatar, to any signed-in user (and, like every response that depends on the session,
/// `no-store`: SECURITY 34).
async fn avatar(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = async {
        signed_in(&chat, &headers, addr).await?;
        let id = AttachmentId::parse(&id).ok_or(CoreError::NotFound("Avatar"))?;
        chat.avatar(&id).await
    }
    .await;
    match found {
        Ok(blob) => match picture(blob).await {
            Ok(r) => guarded(r),
            Err(e) => error_response(e),
        },
        Err(e) => error_response(e),
    }
}

/// A small picture the server made (a thumbnail or an avatar: JPEG or PNG), read whole.
async fn picture(mut blob: Blob) -> Result<Response, CoreError> {
    let mut bytes = Vec::with_capacity(usize::try_from(blob.len).unwrap_or(0));
    blob.body
        .read_to_end(&mut bytes)
        .await
        .map_err(CoreError::internal)?;
    let kind = thumbnail_type(&bytes);
    let mut r = Response::new(Body::from(bytes));
    set(&mut r, header::CONTENT_TYPE, kind);
    set(&mut r, header::CONTENT_DISPOSITION, "inline");
    Ok(r)
}

/// What every file response carries: never stored, since it depends on the session
/// (SECURITY 34: a signed-out browser keeps no copy); a sandbox that runs nothing; readable
/// by this origin's pages only.
fn guarded(mut r: Response) -> Response {
    set(&mut r, header::CACHE_CONTROL, "no-store");
    set(&mut r, header::CONTENT_SECURITY_POLICY, FILE_CSP);
    set(
        &mut r,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    r
}

async fn discard(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let user = signed_in(&chat, &headers, addr).await?;
        let id = AttachmentId::parse(&id).ok_or(CoreError::NotFound("File"))?;
        chat.discard_upload(user.id, &id).await
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(e),
    }
}

async fn file(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((id, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    serve(&chat, addr, &id, &headers, false).await
}

async fn thumbnail(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&chat, addr, &id, &headers, true).await
}

async fn serve(
    chat: &Chat,
    addr: SocketAddr,
    id: &str,
    headers: &HeaderMap,
    thumbnail: bool,
) -> Response {
    let found = async {
        let user = signed_in(chat, headers, addr).await?;
        let id = AttachmentId::parse(id).ok_or(CoreError::NotFound("File"))?;
        chat.file(user.id, &id, thumbnail).await
    }
    .await;
    let (attachment, blob) = match found {
        Ok(f) => f,
        Err(e) => return error_response(e),
    };
    // The bytes under an id never change: the id is the entity tag. The check above ran
    // first, so a member who left gets 404, not 304.
    let etag = format!("\"{}{}\"", attachment.id, if thumbnail { ".t" } else { "" });
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else if thumbnail {
        match picture(blob).await {
            Ok(r) => r,
            Err(e) => return error_response(e),
        }
    } else {
        let kind = served_type(&attachment.content_type).to_owned();
        let stream = tokio_util::io::ReaderStream::new(blob.body);
        let mut r = Response::new(Body::from_stream(stream));
        set(&mut r, header::CONTENT_TYPE, &kind);
        set(&mut r, header::CONTENT_LENGTH, &blob.len.to_string());
        set(
            &mut r,
            header::CONTENT_DISPOSITION,
            &content_disposition(&kind, &attachment.name),
        );
        r
    };
    set(&mut response, header::ETAG, &etag);
    guarded(response)
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

fn set(r: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// `{"message": "…"}` with the status that goes with the error; 413 for a file over the
/// limit, `Retry-After` when rate limited or busy, and nothing of an internal error's detail.
pub(crate) fn error_response(e: CoreError) -> Response {
    let status = match &e {
        CoreError::Invalid(ValidationError::FileTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        e => match e.code() {
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::NotMember | ErrorCode::Forbidden | ErrorCode::AccountDisabled => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        },
    };
    let message = match &e {
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "attachment request failed");
            "Something went wrong on the server. Please try again.".to_owned()
        }
        e => e.to_string(),
    };
    let mut r = json_error(status, &message);
    if let CoreError::RateLimited {
        retry_after_secs, ..
    }
    | CoreError::Busy { retry_after_secs } = e
    {
        set(&mut r, header::RETRY_AFTER, &retry_after_secs.to_string());
    }
    r
}
