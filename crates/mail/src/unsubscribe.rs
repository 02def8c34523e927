//! One-click unsubscribe from marketing emails (RFC 8058, RFC 2369). A link carries the user
//! id and an HMAC-SHA256 of it, so it needs no database lookup and cannot be forged for
//! someone else; it never expires, as mail clients keep the header for months. Transactional
//! emails (welcome, unlocks, payment problems) carry no such link and are always sent.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The outbox kinds that are marketing: they honour the opt-out and carry the headers.
pub const MARKETING_KINDS: &[&str] = &["cross_sell", "bundle_offer"];

pub fn is_marketing(kind: &str) -> bool {
    MARKETING_KINDS.contains(&kind)
}

/// Bytes of the MAC kept in a link: 128 bits is far beyond guessing.
const MAC_BYTES: usize = 16;
const PURPOSE: &[u8] = b"konqer:unsubscribe:marketing:";

pub struct UnsubscribeLinks {
    key: Vec<u8>,
    public_url: String,
}

impl UnsubscribeLinks {
    pub fn new(key: impl Into<Vec<u8>>, public_url: &str) -> Self {
        UnsubscribeLinks {
            key: key.into(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    fn mac(&self, user_id: Uuid) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(PURPOSE);
        mac.update(user_id.as_bytes());
        mac
    }

    pub fn token(&self, user_id: Uuid) -> String {
        let tag = self.mac(user_id).finalize().into_bytes();
        let mut raw = user_id.as_bytes().to_vec();
        raw.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The user a token was made for, when it is genuine (compared in constant time).
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() != 16 + MAC_BYTES {
            return None;
        }
        let user_id = Uuid::from_slice(&raw[..16]).ok()?;
        self.mac(user_id)
            .verify_truncated_left(&raw[16..])
            .ok()
            .map(|()| user_id)
    }

    pub fn url(&self, user_id: Uuid) -> String {
        format!(
            "{}/email/unsubscribe?token={}",
            self.public_url,
            self.token(user_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_nothing_else_verifies() {
        let links = UnsubscribeLinks::new(b"k1".to_vec(), "https://konqer.app/");
        let ada = Uuid::from_u128(1);
        let token = links.token(ada);
        assert_eq!(links.verify(&token), Some(ada));
        assert_eq!(
            links.url(ada),
            format!("https://konqer.app/email/unsubscribe?token={token}")
        );
        // Another key, another user's id with this MAC, a cut or altered token: refused.
        assert_eq!(
            UnsubscribeLinks::new(b"k2".to_vec(), "x").verify(&token),
            None
        );
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        raw[..16].copy_from_slice(Uuid::from_u128(2).as_bytes());
        assert_eq!(links.verify(&URL_SAFE_NO_PAD.encode(&raw)), None);
        assert_eq!(links.verify(&token[..token.len() - 2]), None);
        assert_eq!(links.verify(""), None);
        assert_eq!(links.verify("!!not base64!!"), None);
    }

    #[test]
    fn only_offers_are_marketing() {
        assert!(is_marketing("cross_sell") && is_marketing("bundle_offer"));
        for kind in [
            "welcome",
            "unlocked",
            "payment_failed",
            "canceled",
            "founding_welcome",
        ] {
            assert!(!is_marketing(kind), "{kind}");
        }
    }
}
