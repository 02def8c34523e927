//! The layers every response passes through, on both listeners: request id and access log,
//! metrics, security headers, CORS, the problem+json safety net, body limit, panic capture.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::routing::Route;
use axum::Router;
use tower::util::Either;
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use crate::metrics::{method_label, EndpointSeries, Metrics, Route as RouteLabel, RouteRef};
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

/// Headers a response ends up with on the common path: the handler's few, the security
/// headers and `x-request-id` added here, `content-length`. Handlers that build their
/// response by hand reserve this many so finishing it does not grow the map.
pub const RESPONSE_HEADER_CAPACITY: usize = 12;

const X_REQUEST_ID: HeaderName = HeaderName::from_static(request_id::HEADER);
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// Wraps a router in the standard stack. Applied per route (`Router::layer`), so the route
/// template is known when metrics are recorded.
///
/// The whole stack is one layer ([`EdgeLayer`]), composed without boxing: every
/// `Router::layer` call adds a boxed, cloned-per-request `Route` around each endpoint, and
/// `middleware::from_fn` boxes its inner service again on every request.
pub fn layered<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    settings: &HttpSettings,
    metrics: Arc<Metrics>,
) -> Router<S> {
    router.layer(EdgeLayer {
        edge: Arc::new(Edge {
            metrics,
            hsts: settings.hsts,
            body_limit: DefaultBodyLimit::max(settings.body_limit),
            cors: cors(&settings.cors_origins),
        }),
    })
}

struct Edge {
    metrics: Arc<Metrics>,
    hsts: bool,
    body_limit: DefaultBodyLimit,
    cors: Option<CorsLayer>,
}

/// The standard stack around one endpoint, outermost first: request id, tracing span,
/// access log, metrics and the finishing touches ([`EdgeService`]); CORS when configured;
/// the body limit; panic capture ([`PanicGuard`]).
#[derive(Clone)]
pub struct EdgeLayer {
    edge: Arc<Edge>,
}

type Limited = <DefaultBodyLimit as Layer<PanicGuard>>::Service;
type Stack = Either<Cors<Limited>, Limited>;

impl Layer<Route> for EdgeLayer {
    type Service = EdgeService;

    fn layer(&self, route: Route) -> EdgeService {
        let limited = self.edge.body_limit.layer(PanicGuard(route));
        let inner = match &self.edge.cors {
            Some(cors) => Either::Left(cors.layer(limited)),
            None => Either::Right(limited),
        };
        EdgeService {
            inner,
            endpoint: Arc::new(Endpoint {
                edge: self.edge.clone(),
                series: EndpointSeries::default(),
            }),
        }
    }
}

/// What one endpoint's clones share: the settings and its resolved metric handles.
struct Endpoint {
    edge: Arc<Edge>,
    series: EndpointSeries,
}

/// When the request reached the server, for handlers that report their own timings.
#[derive(Clone, Copy, Debug)]
pub struct RequestStart(pub Instant);

/// Request id, tracing span, access log line and metrics for one request, and the finishing
/// touches every response gets (one service rather than several: this runs on every request).
#[derive(Clone)]
pub struct EdgeService {
    inner: Stack,
    endpoint: Arc<Endpoint>,
}

impl Service<Request> for EdgeService {
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> EdgeFuture {
        let started = Instant::now();
        req.extensions_mut().insert(RequestStart(started));
        let id = request_id::accept_or_generate(req.headers().get(X_REQUEST_ID));
        let method = method_label(req.method());
        // The template, not the raw path: paths can carry capabilities (checkout session ids).
        let matched = req.extensions().get::<MatchedPath>();
        let template = matched.map_or(RouteLabel::Unmatched.as_str(), MatchedPath::as_str);
        let span = tracing::info_span!(
            "request",
            request_id = %id.to_str().unwrap_or_default(),
            method,
            route = template
        );
        // Once the endpoint's series are resolved the label is not needed again.
        let route = if self.endpoint.series.covers(method, template) {
            None
        } else {
            Some(
                matched
                    .cloned()
                    .map_or(RouteLabel::Unmatched, RouteLabel::Matched),
            )
        };
        // No handler code runs here (handlers, extractors and panic answers run when the
        // future is polled, inside the request's scope), so no request-id scope is needed.
        let inner = span.in_scope(|| self.inner.call(req));
        EdgeFuture {
            inner,
            id: Some(id),
            span,
            started,
            method,
            route,
            endpoint: self.endpoint.clone(),
        }
    }
}

/// Response future of [`EdgeService`].
pub struct EdgeFuture {
    inner: <Stack as Service<Request>>::Future,
    id: Option<HeaderValue>,
    span: tracing::Span,
    started: Instant,
    method: &'static str,
    /// `None` when the endpoint's resolved series cover this request.
    route: Option<RouteLabel>,
    endpoint: Arc<Endpoint>,
}

impl Future for EdgeFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let _entered = this.span.enter();
        let hsts = this.endpoint.edge.hsts;
        let inner = &mut this.inner;
        let mut finished = None;
        // Finished inside the scope: a problem the safety net writes must carry the request id.
        // (The response leaves through `finished` rather than as the closure's value: moving a
        // response through the task-local machinery costs several copies.)
        ready!(request_id::in_scope(&mut this.id, || {
            Pin::new(inner).poll(cx).map(|result| {
                let Ok(response) = result;
                finished = Some(finish_response(hsts, response));
            })
        }));
        let Some(mut response) = finished else {
            unreachable!("a ready inner future gave a response")
        };
        if let Some(id) = this.id.take() {
            response.headers_mut().insert(X_REQUEST_ID, id);
        }
        let status = response.status().as_u16();
        let elapsed = this.started.elapsed().as_secs_f64();
        let route = match &this.route {
            Some(route) => RouteRef::Label(route),
            None => RouteRef::Covered,
        };
        let edge = &this.endpoint.edge;
        edge.metrics
            .observe_endpoint(&this.endpoint.series, this.method, route, status, elapsed);
        tracing::info!(
            status,
            latency_ms = (elapsed * 1000.0 * 100.0).round() / 100.0,
            "request"
        );
        Poll::Ready(Ok(response))
    }
}

/// Turns a panicking handler into a logged 500 problem instead of a dropped connection
/// (innermost, so CORS and the finishing touches still apply to that answer).
#[derive(Clone)]
pub struct PanicGuard(Route);

impl Service<Request> for PanicGuard {
    type Response = Response;
    type Error = Infallible;
    type Future = PanicGuardFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, req: Request) -> PanicGuardFuture {
        let route = &mut self.0;
        match panic::catch_unwind(AssertUnwindSafe(|| route.call(req))) {
            Ok(future) => PanicGuardFuture(Ok(future)),
            // Answered when polled, inside the request's scope, like a handler's panic.
            Err(panic) => PanicGuardFuture(Err(Some(panic))),
        }
    }
}

/// Response future of [`PanicGuard`].
pub struct PanicGuardFuture(Result<RouteFuture<Infallible>, Option<Box<dyn Any + Send>>>);

impl Future for PanicGuardFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let future = match &mut this.0 {
            Ok(future) => future,
            Err(panic) => {
                let panic = panic.take().expect("polled after completion");
                return Poll::Ready(Ok(panic_response(panic)));
            }
        };
        match panic::catch_unwind(AssertUnwindSafe(|| Pin::new(future).poll(cx))) {
            Ok(poll) => poll,
            Err(panic) => {
                // The handler's future is unusable after unwinding: drop it now.
                this.0 = Err(None);
                Poll::Ready(Ok(panic_response(panic)))
            }
        }
    }
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
    // Room for what is added below and `x-request-id`, so the map grows at most once.
    headers.reserve(9);
    const DEFAULTS: [(HeaderName, HeaderValue); 5] = [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            PERMISSIONS_POLICY,
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ];
    for (name, value) in DEFAULTS {
        headers.entry(name).or_insert(value);
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app(metrics: Arc<Metrics>, cors_origins: Vec<HeaderValue>) -> Router {
        let router = Router::new()
            .route("/items/{id}", get(|| async { "item" }))
            .route(
                "/broken/{id}",
                get(|| async {
                    if true {
                        panic!("a bug");
                    }
                    "unreachable"
                }),
            )
            .route(
                "/page",
                get(|| async {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
                        ],
                        "<p>hi</p>",
                    )
                }),
            );
        let settings = HttpSettings {
            cors_origins,
            hsts: true,
            ..HttpSettings::default()
        };
        layered(router, &settings, metrics)
    }

    async fn send(app: &Router, request: axum::http::Request<Body>) -> (Response, String) {
        let response = app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            Response::from_parts(parts, Body::empty()),
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    fn get_req(uri: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(uri).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn every_answer_gets_an_id_security_headers_and_a_metric_by_template() {
        let metrics = Metrics::new();
        let app = app(metrics.clone(), Vec::new());
        for _ in 0..3 {
            let (response, body) = send(&app, get_req("/items/secret-1")).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(body, "item");
            let headers = response.headers();
            let id = headers[request_id::HEADER].to_str().unwrap();
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
            assert_eq!(
                headers["permissions-policy"],
                "camera=(), microphone=(), geolocation=()"
            );
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert_eq!(
                headers[header::STRICT_TRANSPORT_SECURITY],
                "max-age=63072000; includeSubDomains"
            );
            assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        }
        // A caller's sane id is echoed; a 404 fallback becomes a problem carrying it.
        let request = axum::http::Request::get("/nowhere")
            .header(request_id::HEADER, "caller-7")
            .body(Body::empty())
            .unwrap();
        let (response, body) = send(&app, request).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[request_id::HEADER], "caller-7");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["instance"], "caller-7");
        // A 405 keeps `Allow` under its problem body.
        let request = axum::http::Request::post("/items/1")
            .body(Body::empty())
            .unwrap();
        let (response, _) = send(&app, request).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        assert!(response.headers()[header::ALLOW]
            .to_str()
            .unwrap()
            .contains("GET"));

        let text = metrics.render();
        for line in [
            r#"konqer_http_requests_total{method="GET",route="/items/{id}",status="200"} 3"#,
            r#"konqer_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"konqer_http_requests_total{method="POST",route="/items/{id}",status="405"} 1"#,
            r#"konqer_http_request_duration_seconds_count{method="GET",route="/items/{id}"} 3"#,
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("secret-1"), "{text}");
    }

    #[tokio::test]
    async fn html_keeps_its_own_headers_and_is_not_rewritten() {
        let app = app(Metrics::new(), Vec::new());
        let (response, body) = send(&app, get_req("/page")).await;
        assert_eq!(body, "<p>hi</p>");
        let headers = response.headers();
        assert_eq!(headers[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        assert!(!headers.contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(!headers.contains_key(header::CACHE_CONTROL));
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem_that_still_gets_cors_and_the_request_id() {
        let metrics = Metrics::new();
        let origin = HeaderValue::from_static("https://app.example");
        let app = app(metrics.clone(), vec![origin.clone()]);
        let request = axum::http::Request::get("/broken/1")
            .header(header::ORIGIN, origin.clone())
            .header(request_id::HEADER, "boom-1")
            .body(Body::empty())
            .unwrap();
        let (response, body) = send(&app, request).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers();
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        assert_eq!(headers[request_id::HEADER], "boom-1");
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_CONTENT_TYPE);
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["instance"], "boom-1");
        assert!(!body.contains("a bug"), "{body}");
        assert!(metrics.render().contains(
            r#"konqer_http_requests_total{method="GET",route="/broken/{id}",status="500"} 1"#
        ));
        // Preflight answered by CORS, with the edge's headers.
        let request = axum::http::Request::options("/items/1")
            .header(header::ORIGIN, origin.clone())
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap();
        let (response, _) = send(&app, request).await;
        assert!(response.status().is_success(), "{}", response.status());
        assert_eq!(
            response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            origin
        );
        assert!(response.headers().contains_key(request_id::HEADER));
    }
}
