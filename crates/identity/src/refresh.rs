//! Refresh tokens: 256 random bits, shown to the client once and stored only as a SHA-256
//! hash. The `krt_` prefix makes a leaked token easy to recognise (secret scanners, logs) and
//! tells it apart from a JWT at a glance.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "krt_";

/// Lifetime of a refresh token.
pub const TTL_DAYS: i64 = 30;

/// A new refresh token and the hash to store.
pub fn generate() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of a presented token. Any string hashes; a forged one simply matches
/// nothing.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Cheap shape check before touching the database.
pub fn looks_valid(token: &str) -> bool {
    token.len() == PREFIX.len() + 43
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_well_formed_and_hashed() {
        let (a, hash_a) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(looks_valid(&a), "{a}");
        assert_eq!(hash(&a), hash_a);
        assert_eq!(hash_a.len(), 32);
        assert!(!looks_valid("krt_short"));
        assert!(!looks_valid("eyJhbGciOiJSUzI1NiJ9.e30.sig"));
    }
}
