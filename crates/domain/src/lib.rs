//! Konqer's business vocabulary: the twelve services, plans, subscription states and money.
//! Pure types and rules with no I/O, so every rule can be unit-tested without a server.

pub mod catalog;
pub mod clock;
pub mod entitlement;
pub mod flags;
pub mod money;
pub mod plan;
pub mod secret;

pub use catalog::{ServiceKey, ServiceType, UnknownService};
pub use clock::{Clock, ManualClock, SystemClock};
pub use money::Cents;
pub use plan::{AdminRole, BillingInterval, JobState, PaymentStatus, Plan, SubscriptionStatus};
pub use secret::Secret;

/// Error for a string that names no variant of one of the domain's closed sets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what} (expected one of: {expected})")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares a closed set of string-named variants with `as_str`, `ALL`, `Display` and
/// `FromStr`, so every enum the database and API share is spelt in exactly one place.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $Name:ident as $what:literal { $($(#[$vmeta:meta])* $Variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        $vis enum $Name { $($(#[$vmeta])* #[serde(rename = $text)] $Variant),+ }

        impl $Name {
            pub const ALL: &'static [$Name] = &[$($Name::$Variant),+];
            pub const fn as_str(self) -> &'static str {
                match self { $($Name::$Variant => $text),+ }
            }
        }

        impl std::fmt::Display for $Name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $Name {
            type Err = $crate::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($Name::$Variant),)+
                    _ => Err($crate::ParseEnumError {
                        what: $what,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}
