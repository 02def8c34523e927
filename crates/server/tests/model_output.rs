//! What the pipeline does with a real model's answers, against the stand-in OpenAI-compatible
//! server on both back ends: token usage is stored with the generation and counted in the
//! metrics; an unusable answer gets exactly one repair attempt, and a second failure costs
//! the user nothing.

mod common;

use common::{assert_problem, grant_founding, service_status, signed_up, start_with_llm, TestApp};
use konqer_store::testing::TestDb;
use konqer_testkit::openai::PATH;
use konqer_testkit::StandInLlm;
use serde_json::{json, Value};

konqer_store::both_backends!(
    token_usage_is_stored_and_counted,
    an_unusable_answer_is_repaired_once,
    two_unusable_answers_fail_without_cost,
    every_outcome_is_counted_by_service,
);

async fn start(db: TestDb, llm: &StandInLlm) -> (TestApp, String) {
    let app = start_with_llm(db, llm).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    grant_founding(&app, user).await;
    (app, token)
}

fn objection() -> Value {
    json!({"objection": "Honestly, this is too expensive for a team our size.", "language": "en"})
}

const GOOD: &str = r#"{"empathy": "I hear you, budgets are tight.", "reframe": "The question is what the gap costs each month.", "evidence": "An illustrative team of forty saw the difference within a quarter.", "action": "Shall we compare your numbers on Thursday?"}"#;

async fn run(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/services/objection/generate"))
        .bearer_auth(token)
        .json(&objection())
        .send()
        .await
        .unwrap()
}

async fn history_len(app: &TestApp, token: &str) -> usize {
    let page: Value = app
        .get_as(token, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().len()
}

async fn token_usage_is_stored_and_counted(db: TestDb) {
    let llm = StandInLlm::start("sk-test").await;
    llm.reply_with(&[GOOD]);
    let (app, token) = start(db, &llm).await;
    let result: Value = run(&app, &token).await.json().await.unwrap();
    // The stand-in reports 42 prompt tokens and one completion token per word.
    let words = GOOD.split_whitespace().count() as u64;
    let usage =
        json!({"prompt_tokens": 42, "completion_tokens": words, "total_tokens": 42 + words});
    assert_eq!(result["metadata"]["usage"], usage);
    let stored: Value = app
        .get_as(
            &token,
            &format!(
                "/api/user/generations/{}",
                result["generation_id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["metadata"]["usage"], usage);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"konqer_llm_tokens_total{service="objection",kind="prompt"} 42"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            r#"konqer_llm_tokens_total{{service="objection",kind="completion"}} {words}"#
        )),
        "{metrics}"
    );
}

async fn an_unusable_answer_is_repaired_once(db: TestDb) {
    let llm = StandInLlm::start("sk-test").await;
    llm.reply_with(&["Sure! Here is my answer: be empathetic.", GOOD]);
    let (app, token) = start(db, &llm).await;
    let response = run(&app, &token).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(
        result["output"]["structure"]["action"],
        "Shall we compare your numbers on Thursday?"
    );
    assert_eq!(llm.traffic().hits(PATH), 2, "one answer and one repair");
    let repair = &llm.requests()[1];
    let asked = repair["messages"].to_string();
    assert!(asked.contains("could not be used"), "{asked}");
    assert!(
        asked.contains("be empathetic"),
        "the bad answer is quoted back: {asked}"
    );
    // Both calls' tokens are counted.
    assert_eq!(result["metadata"]["usage"]["prompt_tokens"], 84);
    assert_eq!(result["quota"]["used_today"], 1);
}

async fn two_unusable_answers_fail_without_cost(db: TestDb) {
    let llm = StandInLlm::start("sk-test").await;
    llm.reply_with(&["not json", "still not json"]);
    let (app, token) = start(db, &llm).await;
    assert_problem(run(&app, &token).await, 502, "generation_failed").await;
    assert_eq!(llm.traffic().hits(PATH), 2, "no third try");
    assert_eq!(history_len(&app, &token).await, 0, "nothing stored");
    let objection = service_status(&app, &token, "objection").await;
    assert_eq!(objection["used_today"], 0, "the quota unit came back");
}

fn generations(metrics: &str, service: &str, outcome: &str) -> u64 {
    let series = format!(r#"konqer_generations_total{{service="{service}",outcome="{outcome}"}} "#);
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |n| n.parse().unwrap())
}

async fn every_outcome_is_counted_by_service(db: TestDb) {
    let llm = StandInLlm::start("sk-test").await;
    llm.reply_with(&[GOOD, "not json", "still not json"]);
    let (app, token) = start(db, &llm).await;
    let done = run(&app, &token).await;
    assert_eq!(done.status(), 200);
    // The answer says what the provider took and what the pipeline added, in milliseconds.
    let timing = done.headers()["server-timing"].to_str().unwrap().to_owned();
    let parts: Vec<(&str, f64)> = timing
        .split(", ")
        .map(|part| {
            let (name, dur) = part.split_once(";dur=").unwrap();
            (name, dur.parse().unwrap())
        })
        .collect();
    assert_eq!(parts.len(), 2, "{timing}");
    assert_eq!(
        (parts[0].0, parts[1].0),
        ("provider", "pipeline"),
        "{timing}"
    );
    assert!(parts.iter().all(|(_, ms)| *ms > 0.0), "{timing}");
    assert_problem(run(&app, &token).await, 502, "generation_failed").await;
    let invalid = app
        .client
        .post(app.url("/api/services/objection/generate"))
        .bearer_auth(&token)
        .json(&json!({"objection": ""}))
        .send()
        .await
        .unwrap();
    assert_problem(invalid, 422, "invalid_input").await;
    let (stranger, _) = signed_up(&app, "grace@example.com").await;
    assert_problem(run(&app, &stranger).await, 403, "service_locked").await;
    let metrics = app.metrics().await;
    for (outcome, expected) in [
        ("succeeded", 1),
        ("failed", 1),
        ("invalid", 1),
        ("locked", 1),
        ("daily_limit", 0),
    ] {
        assert_eq!(
            generations(&metrics, "objection", outcome),
            expected,
            "{outcome}: {metrics}"
        );
    }
    assert_eq!(generations(&metrics, "cold-dm", "succeeded"), 0);
    // Only the successful generation has an overhead to observe.
    assert!(
        metrics.contains(r#"konqer_generation_overhead_seconds_count{service="objection"} 1"#),
        "{metrics}"
    );
}
