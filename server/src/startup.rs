//! Builds the application: store, hub, core, router and listener.

use crate::bus::NatsHub;
use crate::config::Config;
use crate::keys;
use crate::middleware::{
    cache_control, cross_site_guard, security_headers, utf8_forms, OriginPolicy, MAX_BODY_BYTES,
};
use crate::observe;
use crate::proxies::TrustedProxies;
use crate::serve::{serve, ServeOptions};
use crate::site::Site;
use crate::ws::{ws_handler, Gateway};
use axum::extract::FromRef;
use axum::http::{HeaderName, StatusCode};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use palaver::server::files::{FileStore, LocalFiles};
use palaver::server::{auth::TokenKeys, Chat, ChatConfig, Hub, LocalHub};
use palaver_app::api::ssr::AppState;
use palaver_app::{shell, App};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const FILE_JANITOR_EVERY: Duration = Duration::from_secs(600);
/// How often retention looks for expired messages.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Store(#[from] palaver::server::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub gateway: Gateway,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}

/// The /ws gateway takes only its own part of the state, so it never imports this module.
impl FromRef<ServerState> for Gateway {
    fn from_ref(state: &ServerState) -> Self {
        state.gateway.clone()
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    gateway: Gateway,
    serve: ServeOptions,
    /// `--metrics-listen`: its listener and the process's recorder.
    metrics: Option<(TcpListener, metrics_exporter_prometheus::PrometheusHandle)>,
    /// `--nats-url`: the cluster's event bus.
    bus: Option<Arc<NatsHub>>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        if let Some(problem) = config.cluster_problem() {
            return Err(StartupError::Config(problem));
        }
        let proxies =
            TrustedProxies::parse(&config.trusted_proxies).map_err(StartupError::Config)?;
        std::fs::create_dir_all(&config.data_dir)?;
        let listener = TcpListener::bind(config.listen).await?;
        let metrics = match config.metrics_listen {
            Some(at) => Some((
                TcpListener::bind(at).await?,
                observe::recorder().map_err(StartupError::Config)?,
            )),
            None => None,
        };
        let addr = listener.local_addr()?;
        let public_origin = config
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();

        let store = palaver::server::store::open(
            &config.database_url(),
            config.db_pool_size,
            config.durability,
        )
        .await?;
        let key = keys::load_or_create(config.jwt_key.as_deref(), &config.data_dir)
            .map_err(StartupError::Config)?;
        let tokens = TokenKeys::new(&key, public_origin.clone(), config.token_ttl_secs)
            .map_err(StartupError::Config)?;
        let files: Arc<dyn FileStore> = Arc::new(LocalFiles::open(config.files_dir()).await?);
        let shutdown = CancellationToken::new();
        let bus = match &config.nats_url {
            Some(url) => Some(
                NatsHub::connect(url, &config.nats_prefix, shutdown.clone())
                    .await
                    .map_err(|e| StartupError::Config(e.to_string()))?,
            ),
            None => None,
        };
        let hub: Arc<dyn Hub> = match &bus {
            Some(bus) => bus.clone(),
            None => Arc::new(LocalHub::new()),
        };
        let chat = Arc::new(Chat::new(
            store,
            hub,
            tokens,
            ChatConfig {
                public_origin: public_origin.clone(),
                session_lifetime_ms: config.session_days.max(1) * 24 * 3600 * 1000,
                max_members: config.max_members.max(1),
                max_upload_bytes: config.max_upload_bytes(),
                limits: config.limits(),
                retention_days: config.retention_days,
            },
            files.clone(),
        ));

        let mut origins = vec![public_origin.clone(), format!("http://{addr}")];
        if addr.ip().is_loopback() {
            origins.push(format!("http://localhost:{}", addr.port()));
        }
        origins.extend(config.allowed_origins.iter().cloned());
        let policy = OriginPolicy::new(origins);

        let gateway = Gateway::new(
            chat.clone(),
            policy.clone(),
            shutdown.clone(),
            Duration::from_secs(config.idle_timeout_secs),
        );
        // The janitor deletes the bytes of deleted and expired files: at start (what a crash
        // left), whenever files are deleted, and every 10 minutes.
        tokio::spawn(
            chat.clone()
                .run_file_janitor(FILE_JANITOR_EVERY, shutdown.clone().cancelled_owned()),
        );
        // Erasing deleted accounts' messages: at start (what a restart interrupted) and
        // whenever an admin deletes one with its messages.
        tokio::spawn(
            chat.clone()
                .run_erasures(shutdown.clone().cancelled_owned()),
        );
        // Presence changes other nodes cause, told to this node's sockets (a cluster).
        tokio::spawn(
            chat.clone()
                .run_remote_presence(shutdown.clone().cancelled_owned()),
        );
        // Retention: at start and every hour.
        tokio::spawn(
            chat.clone()
                .run_retention(RETENTION_EVERY, shutdown.clone().cancelled_owned()),
        );
        let app_state = AppState {
            chat,
            secure_cookies: public_origin.starts_with("https://"),
            session_max_age_secs: config.session_days.max(1) * 24 * 3600,
        };
        let router = router(
            &config,
            addr,
            app_state,
            gateway.clone(),
            policy,
            Health {
                shutdown: shutdown.clone(),
                record_http: metrics.is_some(),
            },
        );
        Ok(Self {
            listener,
            router,
            shutdown,
            gateway,
            metrics,
            bus,
            serve: ServeOptions {
                header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
                per_address: config.connections_per_address,
                drain: REQUEST_TIMEOUT,
                proxies,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Where `/metrics` is served (`--metrics-listen`), if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves until `signal` resolves, then stops accepting, lets in-flight requests finish,
    /// and closes every WebSocket with 1001 (going away).
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shutdown = self.shutdown.clone();
        if let Some((listener, handle)) = self.metrics {
            let stop = shutdown.clone();
            tokio::spawn(async move {
                if let Err(e) = observe::serve_metrics(listener, handle, stop).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        let gateway = self.gateway.clone();
        serve(self.listener, self.router, self.serve, async move {
            signal.await;
            tracing::info!("shutting down: closing sockets and finishing requests");
            shutdown.cancel();
        })
        .await?;
        gateway.wait_closed(Duration::from_secs(5)).await;
        if let Some(bus) = self.bus {
            bus.drain(Duration::from_secs(2)).await;
        }
        Ok(())
    }
}

/// What the health routes and the request metrics need.
struct Health {
    /// Cancelled when the node begins to shut down: readiness answers 503 from then on.
    shutdown: CancellationToken,
    /// Whether requests are timed (`--metrics-listen` is set).
    record_http: bool,
}

fn router(
    config: &Config,
    addr: SocketAddr,
    app_state: AppState,
    gateway: Gateway,
    policy: OriginPolicy,
    health: Health,
) -> Router {
    // Served over HTTPS (the public origin says so): the same switch as the Secure cookie.
    let hsts = app_state.secure_cookies;
    let chat = app_state.chat.clone();
    let site = Site::find(&config.site_root);
    let leptos_options = site.leptos_options(addr);
    let routes = generate_route_list(App);
    let state = ServerState {
        leptos_options: leptos_options.clone(),
        gateway,
    };
    let context = {
        let app_state = app_state.clone();
        move || provide_context(app_state.clone())
    };
    let request_id = HeaderName::from_static("x-request-id");

    let mut router = Router::new();
    if let Some((path, file)) = site.css_alias() {
        router = router.route_service(&path, file);
    }
    // Pages, server functions and the socket: small bodies, a short timeout.
    let pages = router
        .route("/healthz", get(|| async { "ok" }))
        .route("/healthz/ready", {
            let (chat, shutdown) = (chat.clone(), health.shutdown);
            get(move || observe::readiness(chat.clone(), shutdown.clone()))
        })
        .route("/ws", get(ws_handler))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .with_state(state)
        .layer(axum::middleware::from_fn(utf8_forms))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // Attachments bring their own body limit and timeout (uploads are large and may be slow).
    let all = pages
        .merge(crate::files::routes(chat.clone()))
        .merge(crate::exports::routes(chat))
        .layer(axum::middleware::from_fn_with_state(policy, cross_site_guard))
        .layer(axum::middleware::from_fn(cache_control))
        .layer(axum::middleware::from_fn_with_state(
            hsts,
            security_headers,
        ))
        // Brotli or gzip, as the client prefers (brotli at quality 4: pages and server
        // functions are compressed per response). The release build's /pkg files come
        // precompressed at brotli's best (cargo leptos --precompress, served by leptos_axum's
        // ServeDir), and a response that is already encoded is passed through untouched.
        // Images and other already-compressed types are left alone (tower-http's default
        // predicate).
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    if health.record_http {
        // Outermost: every request is timed whole, a refused one (cross-site, too large) too,
        // under the route pattern it matched (axum routes before any layer runs).
        all.layer(axum::middleware::from_fn(observe::record_http))
    } else {
        all
    }
}
