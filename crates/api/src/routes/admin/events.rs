//! `GET /admin/events`: the business and audit trail, newest first, filtered by type, user,
//! service and time range, in keyset pages.

use axum::extract::State;
use axum::Json;
use konqer_domain::AdminRole;
use konqer_store::{Event, EventFilter};
use serde::{Deserialize, Serialize};

use super::{decode_cursor, encode_cursor, page_limit, parse_at, require, service_of};
use crate::auth::AdminUser;
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    user: Option<String>,
    service: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl Validate for EventsQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

#[derive(Serialize)]
pub struct EventPage {
    items: Vec<Event>,
    next_cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    require(&admin, &[AdminRole::Support])?;
    let mut errors = Vec::new();
    let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let limit = page_limit(query.limit.as_deref(), 50, 200, &mut errors);
    let user_id = present(&query.user).and_then(|raw| {
        raw.parse().ok().or_else(|| {
            errors.push(FieldError::new("user", "is not a user id"));
            None
        })
    });
    let service = present(&query.service).and_then(|raw| {
        service_of(&raw)
            .map_err(|e| errors.push(FieldError::new("service", e.message)))
            .ok()
    });
    let mut time = |raw: Option<String>, field: &str| {
        raw.and_then(|raw| {
            parse_at(&raw).or_else(|| {
                errors.push(FieldError::new(
                    field,
                    "must be a date (YYYY-MM-DD) or an RFC 3339 time",
                ));
                None
            })
        })
    };
    let from = time(present(&query.from), "from");
    let to = time(present(&query.to), "to");
    let before = present(&query.cursor).and_then(|raw| {
        decode_cursor(&raw).or_else(|| {
            errors.push(FieldError::new(
                "cursor",
                "is not a cursor from a previous page",
            ));
            None
        })
    });
    let kind = present(&query.kind);
    if kind.as_deref().is_some_and(|k| k.len() > 100) {
        errors.push(FieldError::new("type", "must be at most 100 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut items = state
        .store
        .list_events(&EventFilter {
            kind,
            user_id,
            service,
            from,
            to,
            before,
            limit: limit + 1,
        })
        .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|e| encode_cursor(e.created_at, e.id))
    } else {
        None
    };
    Ok(Json(EventPage { items, next_cursor }))
}
