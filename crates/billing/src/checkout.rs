//! What a checkout sells and whether it adds anything, and the Stripe-format events the local
//! checkout sends when a test card pays — the same three Stripe sends after a real Checkout
//! (`checkout.session.completed`, `customer.subscription.created`, `invoice.paid`).

use chrono::{DateTime, Months, Utc};
use konqer_domain::{BillingInterval, Plan, ServiceKey};
use konqer_store::{CheckoutSession, SubscriptionRecord};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::events::Purchase;

/// The test card that pays, and the one whose payment fails (Stripe's own test numbers).
pub const CARD_SUCCEEDS: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000341";

/// A purchase a user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    Founding,
    Single(ServiceKey, BillingInterval),
    Bundle(BillingInterval),
}

impl Offer {
    pub fn plan(self) -> Plan {
        match self {
            Offer::Founding => Plan::Founding,
            Offer::Single(_, BillingInterval::Month) => Plan::MonthlySingle,
            Offer::Single(_, BillingInterval::Year) => Plan::AnnualSingle,
            Offer::Bundle(BillingInterval::Month) => Plan::MonthlyBundle,
            Offer::Bundle(BillingInterval::Year) => Plan::AnnualBundle,
        }
    }

    pub fn service(self) -> Option<ServiceKey> {
        match self {
            Offer::Single(service, _) => Some(service),
            _ => None,
        }
    }

    pub fn interval(self) -> BillingInterval {
        self.plan().interval()
    }

    /// The Stripe price's lookup key (DESIGN §4).
    pub fn lookup_key(self) -> String {
        match self {
            Offer::Founding => "konqer_founding_year".to_owned(),
            Offer::Single(service, interval) => format!("konqer_single_{service}_{interval}"),
            Offer::Bundle(interval) => format!("konqer_bundle_{interval}"),
        }
    }

    /// Whether the user's live subscriptions already give everything this would: founding or
    /// a bundle covers all; a single service is covered by those or by itself.
    pub fn adds_nothing(self, subscriptions: &[SubscriptionRecord]) -> bool {
        subscriptions
            .iter()
            .filter(|s| s.status.is_live())
            .any(|s| {
                s.plan.covers_all_services()
                    || (self.service().is_some() && s.service == self.service())
            })
    }

    pub fn purchase(self, user_id: Uuid) -> Purchase {
        Purchase {
            user_id,
            plan: self.plan(),
            service: self.service(),
            interval: self.interval(),
        }
    }
}

/// Card numbers as people type them: spaces and dashes are fine.
pub fn normalise_card(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

fn period_end(start: DateTime<Utc>, interval: BillingInterval) -> DateTime<Utc> {
    let months = match interval {
        BillingInterval::Month => 1,
        BillingInterval::Year => 12,
    };
    start
        .checked_add_months(Months::new(months))
        .unwrap_or(start)
}

/// The events Stripe would send for a paid session, in Stripe's shapes, created `now`.
pub fn paid_session_events(session: &CheckoutSession, now: DateTime<Utc>) -> Vec<Value> {
    let purchase = Purchase {
        user_id: session.user_id,
        plan: session.plan,
        service: session.service,
        interval: session.interval,
    };
    let metadata = purchase.metadata();
    let id = session.id.trim_start_matches("cs_");
    let subscription = format!("sub_{id}");
    let customer = format!("cus_local_{}", session.user_id.simple());
    let invoice = format!("in_{id}");
    let start = now.timestamp();
    let end = period_end(now, session.interval).timestamp();
    let amount = session.plan.price().0;
    let event = |n: u8, kind: &str, object: Value| {
        json!({"id": format!("evt_{id}_{n}"), "object": "event", "api_version": "2024-06-20",
               "type": kind, "created": start, "livemode": false, "data": {"object": object}})
    };
    vec![
        event(
            1,
            "checkout.session.completed",
            json!({
                "id": session.id, "object": "checkout.session", "mode": "subscription", "status": "complete",
                "payment_status": "paid", "client_reference_id": session.user_id.to_string(),
                "customer": customer, "subscription": subscription, "amount_total": amount,
                "currency": "eur", "metadata": metadata,
            }),
        ),
        event(
            2,
            "customer.subscription.created",
            json!({
                "id": subscription, "object": "subscription", "customer": customer, "status": "active",
                "cancel_at_period_end": false, "canceled_at": null, "current_period_start": start,
                "current_period_end": end, "metadata": metadata,
                "items": {"data": [{"price": {"lookup_key": lookup_key(session), "unit_amount": amount, "currency": "eur"},
                                    "current_period_start": start, "current_period_end": end}]},
            }),
        ),
        event(
            3,
            "invoice.paid",
            json!({
                "id": invoice, "object": "invoice", "customer": customer, "subscription": subscription,
                "status": "paid", "amount_paid": amount, "currency": "eur", "charge": format!("ch_{id}"),
                "status_transitions": {"paid_at": start}, "subscription_details": {"metadata": metadata},
                "lines": {"data": [{"period": {"start": start, "end": end}, "amount": amount}]},
            }),
        ),
    ]
}

/// The `customer.subscription.updated` event Stripe sends when a customer cancels at period
/// end (or resumes) in the billing portal; `created` must be newer than the subscription's
/// last cancel change so the order is unambiguous.
pub fn portal_update_event(
    subscription: &SubscriptionRecord,
    cancel_at_period_end: bool,
    created: DateTime<Utc>,
) -> Option<Value> {
    let id = subscription.stripe_subscription_id.as_deref()?;
    let purchase = Purchase {
        user_id: subscription.user_id,
        plan: subscription.plan,
        service: subscription.service,
        interval: subscription.interval,
    };
    Some(json!({
        "id": format!("evt_portal_{}", Uuid::new_v4().simple()), "object": "event", "type": "customer.subscription.updated",
        "created": created.timestamp(), "livemode": false,
        "data": {"object": {
            "id": id, "object": "subscription", "customer": subscription.stripe_customer_id,
            "status": subscription.status.as_str(), "cancel_at_period_end": cancel_at_period_end,
            "current_period_start": subscription.current_period_start.map(|t| t.timestamp()),
            "current_period_end": subscription.current_period_end.map(|t| t.timestamp()),
            "metadata": purchase.metadata(),
        }},
    }))
}

fn lookup_key(session: &CheckoutSession) -> String {
    match (session.plan, session.service) {
        (Plan::MonthlySingle | Plan::AnnualSingle, Some(service)) => {
            Offer::Single(service, session.interval).lookup_key()
        }
        (Plan::Founding, _) => Offer::Founding.lookup_key(),
        _ => Offer::Bundle(session.interval).lookup_key(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use konqer_domain::SubscriptionStatus;

    fn live(plan: Plan, service: Option<ServiceKey>) -> SubscriptionRecord {
        SubscriptionRecord {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            plan,
            service,
            interval: plan.interval(),
            status: SubscriptionStatus::Active,
            stripe_subscription_id: None,
            stripe_customer_id: None,
            current_period_start: None,
            current_period_end: None,
            cancel_at_period_end: false,
            canceled_at: None,
            cancel_event_at: None,
            created_at: Utc.timestamp_opt(0, 0).unwrap(),
        }
    }

    #[test]
    fn what_a_purchase_adds() {
        let founding = [live(Plan::Founding, None)];
        let single = [live(Plan::MonthlySingle, Some(ServiceKey::Objection))];
        assert!(Offer::Founding.adds_nothing(&founding));
        assert!(Offer::Bundle(BillingInterval::Month).adds_nothing(&founding));
        assert!(Offer::Single(ServiceKey::ColdDm, BillingInterval::Year).adds_nothing(&founding));
        assert!(Offer::Single(ServiceKey::Objection, BillingInterval::Year).adds_nothing(&single));
        assert!(!Offer::Single(ServiceKey::ColdDm, BillingInterval::Month).adds_nothing(&single));
        assert!(!Offer::Founding.adds_nothing(&single));
        let mut canceled = live(Plan::Founding, None);
        canceled.status = SubscriptionStatus::Canceled;
        assert!(!Offer::Founding.adds_nothing(&[canceled]));
    }

    #[test]
    fn plans_lookup_keys_and_cards() {
        assert_eq!(
            Offer::Single(ServiceKey::ColdDm, BillingInterval::Year).plan(),
            Plan::AnnualSingle
        );
        assert_eq!(
            Offer::Single(ServiceKey::ColdDm, BillingInterval::Year).lookup_key(),
            "konqer_single_cold-dm_year"
        );
        assert_eq!(
            Offer::Bundle(BillingInterval::Month).lookup_key(),
            "konqer_bundle_month"
        );
        assert_eq!(Offer::Founding.interval(), BillingInterval::Year);
        assert_eq!(normalise_card("4242 4242-4242 4242"), CARD_SUCCEEDS);
    }

    #[test]
    fn paid_sessions_become_the_three_stripe_events() {
        let now = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        let session = CheckoutSession {
            id: "cs_local_abc".into(),
            user_id: Uuid::nil(),
            plan: Plan::MonthlyBundle,
            service: None,
            interval: BillingInterval::Month,
            completed_at: None,
            expires_at: now,
            created_at: now,
        };
        let events = paid_session_events(&session, now);
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "checkout.session.completed",
                "customer.subscription.created",
                "invoice.paid"
            ]
        );
        let end = events[1]["data"]["object"]["current_period_end"]
            .as_i64()
            .unwrap();
        assert_eq!(
            Utc.timestamp_opt(end, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()
        );
        assert_eq!(events[2]["data"]["object"]["amount_paid"], 39900);
        for event in &events {
            let parsed = crate::events::Event::parse(event.to_string().as_bytes()).unwrap();
            assert!(crate::events::effects(&parsed, now).unwrap().is_some());
        }
    }
}
