//! Background jobs: a handler per job kind, and a runner that claims due jobs from the
//! database (any number of runners, on any number of replicas), runs them with bounded
//! concurrency, and retries failures with exponential backoff until they are done or dead.

mod backoff;
mod runner;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use konqer_store::{Job, NewJob, Store, StoreError};
use uuid::Uuid;

pub use backoff::Backoff;
pub use runner::{Runner, RunnerOptions};

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (network, upstream 5xx, lock timeout…).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (bad payload, deleted subject): the job goes dead at once.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

#[async_trait]
impl<T: JobHandler> JobHandler for Arc<T> {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        (**self).run(job).await
    }
}

/// The job kinds this process knows how to run.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(mut self, kind: impl Into<String>, handler: impl JobHandler) -> Self {
        self.handlers.insert(kind.into(), Arc::new(handler));
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.handlers.get(kind)
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }
}

/// Enqueues a job to run at `run_at` (now, for immediate work), at most `max_attempts` times.
pub async fn enqueue(
    store: &dyn Store,
    kind: &str,
    payload: serde_json::Value,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
    dedupe_key: Option<String>,
) -> Result<Uuid, StoreError> {
    store
        .enqueue_job(&NewJob {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            payload,
            run_at,
            max_attempts: 5,
            dedupe_key,
            now,
        })
        .await
}
