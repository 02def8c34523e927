//! Prometheus metrics, served on the admin listener. HTTP series are labelled by the route
//! *template* (`/api/services/{service}`), never the raw path, so cardinality stays bounded.

use std::sync::{Arc, OnceLock};

use axum::extract::MatchedPath;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A route template as a label value. Holds the router's own shared string, so recording a
/// request allocates nothing.
#[derive(Clone, Debug)]
pub enum Route {
    Matched(MatchedPath),
    Unmatched,
}

impl Route {
    pub fn as_str(&self) -> &str {
        match self {
            Route::Matched(path) => path.as_str(),
            Route::Unmatched => "unmatched",
        }
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl std::hash::Hash for Route {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: Route,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: Route,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: HistogramFamily,
    pub db_pool: Family<StateLabels, Gauge>,
    pub jobs: Family<StateLabels, Gauge>,
    /// Requests refused by the gateway limit.
    pub rate_limited: Counter,
    /// Checks let through uncounted because the shared limiter (Redis) failed; set at scrape.
    pub rate_limit_fail_open: Gauge,
    /// Business figures read at scrape time: MRR in cents, live subscriptions by plan.
    pub mrr_cents: Gauge,
    pub subscriptions: Family<PlanLabels, Gauge>,
    /// Tokens reported by the text provider, by service and kind (prompt, completion).
    pub llm_tokens: Family<TokenLabels, Counter>,
    /// Generation requests by service and how they ended.
    pub generations: Family<GenerationLabels, Counter>,
    /// Time a successful generation spent outside its providers (text and enrichment).
    pub generation_overhead: Family<ServiceLabels, Histogram, fn() -> Histogram>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    pub service: &'static str,
}

fn overhead_histogram() -> Histogram {
    // 0.125 ms … 256 ms
    Histogram::new(exponential_buckets(0.000_125, 2.0, 12))
}

/// How a generation request ended, as the `outcome` label of `konqer_generations_total`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// Generated, stored and answered.
    Succeeded,
    /// Refused before any work: the input did not validate.
    Invalid,
    /// Refused: no entitlement, not released yet, locked or switched off.
    Locked,
    /// Refused: today's quota was used up.
    DailyLimit,
    /// The text provider failed (quota given back).
    Failed,
    /// A streaming client left before the end (quota given back).
    Cancelled,
    /// Anything else, such as the database being unavailable.
    Error,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Invalid => "invalid",
            Outcome::Locked => "locked",
            Outcome::DailyLimit => "daily_limit",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Error => "error",
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GenerationLabels {
    pub service: &'static str,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub service: &'static str,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlanLabels {
    pub plan: &'static str,
}

fn duration_histogram() -> Histogram {
    // 0.5 ms … ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration: HistogramFamily = Family::new_with_constructor(duration_histogram);
        let db_pool = Family::<StateLabels, Gauge>::default();
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "konqer_http_requests",
            "HTTP requests answered, by method, route template and status",
            http_requests.clone(),
        );
        registry.register(
            "konqer_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            http_duration.clone(),
        );
        registry.register(
            "konqer_db_pool_connections",
            "Database pool connections: size (open), idle, max",
            db_pool.clone(),
        );
        registry.register("konqer_jobs", "Background jobs by state", jobs.clone());
        let rate_limited = Counter::default();
        registry.register(
            "konqer_rate_limited",
            "Requests refused by the per-user/per-address rate limit",
            rate_limited.clone(),
        );
        let rate_limit_fail_open = Gauge::default();
        registry.register(
            "konqer_rate_limit_fail_open",
            "Requests let through unlimited because the shared rate limiter was unavailable",
            rate_limit_fail_open.clone(),
        );
        let mrr_cents = Gauge::default();
        registry.register(
            "konqer_mrr_cents",
            "Monthly recurring revenue in euro cents (annual plans divided by 12)",
            mrr_cents.clone(),
        );
        let subscriptions = Family::<PlanLabels, Gauge>::default();
        registry.register(
            "konqer_subscriptions_live",
            "Active, trialing and past-due subscriptions by plan",
            subscriptions.clone(),
        );
        let llm_tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "konqer_llm_tokens",
            "Tokens the text provider reported, by service and kind",
            llm_tokens.clone(),
        );
        let generations = Family::<GenerationLabels, Counter>::default();
        registry.register(
            "konqer_generations",
            "Generation requests by service and outcome (succeeded, invalid, locked, daily_limit, failed, cancelled, error)",
            generations.clone(),
        );
        let generation_overhead: Family<ServiceLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(overhead_histogram);
        registry.register(
            "konqer_generation_overhead_seconds",
            "Time a successful generation spent outside its providers: from the request's arrival to the answer, minus text generation and enrichment",
            generation_overhead.clone(),
        );
        Arc::new(Metrics {
            registry,
            generations,
            generation_overhead,
            llm_tokens,
            mrr_cents,
            subscriptions,
            http_requests,
            http_duration,
            db_pool,
            jobs,
            rate_limited,
            rate_limit_fail_open,
        })
    }

    pub fn record_tokens(&self, service: &'static str, prompt: u64, completion: u64) {
        for (kind, n) in [("prompt", prompt), ("completion", completion)] {
            self.llm_tokens
                .get_or_create(&TokenLabels { service, kind })
                .inc_by(n);
        }
    }

    pub fn record_generation(&self, service: &'static str, outcome: Outcome) {
        self.generations
            .get_or_create(&GenerationLabels { service, outcome })
            .inc();
    }

    pub fn record_overhead(&self, service: &'static str, overhead: std::time::Duration) {
        self.generation_overhead
            .get_or_create(&ServiceLabels { service })
            .observe(overhead.as_secs_f64());
    }

    pub fn record_rate_limited(&self) {
        self.rate_limited.inc();
    }

    pub fn observe_request(&self, method: &'static str, route: Route, status: u16, seconds: f64) {
        self.http_duration
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(seconds);
        self.http_requests
            .get_or_create(&HttpLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Records one request of a layered endpoint: through the handles `series` resolved
    /// earlier when they cover these labels, through the families otherwise (resolving the
    /// endpoint's handles on its first request). Same series either way.
    pub fn observe_endpoint(
        &self,
        series: &EndpointSeries,
        method: &'static str,
        route: RouteRef<'_>,
        status: u16,
        seconds: f64,
    ) {
        let route = match route {
            RouteRef::Label(route) => route,
            RouteRef::Covered => {
                // `covers` said yes, so the handles exist.
                if let Some(resolved) = series.route.get() {
                    resolved.record(self, status, seconds);
                }
                return;
            }
        };
        self.observe_request(method, route.clone(), status, seconds);
        series.route.get_or_init(|| {
            let labels = RouteLabels {
                method,
                route: route.clone(),
            };
            ResolvedRoute {
                method,
                route: route.clone(),
                duration: self.http_duration.get_or_create(&labels).clone(),
                by_status: Default::default(),
            }
        });
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The metric handles of one layered endpoint (one route of the router, or its fallback).
/// An endpoint answers one route template, nearly always for one method, so after its first
/// request the series are resolved once and kept here: recording is then an atomic add and a
/// histogram observation instead of two hashed, locked family look-ups. The families still
/// own the series; these are clones of their handles.
#[derive(Default)]
pub struct EndpointSeries {
    route: OnceLock<ResolvedRoute>,
}

struct ResolvedRoute {
    method: &'static str,
    route: Route,
    duration: Histogram,
    /// Counters of the first few statuses seen; others go through the family.
    by_status: [OnceLock<(u16, Counter)>; 4],
}

impl ResolvedRoute {
    fn record(&self, metrics: &Metrics, status: u16, seconds: f64) {
        self.duration.observe(seconds);
        let labels = || HttpLabels {
            method: self.method,
            route: self.route.clone(),
            status,
        };
        for slot in &self.by_status {
            let (code, counter) = slot.get_or_init(|| {
                (
                    status,
                    metrics.http_requests.get_or_create(&labels()).clone(),
                )
            });
            if *code == status {
                counter.inc();
                return;
            }
        }
        metrics.http_requests.get_or_create(&labels()).inc();
    }
}

impl EndpointSeries {
    /// Whether the resolved handles are for this method and route template, so the request
    /// can be recorded with [`RouteRef::Covered`] without keeping its route label.
    pub fn covers(&self, method: &str, route: &str) -> bool {
        self.route
            .get()
            .is_some_and(|r| r.method == method && r.route.as_str() == route)
    }
}

/// The route of a request being recorded: covered by the endpoint's resolved handles, or
/// the label itself.
pub enum RouteRef<'a> {
    Covered,
    Label(&'a Route),
}

/// Bounded method label: unknown methods share one series.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_total_suffix_and_route_labels() {
        let metrics = Metrics::new();
        metrics.observe_request("GET", Route::Unmatched, 404, 0.002);
        metrics.observe_request("GET", Route::Unmatched, 404, 0.004);
        let text = metrics.render();
        assert!(
            text.contains(
                r#"konqer_http_requests_total{method="GET",route="unmatched",status="404"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains("konqer_http_request_duration_seconds_bucket"),
            "{text}"
        );
    }

    /// Records the same requests through an endpoint's resolved handles as through the
    /// families, including statuses beyond the cached few and a second method.
    #[test]
    fn endpoint_series_record_the_same_series_as_the_families() {
        let requests: Vec<(&'static str, u16)> = [200, 200, 404, 500, 200, 201, 409, 422, 200]
            .into_iter()
            .map(|status| ("GET", status))
            .chain([("POST", 201), ("POST", 201)])
            .collect();
        let direct = Metrics::new();
        let cached = Metrics::new();
        let series = EndpointSeries::default();
        for &(method, status) in &requests {
            direct.observe_request(method, Route::Unmatched, status, 0.001);
            let route = Route::Unmatched;
            let route = if series.covers(method, route.as_str()) {
                RouteRef::Covered
            } else {
                RouteRef::Label(&route)
            };
            cached.observe_endpoint(&series, method, route, status, 0.001);
        }
        assert!(series.covers("GET", "unmatched"));
        assert!(!series.covers("POST", "unmatched"));
        let lines = |m: &Metrics| {
            let mut lines: Vec<String> = m
                .render()
                .lines()
                .filter(|l| l.starts_with("konqer_http") && !l.contains("_sum"))
                .map(str::to_owned)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(lines(&cached), lines(&direct));
        assert!(lines(&cached).contains(
            &r#"konqer_http_requests_total{method="GET",route="unmatched",status="200"} 4"#
                .to_owned()
        ));
    }
}
