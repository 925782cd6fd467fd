//! The error every server function returns: serializable, with a user-facing message. Internal
//! detail never crosses the wire; it is logged on the server.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never got a proper answer (network down, server restarting).
    #[error("Could not reach the server. Check your connection and try again.")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
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
                AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    }

    impl From<CoreError> for AppError {
        fn from(e: CoreError) -> Self {
            let app = match e {
                CoreError::Invalid(v) => AppError::Invalid(v.to_string()),
                CoreError::UsernameTaken => AppError::Conflict(e.to_string()),
                CoreError::BadCredentials => AppError::BadCredentials,
                CoreError::Unauthenticated => AppError::Unauthenticated,
                CoreError::NotMember => AppError::Forbidden(e.to_string()),
                CoreError::NotFound(_) | CoreError::InviteInvalid => AppError::NotFound(e.to_string()),
                CoreError::Internal(detail) => {
                    tracing::error!(error = %detail, "internal error in server function");
                    AppError::Internal
                }
            };
            // Give HTTP clients a status that matches; the JSON body carries the message.
            if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(app.status());
            }
            app
        }
    }
}
