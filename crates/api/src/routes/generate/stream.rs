//! The generate pipeline as server-sent events: `delta` events as text is written, then one
//! `result` with exactly the JSON of the non-streaming answer, or one `error` problem. A client
//! that leaves before the end cancels the generation and is not charged.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::NaiveDate;
use konqer_domain::ServiceKey;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{outcome_of, produce_and_store, record_overhead, GenerateResponse, Quota};
use crate::metrics::Outcome;
use crate::problem::Problem;
use crate::AppState;

pub(super) fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

fn sse(event: &str, data: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// If the client goes away before the generation finished, stop it and give the quota unit
/// back: an unfinished generation is not charged.
struct Unfinished {
    done: Arc<AtomicBool>,
    task: tokio::task::AbortHandle,
    state: AppState,
    user_id: Uuid,
    key: ServiceKey,
    day: NaiveDate,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if self.done.load(Ordering::SeqCst) {
            return;
        }
        self.task.abort();
        self.state
            .metrics
            .record_generation(self.key.as_str(), Outcome::Cancelled);
        let (state, user_id, key, day) = (self.state.clone(), self.user_id, self.key, self.day);
        tokio::spawn(async move {
            if let Err(err) = state.store.release_quota(user_id, key, day).await {
                tracing::error!(error = %err, "could not release the quota of an abandoned generation");
            }
            tracing::info!(service = %key, "client left before the generation finished; not charged");
        });
    }
}

/// A request past admission: who, which service, the day its unit was taken from, and when
/// it arrived.
pub(super) struct Admitted {
    pub user_id: Uuid,
    pub key: ServiceKey,
    pub day: NaiveDate,
    pub quota: Quota,
    pub arrived: std::time::Instant,
}

/// The same pipeline as server-sent events: `delta` events as text is written, then one
/// `result` with exactly the JSON of the non-streaming answer, or one `error` problem.
pub(super) fn stream(state: AppState, index: usize, input: Value, admitted: Admitted) -> Response {
    let Admitted {
        user_id,
        key,
        day,
        quota,
        arrived,
    } = admitted;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let done = Arc::new(AtomicBool::new(false));
    let task_done = done.clone();
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let state = task_state;
        let service = &state.services[index];
        let deltas = tx.clone();
        let mut on_delta = move |text: &str| {
            let _ = deltas.send(sse("delta", &json!({"text": text})));
        };
        let outcome = produce_and_store(
            &state,
            service.as_ref(),
            user_id,
            key,
            &input,
            &mut on_delta,
        )
        .await;
        let event = match outcome {
            Ok((generation_id, output, metadata, providers)) => {
                task_done.store(true, Ordering::SeqCst);
                record_overhead(&state, key, arrived, providers);
                state
                    .metrics
                    .record_generation(key.as_str(), Outcome::Succeeded);
                sse(
                    "result",
                    &GenerateResponse {
                        generation_id,
                        service: key,
                        output,
                        metadata,
                        quota,
                    },
                )
            }
            Err(err) => {
                if let Err(release) = state.store.release_quota(user_id, key, day).await {
                    tracing::error!(error = %release, "could not release a quota unit after a failed generation");
                }
                task_done.store(true, Ordering::SeqCst);
                state
                    .metrics
                    .record_generation(key.as_str(), outcome_of(&err));
                sse(
                    "error",
                    &Problem::new(err.status(), err.code(), err.to_string()),
                )
            }
        };
        let _ = tx.send(event);
    });
    let guard = Unfinished {
        done,
        task: task.abort_handle(),
        state,
        user_id,
        key,
        day,
    };
    let body = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(chunk), (rx, guard)))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
