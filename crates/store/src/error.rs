use thiserror::Error;

/// What can go wrong in storage, in terms the layers above can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint said no; `constraint` names it when the database does.
    #[error("conflict with existing data ({constraint})")]
    Conflict { constraint: String },
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A value the schema rejects (check or foreign-key constraint).
    #[error("rejected by the database: {0}")]
    Invalid(String),
    /// The database URL or options are unusable.
    #[error("{0}")]
    Config(String),
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(err.to_string())
            }
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Conflict {
                    constraint: db.constraint().unwrap_or("unique").to_owned(),
                },
                ErrorKind::ForeignKeyViolation
                | ErrorKind::CheckViolation
                | ErrorKind::NotNullViolation => StoreError::Invalid(db.message().to_owned()),
                _ => StoreError::Database(err),
            },
            _ => StoreError::Database(err),
        }
    }
}
