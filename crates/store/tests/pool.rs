//! The PostgreSQL pool hands out busy connections without a ping (one round trip less per
//! statement) but checks one that sat idle: a connection the server dropped meanwhile is
//! replaced, not handed to a request.

use std::time::Duration;

use konqer_store::testing::TestDb;
use konqer_store::Backend;
use sqlx::{Connection, PgConnection};

/// The server processes serving the store's pool (it connects as application `konqer`).
async fn pool_backends(admin: &mut PgConnection) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity \
         WHERE application_name = 'konqer' AND datname = current_database() ORDER BY pid",
    )
    .fetch_all(admin)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_by_the_server_while_idle_is_replaced() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut admin = PgConnection::connect(&db.url).await.unwrap();
    db.store.ping().await.unwrap();
    let before = pool_backends(&mut admin).await;
    assert!(!before.is_empty());
    for pid in &before {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&mut admin)
            .await
            .unwrap();
    }
    // Past the idle threshold, the dead connection is found before anyone uses it.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    db.store
        .ping()
        .await
        .expect("a replacement connection answers");
    let after = pool_backends(&mut admin).await;
    assert!(
        after.iter().all(|pid| !before.contains(pid)),
        "{before:?} {after:?}"
    );
}
