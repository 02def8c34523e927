//! The endpoints Konqer calls, one method each. Every POST takes the caller's idempotency key:
//! the caller knows what the request is for (this user's customer, that checkout) and so can
//! derive a key that stays the same across retries and restarts.

use konqer_domain::{BillingInterval, Cents};
use serde_json::Value;
use uuid::Uuid;

use super::{
    CheckoutSession, Customer, Form, IdempotencyKey, List, PortalSession, Price, Product,
    StripeClient, StripeError, Subscription,
};
use crate::checkout::Offer;

/// Stripe lists at most this many lookup keys per price search.
const LOOKUP_KEYS_PER_REQUEST: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct NewCustomer<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub user_id: Uuid,
}

/// A subscription Checkout for one offer, at the price found by the offer's lookup key.
#[derive(Debug, Clone, Copy)]
pub struct NewCheckout<'a> {
    pub customer: &'a str,
    pub user_id: Uuid,
    pub offer: Offer,
    pub price_id: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    /// Our own product id (Stripe accepts a chosen one), so it can be looked up again.
    pub id: &'a str,
    pub name: &'a str,
    pub metadata: Value,
}

#[derive(Debug, Clone)]
pub struct NewPrice<'a> {
    pub product: &'a str,
    pub lookup_key: &'a str,
    pub amount: Cents,
    pub interval: BillingInterval,
    pub nickname: &'a str,
    pub metadata: Value,
}

impl StripeClient {
    pub async fn create_customer(
        &self,
        customer: &NewCustomer<'_>,
        key: &IdempotencyKey,
    ) -> Result<Customer, StripeError> {
        let form = Form::new()
            .set("email", customer.email)
            .set_opt("name", customer.name)
            .set("metadata[user_id]", customer.user_id);
        self.post(&["v1", "customers"], &form, key).await
    }

    /// Active prices with these lookup keys, their products expanded; keys without an
    /// active price are simply absent.
    pub async fn prices_by_lookup_keys(&self, keys: &[String]) -> Result<Vec<Price>, StripeError> {
        let mut prices = Vec::new();
        for chunk in keys.chunks(LOOKUP_KEYS_PER_REQUEST) {
            let mut query = Form::new();
            for key in chunk {
                query = query.set("lookup_keys[]", key);
            }
            let query = query
                .set("active", "true")
                .set("limit", 100)
                .set("expand[]", "data.product");
            let page: List<Price> = self.get(&["v1", "prices"], &query).await?;
            prices.extend(page.data);
        }
        Ok(prices)
    }

    /// The active price an offer sells at.
    pub async fn price_for(&self, offer: Offer) -> Result<Price, StripeError> {
        let key = offer.lookup_key();
        let prices = self
            .prices_by_lookup_keys(std::slice::from_ref(&key))
            .await?;
        prices
            .into_iter()
            .find(|p| p.lookup_key.as_deref() == Some(&key))
            .ok_or(StripeError::MissingPrice(key))
    }

    pub async fn create_checkout_session(
        &self,
        checkout: &NewCheckout<'_>,
        key: &IdempotencyKey,
    ) -> Result<CheckoutSession, StripeError> {
        let metadata = checkout.offer.purchase(checkout.user_id).metadata();
        // No `payment_method_types`: Stripe then offers the dynamic payment methods enabled
        // in the dashboard (card and PayPal for Konqer), without a deploy to change them.
        let form = Form::new()
            .set("mode", "subscription")
            .set("customer", checkout.customer)
            .set("client_reference_id", checkout.user_id)
            .set("line_items[0][price]", checkout.price_id)
            .set("line_items[0][quantity]", 1)
            .set("success_url", checkout.success_url)
            .set("cancel_url", checkout.cancel_url)
            .metadata("metadata", &metadata)
            // The subscription carries the same metadata, so its own events say who bought what.
            .metadata("subscription_data[metadata]", &metadata);
        self.post(&["v1", "checkout", "sessions"], &form, key).await
    }

    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        key: &IdempotencyKey,
    ) -> Result<PortalSession, StripeError> {
        let form = Form::new()
            .set("customer", customer)
            .set("return_url", return_url);
        self.post(&["v1", "billing_portal", "sessions"], &form, key)
            .await
    }

    pub async fn retrieve_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.get(&["v1", "subscriptions", id], &Form::new()).await
    }

    /// The product with our chosen id, or `None` if Stripe has none.
    pub async fn retrieve_product(&self, id: &str) -> Result<Option<Product>, StripeError> {
        match self.get(&["v1", "products", id], &Form::new()).await {
            Ok(product) => Ok(Some(product)),
            Err(StripeError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn create_product(
        &self,
        product: &NewProduct<'_>,
        key: &IdempotencyKey,
    ) -> Result<Product, StripeError> {
        let form = Form::new()
            .set("id", product.id)
            .set("name", product.name)
            .metadata("metadata", &product.metadata);
        self.post(&["v1", "products"], &form, key).await
    }

    /// A recurring EUR price. `transfer_lookup_key` moves the key from an archived price that
    /// still holds it, so a price archived in the dashboard can be replaced by a sync.
    pub async fn create_price(
        &self,
        price: &NewPrice<'_>,
        key: &IdempotencyKey,
    ) -> Result<Price, StripeError> {
        let form = Form::new()
            .set("product", price.product)
            .set("currency", "eur")
            .set("unit_amount", price.amount.get())
            .set("recurring[interval]", price.interval)
            .set("lookup_key", price.lookup_key)
            .set("transfer_lookup_key", "true")
            .set("nickname", price.nickname)
            .metadata("metadata", &price.metadata);
        self.post(&["v1", "prices"], &form, key).await
    }
}
