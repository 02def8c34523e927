//! The operators' day-to-day API on both back ends: who may call each route, finding users
//! and exporting CSV, changing a service (seen at once in the public catalog, audited),
//! feature flags and their evaluation for users, the event trail, the overview, and the
//! admin IP allow-list.

mod common;

use chrono::Utc;
use common::{assert_problem, grant_founding, operator, signed_up, TestApp};
use konqer_domain::AdminRole;
use konqer_store::testing::TestDb;
use serde_json::{json, Value};

konqer_store::both_backends!(
    every_admin_route_checks_the_token_and_the_role,
    operators_find_users_page_through_them_and_export_csv,
    a_service_change_is_validated_audited_and_public_at_once,
    flags_roll_out_by_percentage_and_users_read_their_own,
    events_and_the_overview_show_what_happened,
    the_admin_allow_list_refuses_other_addresses,
    the_scrape_carries_revenue_gauges,
);

fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> impl std::future::Future<Output = reqwest::Response> {
    let mut request = app.client.request(method, format!("{}{path}", app.admin));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    async move { request.send().await.unwrap() }
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn every_admin_route_checks_the_token_and_the_role(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (_, member) = signed_up(&app, "member@example.com").await;
    let user = operator(&app, "user@example.com", None).await;
    let support = operator(&app, "support@example.com", Some(AdminRole::Support)).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let superadmin = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    let member_path = format!("/admin/users/{member}");
    use reqwest::Method as M;
    // (method, path, body, support may, finance may)
    let routes: Vec<(M, &str, Option<Value>, bool, bool)> = vec![
        (M::GET, "/admin/metrics/mrr", None, false, true),
        (M::GET, "/admin/metrics/overview", None, false, true),
        (M::GET, "/admin/users", None, true, true),
        (M::GET, &member_path, None, true, true),
        (M::GET, "/admin/payments", None, false, true),
        (M::GET, "/admin/services", None, true, true),
        (M::GET, "/admin/services/cold-dm", None, true, true),
        (
            M::PATCH,
            "/admin/services/cold-dm",
            Some(json!({"rate_limit_daily": 100})),
            false,
            false,
        ),
        (M::GET, "/admin/flags", None, true, true),
        (
            M::PUT,
            "/admin/flags/beta",
            Some(json!({"enabled": true, "rollout_percentage": 10})),
            false,
            false,
        ),
        (M::GET, "/admin/flags/beta", None, true, true),
        (M::GET, "/admin/events", None, true, false),
    ];
    for (method, path, body, support_may, finance_may) in routes {
        let send = |token: Option<&str>| call(&app, method.clone(), path, token, body.clone());
        assert_problem(send(None).await, 401, "unauthorized").await;
        assert_problem(send(Some(&user)).await, 403, "forbidden").await;
        for (who, token, may) in [
            ("support", &support, support_may),
            ("finance", &finance, finance_may),
        ] {
            let response = send(Some(token)).await;
            if may {
                assert!(
                    response.status().is_success(),
                    "{who} {method} {path}: {}",
                    response.status()
                );
            } else {
                assert_problem(response, 403, "forbidden").await;
            }
        }
        let response = send(Some(&superadmin)).await;
        assert!(
            response.status().is_success(),
            "superadmin {method} {path}: {}",
            response.status()
        );
        // Never routed on the public listener.
        let public = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&superadmin)
            .send()
            .await
            .unwrap();
        assert_problem(public, 404, "not_found").await;
    }
}

async fn operators_find_users_page_through_them_and_export_csv(db: TestDb) {
    let today = Utc::now().date_naive().to_string();
    let app = TestApp::start(db, &[("KONQER_LAUNCH_DATE", today.as_str())]).await;
    let support = operator(&app, "support@example.com", Some(AdminRole::Support)).await;
    let (_, ada) = signed_up(&app, "ada@example.com").await;
    signed_up(&app, "bob@example.com").await;
    signed_up(&app, "=cmd@example.com").await;
    grant_founding(&app, ada).await;

    let page: Value = get(&app, "/admin/users?q=ADA@", &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["plan"], "founding");
    assert_eq!(page["items"][0]["status"], "active");
    let founding: Value = get(&app, "/admin/users?plan=founding", &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(founding["items"][0]["email"], "ada@example.com");
    assert_problem(
        get(&app, "/admin/users?plan=gold", &support).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        get(&app, "/admin/users?limit=0", &support).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        get(&app, "/admin/users?cursor=nope", &support).await,
        422,
        "invalid_input",
    )
    .await;

    // Four accounts (three users and the operator), two per page.
    let first: Value = get(&app, "/admin/users?limit=2", &support)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second: Value = get(
        &app,
        &format!("/admin/users?limit=2&cursor={cursor}"),
        &support,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["next_cursor"], Value::Null);

    let csv = app
        .client
        .get(format!("{}/admin/users", app.admin))
        .bearer_auth(&support)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,email,name,created_at,plan,status");
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        text.contains(",'=cmd@example.com,"),
        "formula defused: {text}"
    );

    let detail: Value = get(&app, &format!("/admin/users/{ada}"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["user"]["email"], "ada@example.com");
    assert_eq!(detail["subscriptions"][0]["plan"], "founding");
    assert_problem(
        get(&app, "/admin/users/not-an-id", &support).await,
        404,
        "not_found",
    )
    .await;
}

async fn a_service_change_is_validated_audited_and_public_at_once(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let root = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    let patch = |body: Value| {
        call(
            &app,
            reqwest::Method::PATCH,
            "/admin/services/objection",
            Some(&root),
            Some(body),
        )
    };
    for bad in [
        json!({"rate_limit_daily": -1}),
        json!({"release_offset_days": 99999}),
        json!({"pricing_monthly": 1.5}),
        json!({"config": [1, 2]}),
        json!({}),
        json!({"name": "Renamed"}),
    ] {
        assert_problem(patch(bad.clone()).await, 422, "invalid_input").await;
    }
    assert_problem(
        call(
            &app,
            reqwest::Method::PATCH,
            "/admin/services/nope",
            Some(&root),
            Some(json!({"enabled": false})),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let changed: Value =
        patch(json!({"rate_limit_daily": 7, "release_offset_days": 3, "enabled": false}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(
        (
            changed["rate_limit_daily"].as_i64(),
            changed["enabled"].as_bool()
        ),
        (Some(7), Some(false))
    );
    let (_, public) = app.get_json("/api/services/objection").await;
    assert_eq!(
        (
            public["rate_limit_daily"].as_i64(),
            public["release_offset_days"].as_i64(),
            public["enabled"].as_bool()
        ),
        (Some(7), Some(3), Some(false)),
        "the public catalog shows the change at once"
    );
    let events: Value = get(
        &app,
        "/admin/events?type=admin.service_updated&service=objection",
        &root,
    )
    .await
    .json()
    .await
    .unwrap();
    let event = &events["items"][0];
    assert_eq!(event["data"]["before"]["rate_limit_daily"], 100);
    assert_eq!(event["data"]["after"]["rate_limit_daily"], 7);
    assert!(event["actor_id"].is_string());
}

async fn flags_roll_out_by_percentage_and_users_read_their_own(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let root = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    let put = |key: &str, body: Value| {
        call(
            &app,
            reqwest::Method::PUT,
            &format!("/admin/flags/{key}"),
            Some(&root),
            Some(body),
        )
    };
    assert_problem(
        put("Bad Key", json!({"enabled": true, "rollout_percentage": 5})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        put("ok", json!({"enabled": true, "rollout_percentage": 101})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        put("ok", json!({"enabled": true})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(
        put(
            "everyone",
            json!({"enabled": true, "rollout_percentage": 100})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        put(
            "nobody",
            json!({"enabled": true, "rollout_percentage": 0, "config": {"v": 2}})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        put("off", json!({"enabled": false, "rollout_percentage": 100}))
            .await
            .status(),
        200
    );
    let flag: Value = get(&app, "/admin/flags/nobody", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(flag["config"], json!({"v": 2}));
    assert_problem(
        get(&app, "/admin/flags/missing", &root).await,
        404,
        "not_found",
    )
    .await;

    let (token, _) = signed_up(&app, "ada@example.com").await;
    let mine: Value = app
        .get_as(&token, "/api/user/flags")
        .await
        .json()
        .await
        .unwrap();
    // `enrichment` is seeded on for everyone by a migration.
    assert_eq!(
        mine["flags"],
        json!({"enrichment": true, "everyone": true, "nobody": false, "off": false})
    );
    assert_eq!(mine["config"], json!({"enrichment": {}, "everyone": {}}));
    let anonymous = app
        .client
        .get(app.url("/api/user/flags"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

async fn events_and_the_overview_show_what_happened(db: TestDb) {
    let today = Utc::now().date_naive();
    let app = TestApp::start(db, &[("KONQER_LAUNCH_DATE", today.to_string().as_str())]).await;
    let finance = operator(&app, "finance@example.com", Some(AdminRole::Finance)).await;
    let root = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    signed_up(&app, "ada@example.com").await;
    let overview: Value = get(&app, "/admin/metrics/overview?interval=week", &finance)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["interval"], "week");
    // The two operators and Ada signed up today; nobody bought anything.
    assert_eq!(overview["totals"]["signups"], 3);
    assert_eq!(overview["totals"]["purchases"], 0);
    assert_eq!(overview["totals"]["conversion"], 0.0);
    for bad in [
        "?interval=year",
        "?from=2026-02-30",
        "?from=2026-03-02&to=2026-03-01",
        "?from=2020-01-01&to=2026-01-01",
        "?to=262143-12-31",
        "?from=-262143-01-01&to=-262143-01-02",
    ] {
        assert_problem(
            get(&app, &format!("/admin/metrics/overview{bad}"), &finance).await,
            422,
            "invalid_input",
        )
        .await;
    }
    let registered: Value = get(&app, "/admin/events?type=user.registered&limit=2", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(registered["items"].as_array().unwrap().len(), 2);
    let cursor = registered["next_cursor"].as_str().unwrap();
    let rest: Value = get(
        &app,
        &format!("/admin/events?type=user.registered&cursor={cursor}"),
        &root,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let none: Value = get(&app, &format!("/admin/events?from={tomorrow}"), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"], json!([]));
    assert_problem(
        get(&app, "/admin/events?user=nope", &root).await,
        422,
        "invalid_input",
    )
    .await;
    assert_problem(
        get(&app, "/admin/events?service=nope", &root).await,
        422,
        "invalid_input",
    )
    .await;
}

async fn the_admin_allow_list_refuses_other_addresses(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_ADMIN_ALLOW_IPS", "10.0.0.0/8")]).await;
    let root = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    assert_problem(get(&app, "/admin/services", &root).await, 403, "forbidden").await;
    let other = TestApp::start(
        app.db.share(),
        &[("KONQER_ADMIN_ALLOW_IPS", "127.0.0.1/32")],
    )
    .await;
    assert_eq!(get(&other, "/admin/services", &root).await.status(), 200);
}

async fn the_scrape_carries_revenue_gauges(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (_, ada) = signed_up(&app, "ada@example.com").await;
    grant_founding(&app, ada).await;
    let text = app.metrics().await;
    assert!(text.contains("konqer_mrr_cents 5825"), "{text}");
    assert!(
        text.contains(r#"konqer_subscriptions_live{plan="founding"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"konqer_subscriptions_live{plan="monthly_bundle"} 0"#),
        "{text}"
    );
}
