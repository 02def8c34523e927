//! LinkedIn Carousel Forge: validation, snapshots of offline outputs, research and model
//! providers faked, properties that hold for any valid input (deterministic, exact slide
//! count, hook first and call to action last, length limits, output schema), and the PDF.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use konqer_services::carousel::{
    self, is_call_to_action, Carousel, Draft, Finding, Research, ResearchError,
};
use konqer_services::enrich::Enrichment;
use konqer_services::text::{GenerateError, Generator, Offline, Prompt};
use konqer_services::{RunError, Service};
use proptest::prelude::*;
use serde_json::{json, Value};

fn example() -> Value {
    Carousel::new().input_schema()["examples"][0].clone()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn run_with(
    service: &Carousel,
    input: &Value,
    generator: &dyn Generator,
) -> Result<Value, RunError> {
    let valid = service.validate(input).expect("valid input");
    block_on(service.run(&valid, &Enrichment::none(), generator, &mut |_| {})).map(|p| p.output)
}

fn run(input: &Value) -> Value {
    run_with(&Carousel::new(), input, &Offline).unwrap()
}

/// Checks `value` against the parts of JSON Schema our schemas use.
fn conforms(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("{at}: {why}"));
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return fail(format!("{value} not in {options:?}"));
        }
    }
    let ok = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("null") => value.is_null(),
        _ => true,
    };
    if !ok {
        return fail(format!("{value} is not a {}", schema["type"]));
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if schema["maxLength"].as_u64().is_some_and(|m| len > m)
            || schema["minLength"].as_u64().is_some_and(|m| len < m)
        {
            return fail(format!("length {len} out of bounds"));
        }
    }
    if let Some(n) = value.as_i64() {
        if schema["minimum"].as_i64().is_some_and(|m| n < m)
            || schema["maximum"].as_i64().is_some_and(|m| n > m)
        {
            return fail(format!("{n} out of range"));
        }
    }
    if let Some(items) = value.as_array() {
        let len = items.len() as u64;
        if schema["maxItems"].as_u64().is_some_and(|m| len > m)
            || schema["minItems"].as_u64().is_some_and(|m| len < m)
        {
            return fail(format!("{len} items out of bounds"));
        }
        for (i, item) in items.iter().enumerate() {
            conforms(&schema["items"], item, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(name.as_str().unwrap_or_default()) {
                return fail(format!("missing {name}"));
            }
        }
        for (name, field) in object {
            match schema["properties"].get(name) {
                Some(sub) => conforms(sub, field, &format!("{at}.{name}"))?,
                None if schema["additionalProperties"] == json!(false) => {
                    return fail(format!("unexpected {name}"))
                }
                None => {}
            }
        }
    }
    Ok(())
}

fn check_shape(output: &Value, count: usize) {
    conforms(&Carousel::new().output_schema(), output, "output").unwrap();
    let slides = output["slides"].as_array().unwrap();
    assert_eq!(slides.len(), count);
    for (i, s) in slides.iter().enumerate() {
        assert_eq!(s["number"], i + 1);
        assert!(s["title"].as_str().unwrap().chars().count() <= 70, "{s}");
        assert!(s["content"].as_str().unwrap().chars().count() <= 300, "{s}");
    }
    let last: Draft = serde_json::from_value(slides[count - 1].clone()).unwrap();
    assert!(is_call_to_action(&last), "{last:?}");
}

#[test]
fn the_schema_example_is_valid_and_its_output_is_stable() {
    conforms(&Carousel::new().input_schema(), &example(), "example").unwrap();
    let output = run(&example());
    insta::assert_json_snapshot!("carousel_example_en", output);
    check_shape(&output, 8);
    let text = output["slides"].to_string();
    assert!(
        text.contains("Lead with the prospect's problem"),
        "key points feed slides"
    );
    assert!(output["slides"][0]["visual_prompt"]
        .as_str()
        .unwrap()
        .starts_with("Cover image"));
    assert_eq!(output["sources"], json!([]));
    assert_eq!(output["canva_edit_link"], Value::Null);
    assert_eq!(output["estimated_reach"]["factors"]["follower_count"], 4200);
}

#[test]
fn french_without_key_points_uses_the_framework_and_assumes_followers() {
    let input = json!({"topic": "La prospection sur LinkedIn", "audience": "indépendants", "tone": "friendly", "language": "fr"});
    let output = run(&input);
    insta::assert_json_snapshot!("carousel_example_fr", output);
    check_shape(&output, 10);
    assert_eq!(output["language"], "fr");
    assert!(output["slides"]
        .to_string()
        .contains("Erreur : se lancer sans objectif clair"));
    let reach = &output["estimated_reach"];
    assert_eq!(reach["factors"]["follower_count_assumed"], true);
    assert!(reach["impressions_low"].as_u64() <= reach["impressions_high"].as_u64());
}

#[test]
fn invalid_inputs_name_their_fields() {
    let base = json!({"topic": "Pricing pages", "audience": "SaaS founders"});
    let with = |extra: Value| {
        let mut input = base.clone();
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    let cases = [
        (with(json!({"slides": 6})), "slides"),
        (with(json!({"slides": 13})), "slides"),
        (with(json!({"slides": 9.5})), "slides"),
        (
            with(json!({"brand_colors": {"primary": "#12345G"}})),
            "brand_colors.primary",
        ),
        (
            with(json!({"brand_colors": {"primary": "#123456", "background": "white"}})),
            "brand_colors.background",
        ),
        (
            with(json!({"brand_colors": {"secondary": "#123456"}})),
            "brand_colors",
        ),
        (with(json!({"admin": true})), "admin"),
        (
            with(json!({"brand_colors": {"primary": "#123456", "accent": "#000000"}})),
            "brand_colors.accent",
        ),
        (with(json!({"topic": "  "})), "topic"),
        (json!({"audience": "SaaS founders"}), "topic"),
        (with(json!({"audience": "x"})), "audience"),
        (with(json!({"tone": "angry"})), "tone"),
        (with(json!({"language": "de"})), "language"),
        (with(json!({"follower_count": -1})), "follower_count"),
        (
            with(json!({"follower_count": 100_000_001})),
            "follower_count",
        ),
        (with(json!({"key_points": vec!["a"; 13]})), "key_points"),
        (
            with(json!({"key_points": ["ok", "x".repeat(301)]})),
            "key_points[1]",
        ),
        (json!("not an object"), "body"),
    ];
    for (input, field) in cases {
        let errors = Carousel::new()
            .validate(&input)
            .expect_err(&input.to_string());
        assert_eq!(errors[0].field, field, "{input}: {errors:?}");
    }
}

#[test]
fn validation_fills_defaults_and_normalises() {
    let valid = Carousel::new()
        .validate(&json!({"topic": " Pricing pages ", "audience": "SaaS founders", "brand_colors": {"primary": "#0a66c2"}, "key_points": ["  ", " A point "]}))
        .unwrap();
    assert_eq!(
        valid,
        json!({"topic": "Pricing pages", "audience": "SaaS founders", "slides": 10, "tone": "professional",
            "brand_colors": {"primary": "#0A66C2"}, "language": "en", "key_points": ["A point"]})
    );
}

struct FakeResearch(Result<Vec<Finding>, String>);

#[async_trait]
impl Research for FakeResearch {
    async fn find(&self, _topic: &str, _audience: &str) -> Result<Vec<Finding>, ResearchError> {
        self.0.clone().map_err(ResearchError::Provider)
    }
}

fn finding(n: u32) -> Finding {
    Finding {
        title: format!("Survey of buyers, part {n}"),
        url: format!("https://www.example.org/report-{n}"),
        snippet: format!("Finding number {n} from the report."),
    }
}

#[test]
fn research_findings_feed_slides_and_are_cited_and_none_are_invented_without_them() {
    let input = json!({"topic": "Pricing pages", "audience": "SaaS founders", "slides": 7, "key_points": ["Show the price"]});
    let with = Carousel::with_research(Arc::new(FakeResearch(Ok(vec![
        finding(1),
        finding(2),
        finding(3),
    ]))));
    let output = run_with(&with, &input, &Offline).unwrap();
    check_shape(&output, 7);
    // Seven slides leave three point slides: the key point first, then two findings.
    assert_eq!(
        output["sources"],
        json!([{"title": "Survey of buyers, part 1", "url": "https://www.example.org/report-1"},
               {"title": "Survey of buyers, part 2", "url": "https://www.example.org/report-2"}])
    );
    assert_eq!(
        output["slides"][3]["content"],
        "Finding number 1 from the report.\nSource: example.org"
    );

    let without = run(&input);
    assert_eq!(without["sources"], json!([]));
    assert!(!without["slides"].to_string().contains("Source"));
    let failing = Carousel::with_research(Arc::new(FakeResearch(Err("down".into()))));
    assert_eq!(
        run_with(&failing, &input, &Offline).unwrap(),
        without,
        "a failing provider is no provider"
    );
}

/// A model that answers with a fixed text and remembers the prompt.
struct FakeModel {
    answer: Result<String, String>,
    prompt: Mutex<Option<Prompt>>,
}

impl FakeModel {
    fn new(answer: Result<String, String>) -> Self {
        FakeModel {
            answer,
            prompt: Mutex::new(None),
        }
    }
}

#[async_trait]
impl Generator for FakeModel {
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
        *self.prompt.lock().unwrap() = Some(prompt.clone());
        self.answer.clone().map_err(GenerateError::Provider)
    }
}

fn model_answer(n: usize, cta: bool) -> String {
    let slides: Vec<Value> = (1..=n)
        .map(|i| {
            json!({"title": format!("Slide {i} {}", "long ".repeat(if i == 2 { 30 } else { 0 })),
            "content": if i == 3 { "word ".repeat(100) } else { format!("Content {i}.") },
            "visual_prompt": if i == 4 { String::new() } else { format!("Picture {i}") }})
        })
        .collect();
    let mut answer = json!({ "slides": slides });
    if cta {
        answer["slides"][n - 1]["content"] = json!("Follow me for more.");
    }
    format!("```json\n{answer}\n```")
}

#[test]
fn a_model_answer_is_parsed_and_held_to_the_limits() {
    let input = json!({"topic": "Pricing pages", "audience": "SaaS founders", "slides": 7});
    let research = Carousel::with_research(Arc::new(FakeResearch(Ok(vec![finding(1)]))));
    let model = FakeModel::new(Ok(model_answer(8, true)));
    let output = run_with(&research, &input, &model).unwrap();
    check_shape(&output, 7);
    let slides = output["slides"].as_array().unwrap();
    assert_eq!(slides[0]["title"], "Slide 1");
    assert!(slides[1]["title"].as_str().unwrap().ends_with('…'));
    assert!(slides[2]["content"].as_str().unwrap().ends_with("word…"));
    assert!(slides[3]["visual_prompt"]
        .as_str()
        .unwrap()
        .starts_with("Minimal flat illustration"));
    assert_eq!(
        slides[6]["content"], "Follow me for more.",
        "the model's last slide is kept"
    );
    assert_eq!(
        output["sources"][0]["url"],
        "https://www.example.org/report-1"
    );
    let prompt = model.prompt.lock().unwrap().clone().unwrap();
    assert!(prompt.system.contains("exactly 7 slides") && prompt.user.contains("report-1"));

    let no_cta = run_with(
        &Carousel::new(),
        &input,
        &FakeModel::new(Ok(model_answer(7, false))),
    )
    .unwrap();
    assert_eq!(
        no_cta["slides"][6]["title"], "Found this useful?",
        "a missing call to action is added"
    );
}

#[test]
fn garbage_short_or_failed_model_answers_are_generation_errors() {
    let input = json!({"topic": "Pricing pages", "audience": "SaaS founders", "slides": 7});
    for answer in [
        Ok("I cannot help with that.".to_owned()),
        Ok(model_answer(6, true)),
        Ok("{\"slides\": 3}".to_owned()),
        Err("timeout".to_owned()),
    ] {
        let result = run_with(&Carousel::new(), &input, &FakeModel::new(answer.clone()));
        assert!(
            matches!(result, Err(RunError::Generation(_))),
            "{answer:?}: {result:?}"
        );
    }
}

#[test]
fn offline_text_streams_in_chunks_that_add_up_to_the_slides() {
    let valid = Carousel::new().validate(&example()).unwrap();
    let mut streamed = String::new();
    let mut chunks = 0;
    let output = block_on(
        Carousel::new().run(&valid, &Enrichment::none(), &Offline, &mut |d| {
            streamed.push_str(d);
            chunks += 1;
        }),
    )
    .unwrap()
    .output;
    assert!(chunks > 10);
    for s in output["slides"].as_array().unwrap() {
        assert!(streamed.contains(s["title"].as_str().unwrap()));
        assert!(streamed.contains(s["content"].as_str().unwrap()));
    }
}

fn xref_offsets(pdf: &[u8]) -> Vec<usize> {
    let text: String = pdf
        .iter()
        .map(|&b| if b.is_ascii() { b as char } else { '?' })
        .collect();
    let start: usize = text
        .rsplit("startxref\n")
        .next()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    text[start..]
        .lines()
        .skip(3)
        .take_while(|l| l.ends_with(" n "))
        .map(|l| l[..10].parse().unwrap())
        .collect()
}

#[test]
fn the_pdf_has_one_correct_page_per_slide() {
    let input = Carousel::new().validate(&json!({"topic": "Les pages de prix", "audience": "fondateurs SaaS", "slides": 9, "language": "fr"})).unwrap();
    let output = run(&input);
    let bytes = carousel::render_pdf(&input, &output).unwrap();
    // To look at this one and the example (light brand palette) in a viewer, or check them
    // with qpdf/pdfinfo: KONQER_WRITE_CAROUSEL_PDF=/tmp cargo test -p konqer-services --test carousel
    if let Some(dir) = std::env::var_os("KONQER_WRITE_CAROUSEL_PDF") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("carousel-fr.pdf"), &bytes).unwrap();
        let example = Carousel::new().validate(&example()).unwrap();
        let en = carousel::render_pdf(&example, &run(&example)).unwrap();
        std::fs::write(dir.join("carousel-en.pdf"), en).unwrap();
    }
    let text: String = bytes
        .iter()
        .map(|&b| if b.is_ascii() { b as char } else { '?' })
        .collect();
    assert!(bytes.starts_with(b"%PDF-1.4\n"));
    assert!(bytes.ends_with(b"%%EOF\n"));
    assert_eq!(text.matches("/Type /Page ").count(), 9);
    assert_eq!(text.matches("/MediaBox [0 0 1080 1350]").count(), 9);
    assert!(text.contains("/Type /Pages /Kids [") && text.contains("/Count 9"));
    assert!(text.contains("/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"));
    assert!(text.contains("(9/9) Tj"), "slide numbers in the footer");
    assert!(text.contains("r\\351sum\\351"), "é is WinAnsi 0xE9");
    let offsets = xref_offsets(&bytes);
    assert_eq!(
        offsets.len(),
        3 + 2 * 9 + 2,
        "fonts, info, pages, tree, catalog"
    );
    for (i, offset) in offsets.iter().enumerate() {
        assert!(text[*offset..].starts_with(&format!("{} 0 obj\n", i + 1)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_valid_input_gives_a_deterministic_well_formed_carousel(
        topic in "[A-Za-zéè]{3,12}( [a-zA-Z]{1,14}){0,12}",
        audience in "[A-Za-z]{2,12}( [a-z]{2,12}){0,13}",
        slides in 7u32..=12,
        tone in prop::sample::select(vec!["professional", "friendly", "bold", "educational"]),
        fr: bool,
        key_points in prop::collection::vec("[A-Za-z]{1,20}([ .,!?] ?[a-z]{1,25}){0,10}", 0..=12),
        followers in prop::option::of(0u64..=100_000_000),
    ) {
        let mut input = json!({"topic": topic, "audience": audience, "slides": slides, "tone": tone,
            "language": if fr { "fr" } else { "en" }, "key_points": key_points});
        if let Some(f) = followers {
            input["follower_count"] = json!(f);
        }
        let first = run(&input);
        prop_assert_eq!(&first, &run(&input));
        check_shape(&first, slides as usize);
        prop_assert!(first["slides"][0]["visual_prompt"].as_str().unwrap().starts_with("Cover image"));
        let valid = Carousel::new().validate(&input).unwrap();
        let bytes = carousel::render_pdf(&valid, &first).unwrap();
        prop_assert_eq!(xref_offsets(&bytes).len(), 5 + 2 * slides as usize);
    }

}
