//! What the service engine needs from storage: the exact daily quota (one atomic reservation
//! per request, released when the request fails), the generations a user can page through,
//! read and delete — only ever their own — and the enrichment providers' cached answers.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use konqer_domain::{entitlement, ServiceKey};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generation {
    pub id: Uuid,
    pub user_id: Uuid,
    pub service: ServiceKey,
    pub input: Value,
    pub output: Value,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

/// A page of a user's generations, newest first; `before` is the keyset cursor.
#[derive(Debug, Clone)]
pub struct GenerationFilter {
    pub user_id: Uuid,
    pub service: Option<ServiceKey>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

#[async_trait]
pub trait GenerationStore: Send + Sync + 'static {
    /// Gives back a unit taken by `admit` (access refused, or the request failed).
    async fn release_quota(&self, user_id: Uuid, service: ServiceKey, day: NaiveDate)
        -> Result<()>;
    /// Admission to a generation in one round trip (one write transaction on SQLite): what
    /// deciding the user's access needs — their subscriptions and whether an operator locked
    /// the service for them (the lock only matters once a subscription covers the service, so
    /// with none it reads as unlocked) — and one unit of the day's quota, taken atomically
    /// (none when the limit is reached or is 0: nothing changes then). The unit is taken
    /// before access is decided, so a caller that refuses access must give a reserved unit
    /// back with `release_quota`.
    async fn admit(
        &self,
        user_id: Uuid,
        service: ServiceKey,
        day: NaiveDate,
        limit: i32,
    ) -> Result<Admission>;
    async fn insert_generation(&self, generation: &Generation) -> Result<()>;
    /// Stores a generation and its event together: both or neither (one statement on
    /// PostgreSQL, one transaction on SQLite).
    async fn insert_generation_with_event(
        &self,
        generation: &Generation,
        event: &crate::NewEvent,
    ) -> Result<()>;
    async fn list_generations(&self, filter: &GenerationFilter) -> Result<Vec<Generation>>;
    /// The user's own generation; another user's id reads as absent.
    async fn get_generation(&self, user_id: Uuid, id: Uuid) -> Result<Option<Generation>>;
    async fn delete_generation(&self, user_id: Uuid, id: Uuid) -> Result<bool>;

    /// A provider's cached answer to a lookup, with when it was fetched; the caller decides
    /// whether it is still fresh.
    async fn cached_enrichment(
        &self,
        provider: &str,
        lookup_key: &str,
    ) -> Result<Option<(Value, DateTime<Utc>)>>;
    /// Keeps a provider's answer, replacing an older one for the same lookup.
    async fn cache_enrichment(
        &self,
        provider: &str,
        lookup_key: &str,
        response: &Value,
        fetched_at: DateTime<Utc>,
    ) -> Result<()>;
}

/// What [`GenerationStore::admit`] found and took.
#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    /// The user's subscriptions, oldest first.
    pub subscriptions: Vec<entitlement::Subscription>,
    /// An operator locked this service for the user.
    pub locked_by_admin: bool,
    /// Units used today counting the one just reserved; `None` when the limit was reached
    /// (nothing was taken).
    pub reserved: Option<i32>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct GenerationRow {
    id: Uuid,
    user_id: Uuid,
    service_key: crate::db_enum::Db<ServiceKey>,
    input: sqlx::types::Json<Value>,
    output: sqlx::types::Json<Value>,
    metadata: sqlx::types::Json<Value>,
    created_at: DateTime<Utc>,
}

impl From<GenerationRow> for Generation {
    fn from(r: GenerationRow) -> Self {
        Generation {
            id: r.id,
            user_id: r.user_id,
            service: r.service_key.0,
            input: r.input.0,
            output: r.output.0,
            metadata: r.metadata.0,
            created_at: r.created_at,
        }
    }
}

/// One row of an admission: a subscription (all `None` when the user has none: the join is
/// outer so that the reservation and the lock always come back) with the lock and the
/// reservation beside it.
#[derive(sqlx::FromRow)]
pub(crate) struct AdmissionRow {
    pub reserved: Option<i32>,
    pub locked_by_admin: bool,
    pub plan: Option<crate::db_enum::Db<konqer_domain::Plan>>,
    pub service_key: Option<crate::db_enum::Db<ServiceKey>>,
    pub status: Option<crate::db_enum::Db<konqer_domain::SubscriptionStatus>>,
    pub current_period_end: Option<DateTime<Utc>>,
}

/// The reservation: the insert takes the first unit, the conditional update the next ones,
/// and a full counter makes the update (and so the statement) a no-op.
pub(crate) const RESERVE_SQL: &str =
    "INSERT INTO usage_counters (user_id, service_key, day, used) VALUES ($1, $2, $3, 1) \
     ON CONFLICT (user_id, service_key, day) DO UPDATE SET used = usage_counters.used + 1 \
     WHERE usage_counters.used < $4 RETURNING used";

/// The admission's read, with `reserved` as the reservation answered.
fn admission_select(reserved: &str) -> String {
    format!(
        "SELECT {reserved} AS reserved, \
         EXISTS (SELECT 1 FROM service_access a WHERE a.user_id = $1 AND a.service_key = $2 \
         AND a.locked_by_admin) AS locked_by_admin, \
         s.plan, s.service_key, s.status, s.current_period_end \
         FROM (SELECT 1) AS one LEFT JOIN subscriptions s ON s.user_id = $1 \
         ORDER BY s.created_at, s.id"
    )
}

/// The read alone (`$1` user, `$2` service): after SQLite's reservation, or when nothing may
/// be reserved.
pub(crate) static ADMISSION_READ: LazyLock<String> =
    LazyLock::new(|| admission_select("CAST(NULL AS integer)"));

/// Reservation and read in one PostgreSQL statement (`$3` day, `$4` limit): the writable CTE
/// runs exactly once.
pub(crate) static ADMISSION_RESERVE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH reserved AS ({RESERVE_SQL}) {}",
        admission_select("(SELECT used FROM reserved)")
    )
});

pub(crate) fn admission(rows: Vec<AdmissionRow>, reserved: Option<i32>) -> Admission {
    let subscriptions: Vec<entitlement::Subscription> = rows
        .iter()
        .filter_map(|r| {
            Some(entitlement::Subscription {
                plan: r.plan?.0,
                service: r.service_key.map(|k| k.0),
                status: r.status?.0,
                current_period_end: r.current_period_end,
            })
        })
        .collect();
    let locked_by_admin =
        !subscriptions.is_empty() && rows.first().is_some_and(|r| r.locked_by_admin);
    Admission {
        subscriptions,
        locked_by_admin,
        reserved: reserved.or_else(|| rows.first().and_then(|r| r.reserved)),
    }
}

pub(crate) const GENERATION_COLUMNS: &str =
    "id, user_id, service_key, input, output, metadata, created_at";

macro_rules! impl_generation_store {
    ($Store:ty) => {
        #[async_trait::async_trait]
        impl $crate::GenerationStore for $Store {
            async fn release_quota(
                &self,
                user_id: uuid::Uuid,
                service: konqer_domain::ServiceKey,
                day: chrono::NaiveDate,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "UPDATE usage_counters SET used = used - 1 \
                     WHERE user_id = $1 AND service_key = $2 AND day = $3 AND used > 0",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(service))
                .bind(day)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn admit(
                &self,
                user_id: uuid::Uuid,
                service: konqer_domain::ServiceKey,
                day: chrono::NaiveDate,
                limit: i32,
            ) -> $crate::Result<$crate::generations::Admission> {
                use $crate::generations::{
                    admission, AdmissionRow, ADMISSION_READ, ADMISSION_RESERVE, RESERVE_SQL,
                };
                let key = $crate::db_enum::Db(service);
                if limit <= 0 {
                    // Nothing may be reserved: read only.
                    let rows: Vec<AdmissionRow> = sqlx::query_as(ADMISSION_READ.as_str())
                        .bind(user_id)
                        .bind(key)
                        .fetch_all(&self.pool)
                        .await?;
                    return Ok(admission(rows, None));
                }
                if matches!($crate::Store::backend(self), $crate::Backend::Postgres) {
                    let rows: Vec<AdmissionRow> = sqlx::query_as(ADMISSION_RESERVE.as_str())
                        .bind(user_id)
                        .bind(key)
                        .bind(day)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(admission(rows, None))
                } else {
                    // SQLite has no writable CTEs; a local transaction costs no round trips.
                    let mut tx = self.pool.begin().await?;
                    let reserved: Option<i32> = sqlx::query_scalar(RESERVE_SQL)
                        .bind(user_id)
                        .bind(key)
                        .bind(day)
                        .bind(limit)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let rows: Vec<AdmissionRow> = sqlx::query_as(ADMISSION_READ.as_str())
                        .bind(user_id)
                        .bind(key)
                        .fetch_all(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(admission(rows, reserved))
                }
            }

            async fn insert_generation(&self, g: &$crate::Generation) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO generations (id, user_id, service_key, input, output, metadata, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(g.id)
                .bind(g.user_id)
                .bind($crate::db_enum::Db(g.service))
                .bind(sqlx::types::Json(&g.input))
                .bind(sqlx::types::Json(&g.output))
                .bind(sqlx::types::Json(&g.metadata))
                .bind(g.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn insert_generation_with_event(
                &self,
                g: &$crate::Generation,
                e: &$crate::NewEvent,
            ) -> $crate::Result<()> {
                const GENERATION: &str =
                    "INSERT INTO generations (id, user_id, service_key, input, output, metadata, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)";
                let event_sql = |first: usize| {
                    let p: Vec<String> = (first..first + 7).map(|i| format!("${i}")).collect();
                    format!(
                        "INSERT INTO events (id, type, user_id, actor_id, service_key, data, created_at) \
                         VALUES ({})",
                        p.join(", ")
                    )
                };
                macro_rules! bind_generation {
                    ($q:expr) => {
                        $q.bind(g.id)
                            .bind(g.user_id)
                            .bind($crate::db_enum::Db(g.service))
                            .bind(sqlx::types::Json(&g.input))
                            .bind(sqlx::types::Json(&g.output))
                            .bind(sqlx::types::Json(&g.metadata))
                            .bind(g.created_at)
                    };
                }
                macro_rules! bind_event {
                    ($q:expr) => {
                        $q.bind(e.id)
                            .bind(&e.kind)
                            .bind(e.user_id)
                            .bind(e.actor_id)
                            .bind(e.service.map($crate::db_enum::Db))
                            .bind(sqlx::types::Json(&e.data))
                            .bind(e.at)
                    };
                }
                if matches!($crate::Store::backend(self), $crate::Backend::Postgres) {
                    // One statement: one round trip, and atomic by itself.
                    let sql = format!("WITH g AS ({GENERATION}) {}", event_sql(8));
                    bind_event!(bind_generation!(sqlx::query(&sql)))
                        .execute(&self.pool)
                        .await?;
                } else {
                    // SQLite has no writable CTEs; a local transaction costs no round trips.
                    let mut tx = self.pool.begin().await?;
                    bind_generation!(sqlx::query(GENERATION))
                        .execute(&mut *tx)
                        .await?;
                    bind_event!(sqlx::query(&event_sql(1)))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok(())
            }

            async fn list_generations(
                &self,
                f: &$crate::GenerationFilter,
            ) -> $crate::Result<Vec<$crate::Generation>> {
                let sql = format!(
                    "SELECT {} FROM generations WHERE user_id = $1 AND ($2 IS NULL OR service_key = $2) \
                     AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4)) \
                     ORDER BY created_at DESC, id DESC LIMIT $5",
                    $crate::generations::GENERATION_COLUMNS
                );
                let rows: Vec<$crate::generations::GenerationRow> = sqlx::query_as(&sql)
                    .bind(f.user_id)
                    .bind(f.service.map($crate::db_enum::Db))
                    .bind(f.before.map(|(at, _)| at))
                    .bind(f.before.map(|(_, id)| id))
                    .bind(i64::from(f.limit.clamp(1, 100)))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn get_generation(
                &self,
                user_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::Generation>> {
                let sql = format!(
                    "SELECT {} FROM generations WHERE id = $1 AND user_id = $2",
                    $crate::generations::GENERATION_COLUMNS
                );
                let row: Option<$crate::generations::GenerationRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn delete_generation(&self, user_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<bool> {
                let done = sqlx::query("DELETE FROM generations WHERE id = $1 AND user_id = $2")
                    .bind(id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn cached_enrichment(
                &self,
                provider: &str,
                lookup_key: &str,
            ) -> $crate::Result<Option<(serde_json::Value, chrono::DateTime<chrono::Utc>)>> {
                let row: Option<(sqlx::types::Json<serde_json::Value>, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as(
                        "SELECT response, fetched_at FROM enrichment_cache \
                         WHERE provider = $1 AND lookup_key = $2",
                    )
                    .bind(provider)
                    .bind(lookup_key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(response, at)| (response.0, at)))
            }

            async fn cache_enrichment(
                &self,
                provider: &str,
                lookup_key: &str,
                response: &serde_json::Value,
                fetched_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO enrichment_cache (provider, lookup_key, response, fetched_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (provider, lookup_key) \
                     DO UPDATE SET response = excluded.response, fetched_at = excluded.fetched_at",
                )
                .bind(provider)
                .bind(lookup_key)
                .bind(sqlx::types::Json(response))
                .bind(fetched_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_generation_store;
