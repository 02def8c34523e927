//! A stand-in OpenAI-compatible Chat Completions server (`POST /v1/chat/completions`), the
//! shape OpenAI, vLLM and Ollama all speak: JSON answers with `choices[0].message.content`
//! and `usage`, or with `"stream": true` server-sent `chat.completion.chunk` events ending in
//! `data: [DONE]`. Tests script the content, failures (via [`Traffic`]) and bad JSON.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::{bind, Served, Traffic};

pub const PATH: &str = "/v1/chat/completions";

pub struct StandInLlm {
    url: String,
    state: Arc<LlmState>,
    traffic: Traffic,
    _served: Served,
}

struct LlmState {
    api_key: String,
    replies: Mutex<Vec<String>>,
    requests: Mutex<Vec<Value>>,
}

impl StandInLlm {
    pub async fn start(api_key: &str) -> StandInLlm {
        let (listener, url) = bind().await;
        let state = Arc::new(LlmState {
            api_key: api_key.to_owned(),
            replies: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let traffic = Traffic::default();
        let router = Router::new()
            .route(PATH, post(complete))
            .with_state(state.clone());
        let served = Served::start(listener, router, traffic.clone());
        StandInLlm {
            url,
            state,
            traffic,
            _served: served,
        }
    }

    /// The base URL clients are configured with (`…/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Queues the contents of the next answers, in order; the last one repeats.
    pub fn reply_with(&self, contents: &[&str]) {
        let mut replies = self
            .state
            .replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        replies.clear();
        replies.extend(contents.iter().map(|c| (*c).to_owned()));
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn complete(
    State(state): State<Arc<LlmState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", state.api_key));
    if !authorized {
        let error = json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}});
        return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
    }
    state
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(body.clone());
    let content = {
        let mut replies = state.replies.lock().unwrap_or_else(PoisonError::into_inner);
        match replies.len() {
            0 => "Hello from the stand-in.".to_owned(),
            1 => replies[0].clone(),
            _ => replies.remove(0),
        }
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("stand-in")
        .to_owned();
    let usage = json!({"prompt_tokens": 42, "completion_tokens": content.split_whitespace().count(), "total_tokens": 42 + content.split_whitespace().count()});
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let mut sse = String::new();
        let words: Vec<&str> = content.split_inclusive(' ').collect();
        for chunk in words.chunks(3) {
            let delta = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {"content": chunk.concat()}, "finish_reason": null}]});
            sse.push_str(&format!("data: {delta}\n\n"));
        }
        let last = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage});
        sse.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
        return Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from(sse))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    Json(json!({
        "id": "chatcmpl-standin", "object": "chat.completion", "created": 1_790_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage,
    }))
    .into_response()
}
