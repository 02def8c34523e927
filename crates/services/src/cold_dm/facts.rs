//! What enrichment may add to a Cold DM: the prospect's title and headline, and their company's
//! industry, size and description — only from a provider's match at the company the user
//! named. A match at another company is probably someone else, or out of date, and is ignored
//! whole: a wrong fact in a first message is worse than none.

use serde_json::{Map, Value};

use crate::enrich::Enrichment;

/// Longest provider text passed on; headlines and descriptions are sometimes essays.
const MAX_FACT_CHARS: usize = 300;

/// The facts usable for one message, and which provider they came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Known {
    pub source: String,
    pub title: Option<String>,
    pub headline: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<u64>,
    pub description: Option<String>,
}

impl Known {
    /// The facts as `context_used` names them, in a fixed order.
    pub fn labels(&self) -> Vec<&'static str> {
        let mut labels = Vec::new();
        let present = [
            ("title", self.title.is_some()),
            ("headline", self.headline.is_some()),
            ("company_industry", self.industry.is_some()),
            ("company_size", self.employees.is_some()),
            ("company_description", self.description.is_some()),
        ];
        for (label, is_present) in present {
            if is_present {
                labels.push(label);
            }
        }
        labels
    }

    /// The facts as the model is given them, labelled with their source.
    pub fn for_prompt(&self) -> Value {
        let mut facts = Map::new();
        facts.insert("source".into(), self.source.clone().into());
        let strings = [
            ("title", &self.title),
            ("headline", &self.headline),
            ("company_industry", &self.industry),
            ("company_description", &self.description),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                facts.insert(key.into(), value.clone().into());
            }
        }
        if let Some(n) = self.employees {
            facts.insert("company_employees_estimate".into(), n.into());
        }
        Value::Object(facts)
    }
}

/// The usable facts of `enrichment` for a prospect at `company`, or `None`.
pub(super) fn known(enrichment: &Enrichment, company: &str) -> Option<Known> {
    let source = enrichment.source.clone()?;
    let person = enrichment.person.as_ref()?;
    let org = person.organization.as_ref();
    if let Some(name) = org.and_then(|o| o.name.as_deref()) {
        if !same_company(name, company) {
            tracing::info!("the enrichment match works elsewhere; not using it");
            return None;
        }
    }
    let known = Known {
        source,
        title: clean(person.title.as_deref()),
        headline: clean(person.headline.as_deref()),
        industry: clean(org.and_then(|o| o.industry.as_deref())),
        employees: org
            .and_then(|o| o.estimated_num_employees)
            .filter(|n| *n > 0),
        description: clean(org.and_then(|o| o.short_description.as_deref())),
    };
    (!known.labels().is_empty()).then_some(known)
}

/// "Northwind" and "Northwind Logistics, Inc." are the same company; "Southwind" is not.
fn same_company(a: &str, b: &str) -> bool {
    let normal = |s: &str| -> String {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (a, b) = (normal(a), normal(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let starts = |long: &str, short: &str| long == short || long.starts_with(&format!("{short} "));
    starts(&a, &b) || starts(&b, &a)
}

fn clean(text: Option<&str>) -> Option<String> {
    let text = text?.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(MAX_FACT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{Organization, Person};

    fn enrichment(org_name: &str) -> Enrichment {
        Enrichment {
            source: Some("apollo".into()),
            person: Some(Person {
                title: Some("  Head of   Sales ".into()),
                headline: None,
                organization: Some(Organization {
                    name: Some(org_name.into()),
                    industry: Some("logistics & supply chain".into()),
                    estimated_num_employees: Some(240),
                    ..Organization::default()
                }),
            }),
        }
    }

    #[test]
    fn facts_of_a_match_at_the_named_company_are_used() {
        let known = known(
            &enrichment("Northwind Logistics, Inc."),
            "Northwind Logistics",
        )
        .unwrap();
        assert_eq!(known.title.as_deref(), Some("Head of Sales"));
        assert_eq!(
            known.labels(),
            ["title", "company_industry", "company_size"]
        );
        assert_eq!(known.for_prompt()["company_employees_estimate"], 240);
        assert_eq!(known.for_prompt()["source"], "apollo");
    }

    #[test]
    fn a_match_at_another_company_is_ignored() {
        assert_eq!(known(&enrichment("Southwind Freight"), "Northwind"), None);
        assert_eq!(known(&enrichment("Northwinds"), "Northwind"), None);
    }

    #[test]
    fn nothing_found_is_nothing_used() {
        assert_eq!(known(&Enrichment::none(), "Northwind"), None);
        let empty = Enrichment {
            source: Some("apollo".into()),
            person: Some(Person::default()),
        };
        assert_eq!(known(&empty, "Northwind"), None);
    }
}
