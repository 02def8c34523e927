//! How long the overview's queries take on a year of a busy PostgreSQL database: 10,000 users,
//! 6,000 subscriptions (some upgraded, some canceled), their payments (some refunded) and
//! 100,000 generations. Not part of the normal run; measure with
//! `scripts/test-services.sh -- cargo test -p konqer-store --release --test admin_volume -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use konqer_store::testing::TestDb;
use konqer_store::Backend;
use sqlx::Connection;

const SEED: &[&str] = &[
    "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) \
     SELECT gen_random_uuid(), 'u' || i || '@example.com', 'User ' || i, true, \
            timestamptz '2026-01-01 00:00:00+00' + (i % 365) * interval '1 day' \
              + (i % 1440) * interval '1 minute', now() \
     FROM generate_series(1, 10000) i",
    // 60 % buy one of the five plans a day after signing up; one in seven cancels 40 days on.
    "INSERT INTO subscriptions (id, user_id, plan, service_key, billing_interval, status, \
         stripe_subscription_id, canceled_at, created_at, updated_at) \
     SELECT gen_random_uuid(), u.id, p.plan::plan_type, \
            CASE WHEN p.plan LIKE '%single' THEN 'cold-dm' END, \
            CASE WHEN p.plan LIKE 'monthly%' THEN 'month' ELSE 'year' END::billing_interval, \
            CASE WHEN u.n % 7 = 0 THEN 'canceled' ELSE 'active' END::subscription_status, \
            'sub_' || u.n, CASE WHEN u.n % 7 = 0 THEN u.created_at + interval '41 days' END, \
            u.created_at + interval '1 day', now() \
     FROM (SELECT id, created_at, row_number() OVER (ORDER BY created_at, id) AS n FROM users) u \
     CROSS JOIN LATERAL (SELECT (ARRAY['founding', 'monthly_single', 'annual_single', \
         'monthly_bundle', 'annual_bundle'])[1 + (u.n / 5) % 5] AS plan) p \
     WHERE u.n % 5 < 3",
    // One in ten single-service customers adds the bundle 20 days later.
    "INSERT INTO subscriptions (id, user_id, plan, billing_interval, status, \
         stripe_subscription_id, created_at, updated_at) \
     SELECT gen_random_uuid(), user_id, 'monthly_bundle', 'month', 'active', \
            stripe_subscription_id || '_up', created_at + interval '20 days', now() \
     FROM subscriptions WHERE plan = 'monthly_single' AND hashtext(user_id::text) % 10 = 0",
    "INSERT INTO payments (id, user_id, subscription_id, stripe_invoice_id, plan, amount_cents, \
         refunded_cents, status, paid_at, created_at) \
     SELECT gen_random_uuid(), user_id, id, 'in_' || stripe_subscription_id, plan, \
            CASE plan WHEN 'founding' THEN 69900 WHEN 'monthly_single' THEN 9900 \
                 WHEN 'annual_single' THEN 99000 WHEN 'monthly_bundle' THEN 39900 ELSE 399000 END, \
            CASE WHEN hashtext(id::text) % 20 = 0 THEN 5000 ELSE 0 END, \
            'succeeded', created_at, created_at \
     FROM subscriptions",
    "INSERT INTO generations (id, user_id, service_key, input, output, metadata, created_at) \
     SELECT gen_random_uuid(), s.user_id, k.key, '{}', '{}', '{}', \
            s.created_at + ((g.i * 7919) % (300 * 24)) * interval '1 hour' \
     FROM (SELECT user_id, created_at, row_number() OVER (ORDER BY id) AS n FROM subscriptions) s \
     JOIN generate_series(1, 100000) g(i) ON s.n = 1 + g.i % 6000 \
     CROSS JOIN LATERAL (SELECT key FROM service_configs ORDER BY key \
         OFFSET g.i % 12 LIMIT 1) k",
    "ANALYZE",
];

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

#[tokio::test]
#[ignore = "a measurement, not a check: run it by name with --ignored"]
async fn overview_query_times_on_a_year_of_10k_users_and_100k_generations() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    for sql in SEED {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    for table in ["users", "subscriptions", "payments", "generations"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        println!("{table}: {n}");
    }
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap());
    let cases = [
        ("30 days by day", day(6, 1), day(6, 30), 1),
        ("365 days by day", day(1, 1), day(12, 31), 1),
        ("365 days by week", day(1, 1), day(12, 31), 7),
        ("365 days by ~month", day(1, 1), day(12, 31), 30),
    ];
    for (label, from, to, step) in cases {
        let mut boundaries = Vec::new();
        let mut at = from;
        while at <= to {
            boundaries.push(midnight(at));
            at += chrono::Duration::days(step);
        }
        boundaries.push(midnight(to + chrono::Duration::days(1)));
        let (mut figures, mut bridge) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            let started = Instant::now();
            db.store.daily_figures(from, to).await.unwrap();
            figures.push(started.elapsed());
            let started = Instant::now();
            let moves = db.store.mrr_movements(&boundaries).await.unwrap();
            bridge.push(started.elapsed());
            assert_eq!(moves.periods.len(), boundaries.len() - 1);
        }
        println!(
            "{label}: daily figures {:?}, MRR bridge ({} periods) {:?} (median of 5)",
            median(figures),
            boundaries.len() - 1,
            median(bridge)
        );
    }
}
