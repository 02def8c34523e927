//! A stand-in OIDC issuer shaped like a Keycloak realm: the discovery document, a JWKS that
//! also lists an encryption key (as Keycloak's does), key rotation, and RS256 access tokens
//! with whatever claims a test asks for.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::keys::{self, TestKey};
use crate::server::{self, Served, Traffic};

const REALM: &str = "/realms/konqer";
pub const DISCOVERY_PATH: &str = "/realms/konqer/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/realms/konqer/protocol/openid-connect/certs";

pub struct StandInIssuer {
    state: Arc<IssuerState>,
    traffic: Traffic,
    _served: Served,
}

struct IssuerState {
    issuer: String,
    ring: Mutex<KeyRing>,
}

struct KeyRing {
    /// Published signing keys, oldest first; the last one signs new tokens.
    signing: Vec<(String, &'static TestKey)>,
    encryption: (String, &'static TestKey),
    next_pool_index: usize,
    /// What the discovery document claims as issuer, when a test makes it lie.
    announced_issuer: Option<String>,
}

impl StandInIssuer {
    pub async fn start() -> StandInIssuer {
        let (listener, base) = server::bind().await;
        let state = Arc::new(IssuerState {
            issuer: format!("{base}{REALM}"),
            ring: Mutex::new(KeyRing {
                signing: vec![(new_kid(), TestKey::published(0))],
                encryption: (new_kid(), TestKey::published(1)),
                next_pool_index: 1,
                announced_issuer: None,
            }),
        });
        let router = Router::new()
            .route(DISCOVERY_PATH, get(discovery))
            .route(JWKS_PATH, get(jwks))
            .with_state(state.clone());
        let traffic = Traffic::default();
        let served = Served::start(listener, router, traffic.clone());
        StandInIssuer {
            state,
            traffic,
            _served: served,
        }
    }

    /// The issuer identifier: what tokens carry as `iss` and what a verifier is configured with.
    pub fn url(&self) -> &str {
        &self.state.issuer
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    pub fn jwks_fetches(&self) -> usize {
        self.traffic.hits(JWKS_PATH)
    }

    pub fn current_kid(&self) -> String {
        self.state.ring().current().0.clone()
    }

    pub fn current_key(&self) -> &'static TestKey {
        self.state.ring().current().1
    }

    /// The kid and key of the published encryption (`use: enc`) key.
    pub fn encryption_key(&self) -> (String, &'static TestKey) {
        self.state.ring().encryption.clone()
    }

    /// A valid Keycloak-shaped access token payload for `subject`, five minutes to live.
    pub fn claims(&self, subject: &str, audience: &str) -> Value {
        let now = keys::now();
        json!({
            "exp": now + 300,
            "iat": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iss": self.state.issuer,
            "aud": [audience, "account"],
            "sub": subject,
            "typ": "Bearer",
            "azp": "konqer-web",
            "scope": "openid email profile",
            "realm_access": { "roles": ["default-roles-konqer", "offline_access"] },
            "email_verified": true,
            "name": "Ada Lovelace",
            "preferred_username": "ada",
            "email": "ada@example.com",
        })
    }

    /// Signs `claims` with the current key under its kid.
    pub fn issue(&self, claims: &Value) -> String {
        let (kid, key) = self.state.ring().current().clone();
        keys::sign_rs256(&keys::rs256_header(&kid), claims, key)
    }

    /// Publishes a new signing key and makes it current; the old ones stay published.
    /// Returns the new kid.
    pub fn rotate_key(&self) -> String {
        let mut ring = self.state.ring();
        let key = TestKey::published(ring.next_pool_index);
        ring.next_pool_index += 1;
        let kid = new_kid();
        ring.signing.push((kid.clone(), key));
        kid
    }

    /// Stops publishing a signing key (never the current one).
    pub fn unpublish(&self, kid: &str) {
        let mut ring = self.state.ring();
        let current = ring.current().0.clone();
        ring.signing
            .retain(|(published, _)| published != kid || *published == current);
    }

    /// Makes the discovery document claim another issuer, as a misconfigured or hostile
    /// endpoint would.
    pub fn announce_issuer(&self, issuer: &str) {
        self.state.ring().announced_issuer = Some(issuer.to_owned());
    }
}

impl IssuerState {
    fn ring(&self) -> MutexGuard<'_, KeyRing> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl KeyRing {
    fn current(&self) -> &(String, &'static TestKey) {
        self.signing
            .last()
            .expect("the stand-in issuer always has a signing key")
    }
}

async fn discovery(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    let issuer = &state.issuer;
    let oidc = format!("{issuer}/protocol/openid-connect");
    let announced = state.ring().announced_issuer.clone();
    Json(json!({
        "issuer": announced.as_deref().unwrap_or(issuer),
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "userinfo_endpoint": format!("{oidc}/userinfo"),
        "end_session_endpoint": format!("{oidc}/logout"),
        "jwks_uri": format!("{oidc}/certs"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }))
}

async fn jwks(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    let ring = state.ring();
    let (enc_kid, enc_key) = &ring.encryption;
    let mut keys: Vec<Value> = ring.signing.iter().map(|(kid, key)| key.jwk(kid)).collect();
    keys.push(enc_key.encryption_jwk(enc_kid));
    Json(json!({ "keys": keys }))
}

/// Keycloak's kids are opaque base64url strings of about this length.
fn new_kid() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}
