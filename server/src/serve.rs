//! The accept loop: hyper (through hyper-util) with a header-read timeout and a cap on open
//! connections per client address, which `axum::serve` offers neither of. A client that
//! trickles its headers (slowloris) is cut off after `header_timeout`; an address holding
//! `per_address` connections gets new ones closed at once. Upgraded connections (WebSockets)
//! leave the count when hyper hands them over: their own per-user limit counts them.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::proxies::TrustedProxies;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Open connections per client address; 0 for no cap.
    pub per_address: usize,
    /// How long in-flight requests may take to finish after the signal.
    pub drain: Duration,
    /// Whose `X-Forwarded-For` names the client (`--trusted-proxies`).
    pub proxies: TrustedProxies,
}

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One open connection of an address; dropping it frees the place.
struct Place {
    counts: Counts,
    ip: IpAddr,
}

impl Place {
    fn take(counts: &Counts, ip: IpAddr, cap: usize) -> Option<Place> {
        let mut map = counts.lock().unwrap_or_else(|e| e.into_inner());
        let open = map.entry(ip).or_insert(0);
        if cap > 0 && *open >= cap {
            return None;
        }
        *open += 1;
        Some(Place {
            counts: counts.clone(),
            ip,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `signal` resolves; then stops accepting and gives
/// open requests `options.drain` to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    signal: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let graceful = GracefulShutdown::new();
    let counts: Counts = Arc::default();
    tokio::pin!(signal);
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // little rather than spin, as axum::serve does.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut signal => break,
        };
        let Some(place) = Place::take(&counts, addr.ip(), options.per_address) else {
            tracing::debug!(%addr, "connection refused: too many from this address");
            continue; // dropping the stream closes it
        };
        // Chat frames are small: without TCP_NODELAY, Nagle's algorithm holds one back until
        // the previous is acknowledged, adding up to a delayed-ACK (~40 ms) to deliveries.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let proxies = options.proxies.clone();
        let service = router
            .clone()
            .map_request(move |mut req: Request<Incoming>| {
                let client = proxies.client(addr, req.headers());
                req.extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(client));
                req
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(place);
        });
    }
    drop(listener);
    if tokio::time::timeout(options.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time");
    }
    Ok(())
}
