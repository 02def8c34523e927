//! The Resend HTTP API: `POST {base}/emails` with a bearer key and a JSON body
//! `{from, to, subject, html, text, headers}`. One attempt per call; the `email.send` job
//! retries with backoff. Each outbox row is sent with `Idempotency-Key: konqer-<outbox id>`,
//! so a retry after a lost answer is not a second email (Resend keeps keys for 24 hours).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use konqer_domain::Secret;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Serialize;

use super::{SendError, Transport};
use crate::message::Outgoing;

pub const DEFAULT_BASE_URL: &str = "https://api.resend.com";
const USER_AGENT: &str = concat!("konqer/", env!("CARGO_PKG_VERSION"));
const EXCERPT_CHARS: usize = 300;

#[derive(Debug, Clone)]
pub struct ResendSettings {
    /// `https://api.resend.com`, or a stand-in's URL; without a trailing slash.
    pub base_url: String,
    pub api_key: Secret<String>,
    pub connect_timeout: Duration,
    /// For the whole exchange.
    pub timeout: Duration,
}

impl ResendSettings {
    pub fn new(base_url: &str, api_key: Secret<String>) -> ResendSettings {
        ResendSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
        }
    }
}

pub struct Resend {
    client: reqwest::Client,
    endpoint: String,
    api_key: Secret<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'static str, String>,
}

impl Resend {
    pub fn new(settings: &ResendSettings) -> Result<Resend, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Resend {
            client,
            endpoint: format!("{}/emails", settings.base_url),
            api_key: settings.api_key.clone(),
        })
    }
}

/// The RFC 8058 pair, for marketing messages.
pub(crate) fn unsubscribe_headers(message: &Outgoing) -> BTreeMap<&'static str, String> {
    match &message.list_unsubscribe {
        None => BTreeMap::new(),
        Some(url) => BTreeMap::from([
            ("List-Unsubscribe", format!("<{url}>")),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ]),
    }
}

#[async_trait]
impl Transport for Resend {
    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let headers = unsubscribe_headers(message);
        let body = Body {
            from: &message.from,
            to: [&message.to],
            subject: &message.subject,
            text: &message.text,
            html: message.html.as_deref(),
            headers,
        };
        let body = serde_json::to_vec(&body)
            .map_err(|e| SendError::Permanent(format!("cannot encode the message: {e}")))?;
        let response = self
            .client
            .post(&self.endpoint)
            .header(AUTHORIZATION, format!("Bearer {}", self.api_key.expose()))
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", format!("konqer-{}", message.id))
            .body(body)
            .send()
            .await
            .map_err(|e| {
                SendError::Transient(format!("Resend could not be reached: {}", e.without_url()))
            })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let detail = format!("Resend answered HTTP {status}: {}", excerpt(&text));
        // 400 and 422 say this message will never be accepted. 401/403 (key, domain), 404
        // (base URL), 409 (same key in flight), 429 and 5xx can all pass later: retried.
        if matches!(status, 400 | 422) {
            Err(SendError::Permanent(detail))
        } else {
            Err(SendError::Transient(detail))
        }
    }

    fn name(&self) -> &'static str {
        "resend"
    }
}

/// The start of an error body, on one line; Resend's errors carry no secrets, but a proxy's
/// page could be long.
fn excerpt(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    flat.trim().to_owned()
}
