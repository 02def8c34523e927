//! Rows as the rest of the system sees them, and the inputs that create or change them.

use chrono::{DateTime, Utc};
use konqer_domain::{Cents, JobState, ServiceKey, ServiceType};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// A service's configuration row (`service_configs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceConfig {
    pub key: ServiceKey,
    pub name: String,
    pub slug: String,
    pub service_type: ServiceType,
    pub pricing_monthly: Cents,
    pub pricing_annual: Cents,
    pub rate_limit_daily: i32,
    pub release_offset_days: i32,
    pub enabled: bool,
    pub config: Value,
    pub updated_at: DateTime<Utc>,
}

/// Changes an operator may make to a service; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceConfigPatch {
    pub enabled: Option<bool>,
    pub rate_limit_daily: Option<i32>,
    pub release_offset_days: Option<i32>,
    pub pricing_monthly: Option<Cents>,
    pub pricing_annual: Option<Cents>,
    pub config: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Unsubscribed from marketing emails (offers); transactional ones still arrive.
    pub marketing_opt_out: bool,
}

/// A user to create. `email` must already be normalised (trimmed, lower-case).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub service: Option<ServiceKey>,
    pub data: Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub service: Option<ServiceKey>,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

/// Filter and keyset page for events, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<String>,
    pub user_id: Option<Uuid>,
    pub service: Option<ServiceKey>,
    /// Events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Events before this time.
    pub to: Option<DateTime<Utc>>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
    pub dedupe_key: Option<String>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub state: JobState,
    /// Attempts started so far, including the current one once claimed.
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
}
