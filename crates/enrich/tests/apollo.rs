//! The Apollo.io client against the local stand-in: the key travels in `X-Api-Key`, people
//! match and organization enrichment are read from Apollo's shapes, misses are `None`,
//! retries stop at three attempts and honour `Retry-After`, and no error repeats the key.

use std::time::{Duration, Instant};

use konqer_domain::Secret;
use konqer_enrich::{Apollo, ApolloSettings};
use konqer_services::enrich::{Enricher, PersonQuery};
use konqer_testkit::apollo::{organization, person, ORGANIZATION_ENRICH, PEOPLE_MATCH};
use konqer_testkit::StandInApollo;
use serde_json::json;

const KEY: &str = "apollo-test-key-7f3a";

fn client(apollo: &StandInApollo, key: &str) -> Apollo {
    let mut settings = ApolloSettings::new(&apollo.base_url(), Secret::new(key.to_owned()));
    settings.http.backoff_base = Duration::from_millis(10);
    Apollo::new(settings).unwrap()
}

fn maya() -> PersonQuery {
    PersonQuery {
        name: "Maya Chen".into(),
        organization_name: Some("Northwind Logistics".into()),
        linkedin_url: None,
    }
}

async fn stand_in() -> StandInApollo {
    let apollo = StandInApollo::start(KEY).await;
    let northwind = organization(
        "Northwind Logistics",
        "northwind.example",
        Some("logistics & supply chain"),
        Some(240),
        Some("Road freight across Europe."),
    );
    apollo.add_person(person(
        "Maya Chen",
        "Head of Sales",
        "Building Europe's freight sales team",
        northwind,
    ));
    apollo.add_organization(organization(
        "Lumen Studio",
        "lumen.example",
        Some("design"),
        Some(12),
        None,
    ));
    apollo
}

#[tokio::test]
async fn a_person_match_reads_title_headline_and_organization() {
    let apollo = stand_in().await;
    let found = client(&apollo, KEY).person(&maya()).await.unwrap().unwrap();
    assert_eq!(found.title.as_deref(), Some("Head of Sales"));
    assert_eq!(
        found.headline.as_deref(),
        Some("Building Europe's freight sales team")
    );
    let org = found.organization.unwrap();
    assert_eq!(org.name.as_deref(), Some("Northwind Logistics"));
    assert_eq!(org.industry.as_deref(), Some("logistics & supply chain"));
    assert_eq!(org.estimated_num_employees, Some(240));
    assert_eq!(org.primary_domain.as_deref(), Some("northwind.example"));
    let (path, body) = &apollo.requests()[0];
    assert_eq!(path, PEOPLE_MATCH);
    assert_eq!(body["name"], "Maya Chen");
    assert_eq!(body["organization_name"], "Northwind Logistics");
    assert_eq!(body["reveal_personal_emails"], false);
}

#[tokio::test]
async fn unknown_people_and_domains_are_none() {
    let apollo = stand_in().await;
    let apollo_client = client(&apollo, KEY);
    let nobody = PersonQuery {
        name: "Nobody Known".into(),
        organization_name: None,
        linkedin_url: Some("https://www.linkedin.com/in/nobody".into()),
    };
    assert_eq!(apollo_client.person(&nobody).await.unwrap(), None);
    assert_eq!(
        apollo_client.organization("unknown.example").await.unwrap(),
        None
    );
    let lumen = apollo_client
        .organization("lumen.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lumen.estimated_num_employees, Some(12));
    assert_eq!(lumen.short_description, None);
    let (path, query) = &apollo.requests()[2];
    assert_eq!(path, ORGANIZATION_ENRICH);
    assert_eq!(query, &json!({"domain": "lumen.example"}));
}

#[tokio::test]
async fn a_wrong_key_is_an_error_that_does_not_repeat_the_key() {
    let apollo = stand_in().await;
    let wrong = "apollo-wrong-key-0000";
    let err = client(&apollo, wrong)
        .person(&maya())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains(wrong) && !err.contains(KEY), "{err}");
    assert_eq!(
        apollo.traffic().hits(PEOPLE_MATCH),
        1,
        "a 401 is not retried"
    );
}

#[tokio::test]
async fn server_errors_are_retried_at_most_three_times() {
    let apollo = stand_in().await;
    apollo.traffic().fail_next(PEOPLE_MATCH, 503, 2);
    let found = client(&apollo, KEY).person(&maya()).await.unwrap();
    assert!(found.is_some(), "the third attempt succeeds");
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 3);

    apollo.traffic().fail_next(PEOPLE_MATCH, 500, 5);
    let err = client(&apollo, KEY).person(&maya()).await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(
        apollo.traffic().hits(PEOPLE_MATCH),
        6,
        "three more, no fourth"
    );
}

#[tokio::test]
async fn a_rate_limit_waits_for_retry_after() {
    let apollo = stand_in().await;
    apollo
        .traffic()
        .fail_next_with_retry_after(PEOPLE_MATCH, 429, 1, 1);
    let started = Instant::now();
    let found = client(&apollo, KEY).person(&maya()).await.unwrap();
    assert!(found.is_some());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 2);
}

#[tokio::test]
async fn a_slow_apollo_times_out() {
    let apollo = stand_in().await;
    apollo
        .traffic()
        .delay(PEOPLE_MATCH, Duration::from_millis(600));
    let mut settings = ApolloSettings::new(&apollo.base_url(), Secret::new(KEY.to_owned()));
    settings.http.timeout = Duration::from_millis(150);
    settings.http.backoff_base = Duration::from_millis(10);
    let err = Apollo::new(settings)
        .unwrap()
        .person(&maya())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 3);
}
