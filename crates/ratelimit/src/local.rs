//! The in-process limiter (the embedded default, and one replica's view without Redis): a
//! sharded map of windows, exact under concurrency, with expired windows swept and a hard
//! cap on keys, so memory stays bounded however many addresses call.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::{Decision, RateLimiter};

/// Independent locks, so concurrent checks on different keys rarely wait for each other.
const SHARDS: usize = 16;
/// A shard sweeps out expired windows when a new key arrives and it holds at least this
/// many keys...
const SWEEP_AT: usize = 1024;
/// ...but at most this often: a sweep walks the whole shard, and a flood of new keys must
/// not turn every check into a full walk.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Hard cap per shard (2^17 keys, some 15 MB, in all). A new key finding its shard full
/// is let through uncounted and counted as a fail-open: the only way to fill the table is
/// with many distinct keys, and such a caller is not limited per key anyway, whereas
/// refusing all newcomers would let it lock everyone else out.
const MAX_KEYS_PER_SHARD: usize = 8192;

pub struct LocalLimiter {
    limit: u32,
    window: Duration,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
    fail_open: AtomicU64,
}

#[derive(Default)]
struct Shard {
    windows: HashMap<String, Window>,
    last_sweep: Option<Instant>,
}

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
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            fail_open: AtomicU64::new(0),
        }
    }

    /// Keys currently tracked (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.shards.iter().map(|s| lock(s).windows.len()).sum()
    }

    fn hit(&self, key: &str, now: Instant) -> Decision {
        let index = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        let mut shard = lock(&self.shards[index]);
        if let Some(window) = shard.windows.get_mut(key) {
            return self.count(window, now);
        }
        shard.sweep_if_due(now, self.window);
        if shard.windows.len() >= MAX_KEYS_PER_SHARD {
            self.fail_open.fetch_add(1, Ordering::Relaxed);
            return Decision::open(self.limit, self.window);
        }
        let window = shard.windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        self.count(window, now)
    }

    fn count(&self, window: &mut Window, now: Instant) -> Decision {
        if now.saturating_duration_since(window.started) >= self.window {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        window.count += 1;
        let elapsed = now.saturating_duration_since(window.started);
        Decision::from_count(
            window.count,
            self.limit,
            self.window.saturating_sub(elapsed),
        )
    }
}

impl Shard {
    fn sweep_if_due(&mut self, now: Instant, window: Duration) {
        let due = self
            .last_sweep
            .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY);
        if self.windows.len() >= SWEEP_AT && due {
            self.last_sweep = Some(now);
            self.windows
                .retain(|_, w| now.saturating_duration_since(w.started) < window);
        }
    }
}

/// A panic while holding the lock cannot leave a window half-updated (every update is a
/// plain assignment), so a poisoned shard is still good to use.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn check(&self, key: &str) -> Decision {
        self.hit(key, Instant::now())
    }

    fn backend(&self) -> &'static str {
        "local"
    }

    fn fail_open_count(&self) -> u64 {
        self.fail_open.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPACITY: usize = SHARDS * MAX_KEYS_PER_SHARD;

    #[test]
    fn the_window_ends_exactly_window_after_the_first_request() {
        let limiter = LocalLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let seen: Vec<(bool, u32)> = (0..5)
            .map(|_| limiter.hit("ip:1", t0))
            .map(|d| (d.allowed, d.remaining))
            .collect();
        assert_eq!(
            seen,
            [(true, 2), (true, 1), (true, 0), (false, 0), (false, 0)]
        );
        let late = limiter.hit("ip:1", t0 + Duration::from_secs(59));
        assert_eq!(
            (late.allowed, late.reset_after),
            (false, Duration::from_secs(1))
        );
        let next = limiter.hit("ip:1", t0 + Duration::from_secs(60));
        assert_eq!(
            (next.allowed, next.remaining, next.reset_after),
            (true, 2, Duration::from_secs(60))
        );
    }

    #[test]
    fn expired_windows_are_swept_once_a_shard_grows() {
        let limiter = LocalLimiter::new(1, Duration::from_secs(1));
        let t0 = Instant::now();
        let old = SWEEP_AT * SHARDS * 2;
        for i in 0..old {
            limiter.hit(&format!("ip:old-{i}"), t0);
        }
        assert_eq!(limiter.tracked_keys(), old);
        let later = t0 + Duration::from_secs(2);
        let new = SWEEP_AT * SHARDS;
        for i in 0..new {
            limiter.hit(&format!("ip:new-{i}"), later);
        }
        // Every shard held more than SWEEP_AT old keys, so each swept on its first new key.
        assert_eq!(limiter.tracked_keys(), new, "old windows were not swept");
    }

    #[test]
    fn a_flood_of_keys_stops_at_the_cap_and_is_let_through_uncounted() {
        let limiter = LocalLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.hit("user:steady", t0).allowed);
        let flood = CAPACITY + CAPACITY / 4;
        let allowed = (0..flood)
            .filter(|i| limiter.hit(&format!("ip:{i}"), t0).allowed)
            .count();
        assert_eq!(
            allowed, flood,
            "every new key has a fresh budget or fails open"
        );
        assert!(limiter.tracked_keys() <= CAPACITY);
        // Each key beyond the cap is one fail-open (the shards fill unevenly, so a few more).
        assert!(limiter.fail_open_count() >= (flood + 1 - CAPACITY) as u64);
        assert!(
            !limiter.hit("user:steady", t0).allowed,
            "keys already tracked are still limited exactly"
        );
        // Once the flood's windows expire, the table makes room again.
        let later = t0 + Duration::from_secs(61);
        let fresh = limiter.hit("ip:after-the-flood", later);
        assert_eq!(
            (fresh.allowed, fresh.remaining),
            (true, 0),
            "counted, not let through"
        );
        assert!(limiter.tracked_keys() <= CAPACITY - MAX_KEYS_PER_SHARD + 1);
    }
}
