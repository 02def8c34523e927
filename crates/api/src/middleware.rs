//! The layers every response passes through, on both listeners: request id and access log,
//! metrics, security headers, CORS, the problem+json safety net, body limit, panic capture.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::metrics::{method_label, Metrics, Route};
use crate::problem::{Problem, PROBLEM_CONTENT_TYPE};
use crate::request_id;

/// Settings the layers need.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted (bytes); larger → 413.
    pub body_limit: usize,
    /// Origins allowed to call the API from a browser; empty = same-origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// Send `Strict-Transport-Security` (when served over HTTPS).
    pub hsts: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            body_limit: 1024 * 1024,
            cors_origins: Vec::new(),
            hsts: false,
        }
    }
}

/// Wraps a router in the standard stack. Applied per route (`Router::layer`), so the route
/// template is known when metrics are recorded.
pub fn layered<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    settings: &HttpSettings,
    metrics: Arc<Metrics>,
) -> Router<S> {
    let router = router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(settings.body_limit));
    let router = match cors(&settings.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    let edge = Arc::new(Edge {
        metrics,
        hsts: settings.hsts,
    });
    router.layer(from_fn_with_state(edge, observe))
}

struct Edge {
    metrics: Arc<Metrics>,
    hsts: bool,
}

/// Request id, tracing span, access log line and metrics for one request, and the finishing
/// touches every response gets (one layer rather than several: this runs on every request).
async fn observe(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id::accept_or_generate(req.headers().get(request_id::HEADER));
    let method = method_label(req.method());
    // The template, not the raw path: paths can carry capabilities (checkout session ids).
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .cloned()
        .map_or(Route::Unmatched, Route::Matched);
    let span = tracing::info_span!("request", request_id = %id, method, route = route.as_str());
    // Finished inside the scope: a problem the safety net writes must carry the request id.
    let hsts = edge.hsts;
    let handled = async move { finish_response(hsts, next.run(req).await) };
    let mut response = request_id::scope(id.clone(), handled.instrument(span.clone())).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    edge.metrics.observe_request(method, route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = (elapsed * 1000.0 * 100.0).round() / 100.0,
            "request"
        )
    });
    response
}

/// Security headers on everything; any error without a problem body (framework rejections,
/// 405s, layer-generated statuses) is given one, keeping headers such as `Allow`.
fn finish_response(hsts: bool, mut response: Response) -> Response {
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_html = content_type.starts_with("text/html");
    if (status.is_client_error() || status.is_server_error())
        && !content_type.starts_with(PROBLEM_CONTENT_TYPE)
        && !is_html
    {
        let (mut parts, _) = response.into_parts();
        let replacement = Problem::for_status(status).into_response();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response = Response::from_parts(parts, replacement.into_body());
    }
    let headers = response.headers_mut();
    let defaults: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in defaults {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if !is_html {
        // API answers are data, never documents to render or frame, nor to cache by default.
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'",
            ));
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(
                "max-age=63072000; includeSubDomains",
            ));
    }
    response
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(panic = message, "handler panicked");
    Problem::for_status(axum::http::StatusCode::INTERNAL_SERVER_ERROR).into_response()
}

fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static(request_id::HEADER),
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                HeaderName::from_static(request_id::HEADER),
                header::RETRY_AFTER,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
            ])
            .allow_credentials(true)
            .max_age(std::time::Duration::from_secs(600)),
    )
}
