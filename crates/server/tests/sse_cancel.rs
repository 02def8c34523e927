//! A client that leaves while its generation is still being written gets its quota unit back,
//! the model's request is cancelled, and nothing is stored — not even after the slow model's
//! answer would have arrived.

mod common;

use std::time::Duration;

use common::{grant_founding, service_status, signed_up, start_with_llm, TestApp};
use konqer_store::testing::TestDb;
use serde_json::{json, Value};

konqer_store::both_backends!(a_client_that_disconnects_mid_stream_is_not_charged);

async fn used_today(app: &TestApp, token: &str) -> u64 {
    service_status(app, token, "cold-dm").await["used_today"]
        .as_u64()
        .unwrap()
}

async fn a_client_that_disconnects_mid_stream_is_not_charged(db: TestDb) {
    let llm = konqer_testkit::StandInLlm::start("sk-test").await;
    llm.reply_with(&["Hi Maya, a message that arrives too late for anyone to read it."]);
    llm.traffic()
        .delay(konqer_testkit::openai::PATH, Duration::from_secs(2));
    let app = start_with_llm(db, &llm).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    grant_founding(&app, user).await;

    let request = app
        .client
        .post(app.url("/api/services/cold-dm/generate"))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .json(
            &json!({"prospect_name": "Maya Chen", "company": "Northwind",
            "role": "Head of Sales", "offer": "We write the first message to every prospect."}),
        );
    let client = tokio::spawn(async move {
        let response = request.send().await.unwrap();
        // Read a little, then hang up while the model is still thinking.
        let _ = tokio::time::timeout(Duration::from_millis(300), response.bytes()).await;
    });
    // The model has the request: the unit is reserved by now.
    for _ in 0..100 {
        if llm.traffic().hits(konqer_testkit::openai::PATH) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(llm.traffic().hits(konqer_testkit::openai::PATH), 1);
    assert_eq!(used_today(&app, &token).await, 1, "reserved while running");
    client.await.unwrap();

    let mut released = false;
    for _ in 0..100 {
        if used_today(&app, &token).await == 0 {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(released, "the unit came back after the client left");
    // The model's request was cancelled rather than left running: the stand-in saw its caller
    // hang up well before its two-second answer.
    let mut cancelled = false;
    for _ in 0..50 {
        if llm.traffic().abandoned(konqer_testkit::openai::PATH) == 1 {
            cancelled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cancelled, "the upstream request was cancelled");
    // Past the model's delay: the abandoned run never completes into a stored generation.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let history: Value = app
        .get_as(&token, "/api/user/generations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"], json!([]));
    assert_eq!(used_today(&app, &token).await, 0);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"konqer_generations_total{service="cold-dm",outcome="cancelled"} 1"#),
        "{metrics}"
    );
    assert!(!metrics.contains(r#"outcome="succeeded""#), "{metrics}");
}
