//! The shared limiter without a working Redis (no server needed): nothing listening, or a
//! server that accepts and never answers. Both let requests through within the timeout and
//! count them; a malformed URL is the one start-up error, and it keeps the password secret.

use std::time::{Duration, Instant};

use konqer_ratelimit::{RateLimiter, RedisLimiter};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_millis(250);
/// Scheduling slack on a busy test machine.
const SLACK: Duration = Duration::from_millis(200);

/// Checks `n` times, `pause` apart, asserting each is let through within the timeout.
async fn checks_fail_open(limiter: &RedisLimiter, n: usize, pause: Duration) {
    for i in 0..n {
        let started = Instant::now();
        let d = limiter.check("user:1").await;
        let took = started.elapsed();
        assert!(
            d.allowed && d.remaining == d.limit,
            "check {i} did not fail open: {d:?}"
        );
        assert!(took < TIMEOUT + SLACK, "check {i} took {took:?}");
        tokio::time::sleep(pause).await;
    }
}

#[tokio::test]
async fn an_unreachable_redis_fails_open_within_the_timeout_and_is_counted() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
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
    assert!(started.elapsed() < TIMEOUT + SLACK);
    // Spaced out so some checks fall after the backoff and retry Redis.
    checks_fail_open(&limiter, 10, Duration::from_millis(100)).await;
    assert_eq!(limiter.fail_open_count(), 10);
}

#[tokio::test]
async fn a_hung_redis_fails_open_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts connections, holds them, never says a word.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let limiter = RedisLimiter::connect(
        &format!("redis://{addr}"),
        1,
        Duration::from_secs(60),
        TIMEOUT,
    )
    .await
    .expect("a hung Redis is not a start-up error");
    assert!(
        started.elapsed() < TIMEOUT + SLACK,
        "connect took {:?}",
        started.elapsed()
    );
    checks_fail_open(&limiter, 10, Duration::from_millis(100)).await;
    assert_eq!(limiter.fail_open_count(), 10);

    // While backing off, a burst does not wait on Redis at all.
    let started = Instant::now();
    for _ in 0..100 {
        assert!(limiter.check("user:1").await.allowed);
    }
    assert!(
        started.elapsed() < TIMEOUT + SLACK,
        "100 checks took {:?}",
        started.elapsed()
    );
    silent.abort();
}

#[tokio::test]
async fn a_malformed_url_is_an_error_that_does_not_repeat_it() {
    for url in [
        "http://user:hunter2@host",
        "rediss://user:hunter2@host",
        "redis://user:hunter2@host/notadb",
    ] {
        let err = RedisLimiter::connect(url, 1, Duration::from_secs(1), TIMEOUT)
            .await
            .err()
            .unwrap_or_else(|| panic!("{url} should be refused"));
        let said = err.to_string();
        assert!(
            !said.contains("hunter2") && said.len() > "REDIS_URL".len(),
            "{said}"
        );
    }
}
