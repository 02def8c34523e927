//! Retry delays: exponential from `base`, capped at `max`, with ±20 % jitter so that jobs
//! failing together do not retry together.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1 = the first retry), without jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(31));
        self.base.saturating_mul(factor).min(self.max)
    }

    /// `delay` with ±20 % jitter.
    pub fn jittered(&self, attempt: u32) -> Duration {
        self.delay(attempt)
            .mul_f64(rand::thread_rng().gen_range(0.8..=1.2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base_until_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60),
        };
        let delays: Vec<_> = (1..=6).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 60, 60]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
        assert_eq!(b.delay(0), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let b = Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(100),
        };
        for _ in 0..200 {
            let d = b.jittered(2).as_secs_f64();
            assert!((16.0..=24.0).contains(&d), "{d}");
        }
    }
}
