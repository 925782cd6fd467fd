//! Operations: `/healthz` (liveness), `/healthz/ready` (readiness) and, with
//! `--metrics-listen`, `/metrics` in the Prometheus text format on a listener of its own.
//!
//! - Liveness answers 200 `ok` whenever the process serves HTTP at all: a supervisor
//!   restarts the process when it stops answering.
//! - Readiness answers 200 `{"status":"ready"}` when the database answers within 2 s and the
//!   node is not shutting down, else 503 `{"status":"unavailable","reason":"…"}`: a load
//!   balancer sends traffic elsewhere meanwhile, without restarting anything.
//! - `/metrics` is never on the public listener: it names routes and counts sign-in
//!   failures, which is for operators only. Bind it to loopback or a private network.

use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use palaver::server::{metrics as names, Chat};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often histogram samples are folded into the exported buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use (one per process: metrics are
/// per node, whatever number of applications a test process builds). Errs when another
/// recorder was installed first.
pub fn recorder() -> Result<PrometheusHandle, String> {
    RECORDER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(names::BUCKETS)
                .and_then(|b| b.install_recorder())
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
            names::describe();
            let upkeep = handle.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(UPKEEP_EVERY);
                loop {
                    tick.tick().await;
                    upkeep.run_upkeep();
                }
            });
            Ok(handle)
        })
        .clone()
}

/// Middleware: records every request's duration under its route pattern (never the raw
/// path, which a client chooses), method and status.
pub async fn record_http(request: Request, next: Next) -> Response {
    // The fallback (static files, not-found pages) matches axum's private catch-all.
    let route = match request.extensions().get::<MatchedPath>() {
        Some(p) if !p.as_str().contains("__private__axum_fallback") => p.as_str().to_owned(),
        _ => "unmatched".to_owned(),
    };
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::histogram!(
        names::HTTP_REQUEST_SECONDS,
        "route" => route,
        "method" => method,
        "status" => response.status().as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// `/healthz/ready`: see the module documentation.
pub async fn readiness(chat: Arc<Chat>, shutdown: CancellationToken) -> Response {
    let verdict = if shutdown.is_cancelled() {
        Err("shutting down".to_owned())
    } else {
        chat.ready().await
    };
    match verdict {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
            .into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "reason": reason })),
            )
                .into_response()
        }
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` is cancelled.
pub async fn serve_metrics(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
