//! The admin API on the admin listener: who may call it (401 without a token, 403 without
//! the operator role or the right one) and revenue figures checked against a hand-computed
//! fixture, on both back ends.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{assert_problem, operator, TestApp};
use konqer_domain::{AdminRole, Plan, ServiceKey, SubscriptionStatus};
use konqer_store::testing::TestDb;
use konqer_store::{NewUser, SubscriptionSnapshot, WebhookEffects};
use serde_json::{json, Value};
use uuid::Uuid;

konqer_store::both_backends!(
    a_caller_without_the_role_gets_403_whatever_else_they_sent,
    only_finance_and_superadmin_operators_read_revenue,
    mrr_is_right_to_the_cent_now_and_in_the_past,
    support_locks_and_unlocks_a_service_for_one_user_with_an_audit_trail,
);

async fn set_access(app: &TestApp, token: &str, user: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/admin/users/{user}/access", app.admin))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn support_locks_and_unlocks_a_service_for_one_user_with_an_audit_trail(db: TestDb) {
    let today = Utc::now().date_naive().to_string();
    let app = TestApp::start(db, &[("KONQER_LAUNCH_DATE", today.as_str())]).await;
    subscribe(
        &app,
        "member",
        Plan::Founding,
        None,
        SubscriptionStatus::Active,
        Utc::now() - Duration::hours(1),
        None,
    )
    .await;
    let member = app
        .db
        .store
        .find_user_by_email("member@example.com")
        .await
        .unwrap()
        .unwrap();
    let support = operator(&app, "support@example.com", Some(AdminRole::Support)).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let id = member.id.to_string();
    assert_problem(
        set_access(
            &app,
            &finance,
            &id,
            json!({"service": "cold-dm", "locked": true}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        set_access(
            &app,
            &support,
            &Uuid::new_v4().to_string(),
            json!({"service": "cold-dm", "locked": true}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        set_access(
            &app,
            &support,
            &id,
            json!({"service": "teleporter", "locked": true}),
        )
        .await,
        422,
        "invalid_input",
    )
    .await;

    let locked: Value = set_access(
        &app,
        &support,
        &id,
        json!({"service": "cold-dm-personalizer", "locked": true}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        locked,
        json!({"user_id": id, "service": "cold-dm", "locked": true, "was_locked": false})
    );
    // The entitlement rule sees the lock (GET /api/user/me and generate answer `locked`).
    assert_eq!(
        app.db.store.admin_locks(member.id).await.unwrap(),
        [ServiceKey::ColdDm]
    );
    let events = app
        .db
        .store
        .list_events(&konqer_store::EventFilter {
            kind: Some("admin.access_changed".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].data,
        json!({"before": {"locked": false}, "after": {"locked": true}})
    );
    assert_eq!(events[0].user_id, Some(member.id));
    assert!(events[0].actor_id.is_some() && events[0].actor_id != Some(member.id));
    let unlocked: Value = set_access(
        &app,
        &support,
        &id,
        json!({"service": "cold-dm", "locked": false}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(unlocked["was_locked"], true);
    assert!(app
        .db
        .store
        .admin_locks(member.id)
        .await
        .unwrap()
        .is_empty());
}

async fn a_caller_without_the_role_gets_403_whatever_else_they_sent(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let support = operator(&app, "support@example.com", Some(AdminRole::Support)).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let send = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, format!("{}{path}", app.admin))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap() }
    };
    use reqwest::Method as M;
    // Each of these is also invalid; the role is checked first and says 403.
    for (method, path, token, body) in [
        (
            M::PATCH,
            "/admin/services/cold-dm",
            &finance,
            Some(json!({})),
        ),
        (
            M::PUT,
            "/admin/flags/Bad Key",
            &support,
            Some(json!({"enabled": 1})),
        ),
        (
            M::POST,
            "/admin/users/x/access",
            &finance,
            Some(json!({"service": "nope"})),
        ),
        (M::GET, "/admin/metrics/mrr?at=yesterday", &support, None),
        (M::GET, "/admin/payments?limit=0", &support, None),
        (M::GET, "/admin/events?cursor=x", &finance, None),
    ] {
        assert_problem(send(method, path, token, body).await, 403, "forbidden").await;
    }
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap() + Duration::days(n)
}

async fn mrr(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/admin/metrics/mrr{query}", app.admin));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn only_finance_and_superadmin_operators_read_revenue(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    assert_problem(mrr(&app, None, "").await, 401, "unauthorized").await;
    let user = operator(&app, "user@example.com", None).await;
    assert_problem(mrr(&app, Some(&user), "").await, 403, "forbidden").await;
    let support = operator(&app, "support@example.com", Some(AdminRole::Support)).await;
    assert_problem(mrr(&app, Some(&support), "").await, 403, "forbidden").await;
    for role in [AdminRole::Finance, AdminRole::Superadmin] {
        let token = operator(&app, &format!("{role}@example.com"), Some(role)).await;
        assert_eq!(mrr(&app, Some(&token), "").await.status(), 200, "{role}");
    }
    let finance = operator(&app, "f2@example.com", Some(AdminRole::Finance)).await;
    assert_problem(
        mrr(&app, Some(&finance), "?at=yesterday").await,
        422,
        "invalid_input",
    )
    .await;
    // Never routed on the public listener.
    let public = app
        .client
        .get(app.url("/admin/metrics/mrr"))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap();
    assert_problem(public, 404, "not_found").await;
}

async fn subscribe(
    app: &TestApp,
    tag: &str,
    plan: Plan,
    service: Option<ServiceKey>,
    status: SubscriptionStatus,
    since: DateTime<Utc>,
    canceled: Option<DateTime<Utc>>,
) {
    let user = app
        .db
        .store
        .create_user(&NewUser {
            id: Uuid::new_v4(),
            email: format!("{tag}@example.com"),
            name: String::new(),
            email_verified: true,
            now: since,
        })
        .await
        .unwrap();
    let effects = WebhookEffects {
        event_id: format!("evt_{tag}"),
        event_type: "customer.subscription.updated".into(),
        event_created: canceled.unwrap_or(since),
        subscription: Some(SubscriptionSnapshot {
            stripe_subscription_id: format!("sub_{tag}"),
            stripe_customer_id: None,
            user_id: user.id,
            plan,
            service,
            interval: plan.interval(),
            status,
            canceled_at: canceled,
            period: None,
            cancel_at_period_end: None,
        }),
        payment: None,
        refund: None,
        emails: Vec::new(),
        now: since,
    };
    app.db.store.apply_webhook(&effects).await.unwrap();
}

async fn mrr_is_right_to_the_cent_now_and_in_the_past(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    use SubscriptionStatus::*;
    subscribe(&app, "f1", Plan::Founding, None, Active, day(0), None).await;
    subscribe(&app, "f2", Plan::Founding, None, PastDue, day(5), None).await;
    subscribe(
        &app,
        "ms",
        Plan::MonthlySingle,
        Some(ServiceKey::Objection),
        Active,
        day(1),
        None,
    )
    .await;
    subscribe(
        &app,
        "as",
        Plan::AnnualSingle,
        Some(ServiceKey::ColdDm),
        Trialing,
        day(10),
        None,
    )
    .await;
    subscribe(&app, "ab", Plan::AnnualBundle, None, Active, day(2), None).await;
    subscribe(
        &app,
        "mb",
        Plan::MonthlyBundle,
        None,
        Canceled,
        day(1),
        Some(day(8)),
    )
    .await;
    subscribe(
        &app,
        "inc",
        Plan::MonthlyBundle,
        None,
        Incomplete,
        day(1),
        None,
    )
    .await;

    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let now: Value = mrr(&app, Some(&finance), "").await.json().await.unwrap();
    // founding 2 × 5825, monthly single 9900, annual single 99000/12 = 8250,
    // annual bundle 399000/12 = 33250; the canceled and the incomplete count for nothing.
    let expected = 2 * 5825 + 9900 + 8250 + 33250;
    assert_eq!(now["mrr_cents"], expected, "{now:#}");
    assert_eq!(now["arr_cents"], 12 * expected);
    assert_eq!(now["founding_members"], 2);
    assert_eq!(now["founding_goal"], 43);
    assert_eq!(
        now["by_plan"]["founding"],
        json!({"subscriptions": 2, "mrr_cents": 11650})
    );
    assert_eq!(
        now["by_plan"]["monthly_bundle"],
        json!({"subscriptions": 0, "mrr_cents": 0})
    );

    // On day 3: f1, ms, ab had begun; mb was still live (canceled on day 8).
    let past: Value = mrr(&app, Some(&finance), "?at=2026-11-04")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past["mrr_cents"], 5825 + 9900 + 33250 + 39900, "{past:#}");
    assert_eq!(past["founding_members"], 1);
}
