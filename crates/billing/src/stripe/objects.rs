//! The Stripe objects Konqer reads, with only the fields it uses; unknown fields are ignored
//! so new API versions do not break decoding.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use konqer_domain::{BillingInterval, SubscriptionStatus};
use serde::Deserialize;
use serde_json::Value;

use crate::events::Purchase;

pub type Metadata = BTreeMap<String, String>;

/// A field Stripe sends as an id, or as the object itself when asked to `expand[]` it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    Id(String),
    Object(Box<T>),
}

impl<T: HasId> Expandable<T> {
    pub fn id(&self) -> &str {
        match self {
            Expandable::Id(id) => id,
            Expandable::Object(object) => object.id(),
        }
    }

    pub fn object(&self) -> Option<&T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Object(object) => Some(object),
        }
    }
}

pub trait HasId {
    fn id(&self) -> &str;
}

/// A page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Product {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Price {
    pub id: String,
    #[serde(default)]
    pub active: bool,
    pub currency: String,
    pub unit_amount: Option<i64>,
    pub lookup_key: Option<String>,
    pub recurring: Option<Recurring>,
    pub product: Expandable<Product>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Recurring {
    /// `day`, `week`, `month` or `year`.
    pub interval: String,
    #[serde(default = "one")]
    pub interval_count: u32,
}

fn one() -> u32 {
    1
}

impl Price {
    /// Monthly or yearly, when the price renews once per month or year.
    pub fn interval(&self) -> Option<BillingInterval> {
        let recurring = self.recurring.as_ref().filter(|r| r.interval_count == 1)?;
        recurring.interval.parse().ok()
    }
}

/// A freshly created hosted Checkout Session: where to send the customer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortalSession {
    pub id: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: Expandable<Customer>,
    pub status: SubscriptionStatus,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// On the subscription up to API version 2025-03-31; on its items after.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
    pub items: List<SubscriptionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: Price,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
}

impl Subscription {
    /// Who bought what, from the metadata the checkout put on the subscription.
    pub fn purchase(&self) -> Option<Purchase> {
        let metadata: serde_json::Map<String, Value> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Purchase::from_metadata(&Value::Object(metadata))
    }

    /// The current period, wherever this API version puts it.
    pub fn current_period(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let item = self.items.data.first();
        let start = self
            .current_period_start
            .or_else(|| item?.current_period_start)?;
        let end = self
            .current_period_end
            .or_else(|| item?.current_period_end)?;
        Some((time(start)?, time(end)?))
    }
}

fn time(seconds: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(seconds, 0).single()
}

impl HasId for Customer {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Product {
    fn id(&self) -> &str {
        &self.id
    }
}
