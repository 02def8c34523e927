//! Fresh databases for tests: a temporary SQLite file, or a new database on the throwaway
//! PostgreSQL server that `scripts/test-services.sh` starts (URL in `KONQER_TEST_PG_URL`).

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::Connection;

use crate::{Backend, Store, StoreOptions};

/// A migrated, empty database that lives as long as this value (SQLite files are removed on
/// drop; PostgreSQL databases go with the throwaway server).
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub url: String,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl TestDb {
    /// The same database again, for a second server (replica) in one test; the original
    /// keeps ownership of any files.
    pub fn share(&self) -> TestDb {
        TestDb {
            store: self.store.clone(),
            url: self.url.clone(),
            dir: None,
        }
    }

    pub async fn new(backend: Backend) -> TestDb {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("konqer-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("create temp dir for a test database");
                (format!("sqlite://{}/konqer.db", dir.display()), Some(dir))
            }
            Backend::Postgres => (fresh_postgres_database().await, None),
        };
        let store = crate::connect(&StoreOptions::new(&url))
            .await
            .expect("connect to test database");
        store.migrate().await.expect("migrate test database");
        TestDb { store, url, dir }
    }
}

/// The throwaway server's URL. Tests that need PostgreSQL fail loudly without it rather than
/// pass without having run.
pub fn postgres_server_url() -> String {
    std::env::var("KONQER_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "KONQER_TEST_PG_URL is not set: run the tests with `make test` (or under \
             scripts/test-services.sh), which starts a throwaway PostgreSQL"
        )
    })
}

/// Creates a new, empty database on the throwaway server and returns its URL.
pub async fn fresh_postgres_database() -> String {
    let server = postgres_server_url();
    let name = format!("konqer_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server.as_str(), None),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Expands each named `async fn(TestDb)` into two tests, `sqlite::<name>` and
/// `postgres::<name>`, each run on its own fresh, migrated database.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                super::$name(db).await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                super::$name(db).await;
            })+
        }
    };
}

/// The webhook effects of a founding membership bought at `now` (active for a year), for
/// tests that need a member without going through a purchase (the billing suites test how
/// purchases get there).
pub fn founding_purchase(
    user_id: uuid::Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::WebhookEffects {
    use konqer_domain::{Plan, SubscriptionStatus};
    crate::WebhookEffects {
        event_id: format!("evt_{user_id}"),
        event_type: "customer.subscription.created".into(),
        event_created: now,
        subscription: Some(crate::SubscriptionSnapshot {
            stripe_subscription_id: format!("sub_{user_id}"),
            stripe_customer_id: None,
            user_id,
            plan: Plan::Founding,
            service: None,
            interval: Plan::Founding.interval(),
            status: SubscriptionStatus::Active,
            canceled_at: None,
            period: Some((now, now + chrono::Duration::days(365))),
            cancel_at_period_end: Some(false),
        }),
        payment: None,
        refund: None,
        emails: Vec::new(),
        now,
    }
}
