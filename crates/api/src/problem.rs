//! The one error type of the HTTP edge. Every failure becomes an RFC 9457
//! `application/problem+json` body with a stable `code`; internal causes are logged once,
//! here, and never sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One invalid field of a 422 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish path of the field, e.g. `email` or `slides[2].title`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    /// A 401 with a specific explanation (e.g. wrong credentials).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// The user may not run this service now.
    #[error("{detail}")]
    ServiceLocked {
        reason: konqer_domain::entitlement::Denied,
        detail: String,
    },
    /// Today's quota for the service is used up.
    #[error("daily limit reached")]
    DailyLimitReached { limit: i32, retry_after_secs: u64 },
    /// The text provider failed; the quota was not spent.
    #[error("{0}")]
    GenerationFailed(String),
    #[error("{0}")]
    Unavailable(String),
    /// A provider we depend on failed (502).
    #[error("{0}")]
    Upstream(String),
    /// Anything unexpected. The cause is logged, the client sees a generic message.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(err.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } | ApiError::DailyLimitReached { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::ServiceLocked { .. } => StatusCode::FORBIDDEN,
            ApiError::GenerationFailed(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, documented machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized | ApiError::Unauthenticated(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid(_) => "invalid_input",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::ServiceLocked { .. } => "service_locked",
            ApiError::DailyLimitReached { .. } => "daily_limit_reached",
            ApiError::GenerationFailed(_) => "generation_failed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Upstream(_) => "upstream_error",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Unauthorized => "Sign in and send the access token as `Authorization: Bearer <token>`.".to_owned(),
            ApiError::MethodNotAllowed => "This resource does not support that HTTP method; see the Allow header.".to_owned(),
            ApiError::Invalid(errors) if errors.len() == 1 => format!("{}: {}", errors[0].field, errors[0].message),
            ApiError::Invalid(errors) => format!("{} fields are invalid; see `errors`.", errors.len()),
            ApiError::RateLimited { retry_after_secs } => format!("Too many requests; retry in {retry_after_secs} s."),
            ApiError::DailyLimitReached { limit, .. } => format!("You have used all {limit} generations of this service for today; the limit resets at 00:00 UTC."),
            ApiError::Internal(_) => "Something went wrong on our side. It has been logged; quote the request id (`instance`) if you contact support.".to_owned(),
            other => other.to_string(),
        }
    }
}

/// The problem document (RFC 9457) every error response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_input`.
    pub code: String,
    /// The request id (also in the `x-request-id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field errors, for `invalid_input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Why a service is locked (`service_locked`): `not_purchased`, `scheduled`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When a `scheduled` service unlocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlocks_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://konqer.app/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            reason: None,
            unlocks_at: None,
            instance: request_id::current(),
            errors: None,
        }
    }

    /// A generic problem for a bare status some layer produced without a body we trust.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => ("bad_request", "The request could not be understood."),
            401 => ("unauthorized", "Authentication required."),
            403 => ("forbidden", "You may not do this."),
            404 => ("not_found", "There is nothing at this address."),
            405 => (
                "method_not_allowed",
                "This resource does not support that HTTP method; see the Allow header.",
            ),
            408 => ("request_timeout", "The request took too long to arrive."),
            413 => ("payload_too_large", "The request body is too large."),
            415 => (
                "unsupported_media_type",
                "Send the body as application/json.",
            ),
            422 => ("invalid_input", "The request is not valid."),
            429 => ("rate_limited", "Too many requests."),
            503 => ("unavailable", "The service is temporarily unavailable."),
            s if s >= 500 => ("internal_error", "Something went wrong on our side."),
            _ => ("error", "The request failed."),
        };
        Problem::new(status, code, detail)
    }

    pub fn into_response_with(self, status: StatusCode) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.into_response_with(status)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, cause = ?cause, "request failed");
        }
        let mut problem = Problem::new(status, self.code(), self.detail());
        if let ApiError::Invalid(errors) = &self {
            problem.errors = Some(errors.clone());
        }
        if let ApiError::ServiceLocked { reason, .. } = &self {
            problem.reason = Some(reason.code().to_owned());
            if let konqer_domain::entitlement::Denied::Scheduled { unlocks_at } = reason {
                problem.unlocks_at = Some(*unlocks_at);
            }
        }
        let mut response = problem.into_response_with(status);
        match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::DailyLimitReached {
                retry_after_secs, ..
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            ApiError::Unauthorized | ApiError::Unauthenticated(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"konqer\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<konqer_store::StoreError> for ApiError {
    fn from(err: konqer_store::StoreError) -> Self {
        use konqer_store::StoreError;
        match err {
            StoreError::NotFound => ApiError::NotFound("Not found.".to_owned()),
            StoreError::Conflict { .. } => {
                ApiError::Conflict("That conflicts with existing data.".to_owned())
            }
            StoreError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable("The database is unavailable; try again shortly.".to_owned())
            }
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_input_lists_field_errors_and_names_them_in_detail() {
        let response = ApiError::invalid("email", "must contain @").into_response();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "invalid_input");
        assert_eq!(json["status"], 422);
        assert_eq!(json["detail"], "email: must contain @");
        assert_eq!(json["errors"][0]["field"], "email");
        assert_eq!(json["type"], "https://konqer.app/problems/invalid_input");
    }

    #[tokio::test]
    async fn internal_errors_never_leak_their_cause() {
        let response = ApiError::internal("password=hunter2 connection refused").into_response();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("internal_error"));
    }

    #[tokio::test]
    async fn rate_limited_carries_retry_after() {
        let response = ApiError::RateLimited {
            retry_after_secs: 17,
        }
        .into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "17");
    }
}
