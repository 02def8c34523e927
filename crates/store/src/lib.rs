//! Konqer's storage: one `Store` interface, implemented for PostgreSQL (production) and SQLite
//! (the embedded default). `DATABASE_URL` picks the back end. Both implementations share their
//! SQL wherever the dialects agree and are held to one conformance suite (`tests/`).

mod admin;
mod admin_mrr;
mod admin_sql;
mod billing;
mod billing_sql;
mod db_enum;
mod error;
mod generations;
mod identity;
mod identity_sql;
mod model;
mod postgres;
mod shared;
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use konqer_domain::ServiceKey;
use uuid::Uuid;

pub use admin::{
    AccessRow, AdminStore, Audit, DayFigures, FeatureFlag, LedgerPayment, MrrBridge, MrrMoves,
    PaymentQuery, UserQuery, UserSummary,
};
pub use billing::{
    BillingStore, CheckoutSession, OutboxEmail, PaymentRecord, PlanRevenue, QueuedEmail,
    RefundRecord, SubscriptionRecord, SubscriptionSnapshot, UnlockCandidate, WebhookEffects,
    WebhookOutcome, SEND_EMAIL_JOB,
};
pub use error::StoreError;
pub use generations::{Admission, Generation, GenerationFilter, GenerationStore};
pub use identity::{
    IdentityStore, NewRefreshToken, OAuthState, RefreshOutcome, RoleFacts, SigningKeyRecord,
    UserUpdate,
};
pub use model::*;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// How to reach the database. `url` is the only secret-bearing field.
#[derive(Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`; SQLite has none and uses it as its busy timeout.
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("url", &"[redacted]")
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }

    /// The back end a URL names, or why it names none.
    pub fn backend(&self) -> Result<Backend, String> {
        backend_of(&self.url)
    }
}

/// The back end a database URL names: `postgres://`/`postgresql://` or `sqlite:`.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "sqlite" => Ok(Backend::Sqlite),
        "" => Err("not a URL (expected postgres://… or sqlite://…)".to_owned()),
        other => Err(format!(
            "unsupported scheme {other:?} (expected postgres or sqlite)"
        )),
    }
}

/// Opens a pool for the back end the URL names. Does not run migrations.
pub async fn connect(options: &StoreOptions) -> Result<Arc<dyn Store>> {
    match options.backend().map_err(StoreError::Config)? {
        Backend::Postgres => Ok(Arc::new(postgres::PgStore::connect(options).await?)),
        Backend::Sqlite => Ok(Arc::new(sqlite::SqliteStore::connect(options).await?)),
    }
}

/// Everything Konqer persists. Implementations must behave identically; the conformance
/// suite is the definition of "identically".
#[async_trait]
pub trait Store:
    IdentityStore + BillingStore + GenerationStore + AdminStore + Send + Sync + 'static
{
    fn backend(&self) -> Backend;
    /// Applies pending migrations; safe to run concurrently from several replicas.
    async fn migrate(&self) -> Result<()>;
    /// A round trip to the database (readiness).
    async fn ping(&self) -> Result<()>;
    fn pool_stats(&self) -> PoolStats;
    /// Waits for checked-out connections to return, then closes the pool.
    async fn close(&self);

    /// When this database was created (the default launch date).
    async fn created_at(&self) -> Result<DateTime<Utc>>;

    // Catalog
    async fn list_service_configs(&self) -> Result<Vec<ServiceConfig>>;
    async fn get_service_config(&self, key: ServiceKey) -> Result<Option<ServiceConfig>>;
    async fn update_service_config(
        &self,
        key: ServiceKey,
        patch: &ServiceConfigPatch,
        now: DateTime<Utc>,
    ) -> Result<ServiceConfig>;

    // Users
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn get_user(&self, id: Uuid) -> Result<Option<User>>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Erases a user and everything that belongs to them; payments and events keep their
    /// rows with the user link cleared. Returns whether the user existed.
    async fn delete_user(&self, id: Uuid) -> Result<bool>;

    // Events
    async fn record_event(&self, event: &NewEvent) -> Result<Uuid>;
    async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>>;

    // Background jobs
    /// Enqueues a job. With a `dedupe_key` already used, returns the existing job's id.
    async fn enqueue_job(&self, job: &NewJob) -> Result<Uuid>;
    /// Claims the next due job (or one whose lease expired) for `worker`, exactly once across
    /// all workers, incrementing its attempt count and leasing it until `now + lease`.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Job>>;
    /// Marks a claimed job done. False when `worker` no longer holds it.
    async fn complete_job(&self, id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Releases a claimed job after a failure: back to the queue at `retry_at`, or dead when
    /// `retry_at` is `None`. False when `worker` no longer holds it.
    async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    async fn get_job(&self, id: Uuid) -> Result<Option<Job>>;
    async fn job_counts(&self) -> Result<JobCounts>;
}
