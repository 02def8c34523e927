//! Fixtures shared by the operators' store tests: users, purchases and subscription changes
//! made through the same webhook path production uses.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use konqer_store::testing::TestDb;
use konqer_store::{NewUser, PaymentRecord, SubscriptionSnapshot, WebhookEffects};
use uuid::Uuid;

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

pub async fn user(db: &TestDb, email: &str, name: &str, when: DateTime<Utc>) -> Uuid {
    db.store
        .create_user(&NewUser {
            id: Uuid::new_v4(),
            email: email.to_owned(),
            name: name.to_owned(),
            email_verified: true,
            now: when,
        })
        .await
        .unwrap()
        .id
}

/// A subscription created at `when`, with its first invoice paid then.
pub async fn buy(
    db: &TestDb,
    user_id: Uuid,
    plan: Plan,
    status: SubscriptionStatus,
    when: DateTime<Utc>,
) -> String {
    let sub = format!("sub_{}", Uuid::new_v4().simple());
    let invoice = format!("in_{}", Uuid::new_v4().simple());
    db.store
        .apply_webhook(&WebhookEffects {
            event_id: format!("evt_{}", Uuid::new_v4().simple()),
            event_type: "invoice.paid".into(),
            event_created: when,
            subscription: Some(SubscriptionSnapshot {
                stripe_subscription_id: sub.clone(),
                stripe_customer_id: None,
                user_id,
                plan,
                service: (!plan.covers_all_services()).then_some(ServiceKey::ColdDm),
                interval: plan.interval(),
                status,
                canceled_at: None,
                period: Some((when, when + chrono::Duration::days(30))),
                cancel_at_period_end: Some(false),
            }),
            payment: Some(PaymentRecord {
                stripe_invoice_id: invoice.clone(),
                stripe_charge_id: Some(format!("ch_{invoice}")),
                stripe_subscription_id: Some(sub),
                user_id: Some(user_id),
                plan: Some(plan),
                amount_cents: plan.price().get(),
                currency: "eur".into(),
                paid_at: when,
            }),
            refund: None,
            emails: Vec::new(),
            now: when,
        })
        .await
        .unwrap();
    invoice
}

/// Sets a subscription's state as of `when` (a `customer.subscription.updated` event):
/// the first call creates it, with `created_at` = `when`.
pub async fn subscription_state(
    db: &TestDb,
    id: &str,
    user_id: Uuid,
    plan: Plan,
    status: SubscriptionStatus,
    canceled_at: Option<DateTime<Utc>>,
    when: DateTime<Utc>,
) {
    db.store
        .apply_webhook(&WebhookEffects {
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
                canceled_at,
                period: None,
                cancel_at_period_end: None,
            }),
            payment: None,
            refund: None,
            emails: Vec::new(),
            now: when,
        })
        .await
        .unwrap();
}
