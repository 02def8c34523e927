//! The gateway limit over real sockets: headers on every /api and /auth answer, 429 problems
//! with Retry-After, a bucket per user and per address, and two server instances sharing one
//! real redis-server allowing exactly the limit between them.

mod common;

use common::{assert_problem, TestApp};
use konqer_store::testing::TestDb;

konqer_store::both_backends!(
    every_api_answer_carries_the_headers_and_the_limit_holds,
    a_signed_in_user_has_a_bucket_of_their_own,
    two_instances_sharing_redis_allow_exactly_the_limit,
    a_redis_outage_fails_open_and_is_counted,
);

fn header(response: &reqwest::Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

async fn every_api_answer_carries_the_headers_and_the_limit_holds(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_RATE_LIMIT_PER_MINUTE", "5")]).await;
    for expected_remaining in (0..5).rev() {
        let response = app
            .client
            .get(app.url("/api/services"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-limit"), Some(5));
        assert_eq!(
            header(&response, "ratelimit-remaining"),
            Some(expected_remaining)
        );
        let reset = header(&response, "ratelimit-reset").unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
    }
    let refused = app
        .client
        .get(app.url("/auth/jwks.json"))
        .send()
        .await
        .unwrap();
    let retry_after = header(&refused, "retry-after").unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(header(&refused, "ratelimit-remaining"), Some(0));
    assert_problem(refused, 429, "rate_limited").await;
    // Unknown API paths count too; health checks and the metrics do not.
    assert_eq!(
        app.client
            .get(app.url("/api/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        429
    );
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().get("ratelimit-limit").is_none());
    let metrics = app.metrics().await;
    assert!(metrics.contains("konqer_rate_limited_total 2"), "{metrics}");
}

async fn a_signed_in_user_has_a_bucket_of_their_own(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_RATE_LIMIT_PER_MINUTE", "3")]).await;
    // Registering uses the address's bucket (1 of 3).
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let token = tokens["access_token"].as_str().unwrap();
    for remaining in [2, 1, 0] {
        let response = app.get_as(token, "/api/user/me").await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-remaining"), Some(remaining));
    }
    assert_problem(app.get_as(token, "/api/user/me").await, 429, "rate_limited").await;
    // The address still has two left; a forged token counts against the address.
    let anonymous = app
        .client
        .get(app.url("/api/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&anonymous, "ratelimit-remaining"), Some(1));
    let forged = app.get_as("eyJhbGciOiJub25lIn0.e30.", "/api/user/me").await;
    assert_eq!(header(&forged, "ratelimit-remaining"), Some(0));
    assert_problem(forged, 401, "unauthorized").await;
}

fn redis_url() -> String {
    std::env::var("KONQER_TEST_REDIS_URL")
        .expect("KONQER_TEST_REDIS_URL is not set: run the tests under scripts/test-services.sh (make test)")
}

async fn two_instances_sharing_redis_allow_exactly_the_limit(db: TestDb) {
    let url = redis_url();
    let vars = [
        ("KONQER_RATE_LIMIT_PER_MINUTE", "60"),
        ("REDIS_URL", url.as_str()),
    ];
    let shared = db.share();
    let a = TestApp::start(db, &vars).await;
    let b = TestApp::start(shared, &vars).await;
    // A fresh user, so the key is this test's alone on the shared redis-server.
    let tokens = a
        .register(
            &format!("burst-{}@example.com", uuid::Uuid::new_v4()),
            "correct horse battery staple",
        )
        .await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let mut requests = Vec::new();
    for i in 0..150 {
        let (client, url) = if i % 2 == 0 {
            (a.client.clone(), a.url("/api/user/me"))
        } else {
            (b.client.clone(), b.url("/api/user/me"))
        };
        let token = token.clone();
        requests.push(tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for request in requests {
        match request.await.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        (ok, limited),
        (60, 90),
        "the two instances must share one budget exactly"
    );
}

async fn a_redis_outage_fails_open_and_is_counted(db: TestDb) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("redis://127.0.0.1:{port}");
    let app = TestApp::start(
        db,
        &[
            ("KONQER_RATE_LIMIT_PER_MINUTE", "1"),
            ("REDIS_URL", dead.as_str()),
        ],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.client
                .get(app.url("/api/services"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let metrics = app.metrics().await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("konqer_rate_limit_fail_open "))
        .unwrap();
    let count: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3, "{line}");
}
