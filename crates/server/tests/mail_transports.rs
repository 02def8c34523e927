//! The real server sending through the production transports, pointed at local stand-ins:
//! the Resend API and an SMTP server. Offers carry the one-click unsubscribe headers and a
//! visible link, notices do not; a 5xx is retried by the job runner, a refused payload is
//! final; after a one-click unsubscribe offers stop while notices keep coming. Both back ends.

mod common;

use common::{queue_email, settled_status, signed_up, TestApp};
use konqer_store::testing::TestDb;
use konqer_testkit::resend::{ResendEmail, PATH};
use konqer_testkit::{StandInResend, StandInSmtp};

konqer_store::both_backends!(
    resend_carries_one_click_unsubscribe_on_offers_retries_5xx_and_honours_opt_out,
    resend_refusing_a_payload_is_final,
    smtp_delivers_offers_with_list_unsubscribe_and_retries_4xx,
);

const FROM: &str = "Konqer Test <test@konqer.app>";

async fn resend_app(db: TestDb, api: &StandInResend) -> TestApp {
    let base = api.base_url();
    TestApp::start(
        db,
        &[
            ("KONQER_RESEND_API_KEY", "re_test_key"),
            ("KONQER_RESEND_BASE_URL", base.as_str()),
            ("KONQER_MAIL_FROM", FROM),
        ],
    )
    .await
}

/// Waits until the stand-in accepted `count` emails.
async fn accepted(api: &StandInResend, count: usize) -> Vec<ResendEmail> {
    for _ in 0..400 {
        let emails = api.emails();
        if emails.len() >= count {
            return emails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("expected {count} emails at the Resend stand-in");
}

fn by_subject<'a>(emails: &'a [ResendEmail], subject: &str) -> &'a ResendEmail {
    emails
        .iter()
        .find(|e| e.subject() == subject)
        .unwrap_or_else(|| panic!("no email {subject:?}"))
}

async fn resend_carries_one_click_unsubscribe_on_offers_retries_5xx_and_honours_opt_out(
    db: TestDb,
) {
    let api = StandInResend::start("re_test_key").await;
    // Resend has a bad moment: the first delivery gets a 503, the job retries it later.
    api.traffic().fail_next(PATH, 503, 1);
    let app = resend_app(db, &api).await;
    let (_, ada) = signed_up(&app, "ada@example.com").await;
    queue_email(&app, ada, "cross_sell", "first").await;
    queue_email(&app, ada, "unlocked", "notice").await;

    let emails = accepted(&api, 2).await;
    assert_eq!(api.traffic().hits(PATH), 3, "one 503, then two deliveries");
    for subject in ["cross_sell first", "unlocked notice"] {
        assert_eq!(settled_status(&app, ada, subject).await, "sent");
    }
    let offer = by_subject(&emails, "cross_sell first");
    let notice = by_subject(&emails, "unlocked notice");
    assert_eq!(offer.body["from"], FROM);
    assert_eq!(
        offer.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let link = offer
        .header("List-Unsubscribe")
        .and_then(|h| h.strip_prefix('<')?.strip_suffix('>'))
        .expect("a List-Unsubscribe header on the offer");
    for body in ["text", "html"] {
        let text = offer.body[body].as_str().unwrap_or_default();
        assert!(
            text.contains(&link.replace('&', "&amp;")) || text.contains(link),
            "{body}"
        );
    }
    assert!(notice.body.get("headers").is_none(), "{}", notice.body);
    assert!(!notice.body["text"]
        .as_str()
        .unwrap_or_default()
        .contains("/email/unsubscribe"));

    // The link points at KONQER_PUBLIC_URL; the test server listens elsewhere.
    let path = link
        .strip_prefix("http://127.0.0.1:4000")
        .unwrap_or_else(|| panic!("{link}"));
    let url = app.url(path);
    // Opening the link only asks.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/html")));
    queue_email(&app, ada, "bundle_offer", "after-get").await;
    accepted(&api, 3).await;

    // The mail provider's one-click POST (RFC 8058).
    let response = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    queue_email(&app, ada, "bundle_offer", "after-post").await;
    queue_email(&app, ada, "payment_failed", "notice").await;
    assert_eq!(
        settled_status(&app, ada, "payment_failed notice").await,
        "sent"
    );
    assert_eq!(
        settled_status(&app, ada, "bundle_offer after-post").await,
        "failed"
    );
    let subjects: Vec<String> = api
        .emails()
        .iter()
        .map(|e| e.subject().to_owned())
        .collect();
    assert_eq!(
        subjects.len(),
        4,
        "the offer after the unsubscribe was not sent: {subjects:?}"
    );
    assert!(!subjects.iter().any(|s| s == "bundle_offer after-post"));
}

async fn resend_refusing_a_payload_is_final(db: TestDb) {
    let api = StandInResend::start("re_test_key").await;
    let app = resend_app(db, &api).await;
    let (_, ada) = signed_up(&app, "ada@example.com").await;
    // An address Resend refuses (422): the job goes dead at once, no retries.
    app.db
        .store
        .apply_webhook(&konqer_store::WebhookEffects {
            event_id: "evt_bad_address".into(),
            event_type: "invoice.paid".into(),
            event_created: chrono::Utc::now(),
            subscription: None,
            payment: None,
            refund: None,
            emails: vec![konqer_store::OutboxEmail {
                user_id: Some(ada),
                kind: "unlocked".into(),
                to_address: "no address".into(),
                subject: "unlocked bad-address".into(),
                body_text: "Hello".into(),
                body_html: None,
                dedupe_key: "unlocked:bad-address".into(),
            }],
            now: chrono::Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(
        settled_status(&app, ada, "unlocked bad-address").await,
        "failed"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(api.traffic().hits(PATH), 1);
    assert!(api.emails().is_empty());
}

async fn smtp_delivers_offers_with_list_unsubscribe_and_retries_4xx(db: TestDb) {
    let smtp = StandInSmtp::start().await;
    smtp.fail_next(451, 1);
    let url = smtp.url();
    let app = TestApp::start(
        db,
        &[
            ("KONQER_SMTP_URL", url.as_str()),
            ("KONQER_MAIL_FROM", FROM),
        ],
    )
    .await;
    let (_, ada) = signed_up(&app, "ada@example.com").await;
    queue_email(&app, ada, "bundle_offer", "smtp").await;
    queue_email(&app, ada, "canceled", "smtp").await;
    for subject in ["bundle_offer smtp", "canceled smtp"] {
        assert_eq!(
            settled_status(&app, ada, subject).await,
            "sent",
            "{subject}"
        );
    }
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let offer = messages
        .iter()
        .find(|m| m.header("Subject") == Some("bundle_offer smtp"))
        .unwrap();
    let notice = messages
        .iter()
        .find(|m| m.header("Subject") == Some("canceled smtp"))
        .unwrap();
    assert_eq!(offer.mail_from, "test@konqer.app");
    assert_eq!(offer.rcpt_to, ["ada@example.com"]);
    assert_eq!(offer.header("From"), Some(FROM));
    assert!(offer
        .header("List-Unsubscribe")
        .is_some_and(|v| v.starts_with("<http://127.0.0.1:4000/email/unsubscribe?token=")));
    assert_eq!(
        offer.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(notice.header("List-Unsubscribe"), None);
    // Nothing went to the file sink.
    assert!(!app.data_dir.join("mail").exists());
}
