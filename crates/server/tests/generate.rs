//! The generate pipeline and history over HTTP on both back ends: the order of checks (404,
//! 401, 422 before 403), entitlement reasons, the exact daily quota with Retry-After, and
//! history that only ever shows the caller's own generations.

mod common;

use chrono::{Duration, Utc};
use common::{assert_problem, grant_founding as found, signed_up, start_with_llm, TestApp};
use konqer_domain::ServiceKey;
use konqer_store::testing::TestDb;
use konqer_store::ServiceConfigPatch;
use serde_json::{json, Value};

konqer_store::both_backends!(
    checks_come_in_order_and_locked_services_say_why,
    a_member_runs_cold_dm_and_finds_it_in_history,
    fifty_concurrent_requests_with_a_limit_of_five_succeed_exactly_five_times,
    history_is_private_and_paged,
    an_openai_compatible_provider_writes_and_a_failure_spends_no_quota,
    server_sent_events_stream_deltas_then_the_same_result,
);

/// Parses a `text/event-stream` body into (event, data) pairs.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = Value::Null;
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = name.to_owned();
                } else if let Some(json) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(json).unwrap();
                }
            }
            (event, data)
        })
        .collect()
}

async fn server_sent_events_stream_deltas_then_the_same_result(db: TestDb) {
    let app = start(db, Utc::now().date_naive()).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    let sse = |token: String| {
        let request = app
            .client
            .post(app.url("/api/services/cold-dm/generate"))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(&input());
        async move { request.send().await.unwrap() }
    };
    // Errors found before streaming starts are ordinary problems.
    assert_problem(sse(token.clone()).await, 403, "service_locked").await;
    found(&app, user).await;
    let response = sse(token.clone()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = events(&response.text().await.unwrap());
    let (last, deltas) = events.split_last().unwrap();
    assert_eq!(last.0, "result");
    assert!(
        deltas.len() > 1 && deltas.iter().all(|(e, _)| e == "delta"),
        "{deltas:?}"
    );
    let streamed: String = deltas
        .iter()
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, last.1["output"]["message"].as_str().unwrap());
    assert_eq!(last.1["quota"]["used_today"], 1);
    // The result is exactly what the plain request answers (offline output is deterministic).
    let plain: Value = generate(&app, &token, "cold-dm", &input())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plain["output"], last.1["output"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&plain), keys(&last.1));
    let history: Value = app
        .get_as(&token, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
}

async fn an_openai_compatible_provider_writes_and_a_failure_spends_no_quota(db: TestDb) {
    let llm = konqer_testkit::StandInLlm::start("sk-test").await;
    let message = "Hi Maya, your Head of Sales work at Northwind caught my eye. ".repeat(8)
        + "Would it be worth a short call next week?";
    llm.reply_with(&[&message]);
    let app = start_with_llm(db, &llm).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    found(&app, user).await;
    let result: Value = generate(&app, &token, "cold-dm", &input())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["metadata"]["provider"], "openai");
    assert_eq!(result["metadata"]["model"], "gpt-4o");
    assert_eq!(result["output"]["message"], message.as_str());
    // The score is the rubric's, whatever the model thinks of its own message.
    assert!(
        result["output"]["score_breakdown"]
            .as_array()
            .unwrap()
            .len()
            == 6
    );
    assert_eq!(result["quota"]["used_today"], 1);

    // Streamed: the model's own deltas reach the client.
    let streamed = app
        .client
        .post(app.url("/api/services/cold-dm/generate"))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .json(&input())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = events(&streamed);
    let deltas: String = events
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, message);
    assert_eq!(
        events.last().unwrap().1["output"]["message"],
        message.as_str()
    );
    assert_eq!(llm.requests().last().unwrap()["stream"], true);
    llm.traffic()
        .fail_next(konqer_testkit::openai::PATH, 500, 3);
    let failed = generate(&app, &token, "cold-dm", &input()).await;
    assert_problem(failed, 502, "generation_failed").await;
    assert_eq!(
        llm.traffic().hits(konqer_testkit::openai::PATH),
        5,
        "two successes, then three attempts"
    );
    let usage = app
        .db
        .store
        .usage_on(user, Utc::now().date_naive())
        .await
        .unwrap();
    assert_eq!(
        usage,
        [(ServiceKey::ColdDm, 2)],
        "the two successes count; the failed generation gave its unit back"
    );
    let page: Value = app
        .get_as(&token, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        2,
        "nothing stored for the failure"
    );
}

fn input() -> Value {
    json!({"prospect_name": "Maya Chen", "company": "Northwind", "role": "Head of Sales",
           "offer": "We write the first message to every prospect in your CRM."})
}

async fn start(db: TestDb, launch: chrono::NaiveDate) -> TestApp {
    let launch = launch.to_string();
    TestApp::start(
        db,
        &[
            ("KONQER_LAUNCH_DATE", launch.as_str()),
            ("KONQER_RATE_LIMIT_PER_MINUTE", "0"),
        ],
    )
    .await
}

async fn generate(app: &TestApp, token: &str, service: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/services/{service}/generate")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn checks_come_in_order_and_locked_services_say_why(db: TestDb) {
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let app = start(db, tomorrow).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    assert_problem(
        generate(&app, &token, "teleporter", &input()).await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .client
        .post(app.url("/api/services/cold-dm/generate"))
        .json(&input())
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
    // Invalid input is 422 even for a user without access.
    let body = assert_problem(
        generate(&app, &token, "cold-dm", &json!({"company": "x"})).await,
        422,
        "invalid_input",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "prospect_name");
    let locked = assert_problem(
        generate(&app, &token, "cold-dm", &input()).await,
        403,
        "service_locked",
    )
    .await;
    assert_eq!(locked["reason"], "not_purchased");

    found(&app, user).await;
    let scheduled = assert_problem(
        generate(&app, &token, "cold-dm-personalizer", &input()).await,
        403,
        "service_locked",
    )
    .await;
    assert_eq!(scheduled["reason"], "scheduled");
    assert!(
        scheduled["unlocks_at"]
            .as_str()
            .unwrap()
            .starts_with(&tomorrow.to_string()),
        "{scheduled}"
    );
    let usage = app
        .db
        .store
        .usage_on(user, Utc::now().date_naive())
        .await
        .unwrap();
    assert!(
        usage.is_empty(),
        "refused requests spend no quota: {usage:?}"
    );
}

async fn a_member_runs_cold_dm_and_finds_it_in_history(db: TestDb) {
    let app = start(db, Utc::now().date_naive()).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    found(&app, user).await;
    let response = generate(&app, &token, "cold-dm", &input()).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["service"], "cold-dm");
    assert_eq!(result["metadata"]["provider"], "offline");
    assert!(
        result["metadata"].get("usage").is_none(),
        "the offline provider reports no tokens"
    );
    assert_eq!(
        result["quota"],
        json!({"used_today": 1, "daily_limit": 100})
    );
    let message = result["output"]["message"].as_str().unwrap();
    assert!(
        message.contains("Maya") && message.contains("Northwind"),
        "{message}"
    );
    assert!(result["output"]["personalization_score"].as_u64().unwrap() <= 100);

    let page: Value = app
        .get_as(&token, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], result["generation_id"]);
    assert_eq!(page["items"][0]["output"], result["output"]);
    assert_eq!(page["next_cursor"], Value::Null);
    let me: Value = app
        .get_as(&token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    let cold = me["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "cold-dm")
        .unwrap()
        .clone();
    assert_eq!(cold["used_today"], 1);
    // The catalog serves the schemas the input and output follow.
    let (_, entry) = app.get_json("/api/services/cold-dm").await;
    assert_eq!(
        entry["input_schema"]["required"],
        json!(["prospect_name", "company", "role", "offer"])
    );
    assert!(entry["input_schema"]["examples"][0].is_object());
    assert!(entry["output_schema"]["properties"]["personalization_score"].is_object());
}

async fn fifty_concurrent_requests_with_a_limit_of_five_succeed_exactly_five_times(db: TestDb) {
    let app = start(db, Utc::now().date_naive()).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    found(&app, user).await;
    app.db
        .store
        .update_service_config(
            ServiceKey::ColdDm,
            &ServiceConfigPatch {
                rate_limit_daily: Some(5),
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    // The catalog cache notices within its refresh interval (1 s in tests).
    for _ in 0..100 {
        if app.get_json("/api/services/cold-dm").await.1["rate_limit_daily"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/services/cold-dm/generate"),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&input())
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers().get("retry-after").is_some(),
            )
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            (200, _) => ok += 1,
            (429, true) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 5);
    let refused = assert_problem(
        generate(&app, &token, "cold-dm", &input()).await,
        429,
        "daily_limit_reached",
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("00:00 UTC"));
    let page: Value = app
        .get_as(&token, "/api/user/generations?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        5,
        "only the admitted requests were stored"
    );
}

async fn history_is_private_and_paged(db: TestDb) {
    let app = start(db, Utc::now().date_naive()).await;
    let (ada, ada_id) = signed_up(&app, "ada@example.com").await;
    let (bob, _) = signed_up(&app, "bob@example.com").await;
    found(&app, ada_id).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let result: Value = generate(&app, &ada, "cold-dm", &input())
            .await
            .json()
            .await
            .unwrap();
        ids.push(result["generation_id"].as_str().unwrap().to_owned());
    }
    let first: Value = app
        .get_as(&ada, "/api/user/generations?limit=2&service=cold-dm")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get_as(
            &ada,
            &format!("/api/user/generations?limit=2&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], ids[0].as_str());
    assert_eq!(second["next_cursor"], Value::Null);
    for bad in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "cursor=garbage",
        "service=teleporter",
        "sort=asc",
    ] {
        let response = app
            .get_as(&ada, &format!("/api/user/generations?{bad}"))
            .await;
        assert_problem(response, 422, "invalid_input").await;
    }

    let theirs = format!("/api/user/generations/{}", ids[1]);
    assert_problem(app.get_as(&bob, &theirs).await, 404, "not_found").await;
    let delete = app
        .client
        .delete(app.url(&theirs))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_problem(delete, 404, "not_found").await;
    let bobs: Value = app
        .get_as(&bob, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs["items"], json!([]));
    assert_eq!(app.get_as(&ada, &theirs).await.status(), 200);
    let delete = app
        .client
        .delete(app.url(&theirs))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_problem(app.get_as(&ada, &theirs).await, 404, "not_found").await;
    assert_problem(
        app.get_as(&ada, "/api/user/generations/not-a-uuid").await,
        404,
        "not_found",
    )
    .await;
}
