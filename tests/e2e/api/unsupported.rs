//! A Hexnode portal that refuses a call its public API description does not document
//! (`odt_shared::uem::hexnode::undocumented::CALLS`), driven through the double's `unsupported` knob: each
//! refusal is a named state with its manual step (the deployment answer, `GET /deployments`, the device's
//! deployment, `GET /status/devices`, the API's error), never "applied" and never retried in a loop.

use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed};
use odt_shared::uem::hexnode::undocumented::{
    DELETE_DEVICE_GROUP, ENTERPRISE_APP_UPLOAD, POLICY_DEVICE_STATUS, POLICY_PAYLOAD,
};
use odt_tests::TestStack;
use serde_json::{json, Value};

const GROUP: &str = "00gUNSUPPORTED0000001";

/// Device trust with every platform on, Okta Verify for iOS by VPP, two in-scope iOS devices; the fleet selected.
async fn ios_fleet(t: &TestStack) -> [u64; 2] {
    t.ready_fleet().await;
    t.stack.hexnode.add_app(HexnodeApp::new(501, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    let body = json!({"method": "vpp", "appId": "501", "locationToken": "Acme VPP", "licenses": 10});
    let a = t.call("PUT", "/okta-verify/ios", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.okta.add_group(GROUP, "Device Trust");
    for n in 0..2u64 {
        let (email, okta_id) = (format!("unsup{n}@acme.com"), format!("00uUNSUP{n:012}"));
        t.stack.okta.add_user(&okta_id, &email, &email, "ACTIVE");
        t.stack.okta.add_member(GROUP, &okta_id);
        t.stack.hexnode.add_user(3000 + n, &format!("User {n}"), &email);
        t.stack.hexnode.add_device(HexnodeDeviceSeed::new(300 + n, &format!("Phone {n}"), "iOS", Some(3000 + n)));
    }
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    [300, 301]
}

fn payload_writes(t: &TestStack) -> usize {
    t.stack
        .hexnode
        .writes()
        .iter()
        .filter(|r| r.method == "PUT" && r.path_and_query.starts_with("/api/v1/policy/"))
        .count()
}

fn is_payload_refusal(v: &Value, status: u16) -> bool {
    v["call"] == POLICY_PAYLOAD.name && v["status"] == status && v["manualStep"] == POLICY_PAYLOAD.manual_step
}

#[tokio::test]
async fn a_portal_refusing_the_policy_payload_shows_unsupported_with_its_manual_step_and_stops_asking() {
    let t = TestStack::start().await;
    let devices = ios_fleet(&t).await;
    t.stack.hexnode.lock().unsupported.insert(POLICY_PAYLOAD.name.into(), 400);
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    assert_eq!(payload_writes(&t), 1, "the payload was asked for once");

    // The deployment answer names the refusal; the policy's documented part exists, the payload does not.
    let run = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert!(is_payload_refusal(&run.body["platforms"]["ios"]["unsupported"], 400), "{}", run.text);
    assert_eq!(payload_writes(&t), 1, "a refused payload is not asked for again while nothing changed");
    let policy = t.stack.hexnode.policy_named("Okta Device Trust - iOS").expect("the documented policy");
    assert_eq!((policy.app_ids, policy.payload_kind.as_str()), (vec![501], ""));
    let o = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    let ios = o.body["platforms"].as_array().and_then(|p| p.iter().find(|p| p["platform"] == "ios")).cloned();
    assert!(is_payload_refusal(&ios.unwrap_or_default()["unsupported"], 400), "{}", o.text);

    // Each device: failed permanently with the refusal as its reason, never applied; status says unsupported.
    for id in devices {
        let d = t.call("GET", &format!("/deployments/devices/{id}"), Some(&t.technician()), None).await;
        assert_eq!(d.body["permanentFailure"], true, "{}", d.text);
        let items = d.body["items"].as_object().cloned().unwrap_or_default();
        assert!(!items.is_empty() && items.values().all(|i| i["status"] == "failed"), "{}", d.text);
        assert!(d.text.contains(POLICY_PAYLOAD.name), "{}", d.text);
    }
    let s = t.call("GET", "/status/devices", Some(&t.technician()), None).await;
    assert_eq!(s.status, 200, "{}", s.text);
    for item in s.body["items"].as_array().expect("items").iter().filter(|i| i["inScope"] == true) {
        assert_eq!(item["odtStatus"], "unsupported", "{item}");
        assert!(is_payload_refusal(&item["unsupported"], 400), "{item}");
    }

    // The scheduled retry leaves them alone; no payload request.
    deploy_trigger::stream::retry_all(&t.stack.deps).await.expect("scheduled run");
    assert_eq!(payload_writes(&t), 1);

    // The portal learns the call (or the admin changes the policy): a change of what the policy carries asks
    // again, and the devices deploy.
    t.stack.hexnode.lock().unsupported.clear();
    let a = t.call("PUT", "/platforms/ios", Some(&t.admin()), Some(json!({"secretKey": "a-new-secret-key-1"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    let run = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert!(run.body["platforms"]["ios"].get("unsupported").is_none(), "{}", run.text);
    assert_eq!(t.stack.hexnode.policy_named("Okta Device Trust - iOS").unwrap().payload_kind, "app_configuration");
}

#[tokio::test]
async fn refused_status_upload_and_group_delete_are_named_with_their_manual_steps() {
    let t = TestStack::start().await;
    ios_fleet(&t).await;
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");

    // The per-device policy status: the refresh still completes (Okta's evidence), the UEM's part is left out.
    t.stack.hexnode.lock().unsupported.insert(POLICY_DEVICE_STATUS.name.into(), 404);
    let r = t.call("POST", "/status/refresh", Some(&t.admin()), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!t.stack.hexnode.requests_to("/api/v1/policy/1/devices/").is_empty(), "the call was tried");

    // The enterprise app upload: 409 uem_unsupported with the manual step; nothing stored.
    t.stack.hexnode.lock().unsupported.insert(ENTERPRISE_APP_UPLOAD.name.into(), 405);
    let body = json!({"method": "exe_upload", "name": "Okta Verify 5", "category": "Security", "description": "OV",
        "installerUrl": "https://acme.okta.com/downloads/OktaVerifySetup.exe", "successCriteria": "exit code 0",
        "uninstallParameters": "/uninstall /quiet"});
    let a = t.call("PUT", "/okta-verify/windows", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.body["error"]["code"], "uem_unsupported", "{}", a.text);
    assert_eq!(a.body["error"]["manualStep"], ENTERPRISE_APP_UPLOAD.manual_step, "{}", a.text);
    assert_eq!(t.stack.hexnode.apps().len(), 1, "no app added");

    // The device group delete: deleting device trust completes; the empty group stays for the manual step.
    t.stack.hexnode.lock().unsupported.insert(DELETE_DEVICE_GROUP.name.into(), 405);
    let a = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert!(a.status == 200 || a.status == 202, "{}", a.text);
    t.stack.settle().await.expect("settles");
    let o = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    assert_eq!(o.body["deviceTrust"], "none", "{}", o.text);
    let g = t.stack.hexnode.group_named("Okta Device Trust - iOS").expect("the group stays");
    assert!(g.members.is_empty());
    assert!(t.stack.hexnode.policies().is_empty(), "the policy is deleted (documented)");
}
