//! A stand-in Apollo.io API: people match (`POST /api/v1/people/match`, JSON body or query
//! parameters) and organization enrichment (`GET /api/v1/organizations/enrich?domain=`),
//! authenticated by the `X-Api-Key` header, answering with Apollo's response shapes
//! (`{"person": {...}}`, `{"organization": {...}}`, a person carrying its `organization`).
//! Tests add the people and organizations it knows; failures and delays come from
//! [`Traffic`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::{bind, Served, Traffic};

pub const PEOPLE_MATCH: &str = "/api/v1/people/match";
pub const ORGANIZATION_ENRICH: &str = "/api/v1/organizations/enrich";

pub struct StandInApollo {
    url: String,
    state: Arc<ApolloState>,
    traffic: Traffic,
    _served: Served,
}

struct ApolloState {
    api_key: String,
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    people: Vec<Value>,
    organizations: HashMap<String, Value>,
    /// Every authorised request: (path, the lookup it asked for).
    requests: Vec<(String, Value)>,
}

/// An organization as Apollo describes one (a subset of its many fields).
pub fn organization(
    name: &str,
    domain: &str,
    industry: Option<&str>,
    employees: Option<u64>,
    description: Option<&str>,
) -> Value {
    json!({
        "id": format!("org_{}", domain.replace('.', "_")),
        "name": name,
        "website_url": format!("http://www.{domain}"),
        "linkedin_url": format!("http://www.linkedin.com/company/{}", domain.split('.').next().unwrap_or(domain)),
        "primary_domain": domain,
        "founded_year": 2012,
        "industry": industry,
        "keywords": ["b2b"],
        "estimated_num_employees": employees,
        "short_description": description,
        "city": "Rotterdam",
        "country": "Netherlands",
    })
}

/// A person as Apollo's people match returns one, with their current organization.
pub fn person(name: &str, title: &str, headline: &str, organization: Value) -> Value {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    json!({
        "id": format!("person_{}", name.to_lowercase().replace(' ', "_")),
        "first_name": first,
        "last_name": last,
        "name": name,
        "linkedin_url": format!("http://www.linkedin.com/in/{}", name.to_lowercase().replace(' ', "-")),
        "title": title,
        "headline": headline,
        "email_status": null,
        "photo_url": null,
        "organization_id": organization["id"],
        "employment_history": [],
        "organization": organization,
    })
}

impl StandInApollo {
    pub async fn start(api_key: &str) -> StandInApollo {
        let (listener, url) = bind().await;
        let state = Arc::new(ApolloState {
            api_key: api_key.to_owned(),
            known: Mutex::default(),
        });
        let traffic = Traffic::default();
        let router = Router::new()
            .route(PEOPLE_MATCH, post(people_match))
            .route(ORGANIZATION_ENRICH, get(organization_enrich))
            .with_state(state.clone());
        let served = Served::start(listener, router, traffic.clone());
        StandInApollo {
            url,
            state,
            traffic,
            _served: served,
        }
    }

    /// What `KONQER_APOLLO_BASE_URL` is set to (no path: the client adds `/api/v1/…`).
    pub fn base_url(&self) -> String {
        self.url.clone()
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// A person people match can find (see [`person`]).
    pub fn add_person(&self, person: Value) {
        self.state.known().people.push(person);
    }

    /// An organization organization enrichment can find by its `primary_domain`.
    pub fn add_organization(&self, organization: Value) {
        let domain = organization["primary_domain"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.state
            .known()
            .organizations
            .insert(domain, organization);
    }

    /// The lookups received with a valid key, in order: (path, body or query).
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.state.known().requests.clone()
    }
}

impl ApolloState {
    fn known(&self) -> MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.api_key)
    }
}

fn unauthorised() -> Response {
    let body = json!({"error": "Invalid access credentials.", "error_code": "INVALID_API_KEY"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn same(a: &Value, b: Option<&str>) -> bool {
    match (a.as_str(), b) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    }
}

async fn people_match(
    State(state): State<Arc<ApolloState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if !state.authorised(&headers) {
        return unauthorised();
    }
    // Apollo takes the parameters as a JSON body or in the query string.
    let asked = body.map(|Json(b)| b).unwrap_or_else(|| json!(query));
    let mut known = state.known();
    known
        .requests
        .push((PEOPLE_MATCH.to_owned(), asked.clone()));
    let field = |name: &str| asked.get(name).and_then(Value::as_str);
    let slug = |url: &str| {
        url.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase()
    };
    let found = known.people.iter().find(|p| {
        let by_url = match (field("linkedin_url"), p["linkedin_url"].as_str()) {
            (Some(asked), Some(theirs)) => slug(asked) == slug(theirs),
            _ => false,
        };
        let by_name = same(&p["name"], field("name"))
            && field("organization_name")
                .is_none_or(|org| same(&p["organization"]["name"], Some(org)));
        by_url || by_name
    });
    Json(json!({"person": found})).into_response()
}

async fn organization_enrich(
    State(state): State<Arc<ApolloState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !state.authorised(&headers) {
        return unauthorised();
    }
    let mut known = state.known();
    known
        .requests
        .push((ORGANIZATION_ENRICH.to_owned(), json!(query)));
    let domain = query.get("domain").map(|d| d.to_lowercase());
    match domain.and_then(|d| known.organizations.get(&d).cloned()) {
        Some(org) => Json(json!({"organization": org})).into_response(),
        // What Apollo answers for a domain it does not know.
        None => Json(json!({})).into_response(),
    }
}
