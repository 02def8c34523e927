//! The production transports against local stand-ins: SMTP (lettre, plain text to the
//! stand-in) and the Resend HTTP API. What arrives, with which headers, and which failures
//! are retried (transient) or final (permanent).

use chrono::{TimeZone, Utc};
use konqer_domain::Secret;
use konqer_mail::message::Outgoing;
use konqer_mail::transport::resend::{Resend, ResendSettings};
use konqer_mail::transport::smtp::{Smtp, SmtpSettings};
use konqer_mail::transport::SendError;
use konqer_mail::Transport;
use konqer_testkit::{StandInResend, StandInSmtp};

const UNSUBSCRIBE: &str = "https://konqer.app/email/unsubscribe?token=abc";

fn message(marketing: bool) -> Outgoing {
    Outgoing {
        id: uuid::Uuid::from_u128(7),
        from: "Konqer <hello@konqer.app>".into(),
        to: "ada@example.com".into(),
        subject: if marketing {
            "Pair Objection Crusher with Battlecards"
        } else {
            "Welcome to Konqer"
        }
        .into(),
        text: "Hello Ada,\n.a line that starts with a dot\n€ 99".into(),
        html: Some("<p>Hello Ada</p>".into()),
        date: Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap(),
        list_unsubscribe: marketing.then(|| UNSUBSCRIBE.to_owned()),
    }
}

fn smtp(url: &str) -> Smtp {
    Smtp::new(&SmtpSettings::parse(url).unwrap()).unwrap()
}

fn resend(stand_in: &StandInResend, key: &str) -> Resend {
    Resend::new(&ResendSettings::new(
        &stand_in.base_url(),
        Secret::new(key.to_owned()),
    ))
    .unwrap()
}

#[tokio::test]
async fn smtp_delivers_the_eml_with_one_click_unsubscribe_only_on_marketing() {
    let server = StandInSmtp::start().await;
    let transport = smtp(&server.url());
    transport.send(&message(true)).await.unwrap();
    transport.send(&message(false)).await.unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let (offer, welcome) = (&messages[0], &messages[1]);
    assert_eq!(offer.mail_from, "hello@konqer.app");
    assert_eq!(offer.rcpt_to, ["ada@example.com"]);
    // Byte for byte what the file sink writes, dot-stuffing undone by the server.
    assert_eq!(offer.data, message(true).to_eml());
    assert_eq!(offer.header("From"), Some("Konqer <hello@konqer.app>"));
    assert_eq!(
        offer.header("List-Unsubscribe"),
        Some(format!("<{UNSUBSCRIBE}>").as_str())
    );
    assert_eq!(
        offer.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(offer.header("Message-ID").is_some() && offer.header("Date").is_some());
    assert_eq!(welcome.header("List-Unsubscribe"), None);
    assert_eq!(welcome.header("List-Unsubscribe-Post"), None);
}

#[tokio::test]
async fn smtp_logs_in_with_the_urls_credentials_and_never_shows_the_password() {
    let server = StandInSmtp::start().await;
    server.require_login("mailer", "s3cr:et@");
    // Special characters travel percent-encoded in the URL.
    let good = smtp(&server.url_with_login("mailer", "s3cr%3Aet%40"));
    good.send(&message(false)).await.unwrap();
    assert_eq!(server.messages()[0].user.as_deref(), Some("mailer"));

    let bad = smtp(&server.url_with_login("mailer", "hunter2"));
    match bad.send(&message(false)).await {
        // A refused login is the operator's to fix: retried, not a dead email.
        Err(SendError::Transient(e)) => assert!(!e.contains("hunter2"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn smtp_retries_4xx_and_network_errors_and_gives_up_on_5xx() {
    let server = StandInSmtp::start().await;
    let transport = smtp(&server.url());
    server.fail_next(451, 1);
    assert!(matches!(
        transport.send(&message(false)).await,
        Err(SendError::Transient(_))
    ));
    server.fail_next(554, 1);
    assert!(matches!(
        transport.send(&message(false)).await,
        Err(SendError::Permanent(_))
    ));
    server.reject_recipient("ada@example.com");
    assert!(matches!(
        transport.send(&message(false)).await,
        Err(SendError::Permanent(_))
    ));
    assert!(server.messages().is_empty());

    // Nothing listening: a connection error, retried.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gone = smtp(&format!("smtp://127.0.0.1:{port}?tls=none"));
    assert!(matches!(
        gone.send(&message(false)).await,
        Err(SendError::Transient(_))
    ));
}

#[tokio::test]
async fn resend_gets_its_json_shape_with_bearer_key_and_idempotency_key() {
    let api = StandInResend::start("re_test_key").await;
    let transport = resend(&api, "re_test_key");
    transport.send(&message(true)).await.unwrap();
    // A retry of the same outbox row (its answer was lost) sends nothing more.
    transport.send(&message(true)).await.unwrap();

    let emails = api.emails();
    assert_eq!(emails.len(), 1, "the same outbox id is sent once");
    let offer = &emails[0];
    assert_eq!(
        offer.idempotency_key.as_deref(),
        Some("konqer-00000000-0000-0000-0000-000000000007")
    );
    assert_eq!(offer.body["from"], "Konqer <hello@konqer.app>");
    assert_eq!(offer.body["to"], serde_json::json!(["ada@example.com"]));
    assert_eq!(offer.subject(), "Pair Objection Crusher with Battlecards");
    assert_eq!(offer.body["html"], "<p>Hello Ada</p>");
    assert!(offer.body["text"].as_str().unwrap().contains("€ 99"));
    assert_eq!(
        offer.header("List-Unsubscribe"),
        Some(format!("<{UNSUBSCRIBE}>").as_str())
    );
    assert_eq!(
        offer.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );

    // A transactional email (another outbox row) has no headers at all.
    let mut welcome = message(false);
    welcome.id = uuid::Uuid::from_u128(8);
    transport.send(&welcome).await.unwrap();
    let emails = api.emails();
    assert_eq!(emails.len(), 2);
    assert!(
        emails[1].body.get("headers").is_none(),
        "{}",
        emails[1].body
    );
}

#[tokio::test]
async fn resend_retries_5xx_429_and_key_problems_but_not_a_refused_payload() {
    let api = StandInResend::start("re_test_key").await;
    let transport = resend(&api, "re_test_key");
    for status in [500, 502, 429] {
        api.traffic()
            .fail_next(konqer_testkit::resend::PATH, status, 1);
        match transport.send(&message(false)).await {
            Err(SendError::Transient(e)) => assert!(e.contains(&status.to_string()), "{e}"),
            other => panic!("{status}: {other:?}"),
        }
    }
    transport.send(&message(false)).await.unwrap();
    assert_eq!(api.emails().len(), 1);

    let wrong_key = resend(&api, "re_wrong");
    match wrong_key.send(&message(false)).await {
        Err(SendError::Transient(e)) => {
            assert!(e.contains("403") && !e.contains("re_wrong"), "{e}")
        }
        other => panic!("{other:?}"),
    }

    let mut bad = message(false);
    bad.id = uuid::Uuid::from_u128(9);
    bad.to = "not an address".into();
    match transport.send(&bad).await {
        Err(SendError::Permanent(e)) => assert!(e.contains("422"), "{e}"),
        other => panic!("{other:?}"),
    }

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gone = Resend::new(&ResendSettings::new(
        &format!("http://127.0.0.1:{port}"),
        Secret::new("re_test_key".to_owned()),
    ))
    .unwrap();
    assert!(matches!(
        gone.send(&message(false)).await,
        Err(SendError::Transient(_))
    ));
    assert_eq!(api.emails().len(), 1);
}
