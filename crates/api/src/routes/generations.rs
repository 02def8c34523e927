//! The caller's own generations: a keyset-paged list (filter by service), one by id, delete.
//! Someone else's id is indistinguishable from one that does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use konqer_domain::ServiceKey;
use konqer_store::{Generation, GenerationFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct GenerationItem {
    id: Uuid,
    #[schema(value_type = String)]
    service: ServiceKey,
    created_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    input: Value,
    #[schema(value_type = Object)]
    output: Value,
    #[schema(value_type = Object)]
    metadata: Value,
}

impl From<Generation> for GenerationItem {
    fn from(g: Generation) -> Self {
        GenerationItem {
            id: g.id,
            service: g.service,
            created_at: g.created_at,
            input: g.input,
            output: g.output,
            metadata: g.metadata,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GenerationPage {
    items: Vec<GenerationItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    service: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

impl Validate for ListQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

fn encode_cursor(g: &Generation) -> String {
    super::cursor::encode(g.created_at, g.id)
}

/// The caller's generations, newest first.
#[utoipa::path(get, path = "/api/user/generations", tag = "account", security(("bearer" = [])),
    params(("service" = Option<String>, Query, description = "Only this service"),
           ("limit" = Option<u32>, Query, description = "1–100, default 20"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses(
        (status = 200, description = "A page", body = GenerationPage),
        (status = 422, description = "Bad limit, service or cursor", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<GenerationPage>, ApiError> {
    let mut errors = Vec::new();
    let limit = match query.limit.as_deref() {
        None => 20,
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    "must be a whole number from 1 to 100",
                ));
                20
            }
        },
    };
    let service = match query.service.as_deref() {
        None | Some("") => None,
        Some(raw) => match raw
            .parse::<ServiceKey>()
            .ok()
            .or_else(|| ServiceKey::from_slug(raw))
        {
            Some(key) => Some(key),
            None => {
                errors.push(FieldError::new("service", "is not a service key"));
                None
            }
        },
    };
    let before = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => match super::cursor::decode(raw) {
            Some(c) => Some(c),
            None => {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor from a previous page",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut items = state
        .store
        .list_generations(&GenerationFilter {
            user_id: caller.user.id,
            service,
            before,
            limit: limit + 1,
        })
        .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(encode_cursor)
    } else {
        None
    };
    Ok(Json(GenerationPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

fn not_found() -> ApiError {
    ApiError::NotFound("There is no such generation in your history.".to_owned())
}

fn generation_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| not_found())
}

/// One of the caller's generations.
#[utoipa::path(get, path = "/api/user/generations/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The generation", body = GenerationItem),
              (status = 404, description = "Not yours or not there", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<GenerationItem>, ApiError> {
    let generation = state
        .store
        .get_generation(caller.user.id, generation_id(&id)?)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(generation.into()))
}

/// A carousel generation as a PDF: 1080×1350 pages, the format of LinkedIn document posts.
#[utoipa::path(get, path = "/api/user/generations/{id}/carousel.pdf", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The slides as a PDF", content_type = "application/pdf"),
              (status = 404, description = "Not yours, not there, or not a carousel", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn carousel_pdf(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = generation_id(&id)?;
    let generation = state
        .store
        .get_generation(caller.user.id, id)
        .await?
        .filter(|g| g.service == ServiceKey::Carousel)
        .ok_or_else(|| {
            ApiError::NotFound("There is no such carousel in your history.".to_owned())
        })?;
    // Rendering is pure CPU work of a few milliseconds per page; keep it off the runtime.
    let pdf = tokio::task::spawn_blocking(move || {
        konqer_services::carousel::render_pdf(&generation.input, &generation.output)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(e.into()))?;
    let disposition = format!(
        "attachment; filename=\"konqer-carousel-{}.pdf\"",
        &id.simple().to_string()[..8]
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// Deletes one of the caller's generations.
#[utoipa::path(delete, path = "/api/user/generations/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "Not yours or not there", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if state
        .store
        .delete_generation(caller.user.id, generation_id(&id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found())
    }
}
