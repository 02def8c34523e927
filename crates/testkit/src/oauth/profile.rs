//! What a stand-in provider tells about the signed-in user: OIDC userinfo and JWKS for Google
//! and LinkedIn, `/user` and `/user/emails` for GitHub. All but the JWKS need the access token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{ProviderState, StandInUser};

fn unauthorized() -> Response {
    let body = json!({ "error": "invalid_token", "message": "Bad credentials" });
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

pub(super) async fn userinfo(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = state.bearer_user(&headers) else {
        return unauthorized();
    };
    let mut body = json!({ "sub": user.subject, "locale": "en" });
    if let Some(email) = &user.email {
        body["email"] = json!(email);
        body["email_verified"] = json!(user.email_verified);
    }
    if let Some(name) = &user.name {
        body["name"] = json!(name);
    }
    Json(body).into_response()
}

pub(super) async fn jwks_document(State(state): State<Arc<ProviderState>>) -> Json<Value> {
    Json(json!({ "keys": [state.key.jwk(&state.kid)] }))
}

fn github_login(user: &StandInUser) -> String {
    format!("user-{}", user.subject)
}

/// GitHub ids are numbers; a non-numeric subject is sent as a string, which a careful client
/// refuses.
fn github_id(user: &StandInUser) -> Value {
    user.subject
        .parse::<u64>()
        .map_or_else(|_| json!(user.subject), |id| json!(id))
}

pub(super) async fn github_user(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = state.bearer_user(&headers) else {
        return unauthorized();
    };
    let login = github_login(&user);
    Json(json!({
        "login": login,
        "id": github_id(&user),
        "node_id": format!("U_{}", user.subject),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "name": user.name,
        // The public profile email: often null even when the account has verified ones.
        "email": Value::Null,
    }))
    .into_response()
}

pub(super) async fn github_emails(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = state.bearer_user(&headers) else {
        return unauthorized();
    };
    let mut emails = Vec::new();
    if let Some(email) = &user.email {
        emails.push(json!({ "email": email, "primary": true, "verified": user.email_verified, "visibility": "private" }));
    }
    // GitHub lists the verified, non-primary noreply address of every account: a client that
    // takes "any verified email" gets this one instead of a real address.
    let noreply = format!(
        "{}+{}@users.noreply.github.com",
        user.subject,
        github_login(&user)
    );
    emails
        .push(json!({ "email": noreply, "primary": false, "verified": true, "visibility": null }));
    Json(Value::Array(emails)).into_response()
}
