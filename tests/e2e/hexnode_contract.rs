//! The Hexnode contract test: every request the Hexnode client (`odt_shared::uem::hexnode::HexnodeClient`, the
//! product's only way to Hexnode) sends for a documented call, and every answer the Hexnode double gives to it,
//! is checked against Hexnode's public API description (`tests/fixtures/hexnode-api/api.yaml`, copied from
//! `../shared/hexnode/`) by a Stoplight Prism proxy (`prism proxy --errors`) between the client and the double.
//! Any `sl-violations` header or answer Prism made itself fails the test.
//!
//! Documented operations covered (operationId in api.yaml): `listDevices` and `listUsers` (the inventory with the
//! owner join, several pages each), `listDeviceGroups` (the connect probe and every page), `retrieveDeviceGroup`
//! (members), `createDeviceGroup`, `addRemoveDevices` (membership diffs), `listApplications` (several pages),
//! `createPolicy` (the documented body), `listPolicies`, `retrievePolicy` (the existence check after a 404),
//! `deletePolicy`; the declared `429` (text and JSON throttle answers) is answered through the proxy too.
//!
//! The undocumented calls (`odt_shared::uem::hexnode::undocumented::CALLS`: the policy's payload by Edit Policy,
//! the per-device policy status, the enterprise app upload, the device group delete) cannot be validated against
//! a description that lacks them: the router sends them to the double directly and sends a copy to a Prism mock
//! on the same description, and the test asserts that the description refuses each (unknown path, unknown method
//! or a body it forbids), so an entry that turns out to be documented fails here.
//!
//! Run: `cargo test -p odt-tests --test hexnode_contract` (needs only Prism: `ODT_PRISM`, or
//! `bash scripts/services.sh install`, which puts it in `.local/npm`).

mod hexnode_contract {
    pub mod proxy;
}

use hexnode_contract::proxy::{Chain, Finding};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed, HexnodeDouble};
use odt_doubles::Served;
use odt_shared::clock::ManualClock;
use odt_shared::outbound::{validate_host_under, Outbound, HEXNODE_SUFFIX};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::undocumented::CALLS;
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry};
use odt_shared::uem::{DeploymentPolicy, NewEnterpriseApp, PolicyApp, PolicyPayload, Uem};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

const PORTAL: &str = "acme-demo.hexnodemdm.com";
const KEY: &str = "hx-contract-key-7d1e";

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} → {}: {}",
                f.method,
                f.path_and_query,
                f.status,
                f.report.chars().take(800).collect::<String>()
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A portal with 7 users (5 with an email), 9 devices of every platform (one without an owner), two groups, 4
/// apps, served 3 items a page.
fn portal() -> HexnodeDouble {
    let d = HexnodeDouble::new(PORTAL, KEY);
    for u in 1..=7u64 {
        let email = if u <= 5 { format!("user{u}@acme.example") } else { String::new() };
        d.add_user(u, &format!("User {u}"), &email);
    }
    let oses = ["iOS", "Android", "macOS", "Windows", "iPadOS", "Android", "iOS", "macOS", "Windows"];
    for (i, os) in oses.iter().enumerate() {
        let id = i as u64 + 1;
        let owner = (id != 9).then_some((id % 7) + 1);
        d.add_device(HexnodeDeviceSeed::new(id, &format!("device {id}"), os, owner));
    }
    d.add_group(501, "Sales devices");
    for dev in [1, 2, 3, 9] {
        d.add_to_group(501, dev);
    }
    d.add_group(502, "Empty");
    d.add_app(HexnodeApp::new(701, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    d.add_app(HexnodeApp::new(702, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")));
    d.add_app(HexnodeApp::new(703, "Okta Verify", "macos", "enterprise", None));
    d.add_app(HexnodeApp::new(704, "Slack", "ios", "store", Some("com.tinyspeck.chatlyio")));
    d.lock().max_per_page = 3;
    d
}

fn policy(platform: Platform, app: Option<&str>, group: &str, payload: PolicyPayload) -> DeploymentPolicy {
    DeploymentPolicy {
        name: format!("Okta Device Trust - {}", platform.as_str()),
        description: "Managed by Okta Device Trust automation".into(),
        platform,
        app: app.map(|a| PolicyApp { app_id: a.into(), vpp_location: Some("Acme VPP".into()) }),
        payload,
        device_group_ids: vec![group.into()],
        device_ids: vec![],
    }
}

/// The value of a client call, or a panic that shows what Prism reported.
macro_rules! must {
    ($chain:expr, $call:expr, $what:expr) => {
        match $call {
            Ok(v) => v,
            Err(e) => panic!("{}: {e:?}\nPrism findings:\n{}", $what, show(&$chain.findings())),
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hexnode_traffic_matches_hexnodes_api_description() {
    let double = portal();
    let served = Served::start(double.router(), 0).await.expect("double");
    let chain = Chain::start(served.addr).await.expect("the Prism chain starts");
    let client = HexnodeClient::new(
        Outbound::with_test_routes(HashMap::from([(PORTAL.to_string(), chain.addr)])),
        Arc::new(ManualClock::new(time::OffsetDateTime::now_utc())),
        validate_host_under(PORTAL, HEXNODE_SUFFIX).expect("portal"),
        KEY.to_string().into(),
        HexnodeRetry::default(),
    );

    // Reads (every page).
    must!(chain, client.verify().await, "verify");
    let devices = must!(chain, client.devices().await, "devices");
    assert_eq!(devices.len(), 9);
    assert_eq!(devices[0].owner_email.as_deref(), Some("user2@acme.example"));
    assert_eq!(devices[8].owner_id, None, "a device without an owner");
    // The existence check a re-read across invocations makes before forgetting a device (retrieveDevice).
    assert!(must!(chain, client.device_exists("1").await, "device exists"));
    assert_eq!(must!(chain, client.device_groups().await, "groups").len(), 2);
    assert_eq!(must!(chain, client.device_group_members("501").await, "members"), ["1", "2", "3", "9"]);
    assert_eq!(must!(chain, client.apps().await, "apps").len(), 4);

    // Writes: the managed group, its membership diffs, the policies (documented create, then the payload).
    let g = must!(chain, client.create_device_group("Okta Device Trust - iOS", "Managed by ODT").await, "group");
    must!(chain, client.change_group_members(&g.id, &["1".into(), "5".into(), "7".into()], &[]).await, "add");
    must!(chain, client.change_group_members(&g.id, &["3".into()], &["5".into()]).await, "add and remove");
    must!(chain, client.change_group_members(&g.id, &[], &["7".into()]).await, "remove");
    let doc = "<dict><key>managementHint</key><string>h</string></dict>".to_string();
    let ios = policy(
        Platform::Ios,
        Some("701"),
        &g.id,
        PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: doc.clone() },
    );
    let ios_id = must!(chain, client.create_policy(&ios).await, "iOS policy");
    let mac = policy(Platform::Macos, None, "502", PolicyPayload::ConfigurationProfile { document: "<plist/>".into() });
    let mac_id = must!(chain, client.create_policy(&mac).await, "macOS policy");
    let names: Vec<String> = must!(chain, client.policies().await, "policies").into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Okta Device Trust - ios", "Okta Device Trust - macos"]);
    must!(chain, client.update_policy(&ios_id, &ios).await, "update");
    let status = must!(chain, client.policy_device_status(&ios_id).await, "status");
    assert_eq!(status.len(), 2);
    let app = NewEnterpriseApp {
        platform: Platform::Windows,
        name: "Okta Verify".into(),
        category: "Security".into(),
        description: "Okta Verify for Windows".into(),
        installer_url: "https://acme-demo.okta.com/ov.exe".into(),
        success_criteria: None,
        uninstall_parameters: None,
    };
    must!(chain, client.create_enterprise_app(&app).await, "enterprise app");
    // Removal: the policy, then the group; a policy already gone is checked with the documented read.
    must!(chain, client.delete_policy(&mac_id).await, "delete policy");
    must!(chain, client.delete_policy(&ios_id).await, "delete policy");
    must!(chain, client.delete_device_group(&g.id).await, "delete group");

    // Hexnode's declared 429, as text and as JSON, waited out.
    double.lock().throttled.push_back(1.0);
    must!(chain, client.device_groups().await, "after a text 429");
    double.lock().throttle_as_json = true;
    double.lock().throttled.push_back(1.0);
    must!(chain, client.device_groups().await, "after a JSON 429");

    let findings = chain.findings();
    assert!(findings.is_empty(), "Hexnode description mismatches (Prism logs {:?}):\n{}", chain.logs, show(&findings));

    // Every documented operation the client uses went through the proxy and was answered 2xx (429 once each).
    let exchanges = chain.exchanges();
    let documented: BTreeSet<(String, String, u16)> = exchanges
        .iter()
        .filter(|e| e.undocumented.is_none())
        .map(|e| (e.method.clone(), e.path.clone(), e.status))
        .collect();
    let gid = &g.id;
    for (method, path, status) in [
        ("GET", "/api/v1/devices/".to_string(), 200),
        ("GET", "/api/v1/users/".to_string(), 200),
        ("GET", "/api/v1/devicegroups/".to_string(), 200),
        ("GET", "/api/v1/devicegroups/".to_string(), 429),
        ("GET", "/api/v1/devicegroups/501/".to_string(), 200),
        ("POST", "/api/v1/devicegroups/".to_string(), 201),
        ("POST", format!("/api/v1/devicegroups/{gid}/"), 200),
        ("GET", "/api/v1/applications/".to_string(), 200),
        ("POST", "/api/v1/policy/".to_string(), 201),
        ("GET", "/api/v1/policy/".to_string(), 200),
        ("DELETE", format!("/api/v1/policy/{ios_id}/"), 204),
    ] {
        assert!(
            documented.contains(&(method.to_string(), path.clone(), status)),
            "{method} {path} → {status} never went through the proxy: {documented:?}"
        );
    }
    // Every page was followed: 9 devices, 7 users and 4 apps at 3 a page.
    let pages = |p: &str| exchanges.iter().filter(|e| e.path == p && e.status == 200).count();
    assert!(pages("/api/v1/devices/") >= 3 && pages("/api/v1/users/") >= 3 && pages("/api/v1/applications/") >= 2);

    // Every undocumented call went around the proxy, and the description does not know any of them.
    let bypassed: BTreeSet<&str> = exchanges.iter().filter_map(|e| e.undocumented.as_ref().map(|u| u.0)).collect();
    let all: BTreeSet<&str> = CALLS.iter().map(|c| c.name).collect();
    assert_eq!(bypassed, all, "each undocumented call was made and recognised");
    for e in exchanges.iter().filter(|e| e.undocumented.is_some()) {
        let (name, mock_status, mock_body) = e.undocumented.clone().expect("undocumented");
        assert!(
            matches!(mock_status, 404 | 405 | 422),
            "{name} ({} {}) is documented after all: the Prism mock answered {mock_status} {mock_body}",
            e.method,
            e.path
        );
        assert!((200..300).contains(&e.status), "{name}: the double answered {}", e.status);
    }

    // The chain can fail: a request the description forbids (`per_page` below its minimum of 1)…
    let r = reqwest::Client::new()
        .get(format!("http://{}/api/v1/devices/?page=1&per_page=0", chain.addr))
        .header("authorization", KEY)
        .header("accept", "application/json")
        .send()
        .await
        .expect("chain answers");
    assert_eq!(r.status().as_u16(), 422, "Prism refuses the request");
    let found = chain.findings();
    assert!(found.iter().any(|f| f.report.contains("per_page")), "per_page=0 was not reported: {}", show(&found));
    assert!(double.requests_to("/api/v1/devices/?page=1&per_page=0").is_empty(), "never reached the double");
    chain.clear_findings();
    // …and an answer it forbids (a status listDevices does not declare).
    double.lock().failures.push_back(500);
    let r = reqwest::Client::new()
        .get(format!("http://{}/api/v1/devices/?page=1&per_page=3", chain.addr))
        .header("authorization", KEY)
        .header("accept", "application/json")
        .send()
        .await
        .expect("chain answers");
    let status = r.status().as_u16();
    let found = chain.findings();
    assert!(!found.is_empty(), "an undeclared {status} was not reported");
}
