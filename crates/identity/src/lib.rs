//! Who is calling: the built-in RS256 issuer (passwords, signing keys, access and refresh
//! tokens), verification of tokens from an external OIDC issuer (Keycloak), and social login
//! (GitHub, Google, LinkedIn). No HTTP routing and no storage here: the API crate wires these
//! to requests and the store.

pub mod email;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod oidc;
pub mod password;
pub mod refresh;
pub mod tokens;

pub use email::Email;
pub use tokens::{AccessClaims, Issuer, Role};

/// Why a bearer token was refused. The HTTP edge answers every variant with the same 401;
/// the variant is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("no key with this kid")]
    UnknownKey,
    #[error("signature does not verify")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("claim `{0}` missing or wrong")]
    Claim(&'static str),
    /// The issuer's keys could not be fetched; not the caller's fault.
    #[error("issuer unavailable: {0}")]
    Unavailable(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(err: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        match err.kind() {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm,
            ErrorKind::InvalidAudience => TokenError::Claim("aud"),
            ErrorKind::InvalidIssuer => TokenError::Claim("iss"),
            ErrorKind::InvalidSubject => TokenError::Claim("sub"),
            ErrorKind::MissingRequiredClaim(claim) => TokenError::Claim(match claim.as_str() {
                "exp" => "exp",
                "aud" => "aud",
                "iss" => "iss",
                "sub" => "sub",
                "nbf" => "nbf",
                _ => "required claim",
            }),
            _ => TokenError::Malformed,
        }
    }
}
