//! The SQL both back ends run unchanged (`$n` placeholders work on SQLite too), written once
//! and expanded for each pool type by `impl_store!`. Dialect differences are the macro's
//! arguments: the migrator and the job-claim statement.

use chrono::{DateTime, Utc};
use konqer_domain::{Cents, JobState, ServiceKey, ServiceType};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db_enum::Db;
use crate::model::{Event, Job, ServiceConfig, User};

pub(crate) const SERVICE_CONFIG_COLUMNS: &str = "key, name, slug, service_type, \
    pricing_monthly_cents, pricing_annual_cents, rate_limit_daily, release_offset_days, \
    enabled, config, updated_at";
pub(crate) const USER_COLUMNS: &str =
    "id, email, name, email_verified, created_at, updated_at, marketing_opt_out";
pub(crate) const EVENT_COLUMNS: &str = "id, type, user_id, actor_id, service_key, data, created_at";
pub(crate) const JOB_COLUMNS: &str = "id, kind, payload, state, attempts, max_attempts, run_at, \
    locked_by, locked_until, last_error, dedupe_key";

/// Takes the oldest due job, or one whose worker's lease ran out. `{lock}` is where
/// PostgreSQL adds `FOR UPDATE SKIP LOCKED`; on SQLite the single UPDATE statement holds the
/// database's one write lock from start to end, which gives the same exactly-once claim.
pub(crate) fn claim_job_sql(lock: &str) -> String {
    format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
             locked_until = $3, updated_at = $2 \
         WHERE id = (SELECT id FROM jobs \
             WHERE (state = 'queued' AND run_at <= $2) OR (state = 'running' AND locked_until < $2) \
             ORDER BY run_at, id LIMIT 1 {lock}) \
         RETURNING {JOB_COLUMNS}"
    )
}

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceConfigRow {
    key: Db<ServiceKey>,
    name: String,
    slug: String,
    service_type: Db<ServiceType>,
    pricing_monthly_cents: i64,
    pricing_annual_cents: i64,
    rate_limit_daily: i32,
    release_offset_days: i32,
    enabled: bool,
    config: Json<Value>,
    updated_at: DateTime<Utc>,
}

impl From<ServiceConfigRow> for ServiceConfig {
    fn from(r: ServiceConfigRow) -> Self {
        ServiceConfig {
            key: r.key.0,
            name: r.name,
            slug: r.slug,
            service_type: r.service_type.0,
            pricing_monthly: Cents(r.pricing_monthly_cents),
            pricing_annual: Cents(r.pricing_annual_cents),
            rate_limit_daily: r.rate_limit_daily,
            release_offset_days: r.release_offset_days,
            enabled: r.enabled,
            config: r.config.0,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    email_verified: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    marketing_opt_out: bool,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            email_verified: r.email_verified,
            created_at: r.created_at,
            updated_at: r.updated_at,
            marketing_opt_out: r.marketing_opt_out,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    user_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    service_key: Option<Db<ServiceKey>>,
    data: Json<Value>,
    created_at: DateTime<Utc>,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            kind: r.kind,
            user_id: r.user_id,
            actor_id: r.actor_id,
            service: r.service_key.map(|k| k.0),
            data: r.data.0,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    kind: String,
    payload: Json<Value>,
    state: Db<JobState>,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    dedupe_key: Option<String>,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id,
            kind: r.kind,
            payload: r.payload.0,
            state: r.state.0,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            locked_by: r.locked_by,
            locked_until: r.locked_until,
            last_error: r.last_error,
            dedupe_key: r.dedupe_key,
        }
    }
}

/// Implements `Store` for a struct with a `pool: sqlx::Pool<$Db>` field.
macro_rules! impl_store {
    ($Store:ty, backend: $backend:expr, migrator: $migrator:expr, claim_sql: $claim_sql:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $Store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> $crate::Result<()> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn pool_stats(&self) -> $crate::PoolStats {
                $crate::PoolStats {
                    size: self.pool.size(),
                    idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
                    max: self.pool.options().get_max_connections(),
                }
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn created_at(&self) -> $crate::Result<chrono::DateTime<chrono::Utc>> {
                let value: String =
                    sqlx::query_scalar("SELECT value FROM app_meta WHERE key = 'created_at'")
                        .fetch_one(&self.pool)
                        .await?;
                chrono::DateTime::parse_from_rfc3339(&value)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|e| $crate::StoreError::Corrupt(format!("app_meta.created_at: {e}")))
            }

            async fn list_service_configs(&self) -> $crate::Result<Vec<$crate::ServiceConfig>> {
                let sql = format!(
                    "SELECT {} FROM service_configs",
                    $crate::shared::SERVICE_CONFIG_COLUMNS
                );
                let rows: Vec<$crate::shared::ServiceConfigRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                let mut configs: Vec<$crate::ServiceConfig> =
                    rows.into_iter().map(Into::into).collect();
                configs.sort_by_key(|c| c.key);
                Ok(configs)
            }

            async fn get_service_config(
                &self,
                key: konqer_domain::ServiceKey,
            ) -> $crate::Result<Option<$crate::ServiceConfig>> {
                let sql = format!(
                    "SELECT {} FROM service_configs WHERE key = $1",
                    $crate::shared::SERVICE_CONFIG_COLUMNS
                );
                let row: Option<$crate::shared::ServiceConfigRow> = sqlx::query_as(&sql)
                    .bind($crate::db_enum::Db(key))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn update_service_config(
                &self,
                key: konqer_domain::ServiceKey,
                patch: &$crate::ServiceConfigPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::ServiceConfig> {
                let sql = format!(
                    "UPDATE service_configs SET enabled = COALESCE($2, enabled), \
                     rate_limit_daily = COALESCE($3, rate_limit_daily), \
                     release_offset_days = COALESCE($4, release_offset_days), \
                     pricing_monthly_cents = COALESCE($5, pricing_monthly_cents), \
                     pricing_annual_cents = COALESCE($6, pricing_annual_cents), \
                     config = COALESCE($7, config), updated_at = $8 \
                     WHERE key = $1 RETURNING {}",
                    $crate::shared::SERVICE_CONFIG_COLUMNS
                );
                let row: $crate::shared::ServiceConfigRow = sqlx::query_as(&sql)
                    .bind($crate::db_enum::Db(key))
                    .bind(patch.enabled)
                    .bind(patch.rate_limit_daily)
                    .bind(patch.release_offset_days)
                    .bind(patch.pricing_monthly.map(|c| c.0))
                    .bind(patch.pricing_annual.map(|c| c.0))
                    .bind(patch.config.clone().map(sqlx::types::Json))
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.into())
            }

            async fn create_user(&self, user: &$crate::NewUser) -> $crate::Result<$crate::User> {
                let row = $crate::identity_sql::insert_user!(&self.pool, user);
                Ok(row.into())
            }

            async fn get_user(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::User>> {
                let sql = format!("SELECT {} FROM users WHERE id = $1", $crate::shared::USER_COLUMNS);
                let row: Option<$crate::shared::UserRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn find_user_by_email(&self, email: &str) -> $crate::Result<Option<$crate::User>> {
                let sql =
                    format!("SELECT {} FROM users WHERE email = $1", $crate::shared::USER_COLUMNS);
                let row: Option<$crate::shared::UserRow> =
                    sqlx::query_as(&sql).bind(email).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn delete_user(&self, id: uuid::Uuid) -> $crate::Result<bool> {
                let done = sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_event(&self, event: &$crate::NewEvent) -> $crate::Result<uuid::Uuid> {
                sqlx::query(
                    "INSERT INTO events (id, type, user_id, actor_id, service_key, data, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(event.id)
                .bind(&event.kind)
                .bind(event.user_id)
                .bind(event.actor_id)
                .bind(event.service.map($crate::db_enum::Db))
                .bind(sqlx::types::Json(&event.data))
                .bind(event.at)
                .execute(&self.pool)
                .await?;
                Ok(event.id)
            }

            async fn list_events(
                &self,
                filter: &$crate::EventFilter,
            ) -> $crate::Result<Vec<$crate::Event>> {
                let sql = format!(
                    "SELECT {} FROM events \
                     WHERE ($1 IS NULL OR type = $1) AND ($2 IS NULL OR user_id = $2) \
                       AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4)) \
                       AND ($6 IS NULL OR service_key = $6) \
                       AND ($7 IS NULL OR created_at >= $7) AND ($8 IS NULL OR created_at < $8) \
                     ORDER BY created_at DESC, id DESC LIMIT $5",
                    $crate::shared::EVENT_COLUMNS
                );
                let rows: Vec<$crate::shared::EventRow> = sqlx::query_as(&sql)
                    .bind(filter.kind.as_deref())
                    .bind(filter.user_id)
                    .bind(filter.before.map(|(at, _)| at))
                    .bind(filter.before.map(|(_, id)| id))
                    .bind(i64::from(filter.limit.clamp(1, 1000)))
                    .bind(filter.service.map(|k| k.as_str()))
                    .bind(filter.from)
                    .bind(filter.to)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn enqueue_job(&self, job: &$crate::NewJob) -> $crate::Result<uuid::Uuid> {
                let inserted: Option<uuid::Uuid> = sqlx::query_scalar(
                    "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, \
                         dedupe_key, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7) \
                     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                )
                .bind(job.id)
                .bind(&job.kind)
                .bind(sqlx::types::Json(&job.payload))
                .bind(job.max_attempts)
                .bind(job.run_at)
                .bind(job.dedupe_key.as_deref())
                .bind(job.now)
                .fetch_optional(&self.pool)
                .await?;
                match inserted {
                    Some(id) => Ok(id),
                    None => Ok(sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
                        .bind(job.dedupe_key.as_deref())
                        .fetch_one(&self.pool)
                        .await?),
                }
            }

            async fn claim_job(
                &self,
                worker: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease: std::time::Duration,
            ) -> $crate::Result<Option<$crate::Job>> {
                let lease = chrono::Duration::from_std(lease)
                    .map_err(|e| $crate::StoreError::Config(format!("job lease: {e}")))?;
                let row: Option<$crate::shared::JobRow> = sqlx::query_as(&$claim_sql)
                    .bind(worker)
                    .bind(now)
                    .bind(now + lease)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn complete_job(
                &self,
                id: uuid::Uuid,
                worker: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, \
                         last_error = NULL, updated_at = $3 \
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(worker)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn fail_job(
                &self,
                id: uuid::Uuid,
                worker: &str,
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let state = if retry_at.is_some() {
                    konqer_domain::JobState::Queued
                } else {
                    konqer_domain::JobState::Dead
                };
                let done = sqlx::query(
                    "UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = $5, \
                         locked_by = NULL, locked_until = NULL, updated_at = $6 \
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(worker)
                .bind($crate::db_enum::Db(state))
                .bind(retry_at)
                .bind(error)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_job(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::Job>> {
                let sql = format!("SELECT {} FROM jobs WHERE id = $1", $crate::shared::JOB_COLUMNS);
                let row: Option<$crate::shared::JobRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn job_counts(&self) -> $crate::Result<$crate::JobCounts> {
                let rows: Vec<($crate::db_enum::Db<konqer_domain::JobState>, i64)> =
                    sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                        .fetch_all(&self.pool)
                        .await?;
                let mut counts = $crate::JobCounts::default();
                for (state, n) in rows {
                    match state.0 {
                        konqer_domain::JobState::Queued => counts.queued = n,
                        konqer_domain::JobState::Running => counts.running = n,
                        konqer_domain::JobState::Done => counts.done = n,
                        konqer_domain::JobState::Dead => counts.dead = n,
                    }
                }
                Ok(counts)
            }
        }
    };
}

pub(crate) use impl_store;
