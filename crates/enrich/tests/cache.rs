//! The enrichment cache on both back ends: a lookup repeated within 24 hours is answered from
//! the database (no provider call, so no credit), a miss is remembered too, an answer older
//! than a day is fetched again, and a failure is never cached.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use konqer_domain::ManualClock;
use konqer_enrich::Cached;
use konqer_services::enrich::{EnrichError, Enricher, Organization, Person, PersonQuery};
use konqer_store::testing::TestDb;

konqer_store::both_backends!(
    a_repeat_lookup_within_a_day_is_answered_from_the_cache,
    a_miss_is_remembered_and_failures_are_not,
    lookups_differ_by_person_and_by_kind,
);

/// A provider that knows one person and counts its calls.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Enricher for Counting {
    fn name(&self) -> &str {
        "counting"
    }
    async fn person(&self, query: &PersonQuery) -> Result<Option<Person>, EnrichError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(EnrichError("provider down".into()));
        }
        Ok((query.name == "Maya Chen").then(|| Person {
            title: Some("Head of Sales".into()),
            ..Person::default()
        }))
    }
    async fn organization(&self, domain: &str) -> Result<Option<Organization>, EnrichError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Some(Organization {
            primary_domain: Some(domain.to_owned()),
            estimated_num_employees: Some(40),
            ..Organization::default()
        }))
    }
}

fn setup(db: &TestDb) -> (Arc<Counting>, Arc<ManualClock>, Cached) {
    let provider = Arc::new(Counting::default());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let cached = Cached::new(provider.clone(), db.store.clone(), clock.clone());
    (provider, clock, cached)
}

fn query(name: &str) -> PersonQuery {
    PersonQuery {
        name: name.into(),
        organization_name: Some("Northwind".into()),
        linkedin_url: None,
    }
}

fn calls(provider: &Counting) -> usize {
    provider.calls.load(Ordering::SeqCst)
}

async fn a_repeat_lookup_within_a_day_is_answered_from_the_cache(db: TestDb) {
    let (provider, clock, cached) = setup(&db);
    let first = cached.person(&query("Maya Chen")).await.unwrap();
    assert_eq!(
        first.as_ref().unwrap().title.as_deref(),
        Some("Head of Sales")
    );
    clock.advance(Duration::hours(23) + Duration::minutes(59));
    // Spacing and case make no new lookup.
    let again = cached.person(&query("  maya   CHEN ")).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(calls(&provider), 1, "the repeat spent no credit");
    clock.advance(Duration::minutes(2));
    assert_eq!(cached.person(&query("Maya Chen")).await.unwrap(), first);
    assert_eq!(
        calls(&provider),
        2,
        "a day later the provider is asked again"
    );
    assert_eq!(cached.person(&query("Maya Chen")).await.unwrap(), first);
    assert_eq!(calls(&provider), 2, "and the fresh answer is cached again");
}

async fn a_miss_is_remembered_and_failures_are_not(db: TestDb) {
    let (provider, _clock, cached) = setup(&db);
    assert_eq!(cached.person(&query("Nobody")).await.unwrap(), None);
    assert_eq!(cached.person(&query("Nobody")).await.unwrap(), None);
    assert_eq!(
        calls(&provider),
        1,
        "nobody found is an answer worth keeping"
    );

    provider.fail.store(true, Ordering::SeqCst);
    assert!(cached.person(&query("Maya Chen")).await.is_err());
    assert!(cached.person(&query("Maya Chen")).await.is_err());
    assert_eq!(calls(&provider), 3, "each failure asks again");
    provider.fail.store(false, Ordering::SeqCst);
    assert!(cached.person(&query("Maya Chen")).await.unwrap().is_some());
    assert_eq!(calls(&provider), 4);
}

async fn lookups_differ_by_person_and_by_kind(db: TestDb) {
    let (provider, _clock, cached) = setup(&db);
    cached.person(&query("Maya Chen")).await.unwrap();
    let mut elsewhere = query("Maya Chen");
    elsewhere.organization_name = Some("Southwind".into());
    cached.person(&elsewhere).await.unwrap();
    let org = cached.organization("northwind.example").await.unwrap();
    assert_eq!(org.unwrap().estimated_num_employees, Some(40));
    cached.organization("NorthWind.example").await.unwrap();
    assert_eq!(calls(&provider), 3, "two people and one domain");
}
