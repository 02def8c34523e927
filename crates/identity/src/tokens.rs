//! Access tokens of the built-in issuer: RS256 JWTs (`typ: at+jwt`, RFC 9068) carrying
//! `sub`, `email`, `roles`, `iss`, `aud`, `iat`, `exp`, `jti`. Verification is strict:
//! RS256 only, `kid` must name a key of our own JWKS, every registered claim is required, and
//! time is checked against the injected clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::keys::{KeyError, KeyRing};
use crate::TokenError;

pub const AUDIENCE: &str = "konqer-api";
pub const ACCESS_TTL_SECS: i64 = 3600;
pub const TOKEN_TYPE: &str = "at+jwt";
/// Tolerated clock skew between replicas (and clients' idea of `exp`).
pub const LEEWAY_SECS: i64 = 30;

/// What a token grants, beyond identifying its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    FoundingMember,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::FoundingMember => "founding_member",
            Role::Admin => "admin",
        }
    }

    /// Roles from the facts at issue time: everyone is a `user`.
    pub fn compute(founding_member: bool, admin: bool) -> Vec<Role> {
        let mut roles = vec![Role::User];
        if founding_member {
            roles.push(Role::FoundingMember);
        }
        if admin {
            roles.push(Role::Admin);
        }
        roles
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub email: String,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

impl AccessClaims {
    pub fn user_id(&self) -> Result<Uuid, TokenError> {
        Uuid::parse_str(&self.sub).map_err(|_| TokenError::Claim("sub"))
    }
}

/// Issues and verifies the built-in issuer's access tokens.
#[derive(Debug, Clone)]
pub struct Issuer {
    issuer: String,
}

impl Issuer {
    /// `issuer` is the public URL (`KONQER_PUBLIC_URL`), the `iss` of every token.
    pub fn new(issuer: impl Into<String>) -> Self {
        Issuer {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn issue(
        &self,
        ring: &KeyRing,
        user_id: Uuid,
        email: &str,
        roles: &[Role],
        now: DateTime<Utc>,
    ) -> Result<String, KeyError> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            email: email.to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + ACCESS_TTL_SECS,
            jti: Uuid::new_v4().to_string(),
            nbf: None,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(ring.signing_kid().to_owned());
        header.typ = Some(TOKEN_TYPE.to_owned());
        jsonwebtoken::encode(&header, &claims, ring.signing_key())
            .map_err(|e| KeyError::Generate(format!("signing failed: {e}")))
    }

    /// The `kid` a token names, if it is shaped like one of ours; lets the caller reload the
    /// key ring before verifying a token signed by a key it has not seen yet.
    pub fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).ok()?.kid
    }

    pub fn verify(
        &self,
        ring: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Algorithm);
        }
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::Claim("typ"));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = ring.verifying_key(&kid).ok_or(TokenError::UnknownKey)?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub"]);
        // Time is checked below against the injected clock rather than the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)?.claims;
        check_time(claims.exp, claims.nbf, now.timestamp())?;
        claims.user_id()?;
        Ok(claims)
    }
}

/// `exp` must lie ahead and `nbf`, when present, behind, both within the leeway.
pub fn check_time(exp: i64, nbf: Option<i64>, now: i64) -> Result<(), TokenError> {
    if exp + LEEWAY_SECS <= now {
        return Err(TokenError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now) {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate, StoredKey};
    use chrono::{Duration, TimeZone};
    use std::sync::LazyLock;

    static KEYS: LazyLock<(StoredKey, StoredKey)> = LazyLock::new(|| {
        let at = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
        let stored = |m| StoredKey {
            material: m,
            created_at: at,
            retired_at: None,
        };
        (stored(generate().unwrap()), stored(generate().unwrap()))
    });

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_100, 0).unwrap()
    }

    fn ring(keys: &[StoredKey]) -> KeyRing {
        KeyRing::build(keys, now(), Duration::hours(2)).unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_claims() {
        let ring = ring(std::slice::from_ref(&KEYS.0));
        let issuer = Issuer::new("http://127.0.0.1:4000/");
        let user = Uuid::new_v4();
        let roles = Role::compute(true, false);
        let token = issuer
            .issue(&ring, user, "ada@example.com", &roles, now())
            .unwrap();
        let claims = issuer.verify(&ring, &token, now()).unwrap();
        assert_eq!(claims.user_id().unwrap(), user);
        assert_eq!(claims.iss, "http://127.0.0.1:4000");
        assert_eq!(claims.aud, AUDIENCE);
        assert_eq!(claims.roles, ["user", "founding_member"]);
        assert_eq!(claims.exp - claims.iat, ACCESS_TTL_SECS);
        assert_eq!(Issuer::kid_of(&token).as_deref(), Some(ring.signing_kid()));
    }

    #[test]
    fn expiry_and_issuer_are_enforced() {
        let ring = ring(std::slice::from_ref(&KEYS.0));
        let issuer = Issuer::new("http://127.0.0.1:4000");
        let token = issuer
            .issue(&ring, Uuid::new_v4(), "a@b.co", &[Role::User], now())
            .unwrap();
        let late = now() + Duration::seconds(ACCESS_TTL_SECS + LEEWAY_SECS);
        assert_eq!(issuer.verify(&ring, &token, late), Err(TokenError::Expired));
        let other = Issuer::new("https://evil.example");
        assert_eq!(
            other.verify(&ring, &token, now()),
            Err(TokenError::Claim("iss"))
        );
    }

    #[test]
    fn a_key_not_in_the_ring_is_unknown() {
        let ring_a = ring(std::slice::from_ref(&KEYS.0));
        let ring_b = ring(std::slice::from_ref(&KEYS.1));
        let issuer = Issuer::new("http://x.test");
        let token = issuer
            .issue(&ring_a, Uuid::new_v4(), "a@b.co", &[Role::User], now())
            .unwrap();
        assert_eq!(
            issuer.verify(&ring_b, &token, now()),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn the_newest_live_key_signs_and_retired_keys_stay_published_for_the_grace() {
        let mut old = KEYS.0.clone();
        let new = StoredKey {
            created_at: now(),
            ..KEYS.1.clone()
        };
        old.retired_at = Some(now());
        let ring = ring(&[old.clone(), new.clone()]);
        assert_eq!(ring.signing_kid(), new.material.kid);
        assert!(ring.knows(&old.material.kid));
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 2);
        let later = KeyRing::build(
            &[old.clone(), new],
            now() + Duration::hours(3),
            Duration::hours(2),
        )
        .unwrap();
        assert!(!later.knows(&old.material.kid));
        assert!(matches!(
            KeyRing::build(&[old], now(), Duration::hours(2)),
            Err(KeyError::NoSigningKey)
        ));
    }

    #[test]
    fn jwks_holds_public_parts_only() {
        let ring = ring(std::slice::from_ref(&KEYS.0));
        let key = &ring.jwks()["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["kid"], KEYS.0.material.kid.as_str());
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "JWKS leaks {private}");
        }
    }
}
