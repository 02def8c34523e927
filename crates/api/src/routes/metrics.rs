//! Prometheus scrape endpoint (admin listener only): HTTP series plus gauges read at scrape
//! time (pool, jobs, MRR and live subscriptions by plan). Optionally protected by a static bearer token.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::metrics::StateLabels;
use crate::problem::ApiError;
use crate::AppState;

pub async fn scrape(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::Unauthorized);
        }
    }
    let pool = state.store.pool_stats();
    let m = &state.metrics;
    m.db_pool
        .get_or_create(&StateLabels { state: "size" })
        .set(i64::from(pool.size));
    m.db_pool
        .get_or_create(&StateLabels { state: "idle" })
        .set(i64::from(pool.idle));
    m.db_pool
        .get_or_create(&StateLabels { state: "max" })
        .set(i64::from(pool.max));
    if let Some(limiter) = &state.limiter {
        m.rate_limit_fail_open
            .set(i64::try_from(limiter.fail_open_count()).unwrap_or(i64::MAX));
    }
    match state.store.job_counts().await {
        Ok(jobs) => {
            for (name, n) in [
                ("queued", jobs.queued),
                ("running", jobs.running),
                ("done", jobs.done),
                ("dead", jobs.dead),
            ] {
                m.jobs.get_or_create(&StateLabels { state: name }).set(n);
            }
        }
        Err(err) => tracing::warn!(error = %err, "job counts unavailable for /metrics"),
    }
    match state.store.mrr_at(state.clock.now()).await {
        Ok(rows) => {
            m.mrr_cents.set(rows.iter().map(|r| r.mrr_cents).sum());
            for plan in konqer_domain::Plan::ALL {
                let live = rows
                    .iter()
                    .find(|r| r.plan == *plan)
                    .map_or(0, |r| r.subscriptions);
                m.subscriptions
                    .get_or_create(&crate::metrics::PlanLabels {
                        plan: plan.as_str(),
                    })
                    .set(live);
            }
        }
        Err(err) => tracing::warn!(error = %err, "revenue unavailable for /metrics"),
    }
    let mut response = m.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}

/// Compares secrets without revealing, through timing, how much of them matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_only_when_identical() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
