//! One request to Stripe, attempted up to `max_attempts` times: network errors, timeouts, 429
//! and 5xx are retried after a jittered exponential backoff, or after `Retry-After` when
//! Stripe sends one (and `Stripe-Should-Retry` overrides the guess either way). A POST
//! carries the same `Idempotency-Key` on every attempt, so a retry after a lost answer
//! returns the object the first attempt created instead of creating a second one.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::error::{ErrorDetail, ErrorEnvelope};
use super::{Form, IdempotencyKey, StripeClient, StripeError, API_VERSION};

/// A failed attempt and whether (and when) another may follow.
struct Failed {
    error: StripeError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl StripeClient {
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &Form,
    ) -> Result<T, StripeError> {
        self.send(Method::GET, path, query, None).await
    }

    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        path: &[&str],
        form: &Form,
        key: &IdempotencyKey,
    ) -> Result<T, StripeError> {
        self.send(Method::POST, path, form, Some(key)).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        params: &Form,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, StripeError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| StripeError::Config("base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failed = match self.attempt(&method, &url, params, key).await {
                Ok(value) => return Ok(value),
                Err(failed) => failed,
            };
            // A `Retry-After` longer than we are willing to wait ends the attempts rather
            // than being cut short: coming back sooner than asked would not be honouring it.
            let too_long = failed
                .retry_after
                .is_some_and(|after| after > self.settings.max_retry_after);
            if !failed.retryable || too_long || attempt >= self.settings.max_attempts {
                return Err(failed.error);
            }
            let wait = failed
                .retry_after
                .unwrap_or_else(|| self.settings.backoff.jittered(attempt));
            // The URL holds ids, never the key; the key is only ever in the header.
            tracing::warn!(%method, path = url.path(), attempt, error = %failed.error, ?wait,
                "Stripe request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &reqwest::Url,
        params: &Form,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, Failed> {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.settings.secret_key.expose())
            .header("Stripe-Version", API_VERSION);
        request = if method == Method::GET {
            request.query(params.pairs())
        } else {
            request.form(params.pairs())
        };
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key.as_str());
        }
        let response = request.send().await.map_err(|e| Failed {
            error: transport_error(&e),
            retryable: true,
            retry_after: None,
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| Failed {
            error: transport_error(&e),
            retryable: true,
            retry_after: None,
        })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| Failed {
                error: StripeError::Decode(e.to_string()),
                retryable: false,
                retry_after: None,
            });
        }
        let mut detail = serde_json::from_slice::<ErrorEnvelope>(&body)
            .map(|envelope| envelope.error)
            .unwrap_or_else(|_| ErrorDetail {
                kind: "api_error".to_owned(),
                message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                ..ErrorDetail::default()
            });
        detail.request_id = header(&headers, "request-id").map(str::to_owned);
        let retryable = match header(&headers, "stripe-should-retry") {
            Some("true") => true,
            Some("false") => false,
            _ => status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error(),
        };
        Err(Failed {
            error: StripeError::from_status(status.as_u16(), detail),
            retryable,
            retry_after: header(&headers, RETRY_AFTER.as_str())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        })
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

fn transport_error(error: &reqwest::Error) -> StripeError {
    if error.is_timeout() {
        StripeError::Timeout
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        StripeError::Unreachable(text)
    }
}
