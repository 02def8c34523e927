//! Feature flags: operators read them, a superadmin sets them; users get their own evaluation
//! from `GET /api/user/flags`. Evaluation is [`crate::catalog::Snapshot::flag`] everywhere (over
//! `konqer_domain::flags`), so the web app and the engine agree on who is in.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use konqer_store::{Audit, FeatureFlag};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Operator, SuperadminOnly};
use crate::auth::{AdminUser, AuthUser};
use crate::extract::{ApiJson, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
}

fn checked_key(key: &str) -> Result<(), ApiError> {
    if valid_key(key) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "key",
            "must be 1–64 characters: lowercase letters, digits, '_', '.', '-', starting with a letter or digit",
        ))
    }
}

/// `GET /admin/flags`
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Vec<FeatureFlag>>, ApiError> {
    Ok(Json(state.store.flags().await?))
}

/// `GET /admin/flags/{key}`
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(key): Path<String>,
) -> Result<Json<FeatureFlag>, ApiError> {
    checked_key(&key)?;
    state
        .store
        .flag(&key)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("There is no flag {key:?}.")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagChange {
    enabled: bool,
    rollout_percentage: i32,
    #[serde(default = "empty_object")]
    config: Value,
}

fn empty_object() -> Value {
    json!({})
}

impl Validate for FlagChange {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(0..=100).contains(&self.rollout_percentage) {
            errors.push(FieldError::new(
                "rollout_percentage",
                "must be from 0 to 100",
            ));
        }
        if !self.config.is_object() {
            errors.push(FieldError::new("config", "must be a JSON object"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// `PUT /admin/flags/{key}` (superadmin): creates or replaces the flag; audited.
pub async fn put(
    State(state): State<AppState>,
    Operator(admin, _): Operator<SuperadminOnly>,
    Path(key): Path<String>,
    ApiJson(change): ApiJson<FlagChange>,
) -> Result<Json<FeatureFlag>, ApiError> {
    checked_key(&key)?;
    let flag = FeatureFlag {
        key,
        enabled: change.enabled,
        rollout_percentage: change.rollout_percentage,
        config: change.config,
        updated_at: state.clock.now(),
        updated_by: Some(admin.auth.user.id),
    };
    let audit = Audit {
        actor_id: admin.auth.user.id,
        at: flag.updated_at,
    };
    state.store.put_flag(&flag, audit).await?;
    // This replica sees the change at once; the others at their next refresh.
    if let Err(err) = state.catalog.refresh().await {
        tracing::warn!(error = %err, "refresh after a flag change failed");
    }
    Ok(Json(flag))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserFlags {
    /// Every flag, on or off for the caller.
    flags: BTreeMap<String, bool>,
    /// The config of each flag that is on for the caller (what an operator set with it, such
    /// as an announcement's text); flags that are off are absent.
    #[schema(value_type = Object)]
    config: BTreeMap<String, Value>,
}

/// The caller's feature flags, evaluated (stable per user: raising a rollout only adds users).
/// Changes made on any replica show within the catalog refresh interval.
#[utoipa::path(get, path = "/api/user/flags", tag = "account", security(("bearer" = [])),
    responses((status = 200, description = "Every flag, on or off for the caller, and the config of those that are on", body = UserFlags)))]
pub async fn mine(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<UserFlags>, ApiError> {
    let snapshot = state.catalog.snapshot();
    let mut answer = UserFlags {
        flags: BTreeMap::new(),
        config: BTreeMap::new(),
    };
    for (key, on) in snapshot.flags_for(caller.user.id) {
        answer.flags.insert(key.to_owned(), on.is_some());
        if let Some(config) = on {
            answer.config.insert(key.to_owned(), config.clone());
        }
    }
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn flag_keys_follow_the_database_rule() {
        for ok in ["a", "new-editor", "v2.beta_flag", "9lives"] {
            assert!(valid_key(ok), "{ok}");
        }
        for bad in ["", "-x", "New", "a b", "é", &"x".repeat(65)] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
