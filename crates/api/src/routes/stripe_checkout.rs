//! The Stripe path of `/api/checkout/*`, taken when `STRIPE_SECRET_KEY` is set: a hosted
//! Checkout Session or Billing Portal session through `konqer_billing`'s `StripeBilling`.
//! Whatever goes wrong at Stripe is a 502 for the caller; the cause is logged here, once.

use konqer_billing::checkout::Offer;
use konqer_billing::stripe::{HostedError, ReturnUrls, StripeBilling};
use konqer_store::User;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::AppState;

/// Where to send the browser to pay for `offer`.
pub(crate) async fn checkout_url(
    state: &AppState,
    stripe: &StripeBilling,
    user: &User,
    offer: Offer,
) -> Result<String, ApiError> {
    let web = &state.identity.web_url;
    let urls = ReturnUrls {
        success: format!("{web}/billing/success/?session_id={{CHECKOUT_SESSION_ID}}"),
        cancel: format!("{web}/billing/cancel/"),
    };
    let now = state.clock.now();
    let session = stripe
        .checkout(state.store.as_ref(), user, offer, &urls, now)
        .await
        .map_err(|e| failed(e, "checkout"))?;
    tracing::info!(user = %user.id, session = %session.id, plan = %offer.plan(),
        "Stripe checkout started");
    Ok(session.url)
}

/// Where to send the browser to manage billing; `None` when the user has no Stripe customer.
pub(crate) async fn portal_url(
    state: &AppState,
    stripe: &StripeBilling,
    user_id: Uuid,
) -> Result<Option<String>, ApiError> {
    let return_url = format!("{}/billing/", state.identity.web_url);
    let session = stripe
        .portal(state.store.as_ref(), user_id, &return_url)
        .await
        .map_err(|e| failed(e, "billing portal"))?;
    Ok(session.map(|s| s.url))
}

fn failed(error: HostedError, what: &'static str) -> ApiError {
    match error {
        HostedError::Store(e) => e.into(),
        HostedError::Stripe(e) => {
            // Stripe's request id lets support find the call in the Stripe dashboard.
            let stripe_request_id = e.detail().and_then(|d| d.request_id.clone());
            tracing::error!(error = %e, ?stripe_request_id, what, "Stripe request failed");
            ApiError::Upstream(
                "Our payment provider did not complete the request; nothing was charged. Try again in a minute."
                    .to_owned(),
            )
        }
    }
}
