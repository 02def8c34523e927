//! Marketing emails carry a one-click unsubscribe (RFC 8058) that works without a session,
//! cannot be forged, and stops later offers while receipts and notices keep coming; users
//! can also switch offers off and on from their account. Both back ends.

mod common;

use common::{assert_problem, eml_files, queue_email, signed_up, TestApp};
use konqer_store::testing::TestDb;
use serde_json::{json, Value};

konqer_store::both_backends!(
    an_offer_can_be_unsubscribed_in_one_click_and_stops_later_offers,
    offers_are_switched_from_the_account,
);

fn header<'a>(eml: &'a str, name: &str) -> Option<&'a str> {
    eml.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

async fn marketing_emails(app: &TestApp, token: &str) -> Value {
    let me: Value = app
        .get_as(token, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    me["marketing_emails"].clone()
}

async fn an_offer_can_be_unsubscribed_in_one_click_and_stops_later_offers(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (token, ada) = signed_up(&app, "ada@example.com").await;
    queue_email(&app, ada, "cross_sell", "first").await;
    queue_email(&app, ada, "unlocked", "receipt").await;
    let files = eml_files(&app, 2).await;
    let offer = files
        .iter()
        .find(|e| e.contains("cross_sell first"))
        .unwrap();
    let notice = files
        .iter()
        .find(|e| e.contains("unlocked receipt"))
        .unwrap();
    assert_eq!(
        header(notice, "List-Unsubscribe"),
        None,
        "transactional mail has no opt-out"
    );
    assert_eq!(
        header(offer, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let link = header(offer, "List-Unsubscribe")
        .and_then(|h| h.strip_prefix('<')?.strip_suffix('>'))
        .unwrap();
    // Links point at KONQER_PUBLIC_URL; the test server listens elsewhere.
    let path = link
        .strip_prefix("http://127.0.0.1:4000")
        .filter(|p| p.starts_with("/email/unsubscribe?token="))
        .unwrap_or_else(|| panic!("{link}"));
    let url = app.url(path);
    assert!(
        offer.contains("No more offers like this"),
        "a visible link in the body"
    );

    // Opening the link only asks; scanners that fetch it change nothing.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Stop offers by email?"));
    assert_eq!(marketing_emails(&app, &token).await, json!(true));
    // A forged or cut token is refused.
    // One character of the MAC changed (not the last: its low bits are padding).
    let at = url.len() - 10;
    let swapped = if &url[at..=at] == "x" { "y" } else { "x" };
    let forged = format!("{}{swapped}{}", &url[..at], &url[at + 1..]);
    for bad in [
        forged.as_str(),
        &url[..url.len() - 4],
        &format!("{}/email/unsubscribe", app.base),
    ] {
        let response = app
            .client
            .post(bad)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "bad_request").await;
        // A person opening it gets a readable page, not JSON.
        let page = app.client.get(bad).send().await.unwrap();
        assert_eq!(page.status(), 400, "{bad}");
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("This link is not valid"));
    }
    assert_eq!(marketing_emails(&app, &token).await, json!(true));

    // The mail provider's one-click POST, twice (idempotent).
    for _ in 0..2 {
        let response = app
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(marketing_emails(&app, &token).await, json!(false));

    // Later offers are not sent; notices still are.
    queue_email(&app, ada, "bundle_offer", "second").await;
    queue_email(&app, ada, "payment_failed", "notice").await;
    let files = eml_files(&app, 3).await;
    assert!(files.iter().any(|e| e.contains("payment_failed notice")));
    let mut status = String::new();
    for _ in 0..200 {
        let emails = app.db.store.emails_of(ada).await.unwrap();
        status = emails
            .iter()
            .find(|e| e.subject == "bundle_offer second")
            .map(|e| e.status.clone())
            .unwrap_or_default();
        if status != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, "failed", "handled by the sender, and not sent");
    let files = eml_files(&app, 3).await;
    assert_eq!(files.len(), 3, "the offer was not sent");
    assert!(!files.iter().any(|e| e.contains("bundle_offer second")));
}

async fn offers_are_switched_from_the_account(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let (token, _) = signed_up(&app, "ada@example.com").await;
    let patch = |on: bool| {
        app.client
            .patch(app.url("/api/user/me"))
            .bearer_auth(&token)
            .json(&json!({"marketing_emails": on}))
            .send()
    };
    let me: Value = patch(false).await.unwrap().json().await.unwrap();
    assert_eq!(me["marketing_emails"], false);
    assert_eq!(marketing_emails(&app, &token).await, json!(false));
    let me: Value = patch(true).await.unwrap().json().await.unwrap();
    assert_eq!(me["marketing_emails"], true);
}
