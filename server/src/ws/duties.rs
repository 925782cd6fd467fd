//! A socket's timed duties on one timer: the next ping, the next session re-check and the
//! token's expiry. One timer instead of three: a fan-out wakes every socket for every event,
//! and each wake polled all three (2-3% of a 1,000-socket fan-out's CPU; `make profile`),
//! and each open socket held three timer entries instead of one.
//!
//! The schedule is a pure rule over instants, so its tests never sleep.

use palaver::Timestamp;
use std::time::Duration;
use tokio::time::Instant;

/// The monotonic instant of wall-clock time `at` (now if it has passed): a token's expiry.
pub(super) fn instant_of(at: Timestamp) -> Instant {
    Instant::now() + Duration::from_millis(at.ms_since(Timestamp::now()).max(0) as u64)
}

/// What is due when the timer fires (several may be at once).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Due {
    /// The token has expired: the socket closes (nothing else matters then).
    pub expired: bool,
    /// Time to ping (and to drop a client that has gone quiet).
    pub ping: bool,
    /// Time to re-check that the session is still signed in.
    pub session_check: bool,
}

pub(super) struct Duties {
    ping_every: Duration,
    check_every: Duration,
    ping_at: Instant,
    check_at: Instant,
    expires_at: Instant,
}

impl Duties {
    /// Duties of a socket opened at `now`: the first ping and session check come one period
    /// later, not at once (the handshake has just checked the session); the token expires
    /// at `expires_at`.
    pub(super) fn new(
        now: Instant,
        ping_every: Duration,
        check_every: Duration,
        expires_at: Instant,
    ) -> Self {
        Self {
            ping_every,
            check_every,
            ping_at: now + ping_every,
            check_at: now + check_every,
            expires_at,
        }
    }

    /// When the timer must fire next: the earliest duty.
    pub(super) fn next(&self) -> Instant {
        self.ping_at.min(self.check_at).min(self.expires_at)
    }

    /// The token was renewed: it now expires at `expires_at`.
    pub(super) fn renewed(&mut self, expires_at: Instant) {
        self.expires_at = expires_at;
    }

    /// What is due at `now`, each periodic duty then rescheduled one period after `now` (a
    /// late wake delays the next one rather than bunching them up, as tokio's
    /// `MissedTickBehavior::Delay`).
    pub(super) fn due(&mut self, now: Instant) -> Due {
        let due = Due {
            expired: now >= self.expires_at,
            ping: now >= self.ping_at,
            session_check: now >= self.check_at,
        };
        if due.ping {
            self.ping_at = now + self.ping_every;
        }
        if due.session_check {
            self.check_at = now + self.check_every;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: Duration = Duration::from_secs(25);
    const CHECK: Duration = Duration::from_secs(15);

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn nothing_is_due_at_once_and_the_earliest_duty_sets_the_timer() {
        let t0 = Instant::now();
        let mut d = Duties::new(t0, PING, CHECK, at(t0, 3600));
        assert_eq!(d.due(t0), Due::default());
        assert_eq!(d.next(), at(t0, 15));
        let due = d.due(at(t0, 15));
        assert_eq!(
            due,
            Due {
                session_check: true,
                ..Due::default()
            }
        );
        // The check moved on; the ping is now the earliest.
        assert_eq!(d.next(), at(t0, 25));
        assert!(d.due(at(t0, 25)).ping);
        assert_eq!(d.next(), at(t0, 30));
    }

    #[test]
    fn duties_due_together_are_all_reported_and_a_late_wake_does_not_bunch_them() {
        let t0 = Instant::now();
        let mut d = Duties::new(t0, PING, CHECK, at(t0, 3600));
        // Woken long after both were due: each once, then a full period from now.
        let due = d.due(at(t0, 100));
        assert!(due.ping && due.session_check && !due.expired);
        assert_eq!(d.next(), at(t0, 115));
        assert_eq!(d.due(at(t0, 101)), Due::default());
    }

    #[test]
    fn expiry_fires_the_timer_and_a_renewal_moves_it() {
        let t0 = Instant::now();
        let mut d = Duties::new(t0, PING, CHECK, at(t0, 10));
        assert_eq!(d.next(), at(t0, 10));
        assert!(!d.due(at(t0, 9)).expired);
        d.renewed(at(t0, 70));
        assert_eq!(
            d.next(),
            at(t0, 15),
            "the session check comes before the new expiry"
        );
        assert!(!d.due(at(t0, 10)).expired);
        assert!(d.due(at(t0, 70)).expired);
    }
}
