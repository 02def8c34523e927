//! `POST /api/webhooks/stripe`: the signature is checked over the raw body before anything is
//! parsed; each event id is applied once, in the transaction that records it. Signature and
//! shape problems are 400 (Stripe shows them in its dashboard); storage failures are 5xx so
//! Stripe retries; events we do not act on are acknowledged.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use konqer_billing::events::{effects, Event, EventError};
use konqer_billing::signature;
use konqer_store::{StoreError, WebhookOutcome};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Received {
    received: bool,
    /// True when this event id had been applied before (nothing changed).
    duplicate: bool,
}

fn received(duplicate: bool) -> Received {
    Received {
        received: true,
        duplicate,
    }
}

/// Stripe's webhook endpoint.
#[utoipa::path(post, path = "/api/webhooks/stripe", tag = "billing",
    params(("Stripe-Signature" = String, Header, description = "t=…,v1=…")),
    responses(
        (status = 200, description = "Applied, a duplicate, or an event type we ignore", body = Received),
        (status = 400, description = "Bad signature or not a Stripe event", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, ApiError> {
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    process(&state, header, &body).await.map(Json)
}

/// Verifies and applies one delivery. The local checkout sends its events through here too,
/// signed like Stripe's, so both paths are one.
pub(crate) async fn process(
    state: &AppState,
    header: Option<&str>,
    body: &[u8],
) -> Result<Received, ApiError> {
    let secrets: Vec<&str> = state
        .settings
        .stripe_webhook_secrets
        .iter()
        .map(String::as_str)
        .collect();
    let now = state.clock.now();
    signature::verify(header, body, &secrets, now.timestamp()).map_err(|e| {
        tracing::warn!(reason = %e, "Stripe webhook refused");
        ApiError::BadRequest(format!("Stripe signature check failed: {e}."))
    })?;
    let event = Event::parse(body).map_err(|e| ApiError::BadRequest(format!("{e}.")))?;
    let mut effects = match effects(&event, now) {
        Ok(Some(effects)) => effects,
        Ok(None) => {
            tracing::debug!(event_id = %event.id, kind = %event.kind, "Stripe event type ignored");
            return Ok(received(false));
        }
        // Not ours (no Konqer metadata) or incomplete: retrying would not help.
        Err(e @ EventError::Unusable { .. }) => {
            tracing::warn!(error = %e, kind = %event.kind, "Stripe event acknowledged but not applied");
            return Ok(received(false));
        }
        Err(e) => return Err(ApiError::BadRequest(format!("{e}."))),
    };
    effects.emails = crate::lifecycle::emails_for(state, &effects).await?;
    match state.store.apply_webhook(&effects).await {
        Ok(WebhookOutcome::Applied) => {
            tracing::info!(event_id = %event.id, kind = %event.kind, "Stripe event applied");
            Ok(received(false))
        }
        Ok(WebhookOutcome::Duplicate) => Ok(received(true)),
        // The user was erased since: there is nothing left to apply it to.
        Err(StoreError::Invalid(reason)) => {
            tracing::warn!(event_id = %event.id, %reason, "Stripe event refers to data that no longer exists");
            Ok(received(false))
        }
        Err(e) => Err(e.into()),
    }
}
