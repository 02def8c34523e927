//! SQLite back end (the embedded default): one file in the data directory, WAL journal,
//! foreign keys enforced on every connection.

use std::str::FromStr;
use std::sync::LazyLock;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::admin_sql::impl_admin_store;
use crate::billing_sql::impl_billing_store;
use crate::generations::impl_generation_store;
use crate::identity_sql::impl_identity_store;
use crate::shared::{claim_job_sql, impl_store};
use crate::{Backend, StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| claim_job_sql(""));

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(options: &StoreOptions) -> crate::Result<Self> {
        let connect = SqliteConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::Config(format!("invalid SQLite URL: {e}")))?;
        let path = connect.get_filename().to_path_buf();
        if path.as_os_str() == ":memory:" {
            // Every pooled connection would get its own empty database.
            return Err(StoreError::Config(
                "in-memory SQLite is not supported; use a file path".to_owned(),
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.statement_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        Ok(SqliteStore { pool })
    }
}

impl_store!(SqliteStore, backend: Backend::Sqlite, migrator: MIGRATOR, claim_sql: *CLAIM_SQL);
impl_identity_store!(SqliteStore);
impl_billing_store!(SqliteStore);
impl_generation_store!(SqliteStore);
impl_admin_store!(SqliteStore);
