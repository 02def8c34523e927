//! The server end to end over real sockets, on SQLite and on PostgreSQL.

mod common;

use std::time::Duration;

use common::{assert_problem, TestApp};
use konqer_domain::ServiceKey;
use konqer_store::testing::TestDb;
use konqer_store::ServiceConfigPatch;

konqer_store::both_backends!(
    health_and_ready_answer,
    the_catalog_lists_twelve_services_with_prices_and_release_days,
    one_service_by_key_or_slug_and_unknown_is_404,
    the_catalog_cache_notices_a_change_made_in_the_database,
    unknown_routes_and_wrong_methods_are_problems,
    request_ids_are_echoed_or_generated,
    security_headers_are_on_every_response,
    metrics_count_requests_by_route_template_on_the_admin_listener_only,
    the_metrics_token_is_required_when_configured,
    ready_is_a_503_problem_when_the_database_is_gone,
    the_openapi_document_is_served,
    cors_allows_only_configured_origins,
    shutdown_stops_both_listeners,
);

async fn health_and_ready_answer(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get_json("/ready").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
}

async fn the_catalog_lists_twelve_services_with_prices_and_release_days(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_LAUNCH_DATE", "2026-12-01")]).await;
    let response = app
        .client
        .get(app.url("/api/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let services: Vec<serde_json::Value> = response.json().await.unwrap();
    assert_eq!(services.len(), 12);
    let keys: Vec<_> = services
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = ServiceKey::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(keys, expected);
    let battlecards = &services[1];
    assert_eq!(battlecards["name"], "Outbound Battlecards AI");
    assert_eq!(battlecards["slug"], "outbound-battlecards-ai");
    assert_eq!(battlecards["type"], "Blue");
    assert_eq!(battlecards["pricing_monthly"], 9900);
    assert_eq!(battlecards["pricing_annual"], 99000);
    assert_eq!(battlecards["rate_limit_daily"], 100);
    assert_eq!(battlecards["release_offset_days"], 7);
    assert_eq!(battlecards["released_at"], "2026-12-08T00:00:00Z");
    assert_eq!(battlecards["enabled"], true);
    assert_eq!(
        services[10]["released_at"], "2026-12-29T00:00:00Z",
        "warmranker: launch + 28 days"
    );
}

async fn one_service_by_key_or_slug_and_unknown_is_404(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (status, by_key) = app.get_json("/api/services/carousel").await;
    assert_eq!(status, 200);
    let (_, by_slug) = app.get_json("/api/services/linkedin-carousel-forge").await;
    assert_eq!(by_key, by_slug);
    assert_eq!(by_key["name"], "LinkedIn Carousel Forge");
    let response = app
        .client
        .get(app.url("/api/services/linkedin"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 404, "not_found").await;
    assert!(problem["detail"].as_str().unwrap().contains("linkedin"));
}

async fn the_catalog_cache_notices_a_change_made_in_the_database(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let patch = ServiceConfigPatch {
        rate_limit_daily: Some(25),
        enabled: Some(false),
        ..Default::default()
    };
    app.db
        .store
        .update_service_config(ServiceKey::Objection, &patch, chrono::Utc::now())
        .await
        .unwrap();
    for _ in 0..100 {
        let (_, service) = app.get_json("/api/services/objection").await;
        if service["rate_limit_daily"] == 25 {
            assert_eq!(service["enabled"], false);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the catalog never showed the new daily limit");
}

async fn unknown_routes_and_wrong_methods_are_problems(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    for path in [
        "/nope",
        "/api/nope",
        "/api",
        "/auth/whatever",
        "/admin/metrics/mrr",
        "/metrics",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_problem(response, 404, "not_found").await;
    }
    let response = app
        .client
        .delete(app.url("/api/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET,HEAD");
    assert_problem(response, 405, "method_not_allowed").await;
    let response = app
        .client
        .post(app.url("/api/services/cold-dm"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 405, "method_not_allowed").await;
    let response = app
        .client
        .get(format!("{}/admin/nope", app.admin))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

async fn request_ids_are_echoed_or_generated(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let a = app.client.get(app.url("/health")).send().await.unwrap();
    let b = app.client.get(app.url("/health")).send().await.unwrap();
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

async fn security_headers_are_on_every_response(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    for (base, path) in [
        (&app.base, "/health"),
        (&app.base, "/missing"),
        (&app.base, "/api/services"),
        (&app.admin, "/metrics"),
    ] {
        let response = app
            .client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(h.contains_key("content-security-policy"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
    }
    let response = app
        .client
        .get(app.url("/api/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "public, max-age=30");
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
}

async fn metrics_count_requests_by_route_template_on_the_admin_listener_only(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    for service in ["cold-dm", "objection", "objection", "does-not-exist"] {
        app.client
            .get(app.url(&format!("/api/services/{service}")))
            .send()
            .await
            .unwrap();
    }
    app.client
        .get(app.url("/some/random/path"))
        .send()
        .await
        .unwrap();
    let response = app
        .client
        .get(format!("{}/metrics", app.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"konqer_http_requests_total{method="GET",route="/api/services/{service}",status="200"} 3"#), "{text}");
    assert!(text.contains(r#"konqer_http_requests_total{method="GET",route="/api/services/{service}",status="404"} 1"#), "{text}");
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        !text.contains("objection") && !text.contains("random"),
        "raw paths must not become labels"
    );
    assert!(
        text.contains("konqer_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"konqer_db_pool_connections{state="max"} 10"#),
        "{text}"
    );
    // The rolling-unlock sweep is always scheduled, so the gauge has a row per state.
    assert!(text.contains(r#"konqer_jobs{state="queued"} "#), "{text}");
    assert!(text.contains(r#"konqer_jobs{state="dead"} 0"#), "{text}");
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
}

async fn the_metrics_token_is_required_when_configured(db: TestDb) {
    let token = "s3cret-scrape-token-0123";
    let app = TestApp::start(db, &[("KONQER_METRICS_TOKEN", token)]).await;
    let url = format!("{}/metrics", app.admin);
    assert_problem(
        app.client.get(&url).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("s3cret-scrape-token-0124")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "unauthorized").await;
    let right = app
        .client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

async fn ready_is_a_503_problem_when_the_database_is_gone(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    app.db.store.close().await;
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_problem(response, 503, "unavailable").await;
    let (status, _) = app.get_json("/health").await;
    assert_eq!(status, 200, "liveness does not depend on the database");
    let (status, services) = app.get_json("/api/services").await;
    assert_eq!(
        (status, services.as_array().map(Vec::len)),
        (200, Some(12)),
        "the catalog is served from cache"
    );
}

async fn the_openapi_document_is_served(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/services/{service}"]["get"].is_object());
}

async fn cors_allows_only_configured_origins(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_CORS_ORIGINS", "https://app.konqer.app")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/services"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://app.konqer.app").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.konqer.app"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let denied = preflight("https://evil.example").await.unwrap();
    assert!(!denied.headers().contains_key("access-control-allow-origin"));
    let simple = app
        .client
        .get(app.url("/api/services"))
        .header("origin", "https://app.konqer.app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://app.konqer.app"
    );
}

async fn shutdown_stops_both_listeners(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (base, admin, client) = (app.base.clone(), app.admin.clone(), app.client.clone());
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("stops within the grace period")
        .unwrap();
    assert!(client.get(format!("{base}/health")).send().await.is_err());
    assert!(client.get(format!("{admin}/health")).send().await.is_err());
}
