//! `IdentityStore` for both back ends. Multi-row changes run in one transaction; the refresh
//! rotation starts with its conditional UPDATE so that SQLite takes the write lock at once
//! and PostgreSQL row-locks the token, which makes a token rotate at most once.

use crate::shared::USER_COLUMNS;

pub(crate) const SIGNING_KEY_COLUMNS: &str =
    "kid, private_key_pem, public_jwk, created_at, retired_at";
pub(crate) const OAUTH_STATE_COLUMNS: &str =
    "state, provider, pkce_verifier, nonce, redirect_to, expires_at";

pub(crate) fn insert_user_sql() -> String {
    format!(
        "INSERT INTO users (id, email, name, email_verified, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {USER_COLUMNS}"
    )
}

pub(crate) const INSERT_REFRESH_SQL: &str =
    "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, issued_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Inserts a `NewUser` on `$executor` and yields the stored row: the one statement every way
/// of creating a user (plain, with a password, with an external identity) shares.
macro_rules! insert_user {
    ($executor:expr, $user:expr) => {{
        let user: &$crate::NewUser = $user;
        let row: $crate::shared::UserRow = sqlx::query_as(&$crate::identity_sql::insert_user_sql())
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.email_verified)
            .bind(user.now)
            .fetch_one($executor)
            .await?;
        row
    }};
}

macro_rules! impl_identity_store {
    ($Store:ty) => {
        #[async_trait::async_trait]
        impl $crate::IdentityStore for $Store {
            async fn create_user_with_password(
                &self,
                user: &$crate::NewUser,
                hash: &str,
            ) -> $crate::Result<$crate::User> {
                let mut tx = self.pool.begin().await?;
                let row = $crate::identity_sql::insert_user!(&mut *tx, user);
                sqlx::query(
                    "INSERT INTO password_credentials (user_id, hash, updated_at) VALUES ($1, $2, $3)",
                )
                .bind(user.id)
                .bind(hash)
                .bind(user.now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row.into())
            }

            async fn password_hash(&self, user_id: uuid::Uuid) -> $crate::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT hash FROM password_credentials WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn set_password(
                &self,
                user_id: uuid::Uuid,
                hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                let changed = sqlx::query(
                    "UPDATE password_credentials SET hash = $2, updated_at = $3 WHERE user_id = $1",
                )
                .bind(user_id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if changed.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_user(
                &self,
                id: uuid::Uuid,
                update: &$crate::UserUpdate,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::User> {
                let sql = format!(
                    "UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email), \
                     email_verified = CASE WHEN $3 IS NULL OR $3 = email THEN email_verified \
                         ELSE false END, \
                     updated_at = $4 WHERE id = $1 RETURNING {}",
                    $crate::shared::USER_COLUMNS
                );
                let row: Option<$crate::shared::UserRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(update.name.as_deref())
                    .bind(update.email.as_deref())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(Into::into).ok_or($crate::StoreError::NotFound)
            }

            async fn role_facts(
                &self,
                user_id: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::RoleFacts> {
                let (admin, founding): (
                    Option<$crate::db_enum::Db<konqer_domain::AdminRole>>,
                    bool,
                ) = sqlx::query_as(
                    "SELECT (SELECT role FROM admin_users WHERE user_id = $1), \
                     EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 \
                         AND plan = 'founding' AND status IN ('active', 'trialing', 'past_due') \
                         AND (current_period_end IS NULL OR current_period_end > $2))",
                )
                .bind(user_id)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::RoleFacts {
                    admin: admin.map(|a| a.0),
                    founding_member: founding,
                })
            }

            async fn usage_on(
                &self,
                user_id: uuid::Uuid,
                day: chrono::NaiveDate,
            ) -> $crate::Result<Vec<(konqer_domain::ServiceKey, i32)>> {
                let rows: Vec<($crate::db_enum::Db<konqer_domain::ServiceKey>, i32)> =
                    sqlx::query_as(
                        "SELECT service_key, used FROM usage_counters WHERE user_id = $1 AND day = $2 AND used > 0",
                    )
                    .bind(user_id)
                    .bind(day)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(k, n)| (k.0, n)).collect())
            }

            async fn set_admin_role(
                &self,
                user_id: uuid::Uuid,
                role: konqer_domain::AdminRole,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO admin_users (user_id, role, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(role))
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn signing_keys(&self) -> $crate::Result<Vec<$crate::SigningKeyRecord>> {
                let sql = format!(
                    "SELECT {} FROM signing_keys ORDER BY created_at, kid",
                    $crate::identity_sql::SIGNING_KEY_COLUMNS
                );
                let rows: Vec<$crate::identity::SigningKeyRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn add_signing_key(
                &self,
                key: &$crate::SigningKeyRecord,
                retire_others: bool,
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                if retire_others {
                    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                        .bind(key.created_at)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO signing_keys (kid, private_key_pem, public_jwk, created_at, retired_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&key.kid)
                .bind(&key.private_key_pem)
                .bind(sqlx::types::Json(&key.public_jwk))
                .bind(key.created_at)
                .bind(key.retired_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_refresh_token(
                &self,
                token: &$crate::NewRefreshToken,
            ) -> $crate::Result<()> {
                sqlx::query($crate::identity_sql::INSERT_REFRESH_SQL)
                    .bind(token.id)
                    .bind(token.user_id)
                    .bind(token.family_id)
                    .bind(&token.hash)
                    .bind(token.issued_at)
                    .bind(token.expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                hash: &[u8],
                successor: &$crate::NewRefreshToken,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::RefreshOutcome> {
                let mut tx = self.pool.begin().await?;
                let live: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "UPDATE refresh_tokens SET rotated_at = $2 \
                     WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL \
                       AND expires_at > $2 \
                     RETURNING user_id, family_id",
                )
                .bind(hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((user_id, family_id)) = live {
                    sqlx::query($crate::identity_sql::INSERT_REFRESH_SQL)
                        .bind(successor.id)
                        .bind(user_id)
                        .bind(family_id)
                        .bind(&successor.hash)
                        .bind(successor.issued_at)
                        .bind(successor.expires_at)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok($crate::RefreshOutcome::Rotated { user_id });
                }
                type Known = (
                    uuid::Uuid,
                    uuid::Uuid,
                    Option<chrono::DateTime<chrono::Utc>>,
                    Option<chrono::DateTime<chrono::Utc>>,
                );
                let known: Option<Known> = sqlx::query_as(
                    "SELECT user_id, family_id, rotated_at, revoked_at FROM refresh_tokens \
                     WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match known {
                    Some((user_id, family_id, rotated, revoked))
                        if rotated.is_some() || revoked.is_some() =>
                    {
                        sqlx::query(
                            "UPDATE refresh_tokens SET revoked_at = $2 \
                             WHERE family_id = $1 AND revoked_at IS NULL",
                        )
                        .bind(family_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        $crate::RefreshOutcome::Reused { user_id, family_id }
                    }
                    _ => $crate::RefreshOutcome::Invalid,
                };
                tx.commit().await?;
                Ok(outcome)
            }

            async fn revoke_refresh_family(
                &self,
                hash: &[u8],
                user_id: Option<uuid::Uuid>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $3 \
                     WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens \
                         WHERE token_hash = $1 AND ($2 IS NULL OR user_id = $2))",
                )
                .bind(hash)
                .bind(user_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn save_oauth_state(&self, state: &$crate::OAuthState) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                // Abandoned attempts are swept here rather than by a job: this is the only
                // writer, and the table stays as small as the number of logins in flight.
                sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
                    .bind(state.expires_at - chrono::Duration::hours(1))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO oauth_states (state, provider, pkce_verifier, nonce, redirect_to, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&state.state)
                .bind(&state.provider)
                .bind(&state.pkce_verifier)
                .bind(state.nonce.as_deref())
                .bind(state.redirect_to.as_deref())
                .bind(state.expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn take_oauth_state(
                &self,
                state: &str,
                provider: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::OAuthState>> {
                let sql = format!(
                    "DELETE FROM oauth_states WHERE state = $1 RETURNING {}",
                    $crate::identity_sql::OAUTH_STATE_COLUMNS
                );
                let row: Option<$crate::identity::OAuthStateRow> =
                    sqlx::query_as(&sql).bind(state).fetch_optional(&self.pool).await?;
                Ok(row
                    .map($crate::OAuthState::from)
                    .filter(|s| s.provider == provider && s.expires_at > now))
            }

            async fn user_by_identity(
                &self,
                provider: &str,
                subject: &str,
            ) -> $crate::Result<Option<$crate::User>> {
                let sql = format!(
                    "SELECT {} FROM users WHERE id = (SELECT user_id FROM oauth_identities \
                     WHERE provider = $1 AND provider_user_id = $2)",
                    $crate::shared::USER_COLUMNS
                );
                let row: Option<$crate::shared::UserRow> = sqlx::query_as(&sql)
                    .bind(provider)
                    .bind(subject)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn link_identity(
                &self,
                provider: &str,
                subject: &str,
                user_id: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO oauth_identities (provider, provider_user_id, user_id, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(provider)
                .bind(subject)
                .bind(user_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_user_with_identity(
                &self,
                user: &$crate::NewUser,
                provider: &str,
                subject: &str,
            ) -> $crate::Result<$crate::User> {
                let mut tx = self.pool.begin().await?;
                let row = $crate::identity_sql::insert_user!(&mut *tx, user);
                sqlx::query(
                    "INSERT INTO oauth_identities (provider, provider_user_id, user_id, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(provider)
                .bind(subject)
                .bind(user.id)
                .bind(user.now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row.into())
            }

            async fn user_by_keycloak_id(
                &self,
                subject: &str,
            ) -> $crate::Result<Option<$crate::User>> {
                let sql = format!(
                    "SELECT {} FROM users WHERE keycloak_user_id = $1",
                    $crate::shared::USER_COLUMNS
                );
                let row: Option<$crate::shared::UserRow> =
                    sqlx::query_as(&sql).bind(subject).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn create_user_with_keycloak_id(
                &self,
                user: &$crate::NewUser,
                subject: &str,
            ) -> $crate::Result<$crate::User> {
                let sql = format!(
                    "INSERT INTO users (id, email, name, email_verified, keycloak_user_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {}",
                    $crate::shared::USER_COLUMNS
                );
                let row: $crate::shared::UserRow = sqlx::query_as(&sql)
                    .bind(user.id)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(user.email_verified)
                    .bind(subject)
                    .bind(user.now)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.into())
            }

            async fn set_keycloak_id(
                &self,
                user_id: uuid::Uuid,
                subject: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query(
                    "UPDATE users SET keycloak_user_id = $2, updated_at = $3 WHERE id = $1",
                )
                .bind(user_id)
                .bind(subject)
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_identity_store;
pub(crate) use insert_user;
