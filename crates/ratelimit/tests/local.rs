//! The in-process limiter through its public API: exact under a concurrent burst, counting
//! down, resetting when the window ends, one budget per key.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{assert_exactly_limit_allowed, burst};
use konqer_ratelimit::{LocalLimiter, RateLimiter};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_the_limit_is_allowed_out_of_a_concurrent_burst() {
    let limiter: Arc<dyn RateLimiter> = Arc::new(LocalLimiter::new(60, MINUTE));
    let decisions = burst(&[limiter.clone(), limiter.clone()], "ip:198.51.100.7", 90).await;
    assert_exactly_limit_allowed(&decisions, 60);
    assert!(!limiter.check("ip:198.51.100.7").await.allowed);
    assert_eq!(limiter.fail_open_count(), 0);
    assert_eq!(limiter.backend(), "local");
}

#[tokio::test(start_paused = true)]
async fn remaining_counts_down_and_the_window_resets_when_it_ends() {
    let limiter = LocalLimiter::new(3, MINUTE);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let d = limiter.check("user:1").await;
        seen.push((d.allowed, d.remaining, d.reset_after));
    }
    assert_eq!(
        seen,
        [
            (true, 2, MINUTE),
            (true, 1, MINUTE),
            (true, 0, MINUTE),
            (false, 0, MINUTE)
        ]
    );
    tokio::time::advance(Duration::from_secs(45)).await;
    let refused = limiter.check("user:1").await;
    assert_eq!(
        (refused.allowed, refused.reset_after),
        (false, Duration::from_secs(15)),
        "the window runs from the first request, it does not slide"
    );
    tokio::time::advance(Duration::from_secs(15)).await;
    let fresh = limiter.check("user:1").await;
    assert_eq!(
        (fresh.allowed, fresh.remaining, fresh.reset_after),
        (true, 2, MINUTE)
    );
}

#[tokio::test]
async fn each_key_has_its_own_budget() {
    let limiter = LocalLimiter::new(1, MINUTE);
    assert!(limiter.check("user:1").await.allowed);
    assert!(!limiter.check("user:1").await.allowed);
    let other = limiter.check("user:2").await;
    assert_eq!((other.allowed, other.remaining), (true, 0));
    assert!(limiter.check("ip:user:1").await.allowed);
    assert_eq!(limiter.tracked_keys(), 3);
}
