//! Stripe events → what they change here. Only the fields we rely on are read, from the
//! shapes Stripe sends (tolerating both the classic and the 2025 API layouts where they
//! differ: periods on the subscription or on its items, the subscription on the invoice or
//! under `parent.subscription_details`). The checkout session's and subscription's
//! `metadata` ({user_id, plan, service, interval}) is all we need to know who bought what.

use chrono::{DateTime, TimeZone, Utc};
use konqer_domain::{BillingInterval, Plan, ServiceKey, SubscriptionStatus};
use konqer_store::{PaymentRecord, RefundRecord, SubscriptionSnapshot, WebhookEffects};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not a Stripe event: {0}")]
    NotAnEvent(String),
    #[error("event {event}: {reason}")]
    Unusable { event: String, reason: String },
}

/// The envelope every Stripe event has.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: Value,
}

impl Event {
    pub fn parse(body: &[u8]) -> Result<Event, EventError> {
        let event: Event =
            serde_json::from_slice(body).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
        if event.id.is_empty() || event.id.len() > 255 {
            return Err(EventError::NotAnEvent("bad id".to_owned()));
        }
        Ok(event)
    }

    fn unusable(&self, reason: impl Into<String>) -> EventError {
        EventError::Unusable {
            event: self.id.clone(),
            reason: reason.into(),
        }
    }
}

/// Who bought what, from Stripe metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    pub user_id: Uuid,
    pub plan: Plan,
    pub service: Option<ServiceKey>,
    pub interval: BillingInterval,
}

impl Purchase {
    pub fn from_metadata(metadata: &Value) -> Option<Purchase> {
        let text = |k: &str| {
            metadata
                .get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        let plan: Plan = text("plan")?.parse().ok()?;
        let service = match text("service") {
            Some(s) => Some(s.parse::<ServiceKey>().ok()?),
            None => None,
        };
        if plan.covers_all_services() == service.is_some() {
            return None;
        }
        Some(Purchase {
            user_id: text("user_id")?.parse().ok()?,
            plan,
            service,
            interval: text("interval")
                .and_then(|i| i.parse().ok())
                .unwrap_or(plan.interval()),
        })
    }

    /// The metadata Konqer puts on checkout sessions and subscriptions.
    pub fn metadata(&self) -> Value {
        serde_json::json!({
            "user_id": self.user_id.to_string(),
            "plan": self.plan.as_str(),
            "service": self.service.map(|s| s.as_str()).unwrap_or(""),
            "interval": self.interval.as_str(),
        })
    }
}

fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(value?.as_i64()?, 0).single()
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// An id field that may be a string or an expanded object with an `id`.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => string(o.get("id")),
        _ => None,
    }
}

/// The effects of an event; `Ok(None)` for event types we do not act on (acknowledged and
/// ignored). `now` is when we apply it.
pub fn effects(event: &Event, now: DateTime<Utc>) -> Result<Option<WebhookEffects>, EventError> {
    let object = &event.data.object;
    let created = Utc
        .timestamp_opt(event.created, 0)
        .single()
        .ok_or_else(|| event.unusable("created is not a time"))?;
    let mut effects = WebhookEffects {
        event_id: event.id.clone(),
        event_type: event.kind.clone(),
        event_created: created,
        subscription: None,
        payment: None,
        refund: None,
        emails: Vec::new(),
        now,
    };
    let purchase = |metadata: Option<&Value>| {
        metadata
            .and_then(Purchase::from_metadata)
            .ok_or_else(|| event.unusable("metadata lacks user_id/plan/service/interval"))
    };
    match event.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed" => {
            let Some(subscription) = id_of(object.get("subscription")) else {
                return Ok(Some(effects)); // not a subscription checkout: nothing to do
            };
            let bought = purchase(object.get("metadata"))?;
            let paid = matches!(
                object.get("payment_status").and_then(Value::as_str),
                Some("paid" | "no_payment_required")
            );
            let status = match event.kind.as_str() {
                "checkout.session.async_payment_failed" => SubscriptionStatus::IncompleteExpired,
                _ if paid => SubscriptionStatus::Active,
                _ => SubscriptionStatus::Incomplete,
            };
            effects.subscription = Some(snapshot(subscription, object, bought, status, None, None));
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let id = string(object.get("id"))
                .ok_or_else(|| event.unusable("subscription without id"))?;
            let bought = purchase(object.get("metadata"))?;
            let status: SubscriptionStatus = object
                .get("status")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| event.unusable("unknown subscription status"))?;
            // Classic API: periods on the subscription; 2025 API: on its items.
            let item = object.pointer("/items/data/0");
            let period_of =
                |k: &str| time(object.get(k)).or_else(|| time(item.and_then(|i| i.get(k))));
            let period = period_of("current_period_start").zip(period_of("current_period_end"));
            let cancel = object.get("cancel_at_period_end").and_then(Value::as_bool);
            let mut snap = snapshot(id, object, bought, status, period, cancel);
            snap.canceled_at =
                time(object.get("canceled_at")).or_else(|| time(object.get("ended_at")));
            effects.subscription = Some(snap);
        }
        "invoice.paid" | "invoice.payment_failed" => {
            let subscription = id_of(object.get("subscription"))
                .or_else(|| id_of(object.pointer("/parent/subscription_details/subscription")));
            let Some(subscription) = subscription else {
                return Ok(Some(effects)); // a one-off invoice, not ours
            };
            let metadata = object
                .pointer("/subscription_details/metadata")
                .or_else(|| object.pointer("/parent/subscription_details/metadata"))
                .or_else(|| object.get("metadata"));
            let bought = purchase(metadata)?;
            let line = object.pointer("/lines/data/0/period");
            let period =
                time(line.and_then(|p| p.get("start"))).zip(time(line.and_then(|p| p.get("end"))));
            if event.kind == "invoice.paid" {
                let invoice =
                    string(object.get("id")).ok_or_else(|| event.unusable("invoice without id"))?;
                effects.payment = Some(PaymentRecord {
                    stripe_invoice_id: invoice,
                    stripe_charge_id: id_of(object.get("charge")),
                    stripe_subscription_id: Some(subscription.clone()),
                    user_id: Some(bought.user_id),
                    plan: Some(bought.plan),
                    amount_cents: object
                        .get("amount_paid")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                        .max(0),
                    currency: string(object.get("currency")).unwrap_or_else(|| "eur".to_owned()),
                    paid_at: time(object.pointer("/status_transitions/paid_at")).unwrap_or(created),
                });
                effects.subscription = Some(snapshot(
                    subscription,
                    object,
                    bought,
                    SubscriptionStatus::Active,
                    period,
                    None,
                ));
            } else {
                effects.subscription = Some(snapshot(
                    subscription,
                    object,
                    bought,
                    SubscriptionStatus::PastDue,
                    None,
                    None,
                ));
            }
        }
        "charge.refunded" => {
            let invoice = id_of(object.get("invoice"))
                .ok_or_else(|| event.unusable("refunded charge without invoice"))?;
            effects.refund = Some(RefundRecord {
                stripe_invoice_id: invoice,
                stripe_charge_id: string(object.get("id"))
                    .ok_or_else(|| event.unusable("charge without id"))?,
                amount_cents: object
                    .get("amount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .max(0),
                refunded_cents: object
                    .get("amount_refunded")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .max(0),
                currency: string(object.get("currency")).unwrap_or_else(|| "eur".to_owned()),
                user_id: object
                    .get("metadata")
                    .and_then(Purchase::from_metadata)
                    .map(|p| p.user_id),
            });
        }
        _ => return Ok(None),
    }
    Ok(Some(effects))
}

fn snapshot(
    stripe_subscription_id: String,
    object: &Value,
    bought: Purchase,
    status: SubscriptionStatus,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    cancel_at_period_end: Option<bool>,
) -> SubscriptionSnapshot {
    SubscriptionSnapshot {
        stripe_subscription_id,
        stripe_customer_id: id_of(object.get("customer")),
        user_id: bought.user_id,
        plan: bought.plan,
        service: bought.service,
        interval: bought.interval,
        status,
        canceled_at: None,
        period,
        cancel_at_period_end,
    }
}
