//! Operations: `/healthz` (liveness), `/healthz/ready` (readiness) and `/metrics`, scraped
//! and parsed as Prometheus parses it.

use crate::common::{self, spawn_app_with, unique, Client};
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::Value as Json;
use std::net::SocketAddr;

fn with_metrics(c: &mut palaver_server::Config) {
    c.metrics_listen = Some("127.0.0.1:0".parse().expect("address"));
}

async fn scrape(at: SocketAddr) -> Scrape {
    let response = reqwest::get(format!("http://{at}/metrics"))
        .await
        .expect("/metrics answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.expect("body");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

fn samples<'a>(scrape: &'a Scrape, metric: &str) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .collect()
}

/// The single value of a counter or gauge with these labels.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples(scrape, metric)
        .into_iter()
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) => v,
            ref other => panic!("{metric} is not a counter or gauge: {other:?}"),
        })
        .collect();
    assert_eq!(found.len(), 1, "one {metric} {labels:?} in the scrape");
    found[0]
}

/// The buckets of a histogram with these labels: (upper bound, cumulative count).
fn buckets(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
    let found: Vec<&Sample> = samples(scrape, metric)
        .into_iter()
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "one {metric} {labels:?} in the scrape");
    match &found[0].value {
        Value::Histogram(b) => b.iter().map(|h| (h.less_than, h.count)).collect(),
        other => panic!("{metric} is not a histogram (a summary?): {other:?}"),
    }
}

#[tokio::test]
async fn metrics_are_scraped_as_prometheus_histograms_counters_and_gauges() {
    let app = spawn_app_with(with_metrics).await;
    let at = app_metrics_addr(&app);
    let before = scrape(at).await;
    let persisted_before = value(&before, "palaver_messages_persisted_total", &[]);
    let failures_before = value(&before, "palaver_sign_in_failures_total", &[]);
    // Registered at zero, so a dashboard has the series before the first lag.
    value(
        &before,
        "palaver_lagged_resyncs_total",
        &[("channel", "conversation")],
    );

    // One failed sign-in, a conversation of two with a message delivered to the other.
    let (a, b, conv, alice, _) = crate::pair(&app).await;
    let stranger = app.client();
    assert_eq!(
        stranger.sign_in(&alice, "not-the-password-1").await.status,
        401
    );
    let mut bob_socket = b.socket().await;
    let mut alice_socket = a.socket().await;
    assert_eq!(
        alice_socket.send_message(conv, "m1", "hello ops").await["type"],
        "ack"
    );
    bob_socket.next_message_from(&alice).await;
    a.history(conv).await.ok::<Json>();
    // A path nobody routes: counted, but never under its own name.
    let probe = unique("probe");
    a.get(&format!("/no/such/{probe}")).await;

    let after = scrape(at).await;
    assert!(value(&after, "palaver_messages_persisted_total", &[]) >= persisted_before + 1.0);
    assert!(value(&after, "palaver_sign_in_failures_total", &[]) >= failures_before + 1.0);
    assert!(value(&after, "palaver_deliveries_total", &[]) >= 1.0);
    assert!(value(&after, "palaver_open_sockets", &[]) >= 2.0);

    // Real buckets, cumulative, ending at +Inf with the count.
    let sign_in = buckets(
        &after,
        "palaver_http_request_duration_seconds",
        &[
            ("route", "/api/sign_in"),
            ("method", "POST"),
            ("status", "401"),
        ],
    );
    assert!(sign_in.len() >= 10, "{sign_in:?}");
    assert!(sign_in
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(sign_in.last().map(|b| b.0), Some(f64::INFINITY));
    assert!(sign_in.last().expect("+Inf").1 >= 1.0);
    buckets(
        &after,
        "palaver_http_request_duration_seconds",
        &[("route", "unmatched"), ("method", "GET"), ("status", "404")],
    );
    for sample in &after.samples {
        assert!(
            !sample.labels.values().any(|v| v.contains(&probe)),
            "a raw path became a label: {sample:?}"
        );
    }
    for op in ["append_batch", "session", "history"] {
        let b = buckets(
            &after,
            "palaver_store_query_duration_seconds",
            &[("op", op)],
        );
        assert!(b.last().expect("+Inf").1 >= 1.0, "{op}: {b:?}");
    }

    // /metrics is only on its own listener, never on the public one.
    let public = app.client().get("/metrics").await.body.to_string();
    assert!(!public.contains("# TYPE"), "{public}");
    app.stop().await;
}

fn app_metrics_addr(app: &common::TestApp) -> SocketAddr {
    app.metrics_addr.expect("--metrics-listen was set")
}

#[tokio::test]
async fn liveness_and_readiness_answer_apart() {
    let app = common::spawn_app().await;
    assert!(app.metrics_addr.is_none(), "metrics are off by default");
    let client = Client::new(app.addr);
    let live = client.get("/healthz").await;
    assert_eq!((live.status, live.body), (200, Json::from("ok")));
    let ready = client.get("/healthz/ready").await;
    assert_eq!(ready.ok::<Json>()["status"], "ready");

    if common::store::on_postgres() {
        // The database refuses new connections and drops the open ones: not ready, alive.
        let name = app
            .database_url
            .rsplit('/')
            .next()
            .expect("db name")
            .to_owned();
        common::store::set_connections_allowed(&name, false).await;
        let ready = client.get("/healthz/ready").await;
        assert_eq!(ready.status, 503, "{}", ready.body);
        assert_eq!(ready.body["status"], "unavailable");
        let reason = ready.body["reason"].as_str().expect("reason");
        assert!(reason.starts_with("database"), "{reason}");
        assert_eq!(client.get("/healthz").await.status, 200);
        common::store::set_connections_allowed(&name, true).await;
        assert_eq!(
            client.get("/healthz/ready").await.ok::<Json>()["status"],
            "ready"
        );
    }
    app.stop().await;
}
