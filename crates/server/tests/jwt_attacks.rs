//! The JWT attack matrix against `/api/user/me`: every forged, stale, misdirected or
//! malformed credential is a 401 problem, on both back ends. The baseline case proves the
//! forging helper itself makes tokens the server accepts, so each refusal is for its reason.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{assert_problem, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use konqer_store::testing::TestDb;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};

konqer_store::both_backends!(every_attack_in_the_matrix_is_a_401_problem);

const ISSUER: &str = "http://127.0.0.1:4000";

struct Forge {
    kid: String,
    key: EncodingKey,
    public_pem: String,
    foreign: EncodingKey,
    foreign_kid: String,
}

fn encoding_key(pem: &str) -> EncodingKey {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes())
}

impl Forge {
    async fn new(app: &TestApp) -> Forge {
        let keys = app.db.store.signing_keys().await.unwrap();
        let ours = &keys[0];
        let foreign = konqer_identity::keys::generate().unwrap();
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&ours.private_key_pem).unwrap();
        let public_pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(
            &private.to_public_key(),
            rsa::pkcs8::LineEnding::LF,
        )
        .unwrap();
        Forge {
            kid: ours.kid.clone(),
            key: encoding_key(&ours.private_key_pem),
            public_pem,
            foreign: encoding_key(&foreign.private_key_pem),
            foreign_kid: foreign.kid,
        }
    }

    fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".to_owned());
        header
    }

    fn sign(&self, header: &Header, claims: &Value, key: &EncodingKey) -> String {
        jsonwebtoken::encode(header, claims, key).unwrap()
    }

    fn ours(&self, claims: &Value) -> String {
        self.sign(&self.header(), claims, &self.key)
    }
}

fn claims(sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": sub, "email": "ada@example.com", "roles": ["user"], "iss": ISSUER,
        "aud": "konqer-api", "iat": now, "exp": now + 600, "jti": "j-1",
    })
}

fn without(mut claims: Value, field: &str) -> Value {
    claims.as_object_mut().unwrap().remove(field);
    claims
}

fn with(mut claims: Value, field: &str, value: Value) -> Value {
    claims[field] = value;
    claims
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn every_attack_in_the_matrix_is_a_401_problem(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let victim = app
        .register("victim@example.com", "correct horse battery staple")
        .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let me: Value = app
        .get_as(&access, "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    let sub = me["id"].as_str().unwrap().to_owned();
    let forge = Forge::new(&app).await;
    let now = chrono::Utc::now().timestamp();

    // Baseline: a token forged with our own key and correct claims is accepted.
    let good = forge.ours(&claims(&sub));
    assert_eq!(
        app.get_as(&good, "/api/user/me").await.status(),
        200,
        "the forging helper works"
    );

    let mut none_header = json!({"alg": "none", "typ": "at+jwt", "kid": forge.kid});
    let alg_none = format!("{}.{}.", b64(&none_header), b64(&claims(&sub)));
    none_header["alg"] = json!("None");
    let alg_none_caps = format!("{}.{}.", b64(&none_header), b64(&claims(&sub)));

    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(forge.kid.clone());
    hs.typ = Some("at+jwt".to_owned());
    let confusion = forge.sign(
        &hs,
        &claims(&sub),
        &EncodingKey::from_secret(forge.public_pem.as_bytes()),
    );

    let foreign_known_kid = forge.sign(&forge.header(), &claims(&sub), &forge.foreign);
    let mut unknown = forge.header();
    unknown.kid = Some(forge.foreign_kid.clone());
    let unknown_kid = forge.sign(&unknown, &claims(&sub), &forge.foreign);
    let mut no_kid = forge.header();
    no_kid.kid = None;
    let without_kid = forge.sign(&no_kid, &claims(&sub), &forge.key);
    // An attacker-supplied key in the header (`jwk`/`jku`) is never used.
    let mut embedded = forge.header();
    embedded.kid = Some(forge.foreign_kid.clone());
    embedded.jku = Some("http://127.0.0.1:9/jwks.json".to_owned());
    let embedded_key = forge.sign(&embedded, &claims(&sub), &forge.foreign);

    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let admin = with(claims(&sub), "roles", json!(["user", "admin"]));
        format!("{}.{}.{}", parts[0], b64(&admin), parts[2])
    };
    let victim_sub = {
        let vt: Value = app
            .get_as(victim["access_token"].as_str().unwrap(), "/api/user/me")
            .await
            .json()
            .await
            .unwrap();
        vt["id"].as_str().unwrap().to_owned()
    };
    let swapped_sub = {
        let parts: Vec<&str> = good.split('.').collect();
        format!("{}.{}.{}", parts[0], b64(&claims(&victim_sub)), parts[2])
    };
    let mut wrong_typ = forge.header();
    wrong_typ.typ = Some("JWT".to_owned());

    let deleted = app
        .register("gone@example.com", "correct horse battery staple")
        .await;
    let deleted_token = deleted["access_token"].as_str().unwrap().to_owned();
    let gone = app
        .client
        .delete(app.url("/api/user/me"))
        .bearer_auth(&deleted_token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);

    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("wrong scheme", Some(format!("Basic {access}"))),
        ("empty bearer", Some("Bearer ".to_owned())),
        ("garbage", Some("Bearer garbage".to_owned())),
        ("three garbage parts", Some("Bearer a.b.c".to_owned())),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("alg None", Some(format!("Bearer {alg_none_caps}"))),
        (
            "HS256 with the public key",
            Some(format!("Bearer {confusion}")),
        ),
        (
            "foreign key, known kid",
            Some(format!("Bearer {foreign_known_kid}")),
        ),
        ("unknown kid", Some(format!("Bearer {unknown_kid}"))),
        ("no kid", Some(format!("Bearer {without_kid}"))),
        ("jku header", Some(format!("Bearer {embedded_key}"))),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                forge.ours(&with(claims(&sub), "exp", json!(now - 3600)))
            )),
        ),
        (
            "nbf in the future",
            Some(format!(
                "Bearer {}",
                forge.ours(&with(claims(&sub), "nbf", json!(now + 3600)))
            )),
        ),
        (
            "wrong aud",
            Some(format!(
                "Bearer {}",
                forge.ours(&with(claims(&sub), "aud", json!("other-api")))
            )),
        ),
        (
            "wrong iss",
            Some(format!(
                "Bearer {}",
                forge.ours(&with(claims(&sub), "iss", json!("https://evil.example")))
            )),
        ),
        (
            "missing exp",
            Some(format!(
                "Bearer {}",
                forge.ours(&without(claims(&sub), "exp"))
            )),
        ),
        (
            "missing aud",
            Some(format!(
                "Bearer {}",
                forge.ours(&without(claims(&sub), "aud"))
            )),
        ),
        (
            "missing iss",
            Some(format!(
                "Bearer {}",
                forge.ours(&without(claims(&sub), "iss"))
            )),
        ),
        (
            "missing sub",
            Some(format!(
                "Bearer {}",
                forge.ours(&without(claims(&sub), "sub"))
            )),
        ),
        (
            "sub not a user id",
            Some(format!("Bearer {}", forge.ours(&claims("admin")))),
        ),
        (
            "typ not at+jwt",
            Some(format!(
                "Bearer {}",
                forge.sign(&wrong_typ, &claims(&sub), &forge.key)
            )),
        ),
        (
            "payload tampered after signing",
            Some(format!("Bearer {tampered}")),
        ),
        (
            "sub swapped after signing",
            Some(format!("Bearer {swapped_sub}")),
        ),
        (
            "refresh token as access token",
            Some(format!(
                "Bearer {}",
                tokens["refresh_token"].as_str().unwrap()
            )),
        ),
        (
            "token of a deleted user",
            Some(format!("Bearer {deleted_token}")),
        ),
    ];
    for (name, authorization) in cases {
        let mut request = app.client.get(app.url("/api/user/me"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "case {name:?} was not refused");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "case {name:?}"
        );
        assert_problem(response, 401, "unauthorized").await;
    }
}
