//! Verification of access tokens minted by an external OIDC issuer (Keycloak in production):
//! discovery, the issuer's JWKS kept fresh with a single-flight, rate-limited refresh, and
//! claim checks pinned to RS256. The JWKS cache and header rules also serve social id_tokens.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{HttpClient, UpstreamError};
use crate::TokenError;

/// Header parameters that would let a token name its own verification key. Keys come from the
/// issuer's JWKS and nowhere else, so a token carrying one of these is refused outright; so
/// is `crit`, since we implement no extension it could make mandatory.
const FORBIDDEN_HEADERS: [&str; 5] = ["jku", "jwk", "x5u", "x5c", "crit"];
/// Far above any real access token; parsing megabytes of attacker JSON is not our job.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// RSA moduli below 2048 bits are not trusted even when the issuer publishes them.
const MIN_MODULUS_BYTES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    pub issuer: String,
    pub audience: String,
    /// After a JWKS refresh, none other for this long.
    pub jwks_cooldown: Duration,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
}

impl OidcSettings {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        OidcSettings {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_cooldown: Duration::from_secs(30),
            leeway: Duration::from_secs(30),
        }
    }
}

/// What Konqer takes from a verified external access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalClaims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OIDC discovery failed")]
    Discovery(#[source] UpstreamError),
    #[error(
        "the discovery document names issuer {discovered:?}, but {configured:?} is configured"
    )]
    IssuerMismatch {
        configured: String,
        discovered: String,
    },
    #[error("the issuer's JWKS could not be fetched")]
    Jwks(#[source] UpstreamError),
    #[error("the issuer's JWKS holds no RS256 signing key")]
    NoSigningKey,
}

/// Verifies access tokens of one issuer for one audience. Send + Sync; share it in an `Arc`.
pub struct OidcVerifier {
    issuer: String,
    validation: Validation,
    keys: JwksCache,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

impl OidcVerifier {
    /// Reads `{issuer}/.well-known/openid-configuration` and loads the issuer's JWKS once.
    pub async fn discover(settings: OidcSettings, http: HttpClient) -> Result<Self, OidcError> {
        let configured = settings.issuer.trim_end_matches('/');
        let url = format!("{configured}/.well-known/openid-configuration");
        let doc: DiscoveryDocument = http.get_json(&url).await.map_err(OidcError::Discovery)?;
        // OIDC Discovery §4.3: a document that speaks for another issuer is not to be used.
        if doc.issuer.trim_end_matches('/') != configured {
            return Err(OidcError::IssuerMismatch {
                configured: settings.issuer,
                discovered: doc.issuer,
            });
        }
        let keys = JwksCache::new(doc.jwks_uri, http, settings.jwks_cooldown);
        if keys.load().await.map_err(OidcError::Jwks)? == 0 {
            return Err(OidcError::NoSigningKey);
        }
        // Tokens carry the issuer exactly as the issuer spells it, trailing slash or not.
        let validation =
            rs256_validation(&[doc.issuer.as_str()], &settings.audience, settings.leeway);
        Ok(OidcVerifier {
            issuer: doc.issuer,
            validation,
            keys,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub async fn verify(&self, token: &str) -> Result<ExternalClaims, TokenError> {
        let claims: AccessClaims = verify_rs256(token, &self.keys, &self.validation).await?;
        claims.into_external()
    }
}

/// Claims as they arrive. Everything is optional so that a missing claim reaches
/// jsonwebtoken's validation and is reported as that claim, not as a malformed token.
#[derive(Deserialize)]
struct AccessClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    typ: Option<Value>,
    #[serde(default)]
    email: Option<Value>,
    #[serde(default)]
    email_verified: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    preferred_username: Option<Value>,
    #[serde(default)]
    roles: Option<Value>,
    #[serde(default)]
    realm_access: Option<Value>,
}

impl AccessClaims {
    fn into_external(self) -> Result<ExternalClaims, TokenError> {
        // Keycloak stamps every token it signs with `typ`; only `Bearer` is an access token.
        // An ID token (`ID`) of the same realm must not open the API.
        if let Some(typ) = &self.typ {
            if !typ
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("Bearer"))
            {
                return Err(TokenError::Claim("typ"));
            }
        }
        let subject = self
            .sub
            .filter(|s| !s.is_empty())
            .ok_or(TokenError::Claim("sub"))?;
        let expires_at = self
            .exp
            .as_ref()
            .and_then(|exp| exp.as_i64().or_else(|| exp.as_f64().map(|f| f as i64)))
            .ok_or(TokenError::Claim("exp"))?;
        let mut roles = Vec::new();
        let realm_roles = self.realm_access.as_ref().and_then(|r| r.get("roles"));
        for list in [self.roles.as_ref(), realm_roles].into_iter().flatten() {
            for role in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !roles.iter().any(|known| known == role) {
                    roles.push(role.to_owned());
                }
            }
        }
        Ok(ExternalClaims {
            subject,
            email: string(self.email.as_ref()),
            email_verified: truthy(self.email_verified.as_ref()),
            name: string(self.name.as_ref()).or_else(|| string(self.preferred_username.as_ref())),
            roles,
            expires_at,
        })
    }
}

pub(crate) fn string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// `email_verified` is a boolean by the spec; some issuers send the string `"true"`.
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RS256 only; `exp`, `iss`, `aud` and `sub` required; `nbf` honoured.
pub(crate) fn rs256_validation(issuers: &[&str], audience: &str, leeway: Duration) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(issuers);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = leeway.as_secs();
    validation
}

/// Checks the header, finds the key by `kid` in the JWKS, then lets jsonwebtoken verify the
/// signature and the registered claims.
pub(crate) async fn verify_rs256<T: DeserializeOwned>(
    token: &str,
    keys: &JwksCache,
    validation: &Validation,
) -> Result<T, TokenError> {
    let kid = checked_kid(token)?;
    let key = keys.key(&kid).await?;
    Ok(jsonwebtoken::decode::<T>(token, &key, validation)?.claims)
}

/// Reads the header ourselves before jsonwebtoken does: its `Algorithm` enum cannot even
/// represent `none` (that would surface as "malformed"), and it has no rule against a token
/// that brings its own key.
fn checked_kid(token: &str) -> Result<String, TokenError> {
    if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
        return Err(TokenError::Malformed);
    }
    let encoded = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| TokenError::Malformed)?;
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(TokenError::Algorithm);
    }
    if FORBIDDEN_HEADERS
        .iter()
        .any(|name| header.contains_key(*name))
    {
        return Err(TokenError::Malformed);
    }
    match header.get("kid").and_then(Value::as_str) {
        Some(kid) if !kid.is_empty() => Ok(kid.to_owned()),
        _ => Err(TokenError::Malformed),
    }
}

type KeyMap = HashMap<String, Arc<DecodingKey>>;

/// An issuer's signing keys by `kid`. An unknown `kid` triggers a refresh, but only one at a
/// time (everyone else waits for its result) and at most one per cooldown, so a flood of
/// made-up kids costs the issuer one request per cooldown, not one per token.
pub(crate) struct JwksCache {
    uri: String,
    http: HttpClient,
    cooldown: Duration,
    keys: RwLock<Arc<KeyMap>>,
    refresh: tokio::sync::Mutex<RefreshState>,
}

#[derive(Default)]
struct RefreshState {
    last: Option<Instant>,
    /// Why the last refresh failed, if it did; within the cooldown that is still the answer.
    failure: Option<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Value>,
}

impl JwksCache {
    pub(crate) fn new(uri: String, http: HttpClient, cooldown: Duration) -> Self {
        JwksCache {
            uri,
            http,
            cooldown,
            keys: RwLock::new(Arc::new(KeyMap::new())),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
        }
    }

    /// The start-up load. It does not open a cooldown: a key rotation in the first seconds
    /// after start must still be picked up.
    pub(crate) async fn load(&self) -> Result<usize, UpstreamError> {
        let keys = self.fetch().await?;
        let count = keys.len();
        self.store(keys);
        Ok(count)
    }

    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, TokenError> {
        if let Some(key) = self.lookup(kid) {
            return Ok(key);
        }
        let mut state = self.refresh.lock().await;
        // Whoever held the lock before us may just have fetched this very kid.
        if let Some(key) = self.lookup(kid) {
            return Ok(key);
        }
        if state
            .last
            .is_some_and(|last| last.elapsed() < self.cooldown)
        {
            return Err(match &state.failure {
                Some(reason) => TokenError::Unavailable(reason.clone()),
                None => TokenError::UnknownKey,
            });
        }
        state.last = Some(Instant::now());
        state.failure = match self.fetch().await {
            Ok(keys) if !keys.is_empty() => {
                self.store(keys);
                None
            }
            // Keep the keys we have: an issuer hiccup must not log every user out.
            Ok(_) => Some("the JWKS holds no usable signing key".to_owned()),
            Err(err) => Some(err.to_string()),
        };
        if let Some(reason) = &state.failure {
            tracing::warn!(jwks = %self.uri, %reason, "JWKS refresh failed; keeping the current keys");
        }
        match (self.lookup(kid), &state.failure) {
            (Some(key), _) => Ok(key),
            (None, Some(reason)) => Err(TokenError::Unavailable(reason.clone())),
            (None, None) => Err(TokenError::UnknownKey),
        }
    }

    fn lookup(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(kid).cloned()
    }

    /// Replaces the whole set: a key the issuer stopped publishing stops verifying.
    fn store(&self, keys: KeyMap) {
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
    }

    async fn fetch(&self) -> Result<KeyMap, UpstreamError> {
        let set: JwkSet = self.http.get_json(&self.uri).await?;
        Ok(signing_keys(&set.keys))
    }
}

/// The RS256 signing keys of a JWKS. Encryption keys (Keycloak publishes `use: enc` RSA-OAEP
/// keys next to its signing keys), other key types and other algorithms are skipped.
fn signing_keys(jwks: &[Value]) -> KeyMap {
    let mut keys = KeyMap::new();
    for jwk in jwks {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let usable = field("kty") == Some("RSA")
            && matches!(field("use"), None | Some("sig"))
            && matches!(field("alg"), None | Some("RS256"));
        let (Some(kid), Some(n), Some(e)) = (field("kid"), field("n"), field("e")) else {
            continue;
        };
        if !usable || kid.is_empty() || keys.contains_key(kid) {
            continue;
        }
        // Some issuers pad their base64url; the padding carries nothing.
        let decode = |b64: &str| URL_SAFE_NO_PAD.decode(b64.trim_end_matches('='));
        let (Ok(n), Ok(e)) = (decode(n), decode(e)) else {
            continue;
        };
        let significant = n.iter().skip_while(|byte| **byte == 0).count();
        if significant < MIN_MODULUS_BYTES || e.is_empty() {
            continue;
        }
        let key = DecodingKey::from_rsa_raw_components(&n, &e);
        keys.insert(kid.to_owned(), Arc::new(key));
    }
    keys
}
