//! The HTTP edge's contract for bodies and failures, through the production middleware stack:
//! 415 wrong content type, 400 malformed JSON, 413 too large, 422 invalid fields, and a
//! panicking handler answered with a logged 500 problem instead of a dropped connection.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use konqer_api::extract::{ApiJson, Validate};
use konqer_api::middleware::{layered, HttpSettings};
use konqer_api::{FieldError, Metrics};
use serde::Deserialize;
use tower::ServiceExt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Greeting {
    name: String,
}

impl Validate for Greeting {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        if self.name.trim().is_empty() || self.name.chars().count() > 50 {
            return Err(vec![FieldError::new("name", "must be 1 to 50 characters")]);
        }
        Ok(())
    }
}

async fn greet(ApiJson(greeting): ApiJson<Greeting>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "hello": greeting.name }))
}

async fn explode() -> &'static str {
    panic!("a bug in a handler")
}

fn app() -> Router {
    let router = Router::new()
        .route("/greet", post(greet))
        .route("/explode", get(explode));
    let settings = HttpSettings {
        body_limit: 1024,
        ..Default::default()
    };
    layered(router, &settings, Metrics::new())
}

async fn call(request: Request<Body>) -> (StatusCode, String, serde_json::Value) {
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn post_greet(content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::post("/greet");
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body.into()).unwrap()
}

#[tokio::test]
async fn a_valid_body_is_accepted() {
    let (status, _, body) = call(post_greet(
        Some("application/json; charset=utf-8"),
        r#"{"name":"Ada"}"#,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["hello"], "Ada");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let (status, content_type, body) = call(post_greet(ct, r#"{"name":"Ada"}"#)).await;
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["code"], "unsupported_media_type");
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    for raw in ["{", "{\"name\":}", "", "nul", "{\"name\":\"Ada\"} {}"] {
        let (status, _, body) = call(post_greet(Some("application/json"), raw)).await;
        assert_eq!(status, 400, "{raw:?}");
        assert_eq!(body["code"], "bad_request");
        assert_eq!(body["status"], 400);
    }
}

#[tokio::test]
async fn wrong_shape_or_invalid_values_are_422_with_field_errors() {
    let cases = [
        (r#"{}"#, "name"),
        (r#"{"name":42}"#, "name"),
        (r#"{"name":"Ada","admin":true}"#, "admin"),
        (r#"{"name":"   "}"#, "name"),
        (r#"[]"#, "body"),
    ];
    for (raw, field) in cases {
        let (status, _, body) = call(post_greet(Some("application/json"), raw)).await;
        assert_eq!(status, 422, "{raw}");
        assert_eq!(body["code"], "invalid_input");
        let errors = body["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field), "{raw}: {body}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(4096));
    let (status, content_type, body) = call(post_greet(Some("application/json"), big)).await;
    assert_eq!(status, 413);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_problem_with_the_request_id() {
    let request = Request::get("/explode")
        .header("x-request-id", "panic-1")
        .body(Body::empty())
        .unwrap();
    let (status, content_type, body) = call(request).await;
    assert_eq!(status, 500);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["code"], "internal_error");
    assert_eq!(body["instance"], "panic-1");
    assert!(
        !body.to_string().contains("a bug in a handler"),
        "panic messages stay in the logs"
    );
}
