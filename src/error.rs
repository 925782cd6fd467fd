//! The core's error type. User-facing variants carry a specific message; `Internal` carries
//! detail for the log only and is shown to users as a short generic message.

use crate::protocol::ErrorCode;
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
    /// An instance admin disabled the account: sign-in is refused with this, after the
    /// password was found right (a wrong one still answers `BadCredentials`).
    #[error("This account has been disabled. Ask an administrator of this Palaver to enable it.")]
    AccountDisabled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        CoreError::Internal(e.to_string())
    }

    /// The code a WebSocket `error` frame carries for this error: one mapping, kept beside
    /// the variants so a new one cannot compile without a code. Clients branch on the code
    /// and show the message.
    /// - `Forbidden`: the caller may not do this (a ban, a role, someone else's message, a
    ///   full conversation, a wrong current password).
    /// - `NotFound`: it does not exist for the caller, or no longer (a spent invite, a room
    ///   that is not public: no more is revealed than that).
    /// - `InvalidMessage`: the input breaks a rule, a taken or look-alike name included.
    /// - `RateLimited`: any wait, a rate limit or a busy server; the frame carries
    ///   `retry_after_secs`.
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Invalid(_) | CoreError::UsernameTaken | CoreError::UsernameLookalike(_) => {
                ErrorCode::InvalidMessage
            }
            CoreError::BadCredentials | CoreError::Unauthenticated => ErrorCode::Unauthenticated,
            CoreError::AccountDisabled => ErrorCode::AccountDisabled,
            CoreError::NotMember => ErrorCode::NotMember,
            CoreError::NotYours
            | CoreError::OwnerCannotLeave
            | CoreError::Forbidden(_)
            | CoreError::ConversationFull(_)
            | CoreError::WrongPassword
            | CoreError::Banned => ErrorCode::Forbidden,
            CoreError::NotFound(_) | CoreError::InviteInvalid | CoreError::NotPublic => {
                ErrorCode::NotFound
            }
            CoreError::RateLimited { .. } | CoreError::Busy { .. } => ErrorCode::RateLimited,
            CoreError::Internal(_) => ErrorCode::Internal,
        }
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
