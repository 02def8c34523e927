//! What every stand-in shares: serving a router on 127.0.0.1:0 for as long as the stand-in
//! lives, and [`Traffic`], which counts requests per path and injects failures and delays so
//! tests can watch retries, single-flight refreshes and outages.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Request counts and scripted misbehaviour, per request path.
#[derive(Clone, Default)]
pub struct Traffic {
    inner: Arc<Mutex<TrafficState>>,
}

#[derive(Default)]
struct TrafficState {
    hits: HashMap<String, usize>,
    failures: HashMap<String, VecDeque<Failure>>,
    delays: HashMap<String, Duration>,
    /// Requests whose client hung up before they were answered.
    abandoned: HashMap<String, usize>,
    down: bool,
    last_user_agent: Option<String>,
}

#[derive(Clone, Copy)]
struct Failure {
    status: StatusCode,
    retry_after: Option<u64>,
}

impl Traffic {
    /// Requests received on `path` so far, failed ones included.
    pub fn hits(&self, path: &str) -> usize {
        self.lock().hits.get(path).copied().unwrap_or(0)
    }

    /// Requests to `path` whose client closed the connection before the answer was ready
    /// (seen while a [`Traffic::delay`] holds them): how a test sees a cancelled upstream call.
    pub fn abandoned(&self, path: &str) -> usize {
        self.lock().abandoned.get(path).copied().unwrap_or(0)
    }

    pub fn total_hits(&self) -> usize {
        self.lock().hits.values().sum()
    }

    /// The `User-Agent` of the latest request, if it sent one.
    pub fn last_user_agent(&self) -> Option<String> {
        self.lock().last_user_agent.clone()
    }

    /// The next `times` requests to `path` get `status` with a small body.
    pub fn fail_next(&self, path: &str, status: u16, times: usize) {
        self.script(path, status, None, times);
    }

    /// Like [`Traffic::fail_next`], with a `Retry-After: <seconds>` header.
    pub fn fail_next_with_retry_after(&self, path: &str, status: u16, seconds: u64, times: usize) {
        self.script(path, status, Some(seconds), times);
    }

    /// Every request to `path` waits this long before it is answered.
    pub fn delay(&self, path: &str, delay: Duration) {
        self.lock().delays.insert(path.to_owned(), delay);
    }

    /// While down, every request is answered 503, as a provider in an outage does.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    fn script(&self, path: &str, status: u16, retry_after: Option<u64>, times: usize) {
        let status =
            StatusCode::from_u16(status).expect("a valid HTTP status for a scripted failure");
        let failure = Failure {
            status,
            retry_after,
        };
        let mut state = self.lock();
        let queue = state.failures.entry(path.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(failure, times));
    }

    fn lock(&self) -> MutexGuard<'_, TrafficState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the request and decides whether it fails and how long it waits.
    fn admit(&self, request: &Request) -> (Option<Failure>, Option<Duration>) {
        let path = request.uri().path();
        let mut state = self.lock();
        *state.hits.entry(path.to_owned()).or_default() += 1;
        state.last_user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .map(str::to_owned);
        let failure = if state.down {
            Some(Failure {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after: None,
            })
        } else {
            state.failures.get_mut(path).and_then(VecDeque::pop_front)
        };
        (failure, state.delays.get(path).copied())
    }
}

/// Counts a request as abandoned if the server drops it (the client hung up) unanswered.
struct Unanswered {
    traffic: Traffic,
    path: String,
    answered: bool,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if !self.answered {
            *self
                .traffic
                .lock()
                .abandoned
                .entry(std::mem::take(&mut self.path))
                .or_default() += 1;
        }
    }
}

async fn observe(State(traffic): State<Traffic>, request: Request, next: Next) -> Response {
    let (failure, delay) = traffic.admit(&request);
    let mut unanswered = Unanswered {
        traffic: traffic.clone(),
        path: request.uri().path().to_owned(),
        answered: false,
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let response = answer(failure, request, next).await;
    unanswered.answered = true;
    response
}

async fn answer(failure: Option<Failure>, request: Request, next: Next) -> Response {
    match failure {
        None => next.run(request).await,
        Some(failure) => {
            let body = format!("stand-in failure: {}", failure.status);
            let mut response = (failure.status, body).into_response();
            if let Some(seconds) = failure.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            response
        }
    }
}

/// Binds 127.0.0.1:0 first, so a stand-in knows its own URL (issuers put it in tokens)
/// before it builds its router.
pub(crate) async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a stand-in to 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    (listener, format!("http://{addr}"))
}

/// A running stand-in server; dropping it stops accepting connections.
pub(crate) struct Served(JoinHandle<()>);

impl Served {
    pub(crate) fn start(listener: TcpListener, router: Router, traffic: Traffic) -> Served {
        let app = router.layer(middleware::from_fn_with_state(traffic, observe));
        Served(tokio::spawn(async move {
            // The server only ends when the stand-in is dropped (the task is aborted).
            let _ = axum::serve(listener, app).await;
        }))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.0.abort();
    }
}
