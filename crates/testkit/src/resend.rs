//! A stand-in for the Resend email API: `POST /emails` with `Authorization: Bearer <key>`
//! and a JSON body `{from, to, subject, html, text, headers}`, answering `{"id": …}` or
//! Resend's error shape `{"statusCode", "name", "message"}` (401 without a key, 403 with a
//! wrong one, 422 for a payload Resend would refuse). `Idempotency-Key` is honoured as Resend
//! does: the same key and body again returns the first answer and sends nothing more.
//! Failures and outages are scripted through [`Traffic`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::{bind, Served, Traffic};

pub const PATH: &str = "/emails";

/// One email Resend accepted.
#[derive(Debug, Clone)]
pub struct ResendEmail {
    pub id: String,
    pub idempotency_key: Option<String>,
    /// The request body as sent.
    pub body: Value,
}

impl ResendEmail {
    /// A custom header of the message (`headers` in the body), by exact name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.body.get("headers")?.get(name)?.as_str()
    }

    pub fn subject(&self) -> &str {
        self.body["subject"].as_str().unwrap_or_default()
    }
}

pub struct StandInResend {
    url: String,
    state: Arc<ResendState>,
    traffic: Traffic,
    _served: Served,
}

struct ResendState {
    api_key: String,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    emails: Vec<ResendEmail>,
    /// Idempotency key → (body, id answered).
    keys: HashMap<String, (Value, String)>,
}

impl ResendState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StandInResend {
    pub async fn start(api_key: &str) -> StandInResend {
        let (listener, url) = bind().await;
        let state = Arc::new(ResendState {
            api_key: api_key.to_owned(),
            inner: Mutex::new(Inner::default()),
        });
        let traffic = Traffic::default();
        let router = Router::new()
            .route(PATH, post(send))
            .with_state(state.clone());
        let served = Served::start(listener, router, traffic.clone());
        StandInResend {
            url,
            state,
            traffic,
            _served: served,
        }
    }

    /// What `KONQER_RESEND_BASE_URL` is set to.
    pub fn base_url(&self) -> String {
        self.url.clone()
    }

    /// Request counts and scripted failures (`traffic().fail_next(PATH, 500, 2)`).
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Every email accepted, in order (a replayed idempotency key adds nothing).
    pub fn emails(&self) -> Vec<ResendEmail> {
        self.state.lock().emails.clone()
    }
}

fn error(status: StatusCode, name: &str, message: &str) -> Response {
    let body = json!({"statusCode": status.as_u16(), "name": name, "message": message});
    (status, Json(body)).into_response()
}

async fn send(State(state): State<Arc<ResendState>>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth.and_then(|v| v.strip_prefix("Bearer ")) {
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "Missing API key in the authorization header.",
            )
        }
        Some(key) if key != state.api_key => {
            return error(
                StatusCode::FORBIDDEN,
                "invalid_api_key",
                "API key is invalid.",
            )
        }
        Some(_) => {}
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            "The request body is not valid JSON.",
        );
    };
    if let Err(message) = validate(&body) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            &message,
        );
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut inner = state.lock();
    if let Some(key) = &key {
        if let Some((first, id)) = inner.keys.get(key) {
            if *first != body {
                return error(
                    StatusCode::CONFLICT,
                    "invalid_idempotent_request",
                    "Same idempotency key used with a different request payload.",
                );
            }
            return Json(json!({"id": id})).into_response();
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Some(key) = &key {
        inner.keys.insert(key.clone(), (body.clone(), id.clone()));
    }
    inner.emails.push(ResendEmail {
        id: id.clone(),
        idempotency_key: key,
        body,
    });
    Json(json!({"id": id})).into_response()
}

/// The checks Resend makes before accepting a message.
fn validate(body: &Value) -> Result<(), String> {
    let address = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.contains('@') && s.len() <= 320)
    };
    if !body.get("from").is_some_and(address) {
        return Err("Invalid `from` field.".to_owned());
    }
    let to_ok = match body.get("to") {
        Some(Value::String(_)) => body.get("to").is_some_and(address),
        Some(Value::Array(list)) => {
            !list.is_empty() && list.len() <= 50 && list.iter().all(address)
        }
        _ => false,
    };
    if !to_ok {
        return Err("Invalid `to` field.".to_owned());
    }
    let subject = body
        .get("subject")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if subject.trim().is_empty() {
        return Err("Missing `subject` field.".to_owned());
    }
    let has = |field| body.get(field).and_then(Value::as_str).is_some();
    if !has("html") && !has("text") {
        return Err("Missing `html` or `text` field.".to_owned());
    }
    match body.get("headers") {
        None => {}
        Some(Value::Object(map)) if map.values().all(Value::is_string) => {}
        Some(_) => return Err("`headers` must be an object of strings.".to_owned()),
    }
    Ok(())
}
