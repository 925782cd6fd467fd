//! Time as the core stores and sends it.
//!
//! [`Timestamp`] is the one timestamp type: Unix milliseconds, UTC, in the database, in the
//! views and on the wire. Seconds appear only at the JWT edge (RFC 7519 NumericDate for
//! `exp`, `iat`, `nbf`), converted by [`Timestamp::from_unix_secs`] and
//! [`Timestamp::unix_secs`]; the browser formats timestamps in the reader's time zone.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds in a day (UTC days: no leap seconds in Unix time).
pub const DAY_MS: i64 = 86_400_000;

/// A point in time: milliseconds since the Unix epoch, UTC. Serialised as a plain integer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "server", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The epoch itself; also what a clock before 1970 reads as.
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// From an RFC 7519 NumericDate (whole seconds).
    pub const fn from_unix_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    /// As an RFC 7519 NumericDate: whole seconds, rounded down.
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// `ms` milliseconds later (earlier if negative), saturating at the ends of `i64`.
    pub const fn plus_ms(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`; negative if `earlier` is later.
    pub const fn ms_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The server's clock now. (Not in the browser: `std`'s clock panics on wasm32.)
    #[cfg(feature = "server")]
    pub fn now() -> Self {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| Timestamp(d.as_millis() as i64))
            .unwrap_or(Timestamp::EPOCH)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn seconds_convert_only_at_whole_seconds_rounding_down() {
        assert_eq!(
            Timestamp::from_unix_secs(1_700_000_000).as_millis(),
            1_700_000_000_000
        );
        assert_eq!(
            Timestamp::from_millis(1_700_000_000_999).unix_secs(),
            1_700_000_000
        );
        assert_eq!(Timestamp::from_millis(-1).unix_secs(), -1);
        assert_eq!(Timestamp::from_unix_secs(i64::MAX), Timestamp(i64::MAX));
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(Timestamp(i64::MAX).plus_ms(1), Timestamp(i64::MAX));
        assert_eq!(Timestamp(10).ms_since(Timestamp(4)), 6);
        assert_eq!(Timestamp(4).ms_since(Timestamp(10)), -6);
    }

    #[test]
    fn serialises_as_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Timestamp(5)).unwrap(), "5");
        assert_eq!(
            serde_json::from_str::<Timestamp>("7").unwrap(),
            Timestamp(7)
        );
    }
}
