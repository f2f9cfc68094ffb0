//! Isolation on every route of the OpenAPI document (iterated, so a new route is covered or the test fails):
//! tokens that are missing, expired, wrongly signed, for another audience or issuer answer 401 on every JWT
//! route; a technician gets 403 on every admin route and changes nothing; another tenant's admin gets 404 for
//! this tenant's ids and, on collection routes, only its own (empty) view, never this tenant's data.

use super::common::{is_error_json, operations, ready, send, table_snapshot, table_snapshot_except, Ready};
use odt_tests::Answer;
use serde_json::{json, Value};

/// Write routes a technician may call (no 403 in the document): reading evidence, exports, and the preview,
/// which writes nothing. Any other write route must document 403.
const TECHNICIAN_WRITES: [(&str, &str); 4] = [
    ("POST", "/fleet/preview"),
    ("POST", "/status/refresh"),
    ("POST", "/status/exports"),
    ("POST", "/status/exports/share"),
];

/// How a route answers another tenant's admin.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Other {
    /// The path names this tenant's record: 404.
    NotFound,
    /// A collection or the tenant's singleton: the other tenant's own view (any non-5xx answer), never this
    /// tenant's data.
    OwnView,
    /// Not a JWT route (the hook): covered by its own cases.
    NoJwt,
}

/// The case for one operation of the document: the concrete path, a valid body, and the other-tenant
/// expectation. `None`: the route has no case yet (the test fails, naming it).
fn case(r: &Ready, method: &str, template: &str) -> Option<(String, Option<Value>, Other)> {
    let path = template
        .replace("{orgId}", &r.org_id)
        .replace("{platform}", "ios")
        .replace("{deviceId}", &r.device_id)
        .replace("{tenant}", &r.t.tenant);
    let creds = json!({"method": "client_secret_basic", "clientId": "0oaISOLATION", "clientSecret": "not-the-secret"});
    let selection = json!({"oktaGroupIds": ["00gSALES000000000001"], "uemDeviceGroupIds": ["501"]});
    let (body, other) = match (method, template) {
        ("GET", "/okta-orgs/{orgId}") | ("DELETE", "/okta-orgs/{orgId}") | ("GET", "/okta-orgs/{orgId}/groups") => {
            (None, Other::NotFound)
        }
        ("PUT", "/okta-orgs/{orgId}/credentials") => (Some(json!({"credentials": creds})), Other::NotFound),
        ("PUT", "/okta-orgs/{orgId}/custom-domain") => {
            (Some(json!({"customDomain": "login.other-tenant.example"})), Other::NotFound)
        }
        ("GET", "/deployments/devices/{deviceId}") => (None, Other::NotFound),
        ("GET" | "POST", "/hooks/okta/{tenant}") => (None, Other::NoJwt),
        ("POST", "/okta-orgs") => (Some(json!({"domain": r.t.domain, "credentials": creds})), Other::OwnView),
        ("PUT", "/device-trust") => (Some(json!({"oktaOrgId": r.org_id})), Other::OwnView),
        ("PUT", "/uem") => (
            Some(json!({"portalUrl": format!("https://{}", r.t.stack.hexnode_portal), "apiKey": "not-the-key"})),
            Other::OwnView,
        ),
        ("PUT", "/fleet") | ("POST", "/fleet/preview") => (Some(selection), Other::OwnView),
        ("PUT", "/event-hook") => (Some(json!({"secret": "another-tenants-hook-secret"})), Other::OwnView),
        ("PUT", "/okta-verify/{platform}") => {
            (Some(json!({"method": "vpp", "appId": "701", "locationToken": "Acme VPP", "licenses": 5})), Other::OwnView)
        }
        ("PUT", "/platforms/{platform}") => (Some(json!({"secretKey": "isolation-key"})), Other::OwnView),
        ("PUT", "/platforms/{platform}/enabled") => (Some(json!({"enabled": false})), Other::OwnView),
        ("POST", "/status/exports") => (Some(json!({"format": "csv"})), Other::OwnView),
        ("POST", "/status/exports/share") => {
            (Some(json!({"format": "csv", "emails": [r.technician_email]})), Other::OwnView)
        }
        ("PUT", "/access-policy-rules") | ("POST", "/access-policy-rules/preview") => {
            (Some(json!({"policyIds": ["rstISOLATION00000001"]})), Other::OwnView)
        }
        ("GET", "/access-policies" | "/access-policy-rules")
        | ("DELETE", "/access-policy-rules")
        | ("POST", "/access-policy-rules/activate") => (None, Other::OwnView),
        ("PUT", "/technicians") => (Some(json!({"emails": ["someone@other-tenant.example"]})), Other::OwnView),
        ("GET", "/okta-orgs" | "/device-trust" | "/uem" | "/fleet" | "/event-hook" | "/okta-verify" | "/platforms")
        | ("GET", "/platforms/{platform}" | "/platforms/{platform}/payload" | "/uem/apps" | "/deployments")
        | ("GET", "/uem/device-groups" | "/device-assurance")
        | ("POST", "/device-assurance/sync" | "/event-hook/register" | "/event-hook/rotate")
        | ("GET", "/status" | "/status/devices" | "/technicians")
        | ("DELETE", "/device-trust")
        | ("POST", "/fleet/sync" | "/deployments/run" | "/status/refresh" | "/event-hook/redrive") => {
            (None, Other::OwnView)
        }
        _ => return None,
    };
    Some((path, body, other))
}

async fn call(r: &Ready, method: &str, path: &str, token: Option<&str>, body: &Option<Value>) -> Answer {
    let mut headers = vec![("content-type", "application/json".to_string())];
    if let Some(t) = token {
        headers.push(("authorization", format!("Bearer {t}")));
    }
    send(&r.t, method, path, &headers, body.as_ref().map(|b| serde_json::to_vec(b).expect("JSON"))).await
}

/// This tenant's items only (a Query on its partition), sorted.
async fn tenant_items(r: &Ready) -> Vec<String> {
    let tenant_pk = format!("T#{}", r.t.tenant);
    let pk = format!("{:?}: {:?}", "pk", format!("S({tenant_pk:?})"));
    table_snapshot(&r.t).await.into_iter().filter(|i| i.contains(&pk)).collect()
}

#[tokio::test]
async fn every_route_refuses_bad_tokens_technician_writes_and_other_tenants() {
    let r = ready().await;
    let t = &r.t;
    let ops = operations();
    let mut missing = Vec::new();
    let mut cases = Vec::new();
    for (method, template, op) in &ops {
        match case(&r, method, template) {
            Some(c) => cases.push((method.clone(), template.clone(), op.clone(), c)),
            None => missing.push(format!("{method} {template}")),
        }
    }
    assert!(missing.is_empty(), "routes of openapi.json without an isolation case: {missing:?}");
    let jwt = |op: &Value| op["security"].as_array().is_some_and(|s| s.iter().any(|x| x.get("bearer").is_some()));

    // 1. Tokens: none, expired, wrongly signed, another audience, another issuer, not a JWT → 401 as API Gateway.
    let auth = &t.stack.authorizer;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |iss: &str, aud: &str, exp: i64| json!({"iss": iss, "aud": aud, "exp": exp, "iat": now - 60, "tenant_id": t.tenant, "role": "admin"});
    let stranger = odt_local::authorizer::LocalAuthorizer::generate().expect("key");
    let bad_tokens = [
        ("none", None),
        ("expired", Some(auth.sign(&claims(&auth.issuer, &auth.audience, now - 5)))),
        ("wrong signature", Some(stranger.sign(&claims(&auth.issuer, &auth.audience, now + 600)))),
        ("wrong audience", Some(auth.sign(&claims(&auth.issuer, "api://another-api", now + 600)))),
        ("wrong issuer", Some(auth.sign(&claims("https://issuer.elsewhere.example", &auth.audience, now + 600)))),
        ("not a JWT", Some("not.a.jwt".to_string())),
    ];
    // A technician may share an export: the mail budget's counters count what SES sent, left out here.
    let before = table_snapshot_except(t, &["MAIL#"]).await;
    let mut wrong = Vec::new();
    let mut counted = (0, 0, 0);
    for (method, template, op, (path, body, _)) in &cases {
        if !jwt(op) {
            continue;
        }
        for (name, token) in &bad_tokens {
            let a = call(&r, method, path, token.as_deref(), body).await;
            counted.0 += 1;
            if a.status != 401 || a.body != json!({"message": "Unauthorized"}) {
                wrong.push(format!("{name} token, {method} {template}: {} {}", a.status, a.text));
            }
        }
    }

    // 2. Technician: 403 on every admin route (documented with 403); other routes answer without 403.
    let tech = t.technician();
    for (method, template, op, (path, body, _)) in &cases {
        if !jwt(op) {
            continue;
        }
        let admin_route = op["responses"].get("403").is_some();
        if method != "GET" && !admin_route && !TECHNICIAN_WRITES.contains(&(method.as_str(), template.as_str())) {
            wrong.push(format!("{method} {template} changes state but documents no 403 for technicians"));
        }
        let a = call(&r, method, path, Some(&tech), body).await;
        counted.1 += 1;
        if a.status >= 500 {
            wrong.push(format!("technician {method} {template}: {} {}", a.status, a.text));
        } else if admin_route && (a.status != 403 || a.body["error"]["code"] != "forbidden") {
            wrong.push(format!("technician on admin route {method} {template}: {} {}", a.status, a.text));
        } else if !admin_route && a.status == 403 {
            wrong.push(format!("technician refused on a read route {method} {template}: {}", a.text));
        }
    }
    t.stack.settle().await.expect("stream settles");
    let after = table_snapshot_except(t, &["MAIL#"]).await;
    assert_eq!(before, after, "bad tokens and a technician changed nothing in the table");

    // 3. Another tenant's admin: 404 for this tenant's ids; elsewhere only its own view.
    let other_tenant = odt_tests::unique("other-tenant-");
    let other = t.stack.token(&other_tenant, "admin");
    let markers = [
        t.tenant.clone(),
        r.org_id.clone(),
        t.domain.clone(),
        t.stack.hexnode_portal.clone(),
        r.technician_email.clone(),
        "00gSALES000000000001".to_string(),
        "Corporate Laptops".to_string(),
        "user20@acme-demo.example".to_string(),
    ];
    let own_before = tenant_items(&r).await;
    for (method, template, op, (path, body, expect)) in &cases {
        if !jwt(op) || *expect == Other::NoJwt {
            continue;
        }
        let a = call(&r, method, path, Some(&other), body).await;
        counted.2 += 1;
        let sent = format!("{path} {}", body.as_ref().map(Value::to_string).unwrap_or_default());
        let leaked: Vec<&String> =
            markers.iter().filter(|m| a.text.contains(m.as_str()) && !sent.contains(m.as_str())).collect();
        if a.status >= 500 {
            wrong.push(format!("other tenant {method} {template}: {} {}", a.status, a.text));
        }
        if !leaked.is_empty() {
            wrong.push(format!("other tenant {method} {template} sees this tenant's {leaked:?}: {}", a.text));
        }
        if *expect == Other::NotFound && (a.status != 404 || !is_error_json(&a)) {
            wrong.push(format!("other tenant {method} {template}: expected 404, got {} {}", a.status, a.text));
        }
    }
    // The hook: each tenant's secret opens only its own path.
    let other_secret = odt_tests::unique("other-hook-secret-");
    let set = call(&r, "PUT", "/event-hook", Some(&other), &Some(json!({"secret": other_secret}))).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let delivery =
        serde_json::to_vec(&json!({"data": {"events": [{"uuid": uuid_like(), "published": "2026-11-29T10:00:00.000Z",
        "eventType": "group.user_membership.remove", "target": [{"id": "00uUSER0000000000020", "type": "User"},
        {"id": "00gSALES000000000001", "type": "UserGroup"}]}]}}))
        .expect("JSON");
    for (path, secret) in [
        (format!("/hooks/okta/{}", t.tenant), other_secret.clone()),
        (format!("/hooks/okta/{other_tenant}"), r.hook_secret.clone()),
    ] {
        let h = vec![("authorization", secret), ("content-type", "application/json".to_string())];
        let a = send(t, "POST", &path, &h, Some(delivery.clone())).await;
        if a.status != 401 || !is_error_json(&a) {
            wrong.push(format!("hook {path} with the other tenant's secret: {} {}", a.status, a.text));
        }
    }
    let h = vec![("x-okta-verification-challenge", "isolation-challenge".to_string())];
    let a = send(t, "GET", &format!("/hooks/okta/{}", t.tenant), &h, None).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"verification": "isolation-challenge"})), "only the echo");
    t.stack.settle().await.expect("stream settles");
    let own_after = tenant_items(&r).await;
    println!(
        "isolation: {} routes; {} bad-token calls, {} technician calls, {} other-tenant calls",
        cases.len(),
        counted.0,
        counted.1,
        counted.2
    );
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
    assert!(own_before.len() > 300, "this tenant has data to protect: {}", own_before.len());
    assert_eq!(own_before, own_after, "another tenant changed none of this tenant's items");
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().to_string()
}
