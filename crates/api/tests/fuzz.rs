//! Requests of any shape, thrown at both full routers: no answer is ever a 5xx, and every
//! error answer is a complete problem+json document.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request};
use axum::Router;
use konqer_api::auth::{Identity, IdentitySettings};
use konqer_api::{ApiSettings, App, AppState, Catalog, Metrics};
use konqer_domain::SystemClock;
use konqer_store::testing::TestDb;
use konqer_store::Backend;
use proptest::prelude::*;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    public: Router,
    admin: Router,
    _db: TestDb,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (public, admin, db) = runtime.block_on(async {
            let db = TestDb::new(Backend::Sqlite).await;
            let launch = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
            let catalog = Catalog::load(db.store.clone(), launch).await.unwrap();
            let state = AppState(Arc::new(App {
                store: db.store.clone(),
                catalog,
                metrics: Metrics::new(),
                clock: Arc::new(SystemClock),
                identity: Arc::new(
                    Identity::load(
                        db.store.clone(),
                        &SystemClock,
                        IdentitySettings::built_in("http://127.0.0.1:4000"),
                    )
                    .await
                    .unwrap(),
                ),
                limiter: None,
                services: Arc::new(konqer_services::registry()),
                generator: Arc::new(konqer_services::text::Offline),
                settings: ApiSettings::default(),
            }));
            (
                konqer_api::public_router(state.clone()),
                konqer_api::admin_router(state),
                db,
            )
        });
        Fixture {
            runtime,
            public,
            admin,
            _db: db,
        }
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::PATCH),
        Just(Method::DELETE),
        Just(Method::HEAD),
        Just(Method::OPTIONS),
        Just(Method::TRACE),
        Just(Method::from_bytes(b"BREW").unwrap()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "/",
        "/health",
        "/ready",
        "/metrics",
        "/api",
        "/api/",
        "/api/services",
        "/api/services/",
        "/api/services/cold-dm",
        "/api/services/linkedin-carousel-forge",
        "/api/openapi.json",
        "/api/user/me",
        "/auth/login",
        "/admin/users",
        "/admin",
        "//",
        "/api/services/%ZZ",
        "/api/services/%F0%9F%92%A5",
        "/api/services/..%2F..%2Fetc%2Fpasswd",
        "/index.html",
    ]);
    let suffix = prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9._~%-]{1,30}".prop_map(|s| format!("/{s}")),
        "[a-z]{1,8}(/[a-z0-9]{1,8}){0,4}".prop_map(|s| format!("/{s}")),
    ];
    let query = prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9=&%._-]{0,40}".prop_map(|q| format!("?{q}")),
    ];
    (prefix, suffix, query).prop_map(|(p, s, q)| format!("{p}{s}{q}"))
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("text/plain".to_owned())),
        Just(Some("multipart/form-data; boundary=x".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..512),
        "[{}\\[\\]\":,a-z0-9 ]{0,200}".prop_map(String::into_bytes),
        Just(vec![b'x'; 2 * 1024 * 1024]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_request_gets_a_5xx_or_a_non_problem_error(
        method in method(),
        path in path(),
        content_type in content_type(),
        request_id in prop::option::of("[ -~]{0,60}"),
        body in body(),
        admin in any::<bool>(),
    ) {
        let f = fixture();
        let mut builder = Request::builder().method(method.clone()).uri(&path);
        if let Some(ct) = &content_type {
            builder = builder.header("content-type", ct.as_str());
        }
        if let Some(id) = &request_id {
            builder = builder.header("x-request-id", id.as_str());
        }
        let Ok(request) = builder.body(Body::from(body)) else {
            // Not an HTTP request at all (the client library refuses to build it).
            return Ok(());
        };
        let router = if admin { f.admin.clone() } else { f.public.clone() };
        let (status, ct, bytes) = f.runtime.block_on(async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let ct = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let bytes = axum::body::to_bytes(response.into_body(), 8 << 20).await.unwrap();
            (status, ct, bytes)
        });
        prop_assert!(status.as_u16() < 500, "{method} {path} → {status}");
        if status.is_client_error() {
            prop_assert_eq!(ct.as_str(), "application/problem+json", "{} {} → {}", method, path, status);
            if method != Method::HEAD {
                let problem: serde_json::Value = serde_json::from_slice(&bytes).expect("problem body is JSON");
                prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status.as_u16())));
                prop_assert!(problem["code"].as_str().is_some_and(|c| !c.is_empty()));
                prop_assert!(problem["title"].as_str().is_some_and(|c| !c.is_empty()));
                prop_assert!(problem["detail"].as_str().is_some_and(|c| !c.is_empty()));
                prop_assert!(problem["type"].as_str().is_some_and(|c| !c.is_empty()));
            }
        }
    }
}
