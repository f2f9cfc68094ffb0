//! Deployment (deploy-trigger) end to end: the stream of device and configuration records from DynamoDB Local,
//! the Hexnode double recording every call. First deployment across four platforms, scope growth and shrink, a
//! platform switched off, a secret key reset (C03), device trust deleted, a duplicate batch, a 429 storm (C13),
//! a device gone among healthy ones, Okta Verify installation methods, and 1,000 scope changes in a few calls.

use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed};
use odt_shared::clock::ManualClock;
use odt_shared::store::{DeployItem, ItemStatus};
use odt_tests::TestStack;
use serde_json::{json, Value};
use std::sync::Arc;

const GROUP: &str = "00gDEPLOYFLEET0000001";
const IOS_APP: u64 = 501;
const MAC_APP: u64 = 502;
const WIN_APP: u64 = 503;
const ANDROID_APP: u64 = 504;

/// The inventory's Okta Verify apps, one per platform.
fn add_apps(t: &TestStack) {
    let h = &t.stack.hexnode;
    h.add_app(HexnodeApp::new(IOS_APP, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    h.add_app(HexnodeApp::new(MAC_APP, "Okta Verify", "macos", "vpp", Some("com.okta.mobile.auth-service")));
    let mut exe = HexnodeApp::new(WIN_APP, "Okta Verify for Windows", "windows", "enterprise", None);
    exe.success_criteria = Some("exit code 0".into());
    exe.uninstall_parameters = Some("/uninstall /quiet".into());
    exe.category = Some("Security".into());
    h.add_app(exe);
    h.add_app(HexnodeApp::new(
        ANDROID_APP,
        "Okta Verify",
        "android",
        "managed_google_play",
        Some("com.okta.android.auth"),
    ));
    h.add_app(HexnodeApp::new(600, "Slack", "ios", "store", Some("com.tinyspeck.chatlyio")));
}

async fn set_methods(t: &TestStack) {
    for (p, body) in [
        ("ios", json!({"method": "vpp", "appId": IOS_APP.to_string(), "locationToken": "Acme VPP", "licenses": 100})),
        ("macos", json!({"method": "vpp", "appId": MAC_APP.to_string(), "locationToken": "Acme VPP", "licenses": 100})),
        ("windows", json!({"method": "exe", "appId": WIN_APP.to_string()})),
        ("android", json!({"method": "managed_play"})),
    ] {
        let a = t.call("PUT", &format!("/okta-verify/{p}"), Some(&t.admin()), Some(body)).await;
        assert_eq!(a.status, 200, "{p}: {}", a.text);
    }
}

/// Owner `n` (an Okta user, also a Hexnode user `1000 + n`); in the fleet's group when `member`.
fn owner(t: &TestStack, n: u64, member: bool) -> u64 {
    let email = format!("user{n}@acme.com");
    let okta_id = format!("00uDEPLOY{n:011}");
    t.stack.okta.add_user(&okta_id, &email, &email, "ACTIVE");
    if member {
        t.stack.okta.add_member(GROUP, &okta_id);
    }
    t.stack.hexnode.add_user(1000 + n, &format!("User {n}"), &email);
    1000 + n
}

fn device(t: &TestStack, id: u64, os: &str, owner: u64) {
    let mut d = HexnodeDeviceSeed::new(id, &format!("Device {id}"), os, Some(owner));
    if os == "Android" {
        d = d.with_android_enrollment("work_profile");
    }
    t.stack.hexnode.add_device(d);
}

struct Fleet {
    /// In-scope device ids by platform.
    ios: Vec<u64>,
    android: Vec<u64>,
    macos: Vec<u64>,
    windows: Vec<u64>,
    /// A device whose owner is not in the fleet's group.
    outside: u64,
}

/// Device trust, the UEM, all four platforms and their Okta Verify methods; 3 in-scope devices per platform
/// (iOS: 3, Android: 2 + one owner with two devices) and one device outside the fleet; the fleet selected.
async fn fleet(t: &TestStack) -> Fleet {
    t.ready_fleet().await;
    add_apps(t);
    set_methods(t).await;
    t.stack.okta.add_group(GROUP, "Device Trust");
    let mut f = Fleet { ios: vec![], android: vec![], macos: vec![], windows: vec![], outside: 0 };
    for (i, os) in ["iOS", "Android", "macOS", "Windows"].into_iter().enumerate() {
        for k in 0..3u64 {
            let n = (i as u64) * 10 + k;
            let o = owner(t, n, true);
            let id = 100 + n;
            device(t, id, os, o);
            match os {
                "iOS" => f.ios.push(id),
                "Android" => f.android.push(id),
                "macOS" => f.macos.push(id),
                _ => f.windows.push(id),
            }
        }
    }
    let o = owner(t, 99, false);
    device(t, 199, "iOS", o);
    f.outside = 199;
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    f
}

async fn sync_and_deploy(t: &TestStack) -> Value {
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    a.body
}

fn group_of(t: &TestStack, label: &str) -> (u64, Vec<u64>) {
    let g = t.stack.hexnode.group_named(&format!("Okta Device Trust - {label}")).expect("managed group exists");
    let mut m = g.members.clone();
    m.sort();
    (g.id, m)
}

async fn deployment(t: &TestStack, id: u64) -> Value {
    let a = t.call("GET", &format!("/deployments/devices/{id}"), Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

fn statuses(d: &Value) -> Vec<String> {
    d["items"]
        .as_object()
        .map(|o| o.values().map(|v| v["status"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

fn membership_writes(t: &TestStack) -> usize {
    t.stack
        .hexnode
        .applied_writes()
        .iter()
        .filter(|r| {
            r.method == "POST"
                && r.path_and_query.starts_with("/api/v1/devicegroups/")
                && r.path_and_query != "/api/v1/devicegroups/"
        })
        .count()
}

#[tokio::test]
async fn first_deployment_puts_each_platforms_items_on_exactly_its_in_scope_devices() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    sync_and_deploy(&t).await;
    let h = &t.stack.hexnode;
    for (label, ids) in [("iOS", &f.ios), ("Android", &f.android), ("macOS", &f.macos), ("Windows", &f.windows)] {
        let (_, members) = group_of(&t, label);
        assert_eq!(&members, ids, "{label} group holds exactly its in-scope devices");
        for id in ids {
            let carried = h.device_carries(*id);
            assert_eq!(carried.len(), 1, "{label} device {id} carries its platform's policy once");
            let d = deployment(&t, *id).await;
            assert!(statuses(&d).iter().all(|s| s == "applied"), "{id}: {d}");
            assert_eq!(d["carriesCurrentPayload"], true);
        }
    }
    assert!(h.device_carries(f.outside).is_empty(), "a device outside the fleet carries nothing");
    // What each policy carries: the app by the admin's method and the payload (with the real secret key).
    let ios = h.policy_named("Okta Device Trust - iOS").expect("iOS policy");
    assert_eq!((ios.app_ids.clone(), ios.vpp_location.as_deref()), (vec![IOS_APP], Some("Acme VPP")));
    assert_eq!((ios.payload_kind.as_str(), ios.bundle_id.as_deref()), ("app_configuration", Some("com.okta.mobile")));
    assert!(ios.content.contains("managementHint"));
    let mac = h.policy_named("Okta Device Trust - macOS").expect("macOS policy");
    assert_eq!(mac.payload_kind, "mobileconfig");
    assert!(
        mac.content.contains("com.apple.extensiblesso")
            && mac.content.contains("com.okta.mobile.auth-service-extension")
    );
    let mac_dev = deployment(&t, f.macos[0]).await;
    assert_eq!(mac_dev["items"]["sso_extension"]["status"], "applied");
    let win = h.policy_named("Okta Device Trust - Windows").expect("Windows policy");
    assert_eq!((win.payload_kind.as_str(), win.app_ids.clone()), ("syncml", vec![WIN_APP]));
    assert!(win.content.contains("./User/Vendor/MSFT/ClientCertificateInstall/SCEP"));
    let android = h.policy_named("Okta Device Trust - Android").expect("Android policy");
    assert_eq!(android.bundle_id.as_deref(), Some("com.okta.android.auth"));
    // The calls: per platform one group, one policy, one membership change; nothing per device.
    let writes = h.applied_writes();
    assert_eq!(writes.iter().filter(|r| r.path_and_query == "/api/v1/devicegroups/").count(), 4);
    assert_eq!(writes.iter().filter(|r| r.path_and_query == "/api/v1/policy/").count(), 4);
    // One membership change per platform per stream batch that touched it (the stream may split the
    // reconciliation's writes into several batches on a busy machine), never one per device.
    let batches = t.stack.delivered_batches().len();
    let changes = membership_writes(&t);
    assert!(
        (4..=4 * batches).contains(&changes) && changes < 13,
        "{changes} changes for {batches} batches: {writes:?}"
    );
    // The overview counts what the records say.
    let o = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(o.body["deviceTrust"], "active");
    let ios_o = o.body["platforms"].as_array().unwrap().iter().find(|p| p["platform"] == "ios").unwrap().clone();
    assert_eq!((ios_o["inScope"].clone(), ios_o["payloadCurrent"].clone()), (json!(3), json!(true)));
    assert_eq!(ios_o["items"]["okta_verify"]["applied"], 3);
    assert_eq!(ios_o["licenses"], json!({"licenses": 100, "inScope": 3, "shortfall": 0}));
    // A second reconciliation and a retry-now change nothing in the UEM.
    let before = h.applied_writes().len();
    sync_and_deploy(&t).await;
    let run = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(h.applied_writes().len(), before, "nothing to change: no UEM write");
    assert_eq!(run.body["recordsWritten"], 0, "{}", run.text);
}

#[tokio::test]
async fn scope_growth_and_shrink_become_membership_diffs() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    sync_and_deploy(&t).await;
    let writes = membership_writes(&t);
    // Growth: the outside device's owner joins the group.
    t.stack.okta.add_member(GROUP, "00uDEPLOY00000000099");
    sync_and_deploy(&t).await;
    let (_, ios) = group_of(&t, "iOS");
    assert!(ios.contains(&f.outside), "{ios:?}");
    assert_eq!(membership_writes(&t), writes + 1, "one add call");
    // Shrink: an iOS owner leaves the group.
    {
        let mut s = t.stack.okta.lock();
        if let Some(members) = s.members.get_mut(GROUP) {
            members.retain(|m| m != "00uDEPLOY00000000000");
        }
    }
    sync_and_deploy(&t).await;
    let (_, ios) = group_of(&t, "iOS");
    assert!(!ios.contains(&f.ios[0]), "{ios:?}");
    assert_eq!(membership_writes(&t), writes + 2, "one remove call");
    let d = deployment(&t, f.ios[0]).await;
    assert!(statuses(&d).iter().all(|s| s == "removed"), "{d}");
    assert_eq!(d["inScope"], false);
    assert!(t.stack.hexnode.device_carries(f.ios[0]).is_empty());
}

#[tokio::test]
async fn a_platform_switched_off_loses_its_items_and_only_that_platform_changes() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    sync_and_deploy(&t).await;
    let before = t.stack.hexnode.applied_writes().len();
    let a = t.call("PUT", "/platforms/windows/enabled", Some(&t.admin()), Some(json!({"enabled": false}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    let (_, win) = group_of(&t, "Windows");
    assert!(win.is_empty(), "{win:?}");
    let writes: Vec<_> = t.stack.hexnode.applied_writes().into_iter().skip(before).collect();
    assert_eq!(writes.len(), 1, "one membership call for Windows only: {writes:?}");
    for id in &f.windows {
        assert!(statuses(&deployment(&t, *id).await).iter().all(|s| s == "removed"));
    }
    for id in &f.macos {
        assert!(statuses(&deployment(&t, *id).await).iter().all(|s| s == "applied"));
    }
    // Reconciliation agrees (the devices are now out of scope) and changes nothing more in the UEM.
    sync_and_deploy(&t).await;
    assert_eq!(t.stack.hexnode.applied_writes().len(), before + 1);
}

#[tokio::test]
async fn c03_ios_secret_key_reset_repushes_only_the_ios_payload() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    let a = t.call("PUT", "/platforms/ios", Some(&t.admin()), Some(json!({"secretKey": "K1-old-Secret"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    sync_and_deploy(&t).await;
    let ios_policy = t.stack.hexnode.policy_named("Okta Device Trust - iOS").unwrap();
    assert!(ios_policy.content.contains("K1-old-Secret"));
    let android_before = t.stack.hexnode.policy_named("Okta Device Trust - Android").unwrap();
    let before = t.stack.hexnode.applied_writes().len();
    let a = t.call("PUT", "/platforms/ios", Some(&t.admin()), Some(json!({"secretKey": "K2-new-Secret"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    let writes: Vec<_> = t.stack.hexnode.applied_writes().into_iter().skip(before).collect();
    assert_eq!(writes.len(), 1, "one policy update: {writes:?}");
    assert_eq!(
        (writes[0].method.as_str(), writes[0].path_and_query.clone()),
        ("PUT", format!("/api/v1/policy/{}/", ios_policy.id))
    );
    let now = t.stack.hexnode.policy_named("Okta Device Trust - iOS").unwrap();
    assert!(now.content.contains("K2-new-Secret") && !now.content.contains("K1-old-Secret"));
    assert_eq!(
        t.stack.hexnode.policy_named("Okta Device Trust - Android").unwrap(),
        android_before,
        "Android untouched"
    );
    for id in &f.ios {
        let d = deployment(&t, *id).await;
        assert_eq!(
            (d["carriesCurrentPayload"].clone(), d["items"]["attestation"]["status"].clone()),
            (json!(true), json!("applied"))
        );
    }
    for id in &f.android {
        assert_eq!(deployment(&t, *id).await["carriesCurrentPayload"], true);
    }
    // The secret never shows in an answer or a log line.
    let o = t.call("GET", "/deployments", Some(&t.admin()), None).await;
    assert!(!o.text.contains("K2-new-Secret") && !odt_tests::captured_logs().contains("K2-new-Secret"));
}

#[tokio::test]
async fn deleting_device_trust_takes_every_item_off_and_ends_it() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    sync_and_deploy(&t).await;
    let a = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert!(a.status == 200 || a.status == 202, "{}", a.text);
    t.stack.settle().await.expect("settles");
    for id in f.ios.iter().chain(&f.android).chain(&f.macos).chain(&f.windows) {
        assert!(t.stack.hexnode.device_carries(*id).is_empty(), "{id} carries nothing");
        assert!(statuses(&deployment(&t, *id).await).iter().all(|s| s == "removed"));
    }
    assert!(t.stack.hexnode.policies().is_empty(), "policies deleted");
    assert!(t.stack.hexnode.group_named("Okta Device Trust - iOS").is_none(), "groups deleted");
    let o = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    assert_eq!(
        (o.body["deviceTrust"].clone(), o.body["devicesCarryingItems"].clone()),
        (json!("none"), json!(0)),
        "{}",
        o.text
    );
    // Device trust can be set up again.
    let orgs = t.call("GET", "/okta-orgs", Some(&t.admin()), None).await;
    let org = orgs.body["items"][0]["id"].clone();
    let a = t.call("PUT", "/device-trust", Some(&t.admin()), Some(json!({"oktaOrgId": org}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn the_same_stream_batch_delivered_twice_makes_no_second_uem_change() {
    let t = TestStack::start().await;
    fleet(&t).await;
    sync_and_deploy(&t).await;
    let batches = t.stack.delivered_batches();
    assert!(!batches.is_empty());
    let before = t.stack.hexnode.applied_writes().len();
    let requests_before = t.stack.hexnode.lock().requests.len();
    for b in batches {
        let event = serde_json::from_value(b).expect("a stream event");
        let answer = deploy_trigger::stream::handle_stream(&t.stack.deps, event).await;
        assert!(answer.batch_item_failures.is_empty());
    }
    assert_eq!(t.stack.hexnode.applied_writes().len(), before, "no second change");
    let reads: Vec<_> = t.stack.hexnode.lock().requests[requests_before..].to_vec();
    assert!(reads.iter().all(|r| r.method == "GET"), "{reads:?}");
}

#[tokio::test]
async fn c13_a_429_storm_is_waited_out_and_every_device_ends_deployed() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(move |cfg| cfg.clock = Arc::new(c)).await;
    let f = fleet(&t).await;
    t.stack.hexnode.lock().throttled_writes.extend([57.0, 3.5, 57.0, 12.0]);
    sync_and_deploy(&t).await;
    let waits: Vec<u64> = clock.sleeps().iter().map(|d| d.as_secs()).collect();
    assert_eq!(waits.iter().filter(|w| **w == 57).count(), 2, "waited 57 s each time: {waits:?}");
    assert!(waits.contains(&4) && waits.contains(&12), "{waits:?}");
    for (label, ids) in [("iOS", &f.ios), ("Android", &f.android), ("macOS", &f.macos), ("Windows", &f.windows)] {
        assert_eq!(&group_of(&t, label).1, ids, "{label}");
    }
    let (batches, changes) = (t.stack.delivered_batches().len(), membership_writes(&t));
    assert!(
        (4..=4 * batches).contains(&changes),
        "throttled attempts changed nothing: {changes} for {batches} batches"
    );
    assert_eq!(
        t.stack.hexnode.applied_writes().iter().filter(|r| r.path_and_query == "/api/v1/devicegroups/").count(),
        4,
        "each group made once"
    );
}

#[tokio::test]
async fn a_throttle_longer_than_allowed_fails_the_devices_until_their_retry_is_due() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(move |cfg| cfg.clock = Arc::new(c)).await;
    let f = fleet(&t).await;
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200);
    t.stack.settle().await.expect("settles");
    // The UEM throttles for 15 minutes: the run records the failure and the UEM's wait.
    t.stack.okta.add_member(GROUP, "00uDEPLOY00000000099");
    t.stack.hexnode.lock().throttled_writes.extend(std::iter::repeat_n(900.0, 20));
    sync_and_deploy(&t).await;
    let d = deployment(&t, f.outside).await;
    assert!(statuses(&d).iter().all(|s| s == "failed"), "{d}");
    assert!(d["items"]["okta_verify"]["error"].as_str().unwrap_or("").contains("throttl"), "{d}");
    assert!(d["retryAt"].is_string() && d["permanentFailure"] == false, "{d}");
    t.stack.hexnode.lock().throttled_writes.clear();
    // Not due yet: the schedule leaves it alone; once due, it is deployed.
    let early = deploy_trigger::stream::retry_all(&t.stack.deps).await.expect("scheduled run");
    assert_eq!(early.failed, 0);
    assert!(!group_of(&t, "iOS").1.contains(&f.outside));
    clock.advance(std::time::Duration::from_secs(901));
    deploy_trigger::stream::retry_all(&t.stack.deps).await.expect("scheduled run");
    assert!(group_of(&t, "iOS").1.contains(&f.outside));
    assert!(statuses(&deployment(&t, f.outside).await).iter().all(|s| s == "applied"));
}

#[tokio::test]
async fn a_device_gone_from_the_uem_fails_alone_and_the_healthy_ones_deploy() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200);
    // Between reconciliation and deployment the device vanishes from the UEM.
    let gone = f.ios[1];
    t.stack.hexnode.remove_device(gone);
    t.stack.settle().await.expect("settles");
    let (_, ios) = group_of(&t, "iOS");
    assert_eq!(ios, vec![f.ios[0], f.ios[2]]);
    let d = deployment(&t, gone).await;
    assert_eq!(d["permanentFailure"], true, "{d}");
    assert!(d["items"]["okta_verify"]["error"].as_str().unwrap_or("").contains(&gone.to_string()), "{d}");
    let o = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    assert_eq!(o.body["permanentFailures"], 1, "{}", o.text);
    // The next reconciliation drops the vanished device; its deployment record goes with it.
    sync_and_deploy(&t).await;
    let a = t.call("GET", &format!("/deployments/devices/{gone}"), Some(&t.technician()), None).await;
    assert_eq!(a.status, 404, "{}", a.text);
}

#[tokio::test]
async fn okta_verify_methods_are_checked_against_the_platform_and_the_inventory() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    add_apps(&t);
    let admin = t.admin();
    let cases = [
        ("ios", json!({"method": "exe", "appId": "503"}), "method"),
        ("ios", json!({"method": "vpp", "appId": "999", "locationToken": "x", "licenses": 1}), "appId"),
        ("ios", json!({"method": "vpp", "appId": "502", "locationToken": "x", "licenses": 1}), "appId"),
        ("ios", json!({"method": "vpp", "appId": "600", "locationToken": "x", "licenses": 1}), "appId"),
        ("ios", json!({"method": "vpp", "appId": "501", "licenses": 1}), "locationToken"),
        ("ios", json!({"method": "vpp", "appId": "501", "locationToken": "x", "licenses": 0}), "licenses"),
        (
            "ios",
            json!({"method": "vpp", "appId": "501", "locationToken": "x", "licenses": 1, "installerUrl": "https://x.com/a"}),
            "installerUrl",
        ),
        ("windows", json!({"method": "exe", "appId": "501"}), "appId"),
        (
            "windows",
            json!({"method": "exe_upload", "name": "OV", "installerUrl": "http://x.com/ov.exe", "successCriteria": "0", "uninstallParameters": "/q"}),
            "installerUrl",
        ),
        (
            "windows",
            json!({"method": "exe_upload", "name": "OV", "installerUrl": "https://x.com/ov.exe", "uninstallParameters": "/q"}),
            "successCriteria",
        ),
        ("android", json!({"method": "managed_play", "appId": "501"}), "appId"),
        ("android", json!({"method": "vpp"}), "method"),
        ("macos", json!({"method": "vpp", "appId": "501", "locationToken": "x", "licenses": 1}), "appId"),
    ];
    for (p, body, field) in cases {
        let a = t.call("PUT", &format!("/okta-verify/{p}"), Some(&admin), Some(body.clone())).await;
        assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!(field)), "{p} {body}: {}", a.text);
    }
    let a = t.call("PUT", "/okta-verify/ios", Some(&t.technician()), Some(json!({"method": "vpp"}))).await;
    assert_eq!(a.status, 403);
    let a = t.call("PUT", "/okta-verify/tvos", Some(&admin), Some(json!({"method": "vpp"}))).await;
    assert_eq!(a.status, 404);
    assert!(
        t.call("GET", "/okta-verify", Some(&admin), None).await.body["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["configured"].is_null()),
        "nothing stored by refused requests"
    );
    // An existing EXE: its details come from the inventory.
    let a = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(json!({"method": "exe", "appId": "503"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        (a.body["appName"].clone(), a.body["successCriteria"].clone()),
        (json!("Okta Verify for Windows"), json!("exit code 0"))
    );
    // An upload: a new enterprise app, made once even when saved twice.
    let upload = json!({"method": "exe_upload", "name": "Okta Verify 5", "category": "Security", "description": "OV",
        "installerUrl": "https://acme.okta.com/downloads/OktaVerifySetup.exe", "successCriteria": "exit code 0",
        "uninstallParameters": "/uninstall /quiet", "version": 1});
    let a = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(upload.clone())).await;
    assert_eq!(
        (a.status, a.body["uploaded"].clone(), a.body["method"].clone()),
        (200, json!(true), json!("exe")),
        "{}",
        a.text
    );
    let mut again = upload.clone();
    again["version"] = json!(2);
    let b = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(again)).await;
    assert_eq!((b.status, b.body["appId"].clone()), (200, a.body["appId"].clone()));
    assert_eq!(t.stack.hexnode.apps().iter().filter(|x| x.name == "Okta Verify 5").count(), 1);
    // The same name from another installer is not silently the old app.
    let mut other = upload.clone();
    other["installerUrl"] = json!("https://acme.okta.com/downloads/OktaVerifySetup-6.exe");
    other["version"] = json!(3);
    let c = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(other)).await;
    assert_eq!((c.status, c.body["error"]["field"].clone()), (409, json!("name")), "{}", c.text);
    for bad in [
        "https://127.0.0.1/x.exe",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/ov.exe",
        "https://acme.okta.com:8443/ov.exe",
    ] {
        let mut b = upload.clone();
        b["installerUrl"] = json!(bad);
        b["name"] = json!("Another name");
        b["version"] = json!(3);
        let a = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(b)).await;
        assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("installerUrl")), "{bad}: {}", a.text);
    }
    // Conditional: a stale version is refused.
    let c = t.call("PUT", "/okta-verify/windows", Some(&admin), Some(upload)).await;
    assert_eq!((c.status, c.body["error"]["currentVersion"].clone()), (409, json!(3)), "{}", c.text);
    // Android: found by package; the inventory lists apps per platform.
    let a = t.call("PUT", "/okta-verify/android", Some(&admin), Some(json!({"method": "managed_play"}))).await;
    assert_eq!((a.status, a.body["appId"].clone()), (200, json!(ANDROID_APP.to_string())), "{}", a.text);
    let apps = t.call("GET", "/uem/apps?platform=ios&kind=vpp", Some(&t.technician()), None).await;
    assert_eq!(apps.body["apps"].as_array().map(|a| a.len()), Some(1), "{}", apps.text);
    let bad = t.call("GET", "/uem/apps?platform=beos", Some(&admin), None).await;
    assert_eq!((bad.status, bad.body["error"]["field"].clone()), (400, json!("platform")));
}

#[tokio::test]
async fn without_an_install_method_devices_get_the_payload_and_okta_verify_waits_for_it() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    add_apps(&t);
    t.stack.okta.add_group(GROUP, "Device Trust");
    let o = owner(&t, 1, true);
    device(&t, 300, "iOS", o);
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []}))).await;
    sync_and_deploy(&t).await;
    let d = deployment(&t, 300).await;
    assert_eq!(d["items"]["attestation"]["status"], "applied", "{d}");
    assert_eq!(d["items"]["okta_verify"]["status"], "failed");
    assert!(d["items"]["okta_verify"]["error"].as_str().unwrap_or("").contains("/okta-verify/ios"));
    assert!(t.stack.hexnode.policy_named("Okta Device Trust - iOS").unwrap().app_ids.is_empty());
    // Setting the method updates the policy once (through the stream) and Okta Verify is applied.
    let a = t
        .call(
            "PUT",
            "/okta-verify/ios",
            Some(&t.admin()),
            Some(json!({"method": "vpp", "appId": IOS_APP.to_string(), "locationToken": "Acme VPP", "licenses": 1})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    assert_eq!(t.stack.hexnode.policy_named("Okta Device Trust - iOS").unwrap().app_ids, vec![IOS_APP]);
    assert_eq!(deployment(&t, 300).await["items"]["okta_verify"]["status"], "applied");
}

#[tokio::test]
async fn a_thousand_device_scope_change_takes_a_handful_of_uem_calls() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    add_apps(&t);
    set_methods(&t).await;
    t.stack.okta.add_group(GROUP, "Device Trust");
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200);
    for n in 0..1000u64 {
        let o = owner(&t, n, false);
        device(&t, 10_000 + n, "iOS", o);
    }
    sync_and_deploy(&t).await;
    let calls_before = t.stack.hexnode.lock().requests.len();
    for n in 0..1000u64 {
        t.stack.okta.add_member(GROUP, &format!("00uDEPLOY{n:011}"));
    }
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.body["inScope"], 1000, "{}", a.text);
    let sync_calls = t.stack.hexnode.lock().requests.len() - calls_before;
    t.stack.settle().await.expect("settles");
    let deploy_calls = t.stack.hexnode.lock().requests.len() - calls_before - sync_calls;
    assert_eq!(group_of(&t, "iOS").1.len(), 1000);
    assert!(deploy_calls <= 10, "1,000 scope changes took {deploy_calls} UEM calls");
    let d = deployment(&t, 10_500).await;
    assert!(statuses(&d).iter().all(|s| s == "applied"), "{d}");
}

#[test]
fn items_are_named_in_the_fields_own_terms() {
    assert_eq!(serde_json::to_value(DeployItem::SsoExtension).unwrap(), json!("sso_extension"));
    assert_eq!(serde_json::to_value(ItemStatus::InProgress).unwrap(), json!("in_progress"));
}

#[tokio::test]
async fn a_managed_group_deleted_by_hand_in_the_uem_is_made_again() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    sync_and_deploy(&t).await;
    let (old, _) = group_of(&t, "iOS");
    {
        let mut s = t.stack.hexnode.lock();
        s.groups.remove(&old);
        for p in s.policies.values_mut() {
            p.device_group_ids.retain(|g| *g != old);
        }
    }
    assert!(t.stack.hexnode.device_carries(f.ios[0]).is_empty());
    let run = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(run.status, 200, "{}", run.text);
    let (new, members) = group_of(&t, "iOS");
    assert_ne!(new, old);
    assert_eq!(members, f.ios, "{}", run.text);
    for id in &f.ios {
        assert_eq!(t.stack.hexnode.device_carries(*id).len(), 1, "{id} carries the iOS policy again");
        assert_eq!(deployment(&t, *id).await["groupId"], new.to_string());
    }
}

/// Sets the custom URL domain of the tenant's (only) Okta org; returns nothing, asserts 200.
async fn set_custom_domain(t: &TestStack, host: &str) {
    let orgs = t.call("GET", "/okta-orgs", Some(&t.admin()), None).await.body;
    let org_id = orgs["items"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/okta-orgs/{org_id}/custom-domain");
    let a = t.call("PUT", &path, Some(&t.admin()), Some(json!({"customDomain": host}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn c22_a_custom_domain_change_redelivers_only_the_macos_profile() {
    let t = TestStack::start().await;
    fleet(&t).await;
    sync_and_deploy(&t).await;
    let mac_policy = t.stack.hexnode.policy_named("Okta Device Trust - macOS").unwrap();
    let before = t.stack.hexnode.applied_writes().len();
    set_custom_domain(&t, "login.acme.example").await;
    t.stack.settle().await.expect("settles");
    let writes: Vec<_> = t.stack.hexnode.applied_writes().into_iter().skip(before).collect();
    assert_eq!(writes.len(), 1, "one policy update: {writes:?}");
    assert_eq!(
        (writes[0].method.as_str(), writes[0].path_and_query.clone()),
        ("PUT", format!("/api/v1/policy/{}/", mac_policy.id))
    );
}

#[tokio::test]
async fn c22_the_delivered_macos_profile_names_the_custom_domain() {
    let t = TestStack::start().await;
    fleet(&t).await;
    sync_and_deploy(&t).await;
    set_custom_domain(&t, "login.acme.example").await;
    t.stack.settle().await.expect("settles");
    let mac = t.stack.hexnode.policy_named("Okta Device Trust - macOS").unwrap();
    assert!(mac.content.contains("<string>login.acme.example</string>"), "{}", mac.content);
}

/// C30: the `uemCalls` of `POST /deployments/run` that creates the managed groups and policies equals the
/// requests the Hexnode double received while it ran (the double's own record), reads and writes alike.
#[tokio::test]
async fn c30_a_run_that_creates_the_groups_and_policies_counts_every_uem_request_it_sent() {
    let t = TestStack::start().await;
    let f = fleet(&t).await;
    // The UEM refuses writes for a while: the stream's runs create nothing (the devices wait for their retry).
    t.stack.hexnode.lock().throttled_writes.extend(std::iter::repeat_n(900.0, 1000));
    sync_and_deploy(&t).await;
    assert!(t.stack.hexnode.group_named("Okta Device Trust - iOS").is_none(), "nothing created yet");
    t.stack.hexnode.lock().throttled_writes.clear();
    let before = t.stack.hexnode.lock().requests.len();
    let run = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(run.status, 200, "{}", run.text);
    let received = t.stack.hexnode.lock().requests.len() - before;
    for (p, label) in [("ios", "iOS"), ("android", "Android"), ("macos", "macOS"), ("windows", "Windows")] {
        let r = &run.body["platforms"][p];
        assert_eq!((r["groupCreated"].clone(), r["policyWritten"].clone()), (json!(true), json!(true)), "{p}: {r}");
        assert_eq!(r["added"], json!(group_of(&t, label).1.len()), "{p}: the group's members in the double: {r}");
    }
    assert_eq!(group_of(&t, "iOS").1, f.ios, "{}", run.text);
    assert!(received > 0);
    assert_eq!(run.body["uemCalls"], json!(received), "the UEM received {received} requests: {}", run.text);
}
