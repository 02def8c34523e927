//! The three social providers: their names, scopes and endpoints. A `base_url` moves every
//! endpoint of a provider (and the id_token issuer) to one origin, which is how tests reach
//! the stand-ins.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Github,
    Google,
    Linkedin,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Github, Provider::Google, Provider::Linkedin];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Github => "github",
            Provider::Google => "google",
            Provider::Linkedin => "linkedin",
        }
    }

    /// OpenID Connect providers send an id_token and take a nonce; GitHub does neither.
    pub fn is_oidc(self) -> bool {
        !matches!(self, Provider::Github)
    }

    pub(super) fn scope(self) -> &'static str {
        match self {
            Provider::Github => "read:user user:email",
            Provider::Google => "openid email profile",
            Provider::Linkedin => "openid profile email",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown social login provider {0:?}")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.chars().take(32).collect()))
    }
}

pub(super) struct Endpoints {
    pub(super) authorize: String,
    pub(super) token: String,
    pub(super) userinfo: String,
    /// GitHub only: the profile does not include a verified email.
    pub(super) emails: Option<String>,
    pub(super) jwks: Option<String>,
    pub(super) issuers: Vec<String>,
}

impl Endpoints {
    pub(super) fn new(provider: Provider, base_url: Option<&str>) -> Self {
        let base = base_url.map(|url| url.trim_end_matches('/'));
        let at = |origin: &str, path: &str| format!("{}{path}", base.unwrap_or(origin));
        let issuers = |default: &[&str]| match base {
            Some(base) => vec![base.to_owned()],
            None => default.iter().map(|s| (*s).to_owned()).collect(),
        };
        match provider {
            Provider::Github => Endpoints {
                authorize: at("https://github.com", "/login/oauth/authorize"),
                token: at("https://github.com", "/login/oauth/access_token"),
                userinfo: at("https://api.github.com", "/user"),
                emails: Some(at("https://api.github.com", "/user/emails")),
                jwks: None,
                issuers: Vec::new(),
            },
            Provider::Google => Endpoints {
                authorize: at("https://accounts.google.com", "/o/oauth2/v2/auth"),
                token: at("https://oauth2.googleapis.com", "/token"),
                userinfo: at("https://openidconnect.googleapis.com", "/v1/userinfo"),
                emails: None,
                jwks: Some(at("https://www.googleapis.com", "/oauth2/v3/certs")),
                // Google documents both spellings of its issuer.
                issuers: issuers(&["https://accounts.google.com", "accounts.google.com"]),
            },
            Provider::Linkedin => Endpoints {
                authorize: at("https://www.linkedin.com", "/oauth/v2/authorization"),
                token: at("https://www.linkedin.com", "/oauth/v2/accessToken"),
                userinfo: at("https://api.linkedin.com", "/v2/userinfo"),
                emails: None,
                jwks: Some(at("https://www.linkedin.com", "/oauth/openid/jwks")),
                issuers: issuers(&["https://www.linkedin.com/oauth"]),
            },
        }
    }
}
