//! Cold DM Personalizer on the offline provider: validation, snapshots of real outputs, and
//! properties that hold for any valid input (deterministic, readable length, score 0–100).

use konqer_services::cold_dm::ColdDm;
use konqer_services::enrich::Enrichment;
use konqer_services::text::Offline;
use konqer_services::Service;
use proptest::prelude::*;
use serde_json::{json, Value};

fn example() -> Value {
    ColdDm.input_schema()["examples"][0].clone()
}

fn run(input: &Value) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let valid = ColdDm.validate(input).expect("valid input");
    runtime
        .block_on(ColdDm.run(&valid, &Enrichment::none(), &Offline, &mut |_| {}))
        .unwrap()
        .output
}

#[test]
fn the_schema_example_is_valid_and_its_output_is_stable() {
    let output = run(&example());
    insta::assert_json_snapshot!("cold_dm_example_en", output);
    assert!(
        output["personalization_score"].as_u64().unwrap() >= 90,
        "{output:#}"
    );
    let message = output["message"].as_str().unwrap();
    assert!(message.contains("Maya") && message.contains("Northwind Logistics"));
    assert_eq!(
        output["context_used"],
        json!(["prospect_name", "company", "role", "offer", "recent_posts"])
    );
    assert_eq!(output["enrichment_sources"], json!([]));
}

#[test]
fn french_without_posts() {
    let input = json!({"prospect_name": "Camille Martin", "company": "Atelier Lumen", "role": "Directrice marketing",
        "offer": "Nous produisons vos carrousels LinkedIn chaque semaine à partir de vos idées.", "language": "fr", "tone": "friendly"});
    let output = run(&input);
    insta::assert_json_snapshot!("cold_dm_example_fr", output);
    assert!(output["message"]
        .as_str()
        .unwrap()
        .starts_with("Salut Camille,"));
}

#[test]
fn invalid_inputs_name_their_fields() {
    let cases = [
        (
            json!({"company": "A", "role": "B", "offer": "Something useful here"}),
            "prospect_name",
        ),
        (
            json!({"prospect_name": " ", "company": "A", "role": "B", "offer": "Something useful here"}),
            "prospect_name",
        ),
        (
            json!({"prospect_name": "A", "company": "A", "role": "B", "offer": "short"}),
            "offer",
        ),
        (
            json!({"prospect_name": "A", "company": "A", "role": "B", "offer": "Something useful here", "tone": "angry"}),
            "tone",
        ),
        (
            json!({"prospect_name": "A", "company": "A", "role": "B", "offer": "Something useful here", "linkedin_url": "https://evil.example/in/x"}),
            "linkedin_url",
        ),
        (
            json!({"prospect_name": "A", "company": "A", "role": "B", "offer": "Something useful here", "recent_posts": ["x".repeat(3001)]}),
            "recent_posts[0]",
        ),
        (
            json!({"prospect_name": "A", "company": "A", "role": "B", "offer": "Something useful here", "admin": true}),
            "admin",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (input, field) in cases {
        let errors = ColdDm.validate(&input).expect_err(&input.to_string());
        assert_eq!(errors[0].field, field, "{input}: {errors:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_valid_input_gives_a_deterministic_readable_scored_message(
        name in "[A-Z][a-z]{1,12}( [A-Z][a-z]{1,12})?",
        company in "[A-Z][a-z]{2,15}( [A-Z][a-z]{2,10})?",
        role in prop::sample::select(vec!["Head of Sales", "CMO", "Founder", "VP Engineering", "Office Manager", "Account Executive"]),
        offer in "[a-z]{3,9}( [a-z]{2,9}){3,40}",
        posts in prop::collection::vec("[A-Za-z]{2,10}( [a-z]{2,10}){2,30}", 0..3),
        fr: bool,
    ) {
        let input = json!({"prospect_name": name, "company": company, "role": role, "offer": offer,
            "recent_posts": posts, "language": if fr { "fr" } else { "en" }});
        let first = run(&input);
        prop_assert_eq!(&first, &run(&input));
        let words = first["message"].as_str().unwrap().split_whitespace().count();
        prop_assert!((80..=180).contains(&words), "{} words", words);
        let score = first["personalization_score"].as_u64().unwrap();
        prop_assert!(score <= 100);
        let sum: u64 = first["score_breakdown"].as_array().unwrap().iter().map(|c| c["points"].as_u64().unwrap()).sum();
        prop_assert_eq!(sum, score);
    }
}
