//! The built-in issuer's RS256 keys: generated on first start and kept in the database so
//! every replica signs and verifies alike. A `KeyRing` is the in-memory view: the key that
//! signs now, every key still published in the JWKS, and the JWKS document itself.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const KEY_BITS: usize = 2048;

/// A key as stored: what `keys rotate` and first start create.
#[derive(Clone)]
pub struct KeyMaterial {
    pub kid: String,
    pub private_key_pem: String,
    pub public_jwk: Value,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .field("private_key_pem", &"[redacted]")
            .finish()
    }
}

/// A stored key with its lifetime, as the key ring is built from.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub material: KeyMaterial,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("generating an RSA key failed: {0}")]
    Generate(String),
    #[error("stored signing key {kid} is unusable: {reason}")]
    Corrupt { kid: String, reason: String },
    #[error("no live signing key")]
    NoSigningKey,
}

/// Generates a fresh 2048-bit RSA key. `kid` is its RFC 7638 thumbprint. CPU-heavy: call it
/// on the blocking pool.
pub fn generate() -> Result<KeyMaterial, KeyError> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let kid = thumbprint(&n, &e);
    Ok(KeyMaterial {
        public_jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}),
        kid,
        private_key_pem: pem.to_string(),
    })
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, base64url.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The keys in use at one moment.
pub struct KeyRing {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    jwks: Value,
}

impl KeyRing {
    /// Builds the ring from stored keys. The newest live key signs; a retired key stays
    /// published (and accepted) for `grace` after retirement, long enough for every token it
    /// signed to expire.
    pub fn build(
        keys: &[StoredKey],
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Result<Self, KeyError> {
        let signing = keys
            .iter()
            .filter(|k| k.retired_at.is_none())
            .max_by_key(|k| k.created_at)
            .ok_or(KeyError::NoSigningKey)?;
        let private = RsaPrivateKey::from_pkcs8_pem(&signing.material.private_key_pem)
            .map_err(|e| corrupt(&signing.material.kid, e))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|e| corrupt(&signing.material.kid, e))?;
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for key in keys {
            let live = key.retired_at.is_none_or(|retired| retired + grace > now);
            if !live {
                continue;
            }
            let jwk = &key.material.public_jwk;
            let (Some(n), Some(e)) = (jwk["n"].as_str(), jwk["e"].as_str()) else {
                return Err(corrupt(&key.material.kid, "public JWK lacks n or e"));
            };
            let decoding = DecodingKey::from_rsa_components(n, e)
                .map_err(|err| corrupt(&key.material.kid, err))?;
            verifying.insert(key.material.kid.clone(), decoding);
            published.push(jwk.clone());
        }
        Ok(KeyRing {
            signing_kid: signing.material.kid.clone(),
            signing: EncodingKey::from_rsa_der(der.as_bytes()),
            verifying,
            jwks: json!({ "keys": published }),
        })
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    pub(crate) fn signing_key(&self) -> &EncodingKey {
        &self.signing
    }

    pub(crate) fn verifying_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying.get(kid)
    }

    pub fn knows(&self, kid: &str) -> bool {
        self.verifying.contains_key(kid)
    }

    /// The JWKS document (`{"keys": [...]}`), public keys only.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }
}

fn corrupt(kid: &str, reason: impl std::fmt::Display) -> KeyError {
    KeyError::Corrupt {
        kid: kid.to_owned(),
        reason: reason.to_string(),
    }
}
