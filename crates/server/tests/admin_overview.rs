//! Finance's figures over HTTP on both back ends, against one fixture worked out by hand:
//! three weeks of signups, purchases, an upgrade, a refund, a cancellation and generations;
//! the overview by week and by month, and the payments ledger as pages and as CSV.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{assert_problem, operator, TestApp};
use konqer_domain::{AdminRole, Plan, ServiceKey, SubscriptionStatus};
use konqer_store::testing::TestDb;
use konqer_store::{
    Generation, NewUser, PaymentRecord, RefundRecord, SubscriptionSnapshot, WebhookEffects,
};
use serde_json::{json, Value};
use uuid::Uuid;

konqer_store::both_backends!(
    the_overview_matches_the_hand_computed_fixture,
    the_payments_ledger_pages_and_exports_with_refunds,
);

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

async fn user(app: &TestApp, name: &str, when: DateTime<Utc>) -> Uuid {
    let user = NewUser {
        id: Uuid::new_v4(),
        email: format!("{name}@example.com"),
        name: name.to_owned(),
        email_verified: true,
        now: when,
    };
    app.db.store.create_user(&user).await.unwrap().id
}

/// A subscription event at `when`; with `paid`, its invoice for the plan's price is paid then.
async fn subscription(
    app: &TestApp,
    id: &str,
    user_id: Uuid,
    plan: Plan,
    status: SubscriptionStatus,
    when: DateTime<Utc>,
    paid: bool,
) {
    let canceled = status == SubscriptionStatus::Canceled;
    let payment = paid.then(|| PaymentRecord {
        stripe_invoice_id: format!("in_{id}"),
        stripe_charge_id: Some(format!("ch_{id}")),
        stripe_subscription_id: Some(id.to_owned()),
        user_id: Some(user_id),
        plan: Some(plan),
        amount_cents: plan.price().get(),
        currency: "eur".into(),
        paid_at: when,
    });
    let effects = WebhookEffects {
        event_id: format!("evt_{}", Uuid::new_v4().simple()),
        event_type: "customer.subscription.updated".into(),
        event_created: when,
        subscription: Some(SubscriptionSnapshot {
            stripe_subscription_id: id.to_owned(),
            stripe_customer_id: None,
            user_id,
            plan,
            service: (!plan.covers_all_services()).then_some(ServiceKey::ColdDm),
            interval: plan.interval(),
            status,
            canceled_at: canceled.then_some(when),
            period: None,
            cancel_at_period_end: None,
        }),
        payment,
        refund: None,
        emails: Vec::new(),
        now: when,
    };
    app.db.store.apply_webhook(&effects).await.unwrap();
}

async fn generations(app: &TestApp, user_id: Uuid, service: ServiceKey, n: u32, day: u32) {
    for hour in 0..n {
        let generation = Generation {
            id: Uuid::new_v4(),
            user_id,
            service,
            input: json!({}),
            output: json!({}),
            metadata: json!({}),
            created_at: at(day, 8 + hour),
        };
        app.db.store.insert_generation(&generation).await.unwrap();
    }
}

/// Week 1 (2–8 March): Ada signs up and buys the founding membership (69900); Bob signs up;
/// Cid signs up and buys one service (9900); Ada runs cold-dm twice.
/// Week 2 (9–15): Cid adds the monthly bundle (39900) and cancels his single service; Ada gets
/// 10000 of her founding payment back (it counts on the payment's day, in week 1); Cid runs
/// objection once.
/// Week 3 (16–22): Dee signs up and buys the annual bundle (399000); Eve signs up; Cid cancels
/// the bundle; Dee runs carousel three times.
async fn fixture(app: &TestApp) {
    use Plan::*;
    use SubscriptionStatus::{Active, Canceled};
    let ada = user(app, "ada", at(2, 10)).await;
    subscription(app, "sub_ada", ada, Founding, Active, at(2, 12), true).await;
    user(app, "bob", at(3, 10)).await;
    let cid = user(app, "cid", at(4, 10)).await;
    subscription(app, "sub_cid1", cid, MonthlySingle, Active, at(5, 10), true).await;
    generations(app, ada, ServiceKey::ColdDm, 2, 6).await;

    subscription(
        app,
        "sub_cid2",
        cid,
        MonthlyBundle,
        Active,
        at(10, 10),
        true,
    )
    .await;
    subscription(
        app,
        "sub_cid1",
        cid,
        MonthlySingle,
        Canceled,
        at(11, 10),
        false,
    )
    .await;
    let refund = WebhookEffects {
        event_id: "evt_refund".into(),
        event_type: "charge.refunded".into(),
        event_created: at(12, 10),
        subscription: None,
        payment: None,
        refund: Some(RefundRecord {
            stripe_invoice_id: "in_sub_ada".into(),
            stripe_charge_id: "ch_sub_ada".into(),
            amount_cents: 69_900,
            refunded_cents: 10_000,
            currency: "eur".into(),
            user_id: Some(ada),
        }),
        emails: Vec::new(),
        now: at(12, 10),
    };
    app.db.store.apply_webhook(&refund).await.unwrap();
    generations(app, cid, ServiceKey::Objection, 1, 12).await;

    let dee = user(app, "dee", at(16, 9)).await;
    subscription(app, "sub_dee", dee, AnnualBundle, Active, at(16, 10), true).await;
    user(app, "eve", at(17, 10)).await;
    subscription(
        app,
        "sub_cid2",
        cid,
        MonthlyBundle,
        Canceled,
        at(18, 10),
        false,
    )
    .await;
    generations(app, dee, ServiceKey::Carousel, 3, 20).await;
}

fn mrr(opening: i64, new: i64, expansion: i64, churned: i64, closing: i64) -> Value {
    json!({"opening_cents": opening, "new_cents": new, "expansion_cents": expansion,
           "contraction_cents": 0, "churned_cents": churned, "closing_cents": closing})
}

async fn the_overview_matches_the_hand_computed_fixture(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    fixture(&app).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let overview = |query: &'static str| {
        let request = app
            .client
            .get(format!("{}/admin/metrics/overview?{query}", app.admin))
            .bearer_auth(&finance);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let weekly = overview("from=2026-03-02&to=2026-03-22&interval=week").await;
    let figures: Vec<Value> = weekly["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["start"],
                p["signups"],
                p["purchases"],
                p["net_revenue_cents"],
                p["conversion"],
                p["generations"],
                p["mrr"]
            ])
        })
        .collect();
    assert_eq!(
        figures,
        vec![
            // Founding (5825) and one service (9900) are new MRR; 69900 + 9900 − 10000.
            json!(["2026-03-02", 3, 2, 69_800, 2.0 / 3.0, {"cold-dm": 2},
                   mrr(0, 15_725, 0, 0, 15_725)]),
            // Cid goes from 9900 to 39900: expansion, not a purchase.
            json!(["2026-03-09", 0, 0, 39_900, null, {"objection": 1},
                   mrr(15_725, 0, 30_000, 0, 45_725)]),
            // The annual bundle is 399000 / 12 = 33250 a month; Cid's 39900 churns.
            json!(["2026-03-16", 2, 1, 399_000, 0.5, {"carousel": 3},
                   mrr(45_725, 33_250, 0, 39_900, 39_075)]),
        ],
        "{weekly:#}"
    );
    let totals = &weekly["totals"];
    assert_eq!(
        json!([
            totals["signups"],
            totals["purchases"],
            totals["net_revenue_cents"],
            totals["conversion"],
            totals["mrr"]
        ]),
        json!([5, 3, 508_700, 0.6, mrr(0, 48_975, 30_000, 39_900, 39_075)])
    );
    // One month: the same days in one period; Cid came and went within it, so he moved nothing.
    let monthly = overview("from=2026-03-02&to=2026-03-22&interval=month").await;
    assert_eq!(monthly["periods"].as_array().unwrap().len(), 1);
    let march = &monthly["periods"][0];
    assert_eq!(
        json!([
            march["start"],
            march["signups"],
            march["net_revenue_cents"],
            march["mrr"]
        ]),
        json!(["2026-03-01", 5, 508_700, mrr(0, 39_075, 0, 0, 39_075)])
    );
    // The longest range, by day: 730 periods (1,462 bound parameters) on both back ends. Day by
    // day Cid first expands by 39900 (10 March) and then contracts by 9900 (11 March).
    let longest = overview("from=2024-04-01&to=2026-03-31&interval=day").await;
    assert_eq!(longest["periods"].as_array().unwrap().len(), 730);
    let mut by_day = mrr(0, 48_975, 39_900, 39_900, 39_075);
    by_day["contraction_cents"] = json!(9_900);
    assert_eq!(
        json!([longest["totals"]["signups"], longest["totals"]["mrr"]]),
        json!([5, by_day])
    );
    // The closing MRR is what the revenue endpoint says for that moment.
    let at_end: Value = app
        .client
        .get(format!(
            "{}/admin/metrics/mrr?at=2026-03-22T23:59:59Z",
            app.admin
        ))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_end["mrr_cents"], 39_075);
}

async fn the_payments_ledger_pages_and_exports_with_refunds(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    fixture(&app).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let get = |path: String, csv: bool| {
        let mut request = app
            .client
            .get(format!("{}{path}", app.admin))
            .bearer_auth(&finance);
        if csv {
            request = request.header("accept", "text/csv");
        }
        async move { request.send().await.unwrap() }
    };
    let first: Value = get("/admin/payments?limit=3".into(), false)
        .await
        .json()
        .await
        .unwrap();
    let amounts = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["amount_cents"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(amounts(&first), vec![399_000, 39_900, 9_900]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = get(format!("/admin/payments?limit=3&cursor={cursor}"), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(amounts(&rest), vec![69_900]);
    assert_eq!(rest["items"][0]["refunded_cents"], 10_000);
    assert_eq!(rest["next_cursor"], Value::Null);
    // A bare `to` date includes its whole day.
    let week_one: Value = get(
        "/admin/payments?from=2026-03-02&to=2026-03-08".into(),
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(amounts(&week_one), vec![9_900, 69_900]);
    for bad in ["limit=101", "cursor=x", "from=March"] {
        assert_problem(
            get(format!("/admin/payments?{bad}"), false).await,
            422,
            "invalid_input",
        )
        .await;
    }

    let csv = get("/admin/payments?from=2026-03-01".into(), true).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,user_id,email,plan,amount_cents,refunded_cents,net_cents,currency,status,paid_at,created_at"
    );
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[4].contains(",ada@example.com,founding,69900,10000,59900,eur,"),
        "{text}"
    );
}
