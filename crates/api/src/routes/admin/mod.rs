//! The operators' API on the admin listener. Every route needs a token with the `admin` role
//! and an `admin_users` row; the row's role decides what it may read or change: `finance`
//! reads revenue and payments, `support` reads users and locks access, `superadmin` does
//! everything. Every write is recorded as an audit event (who, what, before, after).

mod csv;
pub mod events;
pub mod flags;
pub mod overview;
pub mod payments;
pub mod services;
pub mod users;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use konqer_domain::{AdminRole, Plan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AdminUser;
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

/// The founding campaign's target.
pub const FOUNDING_GOAL: i64 = 43;

fn require(admin: &AdminUser, allowed: &[AdminRole]) -> Result<(), ApiError> {
    if admin.role == AdminRole::Superadmin || allowed.contains(&admin.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "Your operator role ({}) may not do this.",
            admin.role
        )))
    }
}

/// The operator roles that may use a route besides `superadmin`, who may use every route.
pub(crate) trait Roles: Send + Sync + 'static {
    const ALLOWED: &'static [AdminRole];
}

/// Revenue, the overview and payments.
pub(crate) struct FinanceDesk;
/// Locks and the event trail.
pub(crate) struct SupportDesk;
/// Users and their detail (finance follows payments there).
pub(crate) struct UserDesk;
/// Changes to services and flags.
pub(crate) struct SuperadminOnly;

impl Roles for FinanceDesk {
    const ALLOWED: &'static [AdminRole] = &[AdminRole::Finance];
}
impl Roles for SupportDesk {
    const ALLOWED: &'static [AdminRole] = &[AdminRole::Support];
}
impl Roles for UserDesk {
    const ALLOWED: &'static [AdminRole] = &[AdminRole::Support, AdminRole::Finance];
}
impl Roles for SuperadminOnly {
    const ALLOWED: &'static [AdminRole] = &[];
}

/// An operator whose role may use the route. As an extractor it runs before the query and
/// the body are read, so a caller without the role gets 403 whatever else they sent.
pub(crate) struct Operator<R>(pub AdminUser, PhantomData<R>);

impl<R: Roles> FromRequestParts<AppState> for Operator<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let admin = AdminUser::from_request_parts(parts, state).await?;
        require(&admin, R::ALLOWED)?;
        Ok(Operator(admin, PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MrrQuery {
    /// A date (`2026-12-01`, end of that day UTC) or an RFC 3339 time; default now.
    at: Option<String>,
}

impl Validate for MrrQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        match self.at.as_deref() {
            None => Ok(()),
            Some(raw) => parse_at(raw).map(|_| ()).ok_or_else(|| {
                vec![FieldError::new(
                    "at",
                    "must be a date (YYYY-MM-DD) or an RFC 3339 time",
                )]
            }),
        }
    }
}

pub(crate) fn parse_at(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(23, 59, 59)?.and_utc())
}

#[derive(Serialize, ToSchema)]
pub struct PlanShare {
    subscriptions: i64,
    mrr_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Mrr {
    at: DateTime<Utc>,
    /// Monthly recurring revenue in euro cents (annual plans ÷ 12).
    mrr_cents: i64,
    /// 12 × MRR.
    arr_cents: i64,
    by_plan: BTreeMap<String, PlanShare>,
    founding_members: i64,
    founding_goal: i64,
}

/// MRR and ARR in cents, by plan, with founding members against the goal.
#[utoipa::path(get, path = "/admin/metrics/mrr", tag = "admin", security(("bearer" = [])),
    params(("at" = Option<String>, Query, description = "A past date or time; default now")),
    responses(
        (status = 200, description = "Revenue", body = Mrr),
        (status = 401, description = "No or invalid token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an operator allowed to read revenue", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn mrr(
    State(state): State<AppState>,
    _: Operator<FinanceDesk>,
    ApiQuery(query): ApiQuery<MrrQuery>,
) -> Result<Json<Mrr>, ApiError> {
    let at = query
        .at
        .as_deref()
        .and_then(parse_at)
        .unwrap_or_else(|| state.clock.now());
    let rows = state.store.mrr_at(at).await?;
    let mrr_cents: i64 = rows.iter().map(|r| r.mrr_cents).sum();
    let founding_members = rows
        .iter()
        .filter(|r| r.plan == Plan::Founding)
        .map(|r| r.subscriptions)
        .sum();
    let by_plan = Plan::ALL
        .iter()
        .map(|plan| {
            let row = rows.iter().find(|r| r.plan == *plan);
            (
                plan.as_str().to_owned(),
                PlanShare {
                    subscriptions: row.map_or(0, |r| r.subscriptions),
                    mrr_cents: row.map_or(0, |r| r.mrr_cents),
                },
            )
        })
        .collect();
    Ok(Json(Mrr {
        at,
        mrr_cents,
        arr_cents: mrr_cents * 12,
        by_plan,
        founding_members,
        founding_goal: FOUNDING_GOAL,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessChange {
    /// Service key or slug.
    service: String,
    locked: bool,
}

impl Validate for AccessChange {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        service_of(&self.service).map(|_| ()).map_err(|e| vec![e])
    }
}

pub(crate) fn service_of(raw: &str) -> Result<konqer_domain::ServiceKey, FieldError> {
    raw.parse()
        .ok()
        .or_else(|| konqer_domain::ServiceKey::from_slug(raw))
        .ok_or_else(|| FieldError::new("service", "is not a service key"))
}

#[derive(Serialize, ToSchema)]
pub struct AccessState {
    user_id: uuid::Uuid,
    #[schema(value_type = String)]
    service: konqer_domain::ServiceKey,
    locked: bool,
    /// The lock state before this change.
    was_locked: bool,
}

/// Locks or unlocks one service for one user (support, superadmin); audited.
#[utoipa::path(post, path = "/admin/users/{id}/access", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AccessChange,
    responses(
        (status = 200, description = "The new state", body = AccessState),
        (status = 404, description = "No such user", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_access(
    State(state): State<AppState>,
    Operator(admin, _): Operator<SupportDesk>,
    axum::extract::Path(id): axum::extract::Path<String>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<AccessChange>,
) -> Result<Json<AccessState>, ApiError> {
    let missing = || ApiError::NotFound("There is no such user.".to_owned());
    let user_id: uuid::Uuid = id.parse().map_err(|_| missing())?;
    state.store.get_user(user_id).await?.ok_or_else(missing)?;
    let service = service_of(&body.service).map_err(|e| ApiError::Invalid(vec![e]))?;
    let was_locked = state
        .store
        .set_access_lock(
            user_id,
            service,
            body.locked,
            admin.auth.user.id,
            state.clock.now(),
        )
        .await?;
    tracing::info!(%user_id, %service, locked = body.locked, actor = %admin.auth.user.id, "operator changed access");
    Ok(Json(AccessState {
        user_id,
        service,
        locked: body.locked,
        was_locked,
    }))
}

use super::cursor::{decode as decode_cursor, encode as encode_cursor};

/// One page of a keyset-paged list, newest first.
#[derive(Serialize)]
pub struct Page<T> {
    items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last one.
    next_cursor: Option<String>,
}

/// Makes a page from up to `want + 1` rows (the extra row only says that more follow).
pub(crate) fn page<T>(
    mut items: Vec<T>,
    want: u32,
    key: impl Fn(&T) -> (DateTime<Utc>, uuid::Uuid),
) -> Page<T> {
    let next_cursor = if items.len() > want as usize {
        items.truncate(want as usize);
        items.last().map(|row| {
            let (at, id) = key(row);
            encode_cursor(at, id)
        })
    } else {
        None
    };
    Page { items, next_cursor }
}

/// A `cursor` query parameter from a previous page.
pub(crate) fn cursor_param(
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<(DateTime<Utc>, uuid::Uuid)> {
    let raw = raw.filter(|r| !r.is_empty())?;
    decode_cursor(raw).or_else(|| {
        errors.push(FieldError::new(
            "cursor",
            "is not a cursor from a previous page",
        ));
        None
    })
}

/// A `limit` query parameter: 1–`max`, `default` when absent.
pub(crate) fn page_limit(
    raw: Option<&str>,
    default: u32,
    max: u32,
    errors: &mut Vec<FieldError>,
) -> u32 {
    match raw {
        None => default,
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {max}"),
                ));
                default
            }
        },
    }
}

/// Which end of a day a bare date in a range parameter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `from=2026-03-02`: from 00:00 UTC that day.
    Start,
    /// `to=2026-03-02`: up to the end of that day (00:00 UTC the next day, exclusive).
    End,
}

/// A range query parameter: an RFC 3339 time, or a date taken at `edge`.
pub(crate) fn time_param(
    raw: Option<&str>,
    field: &str,
    edge: Edge,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = raw.filter(|r| !r.is_empty())?;
    let parsed = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .and_then(|day| match edge {
                Edge::Start => Some(day),
                Edge::End => day.succ_opt(),
            })
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
    };
    parsed.or_else(|| {
        errors.push(FieldError::new(
            field,
            "must be a date (YYYY-MM-DD) or an RFC 3339 time",
        ));
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_date_covers_its_whole_day_in_a_range() {
        let mut errors = Vec::new();
        let from = time_param(Some("2026-03-02"), "from", Edge::Start, &mut errors);
        let to = time_param(Some("2026-03-02"), "to", Edge::End, &mut errors);
        let exact = time_param(
            Some("2026-03-02T10:30:00+01:00"),
            "to",
            Edge::End,
            &mut errors,
        );
        assert_eq!(
            from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-02T00:00:00+00:00")
        );
        assert_eq!(
            to.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-03T00:00:00+00:00")
        );
        assert_eq!(
            exact.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-02T09:30:00+00:00")
        );
        assert_eq!(time_param(None, "from", Edge::Start, &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(
            time_param(Some("yesterday"), "from", Edge::Start, &mut errors),
            None
        );
        assert_eq!(errors.len(), 1);
    }
}
