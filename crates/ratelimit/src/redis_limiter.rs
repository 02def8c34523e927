//! The limiter shared by every replica: one Lua script per check (INCR, PEXPIRE on the first
//! hit, PTTL) so counting is atomic in Redis and exact across replicas. Redis being down,
//! slow or erroring never stops the API: the check fails open, logs at most every 10 s, and
//! is counted. Start-up does not need Redis either: the connection is made, and remade after
//! a failure, on a later check, at most once a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::Script;

use crate::{Decision, RateLimiter};

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

const RECONNECT_EVERY: Duration = Duration::from_secs(1);
const WARN_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum RedisLimiterError {
    /// The URL is unusable. The message never repeats the URL (it may hold a password).
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    Url(String),
}

pub struct RedisLimiter {
    client: redis::Client,
    script: Script,
    prefix: String,
    limit: u32,
    window: Duration,
    timeout: Duration,
    connection: RwLock<Option<ConnectionManager>>,
    connecting: tokio::sync::Mutex<Option<Instant>>,
    fail_open: AtomicU64,
    last_warning: Mutex<Option<Instant>>,
}

impl RedisLimiter {
    /// Validates the URL and tries to connect once; an unreachable Redis is not an error
    /// here (the limiter fails open and reconnects later).
    pub async fn connect(
        url: &str,
        limit: u32,
        window: Duration,
        timeout: Duration,
    ) -> Result<Self, RedisLimiterError> {
        let client = redis::Client::open(url)
            .map_err(|e| RedisLimiterError::Url(format!("{:?}", e.kind())))?;
        let limiter = RedisLimiter {
            client,
            script: Script::new(SCRIPT),
            prefix: "konqer:rl:".to_owned(),
            limit,
            window,
            timeout,
            connection: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(None),
            fail_open: AtomicU64::new(0),
            last_warning: Mutex::new(None),
        };
        limiter.reconnect().await;
        Ok(limiter)
    }

    /// Keys under another prefix (tests use one per test so they cannot collide).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.connection
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Connects unless another task is already trying or tried within the last second.
    async fn reconnect(&self) -> Option<ConnectionManager> {
        let Ok(mut last) = self.connecting.try_lock() else {
            return None;
        };
        if let Some(conn) = self.current() {
            return Some(conn);
        }
        if last.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
            return None;
        }
        *last = Some(Instant::now());
        let attempt = tokio::time::timeout(self.timeout, self.client.get_connection_manager());
        match attempt.await {
            Ok(Ok(conn)) => {
                *self
                    .connection
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(conn.clone());
                tracing::info!("connected to Redis for rate limits");
                Some(conn)
            }
            Ok(Err(e)) => {
                self.warn(&format!("cannot connect to Redis: {:?}", e.kind()));
                None
            }
            Err(_) => {
                self.warn("connecting to Redis timed out");
                None
            }
        }
    }

    fn warn(&self, message: &str) {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                fail_open_total = self.fail_open.load(Ordering::Relaxed),
                "rate limiting fails open: {message}"
            );
        }
    }

    fn open(&self, message: &str) -> Decision {
        self.fail_open.fetch_add(1, Ordering::Relaxed);
        self.warn(message);
        Decision::open(self.limit, self.window)
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str) -> Decision {
        let conn = match self.current() {
            Some(conn) => Some(conn),
            None => self.reconnect().await,
        };
        let Some(mut conn) = conn else {
            return self.open("no connection to Redis");
        };
        let window_ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation.arg(window_ms);
        let call = invocation.invoke_async::<(u64, i64)>(&mut conn);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok((count, ttl_ms))) => {
                let reset = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(window_ms));
                Decision::from_count(count, self.limit, reset)
            }
            Ok(Err(e)) => self.open(&format!("Redis error: {:?}", e.kind())),
            Err(_) => self.open("Redis did not answer in time"),
        }
    }

    fn backend(&self) -> &'static str {
        "redis"
    }

    fn fail_open_count(&self) -> u64 {
        self.fail_open.load(Ordering::Relaxed)
    }
}
