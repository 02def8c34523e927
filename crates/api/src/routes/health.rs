//! Liveness and readiness.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when alive; `ready` when the database answers too.
    pub status: &'static str,
    pub version: &'static str,
}

/// Liveness: the process answers. Never touches the database.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: the database answers within two seconds.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Database unreachable", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ready",
            version: env!("CARGO_PKG_VERSION"),
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(ApiError::Unavailable(
                "The database is not reachable.".to_owned(),
            ))
        }
        Err(_) => Err(ApiError::Unavailable(
            "The database did not answer in time.".to_owned(),
        )),
    }
}
