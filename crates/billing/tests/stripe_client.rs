//! The Stripe client against the stand-in Stripe: the exact form fields it sends, the
//! idempotency key on every POST and its reuse across retries, retries on 500/429 (and
//! `Retry-After`), Stripe's errors sorted by whose fault they are, prices by lookup key, the
//! catalog sync, portal sessions and subscriptions.

use std::time::{Duration, Instant};

use konqer_billing::checkout::Offer;
use konqer_billing::stripe::{
    catalog, IdempotencyKey, NewCheckout, NewCustomer, StripeClient, StripeError, StripeSettings,
};
use konqer_billing::{events, signature};
use konqer_domain::{BillingInterval, Cents, Secret, ServiceKey, SubscriptionStatus};
use konqer_jobs::Backoff;
use konqer_testkit::stripe::Received;
use konqer_testkit::StandInStripe;
use uuid::Uuid;

const OBJECTION_MONTHLY: Offer = Offer::Single(ServiceKey::Objection, BillingInterval::Month);

fn settings(stripe: &StandInStripe, key: &str) -> StripeSettings {
    let mut settings =
        StripeSettings::new(Secret::new(key.to_owned())).with_base_url(stripe.base_url());
    // Fast retries, so only a `Retry-After` can make a test wait.
    settings.backoff = Backoff {
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
    };
    settings
}

fn client(stripe: &StandInStripe) -> StripeClient {
    StripeClient::new(settings(stripe, stripe.secret_key())).unwrap()
}

fn only(requests: Vec<Received>) -> Received {
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests.into_iter().next().unwrap()
}

async fn customer(client: &StripeClient, user_id: Uuid) -> String {
    let new = NewCustomer {
        email: "ada@example.com",
        name: Some("Ada Lovelace"),
        user_id,
    };
    let key = IdempotencyKey::new("customer", user_id);
    client.create_customer(&new, &key).await.unwrap().id
}

async fn checkout(
    client: &StripeClient,
    customer: &str,
    user_id: Uuid,
    offer: Offer,
    price_id: &str,
) -> Result<konqer_billing::stripe::CheckoutSession, StripeError> {
    let new = NewCheckout {
        customer,
        user_id,
        offer,
        price_id,
        success_url: "https://konqer.test/billing/success?session={CHECKOUT_SESSION_ID}",
        cancel_url: "https://konqer.test/pricing",
    };
    let key = IdempotencyKey::new("checkout", format_args!("{user_id}-{}", offer.lookup_key()));
    client.create_checkout_session(&new, &key).await
}

#[tokio::test]
async fn customer_and_checkout_session_carry_the_exact_stripe_form_fields() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    client.sync(&catalog()).await.unwrap();
    let user = Uuid::new_v4();

    let customer_id = customer(&client, user).await;
    let sent = only(stripe.requests_to("POST", "/v1/customers"));
    assert_eq!(
        sent.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        sent.idempotency_key.as_deref(),
        Some(format!("konqer-customer-{user}").as_str())
    );
    assert_eq!(sent.stripe_version.as_deref(), Some("2024-06-20"));
    let user_text = user.to_string();
    assert_eq!(
        sent.params,
        [
            ("email", "ada@example.com"),
            ("name", "Ada Lovelace"),
            ("metadata[user_id]", user_text.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(stripe.customers()[0]["metadata"]["user_id"], user_text);

    let price = client.price_for(OBJECTION_MONTHLY).await.unwrap();
    let session = checkout(&client, &customer_id, user, OBJECTION_MONTHLY, &price.id)
        .await
        .unwrap();
    assert!(session.id.starts_with("cs_test_"));
    assert!(session.url.ends_with(&session.id), "{}", session.url);

    let sent = only(stripe.requests_to("POST", "/v1/checkout/sessions"));
    let key = format!("konqer-checkout-{user}-konqer_single_objection_month");
    assert_eq!(sent.idempotency_key.as_deref(), Some(key.as_str()));
    let expected = [
        ("mode", "subscription"),
        ("customer", customer_id.as_str()),
        ("client_reference_id", user_text.as_str()),
        ("line_items[0][price]", price.id.as_str()),
        ("line_items[0][quantity]", "1"),
        (
            "success_url",
            "https://konqer.test/billing/success?session={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://konqer.test/pricing"),
    ];
    for (name, value) in expected {
        assert_eq!(sent.param(name), Some(value), "{name}");
    }
    for prefix in ["metadata", "subscription_data[metadata]"] {
        let field = |k: &str| sent.param(&format!("{prefix}[{k}]")).map(str::to_owned);
        assert_eq!(field("user_id"), Some(user_text.clone()), "{prefix}");
        assert_eq!(field("plan").as_deref(), Some("monthly_single"), "{prefix}");
        assert_eq!(field("service").as_deref(), Some("objection"), "{prefix}");
        assert_eq!(field("interval").as_deref(), Some("month"), "{prefix}");
    }
    // Dynamic payment methods: the dashboard decides (card, PayPal), not the request.
    assert!(!sent.has_param("payment_method_types"));
    assert_eq!(sent.params.len(), expected.len() + 8);

    let stored = &stripe.checkout_sessions()[0];
    assert_eq!(stored["id"], session.id.as_str());
    assert_eq!(stored["metadata"]["service"], "objection");
    assert_eq!(stored["amount_total"], 9_900);
}

#[tokio::test]
async fn a_post_retried_after_a_500_reuses_its_idempotency_key_and_creates_one_object() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    stripe.fail_next(500, 1);

    let user = Uuid::new_v4();
    let id = customer(&client, user).await;

    let attempts = stripe.requests_to("POST", "/v1/customers");
    assert_eq!(attempts.len(), 2);
    let expected = format!("konqer-customer-{user}");
    assert!(attempts
        .iter()
        .all(|a| a.idempotency_key.as_deref() == Some(expected.as_str())));
    assert_eq!(attempts[0].params, attempts[1].params);
    assert_eq!(stripe.customers().len(), 1);
    assert_eq!(stripe.customers()[0]["id"], id.as_str());
}

#[tokio::test]
async fn an_answer_lost_after_the_object_was_created_is_replayed_not_duplicated() {
    let stripe = StandInStripe::start().await;
    let mut settings = settings(&stripe, stripe.secret_key());
    settings.timeout = Duration::from_millis(500);
    let client = StripeClient::new(settings).unwrap();
    stripe.answer_next_late(Duration::from_secs(5));

    let id = customer(&client, Uuid::new_v4()).await;

    assert_eq!(stripe.requests_to("POST", "/v1/customers").len(), 2);
    assert_eq!(stripe.customers().len(), 1);
    assert_eq!(stripe.customers()[0]["id"], id.as_str());
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    stripe.fail_next_with_retry_after(429, 1, 1);

    let started = Instant::now();
    let subscription = client.retrieve_subscription("sub_missing").await;
    let waited = started.elapsed();

    // The retry reached the endpoint, which does not know the id: proof it was retried.
    assert!(matches!(
        subscription,
        Err(StripeError::Rejected { status: 404, .. })
    ));
    assert_eq!(
        stripe
            .requests_to("GET", "/v1/subscriptions/sub_missing")
            .len(),
        2
    );
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
}

#[tokio::test]
async fn a_retry_after_longer_than_we_wait_ends_the_attempts() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    stripe.fail_next_with_retry_after(429, 60, 1);

    let error = client.retrieve_subscription("sub_1").await.unwrap_err();

    assert!(
        matches!(error, StripeError::Upstream { status: 429, .. }),
        "{error:?}"
    );
    assert!(!error.is_caller_error());
    assert_eq!(error.status_for_us(), 503);
    assert_eq!(stripe.requests().len(), 1);
}

#[tokio::test]
async fn three_failures_spend_the_three_attempts_and_are_stripes_fault() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    stripe.fail_next(500, 3);

    let error = client
        .create_portal_session(
            "cus_1",
            "https://konqer.test/account",
            &IdempotencyKey::new("portal", 1),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(error, StripeError::Upstream { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(error.status_for_us(), 502);
    assert_eq!(error.detail().unwrap().kind, "api_error");
    assert!(error.detail().unwrap().request_id.is_some());
    assert_eq!(stripe.requests().len(), 3);
}

#[tokio::test]
async fn a_stripe_4xx_is_the_callers_error_with_stripes_message() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    let user = Uuid::new_v4();
    let customer = customer(&client, user).await;

    let error = checkout(&client, &customer, user, Offer::Founding, "price_nope")
        .await
        .unwrap_err();

    assert!(error.is_caller_error(), "{error:?}");
    assert_eq!(error.status_for_us(), 400);
    let detail = error.detail().unwrap();
    assert_eq!(detail.kind, "invalid_request_error");
    assert_eq!(detail.code.as_deref(), Some("resource_missing"));
    assert_eq!(detail.message, "No such price: 'price_nope'");
    assert_eq!(detail.param.as_deref(), Some("line_items[0][price]"));
    assert!(error.to_string().contains("No such price: 'price_nope'"));
    // Not retried: sending it again could not help.
    assert_eq!(stripe.requests_to("POST", "/v1/checkout/sessions").len(), 1);

    let missing = client.retrieve_subscription("sub_gone").await.unwrap_err();
    assert_eq!(
        (missing.is_caller_error(), missing.status_for_us()),
        (true, 404)
    );
}

#[tokio::test]
async fn a_key_reused_with_other_parameters_is_stripes_idempotency_error() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    let key = IdempotencyKey::new("customer", "same");
    let first = NewCustomer {
        email: "a@example.com",
        name: None,
        user_id: Uuid::new_v4(),
    };
    let again = client.create_customer(&first, &key).await.unwrap();
    assert_eq!(client.create_customer(&first, &key).await.unwrap(), again);

    let other = NewCustomer {
        email: "b@example.com",
        ..first
    };
    let error = client.create_customer(&other, &key).await.unwrap_err();

    assert_eq!(error.detail().unwrap().kind, "idempotency_error");
    assert_eq!(error.status_for_us(), 409);
    assert_eq!(stripe.customers().len(), 1);
}

#[tokio::test]
async fn a_wrong_key_is_our_fault_and_never_printed() {
    let stripe = StandInStripe::start().await;
    let secret = "sk_test_not_the_right_one_4711";
    let client = StripeClient::new(settings(&stripe, secret)).unwrap();

    let error = client.price_for(Offer::Founding).await.unwrap_err();

    assert!(
        matches!(error, StripeError::Upstream { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(error.status_for_us(), 502);
    let printed = format!("{error} {error:?} {client:?}");
    assert!(!printed.contains(secret), "{printed}");
    assert_eq!(stripe.requests().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn prices_are_found_by_lookup_key_with_their_product() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    let missing = client.price_for(Offer::Founding).await.unwrap_err();
    assert!(matches!(&missing, StripeError::MissingPrice(k) if k == "konqer_founding_year"));
    client.sync(&catalog()).await.unwrap();

    let keys = [
        "konqer_bundle_month",
        "konqer_single_cold-dm_year",
        "konqer_nope",
    ]
    .map(str::to_owned);
    let mut prices = client.prices_by_lookup_keys(&keys).await.unwrap();
    prices.sort_by(|a, b| a.lookup_key.cmp(&b.lookup_key));

    let sent = stripe.requests_to("GET", "/v1/prices").pop().unwrap();
    let lookup: Vec<&str> = sent
        .params
        .iter()
        .filter(|(k, _)| k == "lookup_keys[]")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(lookup, keys.each_ref().map(String::as_str));
    assert_eq!(sent.param("active"), Some("true"));
    assert_eq!(sent.param("expand[]"), Some("data.product"));

    assert_eq!(prices.len(), 2);
    assert_eq!(prices[0].lookup_key.as_deref(), Some("konqer_bundle_month"));
    assert_eq!(prices[0].unit_amount, Some(39_900));
    assert_eq!(prices[0].interval(), Some(BillingInterval::Month));
    let product = prices[0].product.object().expect("expanded");
    assert_eq!(product.id, "konqer_bundle");
    assert_eq!(prices[1].product.id(), "konqer_single_cold-dm");
    assert_eq!(prices[1].unit_amount, Some(99_000));

    let founding = client.price_for(Offer::Founding).await.unwrap();
    assert_eq!(
        (founding.unit_amount, founding.currency.as_str()),
        (Some(69_900), "eur")
    );
    assert_eq!(founding.interval(), Some(BillingInterval::Year));
}

#[tokio::test]
async fn sync_creates_the_27_prices_once_and_nothing_the_second_time() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);

    let first = client.sync(&catalog()).await.unwrap();
    assert_eq!(first.created.len(), 27);
    assert_eq!(first.products_created.len(), 14);
    assert!(first.existing.is_empty() && first.differing.is_empty());
    assert_eq!(stripe.prices().len(), 27);
    assert_eq!(stripe.products().len(), 14);
    for entry in catalog() {
        let price = stripe
            .prices()
            .into_iter()
            .find(|p| p["lookup_key"] == entry.lookup_key.as_str())
            .unwrap_or_else(|| panic!("no price {}", entry.lookup_key));
        assert_eq!(price["unit_amount"], entry.amount.get());
        assert_eq!(price["currency"], "eur");
        assert_eq!(price["recurring"]["interval"], entry.interval.as_str());
        assert_eq!(price["product"], entry.product_id.as_str());
    }
    assert_eq!(
        catalog()
            .iter()
            .find(|c| c.lookup_key == "konqer_single_warmranker_month")
            .map(|c| c.amount),
        Some(Cents(9_900))
    );
    let posts = |stripe: &StandInStripe| {
        let requests = stripe.requests();
        requests.iter().filter(|r| r.method == "POST").count()
    };
    assert!(stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .all(|r| r.idempotency_key.is_some()));
    let posts_before = posts(&stripe);

    let second = client.sync(&catalog()).await.unwrap();
    assert!(second.created.is_empty() && second.products_created.is_empty());
    assert_eq!(second.existing.len(), 27);
    assert!(second.differing.is_empty());
    assert_eq!(stripe.prices().len(), 27);
    assert_eq!(posts(&stripe), posts_before, "the second sync only reads");
}

#[tokio::test]
async fn a_price_archived_in_the_dashboard_is_replaced_by_the_next_sync() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    client.sync(&catalog()).await.unwrap();
    let holder = |stripe: &StandInStripe| {
        let prices = stripe.prices();
        let price = prices
            .iter()
            .find(|p| p["lookup_key"] == "konqer_bundle_month")
            .cloned();
        price.map(|p| (p["id"].clone(), p["active"].clone()))
    };
    let (old, _) = holder(&stripe).unwrap();
    assert!(stripe.archive_price("konqer_bundle_month"));

    let report = client.sync(&catalog()).await.unwrap();
    assert_eq!(report.created, ["konqer_bundle_month"]);
    let (new, active) = holder(&stripe).unwrap();
    assert_ne!(new, old, "a new price, not the archived one replayed");
    assert_eq!(active, true);
    assert_eq!(stripe.prices().len(), 28);
    let again = client.sync(&catalog()).await.unwrap();
    assert!(again.created.is_empty());
}

#[tokio::test]
async fn a_portal_session_is_created_for_the_customer() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    let customer = customer(&client, Uuid::new_v4()).await;

    let key = IdempotencyKey::new("portal", "req_1");
    let portal = client
        .create_portal_session(&customer, "https://konqer.test/account", &key)
        .await
        .unwrap();

    assert!(portal.url.contains(&portal.id));
    let sent = only(stripe.requests_to("POST", "/v1/billing_portal/sessions"));
    assert_eq!(sent.param("customer"), Some(customer.as_str()));
    assert_eq!(
        sent.param("return_url"),
        Some("https://konqer.test/account")
    );
    assert_eq!(sent.idempotency_key.as_deref(), Some("konqer-portal-req_1"));
    assert_eq!(stripe.portal_sessions()[0]["customer"], customer.as_str());
}

#[tokio::test]
async fn a_paid_checkout_becomes_a_subscription_that_is_retrieved_with_its_purchase() {
    let stripe = StandInStripe::start().await;
    let client = client(&stripe);
    client.sync(&catalog()).await.unwrap();
    let user = Uuid::new_v4();
    let customer = customer(&client, user).await;
    let price = client.price_for(OBJECTION_MONTHLY).await.unwrap();
    let session = checkout(&client, &customer, user, OBJECTION_MONTHLY, &price.id)
        .await
        .unwrap();

    let events = stripe
        .complete_session(&session.id)
        .expect("an open session");
    assert!(
        stripe.complete_session(&session.id).is_none(),
        "completes once"
    );
    let subscription_id = events[1]["data"]["object"]["id"].as_str().unwrap();

    let subscription = client.retrieve_subscription(subscription_id).await.unwrap();
    assert_eq!(subscription.id, subscription_id);
    assert_eq!(subscription.customer.id(), customer);
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert!(!subscription.cancel_at_period_end);
    assert_eq!(
        subscription.purchase(),
        Some(OBJECTION_MONTHLY.purchase(user))
    );
    let (start, end) = subscription.current_period().unwrap();
    assert!(end > start);
    let item_price = &subscription.items.data[0].price;
    assert_eq!(
        item_price.lookup_key.as_deref(),
        Some("konqer_single_objection_month")
    );

    // The events are what the webhook handler understands, once signed.
    let now = chrono::Utc::now();
    for event in &events {
        let body = event.to_string();
        let header = signature::sign("whsec_test", now.timestamp(), body.as_bytes());
        signature::verify(
            Some(&header),
            body.as_bytes(),
            &["whsec_test"],
            now.timestamp(),
        )
        .unwrap();
        let parsed = events::Event::parse(body.as_bytes()).unwrap();
        let effects = events::effects(&parsed, now).unwrap().expect("acted on");
        let snapshot = effects.subscription.expect("a subscription change");
        assert_eq!(snapshot.user_id, user);
        assert_eq!(snapshot.service, Some(ServiceKey::Objection));
        assert_eq!(snapshot.stripe_subscription_id, subscription_id);
    }
}
