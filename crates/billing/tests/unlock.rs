//! The rolling unlock run by three workers at once: every member gets every unlock row and
//! unlock email exactly once, a member who bought after a release gets the row but no email,
//! and time is injected, never slept.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use konqer_billing::unlock::sweep;
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use konqer_store::testing::TestDb;
use konqer_store::{NewUser, Store, SubscriptionSnapshot, WebhookEffects};
use uuid::Uuid;

konqer_store::both_backends!(three_concurrent_workers_unlock_each_service_once_per_member);

fn launch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&launch().and_hms_opt(0, 0, 0).unwrap()) + Duration::days(n)
}

async fn member(
    store: &Arc<dyn Store>,
    name: &str,
    plan: Plan,
    service: Option<ServiceKey>,
    since: DateTime<Utc>,
) -> Uuid {
    let user = store
        .create_user(&NewUser {
            id: Uuid::new_v4(),
            email: format!("{name}@example.com"),
            name: name.to_owned(),
            email_verified: true,
            now: since,
        })
        .await
        .unwrap();
    let effects = WebhookEffects {
        event_id: format!("evt_{name}"),
        event_type: "customer.subscription.created".into(),
        event_created: since,
        subscription: Some(SubscriptionSnapshot {
            stripe_subscription_id: format!("sub_{name}"),
            stripe_customer_id: None,
            user_id: user.id,
            plan,
            service,
            interval: plan.interval(),
            status: SubscriptionStatus::Active,
            canceled_at: None,
            period: Some((since, since + Duration::days(365))),
            cancel_at_period_end: Some(false),
        }),
        payment: None,
        refund: None,
        emails: Vec::new(),
        now: since,
    };
    store.apply_webhook(&effects).await.unwrap();
    user.id
}

async fn run_three(store: &Arc<dyn Store>, now: DateTime<Utc>) -> usize {
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                sweep(store.as_ref(), launch(), "https://konqer.app", now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}

async fn unlock_emails(store: &Arc<dyn Store>, user: Uuid) -> Vec<String> {
    let mut subjects: Vec<String> = store
        .emails_of(user)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "unlock")
        .map(|e| e.subject)
        .collect();
    subjects.sort();
    subjects
}

async fn three_concurrent_workers_unlock_each_service_once_per_member(db: TestDb) {
    let store = db.store.clone();
    let mut founders = Vec::new();
    for i in 0..5 {
        founders.push(
            member(
                &store,
                &format!("founder{i}"),
                Plan::Founding,
                None,
                day(-1),
            )
            .await,
        );
    }
    let single = member(
        &store,
        "single",
        Plan::AnnualSingle,
        Some(ServiceKey::Battlecards),
        day(2),
    )
    .await;

    // Day 7: the three launch services (offset 0) and the three of week one (offset 7).
    let granted = run_three(&store, day(7) + Duration::seconds(1)).await;
    assert_eq!(
        granted,
        5 * 6 + 1,
        "five founders × six services, and the single's battlecards"
    );
    for founder in &founders {
        let emails = unlock_emails(&store, *founder).await;
        assert_eq!(emails.len(), 6, "{emails:?}");
        assert!(emails.iter().any(|s| s.contains("Outbound Battlecards AI")));
    }
    assert_eq!(
        unlock_emails(&store, single).await,
        ["Unlocked today: Outbound Battlecards AI"]
    );

    let late = member(&store, "late", Plan::Founding, None, day(8)).await;
    // Day 14: the member who bought on day 8 gets rows for everything released, but emails
    // only for what unlocked after they joined (pitch deck and whitepaper).
    let granted = run_three(&store, day(14) + Duration::seconds(1)).await;
    assert_eq!(
        granted,
        5 * 2 + 8,
        "founders get offset 14; the late member 6 + 2"
    );
    assert_eq!(unlock_emails(&store, late).await.len(), 2);
    assert_eq!(unlock_emails(&store, founders[0]).await.len(), 8);

    // Nothing twice, however often it runs.
    assert_eq!(run_three(&store, day(14) + Duration::seconds(2)).await, 0);
    assert_eq!(store.emails_of(founders[0]).await.unwrap().len(), 8);
    let counts = store.job_counts().await.unwrap();
    assert_eq!(counts.queued, 5 * 8 + 1 + 2, "one send job per email");
}
