//! The `ClientIp` extractor: the caller's address, believing `X-Forwarded-For` only from the
//! configured trusted proxies.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::net::client_ip;
use crate::AppState;

#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub(crate) fn of(parts: &Parts, state: &AppState) -> IpAddr {
        // Routers driven without a socket (unit tests) have no peer; they share one address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        client_ip(peer, &parts.headers, &state.settings.trusted_proxies)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientIp(ClientIp::of(parts, state)))
    }
}
