//! Users for support and finance: search and filter with keyset pages, one user's whole
//! picture, and CSV exports of users and payments (`Accept: text/csv`), streamed page by page.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use konqer_domain::{AdminRole, Plan, ServiceKey, SubscriptionStatus};
use konqer_store::{
    Event, EventFilter, LedgerPayment, SubscriptionRecord, User, UserQuery, UserSummary,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{decode_cursor, encode_cursor, page_limit, parse_at, require};
use crate::auth::AdminUser;
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

const READERS: &[AdminRole] = &[AdminRole::Support, AdminRole::Finance];
/// Rows fetched per round trip while streaming an export.
const EXPORT_PAGE: u32 = 500;

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
        let before = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => decode_cursor(raw).or_else(|| {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor from a previous page",
                ));
                None
            }),
        };
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

#[derive(Serialize)]
pub struct UserPage {
    items: Vec<UserSummary>,
    next_cursor: Option<String>,
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// `GET /admin/users`: JSON pages, or every matching user as CSV.
pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<UsersQuery>,
) -> Result<Response, ApiError> {
    require(&admin, READERS)?;
    let mut query = query.parse()?;
    if wants_csv(&headers) {
        query.limit = EXPORT_PAGE;
        return Ok(csv_response("users", user_rows(state, query)));
    }
    let want = query.limit;
    query.limit = want + 1;
    let mut items = state.store.search_users(&query).await?;
    let next_cursor = if items.len() > want as usize {
        items.truncate(want as usize);
        items.last().map(|u| encode_cursor(u.created_at, u.id))
    } else {
        None
    };
    Ok(Json(UserPage { items, next_cursor }).into_response())
}

fn user_rows(
    state: AppState,
    query: UserQuery,
) -> impl futures_util::Stream<Item = Vec<Vec<String>>> {
    let header: Vec<Vec<Vec<String>>> = vec![vec![[
        "id",
        "email",
        "name",
        "created_at",
        "plan",
        "status",
    ]
    .map(str::to_owned)
    .to_vec()]];
    let pages = stream::unfold(Some(query), move |next| {
        let state = state.clone();
        async move {
            let query = next?;
            let rows = match state.store.search_users(&query).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "users export stopped");
                    return None;
                }
            };
            let following = (rows.len() == query.limit as usize).then(|| UserQuery {
                before: rows.last().map(|u| (u.created_at, u.id)),
                ..query.clone()
            });
            let lines = rows
                .into_iter()
                .map(|u| {
                    vec![
                        u.id.to_string(),
                        u.email,
                        u.name,
                        u.created_at.to_rfc3339(),
                        u.plan.map(|p| p.to_string()).unwrap_or_default(),
                        u.status.map(|s| s.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            Some((lines, following))
        }
    });
    stream::iter(header).chain(pages)
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula.
pub(crate) fn csv_cell(raw: &str) -> String {
    let text = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv_response(
    name: &str,
    rows: impl futures_util::Stream<Item = Vec<Vec<String>>> + Send + 'static,
) -> Response {
    let body = rows.map(|lines| {
        let mut out = String::new();
        for line in lines {
            let cells: Vec<String> = line.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        Ok::<_, std::convert::Infallible>(out)
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"konqer-{name}.csv\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[derive(Serialize)]
pub struct UserDetail {
    user: User,
    subscriptions: Vec<SubscriptionRecord>,
    payments: Vec<LedgerPayment>,
    locked_services: Vec<ServiceKey>,
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
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Json<UserDetail>, ApiError> {
    require(&admin, READERS)?;
    let missing = || ApiError::NotFound("There is no such user.".to_owned());
    let id: Uuid = id.parse().map_err(|_| missing())?;
    let user = state.store.get_user(id).await?.ok_or_else(missing)?;
    let events = EventFilter {
        user_id: Some(id),
        limit: 50,
        ..Default::default()
    };
    let (subscriptions, payments, locked_services, totals, recent_events) = tokio::try_join!(
        state.store.subscriptions_of(id),
        state.store.payments(Some(id), None, None, 100),
        state.store.admin_locks(id),
        state.store.generation_totals(id),
        state.store.list_events(&events),
    )?;
    Ok(Json(UserDetail {
        user,
        subscriptions,
        payments,
        locked_services,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

impl Validate for PaymentsQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

fn time_param(
    raw: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = raw.filter(|r| !r.is_empty())?;
    parse_at(raw).or_else(|| {
        errors.push(FieldError::new(
            field,
            "must be a date (YYYY-MM-DD) or an RFC 3339 time",
        ));
        None
    })
}

/// `GET /admin/payments?from=&to=` for finance: JSON, or CSV with `Accept: text/csv`.
pub async fn payments(
    State(state): State<AppState>,
    admin: AdminUser,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PaymentsQuery>,
) -> Result<Response, ApiError> {
    require(&admin, &[AdminRole::Finance])?;
    let mut errors = Vec::new();
    let from = time_param(query.from.as_deref(), "from", &mut errors);
    let to = time_param(query.to.as_deref(), "to", &mut errors);
    let limit = page_limit(query.limit.as_deref(), 1_000, 100_000, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let rows = state.store.payments(None, from, to, limit).await?;
    if !wants_csv(&headers) {
        return Ok(Json(rows).into_response());
    }
    let mut lines = vec![[
        "id",
        "user_id",
        "email",
        "plan",
        "amount_cents",
        "refunded_cents",
        "currency",
        "status",
        "paid_at",
        "created_at",
    ]
    .map(str::to_owned)
    .to_vec()];
    lines.extend(rows.into_iter().map(|p| {
        vec![
            p.id.to_string(),
            p.user_id.map(|u| u.to_string()).unwrap_or_default(),
            p.email.unwrap_or_default(),
            p.plan.map(|p| p.to_string()).unwrap_or_default(),
            p.amount_cents.to_string(),
            p.refunded_cents.to_string(),
            p.currency,
            p.status,
            p.paid_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            p.created_at.to_rfc3339(),
        ]
    }));
    let chunks: Vec<Vec<Vec<String>>> = lines
        .chunks(EXPORT_PAGE as usize)
        .map(<[_]>::to_vec)
        .collect();
    Ok(csv_response("payments", stream::iter(chunks)))
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+33 6"), "'+33 6");
        assert_eq!(csv_cell("@sum"), "'@sum");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }
}
