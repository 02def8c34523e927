//! Request rate limits: N requests per window per key (`user:<id>` or `ip:<addr>`). A window
//! starts at a key's first request and lasts `window`, like Redis `INCR` + `PEXPIRE`, so the
//! in-process limiter and the Redis one (shared by all replicas) count exactly alike.

mod backoff;
mod local;
mod redis_limiter;

use std::time::Duration;

use async_trait::async_trait;

pub use local::LocalLimiter;
pub use redis_limiter::RedisLimiter;

/// The verdict on one request, and what the `RateLimit-*` headers should say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Until the key's window ends (headers round it up to at least one second).
    pub reset_after: Duration,
}

impl Decision {
    /// From the request count in the current window (this request included).
    pub fn from_count(count: u64, limit: u32, reset_after: Duration) -> Self {
        Decision {
            allowed: count <= u64::from(limit),
            limit,
            // The difference is at most `limit`, so it always fits back into a u32.
            remaining: u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0),
            reset_after,
        }
    }

    /// Let through without counting (the limiter could not count this request).
    pub fn open(limit: u32, window: Duration) -> Self {
        Decision {
            allowed: true,
            limit,
            remaining: limit,
            reset_after: window,
        }
    }
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one request for `key` and says whether it may proceed. Never fails: a limiter
    /// that cannot count lets the request through (fail open) and says so in its metrics.
    async fn check(&self, key: &str) -> Decision;
    /// `local` or `redis`, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// How many checks were let through uncounted (Redis down, slow or erroring; or the
    /// local table full). A monotonic counter, exported as `konqer_rate_limit_fail_open`.
    fn fail_open_count(&self) -> u64 {
        0
    }
}

/// Why a limiter could not be built. Messages never repeat the Redis URL (it may hold a
/// password).
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("REDIS_URL is not a usable Redis URL: {0}")]
    InvalidUrl(String),
}
