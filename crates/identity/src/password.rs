//! Passwords: the policy (8–128 characters, not a common password) and argon2id hashing with
//! OWASP's parameters, always on the blocking pool so a login never stalls the async runtime.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use konqer_domain::Secret;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// A hash of a random password nobody knows, verified against when the email is unknown so
/// that an unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("konqer-dummy-password-for-timing").expect("hashing a constant cannot fail")
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("is one of the most common passwords; choose another")]
    Common,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Checks a new password against the policy. Length counts characters, not bytes.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    if COMMON.contains(password.to_lowercase().as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored PHC string. A malformed stored hash never matches.
fn verify_blocking(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: Secret<String>) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_blocking(password.expose()))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

/// Verifies a password against a stored hash, or against a dummy hash when there is none
/// (unknown email), so both cases take the same time and both answer `false`.
pub async fn verify(stored: Option<String>, password: Secret<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_blocking(&stored, password.expose()),
        None => {
            verify_blocking(&DUMMY_HASH, password.expose());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Builds the dummy hash ahead of the first login, so the first unknown-email login does not
/// take twice as long as a wrong password (which would tell the two apart).
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
    LazyLock::force(&COMMON);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret<String> {
        Secret::new(s.to_owned())
    }

    #[test]
    fn policy_bounds_length_in_characters() {
        assert_eq!(check_policy("short1!"), Err(PasswordError::TooShort));
        assert_eq!(check_policy("ünïcødé"), Err(PasswordError::TooShort));
        assert_eq!(check_policy("ünïcødé!"), Ok(()));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordError::TooLong));
        assert_eq!(check_policy(&"x9".repeat(64)), Ok(()));
    }

    #[test]
    fn policy_refuses_common_passwords_case_insensitively() {
        assert_eq!(check_policy("password"), Err(PasswordError::Common));
        assert_eq!(check_policy("PassWord"), Err(PasswordError::Common));
        assert_eq!(check_policy("qwertyuiop"), Err(PasswordError::Common));
        assert_eq!(check_policy("correct horse battery staple"), Ok(()));
    }

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_parameters_and_verifies() {
        let stored = hash(secret("correct horse battery staple")).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(Some(stored.clone()), secret("correct horse battery staple")).await);
        assert!(!verify(Some(stored), secret("correct horse battery stapler")).await);
    }

    #[tokio::test]
    async fn salts_differ_between_hashes() {
        let a = hash(secret("same password here")).await.unwrap();
        let b = hash(secret("same password here")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_user_and_garbage_hash_never_verify() {
        assert!(!verify(None, secret("anything at all")).await);
        assert!(!verify(Some("not-a-phc-string".to_owned()), secret("anything")).await);
    }
}
