//! Who signed in, once the code is exchanged: for Google and LinkedIn the verified id_token
//! (nonce included) cross-checked with userinfo; for GitHub `/user` and `/user/emails`.

use serde::Deserialize;
use serde_json::Value;

use super::{IdTokenVerifier, OAuthError, Provider, ProviderClient, SocialProfile};
use crate::oidc;
use crate::TokenError;

const GITHUB_JSON: &str = "application/vnd.github+json";

#[derive(Deserialize)]
struct IdTokenClaims {
    sub: Option<String>,
    nonce: Option<String>,
    azp: Option<String>,
    email: Option<Value>,
    email_verified: Option<Value>,
    name: Option<Value>,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<Value>,
    email_verified: Option<Value>,
    name: Option<Value>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl ProviderClient {
    async fn id_token_claims(
        &self,
        verifier: &IdTokenVerifier,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<IdTokenClaims, OAuthError> {
        let claims: IdTokenClaims =
            oidc::verify_rs256(id_token, &verifier.keys, &verifier.validation)
                .await
                .map_err(OAuthError::IdToken)?;
        // OIDC Core §3.1.3.7: with several audiences, `azp` names the one it was issued to.
        if claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != self.client_id)
        {
            return Err(OAuthError::IdToken(TokenError::Claim("azp")));
        }
        match (nonce, claims.nonce.as_deref()) {
            (Some(expected), Some(received)) if expected == received => Ok(claims),
            _ => Err(OAuthError::NonceMismatch),
        }
    }

    pub(super) async fn oidc_profile(
        &self,
        verifier: &IdTokenVerifier,
        id_token: &str,
        nonce: Option<&str>,
        access_token: &str,
    ) -> Result<SocialProfile, OAuthError> {
        let claims = self.id_token_claims(verifier, id_token, nonce).await?;
        let subject = claims
            .sub
            .ok_or(OAuthError::IdToken(TokenError::Claim("sub")))?;
        let info: UserInfo = self
            .http
            .get_json_authorized(&self.endpoints.userinfo, access_token, "application/json")
            .await?;
        // OIDC Core §5.3.2: userinfo about anyone else must not be used.
        if info.sub != subject {
            return Err(OAuthError::Protocol("userinfo describes another subject"));
        }
        // Email and its verification come from the same document, never mixed.
        let (email, email_verified) = match oidc::string(info.email.as_ref()) {
            Some(email) => (Some(email), oidc::truthy(info.email_verified.as_ref())),
            None => (
                oidc::string(claims.email.as_ref()),
                oidc::truthy(claims.email_verified.as_ref()),
            ),
        };
        Ok(SocialProfile {
            provider: self.provider,
            subject,
            email_verified: email_verified && email.is_some(),
            email,
            name: oidc::string(info.name.as_ref()).or_else(|| oidc::string(claims.name.as_ref())),
        })
    }

    pub(super) async fn github_profile(
        &self,
        access_token: &str,
    ) -> Result<SocialProfile, OAuthError> {
        let user: GithubUser = self
            .http
            .get_json_authorized(&self.endpoints.userinfo, access_token, GITHUB_JSON)
            .await?;
        let emails_url = self
            .endpoints
            .emails
            .as_deref()
            .ok_or(OAuthError::Protocol("no emails endpoint"))?;
        let emails: Vec<GithubEmail> = self
            .http
            .get_json_authorized(emails_url, access_token, GITHUB_JSON)
            .await?;
        // Only the primary address, and only once verified: anyone can add an unverified
        // address (someone else's) to a GitHub account.
        let email = emails
            .into_iter()
            .find(|email| email.primary && email.verified)
            .map(|email| email.email);
        Ok(SocialProfile {
            provider: Provider::Github,
            subject: user.id.to_string(),
            email_verified: email.is_some(),
            email,
            name: user
                .name
                .filter(|name| !name.trim().is_empty())
                .or(Some(user.login)),
        })
    }
}
