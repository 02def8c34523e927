//! The claim–run–settle loop. Exactly-once claiming is the store's job (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL); the runner's is to settle every claimed job — done, retried later,
//! or dead — and to stop cleanly, finishing what it holds.

use std::sync::Arc;
use std::time::Duration;

use konqer_domain::Clock;
use konqer_store::{Job, Store};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::{Backoff, JobError, Registry};

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Names this runner in `jobs.locked_by`; unique per runner.
    pub worker_id: String,
    /// Jobs run at once by this runner.
    pub concurrency: usize,
    /// How long to sleep when no job is due.
    pub poll_interval: Duration,
    /// How long a claim holds; a job still running after this is presumed lost and may be
    /// claimed by another runner. Handlers are cut off before it runs out.
    pub lease: Duration,
    pub backoff: Backoff,
    /// How long to wait for running jobs at shutdown.
    pub shutdown_grace: Duration,
}

impl RunnerOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        RunnerOptions {
            worker_id: worker_id.into(),
            concurrency: 4,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            backoff: Backoff::default(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

pub struct Runner {
    store: Arc<dyn Store>,
    registry: Registry,
    clock: Arc<dyn Clock>,
    options: RunnerOptions,
}

impl Runner {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Registry,
        clock: Arc<dyn Clock>,
        options: RunnerOptions,
    ) -> Self {
        Runner {
            store,
            registry,
            clock,
            options,
        }
    }

    /// Runs until `shutdown` turns true, then waits (bounded) for the jobs in hand.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.options.concurrency.max(1)));
        let mut running = JoinSet::new();
        let mut store_errors = 0u32;
        tracing::info!(worker = %this.options.worker_id, "job runner started");
        while !*shutdown.borrow() {
            while running.try_join_next().is_some() {}
            let permit = tokio::select! {
                permit = slots.clone().acquire_owned() => permit.expect("semaphore is never closed"),
                _ = shutdown.changed() => break,
            };
            let now = this.clock.now();
            match this
                .store
                .claim_job(&this.options.worker_id, now, this.options.lease)
                .await
            {
                Ok(Some(job)) => {
                    store_errors = 0;
                    let this = this.clone();
                    running.spawn(async move {
                        this.settle(job).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    store_errors = 0;
                    drop(permit);
                    sleep_or_shutdown(this.options.poll_interval, &mut shutdown).await;
                }
                Err(err) => {
                    drop(permit);
                    store_errors = store_errors.saturating_add(1);
                    let pause = this
                        .options
                        .backoff
                        .jittered(store_errors)
                        .min(Duration::from_secs(30));
                    tracing::warn!(error = %err, retry_in = ?pause, "claiming a job failed");
                    sleep_or_shutdown(pause, &mut shutdown).await;
                }
            }
        }
        let grace = this.options.shutdown_grace;
        if tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            tracing::warn!(jobs = running.len(), "jobs still running at shutdown; their leases will expire and another worker will retry them");
            running.abort_all();
        }
        tracing::info!(worker = %this.options.worker_id, "job runner stopped");
    }

    /// Runs one claimed job and records the outcome.
    async fn settle(self: Arc<Self>, job: Job) {
        let outcome = if job.attempts > job.max_attempts {
            // Reclaimed after its last attempt's worker vanished.
            Err(JobError::Permanent(format!(
                "gave up after {} attempts",
                job.max_attempts
            )))
        } else {
            self.execute(&job).await
        };
        let worker = &self.options.worker_id;
        let now = self.clock.now();
        let settled = match outcome {
            Ok(()) => self.store.complete_job(job.id, worker, now).await,
            Err(err) => {
                let retry_at = match &err {
                    JobError::Retry(_) if job.attempts < job.max_attempts => {
                        let delay = self.options.backoff.jittered(job.attempts.max(1) as u32);
                        chrono::Duration::from_std(delay).ok().map(|d| now + d)
                    }
                    _ => None,
                };
                match retry_at {
                    Some(at) => {
                        tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, retry_at = %at, "job failed; will retry")
                    }
                    None => {
                        tracing::error!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, "job failed for good")
                    }
                }
                self.store
                    .fail_job(job.id, worker, &err.to_string(), retry_at, now)
                    .await
            }
        };
        match settled {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %job.id, "lease lost before the job was settled"),
            Err(err) => {
                tracing::error!(job = %job.id, error = %err, "could not record the job's outcome; its lease will expire and it will run again")
            }
        }
    }

    /// Calls the handler with a deadline inside the lease, turning panics into retries.
    async fn execute(&self, job: &Job) -> Result<(), JobError> {
        let Some(handler) = self.registry.get(&job.kind).cloned() else {
            return Err(JobError::Permanent(format!(
                "no handler for job kind {:?}",
                job.kind
            )));
        };
        let deadline = self.options.lease.mul_f64(0.9);
        let job_for_task = job.clone();
        let mut task = tokio::spawn(async move { handler.run(&job_for_task).await });
        match tokio::time::timeout(deadline, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(JobError::Retry(format!("handler panicked: {join}"))),
            Err(_) => {
                task.abort();
                Err(JobError::Retry(format!("timed out after {deadline:?}")))
            }
        }
    }
}

async fn sleep_or_shutdown(pause: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = shutdown.changed() => {}
    }
}
