//! Cold DM enrichment through the real server and a stand-in Apollo.io, on both back ends:
//! the facts found are used and Apollo is named as their source; the same lookup within a day
//! spends no second credit; without a key nothing is looked up at all; and a failing Apollo
//! costs the generation nothing but the facts.

mod common;

use chrono::Utc;
use common::{grant_founding, operator, service_status, signed_up, TestApp};
use konqer_domain::AdminRole;
use konqer_store::testing::TestDb;
use konqer_testkit::apollo::{organization, person, ORGANIZATION_ENRICH, PEOPLE_MATCH};
use konqer_testkit::{StandInApollo, StandInLlm};
use serde_json::{json, Value};

konqer_store::both_backends!(
    apollo_facts_are_used_and_named_as_their_source,
    a_repeat_lookup_within_a_day_calls_apollo_once,
    without_a_key_nothing_is_looked_up,
    a_failing_apollo_leaves_the_generation_unenriched,
    the_model_is_given_the_facts_apollo_found,
    the_enrichment_flag_decides_who_is_enriched,
);

const KEY: &str = "apollo-server-test-key";

/// Apollo knows Maya; her match names Northwind's domain only, so the organization is
/// enriched separately (the two calls a full lookup can make).
async fn apollo() -> StandInApollo {
    let apollo = StandInApollo::start(KEY).await;
    let named_only = organization("Northwind Logistics", "northwind.example", None, None, None);
    apollo.add_person(person(
        "Maya Chen",
        "Head of Sales",
        "Building Europe's freight sales team",
        named_only,
    ));
    apollo.add_organization(organization(
        "Northwind Logistics",
        "northwind.example",
        Some("logistics & supply chain"),
        Some(240),
        Some("Road freight across Europe."),
    ));
    apollo
}

async fn start(
    db: TestDb,
    apollo: &StandInApollo,
    key: Option<&str>,
    llm: Option<&StandInLlm>,
) -> (TestApp, String) {
    let today = Utc::now().date_naive().to_string();
    let base = apollo.base_url();
    let llm_base = llm.map(StandInLlm::base_url);
    let mut vars = vec![
        ("KONQER_LAUNCH_DATE", today.as_str()),
        ("KONQER_RATE_LIMIT_PER_MINUTE", "0"),
        ("KONQER_APOLLO_BASE_URL", base.as_str()),
    ];
    if let Some(key) = key {
        vars.push(("APOLLO_API_KEY", key));
    }
    if let Some(llm_base) = &llm_base {
        vars.extend([
            ("OPENAI_API_KEY", "sk-test"),
            ("KONQER_LLM_BASE_URL", llm_base.as_str()),
        ]);
    }
    let app = TestApp::start(db, &vars).await;
    let (token, user) = signed_up(&app, "ada@example.com").await;
    grant_founding(&app, user).await;
    (app, token)
}

fn maya() -> Value {
    json!({"prospect_name": "Maya Chen", "company": "Northwind Logistics", "role": "Head of Sales",
        "offer": "We write the first message to every prospect in your CRM."})
}

async fn generate(app: &TestApp, token: &str, input: &Value) -> Value {
    let response = app
        .client
        .post(app.url("/api/services/cold-dm/generate"))
        .bearer_auth(token)
        .json(input)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn apollo_facts_are_used_and_named_as_their_source(db: TestDb) {
    let apollo = apollo().await;
    let (app, token) = start(db, &apollo, Some(KEY), None).await;
    let result = generate(&app, &token, &maya()).await;
    let output = &result["output"];
    assert_eq!(output["enrichment_sources"], json!(["apollo"]));
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
    let message = output["message"].as_str().unwrap();
    assert!(
        message.contains("Building Europe's freight sales team"),
        "{message}"
    );
    assert!(
        message.contains("around 240 people in logistics"),
        "{message}"
    );
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 1);
    assert_eq!(apollo.traffic().hits(ORGANIZATION_ENRICH), 1);
    // What is stored is what was answered.
    let id = result["generation_id"].as_str().unwrap();
    let stored: Value = app
        .get_as(&token, &format!("/api/user/generations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["output"], *output);
}

async fn a_repeat_lookup_within_a_day_calls_apollo_once(db: TestDb) {
    let apollo = apollo().await;
    let (app, token) = start(db, &apollo, Some(KEY), None).await;
    let first = generate(&app, &token, &maya()).await;
    let mut respelled = maya();
    respelled["prospect_name"] = json!("maya  chen");
    let second = generate(&app, &token, &respelled).await;
    assert_eq!(second["output"]["enrichment_sources"], json!(["apollo"]));
    assert_eq!(
        first["output"]["context_used"],
        second["output"]["context_used"]
    );
    assert_eq!(
        apollo.traffic().total_hits(),
        2,
        "one person, one organization: {:?}",
        apollo.requests()
    );
    // Someone else is a new lookup.
    let mut other = maya();
    other["prospect_name"] = json!("Sam Ortiz");
    let third = generate(&app, &token, &other).await;
    assert_eq!(
        third["output"]["enrichment_sources"],
        json!([]),
        "Apollo knows no Sam"
    );
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 2);
}

async fn without_a_key_nothing_is_looked_up(db: TestDb) {
    let apollo = apollo().await;
    let (app, token) = start(db, &apollo, None, None).await;
    let result = generate(&app, &token, &maya()).await;
    assert_eq!(result["output"]["enrichment_sources"], json!([]));
    assert_eq!(
        result["output"]["context_used"],
        json!(["prospect_name", "company", "role", "offer"])
    );
    assert_eq!(apollo.traffic().total_hits(), 0, "no outbound call");
}

async fn a_failing_apollo_leaves_the_generation_unenriched(db: TestDb) {
    let apollo = apollo().await;
    apollo.traffic().set_down(true);
    let (app, token) = start(db, &apollo, Some(KEY), None).await;
    let result = generate(&app, &token, &maya()).await;
    assert_eq!(result["output"]["enrichment_sources"], json!([]));
    assert_eq!(result["quota"]["used_today"], 1);
    assert_eq!(
        apollo.traffic().hits(PEOPLE_MATCH),
        3,
        "three attempts, then on without it"
    );
    // The failure was not cached: once Apollo is back, the facts are found.
    apollo.traffic().set_down(false);
    let later = generate(&app, &token, &maya()).await;
    assert_eq!(later["output"]["enrichment_sources"], json!(["apollo"]));
    let cold_dm = service_status(&app, &token, "cold-dm").await;
    assert_eq!(cold_dm["used_today"], 2);
}

async fn the_model_is_given_the_facts_apollo_found(db: TestDb) {
    let apollo = apollo().await;
    let llm = StandInLlm::start("sk-test").await;
    llm.reply_with(&["Hello Maya, freight sales teams grow fast. Worth a short chat next week?"]);
    let (app, token) = start(db, &apollo, Some(KEY), Some(&llm)).await;
    let result = generate(&app, &token, &maya()).await;
    assert_eq!(result["metadata"]["provider"], "openai");
    assert_eq!(result["output"]["enrichment_sources"], json!(["apollo"]));
    let used = result["output"]["context_used"].to_string();
    assert!(
        used.contains("company_description") && used.contains("title"),
        "{used}"
    );
    let asked = llm.requests()[0]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked: Value = serde_json::from_str(&asked).unwrap();
    assert_eq!(asked["facts_found"]["source"], "apollo");
    assert_eq!(
        asked["facts_found"]["company_industry"],
        "logistics & supply chain"
    );
    assert_eq!(
        asked["facts_found"]["company_description"],
        "Road freight across Europe."
    );
}

/// The `enrichment` flag as the web app reads it for this user.
async fn enrichment_flag(app: &TestApp, token: &str) -> Value {
    let mine: Value = app
        .get_as(token, "/api/user/flags")
        .await
        .json()
        .await
        .unwrap();
    mine["flags"]["enrichment"].clone()
}

/// Operators roll enrichment out, or switch it off, with the `enrichment` flag — the same
/// evaluation the web app reads from `GET /api/user/flags`.
async fn the_enrichment_flag_decides_who_is_enriched(db: TestDb) {
    let apollo = apollo().await;
    let (app, token) = start(db, &apollo, Some(KEY), None).await;
    let root = operator(&app, "root@example.com", Some(AdminRole::Superadmin)).await;
    let set = |rollout: i32| {
        app.client
            .put(format!("{}/admin/flags/enrichment", app.admin))
            .bearer_auth(&root)
            .json(&json!({"enabled": true, "rollout_percentage": rollout}))
            .send()
    };
    assert_eq!(set(0).await.unwrap().status(), 200);
    assert_eq!(enrichment_flag(&app, &token).await, false);
    let result = generate(&app, &token, &maya()).await;
    assert_eq!(result["output"]["enrichment_sources"], json!([]));
    assert_eq!(apollo.traffic().total_hits(), 0, "no credit spent");

    assert_eq!(set(100).await.unwrap().status(), 200);
    assert_eq!(enrichment_flag(&app, &token).await, true);
    let result = generate(&app, &token, &maya()).await;
    assert_eq!(result["output"]["enrichment_sources"], json!(["apollo"]));
    assert_eq!(apollo.traffic().hits(PEOPLE_MATCH), 1);
}
