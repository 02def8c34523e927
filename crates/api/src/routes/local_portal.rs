//! The local billing portal (embedded default): the user's subscriptions with "cancel at
//! period end" and "resume", as Stripe's hosted portal offers. A change is sent as the
//! `customer.subscription.updated` event Stripe would send, signed, through the webhook path.
//! The link (valid one hour) is the capability.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use konqer_billing::checkout::portal_update_event;
use konqer_billing::signature;
use konqer_store::SubscriptionRecord;
use serde::Deserialize;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::routes::local_checkout::{escape, euros, page_html};
use crate::routes::webhooks;
use crate::AppState;

async fn owner(state: &AppState, id: &str) -> Result<Uuid, ApiError> {
    let gone = || {
        ApiError::NotFound(
            "This billing link is unknown or has expired; open billing again from your account."
                .to_owned(),
        )
    };
    if id.len() > 100 || !id.starts_with("ps_local_") {
        return Err(gone());
    }
    state
        .store
        .portal_session_user(id, state.clock.now())
        .await?
        .ok_or_else(gone)
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = owner(&state, &id).await?;
    render(&state, user, None).await
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    subscription: String,
}

pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = owner(&state, &id).await?;
    let form: ChangeForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ApiError::BadRequest("The form could not be read.".to_owned()))?;
    let cancel = match form.action.as_str() {
        "cancel" => true,
        "resume" => false,
        _ => return Err(ApiError::invalid("action", "must be cancel or resume")),
    };
    let subscriptions = state.store.subscriptions_of(user).await?;
    let subscription = subscriptions
        .iter()
        .find(|s| {
            s.stripe_subscription_id.as_deref() == Some(form.subscription.as_str())
                && s.status.is_live()
        })
        .ok_or_else(|| {
            ApiError::invalid("subscription", "is not one of your live subscriptions")
        })?;
    if subscription.cancel_at_period_end != cancel {
        let now = state.clock.now();
        // Strictly newer than the last change, even for two clicks within one second.
        let created = subscription
            .cancel_event_at
            .map_or(now, |last| now.max(last + Duration::seconds(1)));
        let event = portal_update_event(subscription, cancel, created)
            .ok_or_else(|| ApiError::internal("subscription without a Stripe id"))?;
        let secret = state
            .settings
            .stripe_webhook_secrets
            .first()
            .ok_or_else(|| ApiError::internal("no webhook secret configured"))?;
        let body = event.to_string();
        let header = signature::sign(secret, now.timestamp(), body.as_bytes());
        webhooks::process(&state, Some(&header), body.as_bytes()).await?;
    }
    let message = if cancel {
        "Your subscription will end at the end of the current period. You keep access until then."
    } else {
        "Your subscription continues; nothing changes."
    };
    render(&state, user, Some(message)).await
}

fn plan_title(s: &SubscriptionRecord) -> String {
    match s.service {
        Some(service) => format!("{} ({}ly)", service, s.interval),
        None => match s.plan {
            konqer_domain::Plan::Founding => "Founding Membership".to_owned(),
            _ => format!("Konqer bundle ({}ly)", s.interval),
        },
    }
}

async fn render(state: &AppState, user: Uuid, notice: Option<&str>) -> Result<Response, ApiError> {
    let subscriptions = state.store.subscriptions_of(user).await?;
    let rows: String = subscriptions
        .iter()
        .map(|s| {
            let end = s
                .current_period_end
                .map(|t| t.format("%-d %B %Y").to_string())
                .unwrap_or_default();
            let state_line = if !s.status.is_live() {
                format!("Ended ({})", s.status)
            } else if s.cancel_at_period_end {
                format!("Ends on {end}")
            } else {
                format!("Renews on {end} · {}", euros(s.plan.price().0))
            };
            let button = match (s.status.is_live(), s.cancel_at_period_end) {
                (false, _) => String::new(),
                (true, false) => form_button(s, "cancel", "Cancel at period end"),
                (true, true) => form_button(s, "resume", "Resume subscription"),
            };
            format!(
                r#"<section class="sub"><h2>{}</h2><p class="muted">{}</p>{button}</section>"#,
                escape(&plan_title(s)),
                escape(&state_line)
            )
        })
        .collect();
    let notice = notice
        .map(|n| format!(r#"<p class="notice" role="status">{}</p>"#, escape(n)))
        .unwrap_or_default();
    let back = format!("{}/billing/", state.identity.web_url);
    let body = format!(
        r#"<p class="muted">Konqer · billing</p><h1>Your subscriptions</h1>{notice}{rows}<a class="cancel" href="{}">Back to Konqer</a>"#,
        escape(&back)
    );
    let mut response = page_html("Billing · Konqer", &body).into_response();
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn form_button(s: &SubscriptionRecord, action: &str, label: &str) -> String {
    format!(
        r#"<form method="post"><input type="hidden" name="action" value="{action}"><input type="hidden" name="subscription" value="{}"><button type="submit">{label}</button></form>"#,
        escape(s.stripe_subscription_id.as_deref().unwrap_or_default())
    )
}
