//! The walkthrough: what an admin does in the console, through the public API only, printed as a short
//! account with the numbers. Each step fails loudly with its name and cause.

use crate::seed::DemoOrg;
use crate::stack::Stack;
use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use std::io::Write;

/// The tenant the walkthrough acts for.
pub const DEMO_TENANT: &str = "demo-tenant";

/// What the walkthrough saw, for tests.
#[derive(Debug, Default)]
pub struct Outcome {
    pub org_id: String,
    /// Platforms switched on, with their payload hashes.
    pub platforms: Vec<(String, String)>,
    /// Devices in scope after the first reconciliation, and the records it wrote.
    pub in_scope: u64,
    pub first_sync_written: u64,
    /// Records the second reconciliation (nothing changed) wrote.
    pub second_sync_written: u64,
    /// Out-of-scope devices by reason after the first reconciliation.
    pub excluded: serde_json::Map<String, Value>,
    /// Whether the hook's membership remove took a device out and the newer add brought it back.
    pub hook_round_trip: bool,
    pub granted_scopes: Vec<String>,
    pub groups: usize,
    pub okta_group_pages: usize,
    pub device_trust_state: String,
    /// Per platform: (in scope, members of its managed group in the UEM) after the first deployment.
    pub deployed: Vec<(String, u64, usize)>,
    /// UEM calls the first deployment made (all platforms).
    pub deploy_uem_calls: usize,
    /// Whether every in-scope device carries exactly its platform's policy, and nothing else carries any.
    pub carries_exactly: bool,
    /// UEM writes the iOS secret key reset made (one policy update expected).
    pub reset_writes: Vec<String>,
    /// Members left in the Windows group after Windows was switched off.
    pub windows_left: usize,
    /// After deleting device trust: devices still carrying items, policies left in the UEM, device trust state.
    pub removal: (u64, usize, String),
    /// The status summary before device trust was deleted (`GET /status`).
    pub status_summary: Value,
    /// Where the CSV and PDF exports were written, with their device rows.
    pub exports: Vec<(std::path::PathBuf, u64)>,
}

/// Where the walkthrough writes its exports: `ODT_EXPORTS_DIR`, else `.local/demo-exports` under the working
/// directory.
pub fn exports_dir() -> std::path::PathBuf {
    std::env::var_os("ODT_EXPORTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(".local").join("demo-exports"))
}

/// The admin API as a console would call it: a base URL and a bearer token.
pub(crate) struct Api<'a> {
    pub(crate) http: reqwest::Client,
    pub(crate) base: &'a str,
    pub(crate) token: String,
}

impl Api<'_> {
    /// Sends one request; answers the status and the JSON body (`Null` when empty).
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let v =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!({ "raw": text })) };
        Ok((status, v))
    }

    /// Sends one request and fails unless the status is `want`.
    pub(crate) async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, v) = self.call(method.clone(), path, body).await?;
        if status != want {
            bail!("{method} {path} answered {status} (expected {want}): {v}");
        }
        Ok(v)
    }
}

macro_rules! step {
    ($out:expr, $n:expr, $name:expr, $body:expr) => {{
        #[allow(clippy::redundant_async_block)]
        let r: anyhow::Result<_> = async { $body }.await;
        match r {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!($out, "  ✗ step {} ({}) failed: {e:#}", $n, $name);
                return Err(anyhow!("step {} ({}) failed: {e:#}", $n, $name));
            }
        }
    }};
}

/// A self-signed CA standing in for Okta's intermediate CA (Security › Device integrations › Certificate
/// authority), made fresh for the run.
fn stand_in_ca() -> anyhow::Result<String> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Okta Device Trust Intermediate CA (local stand-in)");
    let key = rcgen::KeyPair::generate()?;
    Ok(params.self_signed(&key)?.pem())
}

/// Runs the walkthrough against a running stack whose Okta double holds `org`.
pub async fn walkthrough(stack: &Stack, org: &DemoOrg, out: &mut (dyn Write + Send)) -> anyhow::Result<Outcome> {
    let admin = Api { http: reqwest::Client::new(), base: &stack.base_url, token: stack.token(DEMO_TENANT, "admin") };
    let tech =
        Api { http: reqwest::Client::new(), base: &stack.base_url, token: stack.token(DEMO_TENANT, "technician") };
    let mut outcome = Outcome::default();

    writeln!(out, "[1] Connect the Okta org {} (Okta Integration Network app, client_secret_basic)", org.domain)?;
    let created = step!(out, 1, "connect Okta org", {
        admin
            .expect(
                reqwest::Method::POST,
                "/okta-orgs",
                Some(json!({
                    "domain": org.domain,
                    "credentials": {"method": "client_secret_basic", "clientId": org.client_id, "clientSecret": org.client_secret},
                })),
                201,
            )
            .await
    });
    outcome.org_id = created["id"].as_str().unwrap_or_default().to_string();
    outcome.granted_scopes = created["grantedScopes"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    writeln!(out, "    connected as {}; credentials verified with a token and one read call", outcome.org_id)?;
    writeln!(out, "    granted scopes: {}", outcome.granted_scopes.join(", "))?;
    writeln!(out, "    secret shown back: {} (the value itself is never returned)", created["secret"])?;

    writeln!(out, "[2] List the org's Okta user groups for fleet selection")?;
    let before = stack.okta.requests_to("/api/v1/groups?").len();
    let groups = step!(out, 2, "list Okta groups", {
        admin.expect(reqwest::Method::GET, &format!("/okta-orgs/{}/groups", outcome.org_id), None, 200).await
    });
    outcome.groups = groups["count"].as_u64().unwrap_or(0) as usize;
    outcome.okta_group_pages = stack.okta.requests_to("/api/v1/groups?").len() - before;
    let names: Vec<&str> = groups["items"]
        .as_array()
        .map(|a| a.iter().take(5).filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    writeln!(
        out,
        "    {} groups, read in {} Okta pages (Link: rel=\"next\" followed); first: {}",
        outcome.groups,
        outcome.okta_group_pages,
        names.join(", ")
    )?;
    if outcome.groups == 0 {
        writeln!(out, "  ✗ step 2 (list Okta groups) failed: no groups")?;
        bail!("step 2 (list Okta groups) failed: no groups");
    }

    writeln!(out, "[3] Search groups by name: \"Device\"")?;
    let found = step!(out, 3, "search Okta groups", {
        admin.expect(reqwest::Method::GET, &format!("/okta-orgs/{}/groups?q=Device", outcome.org_id), None, 200).await
    });
    let hits: Vec<String> = found["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|g| format!("{} ({})", g["name"].as_str().unwrap_or(""), g["id"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    writeln!(out, "    {} match: {}", hits.len(), hits.join(", "))?;

    writeln!(out, "[4] Enable device trust with this org")?;
    let dt = step!(out, 4, "choose device trust org", {
        admin.expect(reqwest::Method::PUT, "/device-trust", Some(json!({"oktaOrgId": outcome.org_id})), 200).await
    });
    outcome.device_trust_state = dt["state"].as_str().unwrap_or_default().to_string();
    writeln!(
        out,
        "    device trust: {} for {} (version {})",
        outcome.device_trust_state,
        dt["oktaDomain"].as_str().unwrap_or(""),
        dt["version"]
    )?;

    writeln!(out, "[5] Roles: a technician reads the overview but cannot change it")?;
    step!(out, 5, "technician role", {
        tech.expect(reqwest::Method::GET, "/device-trust", None, 200).await?;
        tech.expect(reqwest::Method::DELETE, "/device-trust", None, 403).await
    });
    writeln!(out, "    GET /device-trust → 200; DELETE /device-trust → 403")?;

    writeln!(out, "[6] The org cannot be disconnected while device trust uses it")?;
    let refused = step!(out, 6, "disconnect refused", {
        admin.expect(reqwest::Method::DELETE, &format!("/okta-orgs/{}", outcome.org_id), None, 409).await
    });
    writeln!(
        out,
        "    DELETE /okta-orgs/{} → 409 {}",
        outcome.org_id,
        refused["error"]["code"].as_str().unwrap_or("")
    )?;

    writeln!(out, "[7] Configure management attestation for iOS, Android, macOS and Windows, then switch each on")?;
    let ca_pem = step!(out, 7, "make a stand-in Okta CA", stand_in_ca());
    let secret = |p: &str| format!("okta-{p}-{}", uuid::Uuid::new_v4().simple());
    let scep_url = format!("https://{}/pki/ca/scep", org.domain);
    let subject = "CN={{user.email}} managementAttestation {{device.id}}";
    let bodies = [
        ("ios", json!({"secretKey": secret("ios")})),
        ("android", json!({"secretKey": secret("android")})),
        (
            "macos",
            json!({"scepUrl": scep_url, "challenge": {"type": "static", "secretKey": secret("macos")}, "subject": subject}),
        ),
        (
            "windows",
            json!({"scepUrl": scep_url, "challenge": {"type": "static", "secretKey": secret("windows")},
            "caCertificate": ca_pem, "subject": subject, "keySize": 2048}),
        ),
    ];
    for (p, body) in bodies {
        let saved = step!(out, 7, format!("configure {p}"), {
            admin.expect(reqwest::Method::PUT, &format!("/platforms/{p}"), Some(body), 200).await
        });
        step!(out, 7, format!("switch {p} on"), {
            admin
                .expect(reqwest::Method::PUT, &format!("/platforms/{p}/enabled"), Some(json!({"enabled": true})), 200)
                .await
        });
        let hash = saved["payloadHash"].as_str().unwrap_or_default().to_string();
        let ca = &saved["settings"]["caCertificate"];
        let extra = if ca.is_object() {
            format!("; CA thumbprint {}", ca["sha1Thumbprint"].as_str().unwrap_or(""))
        } else {
            String::new()
        };
        writeln!(out, "    {p:<8} enabled; payload {}…{extra}", &hash[..hash.len().min(12)])?;
        outcome.platforms.push((p.to_string(), hash));
    }
    let bad = step!(out, 7, "refuse a bad SCEP challenge", {
        admin
            .expect(
                reqwest::Method::PUT,
                "/platforms/windows",
                Some(json!({"scepUrl": scep_url, "challenge": {"type": "static", "secretKey": "Ab_12!xy"}, "subject": subject})),
                400,
            )
            .await
    });
    writeln!(
        out,
        "    a Windows challenge `Ab_12!xy` is refused at save: {}",
        bad["error"]["message"].as_str().unwrap_or("")
    )?;
    let win = step!(out, 7, "preview the Windows payload", {
        tech.expect(reqwest::Method::GET, "/platforms/windows/payload", None, 200).await
    });
    let doc = win["document"].as_str().unwrap_or_default();
    let nodes = doc.matches("<LocURI>./User/").count();
    writeln!(
        out,
        "    Windows SyncML: {nodes} nodes, all under ./User/ (none under ./Device/: {}); secrets shown as ********",
        !doc.contains("./Device/")
    )?;

    writeln!(out, "[8] Connect the UEM (Hexnode portal {}) with its API key", stack.hexnode_portal)?;
    let uem = step!(out, 8, "connect the UEM", {
        admin
            .expect(
                reqwest::Method::PUT,
                "/uem",
                Some(
                    json!({"portalUrl": format!("https://{}", stack.hexnode_portal), "apiKey": stack.hexnode_api_key}),
                ),
                200,
            )
            .await
    });
    writeln!(
        out,
        "    {}: key verified with one read call and stored in Secrets Manager ({})",
        uem["portal"].as_str().unwrap_or(""),
        uem["apiKey"]
    )?;

    writeln!(out, "[9] Preview the fleet: Okta group \"Sales\" + UEM device group \"Corporate Laptops\"")?;
    let selection = json!({"oktaGroupIds": ["00gSALES000000000001"], "uemDeviceGroupIds": [crate::seed::DEMO_LAPTOP_GROUP.to_string()]});
    let preview = step!(out, 9, "preview the fleet", {
        admin.expect(reqwest::Method::POST, "/fleet/preview", Some(selection.clone()), 200).await
    });
    writeln!(
        out,
        "    {} devices in the UEM; {} would be in scope; excluded by reason: {}",
        preview["devices"], preview["inScope"], preview["excluded"]
    )?;

    writeln!(out, "[10] Apply the fleet and reconcile")?;
    step!(out, 10, "apply the fleet", admin.expect(reqwest::Method::PUT, "/fleet", Some(selection), 200).await);
    let (okta_before, uem_before) = (stack.okta.lock().requests.len(), stack.hexnode.lock().requests.len());
    let first = step!(out, 10, "reconcile", admin.expect(reqwest::Method::POST, "/fleet/sync", None, 200).await);
    let (okta_calls, uem_calls) =
        (stack.okta.lock().requests.len() - okta_before, stack.hexnode.lock().requests.len() - uem_before);
    outcome.in_scope = first["inScope"].as_u64().unwrap_or(0);
    outcome.first_sync_written = first["written"].as_u64().unwrap_or(0);
    outcome.excluded = first["excluded"].as_object().cloned().unwrap_or_default();
    writeln!(
        out,
        "    {} devices in scope; {} records written; {okta_calls} Okta calls, {uem_calls} UEM calls",
        outcome.in_scope, outcome.first_sync_written
    )?;
    for (reason, n) in &outcome.excluded {
        writeln!(out, "      excluded, {reason}: {n}")?;
    }
    let second = step!(out, 10, "reconcile again", admin.expect(reqwest::Method::POST, "/fleet/sync", None, 200).await);
    outcome.second_sync_written = second["written"].as_u64().unwrap_or(u64::MAX);
    writeln!(out, "    reconciling again with nothing changed writes {} records", outcome.second_sync_written)?;
    if outcome.second_sync_written != 0 {
        bail!("step 10 (reconcile again) failed: {} records written with nothing changed", outcome.second_sync_written);
    }

    deploy(stack, &admin, &tech, out, &mut outcome).await?;

    writeln!(out, "[12] Okta event hooks: set the secret, verify, deliver the real samples and a membership change")?;
    let hook_secret = format!("hook-{}", uuid::Uuid::new_v4().simple());
    let hook = step!(out, 12, "set the hook secret", {
        admin.expect(reqwest::Method::PUT, "/event-hook", Some(json!({"secret": hook_secret})), 200).await
    });
    let hook_url = format!("{}{}", stack.base_url, hook["path"].as_str().unwrap_or_default());
    let http = reqwest::Client::new();
    let verification: Value = step!(out, 12, "verification", {
        let r = http.get(&hook_url).header("x-okta-verification-challenge", "demo-challenge").send().await?;
        anyhow::Ok(r.json().await?)
    });
    writeln!(out, "    GET {} → {verification}", hook["path"].as_str().unwrap_or_default())?;
    let deliver = |body: Vec<u8>| {
        let (http, url, secret) = (http.clone(), hook_url.clone(), hook_secret.clone());
        async move {
            let r = http
                .post(url)
                .header("authorization", secret)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if status != 200 {
                bail!("delivery answered {status}: {v}");
            }
            anyhow::Ok(v)
        }
    };
    for (name, bytes) in SAMPLES {
        let v = step!(out, 12, format!("deliver {name}"), deliver(bytes.to_vec()).await);
        let again = step!(out, 12, format!("deliver {name} again"), deliver(bytes.to_vec()).await);
        writeln!(
            out,
            "    {name}: {} event(s) received, {} kept to apply; sent again: {} duplicate(s), nothing changed",
            v["received"], v["accepted"], again["duplicates"]
        )?;
    }
    let device_of = |id: &str| {
        let (store, tenant, id) = (stack.deps.store.clone(), DEMO_TENANT.to_string(), id.to_string());
        async move {
            let all = store.list_devices(&tenant).await?;
            anyhow::Ok(all.into_iter().find(|d| d.device_id == id))
        }
    };
    let (user, group, device) = ("00uUSER0000000000020", "00gSALES000000000001", "10117");
    let envelope = |events: Vec<Value>| {
        serde_json::to_vec(&json!({"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
            "source": format!("https://{}/api/v1/eventHooks/whoDEMO", org.domain), "eventId": uuid::Uuid::new_v4().to_string(),
            "eventTime": "2026-11-29T10:00:05.000Z", "contentType": "application/json", "data": {"events": events}}))
        .unwrap_or_default()
    };
    let membership = |uuid: &str, kind: &str, published: &str| {
        json!({"uuid": uuid, "published": published, "eventType": format!("group.user_membership.{kind}"), "version": "0",
               "severity": "INFO", "displayMessage": format!("{kind} user to group membership"),
               "actor": {"id": "00uADMIN", "type": "User"},
               "target": [{"id": user, "type": "User", "alternateId": "user20@acme-demo.example", "displayName": "Demo User 20"},
                          {"id": group, "type": "UserGroup", "alternateId": "unknown", "displayName": "Sales"}]})
    };
    let before = step!(out, 12, "read the device", device_of(device).await);
    let batch = envelope(vec![
        membership(&uuid::Uuid::new_v4().to_string(), "remove", "2026-11-29T10:00:02.000Z"),
        membership(&uuid::Uuid::new_v4().to_string(), "add", "2026-11-29T10:00:01.000Z"),
    ]);
    step!(out, 12, "deliver remove + older add", deliver(batch).await);
    step!(out, 12, "let the hook's stream consumer apply it", stack.settle().await);
    let after = step!(out, 12, "read the device", device_of(device).await);
    let scope_of = |d: &Option<odt_shared::store::DeviceRecord>| match d {
        Some(d) if d.in_scope => "in scope".to_string(),
        Some(d) => format!(
            "out of scope ({})",
            d.exclusion
                .and_then(|e| serde_json::to_value(e).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        None => "unknown".to_string(),
    };
    writeln!(out, "    one delivery: remove user 20 from Sales (10:00:02) listed with an older add (10:00:01)")?;
    writeln!(out, "    device {device} (user 20's Android): {} → {}", scope_of(&before), scope_of(&after))?;
    if after.as_ref().is_none_or(|d| d.in_scope) {
        bail!("step 12 failed: the newer remove did not take the device out of scope");
    }
    step!(out, 12, "deliver a newer add", {
        deliver(envelope(vec![membership(&uuid::Uuid::new_v4().to_string(), "add", "2026-11-29T10:00:03.000Z")])).await
    });
    step!(out, 12, "let the hook's stream consumer apply it", stack.settle().await);
    let back = step!(out, 12, "read the device", device_of(device).await);
    writeln!(out, "    a newer add (10:00:03) → {}", scope_of(&back))?;
    outcome.hook_round_trip = after.is_some_and(|d| !d.in_scope) && back.is_some_and(|d| d.in_scope);
    step!(out, 12, "let deploy-trigger follow the hooks", stack.settle().await);
    let carried = stack.hexnode.device_carries(device.parse().unwrap_or_default()).len();
    writeln!(
        out,
        "    deploy-trigger followed the stream: device {device} carries {carried} policy (removed, then added back)"
    )?;

    later_steps(stack, &admin, &tech, out, &mut outcome).await?;
    Ok(outcome)
}

/// The platforms in the order the walkthrough shows them, with the managed group names deploy-trigger uses.
const PLATFORMS: [(&str, &str); 4] =
    [("ios", "iOS"), ("android", "Android"), ("macos", "macOS"), ("windows", "Windows")];

/// Step 11: the Okta Verify installation method per platform, then deploy-trigger deploys (through the table's
/// stream, as in AWS) and the devices carry their items on the Hexnode double.
async fn deploy(
    stack: &Stack,
    admin: &Api<'_>,
    tech: &Api<'_>,
    out: &mut (dyn Write + Send),
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    writeln!(out, "[11] Set how Okta Verify is installed on each platform; deploy-trigger deploys")?;
    let uem_before = stack.hexnode.lock().requests.len();
    let methods = [
        ("ios", json!({"method": "vpp", "appId": "701", "locationToken": "Acme Demo VPP", "licenses": 500})),
        ("macos", json!({"method": "vpp", "appId": "702", "locationToken": "Acme Demo VPP", "licenses": 500})),
        ("windows", json!({"method": "exe", "appId": "703"})),
        ("android", json!({"method": "managed_play"})),
    ];
    let refused = step!(out, 11, "refuse a method that does not fit", {
        admin
            .expect(reqwest::Method::PUT, "/okta-verify/ios", Some(json!({"method": "exe", "appId": "703"})), 400)
            .await
    });
    writeln!(out, "    iOS with an EXE is refused: {}", refused["error"]["message"].as_str().unwrap_or(""))?;
    for (p, body) in methods {
        let saved = step!(out, 11, format!("set the {p} method"), {
            admin.expect(reqwest::Method::PUT, &format!("/okta-verify/{p}"), Some(body), 200).await
        });
        writeln!(
            out,
            "    {p:<8} {} → app {} ({})",
            saved["method"].as_str().unwrap_or(""),
            saved["appId"].as_str().unwrap_or(""),
            saved["appName"].as_str().unwrap_or("")
        )?;
    }
    step!(out, 11, "let the stream deliver", stack.settle().await);
    outcome.deploy_uem_calls = stack.hexnode.lock().requests.len() - uem_before;
    let overview = step!(out, 11, "read the deployment overview", {
        tech.expect(reqwest::Method::GET, "/deployments", None, 200).await
    });
    let devices = step!(
        out,
        11,
        "read the device records",
        stack.deps.store.list_devices(DEMO_TENANT).await.map_err(anyhow::Error::from)
    );
    let mut exact = true;
    for (p, label) in PLATFORMS {
        let view = overview["platforms"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["platform"] == p))
            .cloned()
            .unwrap_or_default();
        let group = stack.hexnode.group_named(&format!("Okta Device Trust - {label}"));
        let members = group.as_ref().map_or(0, |g| g.members.len());
        let in_scope = view["inScope"].as_u64().unwrap_or(0);
        writeln!(
            out,
            "    {p:<8} {in_scope} in scope → {members} in the managed group; Okta Verify {}, payload {}",
            view["items"]["okta_verify"]["applied"].as_u64().unwrap_or(0),
            view["items"]["attestation"]["applied"].as_u64().unwrap_or(0),
        )?;
        outcome.deployed.push((p.to_string(), in_scope, members));
    }
    for d in &devices {
        let carried = stack.hexnode.device_carries(d.device_id.parse().unwrap_or_default());
        let want = usize::from(d.in_scope);
        exact &= carried.len() == want
            && carried.iter().all(|c| Some(c.platform.as_str()) == d.platform.map(|p| p.as_str()));
    }
    outcome.carries_exactly = exact;
    writeln!(
        out,
        "    {} UEM calls for the whole first deployment (one group, one policy, one membership change per platform, and reads); every in-scope device carries exactly its platform's items: {exact}",
        outcome.deploy_uem_calls
    )?;
    if !exact {
        bail!("step 11 (deploy) failed: a device carries items it should not, or lacks them");
    }
    Ok(())
}

/// Step 15: users enroll Okta Verify (Okta's device records appear, most managed), the evidence is read, the
/// status summary shown, the CSV and PDF exports written to [`exports_dir`] and shared with a technician.
async fn status_and_exports(
    stack: &Stack,
    admin: &Api<'_>,
    tech: &Api<'_>,
    out: &mut (dyn Write + Send),
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    writeln!(out, "[15] Device configuration status, from Okta's and the UEM's evidence; CSV and PDF exports")?;
    let devices = step!(
        out,
        15,
        "read the device records",
        stack.deps.store.list_devices(DEMO_TENANT).await.map_err(anyhow::Error::from)
    );
    let mut enrolled = 0;
    for (i, d) in devices.iter().filter(|d| d.in_scope).enumerate() {
        if i % 5 == 4 {
            continue; // not enrolled yet: delivered, but no managed device in Okta
        }
        let platform = d.platform.map(|p| p.as_str().to_ascii_uppercase()).unwrap_or_default();
        let status = if i % 7 == 3 { "NOT_MANAGED" } else { "MANAGED" };
        stack.okta.add_device(
            &format!("guo{}", d.device_id),
            &d.name,
            &platform,
            d.serial.as_deref(),
            d.udid.as_deref(),
            d.okta_user_id.as_deref(),
            Some(status),
        );
        enrolled += 1;
    }
    let r = step!(out, 15, "read the evidence", tech.expect(reqwest::Method::POST, "/status/refresh", None, 200).await);
    writeln!(
        out,
        "    {enrolled} devices enrolled Okta Verify; evidence read: {} Okta devices, {} matched to UEM devices",
        r["oktaDevices"], r["matched"]
    )?;
    let s = step!(out, 15, "read the summary", tech.expect(reqwest::Method::GET, "/status", None, 200).await);
    outcome.status_summary = s["summary"].clone();
    for (p, states) in s["summary"]["byPlatform"].as_object().cloned().unwrap_or_default() {
        writeln!(out, "    {p:<8} {states}")?;
    }
    let dir = exports_dir();
    step!(out, 15, "make the exports folder", std::fs::create_dir_all(&dir).map_err(anyhow::Error::from));
    let http = reqwest::Client::new();
    for format in ["csv", "pdf"] {
        let e = step!(out, 15, format!("export {format}"), {
            tech.expect(reqwest::Method::POST, "/status/exports", Some(json!({"format": format})), 200).await
        });
        let url = e["url"].as_str().unwrap_or_default().to_string();
        let bytes = step!(out, 15, format!("download the {format}"), {
            let r = http.get(&url).send().await?;
            if !r.status().is_success() {
                bail!("GET the presigned link answered {}", r.status());
            }
            anyhow::Ok(r.bytes().await?)
        });
        let path = dir.join(format!("device-status.{format}"));
        step!(out, 15, format!("write the {format}"), std::fs::write(&path, &bytes).map_err(anyhow::Error::from));
        let rows = e["rows"].as_u64().unwrap_or(0);
        writeln!(
            out,
            "    {format}: {rows} devices, {} bytes{} → {}",
            bytes.len(),
            e["pages"].as_u64().map(|p| format!(", {p} pages")).unwrap_or_default(),
            path.display()
        )?;
        outcome.exports.push((path, rows));
    }
    step!(out, 15, "keep the technician list", {
        admin
            .expect(reqwest::Method::PUT, "/technicians", Some(json!({"emails": ["helpdesk@acme-demo.example"]})), 200)
            .await
    });
    let refused = step!(out, 15, "refuse a non-technician", {
        tech.expect(
            reqwest::Method::POST,
            "/status/exports/share",
            Some(json!({"format": "pdf", "emails": ["someone@elsewhere.example"]})),
            400,
        )
        .await
    });
    let shared = step!(out, 15, "share with the helpdesk", {
        tech.expect(
            reqwest::Method::POST,
            "/status/exports/share",
            Some(json!({"format": "pdf", "emails": ["helpdesk@acme-demo.example"]})),
            200,
        )
        .await
    });
    writeln!(
        out,
        "    mailed the PDF link to {} (SES message {}); someone@elsewhere.example refused: {}",
        shared["sentTo"][0].as_str().unwrap_or(""),
        shared["messages"][0]["messageId"].as_str().unwrap_or(""),
        refused["error"]["message"].as_str().unwrap_or("")
    )?;
    Ok(())
}

/// Steps 13 to 16: reset the iOS secret key, switch Windows off, delete device trust; each followed through
/// deploy-trigger on the Hexnode double.
async fn later_steps(
    stack: &Stack,
    admin: &Api<'_>,
    tech: &Api<'_>,
    out: &mut (dyn Write + Send),
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    writeln!(out, "[13] Reset the iOS secret key in Okta and save the new one")?;
    let writes_before = stack.hexnode.applied_writes().len();
    let new_key = format!("okta-ios-{}", uuid::Uuid::new_v4().simple());
    step!(out, 13, "save the new iOS key", {
        admin.expect(reqwest::Method::PUT, "/platforms/ios", Some(json!({"secretKey": new_key})), 200).await
    });
    step!(out, 13, "let deploy-trigger follow", stack.settle().await);
    outcome.reset_writes = stack
        .hexnode
        .applied_writes()
        .iter()
        .skip(writes_before)
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    let ios = stack.hexnode.policy_named("Okta Device Trust - iOS");
    let pushed = ios.as_ref().is_some_and(|p| p.content.contains(&new_key));
    writeln!(
        out,
        "    UEM writes: {} ({}); the iOS policy carries the new key: {pushed}; Android untouched",
        outcome.reset_writes.len(),
        outcome.reset_writes.join(", ")
    )?;
    if !pushed || outcome.reset_writes.len() != 1 {
        bail!("step 13 (reset the iOS key) failed: writes {:?}, new key pushed: {pushed}", outcome.reset_writes);
    }

    writeln!(out, "[14] Switch Windows off")?;
    step!(out, 14, "switch Windows off", {
        admin.expect(reqwest::Method::PUT, "/platforms/windows/enabled", Some(json!({"enabled": false})), 200).await
    });
    step!(out, 14, "let deploy-trigger follow", stack.settle().await);
    outcome.windows_left = stack.hexnode.group_named("Okta Device Trust - Windows").map_or(0, |g| g.members.len());
    writeln!(out, "    Windows devices still carrying the Windows items: {}", outcome.windows_left)?;
    if outcome.windows_left != 0 {
        bail!("step 14 (switch Windows off) failed: {} devices still in the Windows group", outcome.windows_left);
    }

    status_and_exports(stack, admin, tech, out, outcome).await?;

    writeln!(out, "[16] Delete device trust: every item comes off every device")?;
    step!(out, 16, "delete device trust", admin.expect(reqwest::Method::DELETE, "/device-trust", None, 202).await);
    step!(out, 16, "let deploy-trigger follow", stack.settle().await);
    let o = step!(out, 16, "read the overview", tech.expect(reqwest::Method::GET, "/deployments", None, 200).await);
    outcome.removal = (
        o["devicesCarryingItems"].as_u64().unwrap_or(u64::MAX),
        stack.hexnode.policies().len(),
        o["deviceTrust"].as_str().unwrap_or_default().to_string(),
    );
    writeln!(
        out,
        "    devices still carrying items: {}; policies left in the UEM: {}; device trust: {}",
        outcome.removal.0, outcome.removal.1, outcome.removal.2
    )?;
    if outcome.removal != (0, 0, "none".to_string()) {
        bail!("step 16 (delete device trust) failed: {:?}", outcome.removal);
    }
    Ok(())
}

/// Okta's own sample deliveries (`../shared/okta/hook-samples/`, copied into the test fixtures), sent byte for byte.
const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "user.session.start (Okta docs)",
        include_bytes!("../../tests/fixtures/okta-hooks/01_okta-docs_user.session.start_envelope.json"),
    ),
    (
        "user.lifecycle.delete.initiated (captured)",
        include_bytes!("../../tests/fixtures/okta-hooks/03_cruglobal_user.lifecycle.delete.initiated_envelope.json"),
    ),
    (
        "user.lifecycle.create (captured)",
        include_bytes!("../../tests/fixtures/okta-hooks/04_cruglobal_user.lifecycle.create_envelope.json"),
    ),
];
