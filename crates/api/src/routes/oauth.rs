//! Social login (GitHub, Google, LinkedIn): authorization code with PKCE, `state` and — for
//! the OpenID Connect providers — `nonce`. The login attempt lives in the database between
//! `/start` and `/callback`, so any replica can finish what another began; each state works
//! once and for ten minutes. Tokens reach the web app in the URL fragment, never the query.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use konqer_identity::oauth::{OAuthError, ProviderClient, SocialProfile};
use konqer_identity::Email;
use konqer_store::{OAuthState, StoreError, User};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::TokenPair;
use crate::problem::ApiError;
use crate::routes::auth::record;
use crate::AppState;

const STATE_TTL_MINUTES: i64 = 10;

#[derive(Serialize, ToSchema)]
pub struct ProviderInfo {
    /// `github`, `google` or `linkedin`.
    id: &'static str,
    name: &'static str,
    /// Send the browser here to sign in.
    start_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct Providers {
    providers: Vec<ProviderInfo>,
}

/// The social login providers this deployment has configured.
#[utoipa::path(get, path = "/auth/providers", tag = "auth",
    responses((status = 200, description = "Configured providers", body = Providers)))]
pub async fn providers(State(state): State<AppState>) -> Json<Providers> {
    let providers = state
        .identity
        .social
        .iter()
        .map(|client| {
            let id = client.provider().as_str();
            ProviderInfo {
                id,
                name: match id {
                    "github" => "GitHub",
                    "google" => "Google",
                    _ => "LinkedIn",
                },
                start_url: format!("/auth/oauth/{id}/start"),
            }
        })
        .collect();
    Json(Providers { providers })
}

fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a ProviderClient, ApiError> {
    state.identity.provider(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "Sign-in with {:?} is not available here; see GET /auth/providers.",
            name.chars().take(32).collect::<String>()
        ))
    })
}

#[derive(Deserialize)]
pub struct StartQuery {
    /// Where in the web app to go after signing in (a path, e.g. `/dashboard/`).
    redirect_to: Option<String>,
}

/// Only same-site paths: an open redirect would hand tokens to whoever wrote the link.
fn safe_path(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= 512;
    ok.then(|| path.to_owned())
}

/// Sends the browser to the provider's consent page.
#[utoipa::path(get, path = "/auth/oauth/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "github, google or linkedin"),
           ("redirect_to" = Option<String>, Query, description = "Path in the web app to land on")),
    responses(
        (status = 302, description = "Redirect to the provider"),
        (status = 404, description = "Provider not configured", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Response, ApiError> {
    let client = provider(&state, &name)?;
    let redirect_uri = state.identity.callback_url(client.provider());
    let request = client.authorization_request(&redirect_uri);
    let redirect_to = match query.redirect_to.as_deref() {
        None => None,
        Some(path) => Some(safe_path(path).ok_or_else(|| {
            ApiError::invalid(
                "redirect_to",
                "must be a path on this site, like /dashboard/",
            )
        })?),
    };
    state
        .store
        .save_oauth_state(&OAuthState {
            state: request.state.clone(),
            provider: client.provider().as_str().to_owned(),
            pkce_verifier: request.pkce_verifier.clone(),
            nonce: request.nonce.clone(),
            redirect_to,
            expires_at: state.clock.now() + Duration::minutes(STATE_TTL_MINUTES),
        })
        .await?;
    redirect(&request.url)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where the provider sends the browser back: finishes the login and hands the tokens to the
/// web app in the URL fragment.
#[utoipa::path(get, path = "/auth/oauth/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "github, google or linkedin")),
    responses(
        (status = 302, description = "Signed in; redirect to the web app with tokens in the fragment"),
        (status = 400, description = "Bad or expired state, refused code or PKCE failure", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Provider not configured", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let client = provider(&state, &name)?;
    let expired = || {
        ApiError::BadRequest(
            "This sign-in link is invalid or has expired; start signing in again.".to_owned(),
        )
    };
    let attempt = match query.state.as_deref() {
        Some(s) if !s.is_empty() && s.len() <= 256 => state
            .store
            .take_oauth_state(s, client.provider().as_str(), state.clock.now())
            .await?
            .ok_or_else(expired)?,
        _ => return Err(expired()),
    };
    if let Some(error) = query.error {
        return Err(ApiError::BadRequest(format!(
            "{} did not sign you in ({}).",
            client.provider(),
            error.chars().take(64).collect::<String>()
        )));
    }
    let code = query
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| {
            ApiError::BadRequest("The provider sent no authorization code.".to_owned())
        })?;
    let redirect_uri = state.identity.callback_url(client.provider());
    let profile = client
        .complete(
            &code,
            &attempt.pkce_verifier,
            attempt.nonce.as_deref(),
            &redirect_uri,
        )
        .await
        .map_err(|e| oauth_error(client, e))?;
    let user = sign_in(&state, &profile).await?;
    let pair = state.identity.issue(&state, &user).await?;
    let target = landing_url(
        &state.identity.web_url,
        &pair,
        attempt.redirect_to.as_deref(),
    );
    let mut response = redirect(&target)?;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, pair.cookie());
    Ok(response)
}

fn oauth_error(client: &ProviderClient, err: OAuthError) -> ApiError {
    if err.is_client_error() {
        let detail = match err {
            OAuthError::EmailMissing => format!(
                "Your {} account has no verified email address; verify one there, or sign up with email and password.",
                client.provider()
            ),
            _ => "The sign-in could not be completed; start signing in again.".to_owned(),
        };
        tracing::info!(provider = %client.provider(), reason = %err, "social login refused");
        ApiError::BadRequest(detail)
    } else {
        tracing::warn!(provider = %client.provider(), error = %err, "social login provider failed");
        ApiError::Upstream(format!(
            "{} could not be reached or answered unexpectedly; try again shortly.",
            client.provider()
        ))
    }
}

/// The user behind a social identity: already linked, linked now by a verified email, or
/// created. An account is never created or linked on an email the provider has not verified
/// (that would let anyone claim someone else's address).
async fn sign_in(state: &AppState, profile: &SocialProfile) -> Result<User, ApiError> {
    let provider = profile.provider.as_str();
    if let Some(user) = state
        .store
        .user_by_identity(provider, &profile.subject)
        .await?
    {
        return Ok(user);
    }
    let email = profile
        .verified_email()
        .ok()
        .and_then(|e| Email::parse(e).ok())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Your {provider} account has no verified email address; verify one there, or sign up with email and password."
            ))
        })?;
    let now = state.clock.now();
    if let Some(existing) = state.store.find_user_by_email(email.as_str()).await? {
        state
            .store
            .link_identity(provider, &profile.subject, existing.id, now)
            .await?;
        record(
            state,
            "user.identity_linked",
            existing.id,
            json!({"provider": provider}),
        )
        .await;
        return Ok(existing);
    }
    let new_user = crate::auth::external_user(email, profile.name.as_deref(), true, now);
    match state
        .store
        .create_user_with_identity(&new_user, provider, &profile.subject)
        .await
    {
        Ok(user) => {
            record(
                state,
                "user.registered",
                user.id,
                json!({"method": provider}),
            )
            .await;
            Ok(user)
        }
        // A concurrent callback for the same identity won the race.
        Err(StoreError::Conflict { .. }) => state
            .store
            .user_by_identity(provider, &profile.subject)
            .await?
            .ok_or_else(|| {
                ApiError::Conflict("This account is being created; try again.".to_owned())
            }),
        Err(e) => Err(e.into()),
    }
}

/// `{web_url}/auth/callback/#access_token=…&refresh_token=…&token_type=Bearer&expires_in=3600`.
fn landing_url(web_url: &str, pair: &TokenPair, redirect_to: Option<&str>) -> String {
    let mut fragment = form_urlencoded::Serializer::new(String::new());
    fragment
        .append_pair("access_token", &pair.access_token)
        .append_pair("refresh_token", &pair.refresh_token)
        .append_pair("token_type", pair.token_type)
        .append_pair("expires_in", &pair.expires_in.to_string());
    if let Some(path) = redirect_to {
        fragment.append_pair("redirect_to", path);
    }
    format!("{web_url}/auth/callback/#{}", fragment.finish())
}

fn redirect(location: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(location).map_err(ApiError::internal)?;
    let mut response = StatusCode::FOUND.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
