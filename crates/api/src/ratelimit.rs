//! The gateway limit on the public API: N requests a minute per signed-in user, or per client
//! address when anonymous. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset`; a refusal is a 429 problem with `Retry-After`. The caller's token is
//! verified here once and handed on to the handler's extractor.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use konqer_ratelimit::{Decision, RateLimiter};

use crate::auth::bearer;
use crate::auth::extract::Resolved;
use crate::client_ip::ClientIp;
use crate::problem::ApiError;
use crate::AppState;

pub type SharedLimiter = Arc<dyn RateLimiter>;

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = state.limiter.clone() else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let key = match bearer(&parts.headers) {
        Ok(Some(token)) => match state.identity.authenticate(&state, token).await {
            Ok(auth) => {
                let key = format!("user:{}", auth.user.id);
                parts.extensions.insert(Resolved(auth));
                key
            }
            // A bad token is refused by the handler's extractor; it counts against the
            // address, so forged tokens cannot open fresh buckets.
            Err(_) => format!("ip:{}", ClientIp::of(&parts, &state)),
        },
        _ => format!("ip:{}", ClientIp::of(&parts, &state)),
    };
    let decision = limiter.check(&key).await;
    let mut response = if decision.allowed {
        next.run(Request::from_parts(parts, body)).await
    } else {
        state.metrics.record_rate_limited();
        ApiError::RateLimited {
            retry_after_secs: reset_secs(&decision),
        }
        .into_response()
    };
    set_headers(response.headers_mut(), &decision);
    response
}

fn reset_secs(decision: &Decision) -> u64 {
    decision.reset_after.as_secs_f64().ceil().max(1.0) as u64
}

fn set_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(reset_secs(decision)));
}
