//! Stripe's error object (`{"error": {"type", "code", "message", "param"}}`) and the few
//! errors every endpoint can answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A Stripe error object with its HTTP status.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    pub fn missing_param(param: &str) -> ApiError {
        ApiError {
            code: Some("parameter_missing"),
            ..ApiError::invalid(format!("Missing required param: {param}."), Some(param))
        }
    }

    /// An id in the parameters (400) or in the path (404) that names nothing.
    pub fn no_such(what: &str, id: &str, param: &str, status: StatusCode) -> ApiError {
        ApiError {
            status,
            code: Some("resource_missing"),
            ..ApiError::invalid(format!("No such {what}: '{id}'"), Some(param))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
