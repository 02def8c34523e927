//! Remembers access tokens that verified, until they expire, so a client's steady stream of
//! requests costs one RSA verification rather than one each (RSA dominated the profile of
//! `/api/user/me`). Keyed by the SHA-256 of the exact token string, so only a byte-identical
//! token hits; bounded, and expired entries are swept when it fills.

use std::collections::HashMap;
use std::sync::Mutex;

use konqer_identity::tokens::{AccessClaims, LEEWAY_SECS};
use sha2::{Digest, Sha256};

const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], AccessClaims>>,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// The claims of a token verified earlier, while it has not expired at `now`.
    pub fn get(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(&key(token))
            .filter(|claims| claims.exp + LEEWAY_SECS > now)
            .cloned()
    }

    pub fn insert(&self, token: &str, claims: &AccessClaims, now: i64) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, c| c.exp + LEEWAY_SECS > now);
            if entries.len() >= CAPACITY {
                // Still full of live tokens: start over rather than grow without bound.
                entries.clear();
            }
        }
        entries.insert(key(token), claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            sub: "00000000-0000-0000-0000-000000000001".into(),
            email: "a@b.co".into(),
            roles: vec!["user".into()],
            iss: "http://x".into(),
            aud: "konqer-api".into(),
            iat: exp - 3600,
            exp,
            jti: "j".into(),
            nbf: None,
        }
    }

    #[test]
    fn hits_only_the_identical_token_until_it_expires() {
        let cache = VerifiedTokens::default();
        cache.insert("a.b.c", &claims(1000), 0);
        assert_eq!(cache.get("a.b.c", 500).map(|c| c.exp), Some(1000));
        assert!(cache.get("a.b.C", 500).is_none());
        assert!(cache.get("a.b.c", 1000 + LEEWAY_SECS).is_none());
    }
}
