//! The public catalog: `GET /api/services` and `GET /api/services/{service}`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use konqer_domain::ServiceKey;

use crate::catalog::ServiceEntry;
use crate::middleware::RESPONSE_HEADER_CAPACITY;
use crate::problem::ApiError;
use crate::AppState;

/// The twelve services with prices (cents), type, daily limit and release day.
#[utoipa::path(get, path = "/api/services", tag = "catalog",
    responses((status = 200, description = "The catalog", body = [ServiceEntry])))]
pub async fn list(State(state): State<AppState>) -> Response {
    json_response(state.catalog.snapshot().list_json.clone())
}

/// One service, by key (`cold-dm`) or slug (`cold-dm-personalizer`).
#[utoipa::path(get, path = "/api/services/{service}", tag = "catalog",
    params(("service" = String, Path, description = "Service key or slug")),
    responses(
        (status = 200, description = "The service", body = ServiceEntry),
        (status = 404, description = "No such service", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Path(service): Path<String>,
) -> Result<Response, ApiError> {
    let key = service
        .parse::<ServiceKey>()
        .ok()
        .or_else(|| ServiceKey::from_slug(&service))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no service {service:?}; see GET /api/services."
            ))
        })?;
    let json = state
        .catalog
        .snapshot()
        .item_json(key)
        .ok_or_else(|| ApiError::NotFound(format!("Service {key} is not in the catalog.")))?;
    Ok(json_response(json))
}

fn json_response(body: axum::body::Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    // Sized once for everything the edge adds, instead of growing on the way out.
    headers.reserve(RESPONSE_HEADER_CAPACITY);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Public and the same for everyone; short so operator changes show quickly.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    response
}
