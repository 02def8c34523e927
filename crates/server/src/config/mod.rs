//! Configuration: `KONQER_*` environment variables (plus the conventional `DATABASE_URL`,
//! `REDIS_URL`, provider keys), optionally a TOML file named by `KONQER_CONFIG` whose keys
//! are the same names in lower case without the prefix. The environment wins over the file.
//! Every value is parsed once, here; a bad one is an error that names it.

mod mail;
mod settings;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use konqer_api::net::Cidr;
use konqer_domain::Secret;

pub use mail::MailConfig;
use settings::{read_file, Raw, SETTINGS};

/// A configuration problem, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, Clone)]
pub struct OAuthClientConfig {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub base_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
    /// Where the web app lives (OAuth logins land there); the public URL by default.
    pub web_url: String,
    pub launch_date: Option<NaiveDate>,
    pub database_url: Secret<String>,
    pub db_max_connections: u32,
    pub db_min_connections: u32,
    pub db_acquire_timeout: Duration,
    pub db_statement_timeout: Duration,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub cors_origins: Vec<String>,
    pub rate_limit_per_minute: u32,
    /// Peers whose `X-Forwarded-For` is believed (the gateway's addresses).
    pub trusted_proxies: Vec<Cidr>,
    /// When non-empty, the admin listener answers only these client addresses.
    pub admin_allow_ips: Vec<Cidr>,
    pub body_limit_bytes: usize,
    pub metrics_token: Option<Secret<String>>,
    pub web_dir: PathBuf,
    pub catalog_refresh: Duration,
    pub shutdown_grace: Duration,
    pub worker_concurrency: usize,
    /// An external OIDC issuer (Keycloak) whose tokens are accepted too.
    pub oidc: Option<OidcConfig>,
    /// Configured social login providers, by name (`github`, `google`, `linkedin`).
    pub oauth: BTreeMap<&'static str, OAuthClientConfig>,
    pub redis_url: Option<Secret<String>>,
    pub openai_api_key: Option<Secret<String>>,
    /// An OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama).
    pub llm_base_url: String,
    pub llm_model: String,
    pub stripe_secret_key: Option<Secret<String>>,
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Key of the unsubscribe links in marketing emails (generated in the data dir if unset).
    pub unsubscribe_secret: Option<Secret<String>>,
    /// Stripe's API (tests point it at a stand-in).
    pub stripe_base_url: String,
    /// Enrichment through Apollo.io when set; none otherwise.
    pub apollo_api_key: Option<Secret<String>>,
    /// Apollo's API (tests point it at a stand-in).
    pub apollo_base_url: String,
    /// The sender address and the mail transport (Resend, SMTP or `.eml` files).
    pub mail: MailConfig,
    /// Where each value came from, for `konqer config`: (setting, shown value, source).
    pub provenance: Vec<(String, String, String)>,
}

impl Config {
    /// Reads the process environment (and the file `KONQER_CONFIG` names).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(std::env::vars())
    }

    /// Builds the configuration from explicit variables (tests pass their own).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = vars.into_iter().collect();
        let mut values = BTreeMap::new();
        if let Some(path) = env.get("KONQER_CONFIG").filter(|p| !p.is_empty()) {
            for (env_name, value) in read_file(path)? {
                values.insert(env_name, (value, path.clone()));
            }
        }
        for setting in SETTINGS {
            if let Some(v) = env.get(setting.env) {
                values.insert(setting.env, (v.clone(), "env".to_owned()));
            }
        }
        let raw = Raw { values };
        let config = Config::parse(&raw)?;
        Ok(config)
    }

    fn parse(raw: &Raw) -> Result<Config, ConfigError> {
        let listen: SocketAddr = raw.value("KONQER_LISTEN", "an address like 127.0.0.1:4000")?;
        let admin_listen: SocketAddr =
            raw.value("KONQER_ADMIN_LISTEN", "an address like 127.0.0.1:4001")?;
        if listen == admin_listen && listen.port() != 0 {
            return Err(ConfigError::new(
                "KONQER_ADMIN_LISTEN",
                format!("must differ from KONQER_LISTEN ({listen})"),
            ));
        }
        let data_dir: PathBuf = raw.value("KONQER_DATA_DIR", "a path")?;
        let public_url = http_url(raw, "KONQER_PUBLIC_URL")?
            .ok_or_else(|| ConfigError::new("KONQER_PUBLIC_URL", "is required"))?;
        let web_url = http_url(raw, "KONQER_WEB_URL")?.unwrap_or_else(|| public_url.clone());
        let launch_date = match raw.get("KONQER_LAUNCH_DATE") {
            None => None,
            Some(v) => Some(NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                ConfigError::new(
                    raw.name("KONQER_LAUNCH_DATE"),
                    format!("{v:?} is not an ISO date (YYYY-MM-DD)"),
                )
            })?),
        };
        let database_url = raw
            .get("DATABASE_URL")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite://{}/konqer.db", data_dir.display()));
        konqer_store::backend_of(&database_url)
            .map_err(|m| ConfigError::new(raw.name("DATABASE_URL"), m))?;
        let db_max_connections = raw.number("KONQER_DB_MAX_CONNECTIONS", 1u32, 1000)?;
        let db_min_connections = raw.number("KONQER_DB_MIN_CONNECTIONS", 0u32, 1000)?;
        if db_min_connections > db_max_connections {
            return Err(ConfigError::new(
                raw.name("KONQER_DB_MIN_CONNECTIONS"),
                format!("{db_min_connections} is more than KONQER_DB_MAX_CONNECTIONS ({db_max_connections})"),
            ));
        }
        let millis = |env, min, max| raw.number(env, min, max).map(Duration::from_millis);
        let secs = |env, min, max| raw.number(env, min, max).map(Duration::from_secs);
        let log_format = match raw.get("KONQER_LOG_FORMAT").map(str::to_ascii_lowercase) {
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) if v == "pretty" => LogFormat::Pretty,
            v => {
                return Err(ConfigError::new(
                    raw.name("KONQER_LOG_FORMAT"),
                    format!("{:?} is not json or pretty", v.unwrap_or_default()),
                ))
            }
        };
        let log_filter: String = raw.value("KONQER_LOG", "a log filter")?;
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| ConfigError::new(raw.name("KONQER_LOG"), e.to_string()))?;
        let cors_origins = list(raw, "KONQER_CORS_ORIGINS")
            .map(|o| {
                validate_origin(o)
                    .map(|()| o.to_owned())
                    .map_err(|m| ConfigError::new(raw.name("KONQER_CORS_ORIGINS"), m))
            })
            .collect::<Result<_, _>>()?;
        let cidrs = |name: &'static str| {
            list(raw, name)
                .map(|c| {
                    c.parse::<Cidr>()
                        .map_err(|m| ConfigError::new(raw.name(name), m))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let trusted_proxies = cidrs("KONQER_TRUSTED_PROXIES")?;
        let admin_allow_ips = cidrs("KONQER_ADMIN_ALLOW_IPS")?;
        let metrics_token = raw.secret("KONQER_METRICS_TOKEN");
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err(ConfigError::new(
                raw.name("KONQER_METRICS_TOKEN"),
                "must be at least 16 characters",
            ));
        }
        let redis_url = raw.secret("REDIS_URL");
        if let Some(url) = &redis_url {
            if !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://")) {
                return Err(ConfigError::new(
                    raw.name("REDIS_URL"),
                    "must start with redis:// or rediss://",
                ));
            }
        }
        let oidc = match http_url(raw, "KONQER_OIDC_ISSUER")? {
            None => None,
            Some(issuer) => Some(OidcConfig {
                issuer,
                audience: raw.value("KONQER_OIDC_AUDIENCE", "an audience")?,
            }),
        };
        let mut oauth = BTreeMap::new();
        for provider in ["github", "google", "linkedin"] {
            if let Some(client) = oauth_client(raw, provider)? {
                oauth.insert(provider, client);
            }
        }

        let mail = mail::parse(raw, &data_dir)?;
        Ok(Config {
            listen,
            admin_listen,
            data_dir,
            public_url,
            web_url,
            launch_date,
            database_url: Secret::new(database_url),
            db_max_connections,
            db_min_connections,
            db_acquire_timeout: millis("KONQER_DB_ACQUIRE_TIMEOUT_MS", 100, 600_000)?,
            db_statement_timeout: millis("KONQER_DB_STATEMENT_TIMEOUT_MS", 100, 3_600_000)?,
            log_format,
            log_filter,
            cors_origins,
            rate_limit_per_minute: raw.number("KONQER_RATE_LIMIT_PER_MINUTE", 0, 1_000_000)?,
            trusted_proxies,
            admin_allow_ips,
            body_limit_bytes: raw.number("KONQER_BODY_LIMIT_BYTES", 1024, 64 * 1024 * 1024)?,
            metrics_token,
            web_dir: raw.value("KONQER_WEB_DIR", "a path")?,
            catalog_refresh: secs("KONQER_CATALOG_REFRESH_SECS", 1, 3600)?,
            shutdown_grace: secs("KONQER_SHUTDOWN_GRACE_SECS", 1, 600)?,
            worker_concurrency: raw.number("KONQER_WORKER_CONCURRENCY", 1, 256)?,
            oidc,
            oauth,
            redis_url,
            openai_api_key: raw.secret("OPENAI_API_KEY"),
            llm_base_url: http_url(raw, "KONQER_LLM_BASE_URL")?
                .ok_or_else(|| ConfigError::new("KONQER_LLM_BASE_URL", "is required"))?,
            llm_model: raw.value("KONQER_LLM_MODEL", "a model name")?,
            stripe_secret_key: raw.secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: raw.secret("STRIPE_WEBHOOK_SECRET"),
            unsubscribe_secret: raw.secret("KONQER_UNSUBSCRIBE_SECRET"),
            stripe_base_url: http_url(raw, "KONQER_STRIPE_BASE_URL")?
                .ok_or_else(|| ConfigError::new("KONQER_STRIPE_BASE_URL", "is required"))?,
            apollo_api_key: raw.secret("APOLLO_API_KEY"),
            apollo_base_url: http_url(raw, "KONQER_APOLLO_BASE_URL")?
                .ok_or_else(|| ConfigError::new("KONQER_APOLLO_BASE_URL", "is required"))?,
            mail,
            provenance: raw.provenance(),
        })
    }

    /// The effective configuration, secrets masked, one `NAME = value  # source` per line.
    pub fn render(&self) -> String {
        let width = self
            .provenance
            .iter()
            .map(|(n, _, _)| n.len())
            .max()
            .unwrap_or(0);
        self.provenance
            .iter()
            .map(|(name, value, source)| format!("{name:width$} = {value}  # {source}\n"))
            .collect()
    }
}

fn validate_http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

fn validate_origin(origin: &str) -> Result<(), String> {
    validate_http_url(origin)?;
    let host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
    if host.contains('/') {
        return Err(format!(
            "{origin:?} is not an origin (scheme://host[:port], no path)"
        ));
    }
    axum::http::HeaderValue::from_str(origin)
        .map_err(|_| format!("{origin:?} is not a valid origin"))?;
    Ok(())
}

/// A comma-separated list setting, trimmed, empty items dropped.
fn list<'a>(raw: &'a Raw, env: &str) -> impl Iterator<Item = &'a str> {
    raw.get(env)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// An optional http(s) URL setting, without its trailing slash.
fn http_url(raw: &Raw, env: &str) -> Result<Option<String>, ConfigError> {
    raw.get(env)
        .map(|v| {
            let url = v.trim_end_matches('/').to_owned();
            validate_http_url(&url)
                .map(|()| url)
                .map_err(|m| ConfigError::new(raw.name(env), m))
        })
        .transpose()
}

/// A social login provider is on when both its client id and secret are set.
fn oauth_client(raw: &Raw, provider: &str) -> Result<Option<OAuthClientConfig>, ConfigError> {
    let upper = provider.to_ascii_uppercase();
    let id_var = format!("KONQER_OAUTH_{upper}_CLIENT_ID");
    let secret_var = format!("KONQER_OAUTH_{upper}_CLIENT_SECRET");
    let base_url = http_url(raw, &format!("KONQER_OAUTH_{upper}_BASE_URL"))?;
    match (raw.get(&id_var), raw.secret(&secret_var)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::new(
            raw.name(&secret_var),
            format!("is required when {id_var} is set"),
        )),
        (None, Some(_)) => Err(ConfigError::new(
            raw.name(&id_var),
            format!("is required when {secret_var} is set"),
        )),
        (Some(client_id), Some(client_secret)) => Ok(Some(OAuthClientConfig {
            client_id: client_id.to_owned(),
            client_secret,
            base_url,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:4000");
        assert_eq!(c.admin_listen.to_string(), "127.0.0.1:4001");
        assert_eq!(c.database_url.expose(), "sqlite://./data/konqer.db");
        assert_eq!(c.public_url, "http://127.0.0.1:4000");
        assert_eq!(c.rate_limit_per_minute, 60);
        assert_eq!(c.body_limit_bytes, 1 << 20);
        assert_eq!(c.launch_date, None);
        assert_eq!(c.web_url, c.public_url);
        assert!(c.oidc.is_none() && c.oauth.is_empty() && c.trusted_proxies.is_empty());
        let text = c.render();
        assert!(
            text.contains("KONQER_LISTEN") && text.contains("= 127.0.0.1:4000  # default"),
            "{text}"
        );
        assert!(
            text.contains("(none: the local checkout)  # default"),
            "{text}"
        );
    }

    #[test]
    fn identity_settings_are_read() {
        let c = Config::from_vars(vars(&[
            ("KONQER_OIDC_ISSUER", "https://id.konqer.app/realms/konqer/"),
            ("KONQER_OAUTH_LINKEDIN_CLIENT_ID", "li-client"),
            ("KONQER_OAUTH_LINKEDIN_CLIENT_SECRET", "li-secret"),
            ("KONQER_OAUTH_LINKEDIN_BASE_URL", "http://127.0.0.1:9999"),
            ("KONQER_TRUSTED_PROXIES", "10.0.0.0/8,::1"),
            ("KONQER_ADMIN_ALLOW_IPS", "127.0.0.1/32"),
            ("KONQER_WEB_URL", "https://konqer.app"),
        ]))
        .unwrap();
        let oidc = c.oidc.as_ref().unwrap();
        assert_eq!(
            (oidc.issuer.as_str(), oidc.audience.as_str()),
            ("https://id.konqer.app/realms/konqer", "konqer-api")
        );
        let li = &c.oauth["linkedin"];
        assert_eq!(
            (li.client_id.as_str(), li.base_url.as_deref()),
            ("li-client", Some("http://127.0.0.1:9999"))
        );
        assert_eq!(c.oauth.len(), 1);
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.admin_allow_ips.len(), 1);
        assert_eq!(c.web_url, "https://konqer.app");
        assert!(!c.render().contains("li-secret"));
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("DATABASE_URL", "mysql://x")],
                r#"DATABASE_URL: unsupported scheme "mysql" (expected postgres or sqlite)"#,
            ),
            (
                &[("KONQER_LISTEN", "localhost")],
                r#"KONQER_LISTEN: "localhost" is not an address like 127.0.0.1:4000"#,
            ),
            (
                &[("KONQER_LAUNCH_DATE", "25/11/2026")],
                r#"KONQER_LAUNCH_DATE: "25/11/2026" is not an ISO date (YYYY-MM-DD)"#,
            ),
            (
                &[("KONQER_DB_MAX_CONNECTIONS", "0")],
                "KONQER_DB_MAX_CONNECTIONS: 0 is out of range (1–1000)",
            ),
            (
                &[("KONQER_DB_MAX_CONNECTIONS", "many")],
                r#"KONQER_DB_MAX_CONNECTIONS: "many" is not a whole number"#,
            ),
            (
                &[("KONQER_LOG_FORMAT", "xml")],
                r#"KONQER_LOG_FORMAT: "xml" is not json or pretty"#,
            ),
            (
                &[("KONQER_PUBLIC_URL", "ftp://x")],
                r#"KONQER_PUBLIC_URL: "ftp://x" must start with http:// or https://"#,
            ),
            (
                &[("KONQER_CORS_ORIGINS", "https://a.com/path")],
                r#"KONQER_CORS_ORIGINS: "https://a.com/path" is not an origin (scheme://host[:port], no path)"#,
            ),
            (
                &[("KONQER_METRICS_TOKEN", "short")],
                "KONQER_METRICS_TOKEN: must be at least 16 characters",
            ),
            (
                &[("KONQER_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/40")],
                r#"KONQER_TRUSTED_PROXIES: "10.0.0.0/40" has a prefix length outside 0–32"#,
            ),
            (
                &[("KONQER_OAUTH_GITHUB_CLIENT_ID", "Iv1.abc")],
                "KONQER_OAUTH_GITHUB_CLIENT_SECRET: is required when KONQER_OAUTH_GITHUB_CLIENT_ID is set",
            ),
            (
                &[("KONQER_OAUTH_GOOGLE_CLIENT_SECRET", "s3cret")],
                "KONQER_OAUTH_GOOGLE_CLIENT_ID: is required when KONQER_OAUTH_GOOGLE_CLIENT_SECRET is set",
            ),
            (
                &[("KONQER_OIDC_ISSUER", "keycloak/realms/konqer")],
                r#"KONQER_OIDC_ISSUER: "keycloak/realms/konqer" must start with http:// or https://"#,
            ),
            (
                &[("REDIS_URL", "http://x")],
                "REDIS_URL: must start with redis:// or rediss://",
            ),
            (
                &[
                    ("KONQER_LISTEN", "127.0.0.1:5000"),
                    ("KONQER_ADMIN_LISTEN", "127.0.0.1:5000"),
                ],
                "KONQER_ADMIN_LISTEN: must differ from KONQER_LISTEN (127.0.0.1:5000)",
            ),
        ];
        for (input, expected) in cases {
            let err = Config::from_vars(vars(input)).unwrap_err();
            assert_eq!(err.to_string(), *expected);
        }
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let dir = std::env::temp_dir().join(format!("konqer-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("konqer.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:5000\"\nrate_limit_per_minute = 0\ncors_origins = [\"https://app.konqer.app\", \"http://localhost:3000\"]\n").unwrap();
        let p = path.to_str().unwrap();
        let c = Config::from_vars(vars(&[
            ("KONQER_CONFIG", p),
            ("KONQER_LISTEN", "127.0.0.1:6000"),
        ]))
        .unwrap();
        assert_eq!(c.listen.port(), 6000);
        assert_eq!(c.rate_limit_per_minute, 0);
        assert_eq!(
            c.cors_origins,
            ["https://app.konqer.app", "http://localhost:3000"]
        );

        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let err = Config::from_vars(vars(&[("KONQER_CONFIG", p)])).unwrap_err();
        assert_eq!(err.to_string(), format!("lisen (in {p}): unknown setting"));

        std::fs::write(&path, "launch_date = \"soon\"\n").unwrap();
        let err = Config::from_vars(vars(&[("KONQER_CONFIG", p)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("launch_date (in {p}): \"soon\" is not an ISO date (YYYY-MM-DD)")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rendering_masks_every_secret() {
        let c = Config::from_vars(vars(&[
            ("DATABASE_URL", "postgres://konqer:hunter2@db:5432/konqer"),
            ("STRIPE_SECRET_KEY", "sk_live_abcdef"),
            ("KONQER_METRICS_TOKEN", "0123456789abcdef0123"),
        ]))
        .unwrap();
        let text = c.render();
        assert!(
            !text.contains("hunter2") && !text.contains("sk_live") && !text.contains("0123456789"),
            "{text}"
        );
        assert!(
            text.contains("postgres://konqer:****@db:5432/konqer  # env"),
            "{text}"
        );
        assert!(
            text.contains("STRIPE_SECRET_KEY") && text.contains("**** (set)"),
            "{text}"
        );
        assert!(format!("{c:?}").contains("[redacted]"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
