//! One upload over `XMLHttpRequest`, which reports how many bytes went out (`fetch` does
//! not): `POST /api/attachments?conversation_id={id}&name={name}` with the file's bytes as
//! the body; and `DELETE /api/attachments/{id}` for a stored one taken out of the tray. Same origin, so the browser sends the session cookie and an `Origin` header
//! (the server's cross-site guard wants both). The server answers `201` with the stored
//! [`Attachment`], or an error status with `{"message": "..."}` to show as it is.

use palaver::files::{format_size, path_segment};
use palaver::model::Attachment;
use palaver::ConversationId;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{File, ProgressEvent, XmlHttpRequest};

/// How an upload ended.
#[derive(Debug)]
pub enum Outcome {
    Stored(Attachment),
    /// Refused or broken off: the sentence to show beside the file.
    Failed(String),
    /// Stopped here ([`Transfer::abort`]): nothing to show.
    Aborted,
}

/// An upload in flight.
pub struct Transfer {
    xhr: XmlHttpRequest,
    aborted: Rc<Cell<bool>>,
}

impl Transfer {
    /// Stops the upload; its `on_done` hears [`Outcome::Aborted`] (synchronously: the
    /// browser ends the request inside `abort()`).
    pub fn abort(&self) {
        self.aborted.set(true);
        let _ = self.xhr.abort();
    }
}

/// Starts uploading `file` as `name` to `conversation`. `on_progress` hears the bytes sent
/// so far; `on_done` hears the outcome once, when the request ends for whatever reason.
pub fn start(
    conversation: ConversationId,
    name: &str,
    file: &File,
    on_progress: impl Fn(u64) + 'static,
    on_done: impl FnOnce(Outcome) + 'static,
) -> Result<Transfer, String> {
    const UNAVAILABLE: &str = "This browser could not start the upload.";
    let size = file.size() as u64;
    let xhr = XmlHttpRequest::new().map_err(|_| UNAVAILABLE.to_owned())?;
    let url = format!(
        "/api/attachments?conversation_id={}&name={}",
        conversation.0,
        path_segment(name)
    );
    xhr.open_with_async("POST", &url, true)
        .map_err(|_| UNAVAILABLE.to_owned())?;
    // The server sniffs the type from the bytes; what the browser would claim is not used.
    let _ = xhr.set_request_header("Content-Type", "application/octet-stream");
    let upload = xhr.upload().map_err(|_| UNAVAILABLE.to_owned())?;
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
        on_progress(ev.loaded() as u64)
    });
    upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let aborted = Rc::new(Cell::new(false));
    let ended = {
        let xhr = xhr.clone();
        let aborted = aborted.clone();
        let name = name.to_owned();
        // `loadend` comes exactly once per request, after `load`, `error`, `abort` or
        // `timeout`; the closure frees itself after that call, and frees the progress one.
        Closure::once_into_js(move || {
            upload.set_onprogress(None);
            drop(progress);
            let outcome = if aborted.get() {
                Outcome::Aborted
            } else {
                outcome(&xhr, &name, size)
            };
            on_done(outcome);
        })
    };
    xhr.set_onloadend(Some(ended.unchecked_ref()));
    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| UNAVAILABLE.to_owned())?;
    Ok(Transfer { xhr, aborted })
}

/// What the finished request means for the file.
fn outcome(xhr: &XmlHttpRequest, name: &str, size: u64) -> Outcome {
    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
        return match serde_json::from_str::<Attachment>(&text) {
            Ok(a) => Outcome::Stored(a),
            Err(_) => Outcome::Failed("The server's answer could not be read. Retry.".into()),
        };
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    if let Ok(e) = serde_json::from_str::<ErrorBody>(&text) {
        if !e.message.trim().is_empty() {
            return Outcome::Failed(e.message);
        }
    }
    // No readable reason (a proxy's page, a dropped connection): say what the status means.
    Outcome::Failed(match status {
        0 => "The upload broke off: the connection was lost. Retry.".to_owned(),
        401 => "You are signed out. Sign in again to attach files.".to_owned(),
        403 | 404 => "You can no longer attach files here.".to_owned(),
        413 => format!(
            "{name} ({}) is larger than the server takes.",
            format_size(size)
        ),
        429 => "Too many uploads at once. Wait a moment, then retry.".to_owned(),
        _ => format!("The upload failed (HTTP {status}). Retry."),
    })
}

/// Tells the server a stored upload will not be sent after all, so it is deleted now rather
/// than after a day. Nothing waits for the answer: if it is lost, the day still runs out.
pub fn discard(id: &palaver::files::AttachmentId) {
    let Ok(xhr) = XmlHttpRequest::new() else {
        return;
    };
    if xhr
        .open_with_async("DELETE", &format!("/api/attachments/{id}"), true)
        .is_ok()
    {
        let _ = xhr.send();
    }
}
