//! What the operators' API reads and writes: users found by email, name, plan or status;
//! payments for finance; feature flags; and the day-by-day business figures of the overview.
//! Every figure is computed in SQL over the real tables, identically on both back ends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use konqer_domain::{Plan, ServiceKey, SubscriptionStatus};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::Result;

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

#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    async fn search_users(&self, query: &UserQuery) -> Result<Vec<UserSummary>>;
    /// Payments dated in `[from, to)` (by payment time, else creation), newest first.
    async fn payments(
        &self,
        user_id: Option<Uuid>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<LedgerPayment>>;
    /// Generations ever made by the user, per service.
    async fn generation_totals(&self, user_id: Uuid) -> Result<Vec<(ServiceKey, i64)>>;
    async fn flags(&self) -> Result<Vec<FeatureFlag>>;
    async fn flag(&self, key: &str) -> Result<Option<FeatureFlag>>;
    /// Creates or replaces a flag; returns what was there before.
    async fn put_flag(&self, flag: &FeatureFlag) -> Result<Option<FeatureFlag>>;
    /// Figures per UTC day for days in `[from, to]`.
    async fn daily_figures(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, DayFigures)>>;
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
