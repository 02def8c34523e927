//! The shared limiter against a real redis-server (started by `scripts/test-services.sh`):
//! two limiters — two replicas — share one budget exactly, even in a concurrent burst; the
//! window resets; a key without expiry is repaired; counting resumes after an outage.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_exactly_limit_allowed, burst, redis_url, unique_prefix, Mode, Proxy};
use konqer_ratelimit::{Decision, RateLimiter, RedisLimiter};

const TIMEOUT: Duration = Duration::from_millis(250);
const MINUTE: Duration = Duration::from_secs(60);

async fn replica(url: &str, prefix: &str, limit: u32, window: Duration) -> RedisLimiter {
    let limiter = RedisLimiter::connect(url, limit, window, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .with_prefix(prefix);
    assert_eq!(limiter.backend(), "redis");
    limiter
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_exactly_one_budget_in_a_concurrent_burst() {
    let prefix = unique_prefix();
    let a: Arc<dyn RateLimiter> = Arc::new(replica(&redis_url(), &prefix, 60, MINUTE).await);
    let b: Arc<dyn RateLimiter> = Arc::new(replica(&redis_url(), &prefix, 60, MINUTE).await);
    let decisions = burst(&[a.clone(), b.clone()], "user:1", 90).await;
    assert_exactly_limit_allowed(&decisions, 60);
    for d in &decisions {
        assert!(
            d.reset_after <= MINUTE && d.reset_after > MINUTE - Duration::from_secs(5),
            "{d:?}"
        );
    }
    assert!(!b.check("user:1").await.allowed);
    assert!(
        a.check("user:2").await.allowed,
        "another key has its own budget"
    );
    assert_eq!(a.fail_open_count() + b.fail_open_count(), 0);
}

#[tokio::test]
async fn remaining_and_reset_agree_across_replicas_and_the_window_resets() {
    let prefix = unique_prefix();
    let window = Duration::from_secs(1);
    let a = replica(&redis_url(), &prefix, 3, window).await;
    let b = replica(&redis_url(), &prefix, 3, window).await;
    let mut seen = Vec::new();
    for limiter in [&a, &b, &a, &b] {
        seen.push(limiter.check("ip:203.0.113.9").await);
    }
    let counts: Vec<(bool, u32)> = seen.iter().map(|d| (d.allowed, d.remaining)).collect();
    assert_eq!(counts, [(true, 2), (true, 1), (true, 0), (false, 0)]);
    // One window for both replicas: the time left only shrinks, whoever answers.
    for pair in seen.windows(2) {
        assert!(pair[1].reset_after <= pair[0].reset_after, "{seen:?}");
    }
    assert!(
        seen[0].reset_after > window - Duration::from_millis(200),
        "{seen:?}"
    );
    tokio::time::sleep(seen[3].reset_after + Duration::from_millis(50)).await;
    let fresh = b.check("ip:203.0.113.9").await;
    assert_eq!((fresh.allowed, fresh.remaining), (true, 2), "{fresh:?}");
    assert!(
        fresh.reset_after > window - Duration::from_millis(200),
        "{fresh:?}"
    );
}

#[tokio::test]
async fn a_key_left_without_expiry_is_given_the_window_again() {
    let prefix = unique_prefix();
    let limiter = replica(&redis_url(), &prefix, 10, MINUTE).await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{prefix}user:stuck");
    let () = redis::cmd("SET")
        .arg(&key)
        .arg(4)
        .query_async(&mut conn)
        .await
        .unwrap();
    let d = limiter.check("user:stuck").await;
    assert_eq!((d.allowed, d.remaining, d.reset_after), (true, 5, MINUTE));
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= 60_000,
        "PTTL {ttl}: the key would never reset"
    );
}

/// Checks until one is counted again (not failed open), for at most 10 s.
async fn first_counted(limiter: &RedisLimiter, key: &str) -> Decision {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = limiter.check(key).await;
        if d.remaining < d.limit || Instant::now() > deadline {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks while Redis is away, 100 ms apart for long enough that some retry Redis: each
/// fails open within the timeout and is counted as such.
async fn fail_open_during_outage(limiter: &RedisLimiter, key: &str) {
    let before = limiter.fail_open_count();
    for _ in 0..8 {
        let started = Instant::now();
        let d = limiter.check(key).await;
        assert!(d.allowed && d.remaining == d.limit, "failed open: {d:?}");
        assert!(started.elapsed() < TIMEOUT + Duration::from_millis(200));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(limiter.fail_open_count(), before + 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_resumes_when_redis_comes_back() {
    let mut proxy = Proxy::start().await;
    let limiter = replica(&proxy.url(0), &unique_prefix(), 100, MINUTE).await;
    assert_eq!(limiter.check("user:1").await.remaining, 99);

    proxy.stop().await;
    fail_open_during_outage(&limiter, "user:1").await;

    proxy.restart().await;
    let counted = first_counted(&limiter, "user:1").await;
    // The count kept in Redis survived the outage; the checks during it went uncounted.
    assert_eq!(
        (counted.allowed, counted.remaining),
        (true, 98),
        "{counted:?}"
    );
    let after = limiter.fail_open_count();
    assert_eq!(limiter.check("user:1").await.remaining, 97);
    assert_eq!(limiter.fail_open_count(), after, "no more failing open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_resumes_after_a_reconnect_whose_handshake_failed() {
    // Database 1, so every (re)connection starts with a SELECT the proxy can refuse.
    let mut proxy = Proxy::start().await;
    let limiter = replica(&proxy.url(1), &unique_prefix(), 100, MINUTE).await;
    assert_eq!(limiter.check("user:1").await.remaining, 99);

    // The connection drops and the reconnect meets a server error instead of an I/O
    // error, after which a ConnectionManager on its own never tries again.
    proxy.switch(Mode::Errors).await;
    fail_open_during_outage(&limiter, "user:1").await;

    proxy.switch(Mode::Forward).await;
    let counted = first_counted(&limiter, "user:1").await;
    assert_eq!(
        (counted.allowed, counted.remaining),
        (true, 98),
        "{counted:?}"
    );
}
