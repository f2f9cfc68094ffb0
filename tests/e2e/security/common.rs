//! What the security tests share: a tenant set up end to end (so every route has state to corrupt or leak), raw
//! requests with any headers and bytes, and snapshots of everything stored (the whole table, every secret).

use aws_sdk_dynamodb::types::AttributeValue;
use odt_tests::{unique, Answer, TestStack};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A tenant with every part configured: an Okta org (the demo org's users and groups on the double), device
/// trust, the UEM (the demo fleet on the Hexnode double), all four platforms, the fleet, one reconciliation,
/// the hook secret, the technician list and an Okta Verify method. Deploy-trigger has followed the stream.
pub struct Ready {
    pub t: TestStack,
    pub org_id: String,
    pub hook_secret: String,
    pub technician_email: String,
    /// A device id this tenant has a record of.
    pub device_id: String,
}

/// Sets up [`Ready`].
pub async fn ready() -> Ready {
    let t = TestStack::start().await;
    odt_local::seed::seed_demo(&t.stack.okta);
    odt_local::seed::seed_demo_fleet(&t.stack.hexnode);
    let org = t.ready_fleet().await;
    let org_id = org["id"].as_str().expect("org id").to_string();
    let admin = t.admin();
    let ok = |a: &Answer, what: &str| assert!((200..300).contains(&a.status), "{what}: {}", a.text);
    let fleet = json!({"oktaGroupIds": ["00gSALES000000000001"], "uemDeviceGroupIds": ["501"]});
    ok(&t.call("PUT", "/fleet", Some(&admin), Some(fleet)).await, "PUT /fleet");
    ok(&t.call("POST", "/fleet/sync", Some(&admin), None).await, "POST /fleet/sync");
    let hook_secret = unique("hook-secret-");
    ok(&t.call("PUT", "/event-hook", Some(&admin), Some(json!({"secret": hook_secret}))).await, "PUT /event-hook");
    let technician_email = format!("{}@helpdesk.acme-demo.example", unique("tech-"));
    let techs = json!({"emails": [technician_email]});
    ok(&t.call("PUT", "/technicians", Some(&admin), Some(techs)).await, "PUT /technicians");
    let method = json!({"method": "managed_play"});
    ok(&t.call("PUT", "/okta-verify/android", Some(&admin), Some(method)).await, "PUT /okta-verify/android");
    t.stack.settle().await.expect("deploy-trigger follows the stream");
    ok(&t.call("POST", "/status/refresh", Some(&admin), None).await, "POST /status/refresh");
    let devices = t.stack.deps.store.list_devices(&t.tenant).await.expect("device records");
    let device_id = devices.iter().find(|d| d.in_scope).expect("an in-scope device").device_id.clone();
    Ready { t, org_id, hook_secret, technician_email, device_id }
}

/// Sends `body` as given, with exactly `headers` (no Authorization unless listed).
pub async fn send(
    t: &TestStack,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Answer {
    let http = reqwest::Client::new();
    let mut req = http.request(method.parse().expect("method"), format!("{}{path}", t.stack.base_url));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.expect("the front answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, body, text }
}

/// Every item of the stack's table (a Scan over all pages), each rendered with its attributes in key order,
/// sorted: equal snapshots mean no item was added, removed or changed in any attribute. Left out: the UEM call
/// counters (`UEMCALLS#…`), which count requests the UEM really received (a key checked against the portal, a
/// technician's fleet preview): the UEM's budget, not a change a request made (`tests/e2e/api/pacing.rs` checks
/// they equal what the UEM received).
pub async fn table_snapshot(t: &TestStack) -> Vec<String> {
    table_snapshot_except(t, &[]).await
}

/// [`table_snapshot`], also leaving out the items whose sort key starts with one of `budgets` (counters of a
/// budget that requests allowed to spend it legitimately draw from, such as the mail budget's `MAIL#`).
pub async fn table_snapshot_except(t: &TestStack, budgets: &[&str]) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(&odt_shared::aws::load_config().await);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = ddb
            .scan()
            .table_name(t.stack.deps.store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("Scan");
        for item in out.items() {
            let sk = item.get("sk").and_then(|k| k.as_s().ok());
            if sk.is_some_and(|k| k.starts_with("UEMCALLS#") || budgets.iter().any(|b| k.starts_with(b))) {
                continue;
            }
            items.push(render(&AttributeValue::M(item.clone())));
        }
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    items.sort();
    items
}

/// An attribute value as text with map keys sorted at every depth (the SDK's maps have no order) and sets
/// sorted, so equal renderings mean equal values.
fn render(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => {
            let sorted: BTreeMap<&String, String> = m.iter().map(|(k, v)| (k, render(v))).collect();
            format!("M{sorted:?}")
        }
        AttributeValue::L(l) => format!("L{:?}", l.iter().map(render).collect::<Vec<_>>()),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            format!("{s:?}")
        }
        other => format!("{other:?}"),
    }
}

/// Every secret under the stack's prefix (all tenants): name, deletion date and version ids with their stages.
pub async fn secrets_snapshot(t: &TestStack) -> Vec<String> {
    let sm = aws_sdk_secretsmanager::Client::new(&odt_shared::aws::load_config().await);
    let prefix = format!("{}/", t.stack.deps.secrets.name("", &[]).trim_end_matches('/'));
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let page =
            sm.list_secrets().include_planned_deletion(true).set_next_token(next).send().await.expect("ListSecrets");
        for s in page.secret_list() {
            let name = s.name().unwrap_or_default();
            if !name.starts_with(&prefix) {
                continue;
            }
            let versions: BTreeMap<_, _> =
                s.secret_versions_to_stages().cloned().unwrap_or_default().into_iter().collect();
            out.push(format!("{name} deleted={:?} {versions:?}", s.deleted_date()));
        }
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    out.sort();
    out
}

/// Every secret value stored for `tenant` under the stack's prefix, every version (`AWSCURRENT` and older
/// ones; secrets scheduled for deletion cannot be read and are skipped).
pub async fn stored_secret_values(t: &TestStack, tenant: &str) -> Vec<String> {
    let sm = aws_sdk_secretsmanager::Client::new(&odt_shared::aws::load_config().await);
    let prefix = t.stack.deps.secrets.name(tenant, &[]);
    let mut values = Vec::new();
    let mut next = None;
    loop {
        let page = sm.list_secrets().set_next_token(next).send().await.expect("ListSecrets");
        for s in page.secret_list() {
            let name = s.name().unwrap_or_default();
            if !name.starts_with(&prefix) {
                continue;
            }
            let ids = sm
                .list_secret_version_ids()
                .secret_id(name)
                .include_deprecated(true)
                .send()
                .await
                .expect("ListSecretVersionIds");
            for v in ids.versions() {
                let got = sm.get_secret_value().secret_id(name).set_version_id(v.version_id().map(str::to_string));
                if let Some(value) = got.send().await.ok().and_then(|o| o.secret_string) {
                    values.push(value);
                }
            }
        }
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    values
}

/// Whether an answer is the JSON error the API promises: `{"error": {"code", "message", ...}}` with a
/// non-empty code and message.
pub fn is_error_json(a: &Answer) -> bool {
    let e = &a.body["error"];
    e["code"].as_str().is_some_and(|c| !c.is_empty()) && e["message"].as_str().is_some_and(|m| !m.is_empty())
}

/// The operations of the committed OpenAPI document: `(METHOD, path template, operation)`.
pub fn operations() -> Vec<(String, String, Value)> {
    let doc: Value = serde_json::from_str(include_str!("../../../openapi.json")).expect("openapi.json is JSON");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                ops.push((method.to_ascii_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    assert!(ops.len() >= 30, "the document lists the routes: {}", ops.len());
    ops
}
