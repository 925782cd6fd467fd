//! Cross-cutting HTTP concerns: the cross-site guard, security headers and caching.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Largest request body accepted (server-function arguments are small forms).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Origins allowed to make state-changing requests.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    allowed: Arc<Vec<String>>,
}

impl OriginPolicy {
    pub fn new(origins: impl IntoIterator<Item = String>) -> Self {
        let allowed = origins
            .into_iter()
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect();
        Self {
            allowed: Arc::new(allowed),
        }
    }

    /// A request is cross-site when its `Origin` is not on the list, or, without `Origin`,
    /// when the browser labels it `Sec-Fetch-Site: cross-site`. Requests with neither header
    /// come from non-browser clients, which cannot carry a victim's cookies.
    pub fn is_cross_site(&self, headers: &HeaderMap) -> bool {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin
                .to_str()
                .unwrap_or("")
                .trim_end_matches('/')
                .to_ascii_lowercase();
            return !self.allowed.contains(&origin);
        }
        matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site")
        )
    }
}

fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses cross-site state-changing requests (every server function is a POST) with 403.
pub async fn cross_site_guard(
    State(policy): State<OriginPolicy>,
    req: Request,
    next: Next,
) -> Response {
    if !is_safe_method(req.method()) && policy.is_cross_site(req.headers()) {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "refused cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(req).await
}

/// Headers every response carries. `hsts`: served over HTTPS, so browsers should never try
/// plain HTTP again.
pub async fn security_headers(
    State(hsts): State<bool>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages set their own policy with the hydration script's nonce; everything else (JSON,
    // files, errors) gets one that allows nothing at all.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ));
    res
}

/// A year: files whose name changes with their content are never asked for again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Kept, but checked (Last-Modified) before every use: the name outlives the content.
const REVALIDATE: &str = "no-cache";
const NO_STORE: &str = "no-store";

/// `Cache-Control` by what a response is, unless it set its own:
/// - site files under `/pkg` whose name carries the build's content hash
///   (`palaver.<hash>.wasm`, see `site.rs`): kept for a year;
/// - other static files (`/favicon.svg`, the plain names of `cargo leptos watch`): revalidated;
/// - everything else (pages, server functions, errors) may depend on the session: `no-store`
///   (SECURITY 34).
///
/// Static files also say `Vary: Accept-Encoding`: tower-http's `ServeDir` picks their
/// precompressed `.br`/`.gz` sibling by that header but does not say so, and a shared cache
/// would otherwise hand brotli to a client that never asked for it.
pub async fn cache_control(req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let policy = cache_policy(&path, res.status(), content_type);
    let h = res.headers_mut();
    if policy != NO_STORE && !h.contains_key(header::VARY) {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    res
}

fn cache_policy(path: &str, status: StatusCode, content_type: Option<&str>) -> &'static str {
    let site_file = path.starts_with("/pkg/");
    let static_type = content_type.is_some_and(|t| {
        [
            "image/",
            "font/",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/wasm",
        ]
        .iter()
        .any(|p| t.starts_with(p))
    });
    // Only the static file service answers 304, and without a Content-Type.
    let file = match status {
        StatusCode::NOT_MODIFIED => true,
        s if s.is_success() => site_file || static_type,
        _ => false,
    };
    if !file {
        NO_STORE
    } else if site_file && is_content_hashed(path) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// `name.<hash>.ext`, with cargo-leptos' hash: 22 characters of unpadded base64url (MD5).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplitn(3, '.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Refuses (422) a url-encoded form whose text is not valid UTF-8 once percent-decoded:
/// server functions would otherwise repair it with U+FFFD and store what nobody typed.
pub async fn utf8_forms(req: Request<Body>, next: Next) -> Response {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.").into_response()
        }
    };
    if !form_is_utf8(&bytes) {
        let body = r#"{"code":"invalid","message":"The form is not valid UTF-8 text."}"#;
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Every name and value of an `application/x-www-form-urlencoded` body decodes to UTF-8
/// (WHATWG URL, "application/x-www-form-urlencoded parsing").
fn form_is_utf8(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=').all(|part| {
            let spaced: Vec<u8> = part
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
            std::str::from_utf8(&decoded).is_ok()
        })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn forms_must_decode_to_utf8() {
        assert!(form_is_utf8(b"title=a%C3%A9b&x=1+2"));
        assert!(form_is_utf8(b""));
        for bad in [
            &b"title=a%FFb"[..],
            b"title=%C3",
            b"t=%ED%A0%80",
            b"t=ok%C0%AF",
            b"t=\xff",
        ] {
            assert!(!form_is_utf8(bad), "{}", String::from_utf8_lossy(bad));
        }
        assert!(!form_is_utf8(&[b't', b'=', 0xff]));
    }

    use super::*;

    #[test]
    fn hashed_site_files_are_kept_for_a_year_and_the_rest_revalidated_or_not_stored() {
        let ok = StatusCode::OK;
        let wasm = Some("application/wasm");
        let hashed = "/pkg/palaver.Xb3_x-9ZyQ2bC4dE5fG6hQ.wasm";
        assert_eq!(cache_policy(hashed, ok, wasm), IMMUTABLE);
        assert_eq!(
            cache_policy(hashed, StatusCode::NOT_MODIFIED, None),
            IMMUTABLE
        );
        assert_eq!(cache_policy("/pkg/palaver.wasm", ok, wasm), REVALIDATE);
        assert_eq!(
            cache_policy("/pkg/palaver.css", ok, Some("text/css")),
            REVALIDATE
        );
        assert_eq!(
            cache_policy("/favicon.svg", ok, Some("image/svg+xml")),
            REVALIDATE
        );
        assert_eq!(
            cache_policy("/favicon.svg", StatusCode::NOT_MODIFIED, None),
            REVALIDATE
        );
        // A missing file gets the 404 page, which shows who is signed in.
        let html = Some("text/html; charset=utf-8");
        assert_eq!(cache_policy(hashed, StatusCode::NOT_FOUND, html), NO_STORE);
        assert_eq!(cache_policy("/c/1", ok, html), NO_STORE);
        assert_eq!(
            cache_policy("/api/me", ok, Some("application/json")),
            NO_STORE
        );
    }

    #[test]
    fn content_hashes_are_cargo_leptos_names() {
        assert!(is_content_hashed("/pkg/palaver.Xb3_x-9ZyQ2bC4dE5fG6hQ.js"));
        assert!(is_content_hashed(
            "/pkg/__wasm_split.Xb3_x-9ZyQ2bC4dE5fG6hQ.js"
        ));
        for plain in [
            "/pkg/palaver.js",
            "/pkg/palaver.wasm.br",
            "/pkg/.Xb3_x-9ZyQ2bC4dE5fG6hQ.js",
            "/pkg/palaver.Xb3_x-9ZyQ2bC4dE5fG6h!.js",
            "/pkg/palaver.Xb3_x-9ZyQ2bC4dE5fG6hQQ.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_allow_list() {
        let p = OriginPolicy::new([
            "http://127.0.0.1:3000".to_owned(),
            "https://Chat.Example.com/".to_owned(),
        ]);
        assert!(!p.is_cross_site(&headers(&[("origin", "http://127.0.0.1:3000")])));
        assert!(!p.is_cross_site(&headers(&[("origin", "https://chat.example.com")])));
        assert!(p.is_cross_site(&headers(&[("origin", "https://evil.example")])));
        assert!(p.is_cross_site(&headers(&[("origin", "null")])));
        assert!(p.is_cross_site(&headers(&[("origin", "http://127.0.0.1:3001")])));
        assert!(p.is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!p.is_cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!p.is_cross_site(&headers(&[])));
    }
}
