//! The `email.send` job: sends one outbox row through the configured transport and marks it
//! sent. Claiming is exactly-once but a worker can die between sending and marking, so a
//! message may be sent twice in that rare case — never zero times; the file sink even
//! overwrites its own earlier copy.

use std::sync::Arc;

use async_trait::async_trait;
use konqer_domain::Clock;
use konqer_jobs::{JobError, JobHandler};
use konqer_store::{Job, Store};
use uuid::Uuid;

use crate::message::Outgoing;
use crate::transport::{SendError, Transport};
use crate::unsubscribe::{is_marketing, UnsubscribeLinks};

pub const JOB_KIND: &str = konqer_store::SEND_EMAIL_JOB;

pub struct SendEmail {
    pub store: Arc<dyn Store>,
    pub transport: Arc<dyn Transport>,
    pub clock: Arc<dyn Clock>,
    pub from: String,
    /// Marketing emails carry a one-click unsubscribe link made with these.
    pub unsubscribe: Arc<UnsubscribeLinks>,
}

#[async_trait]
impl JobHandler for SendEmail {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let id: Uuid = job
            .payload
            .get("outbox_id")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| JobError::Permanent("payload lacks outbox_id".to_owned()))?;
        let email = self
            .store
            .queued_email(id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
            .ok_or_else(|| JobError::Permanent(format!("outbox row {id} is gone")))?;
        if email.sent {
            return Ok(());
        }
        let marketing = is_marketing(&email.kind);
        if marketing && email.marketing_opt_out {
            // Decided at send time: an unsubscribe between queueing and sending still counts.
            let _ = self
                .store
                .record_email_failure(id, "not sent: the recipient unsubscribed", true)
                .await;
            tracing::info!(outbox_id = %id, kind = %email.kind, "marketing email skipped: unsubscribed");
            return Ok(());
        }
        let unsubscribe = match (marketing, email.user_id) {
            (true, Some(user_id)) => Some(self.unsubscribe.url(user_id)),
            _ => None,
        };
        let (text, html) = match &unsubscribe {
            None => (email.body_text.clone(), email.body_html.clone()),
            Some(url) => (
                format!(
                    "{}\n\n--\nNo more offers like this: {url}\n",
                    email.body_text
                ),
                email.body_html.as_ref().map(|html| {
                    let footer = format!(
                        "<p style=\"font-size:12px;color:#64748b\">No more offers like this? \
                         <a href=\"{}\">Unsubscribe</a>.</p>",
                        url.replace('&', "&amp;")
                    );
                    match html.rfind("</body>") {
                        Some(at) => format!("{}{footer}{}", &html[..at], &html[at..]),
                        None => format!("{html}{footer}"),
                    }
                }),
            ),
        };
        let message = Outgoing {
            id: email.id,
            from: self.from.clone(),
            to: email.to_address.clone(),
            subject: email.subject.clone(),
            text,
            html,
            date: self.clock.now(),
            list_unsubscribe: unsubscribe,
        };
        match self.transport.send(&message).await {
            Ok(()) => {
                self.store
                    .mark_email_sent(id, self.clock.now())
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                tracing::info!(outbox_id = %id, kind = %email.kind, transport = self.transport.name(), "email sent");
                Ok(())
            }
            Err(SendError::Transient(e)) => {
                let _ = self.store.record_email_failure(id, &e, false).await;
                Err(JobError::Retry(e))
            }
            Err(SendError::Permanent(e)) => {
                let _ = self.store.record_email_failure(id, &e, true).await;
                Err(JobError::Permanent(e))
            }
        }
    }
}
