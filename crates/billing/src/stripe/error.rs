//! What can go wrong talking to Stripe, sorted by whose fault it is: Stripe refusing what our
//! caller asked for (a declined card, an invalid parameter, an unknown id) is a 4xx for us;
//! Stripe failing, refusing our own key, or being unreachable is a 502/503 for us.

use serde::Deserialize;

/// Stripe's error object (`{"error": {"type", "code", "message", "param", …}}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ErrorDetail {
    /// `card_error`, `invalid_request_error`, `idempotency_error`, `api_error`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: String,
    pub param: Option<String>,
    /// Stripe's `Request-Id` header, for support tickets and the logs.
    #[serde(skip)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub error: ErrorDetail,
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe refused the request for what it asked: the caller's fault.
    #[error("Stripe refused the request ({status} {}): {}", .detail.kind, .detail.message)]
    Rejected {
        status: u16,
        detail: Box<ErrorDetail>,
    },
    /// Stripe failed (5xx), kept rate-limiting us, or refused our key (401/403): ours or
    /// Stripe's fault, never the caller's.
    #[error("Stripe answered {status}: {}", .detail.message)]
    Upstream {
        status: u16,
        detail: Box<ErrorDetail>,
    },
    #[error("could not reach Stripe: {0}")]
    Unreachable(String),
    #[error("Stripe did not answer in time")]
    Timeout,
    #[error("Stripe's answer was not understood: {0}")]
    Decode(String),
    #[error("no active Stripe price has the lookup key {0:?}; run `konqer stripe sync`")]
    MissingPrice(String),
    #[error("the Stripe client is misconfigured: {0}")]
    Config(String),
}

impl StripeError {
    /// From a non-2xx answer: 401/403 mean our key is wrong, 429 and 5xx mean Stripe is
    /// struggling; any other 4xx is about what was asked.
    pub(crate) fn from_status(status: u16, detail: ErrorDetail) -> StripeError {
        let detail = Box::new(detail);
        if status == 401 || status == 403 || status == 429 || status >= 500 {
            StripeError::Upstream { status, detail }
        } else {
            StripeError::Rejected { status, detail }
        }
    }

    /// Whether the request itself was at fault (so retrying it unchanged cannot help).
    pub fn is_caller_error(&self) -> bool {
        matches!(self, StripeError::Rejected { .. })
    }

    /// Stripe's error object, when Stripe sent one.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            StripeError::Rejected { detail, .. } | StripeError::Upstream { detail, .. } => {
                Some(detail)
            }
            _ => None,
        }
    }

    /// The HTTP status our own API should answer with: a declined card is 402, an idempotency
    /// key reused with other parameters 409, an unknown object 404, other refusals 400;
    /// Stripe being unreachable, slow or rate-limiting 503; anything else on Stripe's side or
    /// in our configuration 502.
    pub fn status_for_us(&self) -> u16 {
        match self {
            StripeError::Rejected { status, detail } => match (detail.kind.as_str(), status) {
                ("card_error", _) => 402,
                ("idempotency_error", _) => 409,
                (_, 404) => 404,
                _ => 400,
            },
            StripeError::Upstream { status: 429, .. }
            | StripeError::Unreachable(_)
            | StripeError::Timeout => 503,
            StripeError::Upstream { .. }
            | StripeError::Decode(_)
            | StripeError::MissingPrice(_)
            | StripeError::Config(_) => 502,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(kind: &str) -> ErrorDetail {
        ErrorDetail {
            kind: kind.to_owned(),
            message: "m".to_owned(),
            ..ErrorDetail::default()
        }
    }

    #[test]
    fn faults_are_sorted_by_whose_they_are() {
        let card = StripeError::from_status(402, detail("card_error"));
        assert!(card.is_caller_error());
        assert_eq!(card.status_for_us(), 402);
        let missing = StripeError::from_status(404, detail("invalid_request_error"));
        assert_eq!(
            (missing.is_caller_error(), missing.status_for_us()),
            (true, 404)
        );
        let reused = StripeError::from_status(400, detail("idempotency_error"));
        assert_eq!(reused.status_for_us(), 409);
        let bad_key = StripeError::from_status(401, detail("invalid_request_error"));
        assert_eq!(
            (bad_key.is_caller_error(), bad_key.status_for_us()),
            (false, 502)
        );
        let limited = StripeError::from_status(429, detail("rate_limit_error"));
        assert_eq!(
            (limited.is_caller_error(), limited.status_for_us()),
            (false, 503)
        );
        let down = StripeError::from_status(500, detail("api_error"));
        assert_eq!((down.is_caller_error(), down.status_for_us()), (false, 502));
        assert_eq!(StripeError::Timeout.status_for_us(), 503);
    }
}
