//! The three launch services over HTTP on both back ends: each runs on its catalog example
//! and answers what its output schema promises; the carousel comes back as a PDF that only
//! its owner can fetch.

mod common;

use chrono::Utc;
use common::{assert_problem, grant_founding, signed_up, TestApp};
use konqer_store::testing::TestDb;
use serde_json::Value;

konqer_store::both_backends!(
    each_launch_service_answers_its_catalog_example,
    the_carousel_pdf_is_the_owners_alone,
);

async fn member(app: &TestApp, email: &str) -> String {
    let (token, user) = signed_up(app, email).await;
    grant_founding(app, user).await;
    token
}

async fn run_example(app: &TestApp, token: &str, service: &str) -> Value {
    let (_, entry) = app.get_json(&format!("/api/services/{service}")).await;
    let example = entry["input_schema"]["examples"][0].clone();
    let response = app
        .client
        .post(app.url(&format!("/api/services/{service}/generate")))
        .bearer_auth(token)
        .json(&example)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{service} on its own example");
    let result: Value = response.json().await.unwrap();
    for field in entry["output_schema"]["required"].as_array().unwrap() {
        let field = field.as_str().unwrap();
        assert!(
            result["output"].get(field).is_some(),
            "{service} output lacks {field}"
        );
    }
    result
}

async fn each_launch_service_answers_its_catalog_example(db: TestDb) {
    let app = TestApp::start(
        db,
        &[
            ("KONQER_LAUNCH_DATE", &Utc::now().date_naive().to_string()),
            ("KONQER_RATE_LIMIT_PER_MINUTE", "0"),
        ],
    )
    .await;
    let token = member(&app, "ada@example.com").await;

    let objection = run_example(&app, &token, "objection").await;
    assert_eq!(objection["output"]["objection_type"], "price");
    assert_eq!(objection["output"]["framework"], "Cost vs Value");
    let confidence = objection["output"]["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    for part in ["empathy", "reframe", "evidence", "action"] {
        assert!(!objection["output"]["structure"][part]
            .as_str()
            .unwrap()
            .is_empty());
    }

    let carousel = run_example(&app, &token, "carousel").await;
    let slides = carousel["output"]["slides"].as_array().unwrap();
    assert_eq!(slides.len(), 8, "the example asks for 8 slides");
    assert_eq!(carousel["output"]["canva_edit_link"], Value::Null);
    assert_eq!(carousel["output"]["sources"], serde_json::json!([]));

    let cold_dm = run_example(&app, &token, "cold-dm").await;
    assert_eq!(cold_dm["metadata"]["provider"], "offline");
}

async fn the_carousel_pdf_is_the_owners_alone(db: TestDb) {
    let app = TestApp::start(
        db,
        &[
            ("KONQER_LAUNCH_DATE", &Utc::now().date_naive().to_string()),
            ("KONQER_RATE_LIMIT_PER_MINUTE", "0"),
        ],
    )
    .await;
    let ada = member(&app, "ada@example.com").await;
    let bob = member(&app, "bob@example.com").await;
    let carousel = run_example(&app, &ada, "carousel").await;
    let cold_dm = run_example(&app, &ada, "cold-dm").await;
    let pdf_path = |result: &Value| {
        format!(
            "/api/user/generations/{}/carousel.pdf",
            result["generation_id"].as_str().unwrap()
        )
    };

    let response = app.get_as(&ada, &pdf_path(&carousel)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"konqer-carousel-"));
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let text = String::from_utf8_lossy(&pdf);
    assert_eq!(
        text.matches("/Type /Page ").count(),
        8,
        "one page per slide"
    );

    // Someone else's carousel, a generation that is not a carousel, and nonsense: 404 alike.
    assert_problem(
        app.get_as(&bob, &pdf_path(&carousel)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&ada, &pdf_path(&cold_dm)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&ada, "/api/user/generations/nonsense/carousel.pdf")
            .await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .client
        .get(app.url(&pdf_path(&carousel)))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
