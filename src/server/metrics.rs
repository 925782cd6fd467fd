//! The instance's metrics: names, descriptions and the few helpers the core records them
//! with, through the `metrics` facade. Without a recorder installed (the host installs the
//! Prometheus one only with `--metrics-listen`) every call here is a no-op.
//!
//! Names follow Prometheus' conventions (<https://prometheus.io/docs/practices/naming/>):
//! `palaver_` prefix, base units (seconds), `_total` on counters. Labels only ever take
//! values from a fixed set (a route pattern, an operation name, a status code), never a
//! user's input, so a client cannot grow the series without bound.

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use std::future::Future;
use std::time::Instant;

/// Histogram: HTTP requests by `route` (the matched route pattern, `unmatched` for the
/// fallback), `method` and `status`, in seconds. Its `_count` is the request count.
pub const HTTP_REQUEST_SECONDS: &str = "palaver_http_request_duration_seconds";
/// Gauge: WebSockets open on this node now (authenticated, past `ready`).
pub const OPEN_SOCKETS: &str = "palaver_open_sockets";
/// Counter: messages committed by the group-commit writer (sends; edits and deletions are
/// events, not messages, and are not counted).
pub const MESSAGES_PERSISTED: &str = "palaver_messages_persisted_total";
/// Counter: conversation and personal events written to sockets.
pub const DELIVERIES: &str = "palaver_deliveries_total";
/// Counter: sockets that fell behind their channel and were resynced from the database
/// (`channel="conversation"`) or closed for a reconnect (`channel="personal"`).
pub const LAGGED_RESYNCS: &str = "palaver_lagged_resyncs_total";
/// Counter: sign-ins refused after a password check (wrong password, unknown account,
/// disabled account). Throttled attempts are refused before any check and not counted.
pub const SIGN_IN_FAILURES: &str = "palaver_sign_in_failures_total";
/// Histogram: store operations by `op`, in seconds (see [`timed`] for which are measured).
pub const STORE_QUERY_SECONDS: &str = "palaver_store_query_duration_seconds";

/// Bucket bounds in seconds for every histogram: 0.5 ms to 10 s, roughly ×2.5 apart, so a
/// 2 ms p99 target and a 30 s request timeout both fall on a bucket.
pub const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Registers the help text and unit of every metric with the installed recorder.
pub fn describe() {
    describe_histogram!(
        HTTP_REQUEST_SECONDS,
        Unit::Seconds,
        "HTTP requests by route pattern, method and status"
    );
    describe_gauge!(OPEN_SOCKETS, "WebSockets open on this node");
    describe_counter!(
        MESSAGES_PERSISTED,
        "Messages committed by the group-commit writer"
    );
    describe_counter!(DELIVERIES, "Events written to sockets");
    describe_counter!(
        LAGGED_RESYNCS,
        "Sockets that fell behind a channel and were resynced or closed"
    );
    describe_counter!(SIGN_IN_FAILURES, "Sign-ins refused after a password check");
    describe_histogram!(
        STORE_QUERY_SECONDS,
        Unit::Seconds,
        "Store operations by name"
    );
    // Every counter and gauge is exported from the start, at zero, rather than appearing at
    // its first event: a rate over a series that does not exist yet reads as no data.
    for counter in [MESSAGES_PERSISTED, DELIVERIES, SIGN_IN_FAILURES] {
        metrics::counter!(counter).increment(0);
    }
    for channel in ["conversation", "personal"] {
        metrics::counter!(LAGGED_RESYNCS, "channel" => channel).increment(0);
    }
    metrics::gauge!(OPEN_SOCKETS).increment(0.0);
}

/// Runs one store operation and records its duration under `op`. Measured: the writer's
/// batch commit (`append_batch`), `history`, `messages_after` (resume), `session` (the
/// session lookup of every authenticated request), `search` and `dashboard`.
pub async fn timed<T>(op: &'static str, operation: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = operation.await;
    metrics::histogram!(STORE_QUERY_SECONDS, "op" => op).record(started.elapsed().as_secs_f64());
    out
}

/// One more socket open (`+1.0`) or closed (`-1.0`).
pub fn socket_count(change: f64) {
    metrics::gauge!(OPEN_SOCKETS).increment(change);
}

pub fn sign_in_failed() {
    metrics::counter!(SIGN_IN_FAILURES).increment(1);
}

/// `n` messages committed in one batch.
pub fn messages_persisted(n: u64) {
    metrics::counter!(MESSAGES_PERSISTED).increment(n);
}

/// The counter of events written to sockets ([`DELIVERIES`]), looked up once: a socket adds
/// each batch's count to it. Looked up by name per batch, it was a search of the recorder's
/// map per delivery of a fan-out. Take it after the recorder is installed; taken before, it
/// counts nothing.
pub fn deliveries() -> metrics::Counter {
    metrics::counter!(DELIVERIES)
}

/// A socket fell behind `channel` ("conversation" or "personal"), or was told events between
/// nodes may be missing ("bus").
pub fn lagged(channel: &'static str) {
    metrics::counter!(LAGGED_RESYNCS, "channel" => channel).increment(1);
}
