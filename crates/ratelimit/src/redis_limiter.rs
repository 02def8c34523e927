//! The limiter shared by every replica: one Lua script per check (INCR, PEXPIRE on the first
//! hit, PTTL) so counting is atomic in Redis and exact across replicas. Redis being down,
//! slow or erroring never stops the API: the check fails open, is counted, and is logged at
//! most every 10 s; Redis is then left alone for a backoff before one check probes it again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisResult, Script};
use tokio::time::Instant;

use crate::backoff::{Admit, Backoff};
use crate::{Decision, RateLimitError, RateLimiter};

/// KEYS[1] = the key, ARGV[1] = the window in ms. Returns {count, ms until the window ends}.
/// A key without expiry (PTTL -1: written by something else, or its PEXPIRE lost) would
/// never reset, so it gets the window again.
const SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

const DEFAULT_PREFIX: &str = "konqer:rl:";
const WARN_EVERY: Duration = Duration::from_secs(10);

pub struct RedisLimiter {
    client: Client,
    script: Script,
    prefix: String,
    limit: u32,
    window: Duration,
    timeout: Duration,
    connection: RwLock<Option<ConnectionManager>>,
    backoff: Backoff,
    fail_open: AtomicU64,
    last_warning: Mutex<Option<Instant>>,
}

impl RedisLimiter {
    /// Builds the limiter: `limit` requests per `window` per key, each Redis round trip
    /// (connecting included) bounded by `timeout`.
    ///
    /// Only a malformed URL is an error (its message never repeats the URL). Redis itself is
    /// tried once, within `timeout`; if it does not answer, the limiter is returned anyway
    /// and fails open, and later checks retry it with backoff (250 ms doubling to 5 s, one
    /// check at a time), so the API starts and serves while Redis is down and starts
    /// counting as soon as Redis is back.
    pub async fn connect(
        url: &str,
        limit: u32,
        window: Duration,
        timeout: Duration,
    ) -> Result<Self, RateLimitError> {
        let client = Client::open(url)
            .map_err(|e| RateLimitError::InvalidUrl(redact(&e.to_string(), url)))?;
        let limiter = RedisLimiter {
            client,
            script: Script::new(SCRIPT),
            prefix: DEFAULT_PREFIX.to_owned(),
            limit,
            window,
            timeout,
            connection: RwLock::new(None),
            backoff: Backoff::new(timeout),
            fail_open: AtomicU64::new(0),
            last_warning: Mutex::new(None),
        };
        let failure = match tokio::time::timeout(timeout, limiter.fresh_connection()).await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(format!("cannot connect to Redis: {e}")),
            Err(_) => Some(format!("Redis did not answer within {timeout:?}")),
        };
        match failure {
            None => tracing::info!(backend = "redis", "rate limits are counted in Redis"),
            Some(error) => {
                limiter.failed(error);
                limiter.warn("Redis is unreachable at start-up; rate limiting fails open");
            }
        }
        Ok(limiter)
    }

    /// Keys under another prefix than `konqer:rl:` (tests use one each so they cannot
    /// collide; two deployments sharing a Redis could too).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    async fn fresh_connection(&self) -> RedisResult<ConnectionManager> {
        // No retries inside the manager: `Backoff` decides when Redis is tried again, and a
        // retry loop here would only be cut off by the timeout.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let conn = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    async fn run_script(&self, key: &str, fresh: bool) -> RedisResult<(u64, i64)> {
        let current = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut conn = match current {
            Some(conn) if !fresh => conn,
            _ => self.fresh_connection().await?,
        };
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation.arg(self.window_ms());
        // EVALSHA, falling back to loading the script when Redis does not know it yet.
        invocation.invoke_async(&mut conn).await
    }

    fn window_ms(&self) -> u64 {
        // PEXPIRE 0 would delete the key at once; a sub-millisecond window is a millisecond.
        u64::try_from(self.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn failed(&self, error: String) {
        self.backoff.failed(Instant::now(), error);
    }

    fn fail_open(&self) -> Decision {
        self.fail_open.fetch_add(1, Ordering::Relaxed);
        self.warn("rate limiting fails open");
        Decision::open(self.limit, self.window)
    }

    /// At most one warning per `WARN_EVERY`: a Redis outage must not add a log line per
    /// request. The running total says how many checks went uncounted meanwhile.
    fn warn(&self, what: &str) {
        let now = Instant::now();
        {
            let mut last = self
                .last_warning
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| now.saturating_duration_since(at) < WARN_EVERY) {
                return;
            }
            *last = Some(now);
        }
        tracing::warn!(
            backend = "redis",
            fail_open_total = self.fail_open.load(Ordering::Relaxed),
            error = %self.backoff.last_error(),
            "{what}"
        );
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str) -> Decision {
        let fresh = match self.backoff.admit(Instant::now()) {
            Admit::Skip => return self.fail_open(),
            Admit::Go { fresh } => fresh,
        };
        match tokio::time::timeout(self.timeout, self.run_script(key, fresh)).await {
            Ok(Ok((count, ttl_ms))) => {
                let outage = self.backoff.succeeded();
                if outage > 0 {
                    tracing::info!(
                        backend = "redis",
                        fail_open_total = self.fail_open.load(Ordering::Relaxed),
                        "Redis answers again; rate limits are counted"
                    );
                }
                let ttl_ms = u64::try_from(ttl_ms).unwrap_or_else(|_| self.window_ms());
                Decision::from_count(count, self.limit, Duration::from_millis(ttl_ms))
            }
            Ok(Err(e)) => {
                self.failed(format!("Redis error: {e}"));
                self.fail_open()
            }
            Err(_) => {
                self.failed(format!("Redis did not answer within {:?}", self.timeout));
                self.fail_open()
            }
        }
    }

    fn backend(&self) -> &'static str {
        "redis"
    }

    fn fail_open_count(&self) -> u64 {
        self.fail_open.load(Ordering::Relaxed)
    }
}

/// The redis crate's URL errors are fixed texts today; should one ever quote the URL, its
/// credentials still must not reach a log or a start-up error.
fn redact(message: &str, url: &str) -> String {
    let authority = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .map(|(userinfo, _)| userinfo);
    let mut secrets = vec![url];
    if let Some(userinfo) = authority {
        secrets.push(userinfo);
        if let Some((_, password)) = userinfo.split_once(':') {
            secrets.push(password);
        }
    }
    secrets
        .into_iter()
        .filter(|s| !s.is_empty())
        .fold(message.to_owned(), |m, s| m.replace(s, "[redacted]"))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_are_redacted_from_messages() {
        let url = "redis://admin:s3cret@cache:6379/0";
        let said = redact(&format!("bad {url} (user admin:s3cret, pw s3cret)"), url);
        assert!(!said.contains("s3cret"), "{said}");
        assert_eq!(
            redact("Redis URL did not parse", url),
            "Redis URL did not parse"
        );
    }
}
