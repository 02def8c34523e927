//! The signed-in user's own account: what they have (`GET`), changing name or email
//! (`PATCH`), and erasing everything (`DELETE`).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use konqer_domain::{entitlement, Plan, Secret, ServiceKey, SubscriptionStatus};
use konqer_identity::{password, Email};
use konqer_store::{StoreError, SubscriptionRecord, User, UserUpdate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::{ApiJson, Validate};
use crate::problem::{ApiError, FieldError};
use crate::routes::auth::{check_name, record};
use crate::AppState;

/// A service as this user sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceStatus {
    #[schema(value_type = String, example = "cold-dm")]
    pub service: ServiceKey,
    pub name: String,
    pub slug: String,
    /// `unlocked`, `locked` or `scheduled`.
    #[schema(value_type = String, example = "unlocked")]
    pub status: entitlement::Status,
    /// When a scheduled service unlocks.
    pub unlocks_at: Option<DateTime<Utc>>,
    pub used_today: i32,
    pub daily_limit: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    /// Offers by email (cross-sell, bundle); receipts and notices are always sent.
    pub marketing_emails: bool,
    pub roles: Vec<String>,
    /// The most relevant subscription, or null.
    pub subscription: Option<SubscriptionView>,
    pub subscriptions: Vec<SubscriptionView>,
    pub services: Vec<ServiceStatus>,
    pub created_at: DateTime<Utc>,
}

async fn me_of(state: &AppState, user: User, roles: Vec<String>) -> Result<Me, ApiError> {
    let now = state.clock.now();
    let used: HashMap<ServiceKey, i32> = state
        .store
        .usage_on(user.id, now.date_naive())
        .await?
        .into_iter()
        .collect();
    let records = state.store.subscriptions_of(user.id).await?;
    let locks = state.store.admin_locks(user.id).await?;
    let subscriptions: Vec<entitlement::Subscription> = records.iter().map(rule_view).collect();
    let grace = chrono::Duration::days(entitlement::DEFAULT_GRACE_DAYS);
    let catalog = state.catalog.snapshot();
    let services = catalog
        .entries
        .iter()
        .map(|entry| {
            let service = entitlement::ServiceState {
                key: entry.key,
                enabled: entry.enabled,
                released_at: entry.released_at,
            };
            let verdict = entitlement::check(
                &service,
                &subscriptions,
                locks.contains(&entry.key),
                now,
                grace,
            );
            let (status, unlocks_at) = entitlement::status(verdict);
            ServiceStatus {
                service: entry.key,
                name: entry.name.clone(),
                slug: entry.slug.clone(),
                status,
                unlocks_at,
                used_today: used.get(&entry.key).copied().unwrap_or(0),
                daily_limit: entry.rate_limit_daily,
            }
        })
        .collect();
    let shown: Vec<SubscriptionView> = records.iter().map(SubscriptionView::from).collect();
    Ok(Me {
        id: user.id,
        email: user.email,
        name: user.name,
        email_verified: user.email_verified,
        marketing_emails: !user.marketing_opt_out,
        roles,
        subscription: most_relevant(&records).map(SubscriptionView::from),
        subscriptions: shown,
        services,
        created_at: user.created_at,
    })
}

fn rule_view(record: &SubscriptionRecord) -> entitlement::Subscription {
    entitlement::Subscription {
        plan: record.plan,
        service: record.service,
        status: record.status,
        current_period_end: record.current_period_end,
    }
}

/// The subscription a dashboard leads with: a live one covering most, then the newest.
fn most_relevant(records: &[SubscriptionRecord]) -> Option<&SubscriptionRecord> {
    records.iter().max_by_key(|r| {
        (
            r.status.is_live(),
            r.plan == Plan::Founding,
            r.plan.covers_all_services(),
            r.current_period_end,
            r.created_at,
        )
    })
}

/// A subscription as the account page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    #[schema(value_type = String, example = "founding")]
    pub plan: Plan,
    #[schema(value_type = Option<String>)]
    pub service: Option<ServiceKey>,
    #[schema(value_type = String, example = "active")]
    pub status: SubscriptionStatus,
    #[schema(value_type = String, example = "year")]
    pub interval: konqer_domain::BillingInterval,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
}

impl From<&SubscriptionRecord> for SubscriptionView {
    fn from(r: &SubscriptionRecord) -> Self {
        SubscriptionView {
            plan: r.plan,
            service: r.service,
            status: r.status,
            interval: r.interval,
            current_period_end: r.current_period_end,
            cancel_at_period_end: r.cancel_at_period_end,
        }
    }
}

/// The signed-in user, their roles, subscription and the status of every service.
#[utoipa::path(get, path = "/api/user/me", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "No or invalid token", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&state, caller.user, caller.roles).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    name: Option<String>,
    /// Changing the email needs `current_password`.
    email: Option<String>,
    /// Changing the password needs `current_password`, and signs out every device.
    #[schema(value_type = Option<String>)]
    new_password: Option<Secret<String>>,
    /// Offers by email on or off.
    marketing_emails: Option<bool>,
    #[schema(value_type = Option<String>)]
    current_password: Option<Secret<String>>,
}

impl Validate for MePatch {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(Err(message)) = self.name.as_deref().map(check_name) {
            errors.push(FieldError::new("name", message));
        }
        if let Some(email) = &self.email {
            if let Err(e) = Email::parse(email) {
                errors.push(FieldError::new("email", e.to_string()));
            }
            if self.current_password.is_none() {
                errors.push(FieldError::new(
                    "current_password",
                    "is required to change the email",
                ));
            }
        }
        if let Some(new_password) = &self.new_password {
            if let Err(e) = password::check_policy(new_password.expose()) {
                errors.push(FieldError::new("new_password", e.to_string()));
            }
            if self.current_password.is_none() && self.email.is_none() {
                errors.push(FieldError::new(
                    "current_password",
                    "is required to change the password",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Changes the name, or the email or password (with the current password). A new password
/// signs out every device: all refresh tokens are revoked.
#[utoipa::path(patch, path = "/api/user/me", tag = "account", security(("bearer" = [])), request_body = MePatch,
    responses(
        (status = 200, description = "The updated account", body = Me),
        (status = 409, description = "The email is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or wrong current password", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiJson(body): ApiJson<MePatch>,
) -> Result<Json<Me>, ApiError> {
    let email = body
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("email", e.to_string()))?;
    let sensitive = email.is_some() || body.new_password.is_some();
    if let (true, Some(current)) = (sensitive, body.current_password) {
        let stored = state.store.password_hash(caller.user.id).await?;
        if stored.is_none() {
            return Err(ApiError::invalid(
                "current_password",
                "this account signs in with a social provider and has no password",
            ));
        }
        if !password::verify(stored, current).await {
            return Err(ApiError::invalid("current_password", "is wrong"));
        }
    }
    if let Some(new_password) = body.new_password {
        let hash = password::hash(new_password)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        state
            .store
            .set_password(caller.user.id, &hash, state.clock.now())
            .await?;
        record(&state, "user.password_changed", caller.user.id, json!({})).await;
    }
    if let Some(wanted) = body.marketing_emails {
        state
            .store
            .set_marketing_opt_out(caller.user.id, !wanted)
            .await?;
    }
    let update = UserUpdate {
        name: body.name.map(|n| n.trim().to_owned()),
        email: email.map(Email::into_string),
    };
    let changed_email = update.email.is_some();
    let user = match state
        .store
        .update_user(caller.user.id, &update, state.clock.now())
        .await
    {
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::Conflict(
                "Another account uses this email.".to_owned(),
            ))
        }
        other => other?,
    };
    record(
        &state,
        "user.updated",
        user.id,
        json!({"email_changed": changed_email}),
    )
    .await;
    Ok(Json(me_of(&state, user, caller.roles).await?))
}

/// Erases the account and its data, and signs it out everywhere.
#[utoipa::path(delete, path = "/api/user/me", tag = "account", security(("bearer" = [])),
    responses((status = 204, description = "Erased")))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Response, ApiError> {
    // One statement: every personal row cascades with the user (credentials, identities,
    // refresh tokens, generations, access, usage); payments and events stay, unlinked.
    state.store.delete_user(caller.user.id).await?;
    tracing::info!(user_id = %caller.user.id, "account erased at the user's request");
    Ok(StatusCode::NO_CONTENT.into_response())
}
