//! SMTP through `lettre`, configured by one URL (`KONQER_SMTP_URL`). The message sent is our
//! own `.eml` rendering (the same bytes the file sink writes), so every transport carries
//! identical headers; lettre supplies the connection, TLS, authentication and dot-stuffing.
//!
//! `smtps://user:pass@host[:465]` is TLS from the first byte; `smtp://…` requires STARTTLS
//! (`?tls=required`, the default, port 587); `?tls=none` is plain text, for local relays and
//! tests only. Opportunistic STARTTLS is refused: it silently falls back to plain text.

use std::time::Duration;

use async_trait::async_trait;
use konqer_domain::Secret;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{SendError, Transport};
use crate::message::Outgoing;

/// Per connection attempt and per SMTP command; a stuck relay fails the job, which retries.
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`).
    Tls,
    /// `STARTTLS` required before anything is sent.
    StartTls,
    /// Plain text (`?tls=none`).
    None,
}

/// A parsed `KONQER_SMTP_URL`. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
    /// The name sent with `EHLO` (the URL's path), when not lettre's default.
    pub hello_name: Option<String>,
}

impl SmtpSettings {
    /// Parses the URL. Errors never repeat the URL, which may hold a password.
    pub fn parse(url: &str) -> Result<SmtpSettings, String> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|e| format!("is not a URL like smtps://user:pass@host:465 ({e})"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let mut tls = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "tls" if tls.is_none() => tls = Some(value.into_owned()),
                other => return Err(format!("unknown parameter {other:?} (only tls=)")),
            }
        }
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None) => (Security::Tls, 465),
            ("smtp", None | Some("required")) => (Security::StartTls, 587),
            ("smtp", Some("none")) => (Security::None, 587),
            ("smtp", Some(other)) => return Err(unsupported_tls(other)),
            ("smtps", Some(_)) => return Err("smtps:// takes no tls= parameter".to_owned()),
            (scheme, _) => {
                return Err(format!(
                    "unsupported scheme {scheme:?} (expected smtps or smtp)"
                ))
            }
        };
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or_else(|| "has a badly percent-encoded user or password".to_owned())
        };
        let username = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .map(decode)
            .transpose()?;
        let password = parsed.password().map(decode).transpose()?.map(Secret::new);
        if password.is_some() && username.is_none() {
            return Err("has a password but no user".to_owned());
        }
        let hello_name = Some(parsed.path().trim_matches('/'))
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        Ok(SmtpSettings {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            username,
            password,
            hello_name,
        })
    }
}

fn unsupported_tls(value: &str) -> String {
    format!("tls={value:?} is not supported (use tls=required, or tls=none for a local relay)")
}

/// `%XX` decoding of URL user info (UTF-8 only).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The address inside `Name <addr@host>`, or the whole value when it is a bare address.
pub fn address_of(mailbox: &str) -> Result<Address, String> {
    let mailbox = mailbox.trim();
    let spec = match (mailbox.rfind('<'), mailbox.ends_with('>')) {
        (Some(open), true) => &mailbox[open + 1..mailbox.len() - 1],
        _ => mailbox,
    };
    spec.trim()
        .parse::<Address>()
        .map_err(|_| format!("{spec:?} is not an email address"))
}

pub struct Smtp {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    pub fn new(settings: &SmtpSettings) -> Result<Smtp, String> {
        let host = settings.host.as_str();
        let builder = match settings.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| format!("cannot set up TLS for {host}: {e}"))?;
        let mut builder = builder.port(settings.port).timeout(Some(TIMEOUT));
        if let (Some(user), password) = (&settings.username, &settings.password) {
            let password = password.as_ref().map(|p| p.expose().clone());
            builder =
                builder.credentials(Credentials::new(user.clone(), password.unwrap_or_default()));
        }
        if let Some(name) = &settings.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        Ok(Smtp {
            mailer: builder.build(),
        })
    }
}

#[async_trait]
impl Transport for Smtp {
    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let from = address_of(&message.from).map_err(SendError::Permanent)?;
        let to = address_of(&message.to).map_err(SendError::Permanent)?;
        let envelope = Envelope::new(Some(from), vec![to])
            .map_err(|e| SendError::Permanent(format!("no usable envelope: {e}")))?;
        let eml = message.to_eml();
        // lettre ends DATA with CRLF.CRLF itself; the message's own last CRLF would add an
        // empty line.
        let eml = eml.strip_suffix("\r\n").unwrap_or(&eml);
        match self.mailer.send_raw(&envelope, eml.as_bytes()).await {
            Ok(_) => Ok(()),
            Err(err) => Err(classify(&err)),
        }
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

/// A 5xx reply about the recipient or the message is final; everything else (4xx, network,
/// TLS, timeouts, and 5xx about authentication, which an operator can fix) is retried.
fn classify(err: &lettre::transport::smtp::Error) -> SendError {
    let text = format!("SMTP: {err}");
    let code = err.status().map(|c| c.to_string());
    let auth_problem = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"));
    if err.is_permanent() && !auth_problem {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_security_port_and_credentials() {
        let s = SmtpSettings::parse("smtps://ada:p%40ss%3Aw0rd@mail.example.com").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("mail.example.com", 465, Security::Tls)
        );
        assert_eq!(s.username.as_deref(), Some("ada"));
        assert_eq!(
            s.password.as_ref().map(|p| p.expose().as_str()),
            Some("p@ss:w0rd")
        );
        assert!(!format!("{s:?}").contains("w0rd"));

        let s = SmtpSettings::parse("smtp://relay.example.com:2525?tls=required").unwrap();
        assert_eq!((s.port, s.security), (2525, Security::StartTls));
        let s = SmtpSettings::parse("smtp://relay.example.com").unwrap();
        assert_eq!((s.port, s.security), (587, Security::StartTls));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2500/konqer.app?tls=none").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security, s.hello_name.as_deref()),
            ("127.0.0.1", 2500, Security::None, Some("konqer.app"))
        );
        assert!(s.username.is_none() && s.password.is_none());
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_the_password() {
        for (url, expected) in [
            ("http://mail.example.com", "unsupported scheme \"http\""),
            (
                "smtp://mail.example.com?tls=opportunistic",
                "is not supported",
            ),
            ("smtps://mail.example.com?tls=none", "takes no tls="),
            (
                "smtp://u:hunter2@mail.example.com?tlz=none",
                "unknown parameter \"tlz\"",
            ),
            ("smtps://:hunter2@mail.example.com", "password but no user"),
            ("smtps://", "has no host"),
            ("not a url hunter2", "is not a URL"),
        ] {
            let err = SmtpSettings::parse(url).unwrap_err();
            assert!(err.contains(expected), "{url}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn mailboxes_give_their_address() {
        assert_eq!(
            address_of("Konqer <hello@konqer.app>").unwrap().to_string(),
            "hello@konqer.app"
        );
        assert_eq!(
            address_of(" ada@example.com ").unwrap().to_string(),
            "ada@example.com"
        );
        assert!(address_of("Konqer <nobody>").is_err());
        assert!(address_of("").is_err());
    }
}
