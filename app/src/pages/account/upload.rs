//! Sending a new avatar: `POST /api/profile/avatar` with the picture's bytes as the body,
//! over `XMLHttpRequest` (same origin, so the browser adds the session cookie and the `Origin`
//! header the server's cross-site guard wants). The server answers `200` with the new
//! [`Profile`] as JSON, or an error status with `{"message": "..."}` (413 too large, 400 not
//! a picture or too many pixels, 429 too many uploads), shown as it is.

use palaver::model::Profile;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{File, XmlHttpRequest};

const UNAVAILABLE: &str = "This browser could not start the upload.";

/// Uploads `file` as the signed-in user's avatar: the new profile, or the sentence to show.
pub async fn upload_avatar(file: &File) -> Result<Profile, String> {
    let xhr = XmlHttpRequest::new().map_err(|_| UNAVAILABLE.to_owned())?;
    xhr.open_with_async("POST", "/api/profile/avatar", true)
        .map_err(|_| UNAVAILABLE.to_owned())?;
    // The server reads the type from the bytes; what the browser would claim is not used.
    let _ = xhr.set_request_header("Content-Type", "application/octet-stream");
    let (done, answer) = futures::channel::oneshot::channel();
    // `loadend` comes once per request, after `load`, `error`, `abort` or `timeout`; the
    // closure frees itself after that call.
    let ended = {
        let xhr = xhr.clone();
        Closure::once_into_js(move || {
            let _ = done.send(outcome(&xhr));
        })
    };
    xhr.set_onloadend(Some(ended.unchecked_ref()));
    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| UNAVAILABLE.to_owned())?;
    answer
        .await
        .unwrap_or_else(|_| Err("The upload broke off. Try again.".to_owned()))
}

/// What the finished request means.
fn outcome(xhr: &XmlHttpRequest) -> Result<Profile, String> {
    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
        return serde_json::from_str::<Profile>(&text)
            .map_err(|_| "The server's answer could not be read. Reload the page.".to_owned());
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    if let Ok(e) = serde_json::from_str::<ErrorBody>(&text) {
        if !e.message.trim().is_empty() {
            return Err(e.message);
        }
    }
    // No readable reason (a proxy's page, a dropped connection): say what the status means.
    Err(match status {
        0 => "The upload broke off: the connection was lost. Try again.".to_owned(),
        401 => "You are signed out. Sign in again to change your picture.".to_owned(),
        413 => "This picture is larger than the server takes.".to_owned(),
        429 => "Too many uploads at once. Wait a moment, then try again.".to_owned(),
        _ => format!("The upload failed (HTTP {status}). Try again."),
    })
}
