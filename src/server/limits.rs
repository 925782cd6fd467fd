//! Abuse limits of one node. Rates are on the `governor` crate (GCRA): per-user messages,
//! conversation creation, every client frame kind and every state-changing call. In a
//! cluster they hold per node. The limits that must hold across nodes (failed password
//! checks, sign-ups per address) are counted in the store (`chat::throttle`), before the
//! work (SECURITY 26-28).

use crate::error::CoreError;
use crate::ids::ConversationId;
use crate::ids::UserId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

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
    /// Multiplies the fixed per-kind rates ([`rates`]): 1 in production. Test suites that
    /// drive one user much harder than a person would raise it; the limits' own tests keep 1.
    pub rate_scale: u32,
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
            rate_scale: 1,
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

/// The fixed per-kind limits (not flags: they bound abuse, not use; README "Limits").
/// `(events, window)`: that many at once, refilling evenly over the window.
pub mod rates {
    use std::time::Duration;
    /// `typing` frames broadcast per user and conversation: one per 3 s, with a burst of 2
    /// so the client's own 3-second rhythm never trips it; more are dropped without an
    /// answer.
    pub const TYPING: (u32, Duration) = (2, Duration::from_secs(6));
    /// `read` frames per user: 30 at once, 2 per second.
    pub const READ: (u32, Duration) = (30, Duration::from_secs(15));
    /// `sync` frames per user: 10 at once, one every 3 s. Each answers at most `SYNC_BATCH`
    /// messages, so one socket cannot make the server send more than 10 x 200 at once.
    pub const SYNC: (u32, Duration) = (10, Duration::from_secs(30));
    /// Token renewals per user: 10 at once, one every 30 s (tokens live 10 minutes).
    pub const RENEW: (u32, Duration) = (10, Duration::from_secs(300));
    /// Joins and leaves per user (each writes a timeline event): 20 per 10 minutes.
    pub const MEMBERSHIP: (u32, Duration) = (20, Duration::from_secs(600));
    /// Invite links created per user: 30 per hour.
    pub const INVITES: (u32, Duration) = (30, Duration::from_secs(3600));
    /// Searches per user: 30 at once, one every 2 s. A search reads at most
    /// `SEARCH_SCAN` candidate messages, so this bounds the database work one user causes.
    pub const SEARCHES: (u32, Duration) = (30, Duration::from_secs(60));
    /// Every other state-changing call per user (roles, removals, renames, bans, sessions,
    /// deletions): 60 at once, one per second.
    pub const ACTIONS: (u32, Duration) = (60, Duration::from_secs(60));
    /// Uploads started per user: 30 at once, one every 2 s (a dragged folder of screenshots
    /// goes through; a script filling the disk does not). Counted before the body is read.
    pub const UPLOADS: (u32, Duration) = (30, Duration::from_secs(60));
    /// Exports started per user (their account's data, a conversation's events): 5 at once,
    /// one every 2 minutes. Each reads a whole conversation or account.
    pub const EXPORTS: (u32, Duration) = (5, Duration::from_secs(600));
}

pub struct Limits {
    pub config: LimitsConfig,
    messages: Keyed<UserId>,
    conversations: Keyed<UserId>,
    typing: Keyed<(UserId, ConversationId)>,
    reads: Keyed<UserId>,
    syncs: Keyed<UserId>,
    renewals: Keyed<UserId>,
    membership: Keyed<UserId>,
    invites: Keyed<UserId>,
    actions: Keyed<UserId>,
    searches: Keyed<UserId>,
    uploads: Keyed<UserId>,
    exports: Keyed<UserId>,
}

fn keyed<K: Hash + Eq + Clone>(
    (n, window): (u32, Duration),
    scale: u32,
    what: &'static str,
) -> Keyed<K> {
    Keyed::new(n.saturating_mul(scale.max(1)), window, what)
}

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
            typing: keyed(
                rates::TYPING,
                config.rate_scale,
                "Typing notices are sent too often.",
            ),
            reads: keyed(
                rates::READ,
                config.rate_scale,
                "Read positions are sent too often.",
            ),
            syncs: keyed(
                rates::SYNC,
                config.rate_scale,
                "You are catching up too often.",
            ),
            renewals: keyed(
                rates::RENEW,
                config.rate_scale,
                "Tokens are renewed too often.",
            ),
            membership: keyed(
                rates::MEMBERSHIP,
                config.rate_scale,
                "You are joining and leaving too often.",
            ),
            invites: keyed(
                rates::INVITES,
                config.rate_scale,
                "You have created too many invite links.",
            ),
            actions: keyed(
                rates::ACTIONS,
                config.rate_scale,
                "You are making changes too fast.",
            ),
            searches: keyed(
                rates::SEARCHES,
                config.rate_scale,
                "You are searching too often.",
            ),
            uploads: keyed(
                rates::UPLOADS,
                config.rate_scale,
                "You are uploading files too fast.",
            ),
            exports: keyed(
                rates::EXPORTS,
                config.rate_scale,
                "You have started too many exports.",
            ),
            config,
        }
    }

    pub fn message(&self, user: UserId) -> Result<(), CoreError> {
        self.messages.check(&user)
    }

    pub fn conversation(&self, user: UserId) -> Result<(), CoreError> {
        self.conversations.check(&user)
    }

    /// False when this typing notice comes too soon after the last one (drop it quietly).
    pub fn typing(&self, user: UserId, conversation: ConversationId) -> bool {
        self.typing.check(&(user, conversation)).is_ok()
    }

    pub fn read(&self, user: UserId) -> Result<(), CoreError> {
        self.reads.check(&user)
    }

    pub fn sync(&self, user: UserId) -> Result<(), CoreError> {
        self.syncs.check(&user)
    }

    pub fn renew(&self, user: UserId) -> Result<(), CoreError> {
        self.renewals.check(&user)
    }

    pub fn membership(&self, user: UserId) -> Result<(), CoreError> {
        self.membership.check(&user)
    }

    pub fn invite(&self, user: UserId) -> Result<(), CoreError> {
        self.invites.check(&user)
    }

    pub fn action(&self, user: UserId) -> Result<(), CoreError> {
        self.actions.check(&user)
    }

    pub fn export(&self, user: UserId) -> Result<(), CoreError> {
        self.exports.check(&user)
    }

    pub fn search(&self, user: UserId) -> Result<(), CoreError> {
        self.searches.check(&user)
    }

    pub fn upload(&self, user: UserId) -> Result<(), CoreError> {
        self.uploads.check(&user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_is_one_per_conversation_per_window() {
        let limits = Limits::new(LimitsConfig::default());
        let (u, c) = (UserId(1), ConversationId(1));
        assert!(limits.typing(u, c));
        assert!(limits.typing(u, c));
        assert!(!limits.typing(u, c));
        assert!(limits.typing(u, ConversationId(2)));
        assert!(limits.typing(UserId(2), c));
    }

    #[test]
    fn every_frame_kind_refuses_past_its_burst() {
        let limits = Limits::new(LimitsConfig::default());
        let u = UserId(7);
        type Check = fn(&Limits, UserId) -> Result<(), CoreError>;
        let kinds: [(&str, Check, u32); 7] = [
            ("read", Limits::read, rates::READ.0),
            ("sync", Limits::sync, rates::SYNC.0),
            ("renew", Limits::renew, rates::RENEW.0),
            ("membership", Limits::membership, rates::MEMBERSHIP.0),
            ("invite", Limits::invite, rates::INVITES.0),
            ("action", Limits::action, rates::ACTIONS.0),
            ("search", Limits::search, rates::SEARCHES.0),
        ];
        for (name, check, burst) in kinds {
            for i in 0..burst {
                assert!(check(&limits, u).is_ok(), "{name} #{i}");
            }
            assert!(
                matches!(check(&limits, u), Err(CoreError::RateLimited { .. })),
                "{name} past its burst"
            );
        }
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
