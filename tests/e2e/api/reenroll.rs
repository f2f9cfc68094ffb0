//! Case C27: a managed device whose Okta device record is deleted, told by a `device.lifecycle.delete` event or
//! found at the next evidence read. Its status becomes `must_enroll_again` (API, CSV, PDF) with its next step, its
//! attestation is delivered again (the Hexnode double's membership record: taken out of the platform's group, then
//! added again), and once Okta reports a device for the owner again it is `managed` again.

use super::hooks::{envelope, event, hook_ready, settled, SECRET};
use super::status::{csv_rows, export, pdf_raw, squash};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed};
use odt_tests::TestStack;
use serde_json::{json, Value};

const GROUP: &str = "00gC27FLEET000000001";
const OWNER: &str = "00uC27OWNER000000001";
const DEVICE: u64 = 700;
const OKTA_DEVICE: &str = "guoC27device0000001";
const STEP: &str = "Owner enrolls Okta Verify again";

/// One iOS device in scope, deployed through the stream, registered in Okta for its owner `MANAGED` and read as
/// evidence: `managed`.
async fn managed_device(t: &TestStack) {
    t.ready_fleet().await;
    t.stack.hexnode.add_app(HexnodeApp::new(801, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    let body = json!({"method": "vpp", "appId": "801", "locationToken": "VPP", "licenses": 5});
    let a = t.call("PUT", "/okta-verify/ios", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.okta.add_group(GROUP, "Device Trust");
    t.stack.okta.add_user(OWNER, "c27@acme.com", "c27@acme.com", "ACTIVE");
    t.stack.okta.add_member(GROUP, OWNER);
    t.stack.hexnode.add_user(70, "Owner", "c27@acme.com");
    t.stack.hexnode.add_device(HexnodeDeviceSeed::new(DEVICE, "C27 iPhone", "iOS", Some(70)));
    let fleet = json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []});
    assert_eq!(t.call("PUT", "/fleet", Some(&t.admin()), Some(fleet)).await.status, 200);
    assert_eq!(t.call("POST", "/fleet/sync", Some(&t.admin()), None).await.status, 200);
    t.stack.settle().await.expect("settles");
    in_okta(t, OKTA_DEVICE);
    refresh(t).await;
    assert_eq!(status_of(t).await["odtStatus"], "managed");
}

/// Okta registers the device (matched by the UEM's serial `SER<id>`) as `okta_id`, managed for its owner.
fn in_okta(t: &TestStack, okta_id: &str) {
    let serial = format!("SER{DEVICE}");
    t.stack.okta.add_device(okta_id, "C27 iPhone", "IOS", Some(&serial), None, Some(OWNER), Some("MANAGED"));
}

/// Okta deletes its device record `okta_id`.
fn deleted_in_okta(t: &TestStack, okta_id: &str) {
    t.stack.okta.lock().devices.retain(|d| d.device["id"] != okta_id);
}

async fn refresh(t: &TestStack) {
    let a = t.call("POST", "/status/refresh", Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
}

/// The device's item in `GET /status/devices`.
async fn status_of(t: &TestStack) -> Value {
    let page = t.call("GET", "/status/devices?pageSize=500", Some(&t.technician()), None).await;
    let items = page.body["items"].as_array().expect("items");
    let id = DEVICE.to_string();
    items.iter().find(|i| i["deviceId"] == id.as_str()).cloned().expect("listed")
}

/// The Hexnode double's membership writes since `from` that took the device out of a group, and that added it.
fn memberships_since(t: &TestStack, from: usize) -> (Vec<u64>, Vec<u64>) {
    let log = t.stack.hexnode.lock().membership_log[from..].to_vec();
    let removed = log.iter().filter(|w| w.removed.contains(&DEVICE)).map(|w| w.group_id).collect();
    let added = log.iter().filter(|w| w.added.contains(&DEVICE)).map(|w| w.group_id).collect();
    (removed, added)
}

/// Asserts the device shows `must_enroll_again` with its next step in the API, the CSV and the PDF, and that its
/// attestation was delivered again since membership write `from`: taken out of its group, then added again.
async fn must_enroll_again_and_delivered_again(t: &TestStack, from: usize) {
    let item = status_of(t).await;
    assert_eq!((item["odtStatus"].as_str(), item["nextStep"].as_str()), (Some("must_enroll_again"), Some(STEP)));
    let rows = csv_rows(&export(t, "csv").await);
    let row = rows.iter().find(|r| r["device_id"] == DEVICE.to_string()).expect("row");
    assert_eq!((row["odt_status"].as_str(), row["next_step"].as_str()), ("must_enroll_again", STEP), "{row:?}");
    let pdf = pdf_raw(&export(t, "pdf").await);
    let name = item["deviceName"].as_str().expect("name");
    let pdf_row = squash(&format!("{DEVICE} {name} Must enroll again {STEP}"));
    assert!(pdf.contains(&pdf_row), "the PDF's row {pdf_row}: {pdf}");
    let (removed, added) = memberships_since(t, from);
    assert_eq!((removed.len(), added.len()), (1, 1), "taken out once and added again once: {removed:?} {added:?}");
    assert_eq!(removed, added, "the same group");
    let deployed = t.stack.deps.store.list_deployed(&t.tenant).await.unwrap();
    let rec = deployed.iter().find(|r| r.device_id == DEVICE.to_string()).expect("deployment record");
    assert_eq!(rec.redelivered_for.as_deref(), Some(OKTA_DEVICE), "recorded as delivered again for it");
}

/// Okta reports a new device for the owner: `managed` again, and nothing is delivered again.
async fn enrolled_again(t: &TestStack) {
    let from = t.stack.hexnode.lock().membership_log.len();
    in_okta(t, "guoC27device0000002");
    refresh(t).await;
    assert_eq!(status_of(t).await["odtStatus"], "managed");
    assert_eq!(memberships_since(t, from), (vec![], vec![]), "the new enrollment is not re-delivered to");
}

/// C27 told by the hook: a `device.lifecycle.delete` naming the device's Okta device. An event naming an Okta
/// device no device of the fleet has is counted as ignored, not applied (C30's rule).
#[tokio::test]
async fn c27_an_okta_device_deleted_by_event_must_enroll_again_and_gets_its_attestation_again() {
    let t = TestStack::start().await;
    managed_device(&t).await;
    hook_ready(&t).await;
    let deleted = |uuid: &str, okta_id: &str| {
        let mut e = event(uuid, "device.lifecycle.delete", "2026-12-07T04:00:00.000Z", OWNER, None);
        e["target"].as_array_mut().unwrap().push(json!({"id": okta_id, "type": "Device"}));
        e
    };
    let stranger = envelope(vec![deleted("c27-other", "guoNOTINTHEFLEET001")]);
    let kept = fleet_sync::hooks::events::sort_delivery(fleet_sync::hooks::parse_delivery(&stranger).unwrap()).kept;
    let (deps, tenant) = (&t.stack.deps, t.tenant.as_str());
    let ctx = fleet_sync::inbox::Context::load(deps, tenant).await.unwrap();
    let a = fleet_sync::inbox::apply_events(deps, tenant, &ctx, &kept).await.unwrap();
    assert_eq!((a.applied, a.ignored), (0, 1), "{a:?}");
    assert_eq!(status_of(&t).await["odtStatus"], "managed");
    let from = t.stack.hexnode.lock().membership_log.len();
    deleted_in_okta(&t, OKTA_DEVICE);
    let (status, body) = settled(&t, Some(SECRET), envelope(vec![deleted("c27-delete", OKTA_DEVICE)])).await;
    assert_eq!((status, body["accepted"].clone()), (200, json!(1)), "{body}");
    must_enroll_again_and_delivered_again(&t, from).await;
    // A refresh while Okta still has no device keeps the state and delivers nothing more.
    refresh(&t).await;
    must_enroll_again_and_delivered_again(&t, from).await;
    enrolled_again(&t).await;
}

/// C27 found by the evidence read: Okta no longer has the device it had at the last refresh.
#[tokio::test]
async fn c27_an_okta_device_gone_at_the_evidence_read_must_enroll_again_and_gets_its_attestation_again() {
    let t = TestStack::start().await;
    managed_device(&t).await;
    let from = t.stack.hexnode.lock().membership_log.len();
    deleted_in_okta(&t, OKTA_DEVICE);
    refresh(&t).await;
    must_enroll_again_and_delivered_again(&t, from).await;
    refresh(&t).await;
    must_enroll_again_and_delivered_again(&t, from).await;
    enrolled_again(&t).await;
}
