//! The throttle every password check shares: sign-in, the current password when changing it,
//! and any later action that asks for a password (OWASP ASVS V6.3; SECURITY 4, 26, 27).
//!
//! Per account and per client address, at most `allowance` failed checks within `window`.
//! A check is counted *before* the password is hashed: it reserves a place, and the place
//! becomes a failure or is given back when the answer is known. So N checks arriving at once
//! are throttled exactly like N in a row: no more than the allowance is ever being checked or
//! has failed in a window, however many arrive together.
//!
//! governor's GCRA cannot give a cell back, which a reservation needs, so this keeps the
//! failure times itself: a short list per key, pruned as it is read.

use crate::error::CoreError;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TOO_MANY_ATTEMPTS: &str = "Too many sign-in attempts.";
/// Above this many keys, keys with nothing left in the window are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
struct KeyState {
    failures: VecDeque<Instant>,
    in_flight: u32,
}

pub struct PasswordThrottle {
    allowance: u32,
    window: Duration,
    keys: Mutex<HashMap<String, KeyState>>,
}

/// A reserved password check. Call [`Attempt::failed`] when the password was wrong; dropping
/// it otherwise (right password, or an error before the answer) gives the place back.
#[must_use = "an attempt must be resolved: failed() or dropped after a success"]
pub struct Attempt<'a> {
    throttle: &'a PasswordThrottle,
    keys: Vec<String>,
    /// When the attempt was made; a failure counts from then.
    at: Instant,
    resolved: bool,
}

impl Attempt<'_> {
    pub fn failed(mut self) {
        self.throttle.finish(&self.keys, Some(self.at));
        self.resolved = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.resolved {
            self.throttle.finish(&self.keys, None);
        }
    }
}

/// `account:<lower-cased name>` and `addr:<address>`.
fn keys(account: &str, addr: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{}", account.trim().to_lowercase())];
    if let Some(a) = addr {
        keys.push(format!("addr:{a}"));
    }
    keys
}

impl PasswordThrottle {
    pub fn new(allowance: u32, window: Duration) -> Self {
        Self {
            allowance: allowance.max(1),
            window,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves a check for `account` from `addr`, or refuses with 429 and how long until a
    /// place frees up (the oldest failure leaving the window; 1 s when only checks in flight
    /// fill it).
    pub fn attempt(&self, account: &str, addr: Option<&str>) -> Result<Attempt<'_>, CoreError> {
        self.attempt_at(account, addr, Instant::now())
    }

    fn attempt_at(
        &self,
        account: &str,
        addr: Option<&str>,
        now: Instant,
    ) -> Result<Attempt<'_>, CoreError> {
        let keys = keys(account, addr);
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > PRUNE_ABOVE {
            let window = self.window;
            map.retain(|_, s| {
                s.in_flight > 0 || s.failures.back().is_some_and(|t| now - *t < window)
            });
        }
        let mut wait = None;
        for key in &keys {
            let state = map.entry(key.clone()).or_default();
            while state
                .failures
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
            {
                state.failures.pop_front();
            }
            let used = state.failures.len() as u32 + state.in_flight;
            if used >= self.allowance {
                let until_free = match state.failures.front() {
                    Some(oldest) if state.failures.len() as u32 >= self.allowance => self
                        .window
                        .saturating_sub(now.saturating_duration_since(*oldest)),
                    _ => Duration::from_secs(1),
                };
                wait = wait.max(Some(until_free));
            }
        }
        if let Some(wait) = wait {
            return Err(CoreError::RateLimited {
                what: TOO_MANY_ATTEMPTS,
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        for key in &keys {
            map.entry(key.clone()).or_default().in_flight += 1;
        }
        Ok(Attempt {
            throttle: self,
            keys,
            at: now,
            resolved: false,
        })
    }

    fn finish(&self, keys: &[String], failed_at: Option<Instant>) {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            if let Some(state) = map.get_mut(key) {
                state.in_flight = state.in_flight.saturating_sub(1);
                if let Some(at) = failed_at {
                    state.failures.push_back(at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(900);

    #[test]
    fn checks_in_flight_count_before_any_answer() {
        let t = PasswordThrottle::new(5, WINDOW);
        let held: Vec<_> = (0..5)
            .map(|_| t.attempt("alice", Some("a")).unwrap())
            .collect();
        let err = t
            .attempt("alice", Some("b"))
            .err()
            .expect("the sixth at once is refused");
        assert!(matches!(
            err,
            CoreError::RateLimited {
                retry_after_secs: 1,
                ..
            }
        ));
        drop(held); // all five were right: their places come back
        assert!(t.attempt("alice", Some("a")).is_ok());
    }

    #[test]
    fn five_failures_lock_account_and_address_until_the_oldest_leaves_the_window() {
        let t = PasswordThrottle::new(5, WINDOW);
        let start = Instant::now();
        for i in 0..5 {
            let at = start + Duration::from_secs(i);
            t.attempt_at("Alice", Some("10.0.0.1"), at)
                .unwrap()
                .failed();
        }
        let later = start + Duration::from_secs(60);
        match t.attempt_at("alice", Some("10.0.0.9"), later) {
            Err(CoreError::RateLimited {
                retry_after_secs, ..
            }) => {
                // 900 s after the first failure at +0 s, asked at +60 s (rounded up).
                assert!(
                    (840..=841).contains(&retry_after_secs),
                    "{retry_after_secs}"
                )
            }
            other => panic!("expected a lock-out, got {:?}", other.err()),
        }
        // The address is locked for other accounts too; other addresses and accounts are not.
        assert!(t.attempt_at("bob", Some("10.0.0.1"), later).is_err());
        assert!(t.attempt_at("bob", Some("10.0.0.2"), later).is_ok());
        // Once the first failure is 15 minutes old, one place is free again.
        let after = start + WINDOW + Duration::from_millis(1);
        t.attempt_at("alice", Some("10.0.0.9"), after)
            .unwrap()
            .failed();
        assert!(t.attempt_at("alice", Some("10.0.0.9"), after).is_err());
    }
}
