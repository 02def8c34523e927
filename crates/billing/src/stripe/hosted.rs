//! Stripe-hosted Checkout and Billing Portal for a Konqer user: the user's Stripe customer
//! (created once, remembered in `users.stripe_customer_id`), the offer's price found by its
//! lookup key (cached briefly), and a session that says who bought what.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use konqer_store::{Store, StoreError, User};
use uuid::Uuid;

use super::{
    CatalogPrice, CheckoutSession, IdempotencyKey, NewCheckout, NewCustomer, PortalSession,
    StripeClient, StripeError,
};
use crate::checkout::Offer;

/// How long a price found by lookup key is reused. Prices change rarely (a `stripe sync`, an
/// operator in the dashboard), and a stale one is retried once with a fresh lookup.
pub const PRICE_CACHE_TTL: TimeDelta = TimeDelta::minutes(5);

#[derive(Debug, thiserror::Error)]
pub enum HostedError {
    #[error(transparent)]
    Stripe(#[from] StripeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where Stripe sends the browser back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrls {
    /// May hold `{CHECKOUT_SESSION_ID}`, which Stripe fills in.
    pub success: String,
    pub cancel: String,
}

#[derive(Debug, Clone)]
struct CachedPrice {
    id: String,
    fetched_at: DateTime<Utc>,
}

/// The Stripe side of buying and managing a subscription. One per process, shared.
#[derive(Debug)]
pub struct StripeBilling {
    client: StripeClient,
    prices: Mutex<HashMap<String, CachedPrice>>,
    price_ttl: TimeDelta,
}

impl StripeBilling {
    pub fn new(client: StripeClient) -> StripeBilling {
        StripeBilling::with_price_ttl(client, PRICE_CACHE_TTL)
    }

    pub fn with_price_ttl(client: StripeClient, price_ttl: TimeDelta) -> StripeBilling {
        StripeBilling {
            client,
            prices: Mutex::new(HashMap::new()),
            price_ttl,
        }
    }

    pub fn client(&self) -> &StripeClient {
        &self.client
    }

    /// The user's Stripe customer, created on first need. The idempotency key is derived
    /// from the user alone, so a retry or a concurrent checkout gets the same customer back
    /// from Stripe, and the store keeps the first id written.
    pub async fn customer_for(
        &self,
        store: &dyn Store,
        user: &User,
    ) -> Result<String, HostedError> {
        if let Some(id) = store.stripe_customer_id(user.id).await? {
            return Ok(id);
        }
        let new = NewCustomer {
            email: &user.email,
            name: Some(user.name.as_str()).filter(|n| !n.trim().is_empty()),
            user_id: user.id,
        };
        let key = IdempotencyKey::new("customer", user.id);
        let customer = self.client.create_customer(&new, &key).await?;
        let stored = store.set_stripe_customer_id(user.id, &customer.id).await?;
        // `None`: the account was erased while we were talking to Stripe.
        stored.ok_or(HostedError::Store(StoreError::NotFound))
    }

    /// A hosted Checkout Session for `offer`. Each call is a new session (an unpaid one just
    /// expires); the key is per call, so only our own retries of this call reuse it.
    pub async fn checkout(
        &self,
        store: &dyn Store,
        user: &User,
        offer: Offer,
        urls: &ReturnUrls,
        now: DateTime<Utc>,
    ) -> Result<CheckoutSession, HostedError> {
        let customer = self.customer_for(store, user).await?;
        let attempt = Uuid::new_v4();
        let (price, cached) = self.price_id(offer, now).await?;
        let new = |price_id| NewCheckout {
            customer: &customer,
            user_id: user.id,
            offer,
            price_id,
            success_url: &urls.success,
            cancel_url: &urls.cancel,
        };
        let key = IdempotencyKey::new("checkout", attempt);
        match self
            .client
            .create_checkout_session(&new(&price), &key)
            .await
        {
            // A cached price may have been archived or replaced since: look it up once more.
            Err(error) if cached && error.is_caller_error() => {
                tracing::warn!(%error, lookup_key = %offer.lookup_key(),
                    "Stripe refused a cached price; looking it up again");
                self.forget_price(offer);
                let (price, _) = self.price_id(offer, now).await?;
                let key = IdempotencyKey::new("checkout", format_args!("{attempt}-fresh"));
                Ok(self
                    .client
                    .create_checkout_session(&new(&price), &key)
                    .await?)
            }
            result => Ok(result?),
        }
    }

    /// A Billing Portal session for the user's customer; `None` when they have none yet.
    pub async fn portal(
        &self,
        store: &dyn Store,
        user_id: Uuid,
        return_url: &str,
    ) -> Result<Option<PortalSession>, HostedError> {
        let Some(customer) = self.existing_customer(store, user_id).await? else {
            return Ok(None);
        };
        let key = IdempotencyKey::new("portal", Uuid::new_v4());
        let session = self
            .client
            .create_portal_session(&customer, return_url, &key)
            .await?;
        Ok(Some(session))
    }

    /// The stored customer, or the one a Stripe subscription of theirs names (bought before
    /// the customer was stored, or set up in the dashboard). The local checkout's made-up
    /// customers (`cus_local_…`) do not exist at Stripe.
    async fn existing_customer(
        &self,
        store: &dyn Store,
        user_id: Uuid,
    ) -> Result<Option<String>, HostedError> {
        if let Some(id) = store.stripe_customer_id(user_id).await? {
            return Ok(Some(id));
        }
        let subscriptions = store.subscriptions_of(user_id).await?;
        Ok(subscriptions
            .into_iter()
            .rev()
            .filter_map(|s| s.stripe_customer_id)
            .find(|c| !c.starts_with("cus_local_")))
    }

    /// The price id for an offer, and whether it came from the cache.
    async fn price_id(
        &self,
        offer: Offer,
        now: DateTime<Utc>,
    ) -> Result<(String, bool), StripeError> {
        let lookup_key = offer.lookup_key();
        if let Some(hit) = self.cache().get(&lookup_key) {
            if now - hit.fetched_at < self.price_ttl {
                return Ok((hit.id.clone(), true));
            }
        }
        let price = self.client.price_for(offer).await?;
        if !CatalogPrice::of(offer).matches(&price) {
            // Sold at Stripe's price all the same; `konqer stripe sync` reports it too.
            tracing::warn!(%lookup_key, price = %price.id,
                "the Stripe price differs from Konqer's catalog (amount, currency or interval)");
        }
        let cached = CachedPrice {
            id: price.id.clone(),
            fetched_at: now,
        };
        self.cache().insert(lookup_key, cached);
        Ok((price.id, false))
    }

    fn forget_price(&self, offer: Offer) {
        self.cache().remove(&offer.lookup_key());
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedPrice>> {
        self.prices.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
