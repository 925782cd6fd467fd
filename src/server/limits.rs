//! Abuse limits, on the `governor` crate (GCRA): per-user message, conversation-creation and
//! per-address sign-up rates, and the sign-in failure throttle per account and per address.

use crate::error::CoreError;
use crate::ids::UserId;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits, all configurable (see the server's flags).
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Messages (sends, edits, deletions) one user may post per minute.
    pub messages_per_minute: u32,
    /// Sockets one user may hold open at once.
    pub sockets_per_user: usize,
    /// Conversations one user may create per hour.
    pub conversations_per_hour: u32,
    /// Accounts one client address may create per hour.
    pub sign_ups_per_hour: u32,
    /// Failed sign-ins per account, and per client address, within `sign_in_window`.
    pub sign_in_failures: u32,
    pub sign_in_window: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            messages_per_minute: 60,
            sockets_per_user: 20,
            conversations_per_hour: 30,
            sign_ups_per_hour: 10,
            sign_in_failures: 5,
            sign_in_window: Duration::from_secs(15 * 60),
        }
    }
}

/// `n` events per `window`, all of which may come at once (burst `n`), refilling evenly.
fn quota(n: u32, window: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = (window / n.get()).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

/// A keyed limiter whose state for idle keys is dropped now and then, so that many distinct
/// keys (addresses) cannot grow memory without bound.
struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    what: &'static str,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(n: u32, window: Duration, what: &'static str) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota(n, window)),
            what,
        }
    }

    fn check(&self, key: &K) -> Result<(), CoreError> {
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            rate_limited(
                self.what,
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })
    }
}

fn rate_limited(what: &'static str, wait: Duration) -> CoreError {
    CoreError::RateLimited {
        what,
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    }
}

/// Failed sign-ins: each failure takes a cell from the key's bucket; once a key has used
/// its whole burst it is locked until a cell refills, and every attempt (even with the right
/// password) is refused meanwhile. governor has no "peek", so the lock-out instants it
/// reports are remembered here.
struct FailureThrottle {
    limiter: RateLimiter<
        String,
        governor::state::keyed::DefaultKeyedStateStore<String>,
        DefaultClock,
        StateInformationMiddleware,
    >,
    locked: Mutex<HashMap<String, Instant>>,
    period: Duration,
}

impl FailureThrottle {
    fn new(n: u32, window: Duration) -> Self {
        let q = quota(n, window);
        Self {
            limiter: RateLimiter::keyed(q).with_middleware::<StateInformationMiddleware>(),
            locked: Mutex::new(HashMap::new()),
            period: q.replenish_interval(),
        }
    }

    fn locked_for(&self, key: &str) -> Option<Duration> {
        let mut locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if locked.len() > 10_000 {
            locked.retain(|_, until| *until > now);
        }
        match locked.get(key) {
            Some(until) if *until > now => Some(*until - now),
            Some(_) => {
                locked.remove(key);
                None
            }
            None => None,
        }
    }

    fn failed(&self, key: &str) {
        let key = key.to_owned();
        let wait = match self.limiter.check_key(&key) {
            Ok(snapshot) if snapshot.remaining_burst_capacity() == 0 => self.period,
            Ok(_) => return,
            Err(not_until) => not_until
                .wait_time_from(DefaultClock::default().now())
                .max(Duration::from_secs(1)),
        };
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Instant::now() + wait);
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
    }
}

pub struct Limits {
    pub config: LimitsConfig,
    messages: Keyed<UserId>,
    conversations: Keyed<UserId>,
    sign_ups: Keyed<String>,
    sign_in: FailureThrottle,
}

const TOO_MANY_ATTEMPTS: &str = "Too many sign-in attempts.";

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        Self {
            messages: Keyed::new(
                config.messages_per_minute,
                Duration::from_secs(60),
                "You are sending messages too fast.",
            ),
            conversations: Keyed::new(
                config.conversations_per_hour,
                Duration::from_secs(3600),
                "You have created too many conversations in the last hour.",
            ),
            sign_ups: Keyed::new(
                config.sign_ups_per_hour,
                Duration::from_secs(3600),
                "Too many accounts were created from your network in the last hour.",
            ),
            sign_in: FailureThrottle::new(config.sign_in_failures, config.sign_in_window),
            config,
        }
    }

    pub fn message(&self, user: UserId) -> Result<(), CoreError> {
        self.messages.check(&user)
    }

    pub fn conversation(&self, user: UserId) -> Result<(), CoreError> {
        self.conversations.check(&user)
    }

    pub fn sign_up(&self, addr: Option<&str>) -> Result<(), CoreError> {
        match addr {
            Some(a) => self.sign_ups.check(&a.to_owned()),
            None => Ok(()),
        }
    }

    /// Refuses a sign-in attempt while its account or address is locked out.
    pub fn sign_in_allowed(&self, account: &str, addr: Option<&str>) -> Result<(), CoreError> {
        let keys = sign_in_keys(account, addr);
        match keys.iter().filter_map(|k| self.sign_in.locked_for(k)).max() {
            Some(wait) => Err(rate_limited(TOO_MANY_ATTEMPTS, wait)),
            None => Ok(()),
        }
    }

    pub fn sign_in_failed(&self, account: &str, addr: Option<&str>) {
        for key in sign_in_keys(account, addr) {
            self.sign_in.failed(&key);
        }
    }
}

fn sign_in_keys(account: &str, addr: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{}", account.trim().to_lowercase())];
    if let Some(a) = addr {
        keys.push(format!("addr:{a}"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_in_the_window_locks_the_account_and_address() {
        let limits = Limits::new(LimitsConfig::default());
        for _ in 0..5 {
            assert!(limits.sign_in_allowed("Alice", Some("10.0.0.1")).is_ok());
            limits.sign_in_failed("alice", Some("10.0.0.1"));
        }
        let err = limits
            .sign_in_allowed("alice", Some("10.0.0.9"))
            .unwrap_err();
        match err {
            CoreError::RateLimited {
                retry_after_secs, ..
            } => assert!((60..=180).contains(&retry_after_secs), "{retry_after_secs}"),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        // The address is locked for other accounts too; other addresses and accounts are not.
        assert!(limits.sign_in_allowed("bob", Some("10.0.0.1")).is_err());
        assert!(limits.sign_in_allowed("bob", Some("10.0.0.2")).is_ok());
    }

    #[test]
    fn message_rate_refuses_the_burst_plus_one_and_says_how_long_to_wait() {
        let limits = Limits::new(LimitsConfig {
            messages_per_minute: 3,
            ..LimitsConfig::default()
        });
        let user = UserId(1);
        for _ in 0..3 {
            limits.message(user).unwrap();
        }
        let err = limits.message(user).unwrap_err();
        assert!(err.to_string().contains("too fast"), "{err}");
        assert!(
            matches!(err, CoreError::RateLimited { retry_after_secs, .. } if (1..=20).contains(&retry_after_secs))
        );
        assert!(limits.message(UserId(2)).is_ok());
    }
}
