//! Buying through the local checkout, as a newcomer with `make run` would: the checkout API,
//! the payment page, test cards, and what `/api/user/me` shows afterwards.

mod common;

use chrono::{Duration, Utc};
use common::{assert_problem, eml_files, statuses, TestApp};
use konqer_domain::{BillingInterval, Plan};
use konqer_store::testing::TestDb;
use konqer_store::CheckoutSession;
use serde_json::{json, Value};

konqer_store::both_backends!(
    the_checkout_api_validates_and_needs_a_token,
    buying_the_founding_membership_with_the_test_card,
    a_declined_card_buys_nothing_and_a_second_submission_changes_nothing,
    a_single_purchase_unlocks_only_that_service_and_covered_purchases_are_409,
    an_expired_checkout_link_sells_nothing,
    purchases_send_welcome_cross_sell_and_bundle_emails_once,
    the_local_portal_cancels_at_period_end_and_resumes,
);

async fn portal_form(
    app: &TestApp,
    path: &str,
    action: &str,
    subscription: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("action={action}&subscription={subscription}"))
        .send()
        .await
        .unwrap()
}

async fn cancels(app: &TestApp, token: &str) -> bool {
    let me: Value = app
        .get_as(token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    me["subscription"]["cancel_at_period_end"]
        .as_bool()
        .unwrap()
}

async fn the_local_portal_cancels_at_period_end_and_resumes(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    assert_problem(
        checkout(&app, &token, "/api/checkout/portal", json!({})).await,
        409,
        "conflict",
    )
    .await;
    let path = page_path(&app, &token, "/api/checkout/founding", json!({})).await;
    assert_eq!(pay(&app, &path, "4242424242424242").await.status(), 303);

    let started: Value = checkout(&app, &token, "/api/checkout/portal", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let portal = started["portal_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:4000")
        .to_owned();
    assert!(
        portal.starts_with("/checkout/local/portal/ps_local_"),
        "{portal}"
    );
    let page = app
        .client
        .get(app.url(&portal))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Founding Membership") && page.contains("Cancel at period end"),
        "{page}"
    );

    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let sub = app
        .db
        .store
        .subscriptions_of(user.id)
        .await
        .unwrap()
        .remove(0);
    let sub_id = sub.stripe_subscription_id.clone().unwrap();
    let canceled = portal_form(&app, &portal, "cancel", &sub_id).await;
    assert_eq!(canceled.status(), 200);
    assert!(canceled
        .text()
        .await
        .unwrap()
        .contains("Resume subscription"));
    assert!(cancels(&app, &token).await);
    // Resuming within the same second still wins: the event is ordered after the cancel.
    assert_eq!(
        portal_form(&app, &portal, "resume", &sub_id).await.status(),
        200
    );
    assert!(!cancels(&app, &token).await);
    let statuses = statuses(&app, &token).await;
    assert_eq!(
        statuses.iter().filter(|(_, s)| s == "unlocked").count(),
        3,
        "access is unchanged"
    );
    assert_problem(
        portal_form(&app, &portal, "explode", &sub_id).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        portal_form(&app, &portal, "cancel", "sub_someone_else").await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.client
            .get(app.url("/checkout/local/portal/ps_local_forged"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

async fn purchases_send_welcome_cross_sell_and_bundle_emails_once(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    let path = page_path(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "objection", "interval": "month"}),
    )
    .await;
    assert_eq!(pay(&app, &path, "4242424242424242").await.status(), 303);
    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let kinds = |emails: Vec<konqer_store::QueuedEmail>| {
        emails.into_iter().map(|e| e.kind).collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(app.db.store.emails_of(user.id).await.unwrap()),
        ["welcome", "cross_sell"]
    );
    let cross = app.db.store.emails_of(user.id).await.unwrap().remove(1);
    assert!(
        cross.subject.contains("Outbound Battlecards AI"),
        "{}",
        cross.subject
    );

    // A second single brings the bundle offer; the first cross-sell is never repeated.
    let second = page_path(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "carousel", "interval": "month"}),
    )
    .await;
    assert_eq!(pay(&app, &second, "4242424242424242").await.status(), 303);
    assert_eq!(
        kinds(app.db.store.emails_of(user.id).await.unwrap()),
        [
            "welcome",
            "cross_sell",
            "welcome",
            "cross_sell",
            "bundle_offer"
        ]
    );
    let files = eml_files(&app, 5).await;
    let bundle = files
        .iter()
        .find(|f| f.contains("bundle"))
        .expect("the bundle offer was sent");
    assert!(
        bundle.contains("To: ada@example.com") && bundle.contains("Date: "),
        "{bundle}"
    );
    assert!(
        bundle.contains("=E2=82=AC789"),
        "the saving is 12 x 99 - 399 = 789 euros: {bundle}"
    );
}

async fn start(db: TestDb) -> TestApp {
    let today = Utc::now().date_naive().to_string();
    TestApp::start(
        db,
        &[
            ("KONQER_LAUNCH_DATE", today.as_str()),
            ("KONQER_WEB_URL", "https://app.konqer.test"),
        ],
    )
    .await
}

async fn checkout(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The checkout page's path on this test server (the URL names the configured public URL).
async fn page_path(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let response = checkout(app, token, path, body).await;
    assert_eq!(response.status(), 200);
    let started: Value = response.json().await.unwrap();
    let url = started["checkout_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:4000/checkout/local/cs_local_"),
        "{url}"
    );
    url.trim_start_matches("http://127.0.0.1:4000").to_owned()
}

async fn pay(app: &TestApp, path: &str, card: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "card={}&exp=12%2F34&cvc=123",
            card.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap()
}

async fn token(app: &TestApp, email: &str) -> String {
    app.register(email, "correct horse battery staple").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_checkout_api_validates_and_needs_a_token(db: TestDb) {
    let app = start(db).await;
    let response = app
        .client
        .post(app.url("/api/checkout/founding"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthorized").await;
    let token = token(&app, "ada@example.com").await;
    let unknown = checkout(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "teleporter", "interval": "month"}),
    )
    .await;
    assert_problem(unknown, 404, "not_found").await;
    let bad = checkout(
        &app,
        &token,
        "/api/checkout/bundle",
        json!({"interval": "weekly"}),
    )
    .await;
    let body = assert_problem(bad, 422, "invalid_input").await;
    assert_eq!(body["errors"][0]["field"], "interval");
    let by_slug = checkout(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "sales-objection-crusher", "interval": "year"}),
    )
    .await;
    assert_eq!(by_slug.status(), 200);
    assert_problem(
        app.client
            .get(app.url("/checkout/local/cs_local_nope"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

async fn buying_the_founding_membership_with_the_test_card(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    let path = page_path(&app, &token, "/api/checkout/founding", json!({})).await;

    // The page works without a token: the session id is the capability.
    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Founding Membership") && html.contains("€699.00"),
        "{html}"
    );
    assert!(html.contains(r#"<button type="submit">Pay</button>"#));

    let paid = pay(&app, &path, "4242 4242 4242 4242").await;
    assert_eq!(paid.status(), 303);
    let location = paid.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://app.konqer.test/billing/success/?session=cs_local_"),
        "{location}"
    );

    for (service, status) in statuses(&app, &token).await {
        let expected = if ["cold-dm", "objection", "carousel"].contains(&service.as_str()) {
            "unlocked"
        } else {
            "scheduled"
        };
        assert_eq!(status, expected, "{service}");
    }
    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let payments = app.db.store.payments_of(user.id).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].1, 69_900);
}

async fn a_declined_card_buys_nothing_and_a_second_submission_changes_nothing(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    let path = page_path(
        &app,
        &token,
        "/api/checkout/bundle",
        json!({"interval": "month"}),
    )
    .await;
    let declined = pay(&app, &path, "4000 0000 0000 0341").await;
    assert_eq!(declined.status(), 402);
    assert!(declined.text().await.unwrap().contains("declined"));
    let wrong = pay(&app, &path, "1234").await;
    assert_eq!(wrong.status(), 422);
    assert!(statuses(&app, &token)
        .await
        .iter()
        .all(|(_, s)| s == "locked"));

    assert_eq!(pay(&app, &path, "4242424242424242").await.status(), 303);
    assert_eq!(pay(&app, &path, "4242424242424242").await.status(), 303);
    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.db.store.subscriptions_of(user.id).await.unwrap().len(),
        1
    );
    assert_eq!(app.db.store.payments_of(user.id).await.unwrap().len(), 1);
    let done = app
        .client
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Payment received"));
}

async fn a_single_purchase_unlocks_only_that_service_and_covered_purchases_are_409(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    let path = page_path(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "objection", "interval": "month"}),
    )
    .await;
    assert_eq!(pay(&app, &path, "4242424242424242").await.status(), 303);
    for (service, status) in statuses(&app, &token).await {
        assert_eq!(
            status,
            if service == "objection" {
                "unlocked"
            } else {
                "locked"
            },
            "{service}"
        );
    }
    let again = checkout(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "objection", "interval": "year"}),
    )
    .await;
    assert_problem(again, 409, "conflict").await;
    // Another single service, and then the bundle, still add something.
    let other = page_path(
        &app,
        &token,
        "/api/checkout/single",
        json!({"service": "whitepaper", "interval": "month"}),
    )
    .await;
    assert_eq!(pay(&app, &other, "4242424242424242").await.status(), 303);
    let whitepaper = statuses(&app, &token)
        .await
        .into_iter()
        .find(|(s, _)| s == "whitepaper")
        .unwrap();
    assert_eq!(whitepaper.1, "scheduled", "bought before its release");
    let bundle = page_path(
        &app,
        &token,
        "/api/checkout/bundle",
        json!({"interval": "year"}),
    )
    .await;
    assert_eq!(pay(&app, &bundle, "4242424242424242").await.status(), 303);
    assert_problem(
        checkout(&app, &token, "/api/checkout/founding", json!({})).await,
        409,
        "conflict",
    )
    .await;
}

async fn an_expired_checkout_link_sells_nothing(db: TestDb) {
    let app = start(db).await;
    let token = token(&app, "ada@example.com").await;
    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    app.db
        .store
        .create_checkout_session(&CheckoutSession {
            id: "cs_local_expired".into(),
            user_id: user.id,
            plan: Plan::Founding,
            service: None,
            interval: BillingInterval::Year,
            completed_at: None,
            expires_at: now - Duration::minutes(1),
            created_at: now - Duration::hours(25),
        })
        .await
        .unwrap();
    let page = pay(&app, "/checkout/local/cs_local_expired", "4242424242424242").await;
    assert!(page.text().await.unwrap().contains("expired"));
    assert!(statuses(&app, &token)
        .await
        .iter()
        .all(|(_, s)| s == "locked"));
}
