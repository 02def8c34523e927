//! The Keycloak realm we ship (`deploy/keycloak/konqer-realm.json`) against the API. The test
//! builds an access token the way that realm would issue it to the web app: every claim past
//! Keycloak's fixed ones (`iss`, `iat`, `exp`, `jti`, `typ`, `azp`, `scope`) comes from a
//! protocol mapper of the client or of its default client scopes, and the lifetime from the
//! realm. A Keycloak-shaped stand-in issuer signs it and the API must accept it, so removing a
//! mapper the API needs (subject, email, audience, roles) from the realm fails this test.

mod common;

use common::{assert_problem, TestApp};
use konqer_domain::AdminRole;
use konqer_store::testing::TestDb;
use konqer_testkit::StandInIssuer;
use serde_json::{json, Map, Value};

konqer_store::both_backends!(
    a_token_shaped_by_the_realm_is_accepted_with_its_roles,
    without_the_konqer_api_scope_the_token_is_refused,
    the_realms_admin_role_opens_the_admin_api_only_for_operators,
);

fn realm() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/keycloak/konqer-realm.json"
    );
    let text = std::fs::read_to_string(path).expect("the realm export is readable");
    serde_json::from_str(&text).expect("the realm export is JSON")
}

fn items(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn by_key<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    items(list)
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no entry with {key} = {value}"))
}

/// A Keycloak user as the mappers see it.
struct RealmUser {
    id: &'static str,
    email: &'static str,
    /// Realm roles granted directly; the realm's default role is added.
    roles: &'static [&'static str],
}

impl RealmUser {
    fn property(&self, attribute: &str) -> Value {
        match attribute {
            "email" | "username" => json!(self.email),
            "emailVerified" => json!(true),
            "firstName" => json!("Ada"),
            "lastName" => json!("Lovelace"),
            other => panic!("user property {other} is not modelled by this test"),
        }
    }

    /// Effective realm roles: the granted ones plus the default role and its composites.
    fn realm_roles(&self, realm: &Value) -> Vec<String> {
        let mut roles: Vec<String> = self.roles.iter().map(|r| (*r).to_owned()).collect();
        let default = realm["defaultRole"]["name"].as_str().expect("defaultRole");
        let mut pending = vec![default.to_owned()];
        while let Some(name) = pending.pop() {
            if roles.contains(&name) {
                continue;
            }
            let role = by_key(&realm["roles"]["realm"], "name", &name);
            for inner in items(&role["composites"]["realm"]) {
                pending.push(inner.as_str().unwrap().to_owned());
            }
            roles.push(name);
        }
        roles
    }
}

/// Sets a claim the way Keycloak's mappers do: a dotted name is a nested object.
fn set_claim(claims: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        Some((head, rest)) => {
            let inner = claims.entry(head).or_insert_with(|| json!({}));
            set_claim(inner.as_object_mut().unwrap(), rest, value);
        }
        None => {
            claims.insert(name.to_owned(), value);
        }
    }
}

/// The access token payload the realm issues to `client` for `user`.
fn realm_token(realm: &Value, issuer: &StandInIssuer, client: &str, user: &RealmUser) -> Value {
    let client = by_key(&realm["clients"], "clientId", client);
    let lifespan = client["attributes"]["access.token.lifespan"]
        .as_str()
        .map(|s| s.parse::<i64>().unwrap())
        .or_else(|| realm["accessTokenLifespan"].as_i64())
        .expect("a token lifetime");
    let now = chrono::Utc::now().timestamp();
    let mut scope = vec!["openid"];
    let mut mappers: Vec<&Value> = items(&client["protocolMappers"]).collect();
    for name in items(&client["defaultClientScopes"]) {
        let name = name.as_str().unwrap();
        let found = by_key(&realm["clientScopes"], "name", name);
        if found["attributes"]["include.in.token.scope"] == "true" {
            scope.push(name);
        }
        mappers.extend(items(&found["protocolMappers"]));
    }
    let mut claims = Map::new();
    for (key, value) in [
        ("iss", json!(issuer.url())),
        ("iat", json!(now)),
        ("exp", json!(now + lifespan)),
        ("jti", json!(uuid::Uuid::new_v4().to_string())),
        ("typ", json!("Bearer")),
        ("azp", client["clientId"].clone()),
        ("scope", json!(scope.join(" "))),
    ] {
        claims.insert(key.to_owned(), value);
    }
    let mut audiences = Vec::new();
    for mapper in mappers {
        let config = &mapper["config"];
        if config["access.token.claim"] != "true" {
            continue;
        }
        let claim = config["claim.name"].as_str().unwrap_or_default();
        match mapper["protocolMapper"].as_str().unwrap() {
            "oidc-sub-mapper" => set_claim(&mut claims, "sub", json!(user.id)),
            "oidc-usermodel-property-mapper" => {
                let value = user.property(config["user.attribute"].as_str().unwrap());
                let value = match (config["jsonType.label"].as_str(), value) {
                    (Some("boolean"), Value::String(s)) => json!(s == "true"),
                    (_, value) => value,
                };
                set_claim(&mut claims, claim, value);
            }
            "oidc-full-name-mapper" => set_claim(&mut claims, "name", json!("Ada Lovelace")),
            "oidc-audience-mapper" => audiences.push(config["included.client.audience"].clone()),
            "oidc-usermodel-realm-role-mapper" => {
                assert_eq!(config["multivalued"], "true", "roles are a list");
                set_claim(&mut claims, claim, json!(user.realm_roles(realm)));
            }
            "oidc-allowed-origins-mapper" => {
                set_claim(&mut claims, "allowed-origins", client["webOrigins"].clone());
            }
            "oidc-usersessionmodel-note-mapper" => set_claim(&mut claims, claim, json!(now)),
            other => panic!("mapper {other}: teach this test what it puts into a token"),
        }
    }
    // Keycloak writes a single audience as a string.
    match audiences.len() {
        0 => {}
        1 => set_claim(&mut claims, "aud", audiences.remove(0)),
        _ => set_claim(&mut claims, "aud", json!(audiences)),
    }
    Value::Object(claims)
}

#[test]
fn the_realm_export_has_the_clients_roles_providers_and_lifetime_we_rely_on() {
    let realm = realm();
    assert_eq!(realm["realm"], "konqer");
    assert_eq!(
        realm["accessTokenLifespan"], 3600,
        "one hour, like our own tokens"
    );
    for role in ["user", "founding_member", "admin"] {
        by_key(&realm["roles"]["realm"], "name", role);
    }
    let nobody = RealmUser {
        id: "kc-1",
        email: "ada@example.com",
        roles: &[],
    };
    assert!(
        nobody.realm_roles(&realm).contains(&"user".to_owned()),
        "every account gets the user role by default"
    );
    let web = by_key(&realm["clients"], "clientId", "konqer-web");
    assert_eq!(web["publicClient"], true);
    assert_eq!(web["standardFlowEnabled"], true);
    assert_eq!(web["implicitFlowEnabled"], false);
    assert_eq!(web["directAccessGrantsEnabled"], false);
    assert_eq!(web["attributes"]["pkce.code.challenge.method"], "S256");
    let api = by_key(&realm["clients"], "clientId", "konqer-api");
    assert_eq!(api["publicClient"], false);
    assert_eq!(api["standardFlowEnabled"], false);
    for (alias, provider) in [
        ("github", "github"),
        ("google", "google"),
        ("linkedin", "linkedin-openid-connect"),
    ] {
        let idp = by_key(&realm["identityProviders"], "alias", alias);
        assert_eq!(idp["providerId"], provider);
        let secret = idp["config"]["clientSecret"].as_str().unwrap();
        assert!(
            secret.starts_with("${") && secret.ends_with('}'),
            "{alias}'s secret is a placeholder, never a value: {secret}"
        );
    }
}

async fn a_token_shaped_by_the_realm_is_accepted_with_its_roles(db: TestDb) {
    let realm = realm();
    let issuer = StandInIssuer::start().await;
    assert!(issuer
        .url()
        .ends_with(&format!("/realms/{}", realm["realm"].as_str().unwrap())));
    let app = TestApp::start(db, &[("KONQER_OIDC_ISSUER", issuer.url())]).await;
    let ada = RealmUser {
        id: "kc-ada",
        email: "ada@example.com",
        roles: &["founding_member"],
    };
    let claims = realm_token(&realm, &issuer, "konqer-web", &ada);
    assert_eq!(claims["aud"], "konqer-api");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let response = app.get_as(&issuer.issue(&claims), "/api/user/me").await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["name"], "Ada Lovelace");
    let roles = me["roles"].as_array().unwrap();
    assert!(roles.contains(&json!("user")), "{roles:?}");
    assert!(roles.contains(&json!("founding_member")), "{roles:?}");
    let stored = app
        .db
        .store
        .user_by_keycloak_id("kc-ada")
        .await
        .unwrap()
        .expect("the token provisioned the user under its subject");
    assert_eq!(stored.id.to_string(), me["id"].as_str().unwrap());
}

async fn without_the_konqer_api_scope_the_token_is_refused(db: TestDb) {
    let mut realm = realm();
    let issuer = StandInIssuer::start().await;
    let app = TestApp::start(db, &[("KONQER_OIDC_ISSUER", issuer.url())]).await;
    // The same realm with the web client's konqer-api scope removed: no audience, no roles.
    let web = realm["clients"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["clientId"] == "konqer-web")
        .unwrap();
    web["defaultClientScopes"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s != "konqer-api");
    let bob = RealmUser {
        id: "kc-bob",
        email: "bob@example.com",
        roles: &[],
    };
    let claims = realm_token(&realm, &issuer, "konqer-web", &bob);
    assert!(claims.get("aud").is_none(), "{claims}");
    assert_problem(
        app.get_as(&issuer.issue(&claims), "/api/user/me").await,
        401,
        "unauthorized",
    )
    .await;
}

async fn the_realms_admin_role_opens_the_admin_api_only_for_operators(db: TestDb) {
    let realm = realm();
    let issuer = StandInIssuer::start().await;
    let app = TestApp::start(db, &[("KONQER_OIDC_ISSUER", issuer.url())]).await;
    let ops = RealmUser {
        id: "kc-ops",
        email: "ops@example.com",
        roles: &["admin"],
    };
    let token = issuer.issue(&realm_token(&realm, &issuer, "konqer-web", &ops));
    let mrr = || {
        app.client
            .get(format!("{}/admin/metrics/mrr", app.admin))
            .bearer_auth(&token)
            .send()
    };
    // The realm role alone is not enough: operators are also made with `konqer admin add`.
    assert_problem(mrr().await.unwrap(), 403, "forbidden").await;
    let user = app
        .db
        .store
        .user_by_keycloak_id("kc-ops")
        .await
        .unwrap()
        .expect("the first token provisioned the user");
    app.db
        .store
        .set_admin_role(user.id, AdminRole::Finance, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(mrr().await.unwrap().status(), 200);
}
