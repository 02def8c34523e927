//! Limits failed logins per email and per client address, so passwords cannot be guessed at
//! speed. Only failures count; while a key is over its limit every attempt is refused before
//! the password is checked — also the right one, or the 429/200 difference would still let
//! the guessing go on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per email within [`WINDOW`].
pub const MAX_PER_EMAIL: u32 = 10;
/// Failures allowed per client address within [`WINDOW`] (offices share addresses).
pub const MAX_PER_IP: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Beyond this many tracked keys, expired ones are swept before inserting.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// `Some(seconds to wait)` when this email or address may not try now.
    pub fn blocked(&self, email: &str, ip: IpAddr) -> Option<u64> {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        [(email_key(email), MAX_PER_EMAIL), (ip_key(ip), MAX_PER_IP)]
            .into_iter()
            .filter_map(|(key, max)| {
                let (count, started) = map.get(&key)?;
                let left = WINDOW.checked_sub(started.elapsed())?;
                (*count >= max).then(|| left.as_secs().max(1))
            })
            .max()
    }

    pub fn record_failure(&self, email: &str, ip: IpAddr) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= SWEEP_AT {
            map.retain(|_, (_, started)| started.elapsed() < WINDOW);
        }
        for key in [email_key(email), ip_key(ip)] {
            let entry = map.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    /// A successful login clears the email's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&email_key(email));
    }
}

fn email_key(email: &str) -> String {
    format!("email:{email}")
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_blocked_after_its_failures_and_cleared_by_success() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..MAX_PER_EMAIL {
            assert_eq!(throttle.blocked("ada@example.com", ip), None);
            throttle.record_failure("ada@example.com", ip);
        }
        let wait = throttle.blocked("ada@example.com", ip).unwrap();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert_eq!(
            throttle.blocked("bob@example.com", ip),
            None,
            "other emails from the address still may try"
        );
        throttle.record_success("ada@example.com");
        assert_eq!(throttle.blocked("ada@example.com", ip), None);
    }

    #[test]
    fn an_address_is_blocked_across_emails() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "203.0.113.2".parse().unwrap();
        for i in 0..MAX_PER_IP {
            throttle.record_failure(&format!("user{i}@example.com"), ip);
        }
        assert!(throttle.blocked("new@example.com", ip).is_some());
        assert_eq!(
            throttle.blocked("new@example.com", "203.0.113.3".parse().unwrap()),
            None
        );
    }
}
