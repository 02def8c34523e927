//! The job runner against real databases: exactly-once execution across runners, retries
//! with backoff, the dead state, and a clean stop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use konqer_domain::{JobState, SystemClock};
use konqer_jobs::{enqueue, Backoff, JobError, JobHandler, Registry, Runner, RunnerOptions};
use konqer_store::testing::TestDb;
use konqer_store::{Job, Store};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

konqer_store::both_backends!(
    three_runners_run_a_thousand_jobs_each_exactly_once,
    a_failing_job_is_retried_until_it_succeeds,
    a_job_that_always_fails_goes_dead_after_its_attempts,
    a_permanent_failure_goes_dead_at_once,
    a_job_of_unknown_kind_goes_dead,
    a_panicking_handler_is_retried_not_fatal,
    a_scheduled_job_waits_for_its_time,
    shutdown_lets_the_running_job_finish,
);

/// Counts runs per job id; fails the first `fail_first` runs of every job.
#[derive(Default)]
struct Counting {
    runs: Mutex<HashMap<Uuid, u32>>,
    fail_first: u32,
    permanent: bool,
    panic: bool,
    pause: Option<Duration>,
}

#[async_trait]
impl JobHandler for Counting {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        if let Some(pause) = self.pause {
            tokio::time::sleep(pause).await;
        }
        let n = {
            let mut runs = self.runs.lock().unwrap();
            let n = runs.entry(job.id).or_default();
            *n += 1;
            *n
        };
        if n <= self.fail_first {
            if self.panic {
                panic!("handler bug");
            }
            return Err(if self.permanent {
                JobError::Permanent("bad payload".into())
            } else {
                JobError::Retry("upstream 503".into())
            });
        }
        Ok(())
    }
}

fn fast(worker: &str) -> RunnerOptions {
    RunnerOptions {
        poll_interval: Duration::from_millis(10),
        backoff: Backoff {
            base: Duration::from_millis(20),
            max: Duration::from_millis(100),
        },
        ..RunnerOptions::new(worker)
    }
}

fn start(
    store: &Arc<dyn Store>,
    registry: Registry,
    options: RunnerOptions,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let runner = Runner::new(store.clone(), registry, Arc::new(SystemClock), options);
    (stop, tokio::spawn(runner.run(stopped)))
}

async fn add(store: &dyn Store, kind: &str, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            enqueue(store, kind, json!({"i": i}), Utc::now(), Utc::now(), None)
                .await
                .unwrap(),
        );
    }
    ids
}

/// Polls until `check` holds; fails the test after a generous bound instead of hanging.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..2_000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Runs one runner until job `id` reaches `state`, then stops it.
async fn run_until(store: &Arc<dyn Store>, registry: Registry, id: Uuid, state: JobState) {
    let (stop, task) = start(store, registry, fast("w"));
    until(&format!("job {state}"), async || {
        state_of(store.as_ref(), id).await.state == state
    })
    .await;
    stop.send(true).unwrap();
    task.await.unwrap();
}

async fn state_of(store: &dyn Store, id: Uuid) -> Job {
    store.get_job(id).await.unwrap().unwrap()
}

async fn three_runners_run_a_thousand_jobs_each_exactly_once(db: TestDb) {
    let handler = Arc::new(Counting::default());
    let ids = add(db.store.as_ref(), "count", 1000).await;
    let runners: Vec<_> = (0..3)
        .map(|w| {
            start(
                &db.store,
                Registry::new().register("count", handler.clone()),
                fast(&format!("worker-{w}")),
            )
        })
        .collect();
    until("all jobs done", async || {
        db.store.job_counts().await.unwrap().done == 1000
    })
    .await;
    for (stop, task) in runners {
        stop.send(true).unwrap();
        task.await.unwrap();
    }
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 1000);
    for id in &ids {
        assert_eq!(
            runs.get(id),
            Some(&1),
            "job {id} ran {:?} times",
            runs.get(id)
        );
    }
    let counts = db.store.job_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running, counts.dead), (0, 0, 0));
}

async fn a_failing_job_is_retried_until_it_succeeds(db: TestDb) {
    let handler = Arc::new(Counting {
        fail_first: 2,
        ..Default::default()
    });
    let id = add(db.store.as_ref(), "flaky", 1).await[0];
    run_until(
        &db.store,
        Registry::new().register("flaky", handler.clone()),
        id,
        JobState::Done,
    )
    .await;
    let job = state_of(db.store.as_ref(), id).await;
    assert_eq!(job.attempts, 3);
    assert_eq!(handler.runs.lock().unwrap()[&id], 3);
}

async fn a_job_that_always_fails_goes_dead_after_its_attempts(db: TestDb) {
    let handler = Arc::new(Counting {
        fail_first: u32::MAX,
        ..Default::default()
    });
    let id = add(db.store.as_ref(), "broken", 1).await[0];
    run_until(
        &db.store,
        Registry::new().register("broken", handler.clone()),
        id,
        JobState::Dead,
    )
    .await;
    let job = state_of(db.store.as_ref(), id).await;
    assert_eq!(job.attempts, 5);
    assert_eq!(job.last_error.as_deref(), Some("upstream 503"));
    assert_eq!(handler.runs.lock().unwrap()[&id], 5);
}

async fn a_permanent_failure_goes_dead_at_once(db: TestDb) {
    let handler = Arc::new(Counting {
        fail_first: 1,
        permanent: true,
        ..Default::default()
    });
    let id = add(db.store.as_ref(), "strict", 1).await[0];
    run_until(
        &db.store,
        Registry::new().register("strict", handler.clone()),
        id,
        JobState::Dead,
    )
    .await;
    assert_eq!(state_of(db.store.as_ref(), id).await.attempts, 1);
}

async fn a_job_of_unknown_kind_goes_dead(db: TestDb) {
    let id = add(db.store.as_ref(), "nobody-handles-this", 1).await[0];
    run_until(&db.store, Registry::new(), id, JobState::Dead).await;
    let job = state_of(db.store.as_ref(), id).await;
    assert!(job.last_error.unwrap().contains("no handler"));
}

async fn a_panicking_handler_is_retried_not_fatal(db: TestDb) {
    let handler = Arc::new(Counting {
        fail_first: 1,
        panic: true,
        ..Default::default()
    });
    let id = add(db.store.as_ref(), "buggy", 1).await[0];
    run_until(
        &db.store,
        Registry::new().register("buggy", handler.clone()),
        id,
        JobState::Done,
    )
    .await;
    assert_eq!(state_of(db.store.as_ref(), id).await.attempts, 2);
}

async fn a_scheduled_job_waits_for_its_time(db: TestDb) {
    let handler = Arc::new(Counting::default());
    let at = Utc::now() + chrono::Duration::milliseconds(300);
    let id = enqueue(db.store.as_ref(), "later", json!({}), at, Utc::now(), None)
        .await
        .unwrap();
    let (stop, task) = start(
        &db.store,
        Registry::new().register("later", handler.clone()),
        fast("w"),
    );
    until("job done", async || {
        state_of(db.store.as_ref(), id).await.state == JobState::Done
    })
    .await;
    assert!(Utc::now() >= at, "ran before its time");
    stop.send(true).unwrap();
    task.await.unwrap();
}

async fn shutdown_lets_the_running_job_finish(db: TestDb) {
    static STARTED: AtomicU32 = AtomicU32::new(0);
    struct Slow;
    #[async_trait]
    impl JobHandler for Slow {
        async fn run(&self, _job: &Job) -> Result<(), JobError> {
            STARTED.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(())
        }
    }
    let id = add(db.store.as_ref(), "slow", 1).await[0];
    let (stop, task) = start(&db.store, Registry::new().register("slow", Slow), fast("w"));
    until("job started", async || {
        state_of(db.store.as_ref(), id).await.state == JobState::Running
    })
    .await;
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(state_of(db.store.as_ref(), id).await.state, JobState::Done);
}
