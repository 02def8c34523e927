//! PostgreSQL back end (production): a pool with a per-connection `statement_timeout`.

use std::sync::LazyLock;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::admin_sql::impl_admin_store;
use crate::billing_sql::impl_billing_store;
use crate::generations::impl_generation_store;
use crate::identity_sql::impl_identity_store;
use crate::shared::{claim_job_sql, impl_store};
use crate::{Backend, StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");
/// A pooled connection idle this long is checked before use (see `connect`).
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(5);
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| claim_job_sql("FOR UPDATE SKIP LOCKED"));

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(options: &StoreOptions) -> crate::Result<Self> {
        let connect: PgConnectOptions = options
            .url
            .parse()
            .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        let timeout_ms = options.statement_timeout.as_millis().to_string();
        let connect = connect
            .application_name("konqer")
            .options([("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections)
            .acquire_timeout(options.acquire_timeout)
            // sqlx pings every connection it hands out by default: one more round trip per
            // statement. Only a connection that sat idle is pinged (and replaced if dead);
            // under load none is, and a connection lost mid-load fails one statement.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(connect);
        Ok(PgStore { pool })
    }
}

impl_store!(PgStore, backend: Backend::Postgres, migrator: MIGRATOR, claim_sql: *CLAIM_SQL);
impl_identity_store!(PgStore);
impl_billing_store!(PgStore);
impl_generation_store!(PgStore);
impl_admin_store!(PgStore);
