//! The Apollo.io API client: people match (`POST /api/v1/people/match`) and organization
//! enrichment (`GET /api/v1/organizations/enrich?domain=`), authenticated with the
//! `X-Api-Key` header. It goes through identity's outbound client (connect and total
//! timeouts, at most three attempts with jittered backoff on transport errors, 429 and 5xx,
//! `Retry-After` honoured up to a cap). A match is a lookup: repeating it after a 5xx can at
//! worst spend one more credit, which is why it may be retried.
//!
//! The services' `Person` and `Organization` carry Apollo's own field names (`title`,
//! `headline`, `organization.industry`, `estimated_num_employees`, `short_description`, …),
//! so Apollo's answers are read into them directly; every other field is ignored.

use std::time::Duration;

use async_trait::async_trait;
use konqer_domain::Secret;
use konqer_identity::http::{HttpClient, HttpSettings, RawResponse};
use konqer_services::enrich::{EnrichError, Enricher, Organization, Person, PersonQuery};
use reqwest::header::HeaderValue;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::json;

pub const PEOPLE_MATCH: &str = "/api/v1/people/match";
pub const ORGANIZATION_ENRICH: &str = "/api/v1/organizations/enrich";

#[derive(Clone)]
pub struct ApolloSettings {
    /// `https://api.apollo.io` in production (`KONQER_APOLLO_BASE_URL`).
    pub base_url: String,
    pub api_key: Secret<String>,
    pub http: HttpSettings,
}

impl ApolloSettings {
    /// Enrichment runs while a user waits for a generation and is optional, so it gets
    /// tighter limits than identity's defaults: worst case about 3 × 4 s plus the waits.
    pub fn new(base_url: &str, api_key: Secret<String>) -> ApolloSettings {
        ApolloSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            http: HttpSettings {
                connect_timeout: Duration::from_secs(2),
                timeout: Duration::from_secs(4),
                max_attempts: 3,
                backoff_base: Duration::from_millis(200),
                max_retry_after: Duration::from_secs(2),
            },
        }
    }
}

pub struct Apollo {
    http: HttpClient,
    base_url: String,
    api_key: HeaderValue,
}

#[derive(Deserialize)]
struct PersonMatch {
    person: Option<Person>,
}

#[derive(Deserialize)]
struct OrganizationEnrich {
    organization: Option<Organization>,
}

impl Apollo {
    pub fn new(settings: ApolloSettings) -> Result<Apollo, EnrichError> {
        let mut api_key = HeaderValue::from_str(settings.api_key.expose())
            .map_err(|_| EnrichError("APOLLO_API_KEY is not a valid header value".to_owned()))?;
        // Sensitive headers never show in reqwest's Debug output.
        api_key.set_sensitive(true);
        Url::parse(&settings.base_url)
            .map_err(|e| EnrichError(format!("KONQER_APOLLO_BASE_URL is not a URL: {e}")))?;
        let http = HttpClient::new(settings.http).map_err(|e| EnrichError(e.to_string()))?;
        Ok(Apollo {
            http,
            base_url: settings.base_url,
            api_key,
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<RawResponse>, EnrichError> {
        let request = request.header("X-Api-Key", self.api_key.clone());
        let response = self
            .http
            .send_replayable(request)
            .await
            .map_err(|e| EnrichError(e.to_string()))?;
        match response.status {
            404 => Ok(None),
            _ if response.is_success() => Ok(Some(response)),
            _ => Err(EnrichError(response.status_error().to_string())),
        }
    }
}

#[async_trait]
impl Enricher for Apollo {
    fn name(&self) -> &str {
        "apollo"
    }

    async fn person(&self, query: &PersonQuery) -> Result<Option<Person>, EnrichError> {
        // Apollo bills a revealed email or phone number; a message needs neither.
        let mut body = json!({
            "name": query.name,
            "reveal_personal_emails": false,
            "reveal_phone_number": false,
        });
        if let Some(org) = &query.organization_name {
            body["organization_name"] = json!(org);
        }
        if let Some(url) = &query.linkedin_url {
            body["linkedin_url"] = json!(url);
        }
        let request = self
            .http
            .request(Method::POST, &format!("{}{PEOPLE_MATCH}", self.base_url))
            .json(&body);
        let Some(response) = self.send(request).await? else {
            return Ok(None);
        };
        let found: PersonMatch = response.json().map_err(|e| EnrichError(e.to_string()))?;
        Ok(found.person)
    }

    async fn organization(&self, domain: &str) -> Result<Option<Organization>, EnrichError> {
        let mut url = Url::parse(&format!("{}{ORGANIZATION_ENRICH}", self.base_url))
            .map_err(|e| EnrichError(format!("organization enrich URL: {e}")))?;
        url.query_pairs_mut().append_pair("domain", domain);
        let request = self.http.request(Method::GET, url.as_str());
        let Some(response) = self.send(request).await? else {
            return Ok(None);
        };
        let found: OrganizationEnrich = response.json().map_err(|e| EnrichError(e.to_string()))?;
        // Apollo answers an unknown domain with an empty organization.
        Ok(found
            .organization
            .filter(|org| org.name.is_some() || org.is_described()))
    }
}
