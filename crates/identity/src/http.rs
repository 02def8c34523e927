//! The one outbound HTTP client identity uses to talk to issuers and social providers: bounded
//! timeouts, a `konqer/<version>` User-Agent, bounded jittered retries for reads only, and
//! errors that never carry a token, a secret, or a successful body (which may hold either).

use std::error::Error as _;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, ACCEPT, RETRY_AFTER};
use reqwest::{Request, StatusCode, Url};
use serde::de::DeserializeOwned;

pub const USER_AGENT: &str = concat!("konqer/", env!("CARGO_PKG_VERSION"));

/// Nothing an identity provider legitimately sends (JWKS, discovery, token, profile) is
/// close to this; a bigger body is refused rather than buffered.
const MAX_BODY_BYTES: usize = 1024 * 1024;
const EXCERPT_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// For the whole exchange, body included, per attempt.
    pub timeout: Duration,
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// First backoff step; each retry doubles it, with jitter.
    pub backoff_base: Duration,
    /// An upstream's `Retry-After` is honoured up to this; a longer wait is its problem.
    pub max_retry_after: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            backoff_base: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(3),
        }
    }
}

/// Why an upstream call failed. `endpoint` is scheme, host and path: never a query string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("{endpoint} answered HTTP {status}: {excerpt}")]
    Status {
        endpoint: String,
        status: u16,
        excerpt: String,
    },
    #[error("{endpoint} could not be reached: {reason}")]
    Transport { endpoint: String, reason: String },
    #[error("{endpoint} sent a body we cannot use: {reason}")]
    Decode { endpoint: String, reason: String },
}

impl UpstreamError {
    /// The HTTP status, when the upstream answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A response whose status the caller interprets itself (token endpoints answer errors with
/// a JSON body worth reading). Deliberately not `Debug`: the body may hold tokens.
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
    endpoint: String,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, UpstreamError> {
        serde_json::from_slice(&self.body).map_err(|err| UpstreamError::Decode {
            endpoint: self.endpoint.clone(),
            reason: decode_reason(&err),
        })
    }

    /// The error for a non-2xx answer, with an excerpt of its body. Only error bodies are
    /// excerpted: a 2xx body from a token endpoint is exactly what must never be logged.
    pub fn status_error(&self) -> UpstreamError {
        let excerpt = if self.is_success() {
            String::new()
        } else {
            excerpt(&self.body)
        };
        UpstreamError::Status {
            endpoint: self.endpoint.clone(),
            status: self.status,
            excerpt,
        }
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// Reads: retry on transport errors, timeouts, 429 and 5xx.
    Idempotent,
    /// Token exchanges spend a single-use code: retry only if it never left this machine.
    OnlyIfUnsent,
}

/// Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, UpstreamError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(USER_AGENT)
            // Issuers and providers answer these endpoints directly; a redirect is an answer
            // we do not expect, and following it would send our request somewhere unvetted.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| UpstreamError::Transport {
                endpoint: "(client set-up)".to_owned(),
                reason: describe(&err),
            })?;
        Ok(HttpClient { client, settings })
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// GET a JSON document, retrying transient failures.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, UpstreamError> {
        let request = self.client.get(url).header(ACCEPT, "application/json");
        self.read_json(request, url).await
    }

    /// GET a JSON document on behalf of a user, with their access token as bearer.
    pub async fn get_json_authorized<T: DeserializeOwned>(
        &self,
        url: &str,
        access_token: &str,
        accept: &str,
    ) -> Result<T, UpstreamError> {
        // `bearer_auth` marks the header sensitive, so it never shows in reqwest's Debug output.
        let request = self
            .client
            .get(url)
            .header(ACCEPT, accept)
            .bearer_auth(access_token);
        self.read_json(request, url).await
    }

    /// A request on this client's pool, for callers that need their own headers or body
    /// (an API key header, a JSON body); send it with [`HttpClient::send_replayable`].
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends a request that may be repeated without harm (a read, or a lookup whose only
    /// effect is the provider's bookkeeping), retrying transient failures like a read, and
    /// hands back whatever came back for the caller to interpret.
    pub async fn send_replayable(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<RawResponse, UpstreamError> {
        let request = request.build().map_err(|err| UpstreamError::Transport {
            endpoint: err
                .url()
                .map(endpoint)
                .unwrap_or_else(|| "(invalid URL)".to_owned()),
            reason: describe(&err),
        })?;
        self.send(request, Replay::Idempotent).await
    }

    /// POST a form and hand back whatever came back. Never retried once sent.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<RawResponse, UpstreamError> {
        let request = self
            .client
            .post(url)
            .header(ACCEPT, "application/json")
            .form(form)
            .build()
            .map_err(|err| invalid_request(url, &err))?;
        self.send(request, Replay::OnlyIfUnsent).await
    }

    async fn read_json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<T, UpstreamError> {
        let request = request.build().map_err(|err| invalid_request(url, &err))?;
        let response = self.send(request, Replay::Idempotent).await?;
        if !response.is_success() {
            return Err(response.status_error());
        }
        response.json()
    }

    async fn send(&self, request: Request, replay: Replay) -> Result<RawResponse, UpstreamError> {
        let endpoint = endpoint(request.url());
        let mut attempt = 1;
        loop {
            let Some(this_try) = request.try_clone() else {
                let reason = "request body cannot be replayed".to_owned();
                return Err(UpstreamError::Transport { endpoint, reason });
            };
            let last = attempt >= self.settings.max_attempts;
            let wait = match self.client.execute(this_try).await {
                Ok(response) => {
                    let status = response.status();
                    let transient =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if replay == Replay::Idempotent && transient && !last {
                        retry_after(response.headers(), self.settings.max_retry_after)
                            .unwrap_or_else(|| backoff(self.settings.backoff_base, attempt))
                    } else {
                        return read_body(response, endpoint).await;
                    }
                }
                Err(err) => {
                    let retryable = match replay {
                        Replay::Idempotent => {
                            err.is_connect() || err.is_timeout() || err.is_request()
                        }
                        Replay::OnlyIfUnsent => err.is_connect(),
                    };
                    if !retryable || last {
                        let reason = describe(&err);
                        return Err(UpstreamError::Transport { endpoint, reason });
                    }
                    backoff(self.settings.backoff_base, attempt)
                }
            };
            let wait_ms = wait.as_millis() as u64;
            tracing::debug!(%endpoint, attempt, wait_ms, "retrying an upstream call");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Reads the body, refusing to buffer more than `MAX_BODY_BYTES` whatever Content-Length says.
async fn read_body(
    mut response: reqwest::Response,
    endpoint: String,
) -> Result<RawResponse, UpstreamError> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                return Ok(RawResponse {
                    status,
                    body,
                    endpoint,
                })
            }
            Err(err) => {
                let reason = describe(&err);
                return Err(UpstreamError::Transport { endpoint, reason });
            }
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            let reason = format!("body larger than {MAX_BODY_BYTES} bytes");
            return Err(UpstreamError::Decode { endpoint, reason });
        }
        body.extend_from_slice(&chunk);
    }
}

/// Exponential backoff with "equal jitter": half the step is fixed, half random, so retries
/// from many replicas spread out without ever collapsing to zero.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let step = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let half = step / 2;
    let jitter_ms = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter_ms)
}

/// `Retry-After` in seconds, capped. The HTTP-date form is rare from APIs and falls back to
/// our own backoff.
fn retry_after(headers: &HeaderMap, cap: Duration) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(cap))
}

fn endpoint(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Credentials in a configured URL would be a secret; they do not belong in a log line.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn invalid_request(url: &str, err: &reqwest::Error) -> UpstreamError {
    let endpoint = Url::parse(url)
        .map(|url| endpoint(&url))
        .unwrap_or_else(|_| "(invalid URL)".to_owned());
    UpstreamError::Transport {
        endpoint,
        reason: describe(err),
    }
}

/// What went wrong, from the error's kind and causes. reqwest's own message embeds the URL,
/// so it is left out; the causes (hyper, io) carry no request data.
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() {
        "body transfer failed"
    } else {
        "request failed"
    };
    let mut reason = kind.to_owned();
    let mut cause = err.source();
    while let Some(inner) = cause {
        reason.push_str(": ");
        reason.push_str(&inner.to_string());
        cause = inner.source();
    }
    reason
}

/// serde_json's messages quote the offending value, which in a token response may be the
/// token itself; keep only the category and position.
fn decode_reason(err: &serde_json::Error) -> String {
    format!(
        "invalid JSON ({:?} error at line {} column {})",
        err.classify(),
        err.line(),
        err.column()
    )
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let first = backoff(base, 1);
            assert!(
                first >= Duration::from_millis(50) && first <= base,
                "{first:?}"
            );
            let second = backoff(base, 2);
            let (low, high) = (Duration::from_millis(100), Duration::from_millis(200));
            assert!(second >= low && second <= high, "{second:?}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let cap = Duration::from_secs(3);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, cap), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers, cap), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&headers, cap), Some(cap));
        let date = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        headers.insert(RETRY_AFTER, date);
        assert_eq!(retry_after(&headers, cap), None);
    }

    #[test]
    fn endpoint_drops_query_and_credentials() {
        let url = Url::parse("https://user:pw@example.com/token?code=secret#frag").unwrap();
        assert_eq!(endpoint(&url), "https://example.com/token");
    }

    #[test]
    fn excerpts_are_short_and_single_line() {
        let body = format!("line one\nline two {}", "x".repeat(500));
        let shown = excerpt(body.as_bytes());
        assert!(shown.chars().count() <= EXCERPT_CHARS);
        assert!(!shown.contains('\n'));
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let response = RawResponse {
            status: 200,
            body: br#"{"access_token": 12345678}"#.to_vec(),
            endpoint: "https://example.com/token".to_owned(),
        };
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Tokens {
            access_token: String,
        }
        let err = response.json::<Tokens>().unwrap_err().to_string();
        assert!(!err.contains("12345678"), "{err}");
        assert!(response.status_error().to_string().ends_with("HTTP 200: "));
    }
}
