//! Enrichment: what a data provider (Apollo.io, or any other behind [`Enricher`]) knows about
//! a prospect, looked up before a service writes. It is best effort — no provider, no match or
//! a failing provider all give an empty [`Enrichment`] and the generation goes on with what the
//! user typed — and it only ever carries what the provider returned: nothing is filled in.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who to look up: the prospect as the user described them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonQuery {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
}

/// What a provider returned about a person; every field is optional because providers often
/// know only part of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub title: Option<String>,
    pub headline: Option<String>,
    pub organization: Option<Organization>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub name: Option<String>,
    pub primary_domain: Option<String>,
    pub industry: Option<String>,
    pub estimated_num_employees: Option<u64>,
    pub short_description: Option<String>,
}

impl Organization {
    /// Whether it says anything about the company beyond its name and domain.
    pub fn is_described(&self) -> bool {
        self.industry.is_some()
            || self.estimated_num_employees.is_some()
            || self.short_description.is_some()
    }

    /// Fills the gaps of `self` from `other`; what `self` already knows is kept.
    fn completed_by(self, other: Organization) -> Organization {
        Organization {
            name: self.name.or(other.name),
            primary_domain: self.primary_domain.or(other.primary_domain),
            industry: self.industry.or(other.industry),
            estimated_num_employees: self
                .estimated_num_employees
                .or(other.estimated_num_employees),
            short_description: self.short_description.or(other.short_description),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EnrichError(pub String);

#[async_trait]
pub trait Enricher: Send + Sync + 'static {
    /// The provider's name, listed in a service's `enrichment_sources` when its facts are used.
    fn name(&self) -> &str;
    /// The best match for a person, `None` when the provider knows nobody matching.
    async fn person(&self, query: &PersonQuery) -> Result<Option<Person>, EnrichError>;
    /// The organization behind a web domain, `None` when unknown.
    async fn organization(&self, domain: &str) -> Result<Option<Organization>, EnrichError>;
}

/// What enrichment found for one generation: empty unless a provider returned something.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enrichment {
    /// The provider that supplied `person`.
    pub source: Option<String>,
    pub person: Option<Person>,
}

impl Enrichment {
    pub fn none() -> Enrichment {
        Enrichment::default()
    }
}

/// Looks a person up, then their organization when the match only named its domain. Never
/// fails: a provider error is logged and reads as "nothing found".
pub async fn look_up(enricher: &dyn Enricher, query: &PersonQuery) -> Enrichment {
    let mut person = match enricher.person(query).await {
        Ok(Some(person)) => person,
        Ok(None) => return Enrichment::none(),
        Err(err) => {
            tracing::warn!(provider = enricher.name(), error = %err, "person lookup failed; going on without it");
            return Enrichment::none();
        }
    };
    let domain = person
        .organization
        .as_ref()
        .filter(|org| !org.is_described())
        .and_then(|org| org.primary_domain.clone());
    if let Some(domain) = domain {
        match enricher.organization(&domain).await {
            Ok(Some(found)) => {
                person.organization = person.organization.map(|org| org.completed_by(found));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(provider = enricher.name(), error = %err, "organization lookup failed; going on without it");
            }
        }
    }
    Enrichment {
        source: Some(enricher.name().to_owned()),
        person: Some(person),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers from fixed data and counts the calls.
    #[derive(Default)]
    struct Fixed {
        person: Option<Person>,
        organization: Option<Organization>,
        fail_person: bool,
        fail_organization: bool,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Enricher for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
        async fn person(&self, query: &PersonQuery) -> Result<Option<Person>, EnrichError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("person {}", query.name));
            if self.fail_person {
                return Err(EnrichError("down".into()));
            }
            Ok(self.person.clone())
        }
        async fn organization(&self, domain: &str) -> Result<Option<Organization>, EnrichError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("organization {domain}"));
            if self.fail_organization {
                return Err(EnrichError("down".into()));
            }
            Ok(self.organization.clone())
        }
    }

    fn query() -> PersonQuery {
        PersonQuery {
            name: "Maya Chen".into(),
            organization_name: Some("Northwind".into()),
            linkedin_url: None,
        }
    }

    fn named_only() -> Organization {
        Organization {
            name: Some("Northwind".into()),
            primary_domain: Some("northwind.example".into()),
            ..Organization::default()
        }
    }

    #[tokio::test]
    async fn a_described_organization_needs_no_second_lookup() {
        let org = Organization {
            industry: Some("logistics".into()),
            ..named_only()
        };
        let fixed = Fixed {
            person: Some(Person {
                title: Some("Head of Sales".into()),
                organization: Some(org.clone()),
                ..Person::default()
            }),
            ..Fixed::default()
        };
        let found = look_up(&fixed, &query()).await;
        assert_eq!(found.source.as_deref(), Some("fixed"));
        assert_eq!(found.person.unwrap().organization, Some(org));
        assert_eq!(*fixed.calls.lock().unwrap(), ["person Maya Chen"]);
    }

    #[tokio::test]
    async fn an_organization_named_only_by_domain_is_looked_up_and_merged() {
        let fixed = Fixed {
            person: Some(Person {
                organization: Some(named_only()),
                ..Person::default()
            }),
            organization: Some(Organization {
                name: Some("Northwind Logistics Ltd".into()),
                estimated_num_employees: Some(240),
                ..Organization::default()
            }),
            ..Fixed::default()
        };
        let org = look_up(&fixed, &query())
            .await
            .person
            .unwrap()
            .organization
            .unwrap();
        assert_eq!(
            org.name.as_deref(),
            Some("Northwind"),
            "the match's name stays"
        );
        assert_eq!(org.estimated_num_employees, Some(240));
        assert_eq!(
            *fixed.calls.lock().unwrap(),
            ["person Maya Chen", "organization northwind.example"]
        );
    }

    #[tokio::test]
    async fn failures_and_misses_give_nothing_or_what_was_found() {
        let nobody = Fixed::default();
        assert_eq!(look_up(&nobody, &query()).await, Enrichment::none());
        let down = Fixed {
            fail_person: true,
            ..Fixed::default()
        };
        assert_eq!(look_up(&down, &query()).await, Enrichment::none());
        let person = Person {
            headline: Some("Sales at Northwind".into()),
            organization: Some(named_only()),
            ..Person::default()
        };
        let half = Fixed {
            person: Some(person.clone()),
            fail_organization: true,
            ..Fixed::default()
        };
        assert_eq!(look_up(&half, &query()).await.person, Some(person));
    }
}
