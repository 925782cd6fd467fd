//! Readiness: whether this node can serve requests now (see the host's `/healthz/ready`).

use super::*;
use std::time::Duration;

/// How long the readiness check waits for the database, in ms.
pub const READY_TIMEOUT_MS: u64 = 2_000;

impl Chat {
    /// `Ok` when the event bus is connected (a cluster node) and the database answers a
    /// trivial query within [`READY_TIMEOUT_MS`]; otherwise why not, in words for an
    /// operator (the bus's state, the store's error or "timed out").
    pub async fn ready(&self) -> Result<(), String> {
        self.hub
            .ready()
            .map_err(|why| format!("event bus: {why}"))?;
        let limit = Duration::from_millis(READY_TIMEOUT_MS);
        match tokio::time::timeout(limit, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("database: {e}")),
            Err(_) => Err(format!("database: no answer within {READY_TIMEOUT_MS} ms")),
        }
    }
}
