//! What the operators' API reads and writes: users found by email, name, plan or status;
//! payments for finance; feature flags; and the day-by-day business figures of the overview.
//! Every figure is computed in SQL over the real tables, identically on both back ends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub use crate::admin_mrr::{MrrBridge, MrrMoves};
use crate::{Result, ServiceConfig, ServiceConfigPatch};

/// Users newest first, narrowed by a search and the plan or status of any subscription.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Matched case-insensitively anywhere in the email or the name.
    pub search: Option<String>,
    pub plan: Option<Plan>,
    pub status: Option<SubscriptionStatus>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

/// One row of the operators' user list: the account and its most relevant subscription
/// (a live one first, then the newest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub plan: Option<Plan>,
    pub status: Option<SubscriptionStatus>,
}

/// A payment as finance sees it, with the payer's email while the account exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerPayment {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub plan: Option<Plan>,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureFlag {
    pub key: String,
    pub enabled: bool,
    pub rollout_percentage: i32,
    pub config: Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

/// One UTC day of business figures; days without activity are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayFigures {
    pub signups: i64,
    /// First subscriptions of users (a user's later subscriptions are not new customers).
    pub purchases: i64,
    /// Money received on payments dated that day, less what was refunded of them, in cents.
    pub net_revenue_cents: i64,
    pub generations: Vec<(ServiceKey, i64)>,
}

/// Payments dated in `[from, to)` (by payment time, else creation), newest first, in keyset
/// pages (`before` is the last row's date and id).
#[derive(Debug, Clone, Default)]
pub struct PaymentQuery {
    pub user_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

impl LedgerPayment {
    /// The date the ledger sorts and filters by: when it was paid, else when it was created.
    pub fn dated_at(&self) -> DateTime<Utc> {
        self.paid_at.unwrap_or(self.created_at)
    }
}

/// One `service_access` row: when the service was granted, and any operator's lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRow {
    pub service: ServiceKey,
    pub granted_at: DateTime<Utc>,
    pub unlock_notified_at: Option<DateTime<Utc>>,
    pub locked: bool,
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<Uuid>,
}

/// Who makes an operator's change, and when; the store records it as an audit event in the
/// same transaction as the change, so no change is ever stored unaudited.
#[derive(Debug, Clone, Copy)]
pub struct Audit {
    pub actor_id: Uuid,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    async fn search_users(&self, query: &UserQuery) -> Result<Vec<UserSummary>>;
    async fn payments(&self, query: &PaymentQuery) -> Result<Vec<LedgerPayment>>;
    /// Generations ever made by the user, per service.
    async fn generation_totals(&self, user_id: Uuid) -> Result<Vec<(ServiceKey, i64)>>;
    async fn access_rows(&self, user_id: Uuid) -> Result<Vec<AccessRow>>;
    async fn flags(&self) -> Result<Vec<FeatureFlag>>;
    async fn flag(&self, key: &str) -> Result<Option<FeatureFlag>>;
    /// Creates or replaces a flag and records `admin.flag_set`; returns what was there before.
    async fn put_flag(&self, flag: &FeatureFlag, audit: Audit) -> Result<Option<FeatureFlag>>;
    /// Applies an operator's change to a service and records `admin.service_updated`;
    /// `(before, after)`, or `None` for an unknown service.
    async fn change_service_config(
        &self,
        key: ServiceKey,
        patch: &ServiceConfigPatch,
        audit: Audit,
    ) -> Result<Option<(ServiceConfig, ServiceConfig)>>;
    /// Figures per UTC day for days in `[from, to]`.
    async fn daily_figures(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, DayFigures)>>;
    /// The MRR bridge over the periods between consecutive `boundaries` (at least two,
    /// ascending): see [`MrrBridge`].
    async fn mrr_movements(&self, boundaries: &[DateTime<Utc>]) -> Result<MrrBridge>;
}

pub(crate) const FLAG_COLUMNS: &str =
    "key, enabled, rollout_percentage, config, updated_at, updated_by";

#[derive(sqlx::FromRow)]
pub(crate) struct FlagRow {
    key: String,
    enabled: bool,
    rollout_percentage: i32,
    config: sqlx::types::Json<Value>,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
}

impl From<FlagRow> for FeatureFlag {
    fn from(r: FlagRow) -> Self {
        FeatureFlag {
            key: r.key,
            enabled: r.enabled,
            rollout_percentage: r.rollout_percentage,
            config: r.config.0,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

/// The user's most relevant subscription field: live ones first, then the newest.
pub(crate) fn relevant(column: &str) -> String {
    format!(
        "(SELECT {column} FROM subscriptions s WHERE s.user_id = u.id \
          ORDER BY CASE WHEN s.status IN ('active', 'trialing', 'past_due') THEN 0 ELSE 1 END, \
                   s.created_at DESC LIMIT 1)"
    )
}

/// The first ten characters of a stored time are its UTC date on both back ends (PostgreSQL
/// renders `timestamptz` in the session's UTC zone; SQLite keeps RFC 3339 text).
pub(crate) fn day_of(column: &str, postgres: bool) -> String {
    if postgres {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    } else {
        format!("substr({column}, 1, 10)")
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserSummaryRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub plan: Option<String>,
    pub status: Option<String>,
}

impl From<UserSummaryRow> for UserSummary {
    fn from(r: UserSummaryRow) -> Self {
        UserSummary {
            id: r.id,
            email: r.email,
            name: r.name,
            created_at: r.created_at,
            plan: r.plan.and_then(|p| p.parse().ok()),
            status: r.status.and_then(|s| s.parse().ok()),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub plan: Option<String>,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<PaymentRow> for LedgerPayment {
    fn from(r: PaymentRow) -> Self {
        LedgerPayment {
            id: r.id,
            user_id: r.user_id,
            email: r.email,
            plan: r.plan.and_then(|p| p.parse().ok()),
            amount_cents: r.amount_cents,
            refunded_cents: r.refunded_cents,
            currency: r.currency,
            status: r.status,
            paid_at: r.paid_at,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessDbRow {
    pub service_key: crate::db_enum::Db<ServiceKey>,
    pub granted_at: DateTime<Utc>,
    pub unlock_notified_at: Option<DateTime<Utc>>,
    pub locked_by_admin: bool,
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<Uuid>,
}

impl From<AccessDbRow> for AccessRow {
    fn from(r: AccessDbRow) -> Self {
        AccessRow {
            service: r.service_key.0,
            granted_at: r.granted_at,
            unlock_notified_at: r.unlock_notified_at,
            locked: r.locked_by_admin,
            locked_at: r.locked_at,
            locked_by: r.locked_by,
        }
    }
}

/// The audit event of an operator's change, as one `events` row: `{before, after}`.
pub(crate) fn audit_data<T: Serialize>(before: Option<&T>, after: &T) -> Value {
    serde_json::json!({
        "before": before.map(serde_json::to_value).and_then(std::result::Result::ok),
        "after": serde_json::to_value(after).unwrap_or(Value::Null),
    })
}

pub(crate) const AUDIT_INSERT_SQL: &str = "INSERT INTO events \
    (id, type, user_id, actor_id, service_key, data, created_at) VALUES ($1, $2, NULL, $3, $4, $5, $6)";
