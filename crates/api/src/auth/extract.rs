//! Who may call a handler, said in its signature: `AuthUser` (signed in), `MaybeAuthUser`
//! (either, but a bad token is still refused) and `AdminUser` (an operator). A token is
//! verified once per request; the rate limiter's resolution is reused when it ran first.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use konqer_domain::AdminRole;
use konqer_identity::tokens::Role;

use super::{bearer, AuthError, Authenticated};
use crate::problem::ApiError;
use crate::AppState;

/// A request's caller, resolved earlier in the request (by the rate-limit layer).
#[derive(Clone)]
pub(crate) struct Resolved(pub Authenticated);

/// Resolves the caller: `None` without a token, an error for a bad one.
pub(crate) async fn resolve(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Authenticated>, AuthError> {
    if let Some(Resolved(auth)) = parts.extensions.get::<Resolved>() {
        return Ok(Some(auth.clone()));
    }
    match bearer(&parts.headers)? {
        None => Ok(None),
        Some(token) => Ok(Some(state.identity.authenticate(state, token).await?)),
    }
}

/// A signed-in caller; 401 otherwise.
pub struct AuthUser(pub Authenticated);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve(parts, state)
            .await?
            .map(AuthUser)
            .ok_or(ApiError::Unauthorized)
    }
}

/// The caller if they sent a token. A token that is sent but bad is still a 401: a client
/// must not be silently treated as anonymous.
pub struct MaybeAuthUser(pub Option<Authenticated>);

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeAuthUser(resolve(parts, state).await?))
    }
}

/// An operator: the token carries `admin` and `admin_users` says which kind.
pub struct AdminUser {
    pub auth: Authenticated,
    pub role: AdminRole,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(auth) = AuthUser::from_request_parts(parts, state).await?;
        let forbidden = || ApiError::Forbidden("This needs an operator account.".to_owned());
        if !auth.has_role(Role::Admin) {
            return Err(forbidden());
        }
        let facts = state
            .store
            .role_facts(auth.user.id, state.clock.now())
            .await?;
        let role = facts.admin.ok_or_else(forbidden)?;
        Ok(AdminUser { auth, role })
    }
}
