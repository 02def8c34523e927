//! Cold DM with enrichment: the facts a provider found shape the message and are listed in
//! `context_used`, the provider in `enrichment_sources` — only when a fact was used, and never
//! for a match at another company.

use std::sync::Mutex;

use async_trait::async_trait;
use konqer_services::cold_dm::ColdDm;
use konqer_services::enrich::{Enrichment, Organization, Person};
use konqer_services::text::{GenerateError, Generator, Offline, Prompt};
use konqer_services::Service;
use proptest::prelude::*;
use serde_json::{json, Value};

fn input() -> Value {
    json!({"prospect_name": "Maya Chen", "company": "Northwind Logistics", "role": "Head of Sales",
        "offer": "Konqer writes personalised first messages for every prospect in your CRM in seconds."})
}

fn apollo(org_name: &str) -> Enrichment {
    Enrichment {
        source: Some("apollo".into()),
        person: Some(Person {
            title: Some("Head of Sales EMEA".into()),
            headline: Some("Building the sales team that moves Europe's freight".into()),
            organization: Some(Organization {
                name: Some(org_name.into()),
                primary_domain: Some("northwind.example".into()),
                industry: Some("logistics & supply chain".into()),
                estimated_num_employees: Some(240),
                short_description: Some("Northwind runs road freight across Europe.".into()),
            }),
        }),
    }
}

fn run_with(input: &Value, enrichment: &Enrichment, generator: &dyn Generator) -> Value {
    let valid = ColdDm.validate(input).expect("valid input");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(ColdDm.run(&valid, enrichment, generator, &mut |_| {}))
        .unwrap()
        .output
}

#[test]
fn found_facts_shape_the_offline_draft_and_are_listed() {
    let output = run_with(&input(), &apollo("Northwind Logistics Ltd"), &Offline);
    insta::assert_json_snapshot!("cold_dm_enriched_en", output);
    let message = output["message"].as_str().unwrap();
    assert!(message.contains("Building the sales team"), "{message}");
    assert!(
        message.contains("around 240 people in logistics"),
        "{message}"
    );
    assert_eq!(
        output["context_used"],
        json!([
            "prospect_name",
            "company",
            "role",
            "offer",
            "headline",
            "company_industry",
            "company_size"
        ])
    );
    assert_eq!(output["enrichment_sources"], json!(["apollo"]));
}

#[test]
fn pasted_posts_come_first_and_an_unused_headline_is_not_listed() {
    let mut with_posts = input();
    with_posts["recent_posts"] =
        json!(["We doubled our outbound team this quarter and kept reply rates steady."]);
    let output = run_with(&with_posts, &apollo("Northwind Logistics"), &Offline);
    let message = output["message"].as_str().unwrap();
    assert!(message.contains("Your recent post"), "{message}");
    assert!(!message.contains("Building the sales team"), "{message}");
    let used = output["context_used"].to_string();
    assert!(
        !used.contains("headline") && used.contains("company_size"),
        "{used}"
    );
    assert_eq!(output["enrichment_sources"], json!(["apollo"]));
}

#[test]
fn a_match_at_another_company_changes_nothing() {
    let plain = run_with(&input(), &Enrichment::none(), &Offline);
    let elsewhere = run_with(&input(), &apollo("Southwind Freight"), &Offline);
    assert_eq!(plain, elsewhere);
    assert_eq!(elsewhere["enrichment_sources"], json!([]));
}

/// Remembers the prompt and answers with a fixed message.
struct Capture(Mutex<Vec<Prompt>>);

#[async_trait]
impl Generator for Capture {
    fn name(&self) -> &str {
        "capture"
    }
    fn model(&self) -> &str {
        "capture"
    }
    fn is_offline(&self) -> bool {
        false
    }
    async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError> {
        self.0.lock().unwrap().push(prompt.clone());
        Ok("Hello Maya, a short message about freight teams. Open to a chat?".into())
    }
}

#[test]
fn the_model_is_given_every_fact_with_its_source() {
    let model = Capture(Mutex::default());
    let output = run_with(&input(), &apollo("Northwind Logistics"), &model);
    let prompt = model.0.lock().unwrap()[0].user.clone();
    let sent: Value = serde_json::from_str(&prompt).unwrap();
    assert_eq!(sent["company"], "Northwind Logistics");
    assert_eq!(sent["facts_found"]["source"], "apollo");
    assert_eq!(sent["facts_found"]["company_employees_estimate"], 240);
    assert_eq!(sent["facts_found"]["title"], "Head of Sales EMEA");
    assert_eq!(
        output["context_used"],
        json!([
            "prospect_name",
            "company",
            "role",
            "offer",
            "title",
            "headline",
            "company_industry",
            "company_size",
            "company_description"
        ])
    );
    assert_eq!(output["enrichment_sources"], json!(["apollo"]));

    let plain = Capture(Mutex::default());
    let output = run_with(&input(), &Enrichment::none(), &plain);
    assert!(!plain.0.lock().unwrap()[0].user.contains("facts_found"));
    assert_eq!(output["enrichment_sources"], json!([]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn enriched_drafts_keep_a_readable_length(
        offer in "[a-z]{3,9}( [a-z]{2,9}){3,40}",
        headline in "[A-Za-z]{2,10}( [a-z]{2,10}){0,40}",
        industry in "[a-z]{3,12}( [a-z]{2,10}){0,3}",
        employees in prop::option::of(1u64..500_000),
        fr: bool,
    ) {
        let mut input = input();
        input["offer"] = json!(offer);
        input["language"] = json!(if fr { "fr" } else { "en" });
        let mut enrichment = apollo("Northwind Logistics");
        if let Some(person) = enrichment.person.as_mut() {
            person.headline = Some(headline);
            if let Some(org) = person.organization.as_mut() {
                org.industry = Some(industry);
                org.estimated_num_employees = employees;
            }
        }
        let output = run_with(&input, &enrichment, &Offline);
        let words = output["message"].as_str().unwrap().split_whitespace().count();
        prop_assert!((80..=180).contains(&words), "{} words", words);
        prop_assert!(output["personalization_score"].as_u64().unwrap() <= 100);
    }
}
