//! A small typed Stripe API client for the handful of endpoints Konqer uses (customers,
//! prices and products, Checkout and Billing Portal sessions, subscriptions) and the catalog
//! sync behind `konqer stripe sync`. It speaks Stripe's real wire format — form-encoded
//! bodies, bearer key, an `Idempotency-Key` on every POST — so it works against
//! `api.stripe.com` and against the stand-in in `konqer-testkit` alike.

mod endpoints;
mod error;
mod form;
mod hosted;
mod objects;
mod sync;
mod transport;

use std::time::Duration;

use konqer_domain::Secret;
use konqer_jobs::Backoff;

pub use endpoints::{NewCheckout, NewCustomer, NewPrice, NewProduct};
pub use error::{ErrorDetail, StripeError};
pub use form::{Form, IdempotencyKey};
pub use hosted::{HostedError, ReturnUrls, StripeBilling, PRICE_CACHE_TTL};
pub use objects::{
    CheckoutSession, Customer, Expandable, HasId, List, Metadata, PortalSession, Price, Product,
    Recurring, Subscription, SubscriptionItem,
};
pub use sync::{catalog, CatalogPrice, SyncReport};

pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";
/// The API version requests are pinned to, so response shapes do not change under us when
/// the account's default version moves.
pub const API_VERSION: &str = "2024-06-20";

#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// `https://api.stripe.com`, or a stand-in's address; paths (`/v1/…`) are appended.
    pub base_url: String,
    pub secret_key: Secret<String>,
    pub connect_timeout: Duration,
    /// For one attempt, answer included.
    pub timeout: Duration,
    pub max_attempts: u32,
    /// Delay before the first retry, doubling after; jittered.
    pub backoff: Backoff,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after: Duration,
}

impl StripeSettings {
    pub fn new(secret_key: Secret<String>) -> StripeSettings {
        StripeSettings {
            base_url: DEFAULT_BASE_URL.to_owned(),
            secret_key,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_attempts: 3,
            backoff: Backoff {
                base: Duration::from_millis(300),
                max: Duration::from_secs(3),
            },
            max_retry_after: Duration::from_secs(5),
        }
    }

    pub fn with_base_url(mut self, base_url: &str) -> StripeSettings {
        base_url
            .trim_end_matches('/')
            .clone_into(&mut self.base_url);
        self
    }
}

/// Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: reqwest::Url,
    settings: StripeSettings,
}

impl StripeClient {
    pub fn new(settings: StripeSettings) -> Result<StripeClient, StripeError> {
        let base = reqwest::Url::parse(&settings.base_url)
            .ok()
            .filter(|url| !url.cannot_be_a_base())
            .ok_or_else(|| StripeError::Config(format!("bad base URL {:?}", settings.base_url)))?;
        if settings.max_attempts == 0 {
            return Err(StripeError::Config(
                "max_attempts must be at least 1".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("konqer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StripeError::Config(e.to_string()))?;
        Ok(StripeClient {
            http,
            base,
            settings,
        })
    }
}
