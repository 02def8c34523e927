//! The OpenAPI 3.1 document, generated from the handlers' annotations and snapshot-tested so
//! any change to the public contract shows up in review.

use std::sync::LazyLock;

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Konqer API",
        version = "1",
        description = "Twelve AI sales-and-marketing tools behind one account. Errors are \
            `application/problem+json` (RFC 9457) with a stable `code`."
    ),
    paths(
        crate::routes::health::health,
        crate::routes::health::ready,
        crate::routes::services::list,
        crate::routes::services::get,
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldError)),
    tags(
        (name = "operations", description = "Liveness and readiness"),
        (name = "catalog", description = "The services and their prices"),
    )
)]
pub struct ApiDoc;

static JSON: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

pub fn document_json() -> String {
    JSON.clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_document_matches_the_snapshot() {
        let doc: serde_json::Value = serde_json::from_str(&super::document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        insta::assert_json_snapshot!("openapi", doc);
    }
}
