//! Mail settings: the sender address and the one transport in use. `KONQER_RESEND_API_KEY`
//! picks the Resend API, `KONQER_SMTP_URL` picks SMTP, neither keeps the `.eml` files in the
//! data directory; both at once is an error, since silently preferring one would leave the
//! operator believing mail goes where it does not.

use std::path::Path;

use konqer_mail::transport::resend::ResendSettings;
use konqer_mail::transport::smtp::{address_of, SmtpSettings};
use konqer_mail::TransportSettings;

use super::settings::Raw;
use super::{http_url, ConfigError};

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `From` header of every email (`Name <address>`).
    pub from: String,
    pub transport: TransportSettings,
}

pub(super) fn parse(raw: &Raw, data_dir: &Path) -> Result<MailConfig, ConfigError> {
    let from: String = raw.value("KONQER_MAIL_FROM", "a mailbox")?;
    if from.contains(['\r', '\n']) {
        return Err(ConfigError::new(
            raw.name("KONQER_MAIL_FROM"),
            "must be one line",
        ));
    }
    address_of(&from).map_err(|m| {
        ConfigError::new(
            raw.name("KONQER_MAIL_FROM"),
            format!("{m} (expected e.g. Konqer <hello@konqer.app>)"),
        )
    })?;
    let resend_key = raw.secret("KONQER_RESEND_API_KEY");
    let smtp_url = raw.secret("KONQER_SMTP_URL");
    let transport = match (resend_key, smtp_url) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                raw.name("KONQER_RESEND_API_KEY"),
                format!(
                    "and {} are both set; set only one mail transport",
                    raw.name("KONQER_SMTP_URL")
                ),
            ))
        }
        (Some(key), None) => {
            let base_url = http_url(raw, "KONQER_RESEND_BASE_URL")?
                .ok_or_else(|| ConfigError::new("KONQER_RESEND_BASE_URL", "is required"))?;
            TransportSettings::Resend(ResendSettings::new(&base_url, key))
        }
        (None, Some(url)) => TransportSettings::Smtp(
            SmtpSettings::parse(url.expose())
                .map_err(|m| ConfigError::new(raw.name("KONQER_SMTP_URL"), m))?,
        ),
        (None, None) => TransportSettings::File(data_dir.join("mail")),
    };
    Ok(MailConfig { from, transport })
}

#[cfg(test)]
mod tests {
    use konqer_mail::transport::smtp::Security;

    use super::super::Config;
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_transport_follows_the_settings() {
        let c = config(&[("KONQER_DATA_DIR", "/srv/konqer")]).unwrap();
        assert_eq!(c.mail.from, "Konqer <hello@konqer.app>");
        assert!(
            matches!(&c.mail.transport, TransportSettings::File(dir) if dir == Path::new("/srv/konqer/mail"))
        );

        let c = config(&[("KONQER_RESEND_API_KEY", "re_live_123")]).unwrap();
        match &c.mail.transport {
            TransportSettings::Resend(r) => assert_eq!(r.base_url, "https://api.resend.com"),
            other => panic!("{other:?}"),
        }

        let c = config(&[
            ("KONQER_SMTP_URL", "smtps://mailer:hunter2@smtp.example.com"),
            ("KONQER_MAIL_FROM", "Ada <ada@konqer.app>"),
        ])
        .unwrap();
        match &c.mail.transport {
            TransportSettings::Smtp(s) => {
                assert_eq!((s.port, s.security), (465, Security::Tls))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.mail.from, "Ada <ada@konqer.app>");
        let text = c.render();
        assert!(!text.contains("hunter2") && !format!("{c:?}").contains("hunter2"));
        assert!(
            text.contains("smtps://mailer:****@smtp.example.com  # env"),
            "{text}"
        );
    }

    #[test]
    fn mail_errors_name_the_setting() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("KONQER_RESEND_API_KEY", "re_123"),
                    ("KONQER_SMTP_URL", "smtps://u:p@h"),
                ],
                "KONQER_RESEND_API_KEY: and KONQER_SMTP_URL are both set; set only one mail transport",
            ),
            (
                &[("KONQER_SMTP_URL", "smtp://u:hunter2@h?tls=opportunistic")],
                "KONQER_SMTP_URL: tls=\"opportunistic\" is not supported (use tls=required, or tls=none for a local relay)",
            ),
            (
                &[("KONQER_MAIL_FROM", "Konqer")],
                "KONQER_MAIL_FROM: \"Konqer\" is not an email address (expected e.g. Konqer <hello@konqer.app>)",
            ),
            (
                &[
                    ("KONQER_RESEND_API_KEY", "re_123"),
                    ("KONQER_RESEND_BASE_URL", "api.resend.com"),
                ],
                "KONQER_RESEND_BASE_URL: \"api.resend.com\" must start with http:// or https://",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(config(input).unwrap_err().to_string(), *expected);
        }
    }
}
