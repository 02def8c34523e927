//! The twelve services Konqer sells (DESIGN §2) and their launch defaults (DESIGN §3).
//! `ServiceKey` is parsed once at the edge; nothing past the router handles service names
//! as free strings.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::money::Cents;
use crate::plan::Plan;
use crate::string_enum;

string_enum! {
    /// A service's stable key, as used in URLs, the database and Stripe lookup keys.
    pub enum ServiceKey as "service" {
        ColdDm = "cold-dm",
        Battlecards = "battlecards",
        Objection = "objection",
        CommunityFinder = "community-finder",
        Carousel = "carousel",
        ColdEmail = "cold-email",
        PitchDeck = "pitch-deck",
        Whitepaper = "whitepaper",
        DeckHeatmap = "deck-heatmap",
        Webinar = "webinar",
        Warmranker = "warmranker",
        NoShowShield = "no-show-shield",
    }
}

string_enum! {
    /// The product line a service belongs to (shown as a badge in the catalog).
    pub enum ServiceType as "service type" {
        Blue = "Blue",
        Red = "Red",
        Core = "Core",
    }
}

/// A request named a service that does not exist.
pub type UnknownService = crate::ParseEnumError;

/// The catalog entry a fresh database is seeded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceDefaults {
    pub key: ServiceKey,
    pub name: &'static str,
    pub slug: &'static str,
    pub service_type: ServiceType,
    pub pricing_monthly: Cents,
    pub pricing_annual: Cents,
    pub rate_limit_daily: i32,
    pub release_offset_days: i32,
}

/// Default generations per user, service and UTC day.
pub const DEFAULT_DAILY_LIMIT: i32 = 100;

impl ServiceKey {
    pub const fn name(self) -> &'static str {
        use ServiceKey::*;
        match self {
            ColdDm => "Cold DM Personalizer",
            Battlecards => "Outbound Battlecards AI",
            Objection => "Sales Objection Crusher",
            CommunityFinder => "Community Finder Pro",
            Carousel => "LinkedIn Carousel Forge",
            ColdEmail => "AI Cold Email Writer",
            PitchDeck => "Startup Pitch Deck Builder",
            Whitepaper => "AI Whitepaper Generator",
            DeckHeatmap => "VC Deck Heatmap",
            Webinar => "Webinar Demand Scanner",
            Warmranker => "Email WarmRanker",
            NoShowShield => "Calendar No-Show Shield",
        }
    }

    pub const fn slug(self) -> &'static str {
        use ServiceKey::*;
        match self {
            ColdDm => "cold-dm-personalizer",
            Battlecards => "outbound-battlecards-ai",
            Objection => "sales-objection-crusher",
            CommunityFinder => "community-finder-pro",
            Carousel => "linkedin-carousel-forge",
            ColdEmail => "ai-cold-email-writer",
            PitchDeck => "startup-pitch-deck-builder",
            Whitepaper => "ai-whitepaper-generator",
            DeckHeatmap => "vc-deck-heatmap",
            Webinar => "webinar-demand-scanner",
            Warmranker => "email-warmranker",
            NoShowShield => "calendar-no-show-shield",
        }
    }

    pub const fn service_type(self) -> ServiceType {
        use ServiceKey::*;
        match self {
            ColdEmail | Warmranker => ServiceType::Red,
            PitchDeck | Whitepaper => ServiceType::Core,
            _ => ServiceType::Blue,
        }
    }

    /// Days after the launch date at which the founding plan unlocks the service.
    pub const fn default_release_offset_days(self) -> i32 {
        use ServiceKey::*;
        match self {
            ColdDm | Objection | Carousel => 0,
            Battlecards | ColdEmail | CommunityFinder => 7,
            PitchDeck | Whitepaper => 14,
            DeckHeatmap | Webinar => 21,
            Warmranker | NoShowShield => 28,
        }
    }

    /// The service proposed in the cross-sell email after buying this one alone.
    pub const fn complement(self) -> ServiceKey {
        use ServiceKey::*;
        match self {
            ColdDm => ColdEmail,
            Objection => Battlecards,
            Carousel => Whitepaper,
            PitchDeck => DeckHeatmap,
            Webinar => CommunityFinder,
            Warmranker => ColdEmail,
            NoShowShield => ColdDm,
            CommunityFinder => Carousel,
            Battlecards => Objection,
            ColdEmail => Warmranker,
            Whitepaper => Carousel,
            DeckHeatmap => PitchDeck,
        }
    }

    pub fn from_slug(slug: &str) -> Option<ServiceKey> {
        ServiceKey::ALL.iter().copied().find(|k| k.slug() == slug)
    }

    pub const fn defaults(self) -> ServiceDefaults {
        ServiceDefaults {
            key: self,
            name: self.name(),
            slug: self.slug(),
            service_type: self.service_type(),
            pricing_monthly: Plan::MonthlySingle.price(),
            pricing_annual: Plan::AnnualSingle.price(),
            rate_limit_daily: DEFAULT_DAILY_LIMIT,
            release_offset_days: self.default_release_offset_days(),
        }
    }
}

/// When a service unlocks for founding members: 00:00 UTC on launch date + offset.
pub fn release_at(launch: NaiveDate, release_offset_days: i32) -> DateTime<Utc> {
    let day = launch
        .checked_add_signed(chrono::Duration::days(i64::from(release_offset_days)))
        .unwrap_or(NaiveDate::MAX);
    day.and_time(NaiveTime::MIN).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn release_is_midnight_utc_on_launch_plus_offset() {
        let launch = NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        assert_eq!(
            release_at(launch, 0).to_rfc3339(),
            "2026-12-28T00:00:00+00:00"
        );
        assert_eq!(
            release_at(launch, 7).to_rfc3339(),
            "2027-01-04T00:00:00+00:00"
        );
        assert_eq!(release_at(launch, i32::MAX).date_naive(), NaiveDate::MAX);
    }

    #[test]
    fn there_are_twelve_services_with_unique_keys_and_slugs() {
        assert_eq!(ServiceKey::ALL.len(), 12);
        let slugs: HashSet<_> = ServiceKey::ALL.iter().map(|k| k.slug()).collect();
        let names: HashSet<_> = ServiceKey::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(slugs.len(), 12);
        assert_eq!(names.len(), 12);
    }

    #[test]
    fn slugs_and_keys_resolve_back_to_the_same_service() {
        for key in ServiceKey::ALL {
            assert_eq!(ServiceKey::from_slug(key.slug()), Some(*key));
            assert_eq!(key.as_str().parse::<ServiceKey>(), Ok(*key));
        }
        assert_eq!(ServiceKey::from_slug("nope"), None);
        assert!("Cold-DM".parse::<ServiceKey>().is_err());
    }

    #[test]
    fn launch_day_services_are_the_three_day_zero_ones() {
        let day_zero: Vec<_> = ServiceKey::ALL
            .iter()
            .filter(|k| k.default_release_offset_days() == 0)
            .map(|k| k.as_str())
            .collect();
        assert_eq!(day_zero, ["cold-dm", "objection", "carousel"]);
    }

    #[test]
    fn no_service_complements_itself() {
        for key in ServiceKey::ALL {
            assert_ne!(key.complement(), *key);
        }
    }

    #[test]
    fn types_follow_the_design_table() {
        assert_eq!(ServiceKey::ColdEmail.service_type(), ServiceType::Red);
        assert_eq!(ServiceKey::Whitepaper.service_type(), ServiceType::Core);
        assert_eq!(ServiceKey::NoShowShield.service_type(), ServiceType::Blue);
    }
}
