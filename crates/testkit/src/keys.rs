//! RSA keys for the stand-ins and for tests that forge tokens, and the JWT assembly an attack
//! test needs (any header, any algorithm, even none). A 2048-bit key takes a noticeable time
//! to generate, so a small pool is made once per test process and shared by every stand-in.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

const POOL_SIZE: usize = 4;
/// The last pool entry is never published by any stand-in: the attacker's key.
const FOREIGN: usize = POOL_SIZE - 1;

static POOL: [OnceLock<TestKey>; POOL_SIZE] = [const { OnceLock::new() }; POOL_SIZE];

/// A 2048-bit RSA key pair. Stand-ins pair it with their own random `kid`s, so two stand-ins
/// sharing a pool key still publish different kids.
pub struct TestKey {
    pkcs1_der: Vec<u8>,
    n: String,
    e: String,
    public_pem: String,
}

impl TestKey {
    /// A key stand-ins may publish; `index` wraps around the publishable part of the pool.
    pub fn published(index: usize) -> &'static TestKey {
        Self::pooled(index % FOREIGN)
    }

    /// A key no stand-in publishes, for forging tokens.
    pub fn foreign() -> &'static TestKey {
        Self::pooled(FOREIGN)
    }

    fn pooled(index: usize) -> &'static TestKey {
        POOL[index].get_or_init(Self::generate)
    }

    fn generate() -> TestKey {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .expect("generating a 2048-bit RSA key");
        let pkcs1_der = private
            .to_pkcs1_der()
            .expect("encoding an RSA key as PKCS#1 DER")
            .as_bytes()
            .to_vec();
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding an RSA public key as PEM");
        TestKey {
            n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
            pkcs1_der,
            public_pem,
        }
    }

    pub fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(&self.pkcs1_der)
    }

    /// The public half as a JWKS entry for RS256 signatures.
    pub fn jwk(&self, kid: &str) -> Value {
        json!({ "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": self.n, "e": self.e })
    }

    /// The public half as a JWKS entry for encryption, the way Keycloak publishes one next to
    /// its signing keys. A verifier must not accept signatures from it.
    pub fn encryption_jwk(&self, kid: &str) -> Value {
        json!({ "kid": kid, "kty": "RSA", "alg": "RSA-OAEP", "use": "enc", "n": self.n, "e": self.e })
    }

    /// SubjectPublicKeyInfo PEM: the bytes an algorithm-confusion attack uses as HMAC secret.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }
}

/// Seconds since the Unix epoch, as JWTs count time.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The standard header for an RS256 token signed with `kid`.
pub fn rs256_header(kid: &str) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": kid })
}

/// header.payload, each part base64url-encoded JSON exactly as given.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}", part(header), part(claims))
}

/// A JWT with this exact header (whatever its `alg` says), signed RS256 with `key`.
pub fn sign_rs256(header: &Value, claims: &Value, key: &TestKey) -> String {
    sign(header, claims, &key.encoding_key(), Algorithm::RS256)
}

/// A JWT with this exact header, signed HS256 with `secret`.
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    sign(
        header,
        claims,
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
}

/// A JWT with an empty signature, as `alg: none` tokens come.
pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!("{}.", signing_input(header, claims))
}

fn sign(header: &Value, claims: &Value, key: &EncodingKey, algorithm: Algorithm) -> String {
    let input = signing_input(header, claims);
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, algorithm)
        .expect("signing with a test key");
    format!("{input}.{signature}")
}
