//! Configuration: `KONQER_*` environment variables (plus the conventional `DATABASE_URL`,
//! `REDIS_URL`, provider keys), optionally a TOML file named by `KONQER_CONFIG` whose keys
//! are the same names in lower case without the prefix. The environment wins over the file.
//! Every value is parsed once, here; a bad one is an error that names it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use konqer_domain::Secret;

/// A setting's name in both spellings, and whether it is a secret.
struct Setting {
    env: &'static str,
    secret: bool,
}

const SETTINGS: &[Setting] = &[
    Setting {
        env: "KONQER_LISTEN",
        secret: false,
    },
    Setting {
        env: "KONQER_ADMIN_LISTEN",
        secret: false,
    },
    Setting {
        env: "KONQER_DATA_DIR",
        secret: false,
    },
    Setting {
        env: "KONQER_PUBLIC_URL",
        secret: false,
    },
    Setting {
        env: "KONQER_LAUNCH_DATE",
        secret: false,
    },
    Setting {
        env: "DATABASE_URL",
        secret: true,
    },
    Setting {
        env: "KONQER_DB_MAX_CONNECTIONS",
        secret: false,
    },
    Setting {
        env: "KONQER_DB_MIN_CONNECTIONS",
        secret: false,
    },
    Setting {
        env: "KONQER_DB_ACQUIRE_TIMEOUT_MS",
        secret: false,
    },
    Setting {
        env: "KONQER_DB_STATEMENT_TIMEOUT_MS",
        secret: false,
    },
    Setting {
        env: "KONQER_LOG_FORMAT",
        secret: false,
    },
    Setting {
        env: "KONQER_LOG",
        secret: false,
    },
    Setting {
        env: "KONQER_CORS_ORIGINS",
        secret: false,
    },
    Setting {
        env: "KONQER_RATE_LIMIT_PER_MINUTE",
        secret: false,
    },
    Setting {
        env: "KONQER_BODY_LIMIT_BYTES",
        secret: false,
    },
    Setting {
        env: "KONQER_METRICS_TOKEN",
        secret: true,
    },
    Setting {
        env: "KONQER_WEB_DIR",
        secret: false,
    },
    Setting {
        env: "KONQER_CATALOG_REFRESH_SECS",
        secret: false,
    },
    Setting {
        env: "KONQER_SHUTDOWN_GRACE_SECS",
        secret: false,
    },
    Setting {
        env: "KONQER_WORKER_CONCURRENCY",
        secret: false,
    },
    Setting {
        env: "REDIS_URL",
        secret: true,
    },
    Setting {
        env: "OPENAI_API_KEY",
        secret: true,
    },
    Setting {
        env: "STRIPE_SECRET_KEY",
        secret: true,
    },
    Setting {
        env: "STRIPE_WEBHOOK_SECRET",
        secret: true,
    },
    Setting {
        env: "APOLLO_API_KEY",
        secret: true,
    },
];

/// The TOML key of a setting: `KONQER_LISTEN` → `listen`, `DATABASE_URL` → `database_url`.
fn file_key(env: &str) -> String {
    env.strip_prefix("KONQER_")
        .unwrap_or(env)
        .to_ascii_lowercase()
}

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
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
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
    pub body_limit_bytes: usize,
    pub metrics_token: Option<Secret<String>>,
    pub web_dir: PathBuf,
    pub catalog_refresh: Duration,
    pub shutdown_grace: Duration,
    pub worker_concurrency: usize,
    pub redis_url: Option<Secret<String>>,
    pub openai_api_key: Option<Secret<String>>,
    pub stripe_secret_key: Option<Secret<String>>,
    pub stripe_webhook_secret: Option<Secret<String>>,
    pub apollo_api_key: Option<Secret<String>>,
    /// Where each value came from, for `konqer config`: (setting, shown value, source).
    pub provenance: Vec<(String, String, String)>,
}

/// Raw values by setting, with their source.
struct Raw {
    values: BTreeMap<&'static str, (String, String)>,
}

impl Raw {
    fn get(&self, env: &str) -> Option<&str> {
        self.values
            .get(env)
            .map(|(v, _)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// The name to blame in an error: the variable, or the key and file it came from.
    fn name(&self, env: &str) -> String {
        match self.values.get(env) {
            Some((_, source)) if source != "env" => format!("{} (in {source})", file_key(env)),
            _ => env.to_owned(),
        }
    }

    fn parse<T: FromStr>(&self, env: &str, default: T, expected: &str) -> Result<T, ConfigError> {
        match self.get(env) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| ConfigError::new(self.name(env), format!("{v:?} is not {expected}"))),
        }
    }

    fn number<T: FromStr + PartialOrd + std::fmt::Display + Copy>(
        &self,
        env: &str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let value = self.parse(env, default, "a whole number")?;
        if value < min || value > max {
            return Err(ConfigError::new(
                self.name(env),
                format!("{value} is out of range ({min}–{max})"),
            ));
        }
        Ok(value)
    }

    fn secret(&self, env: &str) -> Option<Secret<String>> {
        self.get(env).map(|v| Secret::new(v.trim().to_owned()))
    }
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
        let listen = raw.parse(
            "KONQER_LISTEN",
            SocketAddr::from(([127, 0, 0, 1], 4000)),
            "an address like 127.0.0.1:4000",
        )?;
        let admin_listen = raw.parse(
            "KONQER_ADMIN_LISTEN",
            SocketAddr::from(([127, 0, 0, 1], 4001)),
            "an address like 127.0.0.1:4001",
        )?;
        if listen == admin_listen && listen.port() != 0 {
            return Err(ConfigError::new(
                "KONQER_ADMIN_LISTEN",
                format!("must differ from KONQER_LISTEN ({listen})"),
            ));
        }
        let data_dir = PathBuf::from(raw.get("KONQER_DATA_DIR").unwrap_or("./data"));
        let public_url = raw
            .get("KONQER_PUBLIC_URL")
            .unwrap_or("http://127.0.0.1:4000")
            .trim()
            .trim_end_matches('/')
            .to_owned();
        validate_http_url(&public_url)
            .map_err(|m| ConfigError::new(raw.name("KONQER_PUBLIC_URL"), m))?;
        let launch_date = match raw.get("KONQER_LAUNCH_DATE") {
            None => None,
            Some(v) => Some(
                NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
                    ConfigError::new(
                        raw.name("KONQER_LAUNCH_DATE"),
                        format!("{v:?} is not an ISO date (YYYY-MM-DD)"),
                    )
                })?,
            ),
        };
        let database_url = raw
            .get("DATABASE_URL")
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| format!("sqlite://{}/konqer.db", data_dir.display()));
        konqer_store::backend_of(&database_url)
            .map_err(|m| ConfigError::new(raw.name("DATABASE_URL"), m))?;
        let db_max_connections = raw.number("KONQER_DB_MAX_CONNECTIONS", 10u32, 1, 1000)?;
        let db_min_connections = raw.number("KONQER_DB_MIN_CONNECTIONS", 0u32, 0, 1000)?;
        if db_min_connections > db_max_connections {
            return Err(ConfigError::new(raw.name("KONQER_DB_MIN_CONNECTIONS"), format!("{db_min_connections} is more than KONQER_DB_MAX_CONNECTIONS ({db_max_connections})")));
        }
        let db_acquire_timeout = Duration::from_millis(raw.number(
            "KONQER_DB_ACQUIRE_TIMEOUT_MS",
            5_000u64,
            100,
            600_000,
        )?);
        let db_statement_timeout = Duration::from_millis(raw.number(
            "KONQER_DB_STATEMENT_TIMEOUT_MS",
            10_000u64,
            100,
            3_600_000,
        )?);
        let log_format = match raw
            .get("KONQER_LOG_FORMAT")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => LogFormat::Pretty,
            Some(v) if v == "pretty" => LogFormat::Pretty,
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) => {
                return Err(ConfigError::new(
                    raw.name("KONQER_LOG_FORMAT"),
                    format!("{v:?} is not json or pretty"),
                ))
            }
        };
        let log_filter = raw.get("KONQER_LOG").unwrap_or("info,sqlx=warn").to_owned();
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| ConfigError::new(raw.name("KONQER_LOG"), e.to_string()))?;
        let cors_origins = match raw.get("KONQER_CORS_ORIGINS") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| {
                    validate_origin(o)
                        .map(|()| o.to_owned())
                        .map_err(|m| ConfigError::new(raw.name("KONQER_CORS_ORIGINS"), m))
                })
                .collect::<Result<_, _>>()?,
        };
        let rate_limit_per_minute =
            raw.number("KONQER_RATE_LIMIT_PER_MINUTE", 60u32, 0, 1_000_000)?;
        let body_limit_bytes = raw.number(
            "KONQER_BODY_LIMIT_BYTES",
            1_048_576usize,
            1024,
            64 * 1024 * 1024,
        )?;
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
        let web_dir = PathBuf::from(raw.get("KONQER_WEB_DIR").unwrap_or("web/out"));
        let catalog_refresh =
            Duration::from_secs(raw.number("KONQER_CATALOG_REFRESH_SECS", 5u64, 1, 3600)?);
        let shutdown_grace =
            Duration::from_secs(raw.number("KONQER_SHUTDOWN_GRACE_SECS", 30u64, 1, 600)?);
        let worker_concurrency = raw.number("KONQER_WORKER_CONCURRENCY", 4usize, 1, 256)?;
        let redis_url = raw.secret("REDIS_URL");
        if let Some(url) = &redis_url {
            if !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://")) {
                return Err(ConfigError::new(
                    raw.name("REDIS_URL"),
                    "must start with redis:// or rediss://",
                ));
            }
        }

        let provenance = SETTINGS
            .iter()
            .map(|s| {
                let (value, source) = match raw.values.get(s.env) {
                    Some((v, src)) if !v.trim().is_empty() => (v.clone(), src.clone()),
                    _ => (String::new(), "default".to_owned()),
                };
                let shown = if value.is_empty() {
                    default_shown(s.env, &data_dir)
                } else if s.secret {
                    mask(s.env, &value)
                } else {
                    value
                };
                (s.env.to_owned(), shown, source)
            })
            .collect();

        Ok(Config {
            listen,
            admin_listen,
            data_dir,
            public_url,
            launch_date,
            database_url: Secret::new(database_url),
            db_max_connections,
            db_min_connections,
            db_acquire_timeout,
            db_statement_timeout,
            log_format,
            log_filter,
            cors_origins,
            rate_limit_per_minute,
            body_limit_bytes,
            metrics_token,
            web_dir,
            catalog_refresh,
            shutdown_grace,
            worker_concurrency,
            redis_url,
            openai_api_key: raw.secret("OPENAI_API_KEY"),
            stripe_secret_key: raw.secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: raw.secret("STRIPE_WEBHOOK_SECRET"),
            apollo_api_key: raw.secret("APOLLO_API_KEY"),
            provenance,
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

fn default_shown(env: &str, data_dir: &std::path::Path) -> String {
    match env {
        "KONQER_LISTEN" => "127.0.0.1:4000".into(),
        "KONQER_ADMIN_LISTEN" => "127.0.0.1:4001".into(),
        "KONQER_DATA_DIR" => "./data".into(),
        "KONQER_PUBLIC_URL" => "http://127.0.0.1:4000".into(),
        "KONQER_LAUNCH_DATE" => "(the day the database was created)".into(),
        "DATABASE_URL" => format!("sqlite://{}/konqer.db", data_dir.display()),
        "KONQER_DB_MAX_CONNECTIONS" => "10".into(),
        "KONQER_DB_MIN_CONNECTIONS" => "0".into(),
        "KONQER_DB_ACQUIRE_TIMEOUT_MS" => "5000".into(),
        "KONQER_DB_STATEMENT_TIMEOUT_MS" => "10000".into(),
        "KONQER_LOG_FORMAT" => "pretty".into(),
        "KONQER_LOG" => "info,sqlx=warn".into(),
        "KONQER_CORS_ORIGINS" => "(none: same origin only)".into(),
        "KONQER_RATE_LIMIT_PER_MINUTE" => "60".into(),
        "KONQER_BODY_LIMIT_BYTES" => "1048576".into(),
        "KONQER_WEB_DIR" => "web/out".into(),
        "KONQER_CATALOG_REFRESH_SECS" => "5".into(),
        "KONQER_SHUTDOWN_GRACE_SECS" => "30".into(),
        "KONQER_WORKER_CONCURRENCY" => "4".into(),
        _ => "(unset)".into(),
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

/// Reads a TOML file of `key = value` settings into (env name, value) pairs.
fn read_file(path: &str) -> Result<Vec<(&'static str, String)>, ConfigError> {
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
