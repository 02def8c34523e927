//! Buying through Stripe Checkout (`STRIPE_SECRET_KEY` set) against the stand-in Stripe, on
//! both back ends: the sessions carry the right price, metadata and idempotency key; the
//! customer is created once; Stripe's webhooks for the paid session grant access; the portal
//! opens for the customer; and Stripe failing is a 502 problem that stores nothing.

mod common;

use chrono::Utc;
use common::{assert_problem, statuses, TestApp};
use konqer_billing::signature::sign;
use konqer_billing::stripe::{catalog, StripeClient, StripeSettings};
use konqer_domain::Secret;
use konqer_server::Config;
use konqer_store::testing::TestDb;
use konqer_testkit::stripe::Received;
use konqer_testkit::StandInStripe;
use serde_json::{json, Value};
use uuid::Uuid;

konqer_store::both_backends!(
    founding_single_and_bundle_open_stripe_sessions_for_their_lookup_keys,
    paying_at_stripe_grants_access_and_the_portal_opens_for_the_customer,
    concurrent_first_checkouts_create_one_customer,
    the_portal_needs_a_stripe_customer,
    stripe_failing_is_a_502_problem_that_stores_nothing,
    a_cached_price_archived_since_is_looked_up_again,
);

const WEBHOOK_SECRET: &str = "whsec_stand_in_endpoint";
const WEB: &str = "https://app.konqer.test";
const SUCCESS_URL: &str =
    "https://app.konqer.test/billing/success/?session_id={CHECKOUT_SESSION_ID}";

async fn start(db: TestDb, stripe: &StandInStripe) -> TestApp {
    let today = Utc::now().date_naive().to_string();
    TestApp::start(
        db,
        &[
            ("STRIPE_SECRET_KEY", stripe.secret_key()),
            ("KONQER_STRIPE_BASE_URL", stripe.base_url()),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("KONQER_WEB_URL", WEB),
            ("KONQER_LAUNCH_DATE", today.as_str()),
        ],
    )
    .await
}

/// What `konqer stripe sync` does, so the lookup keys resolve.
async fn sync(stripe: &StandInStripe) {
    let settings = StripeSettings::new(Secret::new(stripe.secret_key().to_owned()))
        .with_base_url(stripe.base_url());
    let client = StripeClient::new(settings).unwrap();
    client.sync(&catalog()).await.unwrap();
}

async fn signed_up(app: &TestApp, email: &str) -> (String, Uuid) {
    let tokens = app.register(email, "correct horse battery staple").await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let user = app
        .db
        .store
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap();
    (token, user.id)
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Starts a checkout that must succeed; returns the Stripe session id from its URL.
async fn checkout(
    app: &TestApp,
    stripe: &StandInStripe,
    token: &str,
    path: &str,
    body: Value,
) -> String {
    let response = post(app, token, path, body).await;
    assert_eq!(response.status(), 200, "{path}");
    let started: Value = response.json().await.unwrap();
    let url = started["checkout_url"].as_str().unwrap();
    let prefix = format!("{}/c/pay/", stripe.base_url());
    let id = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
    assert!(id.starts_with("cs_test_"), "{url}");
    id.to_owned()
}

fn price_id(stripe: &StandInStripe, lookup_key: &str) -> String {
    let prices = stripe.prices();
    let price = prices
        .iter()
        .find(|p| p["lookup_key"] == lookup_key)
        .unwrap_or_else(|| panic!("no price {lookup_key}"));
    price["id"].as_str().unwrap().to_owned()
}

fn last_session_request(stripe: &StandInStripe) -> Received {
    stripe
        .requests_to("POST", "/v1/checkout/sessions")
        .pop()
        .expect("a Checkout Session was requested")
}

/// How many price searches asked for this lookup key.
fn lookups_of(stripe: &StandInStripe, lookup_key: &str) -> usize {
    let searches = stripe.requests_to("GET", "/v1/prices");
    searches
        .iter()
        .filter(|r| {
            r.params
                .iter()
                .any(|(k, v)| k == "lookup_keys[]" && v == lookup_key)
        })
        .count()
}

async fn stored_customer(app: &TestApp, user: Uuid) -> Option<String> {
    app.db.store.stripe_customer_id(user).await.unwrap()
}

async fn founding_single_and_bundle_open_stripe_sessions_for_their_lookup_keys(db: TestDb) {
    let stripe = StandInStripe::start().await;
    sync(&stripe).await;
    let app = start(db, &stripe).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    let user_text = user.to_string();

    let cases = [
        (
            "/api/checkout/founding",
            json!({}),
            "konqer_founding_year",
            "founding",
            "",
            "year",
        ),
        (
            "/api/checkout/single",
            json!({"service": "objection", "interval": "month"}),
            "konqer_single_objection_month",
            "monthly_single",
            "objection",
            "month",
        ),
        (
            "/api/checkout/bundle",
            json!({"interval": "year"}),
            "konqer_bundle_year",
            "annual_bundle",
            "",
            "year",
        ),
    ];
    let mut keys = Vec::new();
    for (path, body, lookup_key, plan, service, interval) in cases {
        // `sync` searched for every key once already.
        let before = lookups_of(&stripe, lookup_key);
        checkout(&app, &stripe, &token, path, body).await;
        assert_eq!(lookups_of(&stripe, lookup_key), before + 1, "{lookup_key}");
        let sent = last_session_request(&stripe);
        let customer = stored_customer(&app, user)
            .await
            .expect("the customer is stored");
        assert_eq!(sent.param("mode"), Some("subscription"));
        assert_eq!(sent.param("customer"), Some(customer.as_str()));
        assert_eq!(
            sent.param("line_items[0][price]"),
            Some(price_id(&stripe, lookup_key).as_str())
        );
        assert_eq!(sent.param("line_items[0][quantity]"), Some("1"));
        assert_eq!(sent.param("client_reference_id"), Some(user_text.as_str()));
        assert_eq!(sent.param("success_url"), Some(SUCCESS_URL));
        assert_eq!(
            sent.param("cancel_url"),
            Some("https://app.konqer.test/billing/cancel/")
        );
        for prefix in ["metadata", "subscription_data[metadata]"] {
            let field = |name: &str| sent.param(&format!("{prefix}[{name}]")).map(str::to_owned);
            assert_eq!(
                field("user_id").as_deref(),
                Some(user_text.as_str()),
                "{prefix}"
            );
            assert_eq!(field("plan").as_deref(), Some(plan), "{prefix}");
            assert_eq!(field("interval").as_deref(), Some(interval), "{prefix}");
            // Stripe reads an empty metadata value as "unset", so none is sent.
            let expected_service = Some(service).filter(|s| !s.is_empty());
            assert_eq!(field("service").as_deref(), expected_service, "{prefix}");
        }
        let key = sent
            .idempotency_key
            .expect("an Idempotency-Key on the POST");
        assert!(key.starts_with("konqer-checkout-"), "{key}");
        keys.push(key);
    }
    keys.dedup();
    assert_eq!(keys.len(), 3, "each checkout has its own key");

    // The customer was created once, for this user, with a key derived from the user.
    let created = stripe.requests_to("POST", "/v1/customers");
    assert_eq!(created.len(), 1, "{created:#?}");
    assert_eq!(created[0].param("email"), Some("ada@example.com"));
    assert_eq!(
        created[0].param("metadata[user_id]"),
        Some(user_text.as_str())
    );
    assert_eq!(
        created[0].idempotency_key.as_deref(),
        Some(format!("konqer-customer-{user}").as_str())
    );
    assert_eq!(stripe.customers().len(), 1);
    assert_eq!(
        stripe.customers()[0]["id"].as_str(),
        stored_customer(&app, user).await.as_deref()
    );

    // Lookups are cached: a second founding checkout asks Stripe for the session only.
    let before = lookups_of(&stripe, "konqer_founding_year");
    checkout(&app, &stripe, &token, "/api/checkout/founding", json!({})).await;
    assert_eq!(lookups_of(&stripe, "konqer_founding_year"), before);
    assert_eq!(stripe.checkout_sessions().len(), 4);
    assert_eq!(stripe.requests_to("POST", "/v1/customers").len(), 1);
    // Nothing is bought until Stripe says so.
    assert!(app
        .db
        .store
        .subscriptions_of(user)
        .await
        .unwrap()
        .is_empty());
}

/// Signs Stripe's events the way Stripe does for our endpoint and delivers them.
async fn deliver(app: &TestApp, events: &[Value]) {
    for event in events {
        let body = event.to_string();
        let signature = sign(WEBHOOK_SECRET, Utc::now().timestamp(), body.as_bytes());
        let response = app
            .client
            .post(app.url("/api/webhooks/stripe"))
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", event["type"]);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["duplicate"], false, "{}", event["type"]);
    }
}

async fn paying_at_stripe_grants_access_and_the_portal_opens_for_the_customer(db: TestDb) {
    let stripe = StandInStripe::start().await;
    sync(&stripe).await;
    let app = start(db, &stripe).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    assert!(statuses(&app, &token)
        .await
        .iter()
        .all(|(_, s)| s == "locked"));

    let session = checkout(&app, &stripe, &token, "/api/checkout/founding", json!({})).await;
    let events = stripe
        .complete_session(&session)
        .expect("an open session to pay");
    deliver(&app, &events).await;

    for (service, status) in statuses(&app, &token).await {
        let launch_day = ["cold-dm", "objection", "carousel"].contains(&service.as_str());
        let expected = if launch_day { "unlocked" } else { "scheduled" };
        assert_eq!(status, expected, "{service}");
    }
    let subscriptions = app.db.store.subscriptions_of(user).await.unwrap();
    assert_eq!(subscriptions.len(), 1);
    let customer = stored_customer(&app, user).await.unwrap();
    assert_eq!(
        subscriptions[0].stripe_customer_id.as_deref(),
        Some(customer.as_str())
    );
    let payments = app.db.store.payments_of(user).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].1, 69_900);

    // Covered now: no second session is opened at Stripe.
    let again = post(&app, &token, "/api/checkout/founding", json!({})).await;
    assert_problem(again, 409, "conflict").await;
    assert_eq!(stripe.checkout_sessions().len(), 1);

    let response = post(&app, &token, "/api/checkout/portal", json!({})).await;
    assert_eq!(response.status(), 200);
    let started: Value = response.json().await.unwrap();
    let url = started["portal_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/p/session/bps_", stripe.base_url())),
        "{url}"
    );
    let sent = stripe
        .requests_to("POST", "/v1/billing_portal/sessions")
        .remove(0);
    assert_eq!(sent.param("customer"), Some(customer.as_str()));
    assert_eq!(
        sent.param("return_url"),
        Some("https://app.konqer.test/billing/")
    );
    assert!(sent
        .idempotency_key
        .is_some_and(|k| k.starts_with("konqer-portal-")));
}

async fn concurrent_first_checkouts_create_one_customer(db: TestDb) {
    let stripe = StandInStripe::start().await;
    sync(&stripe).await;
    let app = start(db, &stripe).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    let bodies = [
        ("/api/checkout/founding", json!({})),
        ("/api/checkout/bundle", json!({"interval": "month"})),
        (
            "/api/checkout/single",
            json!({"service": "cold-dm", "interval": "year"}),
        ),
        (
            "/api/checkout/single",
            json!({"service": "webinar", "interval": "month"}),
        ),
    ];
    let requests = bodies.map(|(path, body)| {
        let request = app
            .client
            .post(app.url(path))
            .bearer_auth(&token)
            .json(&body);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(stripe.customers().len(), 1, "one customer at Stripe");
    let customer = stored_customer(&app, user).await.unwrap();
    assert_eq!(
        stripe.customers()[0]["id"].as_str(),
        Some(customer.as_str())
    );
    let sessions = stripe.checkout_sessions();
    assert_eq!(sessions.len(), 4);
    assert!(sessions.iter().all(|s| s["customer"] == customer.as_str()));
}

async fn the_portal_needs_a_stripe_customer(db: TestDb) {
    let stripe = StandInStripe::start().await;
    let app = start(db, &stripe).await;
    let (token, _) = signed_up(&app, "ada@example.com").await;
    let response = post(&app, &token, "/api/checkout/portal", json!({})).await;
    assert_problem(response, 409, "conflict").await;
    assert!(stripe.requests().is_empty(), "{:#?}", stripe.requests());
    let anonymous = app
        .client
        .post(app.url("/api/checkout/portal"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

async fn stripe_failing_is_a_502_problem_that_stores_nothing(db: TestDb) {
    let stripe = StandInStripe::start().await;
    let app = start(db, &stripe).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;

    // Stripe is down for every attempt the client makes (three).
    stripe.fail_next(500, 3);
    let down = post(&app, &token, "/api/checkout/founding", json!({})).await;
    let body = assert_problem(down, 502, "upstream_error").await;
    let text = body.to_string();
    for internal in ["api_error", "127.0.0.1", "stripe.com", "sk_test", "req_"] {
        assert!(!text.contains(internal), "{internal} leaked: {text}");
    }
    let attempts = stripe.requests_to("POST", "/v1/customers");
    assert_eq!(attempts.len(), 3, "bounded retries");
    assert!(attempts
        .iter()
        .all(|a| a.idempotency_key == attempts[0].idempotency_key));
    assert!(stripe.customers().is_empty());
    assert_eq!(stored_customer(&app, user).await, None);
    assert!(app
        .db
        .store
        .subscriptions_of(user)
        .await
        .unwrap()
        .is_empty());

    // Stripe answers again but has no price with the lookup key (`stripe sync` not run):
    // still 502, and no session.
    let unsynced = post(
        &app,
        &token,
        "/api/checkout/bundle",
        json!({"interval": "month"}),
    )
    .await;
    assert_problem(unsynced, 502, "upstream_error").await;
    assert!(stripe.checkout_sessions().is_empty());

    // Once the catalog exists, the same user checks out with the one customer.
    sync(&stripe).await;
    checkout(
        &app,
        &stripe,
        &token,
        "/api/checkout/bundle",
        json!({"interval": "month"}),
    )
    .await;
    assert_eq!(stripe.customers().len(), 1);
    assert_eq!(
        stripe.customers()[0]["id"].as_str(),
        stored_customer(&app, user).await.as_deref()
    );

    // A failing portal is a 502 as well.
    stripe.fail_next(500, 3);
    let portal = post(&app, &token, "/api/checkout/portal", json!({})).await;
    assert_problem(portal, 502, "upstream_error").await;
    assert!(stripe.portal_sessions().is_empty());
}

async fn a_cached_price_archived_since_is_looked_up_again(db: TestDb) {
    let stripe = StandInStripe::start().await;
    sync(&stripe).await;
    let app = start(db, &stripe).await;
    let (token, _) = signed_up(&app, "ada@example.com").await;
    checkout(&app, &stripe, &token, "/api/checkout/founding", json!({})).await;
    let old = price_id(&stripe, "konqer_founding_year");

    // An operator archives the price in the dashboard and `stripe sync` replaces it.
    assert!(stripe.archive_price("konqer_founding_year"));
    sync(&stripe).await;
    let new = price_id(&stripe, "konqer_founding_year");
    assert_ne!(old, new);

    checkout(&app, &stripe, &token, "/api/checkout/founding", json!({})).await;
    let sessions = stripe.requests_to("POST", "/v1/checkout/sessions");
    let prices: Vec<Option<&str>> = sessions
        .iter()
        .map(|r| r.param("line_items[0][price]"))
        .collect();
    // The cached (archived) price is refused once, then the fresh one is used.
    assert_eq!(
        prices,
        [Some(old.as_str()), Some(old.as_str()), Some(new.as_str())]
    );
    assert_eq!(stripe.checkout_sessions().len(), 2);
}

#[test]
fn a_stripe_key_without_a_webhook_secret_is_refused_at_start() {
    let vars = |pairs: &[(&str, &str)]| {
        Config::from_vars(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
    };
    let config = vars(&[("STRIPE_SECRET_KEY", "sk_test_x")]);
    let error = konqer_server::stripe::billing(&config)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("STRIPE_WEBHOOK_SECRET: is required"),
        "{error}"
    );
    assert!(!error.contains("sk_test_x"));
    let local = vars(&[("STRIPE_WEBHOOK_SECRET", "whsec_x")]);
    assert!(konqer_server::stripe::billing(&local).unwrap().is_none());
    let both = vars(&[
        ("STRIPE_SECRET_KEY", "sk_test_x"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ("KONQER_STRIPE_BASE_URL", "http://127.0.0.1:9/"),
    ]);
    assert!(konqer_server::stripe::billing(&both).unwrap().is_some());
}
