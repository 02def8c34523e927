//! Tokens of an external OIDC issuer (production: the Keycloak realm `konqer`). Discovery is
//! lazy and retried, so the API starts even while the issuer is down (its tokens get 503 in
//! the meantime, built-in tokens keep working). The first token of a new subject provisions
//! its user, linking an existing account only through an email the issuer has verified.

use std::sync::Arc;

use konqer_identity::http::HttpClient;
use konqer_identity::oidc::{ExternalClaims, OidcSettings, OidcVerifier};
use konqer_identity::{Email, TokenError};
use konqer_store::{StoreError, User};
use tokio::sync::OnceCell;

use super::{AuthError, Authenticated};
use crate::App;

pub struct ExternalIssuer {
    settings: OidcSettings,
    http: HttpClient,
    verifier: OnceCell<Arc<OidcVerifier>>,
}

impl ExternalIssuer {
    pub fn new(settings: OidcSettings, http: HttpClient) -> Self {
        ExternalIssuer {
            settings,
            http,
            verifier: OnceCell::new(),
        }
    }

    pub fn issuer(&self) -> &str {
        self.settings.issuer.trim_end_matches('/')
    }

    /// The verifier, discovering the issuer first if that has not succeeded yet. Concurrent
    /// callers share one discovery.
    pub async fn verifier(&self) -> Result<Arc<OidcVerifier>, TokenError> {
        self.verifier
            .get_or_try_init(|| async {
                OidcVerifier::discover(self.settings.clone(), self.http.clone())
                    .await
                    .map(Arc::new)
                    .map_err(|e| {
                        tracing::warn!(error = %e, issuer = self.issuer(), "OIDC discovery failed");
                        TokenError::Unavailable(e.to_string())
                    })
            })
            .await
            .cloned()
    }

    pub async fn authenticate(&self, app: &App, token: &str) -> Result<Authenticated, AuthError> {
        let claims = self.verifier().await?.verify(token).await?;
        let user = provision(app, &claims).await?;
        let mut roles = claims.roles;
        if !roles.iter().any(|r| r == "user") {
            roles.insert(0, "user".to_owned());
        }
        Ok(Authenticated { user, roles })
    }
}

/// The user behind an external subject: known, linked by verified email, or created.
async fn provision(app: &App, claims: &ExternalClaims) -> Result<User, AuthError> {
    if let Some(user) = app.store.user_by_keycloak_id(&claims.subject).await? {
        return Ok(user);
    }
    let email = claims
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or(AuthError::Token(TokenError::Claim("email")))?;
    let now = app.clock.now();
    if let Some(existing) = app.store.find_user_by_email(email.as_str()).await? {
        if !claims.email_verified {
            return Err(AuthError::Unlinkable);
        }
        app.store
            .set_keycloak_id(existing.id, &claims.subject, now)
            .await?;
        tracing::info!(user_id = %existing.id, "linked an external identity by verified email");
        return Ok(existing);
    }
    let new_user = super::external_user(email, claims.name.as_deref(), claims.email_verified, now);
    match app
        .store
        .create_user_with_keycloak_id(&new_user, &claims.subject)
        .await
    {
        Ok(user) => Ok(user),
        // Two first requests raced; the other one created the user.
        Err(StoreError::Conflict { .. }) => app
            .store
            .user_by_keycloak_id(&claims.subject)
            .await?
            .ok_or(AuthError::Unlinkable),
        Err(e) => Err(e.into()),
    }
}
