//! Money is integer euro cents end to end: no floats ever touch a price or a revenue figure.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Cents {
    /// Formats as euros with two decimals, e.g. `699.00 EUR`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02} EUR", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn displays_euros_with_two_decimals() {
        assert_eq!(Cents(69900).to_string(), "699.00 EUR");
        assert_eq!(Cents(5).to_string(), "0.05 EUR");
        assert_eq!(Cents(-1250).to_string(), "-12.50 EUR");
    }
}
