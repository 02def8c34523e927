//! Konqer's HTTP edge: the public router (site, `/api`, `/auth`) and the admin router
//! (`/admin`, `/metrics`), the layers both share, the problem+json error type and the
//! OpenAPI document. Handlers parse, delegate and answer; rules live below this crate.

pub mod auth;
pub mod catalog;
pub mod client_ip;
pub mod extract;
pub mod lifecycle;
pub mod metrics;
pub mod middleware;
pub mod net;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod request_id;
mod routes;
pub mod site;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use konqer_domain::Clock;
use konqer_store::Store;

pub use catalog::Catalog;
pub use metrics::Metrics;
pub use middleware::HttpSettings;
pub use problem::{ApiError, FieldError, Problem};

/// Settings of the HTTP edge, taken from the server's configuration.
#[derive(Clone, Default)]
pub struct ApiSettings {
    pub http: HttpSettings,
    /// Static bearer token required on the admin `/metrics` when set.
    pub metrics_token: Option<String>,
    /// The static web export to serve on the public listener, when present.
    pub web_dir: Option<PathBuf>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<net::Cidr>,
    /// When non-empty, the admin listener answers only these client addresses.
    pub admin_allow_ips: Vec<net::Cidr>,
    /// Secrets Stripe webhooks may be signed with (two while rolling).
    pub stripe_webhook_secrets: Vec<String>,
    /// Stripe Checkout and the Billing Portal, when `STRIPE_SECRET_KEY` is set; otherwise the
    /// local checkout.
    pub stripe: Option<Arc<konqer_billing::stripe::StripeBilling>>,
    /// Makes and checks the unsubscribe links of marketing emails.
    pub unsubscribe: Option<Arc<konqer_mail::UnsubscribeLinks>>,
    /// The enrichment provider (Apollo, cached) when `APOLLO_API_KEY` is set; none otherwise.
    pub enricher: Option<Arc<dyn konqer_services::enrich::Enricher>>,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("http", &self.http)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .field("web_dir", &self.web_dir)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("admin_allow_ips", &self.admin_allow_ips)
            .field("stripe_webhook_secrets", &"[redacted]")
            .field("enricher", &self.enricher.as_ref().map(|e| e.name()))
            .finish()
    }
}

pub struct App {
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    pub identity: Arc<auth::Identity>,
    /// The services this build implements.
    pub services: Arc<Vec<Box<dyn konqer_services::Service>>>,
    /// The text provider (offline by default).
    pub generator: Arc<dyn konqer_services::text::Generator>,
    /// The gateway limit; `None` when disabled (`KONQER_RATE_LIMIT_PER_MINUTE=0`).
    pub limiter: Option<ratelimit::SharedLimiter>,
    pub settings: ApiSettings,
}

/// Shared, cheaply clonable application state.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// Everything on the public listener.
pub fn public_router(state: AppState) -> Router {
    // Everything under /api and /auth counts against the gateway limit and carries the
    // RateLimit-* headers.
    let limited = Router::new()
        .route("/api/services", get(routes::services::list))
        .route("/api/services/{service}", get(routes::services::get))
        .route(
            "/api/services/{service}/generate",
            post(routes::generate::generate),
        )
        .route("/api/user/generations", get(routes::generations::list))
        .route(
            "/api/user/generations/{id}",
            get(routes::generations::get).delete(routes::generations::delete),
        )
        .route(
            "/api/user/generations/{id}/carousel.pdf",
            get(routes::generations::carousel_pdf),
        )
        .route("/api/user/flags", get(routes::admin::flags::mine))
        .route("/api/openapi.json", get(openapi_json))
        .route(
            "/api/user/me",
            get(routes::me::get)
                .patch(routes::me::patch)
                .delete(routes::me::delete),
        )
        .route("/api/checkout/founding", post(routes::checkout::founding))
        .route("/api/checkout/single", post(routes::checkout::single))
        .route("/api/checkout/bundle", post(routes::checkout::bundle))
        .route("/api/checkout/portal", post(routes::checkout::portal))
        .route("/auth/register", post(routes::auth::register))
        .route("/auth/login", post(routes::auth::login))
        .route("/auth/refresh", post(routes::auth::refresh))
        .route("/auth/logout", post(routes::auth::logout))
        .route("/auth/jwks.json", get(routes::auth::jwks))
        .route("/auth/providers", get(routes::oauth::providers))
        .route("/auth/oauth/{provider}/start", get(routes::oauth::start))
        .route(
            "/auth/oauth/{provider}/callback",
            get(routes::oauth::callback),
        )
        .route("/api", get(not_found).fallback(not_found))
        .route("/api/{*rest}", get(not_found).fallback(not_found))
        .route("/auth/{*rest}", get(not_found).fallback(not_found));
    let limited = match state.limiter {
        Some(_) => limited.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        )),
        None => limited,
    };
    let api = Router::new()
        .route("/health", get(routes::health::health))
        .route("/ready", get(routes::health::ready))
        .route(
            "/.well-known/openid-configuration",
            get(routes::auth::openid_configuration),
        )
        .route("/admin/{*rest}", get(not_found).fallback(not_found))
        // One-click unsubscribe (RFC 8058): mail providers POST here without a session.
        .route(
            "/email/unsubscribe",
            get(routes::unsubscribe::page).post(routes::unsubscribe::confirm),
        )
        // Stripe authenticates with its signature and retries on 429; not gateway-limited.
        .route("/api/webhooks/stripe", post(routes::webhooks::stripe))
        .route(
            "/checkout/local/portal/{session}",
            get(routes::local_portal::page).post(routes::local_portal::change),
        )
        .route(
            "/checkout/local/{session}",
            get(routes::local_checkout::page).post(routes::local_checkout::pay),
        )
        .merge(limited);
    let api = match &state.settings.web_dir {
        Some(dir) if dir.is_dir() => {
            let site = site::Site::new(dir.clone());
            let serve = move |request: axum::extract::Request| {
                let site = site.clone();
                async move { site.serve(request).await }
            };
            // The social sign-in landing page lives under /auth, which is otherwise the API's.
            api.route("/auth/callback/", get(serve.clone()))
                .fallback(serve)
        }
        _ => api.fallback(not_found),
    };
    let metrics = state.metrics.clone();
    middleware::layered(api, &state.settings.http, metrics).with_state(state)
}

/// Everything on the admin listener (never exposed publicly).
pub fn admin_router(state: AppState) -> Router {
    let operators = Router::new()
        .route("/admin/metrics/mrr", get(routes::admin::mrr))
        .route(
            "/admin/metrics/overview",
            get(routes::admin::overview::overview),
        )
        .route("/admin/users", get(routes::admin::users::list))
        .route("/admin/users/{id}", get(routes::admin::users::detail))
        .route("/admin/users/{id}/access", post(routes::admin::set_access))
        .route("/admin/payments", get(routes::admin::payments::list))
        .route("/admin/services", get(routes::admin::services::list))
        .route(
            "/admin/services/{service}",
            get(routes::admin::services::get).patch(routes::admin::services::patch),
        )
        .route("/admin/flags", get(routes::admin::flags::list))
        .route(
            "/admin/flags/{key}",
            get(routes::admin::flags::get).put(routes::admin::flags::put),
        )
        .route("/admin/events", get(routes::admin::events::list));
    // The allow-list guards the operators' routes; health and the scrape stay reachable for
    // probes and Prometheus (the scrape has its own token).
    let operators = if state.settings.admin_allow_ips.is_empty() {
        operators
    } else {
        operators.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin_allow_list,
        ))
    };
    let admin = Router::new()
        .route("/health", get(routes::health::health))
        .route("/metrics", get(routes::metrics::scrape))
        .merge(operators)
        .fallback(not_found);
    let metrics = state.metrics.clone();
    middleware::layered(admin, &state.settings.http, metrics).with_state(state)
}

/// `KONQER_ADMIN_ALLOW_IPS`: the admin listener answers only the listed client addresses.
async fn admin_allow_list(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let ip = client_ip::ClientIp::of(&parts, &state);
    if !state
        .settings
        .admin_allow_ips
        .iter()
        .any(|c| c.contains(ip))
    {
        tracing::warn!(%ip, "admin request from an address outside KONQER_ADMIN_ALLOW_IPS");
        return ApiError::Forbidden("This address may not use the admin API.".to_owned())
            .into_response();
    }
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

async fn not_found() -> ApiError {
    ApiError::NotFound("There is nothing at this address.".to_owned())
}

async fn openapi_json() -> Response {
    let mut response = openapi::document_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
