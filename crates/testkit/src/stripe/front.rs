//! Stripe's front door: every request is recorded, then refused without the right key,
//! failed when a failure is scripted, or passed to its endpoint — with a `Request-Id` always.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::world::new_id;
use super::{form, Received, StripeState, SECRET_KEY};

/// Records the request, then answers as Stripe's front door would: 401 without the key,
/// a scripted failure if one is due, otherwise the endpoint — with a `Request-Id` either way.
pub(super) async fn gate(
    State(state): State<Arc<StripeState>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, 1 << 20).await else {
        return ApiError::invalid("The request body could not be read.", None).into_response();
    };
    let header_text = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let raw = if parts.method == Method::GET {
        parts.uri.query().unwrap_or_default().to_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let authorization = header_text(header::AUTHORIZATION.as_str());
    let failure = {
        let mut log = state.log();
        log.received.push(Received {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            content_type: header_text(header::CONTENT_TYPE.as_str()),
            idempotency_key: header_text("idempotency-key"),
            stripe_version: header_text("stripe-version"),
            params: form::pairs(&raw),
        });
        let authorized = authorization.as_deref() == Some(&format!("Bearer {SECRET_KEY}"));
        if authorized {
            log.failures.pop_front()
        } else {
            None
        }
    };
    let mut response = match (authorization, failure) {
        (None, _) => unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".to_owned()),
        (Some(value), _) if value != format!("Bearer {SECRET_KEY}") => {
            let key = value.trim_start_matches("Bearer ");
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            unauthorized(format!("Invalid API Key provided: sk_test_****{tail}"))
        }
        (_, Some((status, retry_after))) => scripted(status, retry_after),
        _ => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    };
    let request_id = HeaderValue::from_str(&new_id("req"));
    if let Ok(request_id) = request_id {
        response.headers_mut().insert("request-id", request_id);
    }
    response
}

fn unauthorized(message: String) -> Response {
    let error = ApiError {
        status: StatusCode::UNAUTHORIZED,
        ..ApiError::invalid(message, None)
    };
    error.into_response()
}

fn scripted(status: StatusCode, retry_after: Option<u64>) -> Response {
    let (kind, message) = if status == StatusCode::TOO_MANY_REQUESTS {
        (
            "rate_limit_error",
            "Too many requests hit the API too quickly.",
        )
    } else {
        ("api_error", "An unknown error occurred. (stand-in)")
    };
    let error = ApiError {
        status,
        kind,
        ..ApiError::invalid(message, None)
    };
    let mut response = error.into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

pub(super) async fn unrecognized(method: Method, uri: Uri) -> Response {
    let message = format!(
        "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        uri.path()
    );
    let error = ApiError {
        status: StatusCode::NOT_FOUND,
        ..ApiError::invalid(message, None)
    };
    error.into_response()
}
