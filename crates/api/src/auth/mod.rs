//! Authentication at the HTTP edge: the built-in issuer's tokens (and, when configured, an
//! external OIDC issuer's), the token pair handed out at login, and the extractors handlers
//! use to say who may call them.

pub mod cache;
pub mod external;
pub mod extract;
pub mod keys;
pub mod throttle;

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use chrono::Duration;
use konqer_domain::Clock;
use konqer_identity::http::{HttpClient, HttpSettings};
use konqer_identity::oauth::{Provider, ProviderClient, ProviderSettings};
use konqer_identity::oidc::OidcSettings;
use konqer_identity::tokens::{Issuer, Role, ACCESS_TTL_SECS};
use konqer_identity::{password, refresh, TokenError};
use konqer_store::{NewRefreshToken, RefreshOutcome, Store, StoreError, User};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::App;

pub use external::ExternalIssuer;
pub use extract::{AdminUser, AuthUser, MaybeAuthUser};
pub use keys::KeyCache;
pub use throttle::LoginThrottle;

/// The refresh-token cookie: `HttpOnly; Secure; SameSite=Strict`, scoped to `/auth`.
pub const REFRESH_COOKIE: &str = "konqer_refresh";

/// Everything identity-related the handlers share.
pub struct Identity {
    pub issuer: Issuer,
    pub keys: KeyCache,
    pub throttle: LoginThrottle,
    verified: cache::VerifiedTokens,
    /// An external OIDC issuer whose tokens are accepted beside ours.
    pub external: Option<ExternalIssuer>,
    /// Configured social login providers.
    pub social: Vec<ProviderClient>,
    /// Where the web app lives; social logins land on `{web_url}/auth/callback/`.
    pub web_url: String,
}

/// How identity is set up, from the server's configuration.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// The public URL: the built-in issuer's `iss`, and the base of OAuth redirect URIs.
    pub public_url: String,
    pub web_url: String,
    pub oidc: Option<OidcSettings>,
    pub social: Vec<(Provider, ProviderSettings)>,
}

impl IdentitySettings {
    /// Only the built-in issuer, at `public_url`.
    pub fn built_in(public_url: &str) -> Self {
        IdentitySettings {
            public_url: public_url.to_owned(),
            web_url: public_url.to_owned(),
            oidc: None,
            social: Vec::new(),
        }
    }
}

/// The caller, once their token checked out and their account still exists.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub roles: Vec<String>,
}

impl Authenticated {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }
}

/// Why a request is not authenticated. All but `Store` are the client's 401.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("bearer token refused: {0}")]
    Token(#[from] TokenError),
    #[error("the token's user no longer exists")]
    UserGone,
    /// An external identity whose email belongs to an account it may not be linked to.
    #[error("the external identity cannot be linked to the existing account")]
    Unlinkable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Store(e) => e.into(),
            AuthError::Unlinkable => ApiError::Conflict(
                "An account with this email already exists. Verify the email with your identity \
                 provider, or sign in with the existing account."
                    .to_owned(),
            ),
            AuthError::Token(TokenError::Unavailable(e)) => {
                tracing::warn!(error = %e, "identity provider unavailable");
                ApiError::Unavailable(
                    "The identity provider is unavailable; try again shortly.".to_owned(),
                )
            }
            other => {
                tracing::debug!(reason = %other, "authentication failed");
                ApiError::Unauthorized
            }
        }
    }
}

/// `{access_token, refresh_token, token_type, expires_in}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires (3600).
    pub expires_in: i64,
}

impl TokenPair {
    /// The `Set-Cookie` that hands the refresh token to a browser without script access.
    pub fn cookie(&self) -> HeaderValue {
        let max_age = refresh::TTL_DAYS * 24 * 3600;
        HeaderValue::from_str(&format!(
            "{REFRESH_COOKIE}={}; Path=/auth; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict",
            self.refresh_token
        ))
        .expect("refresh tokens are base64url, valid in a header")
    }
}

/// The cookie that deletes the refresh-token cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "konqer_refresh=; Path=/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
    )
}

/// The bearer token of a request: `None` without an Authorization header, an error when the
/// header is there but is not `Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| TokenError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(TokenError::Malformed);
    }
    Ok(Some(token))
}

/// The refresh token in the request's cookie, if any.
pub fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.to_owned())
}

impl Identity {
    /// The built-in issuer with its keys loaded (the first one created), plus the external
    /// issuer and social providers the settings name.
    pub async fn load(
        store: Arc<dyn Store>,
        clock: &dyn Clock,
        settings: IdentitySettings,
    ) -> Result<Self, keys::KeyStoreError> {
        password::warm_up();
        let http = HttpClient::new(HttpSettings::default())
            .map_err(|e| keys::KeyStoreError::Task(format!("HTTP client: {e}")))?;
        let identity = Identity {
            issuer: Issuer::new(&settings.public_url),
            keys: KeyCache::bootstrap(store, clock.now()).await?,
            throttle: LoginThrottle::default(),
            verified: cache::VerifiedTokens::default(),
            external: settings
                .oidc
                .map(|oidc| ExternalIssuer::new(oidc, http.clone())),
            social: settings
                .social
                .into_iter()
                .map(|(provider, s)| ProviderClient::new(provider, s, http.clone()))
                .collect(),
            web_url: settings.web_url.trim_end_matches('/').to_owned(),
        };
        if let Some(external) = &identity.external {
            // Discover now so the first request does not wait; a failure is retried later.
            let _ = external.verifier().await;
        }
        Ok(identity)
    }

    /// The client of a configured social provider.
    pub fn provider(&self, name: &str) -> Option<&ProviderClient> {
        let provider: Provider = name.parse().ok()?;
        self.social.iter().find(|c| c.provider() == provider)
    }

    /// Where a provider sends the browser back to.
    pub fn callback_url(&self, provider: Provider) -> String {
        format!("{}/auth/oauth/{provider}/callback", self.issuer.issuer())
    }

    /// Reloads the keys every `every` so a rotation made elsewhere reaches this replica, and
    /// retired keys leave the JWKS on time.
    pub fn spawn_key_refresher(
        self: &Arc<Self>,
        clock: Arc<dyn Clock>,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let identity = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(err) = identity.keys.reload(clock.now()).await {
                            tracing::warn!(error = %err, "reloading signing keys failed");
                        }
                    }
                    _ = stop.changed() => return,
                }
            }
        });
    }

    /// Verifies a bearer token — ours, or the external issuer's — and loads its user.
    pub async fn authenticate(&self, app: &App, token: &str) -> Result<Authenticated, AuthError> {
        if let Some(external) = &self.external {
            // The unverified `iss` only picks the verifier; that verifier then checks it.
            if unverified_issuer(token).as_deref() == Some(external.issuer()) {
                return external.authenticate(app, token).await;
            }
        }
        let now = app.clock.now();
        let claims = match self.verified.get(token, now.timestamp()) {
            Some(claims) => claims,
            None => {
                let mut ring = self.keys.current();
                if let Some(kid) = Issuer::kid_of(token) {
                    if !ring.knows(&kid) && self.keys.reload_for(&kid, now).await {
                        ring = self.keys.current();
                    }
                }
                let claims = self.issuer.verify(&ring, token, now)?;
                self.verified.insert(token, &claims, now.timestamp());
                claims
            }
        };
        let user = app
            .store
            .get_user(claims.user_id()?)
            .await?
            .ok_or(AuthError::UserGone)?;
        Ok(Authenticated {
            user,
            roles: claims.roles,
        })
    }

    /// A fresh token pair for `user` in a new refresh family (login, registration, social
    /// login). Roles are computed now, from the database.
    pub async fn issue(&self, app: &App, user: &User) -> Result<TokenPair, ApiError> {
        let (refresh_token, hash) = refresh::generate();
        let now = app.clock.now();
        app.store
            .insert_refresh_token(&NewRefreshToken {
                id: Uuid::now_v7(),
                user_id: user.id,
                family_id: Uuid::now_v7(),
                hash,
                issued_at: now,
                expires_at: now + Duration::days(refresh::TTL_DAYS),
            })
            .await?;
        self.access_pair(app, user, refresh_token).await
    }

    /// Trades a refresh token for a new pair. A replayed (already rotated) token revokes its
    /// whole family: either the client or a thief holds a copy, and we cannot tell which.
    pub async fn refresh(&self, app: &App, presented: &str) -> Result<TokenPair, ApiError> {
        let refused = || {
            ApiError::Unauthenticated(
                "The refresh token is invalid or expired; sign in again.".to_owned(),
            )
        };
        if !refresh::looks_valid(presented) {
            return Err(refused());
        }
        let (refresh_token, hash) = refresh::generate();
        let now = app.clock.now();
        let successor = NewRefreshToken {
            id: Uuid::now_v7(),
            user_id: Uuid::nil(),
            family_id: Uuid::nil(),
            hash,
            issued_at: now,
            expires_at: now + Duration::days(refresh::TTL_DAYS),
        };
        match app
            .store
            .rotate_refresh_token(&refresh::hash(presented), &successor, now)
            .await?
        {
            RefreshOutcome::Rotated { user_id } => {
                let user = app.store.get_user(user_id).await?.ok_or_else(refused)?;
                self.access_pair(app, &user, refresh_token).await
            }
            RefreshOutcome::Reused { user_id, family_id } => {
                tracing::warn!(%user_id, %family_id, "refresh token reused; its family is revoked");
                Err(refused())
            }
            RefreshOutcome::Invalid => Err(refused()),
        }
    }

    async fn access_pair(
        &self,
        app: &App,
        user: &User,
        refresh_token: String,
    ) -> Result<TokenPair, ApiError> {
        let now = app.clock.now();
        let facts = app.store.role_facts(user.id, now).await?;
        let roles = Role::compute(facts.founding_member, facts.admin.is_some());
        let access_token = self
            .issuer
            .issue(&self.keys.current(), user.id, &user.email, &roles, now)
            .map_err(ApiError::internal)?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: ACCESS_TTL_SECS,
        })
    }
}

/// The `iss` a token claims, before anything is verified.
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: String,
    }
    serde_json::from_slice::<Iss>(&bytes)
        .ok()
        .map(|c| c.iss.trim_end_matches('/').to_owned())
}

/// Shared handle.
pub type SharedIdentity = Arc<Identity>;

/// A new account for someone an external identity vouches for (OIDC issuer or social
/// login): the verified email, and the display name the provider gave, if any, cut to 200
/// characters.
pub(crate) fn external_user(
    email: konqer_identity::Email,
    name: Option<&str>,
    email_verified: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> konqer_store::NewUser {
    konqer_store::NewUser {
        id: Uuid::now_v7(),
        email: email.into_string(),
        name: name.unwrap_or_default().chars().take(200).collect(),
        email_verified,
        now,
    }
}
