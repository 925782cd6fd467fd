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
    #[error("This invite link is invalid, has expired, has been used up or was revoked.")]
    InviteInvalid,
    /// The caller's role does not allow the action; the message names what is needed.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("This conversation is full: it has reached its limit of {0} members.")]
    ConversationFull(i64),
    #[error("This conversation is not a public room.")]
    NotPublic,
    #[error("Your current password is wrong.")]
    WrongPassword,
    /// A rate limit: `what` says what was throttled, the caller may retry after the wait.
    #[error("{what} Please slow down and try again in {}.", wait_text(*retry_after_secs))]
    RateLimited {
        what: &'static str,
        retry_after_secs: u64,
    },
    /// Too much expensive work is waiting (password hashing): try again shortly.
    #[error("The server is busy. Please try again in {}.", wait_text(*retry_after_secs))]
    Busy { retry_after_secs: u64 },
    #[error(
        "That username looks like an existing one ({0}); choose one that people can tell apart."
    )]
    UsernameLookalike(String),
    #[error("You were removed from this conversation. An owner or admin must lift the ban before you can join again.")]
    Banned,
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        CoreError::Internal(e.to_string())
    }
}

/// "1 second", "40 seconds", "3 minutes".
pub fn wait_text(secs: u64) -> String {
    match secs {
        0 | 1 => "1 second".to_owned(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}
