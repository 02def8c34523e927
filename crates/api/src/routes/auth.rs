//! The built-in issuer: register, login, refresh, logout, and the public keys and discovery
//! document other parties verify our tokens with.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use konqer_domain::Secret;
use konqer_identity::{password, Email};
use konqer_store::{NewEvent, NewUser, StoreError};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{self, MaybeAuthUser, TokenPair};
use crate::client_ip::ClientIp;
use crate::extract::{ApiJson, OptionalJson, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

const NAME_MAX: usize = 200;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    email: String,
    /// 8–128 characters, not a common password.
    #[schema(value_type = String, example = "correct horse battery staple")]
    password: Secret<String>,
    #[serde(default)]
    #[schema(example = "Ada Lovelace")]
    name: String,
}

impl Validate for RegisterRequest {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = Email::parse(&self.email) {
            errors.push(FieldError::new("email", e.to_string()));
        }
        if let Err(e) = password::check_policy(self.password.expose()) {
            errors.push(FieldError::new("password", e.to_string()));
        }
        if let Err(message) = check_name(&self.name) {
            errors.push(FieldError::new("name", message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A display name: at most 200 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.trim().chars().count() > NAME_MAX {
        return Err(format!("must be at most {NAME_MAX} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.com")]
    email: String,
    #[schema(value_type = String)]
    password: Secret<String>,
}

impl Validate for LoginRequest {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = Email::parse(&self.email) {
            errors.push(FieldError::new("email", e.to_string()));
        }
        let len = self.password.expose().chars().count();
        if len == 0 || len > password::MAX_LEN {
            errors.push(FieldError::new(
                "password",
                format!("must be 1–{} characters", password::MAX_LEN),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Optional when the `konqer_refresh` cookie is sent.
    #[schema(value_type = Option<String>)]
    refresh_token: Option<Secret<String>>,
}

impl Validate for RefreshRequest {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

fn tokens_response(status: StatusCode, pair: TokenPair) -> Response {
    let cookie = pair.cookie();
    let mut response = (status, Json(pair)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

fn parsed_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::invalid("email", e.to_string()))
}

/// Creates an account with email and password and signs it in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Signed up and in", body = TokenPair),
        (status = 409, description = "The email is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let email = parsed_email(&body.email)?;
    let hash = password::hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let now = state.clock.now();
    let new_user = NewUser {
        id: Uuid::now_v7(),
        email: email.into_string(),
        name: body.name.trim().to_owned(),
        email_verified: false,
        now,
    };
    let user = match state
        .store
        .create_user_with_password(&new_user, &hash)
        .await
    {
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::Conflict(
                "An account with this email already exists; sign in instead.".to_owned(),
            ))
        }
        other => other?,
    };
    record(
        &state,
        "user.registered",
        user.id,
        json!({"method": "password"}),
    )
    .await;
    let pair = state.identity.issue(&state, &user).await?;
    Ok(tokens_response(StatusCode::CREATED, pair))
}

/// Signs in with email and password. Unknown email and wrong password get the same answer.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let email = parsed_email(&body.email)?;
    let throttle = &state.identity.throttle;
    if let Some(retry_after_secs) = throttle.blocked(email.as_str(), ip) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let user = state.store.find_user_by_email(email.as_str()).await?;
    let stored = match &user {
        Some(user) => state.store.password_hash(user.id).await?,
        None => None,
    };
    // Always one argon2 verification, against a dummy hash when there is no user, so the
    // answer takes as long for an unknown email as for a wrong password.
    let matches = password::verify(stored, body.password).await;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            throttle.record_failure(email.as_str(), ip);
            return Err(ApiError::Unauthenticated(
                "The email or password is wrong.".to_owned(),
            ));
        }
    };
    throttle.record_success(email.as_str());
    let pair = state.identity.issue(&state, &user).await?;
    Ok(tokens_response(StatusCode::OK, pair))
}

/// Trades a refresh token (body or cookie) for a new pair; the old one stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 401, description = "Invalid, expired or reused refresh token", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    let presented = presented_refresh(&headers, body).ok_or_else(|| {
        ApiError::Unauthenticated("Send the refresh token in the body or the cookie.".to_owned())
    })?;
    let pair = state.identity.refresh(&state, presented.expose()).await?;
    Ok(tokens_response(StatusCode::OK, pair))
}

fn presented_refresh(headers: &HeaderMap, body: Option<RefreshRequest>) -> Option<Secret<String>> {
    body.and_then(|b| b.refresh_token)
        .or_else(|| auth::refresh_cookie(headers).map(Secret::new))
}

/// Signs out this device: revokes the refresh token's family and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    if let Some(token) = presented_refresh(&headers, body) {
        let hash = konqer_identity::refresh::hash(token.expose());
        let owner = caller.as_ref().map(|c| c.user.id);
        state
            .store
            .revoke_refresh_family(&hash, owner, state.clock.now())
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::clear_cookie());
    Ok(response)
}

/// The public keys tokens are signed with (JWKS).
#[utoipa::path(get, path = "/auth/jwks.json", tag = "auth",
    responses((status = 200, description = "JSON Web Key Set")))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let ring = state.identity.keys.current();
    cacheable_json(ring.jwks())
}

/// OpenID Provider metadata: enough for a gateway or resource server to find the issuer's
/// keys and what the tokens look like.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "auth",
    responses((status = 200, description = "Discovery document")))]
pub async fn openid_configuration(State(state): State<AppState>) -> Response {
    let issuer = state.identity.issuer.issuer();
    cacheable_json(&json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/auth/jwks.json"),
        "token_endpoint": format!("{issuer}/auth/login"),
        "registration_endpoint": format!("{issuer}/auth/register"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["sub", "email", "roles", "iss", "aud", "iat", "exp", "jti"],
    }))
}

fn cacheable_json(value: &serde_json::Value) -> Response {
    let mut response = Json(value).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// Records an event; a failure to record never fails the request that caused it.
pub(crate) async fn record(state: &AppState, kind: &str, user_id: Uuid, data: serde_json::Value) {
    let event = NewEvent {
        id: Uuid::now_v7(),
        kind: kind.to_owned(),
        user_id: Some(user_id),
        actor_id: Some(user_id),
        service: None,
        data,
        at: state.clock.now(),
    };
    if let Err(err) = state.store.record_event(&event).await {
        tracing::warn!(error = %err, kind, "could not record event");
    }
}
