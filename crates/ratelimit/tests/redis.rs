//! The shared limiter against a real redis-server (started by `scripts/test-services.sh`):
//! two limiters — two replicas — share one budget exactly, even in a concurrent burst; the
//! window resets; an unreachable Redis fails open within the timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use konqer_ratelimit::{LocalLimiter, RateLimiter, RedisLimiter};

const TIMEOUT: Duration = Duration::from_millis(250);

fn redis_url() -> String {
    std::env::var("KONQER_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "KONQER_TEST_REDIS_URL is not set: run the tests with `make test` (or under \
             scripts/test-services.sh), which starts a throwaway redis-server"
        )
    })
}

async fn replica(prefix: &str, limit: u32, window: Duration) -> RedisLimiter {
    RedisLimiter::connect(&redis_url(), limit, window, TIMEOUT)
        .await
        .expect("valid URL")
        .with_prefix(prefix)
}

fn unique_prefix() -> String {
    format!("test:{}:", uuid_like())
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id()) << 64 ^ rand_u64()
    )
}

fn rand_u64() -> u128 {
    use std::hash::{BuildHasher, RandomState};
    u128::from(RandomState::new().hash_one(0u8))
}

async fn burst(limiters: &[Arc<dyn RateLimiter>], key: &str, per_limiter: usize) -> usize {
    let mut tasks = Vec::new();
    for limiter in limiters {
        for _ in 0..per_limiter {
            let limiter = limiter.clone();
            let key = key.to_owned();
            tasks.push(tokio::spawn(
                async move { limiter.check(&key).await.allowed },
            ));
        }
    }
    let mut allowed = 0;
    for task in tasks {
        if task.await.unwrap() {
            allowed += 1;
        }
    }
    allowed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_exactly_one_budget_in_a_concurrent_burst() {
    let prefix = unique_prefix();
    let a: Arc<dyn RateLimiter> = Arc::new(replica(&prefix, 60, Duration::from_secs(60)).await);
    let b: Arc<dyn RateLimiter> = Arc::new(replica(&prefix, 60, Duration::from_secs(60)).await);
    assert_eq!(burst(&[a.clone(), b.clone()], "user:1", 90).await, 60);
    let after = b.check("user:1").await;
    assert!(!after.allowed);
    assert_eq!(after.remaining, 0);
    assert!(
        after.reset_after <= Duration::from_secs(60) && after.reset_after > Duration::from_secs(50)
    );
    assert!(
        a.check("user:2").await.allowed,
        "another key has its own budget"
    );
    assert_eq!(a.fail_open_count() + b.fail_open_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remaining_counts_down_and_the_window_resets() {
    let prefix = unique_prefix();
    let limiter = replica(&prefix, 3, Duration::from_millis(1500)).await;
    let seen: Vec<(bool, u32)> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            let d = limiter.check("ip:203.0.113.9").await;
            v.push((d.allowed, d.remaining));
        }
        v
    };
    assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0)]);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let fresh = limiter.check("ip:203.0.113.9").await;
    assert!(fresh.allowed);
    assert_eq!(fresh.remaining, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_fails_open_quickly_and_is_counted() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let limiter = RedisLimiter::connect(
        &format!("redis://127.0.0.1:{port}"),
        1,
        Duration::from_secs(60),
        TIMEOUT,
    )
    .await
    .expect("an unreachable Redis is not a start-up error");
    for _ in 0..5 {
        assert!(limiter.check("user:1").await.allowed, "fails open");
    }
    assert_eq!(limiter.fail_open_count(), 5);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_malformed_url_is_an_error_that_does_not_repeat_it() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(RedisLimiter::connect(
            "http://user:hunter2@host",
            1,
            Duration::from_secs(1),
            TIMEOUT,
        ))
        .err()
        .expect("not a redis URL");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_local_limiter_is_exact_under_concurrency() {
    let local: Arc<dyn RateLimiter> = Arc::new(LocalLimiter::new(60, Duration::from_secs(60)));
    assert_eq!(burst(&[local.clone(), local], "ip:1", 90).await, 60);
}
