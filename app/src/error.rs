//! The error every server function returns: serializable, with a user-facing message. Internal
//! detail never crosses the wire; it is logged on the server.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// On the wire: `{"code": "not_found", "message": "Conversation not found."}`, so that any
/// HTTP client can show the message and branch on the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
pub enum AppError {
    /// Bad input: the message says what is wrong.
    #[error("{0}")]
    Invalid(String),
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A rate limit: the message says what and for how long.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// The server is overloaded for a moment: the message says when to retry.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never got a proper answer (network down, server restarting).
    #[error("Could not reach the server. Check your connection and try again.")]
    Transport(String),
}

#[derive(Serialize, Deserialize)]
struct WireError {
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy { .. } => "busy",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

impl From<AppError> for WireError {
    fn from(e: AppError) -> Self {
        WireError {
            code: e.code().to_owned(),
            message: e.to_string(),
            retry_after_secs: match e {
                AppError::RateLimited {
                    retry_after_secs, ..
                }
                | AppError::Busy {
                    retry_after_secs, ..
                } => Some(retry_after_secs),
                _ => None,
            },
        }
    }
}

impl From<WireError> for AppError {
    fn from(w: WireError) -> Self {
        match w.code.as_str() {
            "invalid" => AppError::Invalid(w.message),
            "unauthenticated" => AppError::Unauthenticated,
            "bad_credentials" => AppError::BadCredentials,
            "forbidden" => AppError::Forbidden(w.message),
            "not_found" => AppError::NotFound(w.message),
            "conflict" => AppError::Conflict(w.message),
            "rate_limited" => AppError::RateLimited {
                message: w.message,
                retry_after_secs: w.retry_after_secs.unwrap_or(1),
            },
            "busy" => AppError::Busy {
                message: w.message,
                retry_after_secs: w.retry_after_secs.unwrap_or(1),
            },
            "internal" => AppError::Internal,
            _ => AppError::Transport(w.message),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Arguments that do not parse are the client's mistake: 422, not the 500 server_fn
        // would answer by default.
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::MissingArg(_)
        ) {
            ssr::error_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::Invalid(format!("The request was malformed: {m}"))
            }
            ServerFnErrorErr::MissingArg(m) => AppError::Invalid(format!("Missing field: {m}")),
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Transport(m),
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::error_status;

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use http::StatusCode;
    use palaver::CoreError;

    impl AppError {
        pub fn status(&self) -> StatusCode {
            match self {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    }

    fn retry_after(secs: u64) {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.insert_header(http::header::RETRY_AFTER, secs.into());
        }
    }

    /// Sets the error's HTTP status, except on a plain form post (a browser before the app
    /// has hydrated, `Accept: text/html` with a `Referer`): leptos_axum answers that with a
    /// redirect back to the page carrying the error, which the page then shows, and a status
    /// set here would replace the redirect with a raw JSON body.
    pub fn error_status(status: StatusCode) {
        use leptos::prelude::use_context;
        let plain_form = use_context::<http::request::Parts>().is_some_and(|p| {
            p.headers.contains_key(http::header::REFERER)
                && p.headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|a| a.contains("text/html"))
        });
        if plain_form {
            return;
        }
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
    }

    impl From<CoreError> for AppError {
        fn from(e: CoreError) -> Self {
            let app = match e {
                CoreError::Invalid(v) => AppError::Invalid(v.to_string()),
                CoreError::UsernameTaken | CoreError::UsernameLookalike(_) => {
                    AppError::Conflict(e.to_string())
                }
                CoreError::BadCredentials => AppError::BadCredentials,
                CoreError::Unauthenticated => AppError::Unauthenticated,
                CoreError::NotMember
                | CoreError::NotYours
                | CoreError::OwnerCannotLeave
                | CoreError::Forbidden(_)
                | CoreError::WrongPassword
                | CoreError::AccountDisabled
                | CoreError::Banned => AppError::Forbidden(e.to_string()),
                CoreError::NotFound(_) | CoreError::InviteInvalid | CoreError::NotPublic => {
                    AppError::NotFound(e.to_string())
                }
                CoreError::ConversationFull(_) => AppError::Conflict(e.to_string()),
                CoreError::RateLimited {
                    retry_after_secs, ..
                } => {
                    retry_after(retry_after_secs);
                    AppError::RateLimited {
                        message: e.to_string(),
                        retry_after_secs,
                    }
                }
                CoreError::Busy { retry_after_secs } => {
                    retry_after(retry_after_secs);
                    AppError::Busy {
                        message: e.to_string(),
                        retry_after_secs,
                    }
                }
                CoreError::Internal(detail) => {
                    tracing::error!(error = %detail, "internal error in server function");
                    AppError::Internal
                }
            };
            // Give HTTP clients a status that matches; the JSON body carries the message.
            error_status(app.status());
            app
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn errors_travel_as_code_and_message_and_come_back_intact() {
        for e in [
            AppError::Invalid("Title must not be empty.".into()),
            AppError::Unauthenticated,
            AppError::BadCredentials,
            AppError::Forbidden("no".into()),
            AppError::NotFound("gone".into()),
            AppError::Conflict("taken".into()),
            AppError::RateLimited {
                message: "Slow down.".into(),
                retry_after_secs: 42,
            },
            AppError::Internal,
        ] {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["code"], e.code());
            assert_eq!(json["message"], e.to_string());
            assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), e);
        }
    }
}
