//! The two steps of the code grant at a stand-in provider: `/authorize` approves at once and
//! records what the client asked for; the token endpoint checks all of it, spends the code,
//! and refuses in the provider's own error shape.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use reqwest::Url;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{random_token, Grant, ProviderState, StandInProvider};

const CODE_LIFETIME: Duration = Duration::from_secs(600);

pub(super) async fn authorize(
    State(state): State<Arc<ProviderState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| query.get(name).map(String::as_str);
    // Problems with the client or its redirect URI are shown to the user, never redirected:
    // redirecting to an unvetted URI is how open redirectors are made.
    if param("client_id") != Some(state.client_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let Some(redirect_uri) = param("redirect_uri").filter(|uri| state.redirect_allowed(uri)) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not registered").into_response();
    };
    let Ok(mut location) = Url::parse(redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    let challenge = param("code_challenge").filter(|c| (43..=128).contains(&c.len()));
    let refusal = if param("response_type") != Some("code") {
        Some("unsupported_response_type")
    } else if param("code_challenge_method") != Some("S256") || challenge.is_none() {
        Some("invalid_request")
    } else if state.is_oidc()
        && !param("scope")
            .unwrap_or_default()
            .split(' ')
            .any(|s| s == "openid")
    {
        Some("invalid_scope")
    } else {
        None
    };
    {
        let mut pairs = location.query_pairs_mut();
        match (refusal, challenge) {
            (None, Some(challenge)) => {
                let code = random_token();
                let mut session = state.session();
                let grant = Grant {
                    client_id: state.client_id.clone(),
                    redirect_uri: redirect_uri.to_owned(),
                    challenge: challenge.to_owned(),
                    nonce: param("nonce").map(str::to_owned),
                    user: session.user.clone(),
                    issued: Instant::now(),
                };
                session.codes.insert(code.clone(), grant);
                pairs.append_pair("code", &code);
            }
            (refusal, _) => {
                pairs.append_pair("error", refusal.unwrap_or("invalid_request"));
            }
        }
        if let Some(request_state) = param("state") {
            pairs.append_pair("state", request_state);
        }
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// Why the token endpoint refuses; rendered in each provider's own shape.
#[derive(Clone, Copy)]
enum Refusal {
    UnsupportedGrant,
    InvalidClient,
    BadCode,
    RedirectMismatch,
    BadVerifier,
}

pub(super) async fn token(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let (client_id, client_secret) = basic_credentials(&headers).unwrap_or_else(|| {
        (
            field("client_id").to_owned(),
            field("client_secret").to_owned(),
        )
    });
    if field("grant_type") != "authorization_code" {
        return refuse(state.provider, Refusal::UnsupportedGrant);
    }
    if client_id != state.client_id || client_secret != state.client_secret {
        return refuse(state.provider, Refusal::InvalidClient);
    }
    let mut session = state.session();
    // Taken out before any other check: a code is spent by its first use, even a failed one.
    let Some(grant) = session.codes.remove(field("code")) else {
        return refuse(state.provider, Refusal::BadCode);
    };
    if grant.client_id != client_id || grant.issued.elapsed() > CODE_LIFETIME {
        return refuse(state.provider, Refusal::BadCode);
    }
    if field("redirect_uri") != grant.redirect_uri {
        return refuse(state.provider, Refusal::RedirectMismatch);
    }
    let verifier = field("code_verifier");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !(43..=128).contains(&verifier.len()) || challenge != grant.challenge {
        return refuse(state.provider, Refusal::BadVerifier);
    }
    let access_token = random_token();
    session
        .tokens
        .insert(access_token.clone(), grant.user.clone());
    drop(session);
    let body = match state.provider {
        StandInProvider::Github => json!({
            "access_token": access_token,
            "token_type": "bearer",
            "scope": "read:user,user:email",
        }),
        _ => json!({
            "access_token": access_token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "openid email profile",
            "id_token": state.id_token(&grant),
        }),
    };
    Json(body).into_response()
}

/// RFC 6749 §5.2 errors: 400 (401 for client authentication) with `error`. GitHub answers
/// every refusal with 200 and its own error codes.
fn refuse(provider: StandInProvider, refusal: Refusal) -> Response {
    let (status, rfc_code, github_code, description) = match refusal {
        Refusal::UnsupportedGrant => (
            400,
            "unsupported_grant_type",
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        ),
        Refusal::InvalidClient => (
            401,
            "invalid_client",
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        ),
        Refusal::BadCode => (
            400,
            "invalid_grant",
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        ),
        Refusal::RedirectMismatch => (
            400,
            "invalid_grant",
            "redirect_uri_mismatch",
            "The redirect_uri does not match the authorization request.",
        ),
        Refusal::BadVerifier => (
            400,
            "invalid_grant",
            "bad_verification_code",
            "The code_verifier does not match the code_challenge.",
        ),
    };
    if provider == StandInProvider::Github {
        let body = json!({
            "error": github_code,
            "error_description": description,
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
        });
        return Json(body).into_response();
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "error": rfc_code, "error_description": description })),
    )
        .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
