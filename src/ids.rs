//! Identifier newtypes, so a user id can never be passed where a conversation id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A user's database id.
    UserId
);
id_type!(
    /// A conversation's database id.
    ConversationId
);

id_type!(
    /// An invite link's database id (never its code, which only its creator ever sees).
    InviteId
);
id_type!(
    /// An event's position in its conversation's sequence: 1, 2, 3, ... with no gaps.
    /// [`Seq::ZERO`] means "before the first event" (nothing read, nothing sent yet).
    Seq
);

impl Seq {
    /// Before the first event.
    pub const ZERO: Seq = Seq(0);

    /// The position right after this one.
    pub fn next(self) -> Seq {
        self.plus(1)
    }

    /// The position `n` events later (earlier if `n` is negative).
    pub fn plus(self, n: i64) -> Seq {
        Seq(self.0 + n)
    }

    /// How many events lie after `earlier` up to and including `self` (0 if none).
    pub fn since(self, earlier: Seq) -> i64 {
        (self.0 - earlier.0).max(0)
    }
}

/// A session's id: an opaque random string (128 bits, URL-safe base64), shown to its owner
/// in the sessions list and named in the JWT's `sid` claim. Never a credential by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct SessionId(pub String);

impl SessionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
