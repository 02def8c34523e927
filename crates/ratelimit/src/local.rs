//! The in-process limiter (the embedded default, and one replica's view without Redis):
//! a sharded map of windows, exact under concurrency, with expired windows swept so memory
//! stays bounded however many addresses call.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{Decision, RateLimiter};

const SHARDS: usize = 16;
/// A shard sweeps its expired windows when it grows past this many keys.
const SWEEP_AT: usize = 4096;
/// Hard cap per shard: beyond it (after a sweep), new keys are refused a slot and counted
/// against one overflow bucket, so a flood of spoofed keys cannot exhaust memory.
const MAX_KEYS_PER_SHARD: usize = 65_536;
const OVERFLOW_KEY: &str = "\u{0}overflow";

pub struct LocalLimiter {
    limit: u32,
    window: Duration,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<String, Window>>>,
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    count: u64,
}

impl LocalLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        LocalLimiter {
            limit,
            window,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Keys currently tracked (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }

    fn hit(&self, key: &str, now: Instant) -> Decision {
        let shard = &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS];
        let mut map = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = self.window;
        if map.len() >= SWEEP_AT && !map.contains_key(key) {
            map.retain(|_, w| now.duration_since(w.started) < window);
        }
        let key = if map.len() >= MAX_KEYS_PER_SHARD && !map.contains_key(key) {
            OVERFLOW_KEY
        } else {
            key
        };
        let entry = map.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(entry.started) >= window {
            *entry = Window {
                started: now,
                count: 0,
            };
        }
        entry.count += 1;
        let reset_after = window.saturating_sub(now.duration_since(entry.started));
        Decision::from_count(entry.count, self.limit, reset_after)
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn check(&self, key: &str) -> Decision {
        self.hit(key, Instant::now())
    }

    fn backend(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses_until_the_window_ends() {
        let limiter = LocalLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let remaining: Vec<(bool, u32)> = (0..5)
            .map(|_| limiter.hit("ip:1", t0))
            .map(|d| (d.allowed, d.remaining))
            .collect();
        assert_eq!(
            remaining,
            [(true, 2), (true, 1), (true, 0), (false, 0), (false, 0)]
        );
        let later = limiter.hit("ip:1", t0 + Duration::from_secs(59));
        assert!(!later.allowed);
        assert_eq!(later.reset_after, Duration::from_secs(1));
        let next = limiter.hit("ip:1", t0 + Duration::from_secs(60));
        assert!(next.allowed);
        assert_eq!(
            (next.remaining, next.reset_after),
            (2, Duration::from_secs(60))
        );
        assert!(limiter.hit("ip:2", t0).allowed, "keys are independent");
    }

    #[test]
    fn expired_windows_are_swept() {
        let limiter = LocalLimiter::new(1, Duration::from_secs(1));
        let t0 = Instant::now();
        for i in 0..SWEEP_AT * SHARDS {
            limiter.hit(&format!("ip:{i}"), t0);
        }
        let before = limiter.tracked_keys();
        let later = t0 + Duration::from_secs(2);
        for i in 0..SWEEP_AT * SHARDS {
            limiter.hit(&format!("ip:new-{i}"), later);
        }
        assert!(
            limiter.tracked_keys() < before + SWEEP_AT * SHARDS,
            "old windows were not swept: {} keys",
            limiter.tracked_keys()
        );
    }
}
