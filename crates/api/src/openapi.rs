//! The OpenAPI 3.1 document, generated from the handlers' annotations and snapshot-tested so
//! any change to the public contract shows up in review.

use std::sync::LazyLock;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        crate::routes::auth::register,
        crate::routes::auth::login,
        crate::routes::auth::refresh,
        crate::routes::auth::logout,
        crate::routes::auth::jwks,
        crate::routes::auth::openid_configuration,
        crate::routes::oauth::providers,
        crate::routes::oauth::start,
        crate::routes::oauth::callback,
        crate::routes::me::get,
        crate::routes::me::patch,
        crate::routes::me::delete,
        crate::routes::webhooks::stripe,
        crate::routes::generate::generate,
        crate::routes::generations::list,
        crate::routes::generations::get,
        crate::routes::generations::delete,
        crate::routes::generations::carousel_pdf,
        crate::routes::admin::flags::mine,
        crate::routes::checkout::founding,
        crate::routes::checkout::single,
        crate::routes::checkout::bundle,
        crate::routes::checkout::portal,
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Liveness and readiness"),
        (name = "catalog", description = "The services and their prices"),
        (name = "services", description = "Running the services"),
        (name = "auth", description = "Sign-up, sign-in and tokens (the built-in issuer)"),
        (name = "account", description = "The signed-in user's own account"),
        (name = "billing", description = "Checkout, the billing portal and Stripe webhooks"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the account routes refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

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
