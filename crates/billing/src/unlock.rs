//! The rolling unlock: when a service's release passes, every member whose subscription
//! covers it gets a `service_access` row and — if they subscribed before the release — one
//! unlock email. Safe with any number of workers at once: the access row's primary key and
//! the email's dedupe key make each grant and each email happen exactly once.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use konqer_domain::catalog::release_at;
use konqer_domain::Clock;
use konqer_jobs::{JobError, JobHandler};
use konqer_mail::templates;
use konqer_store::{Job, OutboxEmail, Store, StoreError};

pub const JOB_KIND: &str = "unlock.sweep";
/// How often the sweep runs; a release is acted on within this of passing.
pub const EVERY: Duration = Duration::minutes(5);

/// Grants every due access and queues the unlock emails; returns how many were granted.
pub async fn sweep(
    store: &dyn Store,
    launch: NaiveDate,
    web_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut granted = 0;
    for config in store.list_service_configs().await? {
        let released_at = release_at(launch, config.release_offset_days);
        if !config.enabled || released_at > now {
            continue;
        }
        for member in store.unlock_candidates(config.key, now).await? {
            let email = (member.subscribed_at < released_at).then(|| {
                let rendered = templates::unlocked(
                    &member.name,
                    &config.name,
                    &format!("{web_url}/services/{}/", config.slug),
                );
                OutboxEmail {
                    user_id: Some(member.user_id),
                    kind: "unlock".to_owned(),
                    to_address: member.email.clone(),
                    subject: rendered.subject,
                    body_text: rendered.text,
                    body_html: Some(rendered.html),
                    dedupe_key: format!("unlock:{}:{}", member.user_id, config.key),
                }
            });
            if store
                .grant_access(member.user_id, config.key, email.as_ref(), now)
                .await?
            {
                granted += 1;
            }
        }
    }
    Ok(granted)
}

/// The `unlock.sweep` job: sweeps, then schedules the next sweep (one per slot, however many
/// replicas schedule it).
pub struct UnlockSweep {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub launch: NaiveDate,
    pub web_url: String,
}

impl UnlockSweep {
    /// Queues the sweep for the current slot; call at start-up.
    pub async fn schedule(store: &dyn Store, now: DateTime<Utc>) -> Result<(), StoreError> {
        let slot = slot(now);
        konqer_jobs::enqueue(
            store,
            JOB_KIND,
            serde_json::json!({}),
            slot,
            now,
            Some(format!("{JOB_KIND}:{}", slot.timestamp())),
        )
        .await
        .map(|_| ())
    }
}

/// The start of the sweep slot containing `at`.
fn slot(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = EVERY.num_seconds();
    DateTime::from_timestamp(at.timestamp() - at.timestamp().rem_euclid(secs), 0).unwrap_or(at)
}

#[async_trait]
impl JobHandler for UnlockSweep {
    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        let now = self.clock.now();
        let granted = sweep(self.store.as_ref(), self.launch, &self.web_url, now)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if granted > 0 {
            tracing::info!(granted, "rolling unlock granted access");
        }
        let next = slot(now) + EVERY;
        konqer_jobs::enqueue(
            self.store.as_ref(),
            JOB_KIND,
            serde_json::json!({}),
            next,
            now,
            Some(format!("{JOB_KIND}:{}", next.timestamp())),
        )
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }
}
