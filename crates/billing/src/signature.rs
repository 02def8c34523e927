//! `Stripe-Signature` verification: HMAC-SHA256 over `"{t}.{raw body}"`, compared in constant
//! time, with a 300 s tolerance. Any of several `v1` signatures may match — during a secret
//! roll Stripe signs with both the old and the new secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the signature timestamp is outside the {TOLERANCE_SECS} s tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` (the `Stripe-Signature` value) against the raw body and every secret
/// given (one normally; two while rolling).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            "v1" => signatures.push(decode_hex(value).ok_or(SignatureError::Malformed)?),
            _ => {} // v0 and future schemes are ignored, as Stripe's libraries do.
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let matched = secrets.iter().any(|secret| {
        signatures.iter().any(|signature| {
            let mac = mac(secret, timestamp, body);
            // `verify_slice` compares in constant time.
            mac.verify_slice(signature).is_ok()
        })
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value Stripe would send for this body (the local checkout signs its events with
/// it; tests too).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    const NOW: i64 = 1_790_000_000;

    #[test]
    fn the_signature_matrix() {
        let good = sign("whsec_new", NOW, BODY);
        assert_eq!(verify(Some(&good), BODY, &["whsec_new"], NOW), Ok(()));
        assert_eq!(
            verify(None, BODY, &["whsec_new"], NOW),
            Err(SignatureError::Missing)
        );
        for malformed in [
            "",
            "garbage",
            "t=abc,v1=00",
            "t=1",
            "v1=00",
            "t=1,v1=zz",
            "t=1,v1=abc",
        ] {
            assert_eq!(
                verify(Some(malformed), BODY, &["whsec_new"], NOW),
                Err(SignatureError::Malformed),
                "{malformed:?}"
            );
        }
        assert_eq!(
            verify(Some(&good), BODY, &["whsec_other"], NOW),
            Err(SignatureError::Mismatch)
        );
        let old = sign("whsec_new", NOW - 301, BODY);
        assert_eq!(
            verify(Some(&old), BODY, &["whsec_new"], NOW),
            Err(SignatureError::Stale)
        );
        let within = sign("whsec_new", NOW - 300, BODY);
        assert_eq!(verify(Some(&within), BODY, &["whsec_new"], NOW), Ok(()));
        // During a roll Stripe sends two v1 signatures; the second may be the valid one.
        let by_old = sign("whsec_old", NOW, BODY);
        let by_new = sign("whsec_new", NOW, BODY);
        let both = format!("{by_old},v1={}", by_new.split("v1=").nth(1).unwrap());
        assert_eq!(verify(Some(&both), BODY, &["whsec_new"], NOW), Ok(()));
        let mut changed = BODY.to_vec();
        changed[5] ^= 1;
        assert_eq!(
            verify(Some(&good), &changed, &["whsec_new"], NOW),
            Err(SignatureError::Mismatch)
        );
        // Unknown schemes are ignored, a v0 alone is not enough.
        let v0 = format!("t={NOW},v0={}", "00".repeat(32));
        assert_eq!(
            verify(Some(&v0), BODY, &["whsec_new"], NOW),
            Err(SignatureError::Malformed)
        );
    }
}
