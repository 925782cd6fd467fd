//! The core's error type. User-facing variants carry a specific message; `Internal` carries
//! detail for the log only and is shown to users as a short generic message.

use crate::validate::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("You are not a member of this conversation.")]
    NotMember,
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("You can only change your own messages, and deleted messages stay deleted.")]
    NotYours,
    #[error("The owner cannot leave the conversation.")]
    OwnerCannotLeave,
    #[error("This invite link is invalid or has been revoked.")]
    InviteInvalid,
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        CoreError::Internal(e.to_string())
    }
}
