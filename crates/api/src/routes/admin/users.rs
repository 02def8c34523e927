//! Users for support and finance: search and filter with keyset pages (or every match as CSV
//! with `Accept: text/csv`), and one user's whole picture.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use konqer_store::{
    AccessRow, Event, EventFilter, LedgerPayment, PaymentQuery, SubscriptionRecord, User,
    UserQuery, UserSummary,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{csv, cursor_param, page, page_limit, Operator, UserDesk};
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    q: Option<String>,
    plan: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl Validate for UsersQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

impl UsersQuery {
    fn parse(&self) -> Result<UserQuery, ApiError> {
        let mut errors = Vec::new();
        let limit = page_limit(self.limit.as_deref(), 50, 100, &mut errors);
        let plan = match self.plan.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(raw) => raw.parse::<Plan>().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("plan", "is not a plan"));
                None
            }),
        };
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => raw
                .parse::<SubscriptionStatus>()
                .map(Some)
                .unwrap_or_else(|_| {
                    errors.push(FieldError::new("status", "is not a subscription status"));
                    None
                }),
        };
        let before = cursor_param(self.cursor.as_deref(), &mut errors);
        let search = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if search.is_some_and(|q| q.chars().count() > 200) {
            errors.push(FieldError::new("q", "must be at most 200 characters"));
        }
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(UserQuery {
            search: search.map(str::to_owned),
            plan,
            status,
            before,
            limit,
        })
    }
}

/// `GET /admin/users`: JSON pages, or every matching user as CSV.
pub async fn list(
    State(state): State<AppState>,
    _: Operator<UserDesk>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<UsersQuery>,
) -> Result<Response, ApiError> {
    let mut query = query.parse()?;
    if csv::wanted(&headers) {
        query.limit = csv::EXPORT_PAGE;
        let fetch = move |query: UserQuery| {
            let state = state.clone();
            async move {
                let rows = state.store.search_users(&query).await?;
                let next = (rows.len() == query.limit as usize).then(|| UserQuery {
                    before: rows.last().map(|u| (u.created_at, u.id)),
                    ..query
                });
                Ok((rows, next))
            }
        };
        return Ok(csv::keyset_export(
            "users",
            USER_HEADER,
            query,
            fetch,
            user_row,
        ));
    }
    let want = query.limit;
    query.limit = want + 1;
    let items = state.store.search_users(&query).await?;
    Ok(Json(page(items, want, |u| (u.created_at, u.id))).into_response())
}

const USER_HEADER: &[&str] = &["id", "email", "name", "created_at", "plan", "status"];

fn user_row(u: UserSummary) -> Vec<String> {
    vec![
        u.id.to_string(),
        u.email,
        u.name,
        u.created_at.to_rfc3339(),
        u.plan.map(|p| p.to_string()).unwrap_or_default(),
        u.status.map(|s| s.to_string()).unwrap_or_default(),
    ]
}

#[derive(Serialize)]
pub struct UserDetail {
    user: User,
    subscriptions: Vec<SubscriptionRecord>,
    payments: Vec<LedgerPayment>,
    /// Grants and operators' locks, per service.
    access: Vec<AccessRow>,
    generations_by_service: Vec<ServiceCount>,
    recent_events: Vec<Event>,
}

#[derive(Serialize)]
pub struct ServiceCount {
    service: ServiceKey,
    generations: i64,
}

/// `GET /admin/users/{id}`: the account, its subscriptions, payments, locks, usage and the
/// last 50 events about it.
pub async fn detail(
    State(state): State<AppState>,
    _: Operator<UserDesk>,
    Path(id): Path<String>,
) -> Result<Json<UserDetail>, ApiError> {
    let missing = || ApiError::NotFound("There is no such user.".to_owned());
    let id: Uuid = id.parse().map_err(|_| missing())?;
    let user = state.store.get_user(id).await?.ok_or_else(missing)?;
    let events = EventFilter {
        user_id: Some(id),
        limit: 50,
        ..Default::default()
    };
    let payments = PaymentQuery {
        user_id: Some(id),
        limit: 100,
        ..Default::default()
    };
    let (subscriptions, payments, access, totals, recent_events) = tokio::try_join!(
        state.store.subscriptions_of(id),
        state.store.payments(&payments),
        state.store.access_rows(id),
        state.store.generation_totals(id),
        state.store.list_events(&events),
    )?;
    Ok(Json(UserDetail {
        user,
        subscriptions,
        payments,
        access,
        generations_by_service: totals
            .into_iter()
            .map(|(service, generations)| ServiceCount {
                service,
                generations,
            })
            .collect(),
        recent_events,
    }))
}
