//! Stand-ins for GitHub, Google and LinkedIn sign-in on their real paths and wire formats: an
//! authorize endpoint that approves at once, a token endpoint that enforces client credentials,
//! single-use codes, the redirect URI and PKCE, the profile endpoints, and for the OpenID
//! Connect providers a JWKS and RS256 id_tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use reqwest::Url;
use serde_json::{json, Map, Value};

use crate::keys::{self, TestKey};
use crate::server::{self, Served, Traffic};

mod grant;
mod profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandInProvider {
    Github,
    Google,
    Linkedin,
}

/// The provider's endpoint paths, identical to the real ones.
#[derive(Debug, Clone, Copy)]
pub struct ProviderPaths {
    pub authorize: &'static str,
    pub token: &'static str,
    /// `/user` for GitHub.
    pub userinfo: &'static str,
    pub emails: Option<&'static str>,
    pub jwks: Option<&'static str>,
}

impl StandInProvider {
    pub fn paths(self) -> ProviderPaths {
        match self {
            StandInProvider::Github => ProviderPaths {
                authorize: "/login/oauth/authorize",
                token: "/login/oauth/access_token",
                userinfo: "/user",
                emails: Some("/user/emails"),
                jwks: None,
            },
            StandInProvider::Google => ProviderPaths {
                authorize: "/o/oauth2/v2/auth",
                token: "/token",
                userinfo: "/v1/userinfo",
                emails: None,
                jwks: Some("/oauth2/v3/certs"),
            },
            StandInProvider::Linkedin => ProviderPaths {
                authorize: "/oauth/v2/authorization",
                token: "/oauth/v2/accessToken",
                userinfo: "/v2/userinfo",
                emails: None,
                jwks: Some("/oauth/openid/jwks"),
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            StandInProvider::Github => "github",
            StandInProvider::Google => "google",
            StandInProvider::Linkedin => "linkedin",
        }
    }
}

/// The account that "signs in" at the stand-in. GitHub subjects should be numeric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandInUser {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl StandInUser {
    /// A user with a verified email.
    pub fn new(subject: &str, email: &str, name: &str) -> StandInUser {
        StandInUser {
            subject: subject.to_owned(),
            email: Some(email.to_owned()),
            email_verified: true,
            name: Some(name.to_owned()),
        }
    }
}

pub struct StandInOAuth {
    state: Arc<ProviderState>,
    traffic: Traffic,
    _served: Served,
}

struct ProviderState {
    provider: StandInProvider,
    url: String,
    client_id: String,
    client_secret: String,
    kid: String,
    key: &'static TestKey,
    session: Mutex<Session>,
}

struct Session {
    user: StandInUser,
    redirect_uris: Vec<String>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, StandInUser>,
    id_token_patch: Map<String, Value>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    user: StandInUser,
    issued: Instant,
}

impl StandInOAuth {
    pub async fn github() -> StandInOAuth {
        Self::start(StandInProvider::Github).await
    }

    pub async fn google() -> StandInOAuth {
        Self::start(StandInProvider::Google).await
    }

    pub async fn linkedin() -> StandInOAuth {
        Self::start(StandInProvider::Linkedin).await
    }

    pub async fn start(provider: StandInProvider) -> StandInOAuth {
        let (listener, url) = server::bind().await;
        let name = provider.name();
        let state = Arc::new(ProviderState {
            provider,
            url,
            client_id: format!("konqer-{name}-client"),
            client_secret: format!("{name}-secret-{}", random_token()),
            kid: random_token(),
            key: TestKey::published(0),
            session: Mutex::new(Session {
                user: StandInUser::new("583231", "octo@example.com", "Mona Octocat"),
                redirect_uris: Vec::new(),
                codes: HashMap::new(),
                tokens: HashMap::new(),
                id_token_patch: Map::new(),
            }),
        });
        let paths = provider.paths();
        let mut router = Router::new()
            .route(paths.authorize, get(grant::authorize))
            .route(paths.token, post(grant::token));
        router = match (paths.emails, paths.jwks) {
            (Some(emails), _) => router
                .route(paths.userinfo, get(profile::github_user))
                .route(emails, get(profile::github_emails)),
            (None, Some(jwks)) => router
                .route(paths.userinfo, get(profile::userinfo))
                .route(jwks, get(profile::jwks_document)),
            (None, None) => router,
        };
        let traffic = Traffic::default();
        let served = Served::start(listener, router.with_state(state.clone()), traffic.clone());
        StandInOAuth {
            state,
            traffic,
            _served: served,
        }
    }

    /// The base URL: what `base_url` points at, and the id_token issuer.
    pub fn url(&self) -> &str {
        &self.state.url
    }

    pub fn provider(&self) -> StandInProvider {
        self.state.provider
    }

    pub fn paths(&self) -> ProviderPaths {
        self.state.provider.paths()
    }

    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.state.client_secret
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Who signs in at the next authorization.
    pub fn set_user(&self, user: StandInUser) {
        self.state.session().user = user;
    }

    /// Registers a redirect URI. With none registered, any absolute http(s) URI is accepted.
    pub fn allow_redirect_uri(&self, uri: &str) {
        self.state.session().redirect_uris.push(uri.to_owned());
    }

    /// Merged into every id_token's claims from now on; a `null` removes the claim.
    pub fn patch_id_token(&self, patch: Value) {
        if let Value::Object(patch) = patch {
            self.state.session().id_token_patch.extend(patch);
        }
    }

    /// Every endpoint answers 503 while down.
    pub fn set_down(&self, down: bool) {
        self.traffic.set_down(down);
    }
}

impl ProviderState {
    fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_oidc(&self) -> bool {
        self.provider != StandInProvider::Github
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        let registered = &self.session().redirect_uris;
        if registered.is_empty() {
            Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
        } else {
            registered.iter().any(|allowed| allowed == uri)
        }
    }

    /// The user behind `Authorization: Bearer <token>` (GitHub also takes `token <token>`).
    fn bearer_user(&self, headers: &HeaderMap) -> Option<StandInUser> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        let scheme_ok = scheme.eq_ignore_ascii_case("bearer")
            || (self.provider == StandInProvider::Github && scheme.eq_ignore_ascii_case("token"));
        scheme_ok.then(|| self.session().tokens.get(token.trim()).cloned())?
    }

    fn id_token(&self, grant: &Grant) -> String {
        let now = keys::now();
        let user = &grant.user;
        let mut claims = json!({
            "iss": self.url,
            "azp": self.client_id,
            "aud": self.client_id,
            "sub": user.subject,
            "email_verified": user.email_verified,
            "iat": now,
            "exp": now + 3600,
        });
        let fields = [
            ("email", &user.email),
            ("name", &user.name),
            ("nonce", &grant.nonce),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                claims[name] = json!(value);
            }
        }
        if let Value::Object(claims) = &mut claims {
            for (name, value) in &self.session().id_token_patch {
                match value {
                    Value::Null => claims.remove(name),
                    value => claims.insert(name.clone(), value.clone()),
                };
            }
        }
        keys::sign_rs256(&keys::rs256_header(&self.kid), &claims, self.key)
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
