//! What the stand-in Stripe holds — customers, products, prices, Checkout and portal sessions,
//! subscriptions — and the rules its endpoints enforce, answering in Stripe's JSON shapes and
//! with Stripe's error objects.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{Months, TimeDelta, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ApiError;

/// A Checkout Session and what completing it needs.
pub(crate) struct Session {
    pub object: Value,
    pub price: String,
    pub subscription_metadata: Value,
}

#[derive(Default)]
pub(crate) struct World {
    pub customers: BTreeMap<String, Value>,
    pub products: BTreeMap<String, Value>,
    pub prices: BTreeMap<String, Value>,
    pub sessions: BTreeMap<String, Session>,
    pub portal_sessions: BTreeMap<String, Value>,
    pub subscriptions: BTreeMap<String, Value>,
}

pub(crate) fn new_id(prefix: &str) -> String {
    let random = Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &random[..16])
}

fn now() -> i64 {
    Utc::now().timestamp()
}

fn text<'p>(params: &'p Value, key: &str) -> Option<&'p str> {
    params.get(key).and_then(Value::as_str)
}

fn required<'p>(params: &'p Value, key: &str) -> Result<&'p str, ApiError> {
    text(params, key)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing_param(key))
}

/// Metadata as Stripe keeps it: string values, empty ones dropped.
fn metadata(value: Option<&Value>) -> Value {
    let entries = value.and_then(Value::as_object).into_iter().flatten();
    Value::Object(
        entries
            .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn integer(params: &Value, key: &str, param: &str) -> Result<Option<i64>, ApiError> {
    match params.get(key).and_then(Value::as_str) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("Invalid integer: {raw}"), Some(param))),
    }
}

fn url(params: &Value, key: &str) -> Result<Option<String>, ApiError> {
    match text(params, key) {
        None => Ok(None),
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(Some(u.into())),
        Some(_) => Err(ApiError::invalid("Not a valid URL", Some(key))),
    }
}

fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "url": url, "has_more": has_more, "data": data})
}

impl World {
    pub fn create_customer(&mut self, _base: &str, params: &Value) -> Result<Value, ApiError> {
        let id = new_id("cus");
        let customer = json!({
            "id": id, "object": "customer", "created": now(), "livemode": false,
            "email": text(params, "email"), "name": text(params, "name"),
            "description": text(params, "description"), "metadata": metadata(params.get("metadata")),
        });
        self.customers.insert(id, customer.clone());
        Ok(customer)
    }

    pub fn create_product(&mut self, _base: &str, params: &Value) -> Result<Value, ApiError> {
        let name = required(params, "name")?;
        let id = match text(params, "id") {
            Some(id) if self.products.contains_key(id) => {
                return Err(ApiError {
                    code: Some("resource_already_exists"),
                    ..ApiError::invalid("Product already exists.", Some("id"))
                });
            }
            Some(id) => id.to_owned(),
            None => new_id("prod"),
        };
        let product = json!({
            "id": id, "object": "product", "active": text(params, "active") != Some("false"),
            "name": name, "created": now(), "livemode": false, "metadata": metadata(params.get("metadata")),
        });
        self.products.insert(id, product.clone());
        Ok(product)
    }

    pub fn product(&self, id: &str) -> Result<Value, ApiError> {
        self.products
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::no_such("product", id, "id", StatusCode::NOT_FOUND))
    }

    pub fn create_price(&mut self, _base: &str, params: &Value) -> Result<Value, ApiError> {
        let currency = required(params, "currency")?.to_ascii_lowercase();
        let product = required(params, "product")?;
        if !self.products.contains_key(product) {
            let status = StatusCode::BAD_REQUEST;
            return Err(ApiError::no_such("product", product, "product", status));
        }
        let amount = integer(params, "unit_amount", "unit_amount")?
            .ok_or_else(|| ApiError::missing_param("unit_amount"))?;
        let recurring = match params
            .pointer("/recurring/interval")
            .and_then(Value::as_str)
        {
            None => Value::Null,
            Some(interval @ ("day" | "week" | "month" | "year")) => {
                json!({"interval": interval, "interval_count": 1, "usage_type": "licensed"})
            }
            Some(other) => {
                let message = format!("Invalid recurring[interval]: must be one of day, week, month, or year (got {other})");
                return Err(ApiError::invalid(message, Some("recurring[interval]")));
            }
        };
        let lookup_key = text(params, "lookup_key");
        if let Some(key) = lookup_key {
            let holder = self
                .prices
                .values_mut()
                .find(|p| p["lookup_key"].as_str() == Some(key));
            match holder {
                Some(holder) if text(params, "transfer_lookup_key") == Some("true") => {
                    holder["lookup_key"] = Value::Null;
                }
                Some(holder) => {
                    let message =
                        format!("A price (`{}`) already uses that lookup key.", holder["id"]);
                    return Err(ApiError::invalid(message, Some("lookup_key")));
                }
                None => {}
            }
        }
        let id = new_id("price");
        let price = json!({
            "id": id, "object": "price", "active": true, "billing_scheme": "per_unit",
            "currency": currency, "unit_amount": amount, "unit_amount_decimal": amount.to_string(),
            "lookup_key": lookup_key, "nickname": text(params, "nickname"), "product": product,
            "type": if recurring.is_null() { "one_time" } else { "recurring" }, "recurring": recurring,
            "created": now(), "livemode": false, "metadata": metadata(params.get("metadata")),
        });
        self.prices.insert(id, price.clone());
        Ok(price)
    }

    /// `GET /v1/prices` with `lookup_keys[]`, `active`, `limit` and `expand[]=data.product`.
    pub fn list_prices(&self, params: &Value) -> Result<Value, ApiError> {
        let keys: Option<Vec<&str>> = match params.get("lookup_keys") {
            None => None,
            Some(Value::Array(keys)) if keys.len() <= 10 => {
                Some(keys.iter().filter_map(Value::as_str).collect())
            }
            Some(_) => {
                let message = "Invalid array: lookup_keys must be an array of at most 10 strings";
                return Err(ApiError::invalid(message, Some("lookup_keys")));
            }
        };
        let active = match text(params, "active") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(ApiError::invalid("Invalid boolean", Some("active"))),
        };
        let limit = integer(params, "limit", "limit")?.unwrap_or(10);
        if !(1..=100).contains(&limit) {
            let message = "Invalid limit: must be between 1 and 100";
            return Err(ApiError::invalid(message, Some("limit")));
        }
        let expand_product = params
            .get("expand")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|x| x == "data.product"));
        let mut found: Vec<Value> = self
            .prices
            .values()
            .filter(|p| active.is_none_or(|a| p["active"] == a))
            .filter(|p| {
                keys.as_ref()
                    .is_none_or(|k| p["lookup_key"].as_str().is_some_and(|l| k.contains(&l)))
            })
            .cloned()
            .collect();
        let has_more = found.len() > limit as usize;
        found.truncate(limit as usize);
        if expand_product {
            for price in &mut found {
                let product = price["product"]
                    .as_str()
                    .and_then(|id| self.products.get(id));
                if let Some(product) = product {
                    price["product"] = product.clone();
                }
            }
        }
        Ok(list("/v1/prices", found, has_more))
    }

    pub fn create_session(&mut self, base: &str, params: &Value) -> Result<Value, ApiError> {
        let mode = required(params, "mode")?;
        if !matches!(mode, "payment" | "setup" | "subscription") {
            let message = format!(
                "Invalid mode: must be one of payment, setup, or subscription (got {mode})"
            );
            return Err(ApiError::invalid(message, Some("mode")));
        }
        let customer = text(params, "customer");
        if let Some(id) = customer.filter(|id| !self.customers.contains_key(*id)) {
            return Err(ApiError::no_such(
                "customer",
                id,
                "customer",
                StatusCode::BAD_REQUEST,
            ));
        }
        let param = "line_items[0][price]";
        let price_id = params
            .pointer("/line_items/0/price")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::missing_param(param))?;
        let price = self
            .prices
            .get(price_id)
            .ok_or_else(|| ApiError::no_such("price", price_id, param, StatusCode::BAD_REQUEST))?;
        if price["active"] != true {
            let message = "The price specified is inactive. This field only accepts active prices.";
            return Err(ApiError::invalid(message, Some(param)));
        }
        if mode == "subscription" && price["recurring"].is_null() {
            let message = "You must provide at least one recurring price in `subscription` mode when using prices.";
            return Err(ApiError::invalid(message, Some("line_items")));
        }
        let quantity = match params
            .pointer("/line_items/0/quantity")
            .and_then(Value::as_str)
        {
            None => 1,
            Some(q) => q.parse::<i64>().ok().filter(|q| *q > 0).ok_or_else(|| {
                ApiError::invalid(
                    format!("Invalid integer: {q}"),
                    Some("line_items[0][quantity]"),
                )
            })?,
        };
        let amount = price["unit_amount"].as_i64().unwrap_or(0) * quantity;
        let id = new_id("cs_test");
        let methods = params
            .get("payment_method_types")
            .cloned()
            .unwrap_or_else(|| json!(["card"]));
        let object = json!({
            "id": id, "object": "checkout.session", "mode": mode, "status": "open",
            "payment_status": "unpaid", "customer": customer,
            "client_reference_id": text(params, "client_reference_id"),
            "success_url": url(params, "success_url")?, "cancel_url": url(params, "cancel_url")?,
            "url": format!("{base}/c/pay/{id}"), "metadata": metadata(params.get("metadata")),
            "amount_subtotal": amount, "amount_total": amount, "currency": price["currency"],
            "payment_method_types": methods, "subscription": null, "created": now(),
            "expires_at": now() + 24 * 3600, "livemode": false,
        });
        let session = Session {
            object: object.clone(),
            price: price_id.to_owned(),
            subscription_metadata: metadata(params.pointer("/subscription_data/metadata")),
        };
        self.sessions.insert(id, session);
        Ok(object)
    }

    pub fn create_portal_session(&mut self, base: &str, params: &Value) -> Result<Value, ApiError> {
        let customer = required(params, "customer")?;
        if !self.customers.contains_key(customer) {
            let status = StatusCode::BAD_REQUEST;
            return Err(ApiError::no_such("customer", customer, "customer", status));
        }
        let id = new_id("bps");
        let session = json!({
            "id": id, "object": "billing_portal.session", "customer": customer,
            "return_url": url(params, "return_url")?, "url": format!("{base}/p/session/{id}"),
            "created": now(), "livemode": false,
        });
        self.portal_sessions.insert(id, session.clone());
        Ok(session)
    }

    pub fn subscription(&self, id: &str) -> Result<Value, ApiError> {
        self.subscriptions
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::no_such("subscription", id, "id", StatusCode::NOT_FOUND))
    }

    /// Pays an open subscription Checkout Session: the subscription is created and the
    /// session completed; returns the events Stripe would send, unsigned.
    pub fn complete_session(&mut self, id: &str) -> Option<Vec<Value>> {
        let session = self.sessions.get(id)?;
        if session.object["status"] != "open" || session.object["mode"] != "subscription" {
            return None;
        }
        let price = self.prices.get(&session.price)?.clone();
        let subscription_metadata = session.subscription_metadata.clone();
        let customer = match session.object["customer"].as_str() {
            Some(customer) => customer.to_owned(),
            None => self.create_customer("", &json!({})).ok()?["id"]
                .as_str()?
                .to_owned(),
        };
        let start = Utc::now();
        let end = match price.pointer("/recurring/interval").and_then(Value::as_str) {
            Some("year") => start.checked_add_months(Months::new(12)),
            Some("month") => start.checked_add_months(Months::new(1)),
            Some("week") => start.checked_add_signed(TimeDelta::days(7)),
            _ => start.checked_add_signed(TimeDelta::days(1)),
        }?;
        let (start, end) = (start.timestamp(), end.timestamp());
        let subscription_id = new_id("sub");
        let subscription = json!({
            "id": subscription_id, "object": "subscription", "customer": customer, "status": "active",
            "cancel_at_period_end": false, "canceled_at": null, "created": start,
            "current_period_start": start, "current_period_end": end, "metadata": subscription_metadata,
            "items": list("/v1/subscription_items", vec![json!({
                "id": new_id("si"), "object": "subscription_item", "price": price, "quantity": 1,
                "current_period_start": start, "current_period_end": end,
            })], false),
            "livemode": false,
        });
        self.subscriptions
            .insert(subscription_id.clone(), subscription.clone());
        let session = self.sessions.get_mut(id)?;
        let object = &mut session.object;
        object["status"] = json!("complete");
        object["payment_status"] = json!("paid");
        object["customer"] = json!(customer);
        object["subscription"] = json!(subscription_id);
        let amount = price["unit_amount"].clone();
        let invoice = json!({
            "id": new_id("in"), "object": "invoice", "customer": customer,
            "subscription": subscription_id, "status": "paid", "amount_paid": amount,
            "currency": price["currency"], "charge": new_id("ch"),
            "status_transitions": {"paid_at": start},
            "subscription_details": {"metadata": subscription["metadata"]},
            "lines": {"object": "list", "data": [{"period": {"start": start, "end": end}, "amount": amount}]},
        });
        let event = |kind: &str, object: &Value| {
            json!({"id": new_id("evt"), "object": "event", "api_version": "2024-06-20", "type": kind,
                   "created": start, "livemode": false, "data": {"object": object}})
        };
        Some(vec![
            event("checkout.session.completed", object),
            event("customer.subscription.created", &subscription),
            event("invoice.paid", &invoice),
        ])
    }
}
