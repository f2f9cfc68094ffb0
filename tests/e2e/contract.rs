//! The Okta contract test: every request the Okta client sends and every response the Okta double returns is
//! checked against Okta's official OpenAPI description (`tests/fixtures/okta-spec/management.yaml` and
//! `oauth.yaml`, copied from `../shared/okta/spec/`) by Stoplight Prism proxies (`prism proxy --errors`, installed
//! by `scripts/services.sh install`) standing between the product and the double:
//!
//! Okta client → (test route of the org host) → path router → `/oauth2/…`: Prism on `oauth.yaml`, everything
//! else: Prism on `management.yaml` → the Okta double.
//!
//! Any `sl-violations` header or answer Prism made itself fails the test, which prints each one. The traffic is the
//! README's demo walkthrough (local/src/demo.rs) plus a private_key_jwt connect, a credential rotation and a
//! paged group search. Okta operations covered (operationId in the spec):
//!
//! - `token` (`POST /oauth2/v1/token`, oauth.yaml): client_credentials with client_secret_basic and with
//!   private_key_jwt (`client_assertion`);
//! - `listGroups` (`GET /api/v1/groups`): the connect probe (`limit=1`), every group over several pages, the
//!   name search (`search=profile.name sw "…"`) over several pages;
//! - `listGroupUsers` (`GET /api/v1/groups/{groupId}/users`): fleet preview and sync;
//! - `listUsers` (`GET /api/v1/users`): fleet preview and sync, all users and `search=status eq "DEPROVISIONED"`;
//! - `listDevices` (`GET /api/v1/devices?expand=user`): `POST /status/refresh`;
//! - `getUser` (`GET /api/v1/users/{id}`): applying a `user.account.update_profile` hook event;
//! - the Policies API, in the walkthrough's access policy rule step (`okta.policies.read`): `listPolicies`
//!   (`GET /api/v1/policies?type=ACCESS_POLICY`), `getPolicy`, `listPolicyMappings`, `listPolicyRules`,
//!   `getPolicyRule`, `createPolicySimulation` (`POST /api/v1/policies/simulate`); and (`okta.policies.manage`)
//!   `createPolicyRule` (`?activate=false`), `activatePolicyRule`, `deactivatePolicyRule`, `deletePolicyRule`.
//! - the Event Hooks API (issue 21): `createEventHook` (`POST /api/v1/eventHooks`), `getEventHook`,
//!   `verifyEventHook`, `activateEventHook`, `deactivateEventHook` (`POST …/{id}/lifecycle/{action}`),
//!   `replaceEventHook` (`PUT`, the secret rotated) and `deleteEventHook` (`DELETE`);
//! - the Device Assurance Policies API: `createDeviceAssurancePolicy` (`POST /api/v1/device-assurances`),
//!   `getDeviceAssurancePolicy`, `replaceDeviceAssurancePolicy` (`PUT`) and `deleteDeviceAssurancePolicy`
//!   (`DELETE`), for each of the four platforms.
//!
//! The product makes no other Okta call (event hook verification is Okta calling the product). The test ends by
//! proving the chain can fail: a group of a type the spec does not allow, and a request with a non-integer `limit`,
//! must each be reported.
//!
//! Run: `bash scripts/services.sh start NAME; set -a; source .local/run/NAME/env; set +a;
//! cargo test -p odt-tests --test contract`.

mod contract {
    pub mod chain;
    pub mod discriminator;
}

use contract::chain::{Chain, Finding};
use odt_local::demo::walkthrough;
use odt_local::seed::{seed_demo, DEMO_DOMAIN};
use odt_local::stack::StackConfig;
use odt_tests::{connect_body, unique, TestStack, ALL_SCOPES};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// Allowed mismatches, each a (method, path prefix, text in the report, reason): none. Add one only for
/// something real Okta does that its spec gets wrong, documented elsewhere.
const ALLOWED: [(&str, &str, &str, &str); 0] = [];

fn unexpected(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| {
            !ALLOWED
                .iter()
                .any(|(m, p, r, _)| f.method == *m && f.path_and_query.starts_with(p) && f.report.contains(r))
        })
        .collect()
}

/// The findings, one line per exchange, each violation once per location pattern (list indices as `*`).
fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} → {}: {}", f.method, f.path_and_query, f.status, summarize(&f.report)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prism's violation list (`[{location, code, message}]`, in `sl-violations` or a problem answer's `validation`)
/// as distinct `location (code)` entries; the report itself when it holds no such list.
fn summarize(report: &str) -> String {
    let list = report.find(['[', '{']).and_then(|i| {
        let v: serde_json::Value = serde_json::from_str(&report[i..]).ok()?;
        let list = if v.is_array() { v } else { v.get("validation")?.clone() };
        list.as_array().cloned()
    });
    let Some(list) = list else { return report.chars().take(600).collect() };
    let distinct: std::collections::BTreeSet<String> = list
        .iter()
        .map(|v| {
            let loc: Vec<String> = v["location"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|s| match s.as_str() {
                            Some(t) if t.chars().all(|c| c.is_ascii_digit()) => "*".to_string(),
                            Some(t) => t.to_string(),
                            None => s.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} ({}: {})",
                loc.join("."),
                v["code"].as_str().unwrap_or("?"),
                v["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    distinct.into_iter().collect::<Vec<_>>().join("; ")
}

/// Whether `path` matches `pattern`, where a `*` segment stands for one id.
fn same_path(path: &str, pattern: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (path.split('/').collect(), pattern.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *y == "*" || x == y)
}

/// For the stack's own tenant: device trust with every scope and platform, the hook registered, found inactive
/// (an admin deactivated it in Okta) and registered again (activated), Okta's view read, the assurance policies
/// created, one with an older rule replaced, and everything removed with device trust.
async fn okta_side_traffic(t: &TestStack) {
    let (client, secret) = t.oin_client(&ALL_SCOPES);
    let a = t.call("POST", "/okta-orgs", Some(&t.admin()), Some(connect_body(DEMO_DOMAIN, &client, &secret))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let a = t.call("PUT", "/device-trust", Some(&t.admin()), Some(json!({"oktaOrgId": a.body["id"]}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.enable_all_platforms(DEMO_DOMAIN).await;
    let a = t.call("POST", "/event-hook/register", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.body["okta"]["id"].as_str().expect("hook id").to_string();
    {
        let mut s = t.stack.okta.lock();
        let mut h = s.event_hook(&id).cloned().expect("the hook");
        h["status"] = json!("INACTIVE");
        s.put_event_hook(h);
    }
    let a = t.call("POST", "/event-hook/register", Some(&t.admin()), None).await;
    assert_eq!((a.status, &a.body["okta"]["status"]), (200, &json!("ACTIVE")), "{}", a.text);
    let a = t.call("GET", "/event-hook", Some(&t.admin()), None).await;
    assert_eq!(a.body["okta"]["verificationStatus"], "VERIFIED", "{}", a.text);
    let a = t.call("POST", "/device-assurance/sync", Some(&t.admin()), None).await;
    let created = a.body["platforms"].as_array().into_iter().flatten().filter(|o| o["outcome"] == "created").count();
    assert_eq!(created, 4, "one policy for each platform: {}", a.text);
    let mut rec = t.stack.deps.store.list_assurances(&t.tenant).await.expect("records").remove(0);
    rec.body_hash = "written-by-an-older-rule".into();
    rec.version += 1;
    t.stack.deps.store.put_assurance(&rec, Some(rec.version - 1)).await.expect("record");
    let a = t.call("POST", "/device-assurance/sync", Some(&t.admin()), None).await;
    assert!(a.text.contains("\"updated\""), "{}", a.text);
    let a = t.call("GET", "/device-assurance", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert!(t.stack.okta.device_assurances().is_empty() && t.stack.okta.event_hooks().is_empty(), "{}", a.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_traffic_matches_okta_openapi_description() {
    std::env::set_var("ODT_EXPORTS_DIR", std::env::temp_dir().join(unique("odt-contract-exports-")));
    let slot: Arc<Mutex<Option<Chain>>> = Arc::default();
    let put = slot.clone();
    let t = TestStack::start_with(move |c: &mut StackConfig| {
        c.okta_domain = DEMO_DOMAIN.into();
        c.table = unique("odt-contract-");
        c.okta_front = Some(Arc::new(move |double| {
            let put = put.clone();
            Box::pin(async move {
                let chain = Chain::start(double).await?;
                let addr = chain.addr;
                *put.lock().expect("chain slot") = Some(chain);
                Ok(addr)
            })
        }));
    })
    .await;
    let chain = slot.lock().expect("chain slot").take().expect("the stack started the chain");

    // The demo walkthrough: client_secret_basic connect, every group (2 pages), a group search, fleet preview and
    // sync, deployment, event hooks, status refresh (devices with their users).
    let org = seed_demo(&t.stack.okta);
    odt_local::seed::seed_demo_fleet(&t.stack.hexnode);
    let mut out = Vec::new();
    let outcome = walkthrough(&t.stack, &org, &mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let findings = unexpected(chain.findings());
    assert!(
        findings.is_empty(),
        "Okta spec mismatches in the walkthrough (Prism logs: {:?}):\n{}\n\n{text}",
        chain.logs,
        show(&findings)
    );
    let outcome = outcome.unwrap_or_else(|e| panic!("walkthrough: {e:#}\n{text}"));
    assert_eq!((outcome.groups, outcome.okta_group_pages), (230, 2), "{text}");
    assert_eq!(outcome.first_sync_written, 366, "{text}");
    assert_eq!(outcome.status_summary["devices"], 366, "{text}");

    // Okta's side beyond the walkthrough: a hook found inactive is activated again, and a policy whose rule
    // changed is replaced.
    okta_side_traffic(&t).await;

    // Another tenant: private_key_jwt (RSA, with kid), then rotation to client_secret_basic.
    let tenant = unique("tenant-");
    let admin = t.stack.token(&tenant, "admin");
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let key_client = unique("0oa");
    t.stack.okta.add_key_client(&key_client, &[("kid-1", &kp.public_key_pem())], &ALL_SCOPES);
    let creds = json!({"method": "private_key_jwt", "clientId": key_client, "privateKey": kp.serialize_pem(), "keyId": "kid-1"});
    let a =
        t.call("POST", "/okta-orgs", Some(&admin), Some(json!({"domain": DEMO_DOMAIN, "credentials": creds}))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let org_id = a.body["id"].as_str().expect("org id").to_string();
    let (secret_client, secret) = (unique("0oa"), unique("secret-"));
    t.stack.okta.add_secret_client(&secret_client, &secret, &ALL_SCOPES);
    let rotate =
        json!({"credentials": {"method": "client_secret_basic", "clientId": secret_client, "clientSecret": secret}});
    let a = t.call("PUT", &format!("/okta-orgs/{org_id}/credentials"), Some(&admin), Some(rotate)).await;
    assert_eq!(a.status, 200, "{}", a.text);

    // A group search over several pages (the double serves at most 5 a page here).
    for i in 0..12 {
        t.stack.okta.add_group(&format!("00gCONTRACT{i:09}"), &format!("Contract Group {i:02}"));
    }
    t.stack.okta.lock().max_page = 5;
    let before = t.stack.okta.requests_to("/api/v1/groups?").len();
    let a = t.call("GET", &format!("/okta-orgs/{org_id}/groups?q=Contract%20Group"), Some(&admin), None).await;
    t.stack.okta.lock().max_page = 200;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["count"], 12, "{}", a.text);
    assert!(t.stack.okta.requests_to("/api/v1/groups?").len() - before >= 3, "three pages of search results");

    // Error answers the spec declares: the token endpoint's 401 invalid_client and 400 invalid_scope, a list's 403
    // E0000006 and 429 E0000047 (retried after the reset, which is now).
    let wrong = json!({"domain": DEMO_DOMAIN, "credentials": {"method": "client_secret_basic", "clientId": secret_client, "clientSecret": "not-the-secret"}});
    let a = t.call("POST", "/okta-orgs", Some(&t.stack.token(&unique("tenant-"), "admin")), Some(wrong)).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let (narrow_client, narrow_secret) = (unique("0oa"), unique("secret-"));
    t.stack.okta.add_secret_client(&narrow_client, &narrow_secret, &["okta.groups.read"]);
    let narrow = json!({"domain": DEMO_DOMAIN, "credentials": {"method": "client_secret_basic", "clientId": narrow_client, "clientSecret": narrow_secret}});
    let a = t.call("POST", "/okta-orgs", Some(&t.stack.token(&unique("tenant-"), "admin")), Some(narrow)).await;
    assert_eq!(a.status, 400, "{}", a.text);
    t.stack.okta.lock().failures.push_back(403);
    let a = t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&admin), None).await;
    assert!(a.status >= 400, "{}", a.text);
    let reset = time::OffsetDateTime::now_utc().unix_timestamp();
    t.stack.okta.lock().rate_limited.push_back(reset);
    let a = t.call("GET", &format!("/okta-orgs/{org_id}/groups?q=Contract%20Group"), Some(&admin), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let statuses: Vec<u16> = chain.exchanges().iter().map(|e| e.status).collect();
    for s in [400, 401, 403, 429] {
        assert!(statuses.contains(&s), "no {s} answer went through the chain");
    }

    let findings = unexpected(chain.findings());
    assert!(findings.is_empty(), "Okta spec mismatches:\n{}", show(&findings));
    // Every operation the doc comment lists went through the chain and was answered 200.
    let exchanges = chain.exchanges();
    for (method, path) in [
        ("POST", "/oauth2/v1/token"),
        ("GET", "/api/v1/groups"),
        ("GET", "/api/v1/groups/00gSALES000000000001/users"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/devices"),
        ("GET", "/api/v1/users/00uUSER0000000000020"),
        ("GET", "/api/v1/policies"),
        ("GET", "/api/v1/policies/rstDEMOSALESFORCE001"),
        ("GET", "/api/v1/policies/rstDEMOSALESFORCE001/mappings"),
        ("GET", "/api/v1/policies/rstDEMOSALESFORCE001/rules"),
        ("POST", "/api/v1/policies/rstDEMOSALESFORCE001/rules"),
        ("POST", "/api/v1/policies/simulate"),
        ("POST", "/api/v1/eventHooks"),
        ("GET", "/api/v1/eventHooks/*"),
        ("PUT", "/api/v1/eventHooks/*"),
        ("POST", "/api/v1/eventHooks/*/lifecycle/verify"),
        ("POST", "/api/v1/eventHooks/*/lifecycle/activate"),
        ("POST", "/api/v1/eventHooks/*/lifecycle/deactivate"),
        ("DELETE", "/api/v1/eventHooks/*"),
        ("POST", "/api/v1/device-assurances"),
        ("GET", "/api/v1/device-assurances/*"),
        ("PUT", "/api/v1/device-assurances/*"),
        ("DELETE", "/api/v1/device-assurances/*"),
    ] {
        assert!(
            exchanges.iter().any(|e| e.method == method && same_path(&e.path, path) && (200..300).contains(&e.status)),
            "{method} {path} never went through the chain"
        );
    }
    // The rule operations, on the rules the walkthrough created (their ids vary): read, activate, deactivate
    // (204), delete (204).
    let rule_ops = [
        ("GET", "", 200),
        ("POST", "/lifecycle/activate", 204),
        ("POST", "/lifecycle/deactivate", 204),
        ("DELETE", "", 204),
    ];
    for (method, tail, status) in rule_ops {
        let on_a_rule = |e: &contract::chain::Exchange| {
            let rest = e.path.strip_prefix("/api/v1/policies/rstDEMOSALESFORCE001/rules/").unwrap_or("");
            let (rule, after) = rest.split_once('/').map_or((rest, ""), |(r, a)| (r, a));
            e.method == method && e.status == status && !rule.is_empty() && after == tail.trim_start_matches('/')
        };
        assert!(exchanges.iter().any(on_a_rule), "{method} a rule{tail} never went through the chain");
    }
    assert!(!t.stack.okta.requests_to("/api/v1/devices?expand=user").is_empty());

    // The chain can fail: a response the spec forbids (a group type outside GroupType's enum)…
    {
        let mut s = t.stack.okta.lock();
        let g = s.groups.iter_mut().find(|g| g["id"] == "00gCONTRACT000000000").expect("group");
        g["type"] = json!("NOT_A_GROUP_TYPE");
    }
    let _ = t.call("GET", &format!("/okta-orgs/{org_id}/groups?q=Contract%20Group"), Some(&admin), None).await;
    let found = chain.findings();
    assert!(
        found.iter().any(|f| f.path_and_query.starts_with("/api/v1/groups?") && f.report.contains("type")),
        "a group type outside the enum was not reported: {}",
        show(&found)
    );
    chain.clear_findings();
    // …and a request the spec forbids (`limit` must be an integer).
    let token = {
        let s = t.stack.okta.lock();
        s.tokens.keys().next().cloned().expect("a token was issued")
    };
    let r = reqwest::Client::new()
        .get(format!("http://{}/api/v1/groups?limit=many", chain.addr))
        .bearer_auth(token)
        .header("accept", "application/json")
        .send()
        .await
        .expect("chain answers");
    assert_eq!(r.status().as_u16(), 422, "Prism refuses the request");
    let found = chain.findings();
    assert!(
        found.iter().any(|f| f.path_and_query == "/api/v1/groups?limit=many" && f.report.contains("limit")),
        "a non-integer limit was not reported: {}",
        show(&found)
    );
    assert_eq!(
        t.stack.okta.requests_to("/api/v1/groups?limit=many").len(),
        0,
        "a refused request never reaches the double"
    );
    // …and, through the discriminated device assurance platforms, an iOS policy whose OS minimum is no string.
    chain.clear_findings();
    let bad = t.stack.okta.add_device_assurance(&json!({"name": "x", "platform": "IOS", "osVersion": {"minimum": 16}}));
    let token = {
        let s = t.stack.okta.lock();
        let read = s.tokens.iter().find(|(_, scopes)| scopes.iter().any(|x| x == "okta.deviceAssurance.manage"));
        read.map(|(t, _)| t.clone()).expect("a token with the device assurance scope")
    };
    let path = format!("/api/v1/device-assurances/{bad}");
    let r = reqwest::Client::new()
        .get(format!("http://{}{path}", chain.addr))
        .bearer_auth(token)
        .header("accept", "application/json")
        .send()
        .await
        .expect("chain answers");
    let found = chain.findings();
    assert!(
        found.iter().any(|f| f.path_and_query == path && f.report.contains("minimum")),
        "an iOS OS minimum that is no string was not reported ({}): {}",
        r.status(),
        show(&found)
    );
}
