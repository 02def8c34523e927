//! The operators' queries on both back ends: finding users, payments, and the day-by-day
//! figures of the overview against a fixture worked out by hand.

mod admin_support;

use admin_support::{at, buy, user};
use chrono::NaiveDate;
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use konqer_store::testing::TestDb;
use konqer_store::{DayFigures, Generation, PaymentQuery, RefundRecord, UserQuery, WebhookEffects};
use serde_json::json;
use uuid::Uuid;

konqer_store::both_backends!(
    users_are_found_by_text_plan_and_status_and_paged,
    daily_figures_match_the_hand_computed_fixture,
);

async fn users_are_found_by_text_plan_and_status_and_paged(db: TestDb) {
    let ada = user(&db, "ada@example.com", "Ada Lovelace", at(1, 10)).await;
    let bob = user(&db, "bob@example.com", "Bob Stone", at(1, 11)).await;
    let carol = user(&db, "carol@other.org", "Carol 100%", at(2, 9)).await;
    buy(
        &db,
        ada,
        Plan::Founding,
        SubscriptionStatus::Active,
        at(1, 12),
    )
    .await;
    buy(
        &db,
        bob,
        Plan::MonthlySingle,
        SubscriptionStatus::PastDue,
        at(2, 8),
    )
    .await;
    let s = &db.store;
    let ids =
        |rows: Vec<konqer_store::UserSummary>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let q = |search: Option<&str>, plan, status| UserQuery {
        search: search.map(str::to_owned),
        plan,
        status,
        before: None,
        limit: 50,
    };

    assert_eq!(
        ids(s.search_users(&q(None, None, None)).await.unwrap()),
        vec![carol, bob, ada]
    );
    assert_eq!(
        ids(s.search_users(&q(Some("LOVE"), None, None)).await.unwrap()),
        vec![ada]
    );
    assert_eq!(
        ids(s
            .search_users(&q(Some("example.com"), None, None))
            .await
            .unwrap()),
        vec![bob, ada]
    );
    // LIKE wildcards typed by the operator are not wildcards.
    assert_eq!(
        ids(s.search_users(&q(Some("0%"), None, None)).await.unwrap()),
        vec![carol]
    );
    assert_eq!(
        ids(s.search_users(&q(Some("a\\"), None, None)).await.unwrap()),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(s.search_users(&q(Some("b_b"), None, None)).await.unwrap()),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(s
            .search_users(&q(None, Some(Plan::Founding), None))
            .await
            .unwrap()),
        vec![ada]
    );
    assert_eq!(
        ids(s
            .search_users(&q(None, None, Some(SubscriptionStatus::PastDue)))
            .await
            .unwrap()),
        vec![bob]
    );
    let rows = s.search_users(&q(None, None, None)).await.unwrap();
    assert_eq!(
        (rows[1].plan, rows[1].status),
        (Some(Plan::MonthlySingle), Some(SubscriptionStatus::PastDue))
    );
    assert_eq!((rows[0].plan, rows[0].status), (None, None));

    let first = s
        .search_users(&UserQuery {
            limit: 2,
            ..q(None, None, None)
        })
        .await
        .unwrap();
    let last = first.last().unwrap();
    let next = s
        .search_users(&UserQuery {
            before: Some((last.created_at, last.id)),
            limit: 2,
            ..q(None, None, None)
        })
        .await
        .unwrap();
    assert_eq!(ids(first), vec![carol, bob]);
    assert_eq!(ids(next), vec![ada]);
}

async fn daily_figures_match_the_hand_computed_fixture(db: TestDb) {
    // 1 March: Ada and Bob sign up, Ada buys the founding membership (699 €).
    // 2 March: Carol signs up; Bob buys a single service (99 €), his first purchase; Ada adds
    //          a single service (99 €), not a new customer; Ada gets 100 € of her founding
    //          payment refunded (it counts against 1 March, the payment's day); Ada runs
    //          cold-dm twice and objection once.
    // 4 March: Carol runs carousel. 3 March has no activity at all.
    let ada = user(&db, "ada@example.com", "Ada", at(1, 10)).await;
    let bob = user(&db, "bob@example.com", "Bob", at(1, 11)).await;
    let carol = user(&db, "carol@example.com", "Carol", at(2, 9)).await;
    let founding = buy(
        &db,
        ada,
        Plan::Founding,
        SubscriptionStatus::Active,
        at(1, 12),
    )
    .await;
    buy(
        &db,
        bob,
        Plan::MonthlySingle,
        SubscriptionStatus::Active,
        at(2, 13),
    )
    .await;
    buy(
        &db,
        ada,
        Plan::MonthlySingle,
        SubscriptionStatus::Active,
        at(2, 14),
    )
    .await;
    db.store
        .apply_webhook(&WebhookEffects {
            event_id: "evt_refund".into(),
            event_type: "charge.refunded".into(),
            event_created: at(2, 15),
            subscription: None,
            payment: None,
            refund: Some(RefundRecord {
                stripe_invoice_id: founding.clone(),
                stripe_charge_id: format!("ch_{founding}"),
                amount_cents: 69_900,
                refunded_cents: 10_000,
                currency: "eur".into(),
                user_id: Some(ada),
            }),
            emails: Vec::new(),
            now: at(2, 15),
        })
        .await
        .unwrap();
    for (who, service, when) in [
        (ada, ServiceKey::ColdDm, at(2, 16)),
        (ada, ServiceKey::ColdDm, at(2, 17)),
        (ada, ServiceKey::Objection, at(2, 18)),
        (carol, ServiceKey::Carousel, at(4, 9)),
    ] {
        db.store
            .insert_generation(&Generation {
                id: Uuid::new_v4(),
                user_id: who,
                service,
                input: json!({}),
                output: json!({}),
                metadata: json!({}),
                created_at: when,
            })
            .await
            .unwrap();
    }
    let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
    let figures = db.store.daily_figures(d(1), d(4)).await.unwrap();
    assert_eq!(
        figures,
        vec![
            (
                d(1),
                DayFigures {
                    signups: 2,
                    purchases: 1,
                    net_revenue_cents: 59_900,
                    generations: vec![]
                }
            ),
            (
                d(2),
                DayFigures {
                    signups: 1,
                    purchases: 1,
                    net_revenue_cents: 19_800,
                    generations: vec![(ServiceKey::ColdDm, 2), (ServiceKey::Objection, 1)],
                }
            ),
            (
                d(4),
                DayFigures {
                    generations: vec![(ServiceKey::Carousel, 1)],
                    ..Default::default()
                }
            ),
        ]
    );
    // The range is inclusive of its days and nothing outside it leaks in.
    let only_second = db.store.daily_figures(d(2), d(2)).await.unwrap();
    assert_eq!(only_second.len(), 1);
    assert_eq!(only_second[0].1.signups, 1);

    let all = PaymentQuery {
        limit: 100,
        ..Default::default()
    };
    let payments = db.store.payments(&all).await.unwrap();
    assert_eq!(payments.len(), 3);
    assert_eq!(
        payments.iter().map(|p| p.amount_cents).sum::<i64>(),
        69_900 + 9_900 + 9_900
    );
    assert_eq!(
        payments.iter().map(|p| p.refunded_cents).sum::<i64>(),
        10_000
    );
    let bobs = db
        .store
        .payments(&PaymentQuery {
            user_id: Some(bob),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        (bobs.len(), bobs[0].email.as_deref()),
        (1, Some("bob@example.com"))
    );
    let in_march_second = db
        .store
        .payments(&PaymentQuery {
            from: Some(at(2, 0)),
            to: Some(at(3, 0)),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(in_march_second.len(), 2);
    let first = db
        .store
        .payments(&PaymentQuery {
            limit: 2,
            ..all.clone()
        })
        .await
        .unwrap();
    let last = &first[1];
    let rest = db
        .store
        .payments(&PaymentQuery {
            before: Some((last.dated_at(), last.id)),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        (first.len(), rest.len(), rest[0].amount_cents),
        (2, 1, 69_900),
        "keyset pages continue where the last one stopped"
    );
    assert_eq!(
        db.store.generation_totals(ada).await.unwrap(),
        vec![(ServiceKey::ColdDm, 2), (ServiceKey::Objection, 1)]
    );
}
