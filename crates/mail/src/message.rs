//! A rendered email and its RFC 5322 form (`.eml`): `multipart/alternative` with a text and
//! an HTML part, quoted-printable bodies, and encoded-word subjects for non-ASCII text.

use chrono::{DateTime, Utc};

/// What a template produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One message ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: uuid::Uuid,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub date: DateTime<Utc>,
    /// One-click unsubscribe URL of a marketing email (RFC 8058 headers).
    pub list_unsubscribe: Option<String>,
}

impl Outgoing {
    /// The message as an `.eml` file / SMTP DATA.
    pub fn to_eml(&self) -> String {
        let boundary = format!("konqer-{}", self.id.simple());
        let mut out = String::new();
        out.push_str(&format!("From: {}\r\n", self.from));
        out.push_str(&format!("To: {}\r\n", self.to));
        out.push_str(&format!("Subject: {}\r\n", encode_header(&self.subject)));
        out.push_str(&format!("Date: {}\r\n", self.date.to_rfc2822()));
        out.push_str(&format!("Message-ID: <{}@konqer.app>\r\n", self.id));
        if let Some(url) = &self.list_unsubscribe {
            out.push_str(&format!("List-Unsubscribe: <{url}>\r\n"));
            out.push_str("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        }
        out.push_str("MIME-Version: 1.0\r\n");
        match &self.html {
            None => {
                out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
                out.push_str("Content-Transfer-Encoding: quoted-printable\r\n\r\n");
                out.push_str(&quoted_printable(&self.text));
            }
            Some(html) => {
                out.push_str(&format!(
                    "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
                ));
                for (mime, body) in [("text/plain", &self.text), ("text/html", html)] {
                    out.push_str(&format!(
                        "--{boundary}\r\nContent-Type: {mime}; charset=utf-8\r\n"
                    ));
                    out.push_str("Content-Transfer-Encoding: quoted-printable\r\n\r\n");
                    out.push_str(&quoted_printable(body));
                    out.push_str("\r\n");
                }
                out.push_str(&format!("--{boundary}--\r\n"));
            }
        }
        out
    }
}

/// RFC 2047 encoded-word when the header is not plain ASCII.
fn encode_header(value: &str) -> String {
    if value.is_ascii() && !value.contains(['\r', '\n']) {
        return value.to_owned();
    }
    let clean: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let b64 = base64(clean.as_bytes());
    format!("=?utf-8?B?{b64}?=")
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Quoted-printable (RFC 2045) with soft line breaks at 76 characters.
fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for line in text.replace("\r\n", "\n").split('\n') {
        let mut width = 0;
        for byte in line.bytes() {
            let piece = if (byte.is_ascii_graphic() && byte != b'=') || byte == b' ' {
                (byte as char).to_string()
            } else {
                format!("={byte:02X}")
            };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
        if out.ends_with(' ') {
            out.pop();
            out.push_str("=20");
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn eml_has_the_usual_headers_and_both_parts() {
        let message = Outgoing {
            id: uuid::Uuid::nil(),
            from: "Konqer <hello@konqer.app>".into(),
            to: "ada@example.com".into(),
            subject: "Welcome — you're in".into(),
            text: "Hello Ada,\nprice: 699 €".into(),
            html: Some("<p>Hello Ada</p>".into()),
            date: Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap(),
            list_unsubscribe: None,
        };
        let eml = message.to_eml();
        assert!(eml.starts_with(
            "From: Konqer <hello@konqer.app>\r\nTo: ada@example.com\r\nSubject: =?utf-8?B?"
        ));
        assert!(eml.contains("Date: Wed, 25 Nov 2026 09:30:00 +0000\r\n"));
        assert!(eml.contains("multipart/alternative"));
        assert!(eml.contains("price: 699 =E2=82=AC"));
        assert!(eml.contains("<p>Hello Ada</p>"));
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
    }

    #[test]
    fn long_lines_get_soft_breaks() {
        let qp = quoted_printable(&"a".repeat(200));
        assert!(qp.lines().all(|l| l.len() <= 76), "{qp}");
        assert_eq!(qp.replace("=\r\n", "").trim_end(), "a".repeat(200));
    }
}
