//! Starts the real server (the same `launch` as `main`) on port-0 listeners against a fresh
//! database of either back end.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use konqer_domain::SystemClock;
use konqer_server::{launch, Config, Roles};
use konqer_store::testing::TestDb;
use konqer_store::WebhookEffects;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub admin: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// A fresh data directory (generated secrets, the mail sink), removed on drop.
    pub data_dir: std::path::PathBuf,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn start(db: TestDb, vars: &[(&str, &str)]) -> TestApp {
        let data_dir = std::env::temp_dir().join(format!("konqer-data-{}", uuid::Uuid::new_v4()));
        let mut all = vec![
            ("DATABASE_URL".to_owned(), db.url.clone()),
            ("KONQER_DATA_DIR".to_owned(), data_dir.display().to_string()),
            ("KONQER_CATALOG_REFRESH_SECS".to_owned(), "1".to_owned()),
            ("KONQER_SHUTDOWN_GRACE_SECS".to_owned(), "5".to_owned()),
            ("KONQER_WEB_DIR".to_owned(), "/nonexistent".to_owned()),
        ];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_vars(all).expect("test configuration is valid");
        let public = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", public.local_addr().unwrap());
        let admin_base = format!("http://{}", admin.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let store = db.store.clone();
        let handle = tokio::spawn(async move {
            launch(
                &config,
                store,
                Arc::new(SystemClock),
                Some((public, admin)),
                Roles {
                    http: true,
                    jobs: true,
                },
                async {
                    let _ = stopped.await;
                },
            )
            .await
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let app = TestApp {
            base,
            admin: admin_base,
            db,
            client,
            data_dir,
            stop: Some(stop),
            handle: Some(handle),
        };
        // Wait until both listeners answer.
        for _ in 0..200 {
            let public_ok = app
                .client
                .get(app.url("/health"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            let admin_ok = app
                .client
                .get(format!("{}/health", app.admin))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if public_ok && admin_ok {
                return app;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server did not come up");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Signs up a new account and returns its token pair.
    pub async fn register(&self, email: &str, password: &str) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/auth/register"))
            .json(&serde_json::json!({"email": email, "password": password, "name": "Test User"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "registering {email}");
        response.json().await.unwrap()
    }

    /// The admin listener's Prometheus scrape.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `GET` with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `POST` of a JSON body.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Signals shutdown and waits for `launch` to return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.take().unwrap().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Asserts that a response is a complete problem document with the given status and code.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["type"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert_eq!(body["instance"], request_id.as_str(), "{body}");
    body
}

/// Signs up `email` and returns its access token and user id.
pub async fn signed_up(app: &TestApp, email: &str) -> (String, Uuid) {
    let token = app.register(email, "correct horse battery staple").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = app
        .db
        .store
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id;
    (token, id)
}

/// Grants a founding membership directly (the billing suites test how purchases get here).
pub async fn grant_founding(app: &TestApp, user: Uuid) {
    let effects = konqer_store::testing::founding_purchase(user, Utc::now());
    app.db.store.apply_webhook(&effects).await.unwrap();
}

/// An operator (or a plain user) with a fresh token carrying their roles.
pub async fn operator(
    app: &TestApp,
    email: &str,
    role: Option<konqer_domain::AdminRole>,
) -> String {
    app.register(email, "correct horse battery staple").await;
    if let Some(role) = role {
        let user = app
            .db
            .store
            .find_user_by_email(email)
            .await
            .unwrap()
            .unwrap();
        app.db
            .store
            .set_admin_role(user.id, role, Utc::now())
            .await
            .unwrap();
    }
    let login: Value = app
        .post_json(
            "/auth/login",
            json!({"email": email, "password": "correct horse battery staple"}),
        )
        .await
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

/// Waits for the sender job to write `count` `.eml` files into the mail sink.
pub async fn eml_files(app: &TestApp, count: usize) -> Vec<String> {
    let dir = app.data_dir.join("mail");
    for _ in 0..200 {
        let files: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= count {
            return files;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {count} .eml files in {}", dir.display());
}

/// Queues one outbox email (and its send job) for `user`, as a webhook would; `tag` makes the
/// subject (`"<kind> <tag>"`) and the dedupe key unique.
pub async fn queue_email(app: &TestApp, user: Uuid, kind: &str, tag: &str) {
    let now = Utc::now();
    app.db
        .store
        .apply_webhook(&WebhookEffects {
            event_id: format!("evt_{kind}_{tag}"),
            event_type: "invoice.paid".into(),
            event_created: now,
            subscription: None,
            payment: None,
            refund: None,
            emails: vec![konqer_store::OutboxEmail {
                user_id: Some(user),
                kind: kind.to_owned(),
                to_address: "ada@example.com".into(),
                subject: format!("{kind} {tag}"),
                body_text: format!("Hello Ada ({tag})"),
                body_html: Some(format!(
                    "<html><body><p>Hello Ada ({tag})</p></body></html>"
                )),
                dedupe_key: format!("{kind}:{tag}"),
            }],
            now,
        })
        .await
        .expect("queueing an email");
}

/// Waits until the outbox row with this subject leaves `pending`, and returns its status.
pub async fn settled_status(app: &TestApp, user: Uuid, subject: &str) -> String {
    let mut status = String::new();
    for _ in 0..400 {
        let emails = app
            .db
            .store
            .emails_of(user)
            .await
            .expect("reading the outbox");
        status = emails
            .iter()
            .find(|e| e.subject == subject)
            .map(|e| e.status.clone())
            .unwrap_or_default();
        if !status.is_empty() && status != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    status
}

/// A server launched today whose text provider is the stand-in LLM (key `sk-test`), with the
/// gateway limit off.
pub async fn start_with_llm(db: TestDb, llm: &konqer_testkit::StandInLlm) -> TestApp {
    let today = Utc::now().date_naive().to_string();
    let base = llm.base_url();
    TestApp::start(
        db,
        &[
            ("KONQER_LAUNCH_DATE", today.as_str()),
            ("KONQER_RATE_LIMIT_PER_MINUTE", "0"),
            ("OPENAI_API_KEY", "sk-test"),
            ("KONQER_LLM_BASE_URL", base.as_str()),
        ],
    )
    .await
}

/// One service's entry in the caller's `/api/user/me`.
pub async fn service_status(app: &TestApp, token: &str, service: &str) -> Value {
    let me: Value = app
        .get_as(token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    me["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["service"] == service))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Every service's status in the caller's `/api/user/me`, as (key, status).
pub async fn statuses(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let me: Value = app
        .get_as(token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    me["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
