//! Social login with GitHub, Google and LinkedIn: the authorization request (state, PKCE S256,
//! and a nonce for the OpenID Connect providers), then the code exchange and the profile.
//! Comparing the callback's `state` with the stored one is the caller's job: it owns the session.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Validation;
use konqer_domain::Secret;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::http::{HttpClient, UpstreamError};
use crate::oidc::{self, JwksCache};
use crate::TokenError;

mod profile;
mod provider;

use provider::Endpoints;
pub use provider::{Provider, UnknownProvider};

const ID_TOKEN_LEEWAY: Duration = Duration::from_secs(30);
const JWKS_COOLDOWN: Duration = Duration::from_secs(30);
/// Provider-supplied error texts end up in logs; keep them short.
const MAX_PROVIDER_TEXT: usize = 200;

#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub client_id: String,
    pub client_secret: Secret<String>,
    /// Replaces scheme and host of every endpoint (and the id_token issuer); for stand-ins.
    pub base_url: Option<String>,
}

/// What to send the browser to, and what to keep in the login session until the callback.
#[derive(Clone)]
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: Option<String>,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url)
            .field("state", &self.state)
            .field("pkce_verifier", &"[redacted]")
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// Who signed in, as the provider describes them. `email` is only ever a verified address
/// for GitHub; for Google and LinkedIn `email_verified` says whether it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialProfile {
    pub provider: Provider,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl SocialProfile {
    /// The email, if the provider vouches for it; for callers that require one.
    pub fn verified_email(&self) -> Result<&str, OAuthError> {
        match &self.email {
            Some(email) if self.email_verified => Ok(email),
            _ => Err(OAuthError::EmailMissing),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The code is unknown, expired or already used, or the PKCE verifier does not match it.
    #[error("the provider refused the authorization code ({error})")]
    GrantRefused {
        error: String,
        description: Option<String>,
    },
    /// Refused for a reason that is not the user's: our client credentials or registration,
    /// or the provider's own trouble (`server_error`, `temporarily_unavailable`).
    #[error("the provider refused the code exchange ({error})")]
    ProviderRefused {
        error: String,
        description: Option<String>,
    },
    /// The id_token was issued for another login: replayed or injected code.
    #[error("the id_token's nonce does not belong to this login")]
    NonceMismatch,
    #[error("the provider confirmed no email address for this account")]
    EmailMissing,
    /// Signature, issuer, audience or expiry of the id_token.
    #[error("the provider's id_token was refused")]
    IdToken(#[source] TokenError),
    #[error("the provider answered with something unusable: {0}")]
    Protocol(&'static str),
    #[error("the provider could not be used")]
    Upstream(#[from] UpstreamError),
}

impl OAuthError {
    /// True when the login failed because of what the user's browser brought back (400);
    /// false when the provider or our configuration failed (502).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            OAuthError::GrantRefused { .. } | OAuthError::NonceMismatch | OAuthError::EmailMissing
        )
    }
}

struct IdTokenVerifier {
    keys: JwksCache,
    validation: Validation,
}

/// One configured social provider. Send + Sync; share it in an `Arc`.
pub struct ProviderClient {
    provider: Provider,
    client_id: String,
    client_secret: Secret<String>,
    endpoints: Endpoints,
    http: HttpClient,
    id_tokens: Option<IdTokenVerifier>,
}

/// Deliberately not `Debug`: it holds the tokens.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl ProviderClient {
    pub fn new(provider: Provider, settings: ProviderSettings, http: HttpClient) -> Self {
        let endpoints = Endpoints::new(provider, settings.base_url.as_deref());
        let id_tokens = endpoints.jwks.as_ref().map(|jwks| {
            let issuers: Vec<&str> = endpoints.issuers.iter().map(String::as_str).collect();
            IdTokenVerifier {
                keys: JwksCache::new(jwks.clone(), http.clone(), JWKS_COOLDOWN),
                validation: oidc::rs256_validation(&issuers, &settings.client_id, ID_TOKEN_LEEWAY),
            }
        });
        ProviderClient {
            provider,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            endpoints,
            http,
            id_tokens,
        }
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// A fresh 256-bit state, PKCE verifier (43 characters) and, for OIDC providers, nonce.
    pub fn authorization_request(&self, redirect_uri: &str) -> AuthorizationRequest {
        let state = random_token();
        let pkce_verifier = random_token();
        let nonce = self.provider.is_oidc().then(random_token);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", self.provider.scope())
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce_challenge(&pkce_verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(nonce) = &nonce {
            query.append_pair("nonce", nonce);
        }
        AuthorizationRequest {
            url: format!("{}?{}", self.endpoints.authorize, query.finish()),
            state,
            pkce_verifier,
            nonce,
        }
    }

    /// Exchanges the code, then reads who signed in: for Google and LinkedIn from the verified
    /// id_token and userinfo, for GitHub from `/user` and `/user/emails`.
    pub async fn complete(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
        redirect_uri: &str,
    ) -> Result<SocialProfile, OAuthError> {
        let tokens = self.exchange(code, pkce_verifier, redirect_uri).await?;
        let access_token = tokens
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or(OAuthError::Protocol(
                "the token response has no access_token",
            ))?;
        match &self.id_tokens {
            None => self.github_profile(&access_token).await,
            Some(verifier) => {
                let id_token = tokens
                    .id_token
                    .ok_or(OAuthError::Protocol("the token response has no id_token"))?;
                self.oidc_profile(verifier, &id_token, nonce, &access_token)
                    .await
            }
        }
    }

    async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose().as_str()),
            ("code_verifier", pkce_verifier),
        ];
        let response = self.http.post_form(&self.endpoints.token, &form).await?;
        // RFC 6749 §5.2 refusals are 400 with a JSON `error`; GitHub sends the same body with
        // 200. Either way, a body naming an error is a refusal.
        match serde_json::from_slice::<TokenResponse>(&response.body) {
            Ok(TokenResponse {
                error: Some(error),
                error_description,
                ..
            }) => Err(refusal(&error, error_description.as_deref())),
            _ if !response.is_success() => Err(response.status_error().into()),
            _ => Ok(response.json()?),
        }
    }
}

/// `invalid_grant` (RFC 6749) and GitHub's `bad_verification_code` are about the code the
/// browser brought back; every other error code is about our configuration or the provider.
fn refusal(error: &str, description: Option<&str>) -> OAuthError {
    let error: String = error.chars().take(64).collect();
    let description = description.map(|text| text.chars().take(MAX_PROVIDER_TEXT).collect());
    match error.as_str() {
        "invalid_grant" | "bad_verification_code" => {
            OAuthError::GrantRefused { error, description }
        }
        _ => OAuthError::ProviderRefused { error, description },
    }
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)), unpadded.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 256 bits from the OS generator, base64url: 43 characters, all PKCE-legal.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
