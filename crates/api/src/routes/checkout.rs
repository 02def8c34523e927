//! `POST /api/checkout/{founding,single,bundle}`: where to send the browser to pay. With
//! `STRIPE_SECRET_KEY` set this is a Stripe Checkout Session (`stripe_checkout`); without it,
//! the local checkout (a page of this server). A purchase that would add nothing the user does
//! not already have is refused with 409.

use axum::extract::State;
use axum::Json;
use chrono::Duration;
use konqer_billing::checkout::Offer;
use konqer_domain::{BillingInterval, ServiceKey};
use konqer_store::{CheckoutSession, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::{ApiJson, Validate};
use crate::problem::{ApiError, FieldError};
use crate::routes::stripe_checkout;
use crate::AppState;

/// A local checkout link works for a day.
const SESSION_HOURS: i64 = 24;

#[derive(Serialize, ToSchema)]
pub struct CheckoutStarted {
    /// Send the browser here to pay.
    checkout_url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SingleRequest {
    /// Service key or slug, e.g. `objection`.
    service: String,
    /// `month` or `year`.
    interval: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleRequest {
    /// `month` or `year`.
    interval: String,
}

fn interval(raw: &str) -> Result<BillingInterval, FieldError> {
    raw.parse()
        .map_err(|_| FieldError::new("interval", "must be month or year"))
}

impl Validate for SingleRequest {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        interval(&self.interval).map(|_| ()).map_err(|e| vec![e])
    }
}

impl Validate for BundleRequest {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        interval(&self.interval).map(|_| ()).map_err(|e| vec![e])
    }
}

/// The Founding Membership: every service, 699 EUR a year, released on the rolling schedule.
#[utoipa::path(post, path = "/api/checkout/founding", tag = "billing", security(("bearer" = [])),
    responses(
        (status = 200, description = "Where to pay", body = CheckoutStarted),
        (status = 409, description = "Already covered", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "Stripe failed or could not be reached (nothing charged)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn founding(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<CheckoutStarted>, ApiError> {
    start(&state, &caller.user, Offer::Founding).await
}

/// One service, monthly or yearly.
#[utoipa::path(post, path = "/api/checkout/single", tag = "billing", security(("bearer" = [])), request_body = SingleRequest,
    responses(
        (status = 200, description = "Where to pay", body = CheckoutStarted),
        (status = 404, description = "No such service", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already covered", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "Stripe failed or could not be reached (nothing charged)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad interval", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn single(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiJson(body): ApiJson<SingleRequest>,
) -> Result<Json<CheckoutStarted>, ApiError> {
    let service = body
        .service
        .parse::<ServiceKey>()
        .ok()
        .or_else(|| ServiceKey::from_slug(&body.service))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no service {:?}; see GET /api/services.",
                body.service.chars().take(64).collect::<String>()
            ))
        })?;
    let interval = interval(&body.interval).map_err(|e| ApiError::Invalid(vec![e]))?;
    start(&state, &caller.user, Offer::Single(service, interval)).await
}

/// All twelve services, monthly or yearly.
#[utoipa::path(post, path = "/api/checkout/bundle", tag = "billing", security(("bearer" = [])), request_body = BundleRequest,
    responses(
        (status = 200, description = "Where to pay", body = CheckoutStarted),
        (status = 409, description = "Already covered", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "Stripe failed or could not be reached (nothing charged)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad interval", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn bundle(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiJson(body): ApiJson<BundleRequest>,
) -> Result<Json<CheckoutStarted>, ApiError> {
    let interval = interval(&body.interval).map_err(|e| ApiError::Invalid(vec![e]))?;
    start(&state, &caller.user, Offer::Bundle(interval)).await
}

async fn start(
    state: &AppState,
    user: &User,
    offer: Offer,
) -> Result<Json<CheckoutStarted>, ApiError> {
    let subscriptions = state.store.subscriptions_of(user.id).await?;
    if offer.adds_nothing(&subscriptions) {
        return Err(ApiError::Conflict(
            "Your current plan already includes this; nothing to buy.".to_owned(),
        ));
    }
    if let Some(stripe) = &state.settings.stripe {
        let checkout_url = stripe_checkout::checkout_url(state, stripe, user, offer).await?;
        return Ok(Json(CheckoutStarted { checkout_url }));
    }
    let now = state.clock.now();
    let session = CheckoutSession {
        id: format!("cs_local_{}", Uuid::new_v4().simple()),
        user_id: user.id,
        plan: offer.plan(),
        service: offer.service(),
        interval: offer.interval(),
        completed_at: None,
        expires_at: now + Duration::hours(SESSION_HOURS),
        created_at: now,
    };
    state.store.create_checkout_session(&session).await?;
    Ok(Json(CheckoutStarted {
        checkout_url: format!(
            "{}/checkout/local/{}",
            state.identity.issuer.issuer(),
            session.id
        ),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PortalStarted {
    /// Send the browser here to manage the subscription.
    portal_url: String,
}

/// Where to manage subscriptions (cancel at period end, resume, payment method).
#[utoipa::path(post, path = "/api/checkout/portal", tag = "billing", security(("bearer" = [])),
    responses(
        (status = 200, description = "Where to manage billing", body = PortalStarted),
        (status = 409, description = "Nothing to manage yet", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "Stripe failed or could not be reached (nothing charged)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn portal(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<PortalStarted>, ApiError> {
    if let Some(stripe) = &state.settings.stripe {
        let portal_url = stripe_checkout::portal_url(&state, stripe, caller.user.id)
            .await?
            .ok_or_else(|| {
                ApiError::Conflict("There is no subscription to manage yet.".to_owned())
            })?;
        return Ok(Json(PortalStarted { portal_url }));
    }
    if state
        .store
        .subscriptions_of(caller.user.id)
        .await?
        .is_empty()
    {
        return Err(ApiError::Conflict(
            "There is no subscription to manage yet.".to_owned(),
        ));
    }
    let now = state.clock.now();
    let id = format!("ps_local_{}", Uuid::new_v4().simple());
    state
        .store
        .create_portal_session(&id, caller.user.id, now + Duration::hours(1), now)
        .await?;
    Ok(Json(PortalStarted {
        portal_url: format!(
            "{}/checkout/local/portal/{id}",
            state.identity.issuer.issuer()
        ),
    }))
}
