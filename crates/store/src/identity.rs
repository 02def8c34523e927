//! What identity needs from storage: password credentials, signing keys, refresh-token
//! families, linked external identities, OAuth login attempts, and the facts roles are
//! computed from. The SQL is shared by both back ends (`impl_identity_store!`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use konqer_domain::AdminRole;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{NewUser, Result, User};

/// An RS256 key of the built-in issuer.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKeyRecord {
    pub kid: String,
    /// PKCS#8 PEM. Lives in the database so every replica signs and verifies with the same keys.
    pub private_key_pem: String,
    pub public_jwk: Value,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A refresh token to store; only its SHA-256 hash is kept.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub hash: Vec<u8>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was live; it is now rotated and the successor stored in its family.
    Rotated { user_id: Uuid },
    /// The token had already been rotated or revoked: someone replayed it. Its whole family
    /// is now revoked.
    Reused { user_id: Uuid, family_id: Uuid },
    /// Unknown or expired.
    Invalid,
}

/// The facts roles are computed from when a token is issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoleFacts {
    pub admin: Option<AdminRole>,
    /// An active, trialing or past-due founding subscription exists.
    pub founding_member: bool,
}

/// Account fields a user may change; `None` leaves a field as it is. `email` must already be
/// normalised.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A social login in progress, between `/start` and `/callback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    pub state: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: Option<String>,
    pub redirect_to: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Creates a user and their password credential together (both or neither).
    async fn create_user_with_password(&self, user: &NewUser, hash: &str) -> Result<User>;
    async fn password_hash(&self, user_id: Uuid) -> Result<Option<String>>;
    /// Replaces the password and revokes every refresh token of the user (all devices are
    /// signed out), in one transaction. `NotFound` when the user has no password credential.
    async fn set_password(&self, user_id: Uuid, hash: &str, now: DateTime<Utc>) -> Result<()>;
    /// Changes name and/or email. A taken email is `StoreError::Conflict`.
    async fn update_user(&self, id: Uuid, update: &UserUpdate, now: DateTime<Utc>) -> Result<User>;
    async fn role_facts(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<RoleFacts>;
    /// Generations used per service on one UTC day (services without use are absent).
    async fn usage_on(
        &self,
        user_id: Uuid,
        day: chrono::NaiveDate,
    ) -> Result<Vec<(konqer_domain::ServiceKey, i32)>>;
    /// Grants (or changes) an operator role.
    async fn set_admin_role(
        &self,
        user_id: Uuid,
        role: AdminRole,
        now: DateTime<Utc>,
    ) -> Result<()>;

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>>;
    /// Adds a key. With `retire_others`, every other live key is retired at `key.created_at`
    /// in the same transaction (rotation).
    async fn add_signing_key(&self, key: &SigningKeyRecord, retire_others: bool) -> Result<()>;

    async fn insert_refresh_token(&self, token: &NewRefreshToken) -> Result<()>;
    /// Rotates the live token with this hash into `successor` (same user and family, which
    /// this call fills in), atomically; detects reuse of a rotated or revoked token and then
    /// revokes its family.
    async fn rotate_refresh_token(
        &self,
        hash: &[u8],
        successor: &NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome>;
    /// Revokes the family of the token with this hash, if it belongs to `user_id` (or to
    /// anyone when `user_id` is `None`). Returns whether anything was revoked.
    async fn revoke_refresh_family(
        &self,
        hash: &[u8],
        user_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    async fn save_oauth_state(&self, state: &OAuthState) -> Result<()>;
    /// Removes and returns a login attempt if it exists, is for `provider` and has not
    /// expired: each state is usable once.
    async fn take_oauth_state(
        &self,
        state: &str,
        provider: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>>;
    async fn user_by_identity(&self, provider: &str, subject: &str) -> Result<Option<User>>;
    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Creates a user already linked to an external identity (both or neither).
    async fn create_user_with_identity(
        &self,
        user: &NewUser,
        provider: &str,
        subject: &str,
    ) -> Result<User>;
    async fn user_by_keycloak_id(&self, subject: &str) -> Result<Option<User>>;
    /// Creates a user already linked to an external issuer's subject.
    async fn create_user_with_keycloak_id(&self, user: &NewUser, subject: &str) -> Result<User>;
    /// Links an existing user to an external issuer's subject, or creates the user with it.
    async fn set_keycloak_id(&self, user_id: Uuid, subject: &str, now: DateTime<Utc>)
        -> Result<()>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    kid: String,
    private_key_pem: String,
    public_jwk: sqlx::types::Json<Value>,
    created_at: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
}

impl From<SigningKeyRow> for SigningKeyRecord {
    fn from(r: SigningKeyRow) -> Self {
        SigningKeyRecord {
            kid: r.kid,
            private_key_pem: r.private_key_pem,
            public_jwk: r.public_jwk.0,
            created_at: r.created_at,
            retired_at: r.retired_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OAuthStateRow {
    state: String,
    provider: String,
    pkce_verifier: String,
    nonce: Option<String>,
    redirect_to: Option<String>,
    expires_at: DateTime<Utc>,
}

impl From<OAuthStateRow> for OAuthState {
    fn from(r: OAuthStateRow) -> Self {
        OAuthState {
            state: r.state,
            provider: r.provider,
            pkce_verifier: r.pkce_verifier,
            nonce: r.nonce,
            redirect_to: r.redirect_to,
            expires_at: r.expires_at,
        }
    }
}
