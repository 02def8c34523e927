//! Extractors whose rejections are problems: malformed JSON → 400, wrong content type → 415,
//! too large → 413, well-formed but wrong shape or invalid values → 422 with field errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, FieldError};

/// Values that check their own invariants after parsing.
pub trait Validate {
    fn validate(&self) -> Result<(), Vec<FieldError>>;
}

/// A JSON body, parsed and validated.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = has_json_content_type(&req);
        let body = read_body(req, state).await?;
        if !is_json {
            return Err(unsupported_media_type());
        }
        Ok(ApiJson(parse_valid(&body)?))
    }
}

/// A JSON body that may also be absent (empty), e.g. when the same value can come from a
/// cookie instead.
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = has_json_content_type(&req);
        let body = read_body(req, state).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !is_json {
            return Err(unsupported_media_type());
        }
        Ok(OptionalJson(Some(parse_valid(&body)?)))
    }
}

fn has_json_content_type(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

fn unsupported_media_type() -> ApiError {
    ApiError::UnsupportedMediaType(
        "Send the body as JSON with `Content-Type: application/json`.".to_owned(),
    )
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("The request body could not be read.".to_owned())
        }
    })
}

fn parse_valid<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    let value = parse_json::<T>(body)?;
    value.validate().map_err(ApiError::Invalid)?;
    Ok(value)
}

/// Parses JSON, telling syntax errors (400) from shape errors (422, with the field's path).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                ApiError::Invalid(vec![FieldError::new(field_of(&path, &message), message)])
            }
            _ => syntax_error(&inner),
        }
    })?;
    de.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

fn syntax_error(err: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("The body is not valid JSON: {err}."))
}

/// The field an error is about: serde reports a missing field at its parent's path and
/// names it only in the message (an unknown field is already in the path).
fn field_of(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

/// serde's messages end with " at line L column C", which means nothing to an API caller.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters, parsed and validated; any problem is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
            let field = err.path().to_string();
            ApiError::invalid(
                if field == "." {
                    "query".to_owned()
                } else {
                    field
                },
                err.into_inner().to_string(),
            )
        })?;
        value.validate().map_err(ApiError::Invalid)?;
        Ok(ApiQuery(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        tags: Vec<u8>,
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_are_422_with_the_path() {
        assert!(matches!(
            parse_json::<Input>(b"{nope"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Input>(b""),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Input>(b"{\"name\":\"a\",\"tags\":[]} trailing"),
            Err(ApiError::BadRequest(_))
        ));
        match parse_json::<Input>(br#"{"name":"a","tags":[1,"x"]}"#) {
            Err(ApiError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "tags[1]");
                assert!(!errors[0].message.contains("line"), "{}", errors[0].message);
            }
            other => panic!("{other:?}"),
        }
        match parse_json::<Input>(br#"{"tags":[]}"#) {
            Err(ApiError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "name");
                assert!(errors[0].message.contains("missing field `name`"));
            }
            other => panic!("{other:?}"),
        }
        match parse_json::<Input>(br#""hello""#) {
            Err(ApiError::Invalid(errors)) => assert_eq!(errors[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
