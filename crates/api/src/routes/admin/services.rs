//! Service configuration: every operator reads it; a superadmin changes the daily limit, the
//! release day, the display prices, the switch and the free-form config. A change is audited,
//! shows in this replica's public catalog at once and in the others' within seconds.

use axum::extract::{Path, State};
use axum::Json;
use konqer_domain::Cents;
use konqer_store::{Audit, ServiceConfig, ServiceConfigPatch};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{service_of, Operator, SuperadminOnly};
use crate::auth::AdminUser;
use crate::extract::{ApiJson, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

const MAX_DAILY_LIMIT: i32 = 100_000;
const MAX_OFFSET_DAYS: i32 = 3_650;
const MAX_PRICE_CENTS: i64 = 10_000_000;

fn view(config: &ServiceConfig) -> Value {
    json!({
        "key": config.key,
        "name": config.name,
        "slug": config.slug,
        "enabled": config.enabled,
        "rate_limit_daily": config.rate_limit_daily,
        "release_offset_days": config.release_offset_days,
        "pricing_monthly": config.pricing_monthly.get(),
        "pricing_annual": config.pricing_annual.get(),
        "config": config.config,
        "updated_at": config.updated_at,
    })
}

fn service(raw: &str) -> Result<konqer_domain::ServiceKey, ApiError> {
    service_of(raw).map_err(|_| ApiError::NotFound(format!("There is no service {raw:?}.")))
}

/// `GET /admin/services`
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Vec<Value>>, ApiError> {
    let mut configs = state.store.list_service_configs().await?;
    configs.sort_by_key(|c| c.key);
    Ok(Json(configs.iter().map(view).collect()))
}

/// `GET /admin/services/{service}`
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = service(&raw)?;
    let config = state
        .store
        .get_service_config(key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no service {raw:?}.")))?;
    Ok(Json(view(&config)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceChange {
    enabled: Option<bool>,
    rate_limit_daily: Option<i32>,
    release_offset_days: Option<i32>,
    pricing_monthly: Option<i64>,
    pricing_annual: Option<i64>,
    config: Option<Value>,
}

impl Validate for ServiceChange {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self
            .rate_limit_daily
            .is_some_and(|n| !(0..=MAX_DAILY_LIMIT).contains(&n))
        {
            errors.push(FieldError::new(
                "rate_limit_daily",
                format!("must be from 0 to {MAX_DAILY_LIMIT}"),
            ));
        }
        if self
            .release_offset_days
            .is_some_and(|n| !(0..=MAX_OFFSET_DAYS).contains(&n))
        {
            errors.push(FieldError::new(
                "release_offset_days",
                format!("must be from 0 to {MAX_OFFSET_DAYS}"),
            ));
        }
        for (field, value) in [
            ("pricing_monthly", self.pricing_monthly),
            ("pricing_annual", self.pricing_annual),
        ] {
            if value.is_some_and(|c| !(0..=MAX_PRICE_CENTS).contains(&c)) {
                errors.push(FieldError::new(
                    field,
                    format!("must be a whole number of cents from 0 to {MAX_PRICE_CENTS}"),
                ));
            }
        }
        if self.config.as_ref().is_some_and(|c| !c.is_object()) {
            errors.push(FieldError::new("config", "must be a JSON object"));
        }
        let empty = self.enabled.is_none()
            && self.rate_limit_daily.is_none()
            && self.release_offset_days.is_none()
            && self.pricing_monthly.is_none()
            && self.pricing_annual.is_none()
            && self.config.is_none();
        if empty {
            errors.push(FieldError::new("body", "names no field to change"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// `PATCH /admin/services/{service}` (superadmin).
pub async fn patch(
    State(state): State<AppState>,
    Operator(admin, _): Operator<SuperadminOnly>,
    Path(raw): Path<String>,
    ApiJson(change): ApiJson<ServiceChange>,
) -> Result<Json<Value>, ApiError> {
    let key = service(&raw)?;
    let patch = ServiceConfigPatch {
        enabled: change.enabled,
        rate_limit_daily: change.rate_limit_daily,
        release_offset_days: change.release_offset_days,
        pricing_monthly: change.pricing_monthly.map(Cents::new),
        pricing_annual: change.pricing_annual.map(Cents::new),
        config: change.config,
    };
    let audit = Audit {
        actor_id: admin.auth.user.id,
        at: state.clock.now(),
    };
    let (_, after) = state
        .store
        .change_service_config(key, &patch, audit)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no service {raw:?}.")))?;
    if let Err(err) = state.catalog.refresh().await {
        // The periodic reload catches up; the change itself is stored.
        tracing::warn!(error = %err, "catalog refresh after a service change failed");
    }
    tracing::info!(service = %key, actor = %admin.auth.user.id, "operator changed a service");
    Ok(Json(view(&after)))
}
