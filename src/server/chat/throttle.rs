//! The limits every node of a cluster shares, counted in the store ([`ThrottleStore`]):
//! failed password checks per account and per client address (OWASP ASVS V6.3; SECURITY 4,
//! 26, 27) and accounts created per client address. Kept in one node's memory, N nodes
//! behind a load balancer would give an attacker N times the allowance (issue 13).
//!
//! A place is taken *before* the work (before the password is hashed, before the account is
//! created) and then counted or given back, so N checks arriving at once, on one node or
//! several, are throttled exactly like N in a row.

use super::*;
use crate::server::store::Places;

/// A place not settled within this long (its node died mid-check) no longer holds, in ms.
const HELD_FOR_MS: i64 = 60_000;
const TOO_MANY_ATTEMPTS: &str = "Too many sign-in attempts.";
const TOO_MANY_SIGN_UPS: &str =
    "Too many accounts were created from your network in the last hour.";
const HOUR_MS: i64 = 3_600_000;

/// A place taken under a shared limit. [`Place::count`] it when the attempt counts (a wrong
/// password, an account created); dropping it otherwise gives it back.
#[must_use = "a place is counted or given back"]
pub struct Place {
    store: Arc<dyn Store>,
    ids: Vec<i64>,
}

impl Place {
    /// Counts the attempt toward its limits, from now.
    pub async fn count(mut self) {
        let ids = std::mem::take(&mut self.ids);
        if let Err(e) = self.store.settle_places(&ids, true, Timestamp::now()).await {
            tracing::error!(error = %e, "a counted attempt was not recorded");
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        // Given back off the caller's path; if that fails too, the place stops holding
        // after HELD_FOR_MS anyway.
        let (store, ids) = (self.store.clone(), std::mem::take(&mut self.ids));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = store.settle_places(&ids, false, Timestamp::now()).await;
            });
        }
    }
}

/// `account:<case-folded name>` and `addr:<address>`.
fn password_keys(account: &str, addr: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{}", account.trim().to_lowercase())];
    if let Some(a) = addr {
        keys.push(format!("addr:{a}"));
    }
    keys
}

impl Chat {
    /// Takes a place under each of `keys`, or refuses with 429 and how long until one frees
    /// up (the oldest counted attempt leaving `window_ms`; 1 s when checks in flight fill it).
    async fn take_place(
        &self,
        keys: Vec<String>,
        allowance: u32,
        window_ms: i64,
        what: &'static str,
    ) -> Result<Place, CoreError> {
        let now = Timestamp::now();
        let places = self
            .store
            .take_places(
                &keys,
                i64::from(allowance.max(1)),
                Timestamp(now.0 - window_ms),
                Timestamp(now.0 - HELD_FOR_MS),
                now,
            )
            .await?;
        match places {
            Places::Taken(ids) => Ok(Place {
                store: self.store.clone(),
                ids,
            }),
            Places::Full { oldest } => {
                let wait_ms = oldest.map_or(1_000, |t| t.0 + window_ms - now.0);
                Err(CoreError::RateLimited {
                    what,
                    retry_after_secs: (wait_ms.max(1_000) as u64).div_ceil(1_000),
                })
            }
        }
    }

    /// One password check of `account` from `addr` (see the module).
    pub(super) async fn password_place(
        &self,
        account: &str,
        addr: Option<&str>,
    ) -> Result<Place, CoreError> {
        let limits = &self.config.limits;
        self.take_place(
            password_keys(account, addr),
            limits.sign_in_failures,
            limits.sign_in_window.as_millis() as i64,
            TOO_MANY_ATTEMPTS,
        )
        .await
    }

    /// One account created from `addr`; None when the address is unknown.
    pub(super) async fn sign_up_place(
        &self,
        addr: Option<&str>,
    ) -> Result<Option<Place>, CoreError> {
        let Some(addr) = addr else { return Ok(None) };
        self.take_place(
            vec![format!("sign_up:{addr}")],
            self.config.limits.sign_ups_per_hour,
            HOUR_MS,
            TOO_MANY_SIGN_UPS,
        )
        .await
        .map(Some)
    }

    /// Deletes places no limit looks at any more (retention's hourly pass).
    pub(super) async fn prune_places(&self) -> Result<u64, CoreError> {
        let now = Timestamp::now();
        let longest = (self.config.limits.sign_in_window.as_millis() as i64).max(HOUR_MS);
        Ok(self
            .store
            .prune_places(Timestamp(now.0 - longest), Timestamp(now.0 - HELD_FOR_MS))
            .await?)
    }
}
