//! A stand-in Stripe API on 127.0.0.1: customers, products and prices (listed by lookup key),
//! Checkout and Billing Portal sessions, subscriptions. It speaks Stripe's wire format —
//! bracket form encoding in, Stripe's JSON objects and error objects out — requires a
//! `sk_test_` bearer key, honours `Idempotency-Key` as Stripe does, records every request, and
//! can be told to fail (500, 429 with `Retry-After`) or to answer too late for the client.

mod error;
mod form;
mod front;
mod world;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::server::{bind, Served, Traffic};
use error::ApiError;
use front::{gate, unrecognized};
use world::World;

/// The key the stand-in accepts (`Authorization: Bearer …`).
pub const SECRET_KEY: &str = "sk_test_konqer_stand_in";

/// One request as the stand-in received it (the key itself is not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    /// Form body (POST) or query (GET), decoded, in the order sent.
    pub params: Vec<(String, String)>,
}

impl Received {
    /// The value of one parameter, e.g. `metadata[user_id]`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether any parameter is `name` or nested under it (`name[…]`).
    pub fn has_param(&self, name: &str) -> bool {
        self.params
            .iter()
            .any(|(k, _)| k == name || k.starts_with(&format!("{name}[")))
    }
}

pub struct StandInStripe {
    base: String,
    state: Arc<StripeState>,
    traffic: Traffic,
    _served: Served,
}

struct StripeState {
    base: String,
    world: Mutex<World>,
    log: Mutex<Log>,
}

/// What Stripe remembers for an idempotency key: the endpoint, the parameters and the answer.
struct Saved {
    endpoint: String,
    params: Vec<(String, String)>,
    object: Value,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    failures: VecDeque<(StatusCode, Option<u64>)>,
    late_answers: VecDeque<Duration>,
    saved: HashMap<String, Saved>,
}

type Create = fn(&mut World, &str, &Value) -> Result<Value, ApiError>;

impl StandInStripe {
    pub async fn start() -> StandInStripe {
        let (listener, base) = bind().await;
        let state = Arc::new(StripeState {
            base: base.clone(),
            world: Mutex::new(World::default()),
            log: Mutex::new(Log::default()),
        });
        let router = Router::new()
            .route("/v1/customers", post(create_customer))
            .route("/v1/products", post(create_product))
            .route("/v1/products/{id}", get(retrieve_product))
            .route("/v1/prices", get(list_prices).post(create_price))
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/billing_portal/sessions", post(create_portal_session))
            .route("/v1/subscriptions/{id}", get(retrieve_subscription))
            .fallback(unrecognized)
            .method_not_allowed_fallback(unrecognized)
            .layer(middleware::from_fn_with_state(state.clone(), gate))
            .with_state(state.clone());
        let traffic = Traffic::default();
        let served = Served::start(listener, router, traffic.clone());
        StandInStripe {
            base,
            state,
            traffic,
            _served: served,
        }
    }

    /// What the client is configured with (it appends `/v1/…`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn secret_key(&self) -> &'static str {
        SECRET_KEY
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Every request received, failed and refused ones included, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.state.log().received.clone()
    }

    /// The requests received with this method on this path.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Received> {
        let log = self.state.log();
        let matching = log
            .received
            .iter()
            .filter(|r| r.method == method && r.path == path);
        matching.cloned().collect()
    }

    /// The next `times` authorised requests get `status` (500 → `api_error`, 429 →
    /// `rate_limit_error`) before anything is done.
    pub fn fail_next(&self, status: u16, times: usize) {
        self.script(status, None, times);
    }

    /// Like [`StandInStripe::fail_next`], with `Retry-After: <seconds>`.
    pub fn fail_next_with_retry_after(&self, status: u16, seconds: u64, times: usize) {
        self.script(status, Some(seconds), times);
    }

    /// The next POST that creates something is carried out, but its answer is held back for
    /// `delay`: to a client with a shorter timeout, the answer was lost.
    pub fn answer_next_late(&self, delay: Duration) {
        self.state.log().late_answers.push_back(delay);
    }

    pub fn customers(&self) -> Vec<Value> {
        self.state.world().customers.values().cloned().collect()
    }

    pub fn products(&self) -> Vec<Value> {
        self.state.world().products.values().cloned().collect()
    }

    pub fn prices(&self) -> Vec<Value> {
        self.state.world().prices.values().cloned().collect()
    }

    /// Archives the price holding `lookup_key` as an operator would in the dashboard (it
    /// keeps the key until a new price takes it over); false if no price holds it.
    pub fn archive_price(&self, lookup_key: &str) -> bool {
        let mut world = self.state.world();
        let price = world
            .prices
            .values_mut()
            .find(|p| p["lookup_key"].as_str() == Some(lookup_key));
        match price {
            Some(price) => {
                price["active"] = Value::Bool(false);
                true
            }
            None => false,
        }
    }

    pub fn checkout_sessions(&self) -> Vec<Value> {
        let world = self.state.world();
        world.sessions.values().map(|s| s.object.clone()).collect()
    }

    pub fn portal_sessions(&self) -> Vec<Value> {
        self.state
            .world()
            .portal_sessions
            .values()
            .cloned()
            .collect()
    }

    pub fn subscriptions(&self) -> Vec<Value> {
        self.state.world().subscriptions.values().cloned().collect()
    }

    /// Pays an open subscription Checkout Session as a customer would: creates the
    /// subscription (with the session's `subscription_data[metadata]`), completes the session
    /// and returns the events Stripe would send — `checkout.session.completed`,
    /// `customer.subscription.created`, `invoice.paid` — unsigned, for the test to sign with
    /// the webhook secret. `None` if there is no such open session.
    pub fn complete_session(&self, id: &str) -> Option<Vec<Value>> {
        self.state.world().complete_session(id)
    }

    fn script(&self, status: u16, retry_after: Option<u64>, times: usize) {
        let status =
            StatusCode::from_u16(status).expect("a valid HTTP status for a scripted failure");
        let mut log = self.state.log();
        log.failures
            .extend(std::iter::repeat_n((status, retry_after), times));
    }
}

impl StripeState {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A creating POST, idempotent as Stripe's are: the same key with the same parameters
    /// answers the saved object again (`Idempotent-Replayed: true`); with other parameters or
    /// on another endpoint, Stripe's 400 `idempotency_error`. Refused requests are not saved,
    /// as Stripe does not save requests that fail validation.
    async fn create(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
        body: &str,
        make: Create,
    ) -> Response {
        let mut pairs = form::pairs(body);
        let params = match form::nest(&pairs) {
            Ok(params) => params,
            Err(message) => return ApiError::invalid(message, None).into_response(),
        };
        pairs.sort();
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = {
            // One creation at a time: a concurrent retry with the same key sees the first
            // one's saved answer rather than creating a second object.
            let mut world = self.world();
            if let Some(key) = &key {
                if key.len() > 255 {
                    let message = "Idempotency-Key must be at most 255 characters long.";
                    return ApiError::invalid(message, None).into_response();
                }
                if let Some(saved) = self.log().saved.get(key) {
                    return replay(saved, key, endpoint, &pairs);
                }
            }
            let object = match make(&mut world, &self.base, &params) {
                Ok(object) => object,
                Err(error) => return error.into_response(),
            };
            let mut log = self.log();
            if let Some(key) = &key {
                let saved = Saved {
                    endpoint: endpoint.to_owned(),
                    params: pairs,
                    object: object.clone(),
                };
                log.saved.insert(key.clone(), saved);
            }
            (object, log.late_answers.pop_front())
        };
        let (object, late) = answer;
        if let Some(delay) = late {
            tokio::time::sleep(delay).await;
        }
        Json(object).into_response()
    }
}

fn replay(saved: &Saved, key: &str, endpoint: &str, pairs: &[(String, String)]) -> Response {
    let mismatch = if saved.endpoint != endpoint {
        Some(format!(
            "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{}' vs '{endpoint}'). Try using a key other than '{key}' if you meant to execute a different request.",
            saved.endpoint
        ))
    } else if saved.params != pairs {
        Some(format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
        ))
    } else {
        None
    };
    if let Some(message) = mismatch {
        let error = ApiError {
            kind: "idempotency_error",
            ..ApiError::invalid(message, None)
        };
        return error.into_response();
    }
    let mut response = Json(saved.object.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

type Shared = State<Arc<StripeState>>;

async fn create_customer(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    s.create("/v1/customers", &headers, &body, World::create_customer)
        .await
}

async fn create_product(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    s.create("/v1/products", &headers, &body, World::create_product)
        .await
}

async fn create_price(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    s.create("/v1/prices", &headers, &body, World::create_price)
        .await
}

async fn create_session(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    s.create(
        "/v1/checkout/sessions",
        &headers,
        &body,
        World::create_session,
    )
    .await
}

async fn create_portal_session(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    let make: Create = World::create_portal_session;
    s.create("/v1/billing_portal/sessions", &headers, &body, make)
        .await
}

async fn list_prices(State(s): Shared, RawQuery(query): RawQuery) -> Response {
    let params = form::nest(&form::pairs(&query.unwrap_or_default()));
    let listed = params
        .map_err(|message| ApiError::invalid(message, None))
        .and_then(|params| s.world().list_prices(&params));
    answer(listed)
}

async fn retrieve_product(State(s): Shared, Path(id): Path<String>) -> Response {
    answer(s.world().product(&id))
}

async fn retrieve_subscription(State(s): Shared, Path(id): Path<String>) -> Response {
    answer(s.world().subscription(&id))
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(object) => Json(object).into_response(),
        Err(error) => error.into_response(),
    }
}
