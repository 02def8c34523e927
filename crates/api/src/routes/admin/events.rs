//! `GET /admin/events`: the business and audit trail, newest first, filtered by type, user,
//! service and time range, in keyset pages.

use axum::extract::State;
use axum::Json;
use konqer_store::{Event, EventFilter};
use serde::Deserialize;

use super::{
    cursor_param, page, page_limit, service_of, time_param, Edge, Operator, Page, SupportDesk,
};
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

pub async fn list(
    State(state): State<AppState>,
    _: Operator<SupportDesk>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Page<Event>>, ApiError> {
    let mut errors = Vec::new();
    let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let limit = page_limit(query.limit.as_deref(), 50, 100, &mut errors);
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
    let from = time_param(query.from.as_deref(), "from", Edge::Start, &mut errors);
    let to = time_param(query.to.as_deref(), "to", Edge::End, &mut errors);
    let before = cursor_param(query.cursor.as_deref(), &mut errors);
    let kind = present(&query.kind);
    if kind.as_deref().is_some_and(|k| k.len() > 100) {
        errors.push(FieldError::new("type", "must be at most 100 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let items = state
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
    Ok(Json(page(items, limit, |e| (e.created_at, e.id))))
}
