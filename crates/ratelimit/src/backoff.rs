//! When to leave Redis alone: after a failure, checks skip Redis (and fail open at once)
//! until a retry time that backs off exponentially; then one check at a time probes it. So a
//! down or hung Redis costs one request at most one timeout per retry, not every request.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);
/// After this many failures in a row the probe builds a new connection instead of trusting
/// the `ConnectionManager` to heal itself: it reconnects only after I/O errors, so a
/// reconnect whose handshake got a server error (AUTH or SELECT refused while Redis was
/// restarting) would stick forever (see `counting_resumes_after_a_reconnect_whose_...`).
const FRESH_CONNECTION_AFTER: u32 = 2;

/// What a check may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Use Redis (`fresh` = drop the current connection and make a new one first).
    Go { fresh: bool },
    /// Do not touch Redis: fail open now.
    Skip,
}

pub(crate) struct Backoff {
    /// A probe that has not reported after this long was cancelled (its caller went away).
    probe_lifetime: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    failures: u32,
    retry_at: Option<Instant>,
    probe_since: Option<Instant>,
    /// The last failure, for the (throttled) warning.
    last_error: String,
}

impl Backoff {
    pub(crate) fn new(call_timeout: Duration) -> Self {
        Backoff {
            probe_lifetime: call_timeout.saturating_mul(2),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn admit(&self, now: Instant) -> Admit {
        let mut s = self.state();
        if s.failures == 0 {
            return Admit::Go { fresh: false };
        }
        if s.retry_at.is_some_and(|at| now < at) {
            return Admit::Skip;
        }
        if s.probe_since
            .is_some_and(|since| now.saturating_duration_since(since) < self.probe_lifetime)
        {
            return Admit::Skip;
        }
        s.probe_since = Some(now);
        Admit::Go {
            fresh: s.failures >= FRESH_CONNECTION_AFTER,
        }
    }

    /// Redis answered. Returns how many failures in a row this ends (0 if none).
    pub(crate) fn succeeded(&self) -> u32 {
        let mut s = self.state();
        let ended = s.failures;
        *s = State::default();
        ended
    }

    pub(crate) fn failed(&self, now: Instant, error: String) {
        let mut s = self.state();
        s.last_error = error;
        s.probe_since = None;
        // Checks that were already in flight when Redis went away fail together; only the
        // first of them (or a probe) moves the retry time, so the backoff measures outages,
        // not how many requests were waiting.
        if s.retry_at.is_some_and(|at| now < at) {
            return;
        }
        s.failures = s.failures.saturating_add(1);
        s.retry_at = Some(now + retry_delay(s.failures));
    }

    pub(crate) fn last_error(&self) -> String {
        self.state().last_error.clone()
    }
}

fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(250);

    #[test]
    fn a_healthy_redis_is_always_used() {
        let b = Backoff::new(TIMEOUT);
        let now = Instant::now();
        assert_eq!(b.admit(now), Admit::Go { fresh: false });
        assert_eq!(b.admit(now), Admit::Go { fresh: false });
    }

    #[test]
    fn after_a_failure_checks_skip_redis_until_the_retry_time_then_one_probes() {
        let b = Backoff::new(TIMEOUT);
        let t0 = Instant::now();
        b.failed(t0, "refused".into());
        assert_eq!(b.admit(t0 + Duration::from_millis(100)), Admit::Skip);
        let retry = t0 + FIRST_RETRY;
        assert_eq!(b.admit(retry), Admit::Go { fresh: false });
        assert_eq!(b.admit(retry), Admit::Skip, "only one probe at a time");
        assert_eq!(b.succeeded(), 1);
        assert_eq!(b.admit(retry), Admit::Go { fresh: false });
    }

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap_and_then_reconnect_afresh() {
        let b = Backoff::new(TIMEOUT);
        let mut now = Instant::now();
        let mut delays = Vec::new();
        for _ in 0..8 {
            b.failed(now, "refused".into());
            let mut probe = now;
            while b.admit(probe) == Admit::Skip {
                probe += Duration::from_millis(50);
            }
            delays.push(probe - now);
            now = probe;
        }
        let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
        b.failed(now, "refused".into());
        assert_eq!(b.admit(now + MAX_RETRY), Admit::Go { fresh: true });
    }

    #[test]
    fn requests_failing_together_count_as_one_failure() {
        let b = Backoff::new(TIMEOUT);
        let t0 = Instant::now();
        for _ in 0..100 {
            b.failed(t0, "timed out".into());
        }
        assert_eq!(b.admit(t0 + FIRST_RETRY), Admit::Go { fresh: false });
    }

    #[test]
    fn a_cancelled_probe_does_not_block_retries_forever() {
        let b = Backoff::new(TIMEOUT);
        let t0 = Instant::now();
        b.failed(t0, "refused".into());
        let retry = t0 + FIRST_RETRY;
        assert!(matches!(b.admit(retry), Admit::Go { .. }));
        // The probe never reports back.
        assert_eq!(b.admit(retry + TIMEOUT), Admit::Skip);
        assert!(matches!(b.admit(retry + TIMEOUT * 2), Admit::Go { .. }));
    }
}
