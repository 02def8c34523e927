//! Billing: verifying Stripe webhooks and turning Stripe events into storage effects. The
//! rules of who may use what live in `konqer_domain::entitlement`; this crate speaks Stripe.

pub mod checkout;
pub mod events;
pub mod signature;
pub mod stripe;
pub mod unlock;
