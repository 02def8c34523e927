//! Sales Objection Crusher: snapshots of offline answers, validation, properties that hold for
//! any objection, the model path against fake generators, and the classifier's quality floor
//! on the held-out evaluation set.

use async_trait::async_trait;
use konqer_services::enrich::Enrichment;
use konqer_services::objection::eval::{evaluate, parse_jsonl, Item};
use konqer_services::objection::{case_study, classify, Objection, ObjectionType};
use konqer_services::text::{GenerateError, Generator, Offline, Prompt};
use konqer_services::{Produced, RunError, Service};
use proptest::prelude::*;
use serde_json::{json, Value};

const TUNING: &str = include_str!("../data/objection/eval_tuning.jsonl");
const HELDOUT: &str = include_str!("../data/objection/eval_heldout.jsonl");

fn run_with(input: &Value, generator: &dyn Generator) -> (Result<Produced, RunError>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let valid = Objection.validate(input).expect("valid input");
    let mut streamed = String::new();
    let result = runtime.block_on(Objection.run(
        &valid,
        &Enrichment::none(),
        generator,
        &mut |d| streamed.push_str(d),
    ));
    (result, streamed)
}

fn run(input: &Value) -> Value {
    run_with(input, &Offline).0.unwrap().output
}

/// Checks `value` against the subset of JSON Schema the service schemas use.
fn conforms(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return Err(format!("{path}: {value} not in {options:?}"));
        }
    }
    match schema["type"].as_str() {
        Some("string") => {
            let text = value.as_str().ok_or(format!("{path}: not a string"))?;
            if text.chars().count() < schema["minLength"].as_u64().unwrap_or(0) as usize {
                return Err(format!("{path}: too short"));
            }
        }
        Some("number") => {
            let n = value.as_f64().ok_or(format!("{path}: not a number"))?;
            let (min, max) = (schema["minimum"].as_f64(), schema["maximum"].as_f64());
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(format!("{path}: {n} out of range"));
            }
        }
        Some("object") => {
            let object = value.as_object().ok_or(format!("{path}: not an object"))?;
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                if !object.contains_key(key) {
                    return Err(format!("{path}.{key}: missing"));
                }
            }
            for (key, item) in object {
                match schema["properties"].get(key) {
                    Some(inner) => conforms(inner, item, &format!("{path}.{key}"))?,
                    None if schema["additionalProperties"] == json!(false) => {
                        return Err(format!("{path}.{key}: not allowed"))
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[test]
fn the_schema_example_gets_a_price_answer_built_from_its_context() {
    let example = Objection.input_schema()["examples"][0].clone();
    conforms(&Objection.input_schema(), &example, "input").unwrap();
    let output = run(&example);
    insta::assert_json_snapshot!("objection_example_en", output);
    conforms(&Objection.output_schema(), &output, "output").unwrap();
    assert_eq!(output["objection_type"], "price");
    assert_eq!(output["framework"], "Cost vs Value");
    assert_eq!(output["case_study_id"], "cs-price-01");
    assert_eq!(output["language"], "en");
    let response = output["response"].as_str().unwrap();
    assert!(
        response.contains("99 EUR per month") && response.contains("Konqer Cold DM Personalizer")
    );
    assert!(response.contains("illustrative"));
}

#[test]
fn a_french_objection_is_answered_in_french_without_being_told() {
    let input = json!({"objection": "On utilise déjà HubSpot pour ça, pourquoi changer ?",
        "context": {"stage": "negotiation", "competitor": "HubSpot", "product": "Konqer"}, "tone": "direct"});
    assert_eq!(Objection.validate(&input).unwrap()["language"], "fr");
    let output = run(&input);
    insta::assert_json_snapshot!("objection_example_fr", output);
    assert_eq!(output["objection_type"], "competitor");
    assert_eq!(output["framework"], "Differentiation");
    assert_eq!(output["case_study_id"], "cs-competitor-02");
    assert_eq!(output["language"], "fr");
    assert!(output["structure"]["empathy"]
        .as_str()
        .unwrap()
        .starts_with("Point légitime."));
    assert!(output["structure"]["action"]
        .as_str()
        .unwrap()
        .contains("Konqer et HubSpot"));
}

#[test]
fn validation_fills_in_the_language_and_the_tone_and_is_stable() {
    let clean = Objection
        .validate(
            &json!({"objection": "  Not right now.  ", "context": {"product": " ", "price": ""}}),
        )
        .unwrap();
    assert_eq!(
        clean,
        json!({"objection": "Not right now.", "language": "en", "tone": "professional"})
    );
    assert_eq!(Objection.validate(&clean).unwrap(), clean);
}

#[test]
fn invalid_inputs_name_their_fields() {
    let cases = [
        (json!({}), "objection"),
        (json!({"objection": "ok"}), "objection"),
        (json!({"objection": "   "}), "objection"),
        (json!({"objection": "x".repeat(1001)}), "objection"),
        (json!({"objection": 42}), "objection"),
        (
            json!({"objection": "Too expensive", "admin": true}),
            "admin",
        ),
        (
            json!({"objection": "Too expensive", "context": {"stage": "lunch"}}),
            "context.stage",
        ),
        (
            json!({"objection": "Too expensive", "context": {"budget": "1"}}),
            "context.budget",
        ),
        (
            json!({"objection": "Too expensive", "context": {"product": "p".repeat(201)}}),
            "context.product",
        ),
        (
            json!({"objection": "Too expensive", "context": {"price": "9".repeat(101)}}),
            "context.price",
        ),
        (
            json!({"objection": "Too expensive", "context": {"competitor": "c".repeat(101)}}),
            "context.competitor",
        ),
        (
            json!({"objection": "Too expensive", "language": "de"}),
            "language",
        ),
        (
            json!({"objection": "Too expensive", "tone": "angry"}),
            "tone",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (input, field) in cases {
        let errors = Objection.validate(&input).expect_err(&input.to_string());
        assert_eq!(errors[0].field, field, "{input}: {errors:?}");
    }
}

/// A model that answers with a fixed text, or fails.
struct Fake(Result<&'static str, &'static str>);

#[async_trait]
impl Generator for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn model(&self) -> &str {
        "fake-1"
    }
    fn is_offline(&self) -> bool {
        false
    }
    async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError> {
        assert!(prompt.system.contains("Social Proof") && prompt.user.contains("cs-trust-01"));
        self.0
            .map(str::to_owned)
            .map_err(|e| GenerateError::Provider(e.to_owned()))
    }
}

const TRUST: &str = "I've never heard of your company, why should I trust you?";

#[test]
fn a_model_writes_the_parts_but_the_core_decides_the_rest() {
    let answer = "```json\n{\"empathy\": \"Fair.\", \"reframe\": \"Judge us on evidence.\", \"evidence\": \"An illustrative scenario.\", \"action\": \"Shall we run a pilot?\"}\n```";
    let (result, streamed) = run_with(&json!({"objection": TRUST}), &Fake(Ok(answer)));
    let produced = result.unwrap();
    assert_eq!(
        (produced.provider.as_str(), produced.model.as_str()),
        ("fake", "fake-1")
    );
    let output = produced.output;
    conforms(&Objection.output_schema(), &output, "output").unwrap();
    assert_eq!(output["objection_type"], "trust");
    assert_eq!(output["framework"], "Social Proof");
    assert_eq!(output["case_study_id"], "cs-trust-01");
    assert_eq!(output["confidence"], json!(classify(TRUST).confidence));
    assert_eq!(output["structure"]["action"], "Shall we run a pilot?");
    assert_eq!(output["response"], json!(streamed));
}

#[test]
fn unusable_model_answers_are_generation_errors() {
    for fake in [
        Fake(Ok("Sorry, I can't do JSON today.")),
        Fake(Ok("{\"empathy\": \"only one\"}")),
        Fake(Err("timeout")),
    ] {
        let (result, _) = run_with(&json!({"objection": TRUST}), &fake);
        assert!(matches!(result, Err(RunError::Generation(_))), "{result:?}");
    }
}

fn items(data: &str) -> Vec<Item> {
    parse_jsonl(data).expect("the eval files are valid")
}

#[test]
fn the_eval_sets_are_big_bilingual_stratified_and_disjoint() {
    let (tuning, heldout) = (items(TUNING), items(HELDOUT));
    assert!(tuning.len() + heldout.len() >= 200 && heldout.len() >= 80);
    let all: Vec<&Item> = tuning.iter().chain(&heldout).collect();
    let french = all
        .iter()
        .filter(|i| i.language == konqer_services::objection::Language::Fr)
        .count();
    assert!(
        (0.25..=0.40).contains(&(french as f64 / all.len() as f64)),
        "{french}"
    );
    for kind in ObjectionType::ALL {
        assert!(
            heldout.iter().filter(|i| i.label == kind).count() >= 10,
            "{kind:?}"
        );
    }
    let mut texts: Vec<String> = all
        .iter()
        .map(|i| konqer_services::objection::normalize(&i.text))
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), all.len(), "no objection appears twice");
}

#[test]
fn the_classifier_keeps_its_quality_on_the_held_out_set() {
    let report = evaluate(&items(HELDOUT));
    assert!(
        report.macro_f1 >= 0.85,
        "held-out macro-F1 fell below 0.85:\n{report}"
    );
    let report = evaluate(&items(TUNING));
    assert!(
        report.macro_f1 >= 0.85,
        "tuning macro-F1 fell below 0.85:\n{report}"
    );
}

const FRAGMENTS: &[&str] = &[
    "too expensive",
    "not now",
    "we use HubSpot",
    "ask my boss",
    "no need",
    "never heard of you",
    "works fine",
    "c'est trop cher",
    "pas maintenant",
    "un concurrent",
    "mon directeur",
    "pas besoin",
    "aucune confiance",
    "on a toujours fait comme ça",
    "honestly",
    "well",
    "euh",
    "!!",
    "€",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_objection_gets_a_deterministic_complete_answer(
        parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 1..5),
        noise in "[a-zA-Zéàç' ,.?]{0,40}",
        stage in prop::option::of(prop::sample::select(vec!["discovery", "demo", "proposal", "negotiation", "closing"])),
        product in prop::option::of("[A-Z][a-z]{2,12}"),
        language in prop::option::of(prop::sample::select(vec!["en", "fr"])),
        tone in prop::sample::select(vec!["professional", "friendly", "direct"]),
    ) {
        let objection = format!("{} {noise}", parts.join(", "));
        prop_assume!(objection.trim().chars().count() >= 3);
        let mut input = json!({"objection": objection, "tone": tone, "context": {"stage": stage, "product": product}});
        if let Some(language) = language {
            input["language"] = json!(language);
        }
        let verdict = classify(&objection);
        prop_assert_eq!(&verdict, &classify(&objection));
        prop_assert!((0.0..=1.0).contains(&verdict.confidence));
        let (result, streamed) = run_with(&input, &Offline);
        let output = result.unwrap().output;
        prop_assert_eq!(&output, &run(&input));
        prop_assert!(conforms(&Objection.output_schema(), &output, "output").is_ok(), "{}", output);
        prop_assert_eq!(output["objection_type"].as_str(), Some(verdict.kind.as_str()));
        let structure = &output["structure"];
        let parts: Vec<&str> = ["empathy", "reframe", "evidence", "action"].iter()
            .map(|k| structure[k].as_str().unwrap()).collect();
        prop_assert!(parts.iter().all(|p| !p.trim().is_empty()));
        prop_assert_eq!(output["response"].as_str().unwrap(), parts.join("\n\n"));
        prop_assert_eq!(output["response"].as_str().unwrap(), streamed);
        let case = case_study(output["case_study_id"].as_str().unwrap()).unwrap();
        prop_assert_eq!(case.objection_type, verdict.kind);
    }
}
