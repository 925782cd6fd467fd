//! `--trusted-proxies`: the client's own address behind a reverse proxy or load balancer.
//!
//! Every per-address rule (sign-up and sign-in limits, the audit log's addresses, sessions'
//! "last seen from") needs the client's address, but behind a proxy every connection comes
//! from the proxy. A request whose peer is a trusted proxy is taken to come from the
//! right-most address of its `X-Forwarded-For` that is not itself a trusted proxy: the
//! left-hand entries are whatever the client chose to send, the right-most untrusted one is
//! the last hop a trusted proxy saw (MDN, "X-Forwarded-For: Selecting an IP address").
//! From any other peer the header is ignored, so a client cannot pick its own address.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Addresses (`10.0.0.5`, `::1`) and networks (`10.0.0.0/8`); an error names the entry
    /// that is neither.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let nets = entries
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trusted-proxies: {e:?} is neither an address nor a network (10.0.0.0/8)")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(nets.into()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The address a request from `peer` with `headers` is taken to come from (port 0 when
    /// it was read from the header).
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if self.0.is_empty() || !self.trusts(peer.ip()) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // Not an address: nothing to its left can be trusted either.
                break;
            };
            client = SocketAddr::new(ip.to_canonical(), 0);
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        let proxy: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let stranger: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        for (peer, values, expected) in [
            // Through one proxy.
            (proxy, &["198.51.100.7"][..], "198.51.100.7"),
            // A client that forges the header gets its own address, not the forgery.
            (proxy, &["1.2.3.4, 198.51.100.7"][..], "198.51.100.7"),
            // Through two trusted proxies, in one header or two.
            (proxy, &["198.51.100.7, 10.1.2.3"][..], "198.51.100.7"),
            (proxy, &["198.51.100.7", "10.1.2.3"][..], "198.51.100.7"),
            // Garbage stops the walk at the last address read.
            (proxy, &["198.51.100.7, nonsense, 10.1.2.3"][..], "10.1.2.3"),
            (proxy, &["nonsense"][..], "127.0.0.1"),
            // No header: the proxy itself.
            (proxy, &[][..], "127.0.0.1"),
            // From anyone else the header is ignored.
            (stranger, &["1.2.3.4"][..], "203.0.113.9"),
            // IPv4 written as IPv6 is the same address.
            (proxy, &["::ffff:198.51.100.7"][..], "198.51.100.7"),
        ] {
            assert_eq!(
                proxies.client(peer, &headers(values)).ip(),
                ip(expected),
                "{values:?}"
            );
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_means_nothing() {
        let none = TrustedProxies::default();
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(none.client(peer, &headers(&["1.2.3.4"])), peer);
    }

    #[test]
    fn entries_that_are_not_addresses_are_refused_by_name() {
        let err = TrustedProxies::parse(&["10.0.0.0/8".into(), "proxy.local".into()]).unwrap_err();
        assert!(
            err.contains("proxy.local") && err.contains("--trusted-proxies"),
            "{err}"
        );
        assert!(TrustedProxies::parse(&["::1".into(), "fd00::/8".into()]).is_ok());
    }
}
