//! Who is asking from where: request id, client address (API.md §1.6), user agent.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;
use ipnet::IpNet;
use serde_json::Value;

use super::principal::Principal;
use crate::db::audit::NewAudit;

/// The request id the middleware assigned (echoed in `X-Request-Id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Facts about the request that go into audit rows and the login limiter.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The request id.
    pub request_id: Option<String>,
    /// The client address after the trusted-proxy rule.
    pub client_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Whether the request arrived over https (directly or via a trusted proxy).
    pub https: bool,
    /// `Host` (or a trusted `X-Forwarded-Host`).
    pub host: Option<String>,
}

impl RequestContext {
    /// Reads the context from a request head.
    pub fn from_parts(parts: &Parts, trusted: &[IpNet]) -> Self {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let from_trusted = peer.is_some_and(|p| trusted.iter().any(|n| n.contains(&p)));
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let client_ip = if from_trusted { forwarded_client(parts, trusted).or(peer) } else { peer };
        let forwarded_proto = if from_trusted { header("x-forwarded-proto") } else { None };
        let https = parts.uri.scheme_str() == Some("https") || forwarded_proto.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let host = if from_trusted { header("x-forwarded-host") } else { None }.or_else(|| header("host"));
        Self { request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()), client_ip, user_agent: header("user-agent"), https, host }
    }

    /// A successful audit row of type `event_type` for an action of `p` in this request.
    pub fn audit(&self, p: &Principal, event_type: &str, data: Value) -> NewAudit {
        NewAudit {
            event_type: event_type.to_owned(),
            actor_type: p.actor_type().as_str().to_owned(),
            user_identity: p.identity(),
            oidc_sub: p.oidc_sub(),
            event_data: Some(data),
            success: true,
            ..self.audit_base()
        }
    }

    /// An audit row carrying only this request's address, user agent and id (for rows whose
    /// actor is not a resolved principal, such as a failed login).
    pub fn audit_base(&self) -> NewAudit {
        NewAudit {
            request_ip: self.client_ip.map(|i| i.to_string()),
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
            ..NewAudit::default()
        }
    }

    /// The client address as text, `unknown` when there is none (tests without a socket).
    pub fn ip_text(&self) -> String {
        self.client_ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".to_owned())
    }
}

/// The right-most `X-Forwarded-For` address that is not a trusted proxy.
fn forwarded_client(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let all: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    all.into_iter().rev().find(|ip| !trusted.iter().any(|n| n.contains(ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, xff: Option<&str>) -> Parts {
        let mut req = http::Request::builder().uri("/");
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        let (mut parts, ()) = req.body(()).expect("request").into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().expect("addr")));
        parts
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let direct = RequestContext::from_parts(&parts("203.0.113.9:1", Some("1.2.3.4")), &trusted);
        assert_eq!(direct.ip_text(), "203.0.113.9");
        let proxied = RequestContext::from_parts(&parts("10.0.0.5:1", Some("1.2.3.4, 198.51.100.7, 10.0.0.2")), &trusted);
        assert_eq!(proxied.ip_text(), "198.51.100.7");
    }
}
