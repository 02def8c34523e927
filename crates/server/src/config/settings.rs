//! The table of settings — name, secret or not, default — and the raw values read from the
//! environment and the optional TOML file. Defaults live only here, so parsing and
//! `konqer config` can never disagree about them.

use std::collections::BTreeMap;
use std::str::FromStr;

use konqer_domain::Secret;

use super::ConfigError;

/// What a setting is when nobody set it.
pub(super) enum Default {
    /// This value, parsed like any other.
    Value(&'static str),
    /// Nothing; the text says what that means (shown by `konqer config`).
    Unset(&'static str),
}

pub(super) struct Setting {
    pub env: &'static str,
    pub secret: bool,
    pub default: Default,
}

const fn plain(env: &'static str, default: &'static str) -> Setting {
    Setting {
        env,
        secret: false,
        default: Default::Value(default),
    }
}

const fn unset(env: &'static str, meaning: &'static str) -> Setting {
    Setting {
        env,
        secret: false,
        default: Default::Unset(meaning),
    }
}

const fn secret(env: &'static str, meaning: &'static str) -> Setting {
    Setting {
        env,
        secret: true,
        default: Default::Unset(meaning),
    }
}

#[rustfmt::skip]
pub(super) const SETTINGS: &[Setting] = &[
    plain("KONQER_LISTEN", "127.0.0.1:4000"),
    plain("KONQER_ADMIN_LISTEN", "127.0.0.1:4001"),
    plain("KONQER_DATA_DIR", "./data"),
    plain("KONQER_PUBLIC_URL", "http://127.0.0.1:4000"),
    unset("KONQER_WEB_URL", "(KONQER_PUBLIC_URL: the site is served by this process)"),
    unset("KONQER_LAUNCH_DATE", "(the day the database was created)"),
    secret("DATABASE_URL", "sqlite://$KONQER_DATA_DIR/konqer.db"),
    plain("KONQER_DB_MAX_CONNECTIONS", "10"),
    plain("KONQER_DB_MIN_CONNECTIONS", "0"),
    plain("KONQER_DB_ACQUIRE_TIMEOUT_MS", "5000"),
    plain("KONQER_DB_STATEMENT_TIMEOUT_MS", "10000"),
    plain("KONQER_LOG_FORMAT", "pretty"),
    plain("KONQER_LOG", "info,sqlx=warn"),
    unset("KONQER_CORS_ORIGINS", "(none: same origin only)"),
    plain("KONQER_RATE_LIMIT_PER_MINUTE", "60"),
    unset("KONQER_TRUSTED_PROXIES", "(none: X-Forwarded-For is ignored)"),
    unset("KONQER_ADMIN_ALLOW_IPS", "(any address that reaches the admin listener)"),
    plain("KONQER_BODY_LIMIT_BYTES", "1048576"),
    secret("KONQER_METRICS_TOKEN", "(none: /metrics is open on the admin listener)"),
    plain("KONQER_WEB_DIR", "web/out"),
    plain("KONQER_CATALOG_REFRESH_SECS", "5"),
    plain("KONQER_SHUTDOWN_GRACE_SECS", "30"),
    plain("KONQER_WORKER_CONCURRENCY", "4"),
    unset("KONQER_OIDC_ISSUER", "(none: only the built-in issuer's tokens)"),
    plain("KONQER_OIDC_AUDIENCE", "konqer-api"),
    unset("KONQER_OAUTH_GITHUB_CLIENT_ID", "(GitHub login off)"),
    secret("KONQER_OAUTH_GITHUB_CLIENT_SECRET", "(unset)"),
    unset("KONQER_OAUTH_GITHUB_BASE_URL", "(github.com)"),
    unset("KONQER_OAUTH_GOOGLE_CLIENT_ID", "(Google login off)"),
    secret("KONQER_OAUTH_GOOGLE_CLIENT_SECRET", "(unset)"),
    unset("KONQER_OAUTH_GOOGLE_BASE_URL", "(accounts.google.com)"),
    unset("KONQER_OAUTH_LINKEDIN_CLIENT_ID", "(LinkedIn login off)"),
    secret("KONQER_OAUTH_LINKEDIN_CLIENT_SECRET", "(unset)"),
    unset("KONQER_OAUTH_LINKEDIN_BASE_URL", "(www.linkedin.com)"),
    secret("REDIS_URL", "(none: rate limits are kept in process)"),
    secret("OPENAI_API_KEY", "(none: the offline provider)"),
    plain("KONQER_LLM_BASE_URL", "https://api.openai.com/v1"),
    plain("KONQER_LLM_MODEL", "gpt-4o"),
    secret("STRIPE_SECRET_KEY", "(none: the local checkout)"),
    secret("STRIPE_WEBHOOK_SECRET", "(generated in the data directory)"),
    secret("KONQER_UNSUBSCRIBE_SECRET", "(generated in the data directory)"),
    plain("KONQER_STRIPE_BASE_URL", "https://api.stripe.com"),
    secret("APOLLO_API_KEY", "(none: no enrichment)"),
    plain("KONQER_APOLLO_BASE_URL", "https://api.apollo.io"),
    plain("KONQER_MAIL_FROM", "Konqer <hello@konqer.app>"),
    secret("KONQER_RESEND_API_KEY", "(none: SMTP if KONQER_SMTP_URL is set, else .eml files in $KONQER_DATA_DIR/mail)"),
    plain("KONQER_RESEND_BASE_URL", "https://api.resend.com"),
    secret("KONQER_SMTP_URL", "(none)"),
];

/// The TOML key of a setting: `KONQER_LISTEN` → `listen`, `DATABASE_URL` → `database_url`.
pub(super) fn file_key(env: &str) -> String {
    env.strip_prefix("KONQER_")
        .unwrap_or(env)
        .to_ascii_lowercase()
}

fn setting(env: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.env == env)
        .unwrap_or_else(|| panic!("{env} is missing from SETTINGS"))
}

/// Raw values by setting, with their source (`env` or the file's path).
pub(super) struct Raw {
    pub values: BTreeMap<&'static str, (String, String)>,
}

impl Raw {
    /// The value set, or the table's default; `None` when neither exists.
    pub fn get(&self, env: &str) -> Option<&str> {
        let set = self
            .values
            .get(env)
            .map(|(v, _)| v.trim())
            .filter(|v| !v.is_empty());
        set.or(match setting(env).default {
            Default::Value(v) => Some(v),
            Default::Unset(_) => None,
        })
    }

    /// The name to blame in an error: the variable, or the key and file it came from.
    pub fn name(&self, env: &str) -> String {
        match self.values.get(env) {
            Some((_, source)) if source != "env" => format!("{} (in {source})", file_key(env)),
            _ => env.to_owned(),
        }
    }

    pub fn parse<T: FromStr>(&self, env: &str, expected: &str) -> Result<Option<T>, ConfigError> {
        self.get(env)
            .map(|v| {
                v.parse().map_err(|_| {
                    ConfigError::new(self.name(env), format!("{v:?} is not {expected}"))
                })
            })
            .transpose()
    }

    /// A setting that has a default in the table.
    pub fn value<T: FromStr>(&self, env: &str, expected: &str) -> Result<T, ConfigError> {
        self.parse(env, expected)?
            .ok_or_else(|| ConfigError::new(self.name(env), "is required"))
    }

    pub fn number<T: FromStr + PartialOrd + std::fmt::Display + Copy>(
        &self,
        env: &str,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let value: T = self.value(env, "a whole number")?;
        if value < min || value > max {
            return Err(ConfigError::new(
                self.name(env),
                format!("{value} is out of range ({min}–{max})"),
            ));
        }
        Ok(value)
    }

    pub fn secret(&self, env: &str) -> Option<Secret<String>> {
        self.get(env).map(|v| Secret::new(v.to_owned()))
    }

    /// Each setting's shown value (secrets masked) and source, for `konqer config`.
    pub fn provenance(&self) -> Vec<(String, String, String)> {
        SETTINGS
            .iter()
            .map(|s| {
                let set = self.values.get(s.env).filter(|(v, _)| !v.trim().is_empty());
                let (shown, source) = match (set, &s.default) {
                    (Some((v, src)), _) if s.secret => (mask(s.env, v), src.clone()),
                    (Some((v, src)), _) => (v.clone(), src.clone()),
                    (None, Default::Value(v)) => ((*v).to_owned(), "default".to_owned()),
                    (None, Default::Unset(meaning)) => {
                        ((*meaning).to_owned(), "default".to_owned())
                    }
                };
                (s.env.to_owned(), shown, source)
            })
            .collect()
    }
}

/// Masks a secret for display. URLs keep their shape with the password hidden, so an operator
/// can still see which database they point at.
fn mask(env: &str, value: &str) -> String {
    if env.ends_with("_URL") {
        if let Some((scheme, rest)) = value.split_once("://") {
            if let Some((userinfo, host)) = rest.rsplit_once('@') {
                let user = userinfo.split(':').next().unwrap_or("");
                return format!("{scheme}://{user}:****@{host}");
            }
            return value.to_owned();
        }
    }
    "**** (set)".to_owned()
}

/// Reads a TOML file of `key = value` settings into (env name, value) pairs.
pub(super) fn read_file(path: &str) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("KONQER_CONFIG", format!("cannot read {path}: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new(
            "KONQER_CONFIG",
            format!("{path} is not valid TOML: {}", e.message()),
        )
    })?;
    let mut out = Vec::new();
    for (key, value) in table {
        let setting = SETTINGS
            .iter()
            .find(|s| file_key(s.env) == key)
            .ok_or_else(|| ConfigError::new(format!("{key} (in {path})"), "unknown setting"))?;
        let unsupported = || {
            ConfigError::new(
                format!("{key} (in {path})"),
                "must be a string, number, boolean or list of those",
            )
        };
        let text = match value {
            toml::Value::Array(items) => items
                .into_iter()
                .map(|item| scalar(item).ok_or_else(unsupported))
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            other => scalar(other).ok_or_else(unsupported)?,
        };
        out.push((setting.env, text));
    }
    Ok(out)
}

fn scalar(value: toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}
