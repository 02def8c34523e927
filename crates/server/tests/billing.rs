//! Stripe webhooks over HTTP and what they grant: the signature matrix, duplicates, ignored
//! types, and `/api/user/me` after a founding or a single purchase, on both back ends.

mod common;

use chrono::{Duration, Utc};
use common::{assert_problem, TestApp};
use konqer_billing::signature::sign;
use konqer_store::testing::TestDb;
use serde_json::{json, Value};

konqer_store::both_backends!(
    webhook_signatures_are_checked_over_the_raw_body,
    a_founding_purchase_unlocks_the_launch_services_and_schedules_the_rest,
    a_single_purchase_unlocks_only_its_service,
    duplicates_and_unknown_types_are_acknowledged,
    ten_concurrent_deliveries_send_one_welcome,
);

async fn ten_concurrent_deliveries_send_one_welcome(db: TestDb) {
    let app = start(db).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let user = user_id(&app, tokens["access_token"].as_str().unwrap()).await;
    let event = json!({
        "id": "evt_burst", "type": "checkout.session.completed", "created": Utc::now().timestamp(),
        "data": {"object": {"id": "cs_burst", "object": "checkout.session", "mode": "subscription",
            "payment_status": "paid", "customer": "cus_burst", "subscription": "sub_burst",
            "metadata": {"user_id": user, "plan": "founding", "service": "", "interval": "year"}}},
    });
    let body = event.to_string();
    let signature = sign(SECRET, Utc::now().timestamp(), body.as_bytes());
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, url, body, signature) = (
            app.client.clone(),
            app.url("/api/webhooks/stripe"),
            body.clone(),
            signature.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["duplicate"]
                .as_bool()
                .unwrap()
        }));
    }
    let mut applied = 0;
    for task in tasks {
        if !task.await.unwrap() {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    let emails = app.db.store.emails_of(user.parse().unwrap()).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].kind, "welcome");
    assert!(emails[0].body_text.contains("Founding Member"));
}

const SECRET: &str = "whsec_test_secret";

async fn start(db: TestDb) -> TestApp {
    let today = Utc::now().date_naive().to_string();
    TestApp::start(
        db,
        &[
            ("STRIPE_WEBHOOK_SECRET", SECRET),
            ("KONQER_LAUNCH_DATE", today.as_str()),
        ],
    )
    .await
}

async fn post_event(app: &TestApp, event: &Value, signature: Option<String>) -> reqwest::Response {
    let body = event.to_string();
    let mut request = app
        .client
        .post(app.url("/api/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.clone());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.unwrap()
}

async fn deliver(app: &TestApp, event: &Value) -> Value {
    let signature = sign(SECRET, Utc::now().timestamp(), event.to_string().as_bytes());
    let response = post_event(app, event, Some(signature)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn subscription_created(id: &str, user: &str, plan: &str, service: &str, interval: &str) -> Value {
    let now = Utc::now().timestamp();
    let end = now + if interval == "year" { 365 } else { 30 } * 86_400;
    json!({
        "id": format!("evt_{id}"), "object": "event", "type": "customer.subscription.created", "created": now,
        "data": {"object": {
            "id": format!("sub_{id}"), "object": "subscription", "customer": format!("cus_{id}"), "status": "active",
            "cancel_at_period_end": false, "current_period_start": now, "current_period_end": end,
            "metadata": {"user_id": user, "plan": plan, "service": service, "interval": interval},
        }},
    })
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get_as(token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    me(app, token).await["id"].as_str().unwrap().to_owned()
}

async fn webhook_signatures_are_checked_over_the_raw_body(db: TestDb) {
    let app = start(db).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let user = user_id(&app, tokens["access_token"].as_str().unwrap()).await;
    let event = subscription_created("sig", &user, "founding", "", "year");
    let body = event.to_string();
    let now = Utc::now().timestamp();
    let cases = [
        ("missing", None),
        ("malformed", Some("v1=nothex".to_owned())),
        (
            "wrong secret",
            Some(sign("whsec_other", now, body.as_bytes())),
        ),
        ("too old", Some(sign(SECRET, now - 301, body.as_bytes()))),
        (
            "body changed by one byte",
            Some(sign(
                SECRET,
                now,
                body.replace("founding", "foundinG").as_bytes(),
            )),
        ),
    ];
    for (name, signature) in cases {
        let response = post_event(&app, &event, signature).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_problem(response, 400, "bad_request").await;
    }
    assert!(
        app.db
            .store
            .subscriptions_of(user.parse().unwrap())
            .await
            .unwrap()
            .is_empty(),
        "nothing applied"
    );
    // Two v1 signatures, the second valid (a secret roll at Stripe).
    let old = sign("whsec_old", now, body.as_bytes());
    let good = sign(SECRET, now, body.as_bytes());
    let both = format!("{old},v1={}", good.split("v1=").nth(1).unwrap());
    assert_eq!(post_event(&app, &event, Some(both)).await.status(), 200);
    assert_eq!(
        app.db
            .store
            .subscriptions_of(user.parse().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_founding_purchase_unlocks_the_launch_services_and_schedules_the_rest(db: TestDb) {
    let app = start(db).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let token = tokens["access_token"].as_str().unwrap();
    let user = user_id(&app, token).await;
    deliver(
        &app,
        &subscription_created("f1", &user, "founding", "", "year"),
    )
    .await;

    let me = me(&app, token).await;
    assert_eq!(me["subscription"]["plan"], "founding");
    assert_eq!(me["subscription"]["status"], "active");
    let launch = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    for service in me["services"].as_array().unwrap() {
        let key = service["service"].as_str().unwrap();
        if ["cold-dm", "objection", "carousel"].contains(&key) {
            assert_eq!(service["status"], "unlocked", "{key}");
            assert_eq!(service["unlocks_at"], Value::Null);
        } else {
            assert_eq!(service["status"], "scheduled", "{key}");
            let unlocks: chrono::DateTime<Utc> =
                service["unlocks_at"].as_str().unwrap().parse().unwrap();
            assert!(
                unlocks > launch && unlocks <= launch + Duration::days(28),
                "{key} {unlocks}"
            );
        }
    }
    // Roles are computed when a token is issued: the next refresh carries founding_member.
    let refreshed: Value = app
        .post_json(
            "/auth/refresh",
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let roles = me_roles(&app, refreshed["access_token"].as_str().unwrap()).await;
    assert!(roles.contains(&"founding_member".to_owned()), "{roles:?}");
}

async fn me_roles(app: &TestApp, token: &str) -> Vec<String> {
    me(app, token).await["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

async fn a_single_purchase_unlocks_only_its_service(db: TestDb) {
    let app = start(db).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let token = tokens["access_token"].as_str().unwrap();
    let user = user_id(&app, token).await;
    deliver(
        &app,
        &subscription_created("s1", &user, "monthly_single", "objection", "month"),
    )
    .await;
    deliver(
        &app,
        &subscription_created("s2", &user, "annual_single", "whitepaper", "year"),
    )
    .await;
    let me = me(&app, token).await;
    let status = |key: &str| {
        me["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == key)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("objection"), "unlocked");
    assert_eq!(status("cold-dm"), "locked");
    assert_eq!(
        status("whitepaper"),
        "scheduled",
        "bought before its release"
    );
    assert_eq!(me["subscriptions"].as_array().unwrap().len(), 2);
    assert!(!me_roles(&app, token)
        .await
        .contains(&"founding_member".to_owned()));
}

async fn duplicates_and_unknown_types_are_acknowledged(db: TestDb) {
    let app = start(db).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let user = user_id(&app, tokens["access_token"].as_str().unwrap()).await;
    let event = subscription_created("d1", &user, "monthly_bundle", "", "month");
    assert_eq!(
        deliver(&app, &event).await,
        json!({"received": true, "duplicate": false})
    );
    // Same id, different body: still the same event, acknowledged and ignored.
    let mut changed = event.clone();
    changed["data"]["object"]["status"] = json!("canceled");
    assert_eq!(
        deliver(&app, &changed).await,
        json!({"received": true, "duplicate": true})
    );
    let subs = app
        .db
        .store
        .subscriptions_of(user.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(subs[0].status.as_str(), "active");
    let unknown = json!({"id": "evt_x", "type": "customer.tax_id.created", "created": Utc::now().timestamp(), "data": {"object": {}}});
    assert_eq!(deliver(&app, &unknown).await["received"], true);
    let foreign = subscription_created("foreign", "not-a-uuid", "founding", "", "year");
    assert_eq!(
        deliver(&app, &foreign).await["received"],
        true,
        "events without our metadata are not retried forever"
    );
}
