//! Webhook deliveries repeat and arrive out of order; the final state must equal the in-order
//! state. One subscription lifecycle is replayed in 50 random orders with random duplicates on
//! each back end, and one event is delivered 10 times at once.

use chrono::{DateTime, TimeZone, Utc};
use konqer_billing::events::{effects, Event};
use konqer_store::testing::TestDb;
use konqer_store::{NewUser, Store, SubscriptionRecord, WebhookOutcome};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

konqer_store::both_backends!(
    fifty_shuffled_replays_with_duplicates_end_in_the_in_order_state,
    ten_concurrent_deliveries_of_one_event_apply_once,
);

const DAY: i64 = 86_400;
const T0: i64 = 1_790_000_000;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap()
}

/// The lifecycle of a monthly bundle, as Stripe would send it, for one user; with or without
/// the final deletion (without it, the status must come out of the ordering, not of
/// `canceled` being final).
fn lifecycle(user: Uuid, tag: &str, deleted_at_end: bool) -> Vec<Value> {
    let sub = format!("sub_{tag}");
    let meta = json!({"user_id": user.to_string(), "plan": "monthly_bundle", "service": "", "interval": "month"});
    let subscription = |status: &str, start: i64, end: i64, cancel: bool| {
        json!({"id": sub, "object": "subscription", "customer": format!("cus_{tag}"), "status": status,
               "cancel_at_period_end": cancel, "canceled_at": null, "metadata": meta,
               "items": {"data": [{"current_period_start": start, "current_period_end": end}]}})
    };
    let invoice = |id: &str, start: i64, end: i64| {
        json!({"id": format!("{id}_{tag}"), "object": "invoice", "customer": format!("cus_{tag}"),
               "subscription": sub, "amount_paid": 39900, "currency": "eur", "charge": format!("ch_{id}_{tag}"),
               "status_transitions": {"paid_at": start}, "subscription_details": {"metadata": meta},
               "lines": {"data": [{"period": {"start": start, "end": end}}]}})
    };
    let (p1, p2, p3) = (T0, T0 + 30 * DAY, T0 + 60 * DAY);
    let mut deleted = subscription("canceled", p2, p3, false);
    deleted["canceled_at"] = json!(T0 + 50 * DAY);
    let events = [
        (
            "checkout.session.completed",
            T0,
            json!({"id": format!("cs_{tag}"), "object": "checkout.session", "mode": "subscription",
            "client_reference_id": user.to_string(), "customer": format!("cus_{tag}"), "subscription": sub,
            "payment_status": "paid", "metadata": meta}),
        ),
        (
            "customer.subscription.created",
            T0,
            subscription("active", p1, p2, false),
        ),
        ("invoice.paid", T0, invoice("in_1", p1, p2)),
        (
            "customer.subscription.updated",
            T0 + 10 * DAY,
            subscription("active", p1, p2, true),
        ),
        (
            "customer.subscription.updated",
            T0 + 12 * DAY,
            subscription("active", p1, p2, false),
        ),
        (
            "invoice.payment_failed",
            T0 + 30 * DAY,
            invoice("in_2", p2, p3),
        ),
        (
            "customer.subscription.updated",
            T0 + 30 * DAY,
            subscription("past_due", p2, p3, false),
        ),
        ("invoice.paid", T0 + 32 * DAY, invoice("in_2", p2, p3)),
        (
            "customer.subscription.updated",
            T0 + 32 * DAY,
            subscription("active", p2, p3, false),
        ),
        ("customer.subscription.deleted", T0 + 50 * DAY, deleted),
    ];
    let keep = if deleted_at_end {
        events.len()
    } else {
        events.len() - 1
    };
    events
        .into_iter()
        .take(keep)
        .enumerate()
        .map(|(i, (kind, created, object))| {
            json!({"id": format!("evt_{i}_{tag}"), "object": "event", "type": kind, "created": created, "data": {"object": object}})
        })
        .collect()
}

async fn deliver(store: &Arc<dyn Store>, event: &Value) -> WebhookOutcome {
    let event = Event::parse(event.to_string().as_bytes()).unwrap();
    let effects = effects(&event, at(T0 + 100 * DAY)).unwrap().unwrap();
    store.apply_webhook(&effects).await.unwrap()
}

/// What must be equal between runs: everything but row ids and the ids' tag.
fn comparable(sub: &SubscriptionRecord, payments: &[(String, i64, i64)], tag: &str) -> Value {
    json!({
        "plan": sub.plan.as_str(), "service": sub.service.map(|s| s.as_str()), "interval": sub.interval.as_str(),
        "status": sub.status.as_str(), "period": [sub.current_period_start, sub.current_period_end],
        "cancel_at_period_end": sub.cancel_at_period_end, "canceled_at": sub.canceled_at,
        "payments": payments.iter().map(|(id, amount, refunded)| json!([id.replace(tag, ""), amount, refunded])).collect::<Vec<_>>(),
    })
}

async fn final_state(store: &Arc<dyn Store>, user: Uuid, tag: &str) -> Value {
    let subs = store.subscriptions_of(user).await.unwrap();
    assert_eq!(
        subs.len(),
        1,
        "one subscription row per Stripe subscription"
    );
    let payments = store.payments_of(user).await.unwrap();
    comparable(&subs[0], &payments, tag)
}

async fn new_user(store: &Arc<dyn Store>, tag: &str) -> Uuid {
    let user = NewUser {
        id: Uuid::new_v4(),
        email: format!("{tag}@example.com"),
        name: String::new(),
        email_verified: true,
        now: at(T0),
    };
    store.create_user(&user).await.unwrap().id
}

async fn fifty_shuffled_replays_with_duplicates_end_in_the_in_order_state(db: TestDb) {
    let store = db.store.clone();
    let mut expected = Vec::new();
    for deleted in [false, true] {
        let tag = format!("inorder{deleted}");
        let user = new_user(&store, &tag).await;
        for event in lifecycle(user, &tag, deleted) {
            assert_eq!(deliver(&store, &event).await, WebhookOutcome::Applied);
        }
        expected.push(final_state(&store, user, &tag).await);
    }
    assert_eq!(expected[0]["status"], "active");
    assert_eq!(expected[1]["status"], "canceled");
    assert_eq!(expected[0]["payments"].as_array().unwrap().len(), 2);

    let seed: u64 = rand::thread_rng().gen();
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..50 {
        let tag = format!("r{round}");
        let user = new_user(&store, &tag).await;
        let deleted = round % 2 == 1;
        let mut deliveries = lifecycle(user, &tag, deleted);
        let repeats: Vec<Value> = deliveries
            .iter()
            .filter(|_| rng.gen_bool(0.3))
            .cloned()
            .collect();
        deliveries.extend(repeats);
        deliveries.shuffle(&mut rng);
        for event in &deliveries {
            deliver(&store, event).await;
        }
        let got = final_state(&store, user, &tag).await;
        assert_eq!(
            got,
            expected[usize::from(deleted)],
            "round {round} (seed {seed}) diverged from the in-order state"
        );
    }
}

async fn ten_concurrent_deliveries_of_one_event_apply_once(db: TestDb) {
    let store = db.store.clone();
    let user = new_user(&store, "burst").await;
    let events = lifecycle(user, "burst", true);
    let paid = events[2].clone();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let paid = paid.clone();
        tasks.push(tokio::spawn(async move { deliver(&store, &paid).await }));
    }
    let mut applied = 0;
    for task in tasks {
        if task.await.unwrap() == WebhookOutcome::Applied {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(store.payments_of(user).await.unwrap().len(), 1);
    assert_eq!(store.subscriptions_of(user).await.unwrap().len(), 1);
}
