//! Who may do what: tokens (the authorizer), roles, tenants, and secrets never shown.

use odt_tests::{captured_logs, TestStack};
use serde_json::json;

#[tokio::test]
async fn tokens_missing_expired_wrongly_signed_or_for_another_audience_answer_401() {
    let t = TestStack::start().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let auth = &t.stack.authorizer;
    let claims = |exp: i64, aud: &str| json!({"iss": auth.issuer, "aud": aud, "exp": exp, "iat": now - 10, "tenant_id": t.tenant, "role": "admin"});
    let other = odt_local::authorizer::LocalAuthorizer::generate().unwrap();
    let no_tenant = auth.sign(&json!({"iss": auth.issuer, "aud": auth.audience, "exp": now + 60, "role": "admin"}));
    let bad_role = auth
        .sign(&json!({"iss": auth.issuer, "aud": auth.audience, "exp": now + 60, "tenant_id": "x", "role": "root"}));
    for (name, token) in [
        ("expired", Some(auth.sign(&claims(now - 1, &auth.audience)))),
        ("wrong audience", Some(auth.sign(&claims(now + 60, "api://other")))),
        ("wrong signature", Some(other.sign(&claims(now + 60, &auth.audience)))),
        ("garbage", Some("not.a.jwt".to_string())),
        ("none", None),
        ("no tenant claim", Some(no_tenant)),
        ("unknown role", Some(bad_role)),
    ] {
        for (method, path) in
            [("GET", "/okta-orgs"), ("POST", "/okta-orgs"), ("GET", "/device-trust"), ("DELETE", "/device-trust")]
        {
            let a = t.call(method, path, token.as_deref(), Some(json!({}))).await;
            assert_eq!(a.status, 401, "{name} {method} {path}: {}", a.text);
        }
    }
    let a = t.call("GET", "/nowhere", Some(&t.admin()), None).await;
    assert_eq!((a.status, a.body.clone()), (404, json!({"message": "Not Found"})));
}

#[tokio::test]
async fn technicians_read_but_never_change() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    let tech = t.technician();
    for (method, path) in [
        ("GET", "/okta-orgs".to_string()),
        ("GET", format!("/okta-orgs/{org_id}")),
        ("GET", format!("/okta-orgs/{org_id}/groups")),
        ("GET", "/device-trust".to_string()),
    ] {
        assert_eq!(t.call(method, &path, Some(&tech), None).await.status, 200, "{method} {path}");
    }
    let body = json!({"domain": t.domain, "credentials": {"method": "client_secret_basic", "clientId": "x", "clientSecret": "y"}});
    for (method, path, body) in [
        ("POST", "/okta-orgs".to_string(), Some(body.clone())),
        ("PUT", format!("/okta-orgs/{org_id}/credentials"), Some(json!({"credentials": body["credentials"]}))),
        ("DELETE", format!("/okta-orgs/{org_id}"), None),
        ("PUT", "/device-trust".to_string(), Some(json!({"oktaOrgId": org_id}))),
        ("DELETE", "/device-trust".to_string(), None),
    ] {
        let a = t.call(method, &path, Some(&tech), body).await;
        assert_eq!(a.status, 403, "{method} {path}: {}", a.text);
        assert_eq!(a.body["error"]["code"], "forbidden");
    }
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&tech), None).await.body["version"], 1);
}

#[tokio::test]
async fn another_tenants_ids_answer_404_and_lists_are_separate() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    t.call("PUT", "/device-trust", Some(&t.admin()), Some(json!({"oktaOrgId": org_id}))).await;
    let other = t.stack.token("another-tenant", "admin");
    let rotate = json!({"credentials": {"method": "client_secret_basic", "clientId": "x", "clientSecret": "y"}});
    for (method, path, body) in [
        ("GET", format!("/okta-orgs/{org_id}"), None),
        ("GET", format!("/okta-orgs/{org_id}/groups"), None),
        ("PUT", format!("/okta-orgs/{org_id}/credentials"), Some(rotate)),
        ("DELETE", format!("/okta-orgs/{org_id}"), None),
    ] {
        let a = t.call(method, &path, Some(&other), body).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.text);
    }
    assert_eq!(t.call("GET", "/okta-orgs", Some(&other), None).await.body["count"], 0);
    assert_eq!(t.call("GET", "/device-trust", Some(&other), None).await.body["state"], "not_configured");
    let a = t.call("PUT", "/device-trust", Some(&other), Some(json!({"oktaOrgId": org_id}))).await;
    assert_eq!(a.status, 400, "another tenant's org cannot be chosen");
    // The owner still has it.
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&t.admin()), None).await.status, 200);
}

#[tokio::test]
async fn no_secret_value_in_any_response_or_log_line() {
    let t = TestStack::start().await;
    let mut bodies = String::new();
    let (org, secret) = t.connect().await;
    bodies.push_str(&org.to_string());
    let org_id = org["id"].as_str().unwrap();
    let client_id = org["clientId"].as_str().unwrap().to_string();
    let wrong = odt_tests::unique("wrong-secret-");
    for (m, p, b) in [
        ("GET", "/okta-orgs".to_string(), None),
        ("GET", format!("/okta-orgs/{org_id}"), None),
        ("GET", format!("/okta-orgs/{org_id}/groups"), None),
        (
            "PUT",
            format!("/okta-orgs/{org_id}/credentials"),
            Some(
                json!({"credentials": {"method": "client_secret_basic", "clientId": client_id, "clientSecret": wrong}}),
            ),
        ),
        (
            "PUT",
            format!("/okta-orgs/{org_id}/credentials"),
            Some(
                json!({"credentials": {"method": "client_secret_basic", "clientId": client_id, "clientSecret": secret}}),
            ),
        ),
    ] {
        bodies.push_str(&t.call(m, &p, Some(&t.admin()), b).await.text);
    }
    let logs = captured_logs();
    assert!(logs.contains(org_id), "the log capture works: it holds the org id");
    for value in [&secret, &wrong] {
        assert!(!bodies.contains(value.as_str()), "secret in a response");
        assert!(!logs.contains(value.as_str()), "secret in a log line");
    }
    // Access tokens the double issued are secrets too.
    for token in t.stack.okta.lock().tokens.keys() {
        assert!(!logs.contains(token.as_str()) && !bodies.contains(token.as_str()), "access token leaked");
    }
}
