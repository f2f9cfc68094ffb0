//! Okta's dynamic SCEP challenge end to end (case C24): macOS saved with the challenge URL the Okta double serves,
//! its username and password; deploy-trigger fetches one challenge per device from Okta (HTTP Basic) and gives
//! each device its own policy carrying it (Hexnode's documented `policy_targets.devices`); a challenge SCEP
//! enrollment would refuse is fetched again and never delivered; a re-enrollment fetches new ones; neither the
//! username nor the password is ever shown.

use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodePolicy};
use odt_tests::TestStack;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const GROUP: &str = "00gCHALLENGEFLEET0001";
const USER: &str = "scep-user";
const PASSWORD: &str = "S3cret-pass";

/// The macOS settings with a dynamic challenge at the double's challenge URL.
fn dynamic_macos(t: &TestStack, domain: &str, subject: &str) -> Value {
    json!({
        "scepUrl": format!("https://{domain}/pki/ca/scep"),
        "challenge": {"type": "dynamic", "challengeUrl": t.stack.okta.challenge_url(), "username": USER, "password": PASSWORD},
        "subject": subject,
    })
}

/// Device trust, the UEM, macOS with a dynamic challenge (switched on) and `n` in-scope macOS devices; returns
/// their ids.
async fn fleet(t: &TestStack, n: u64) -> Vec<u64> {
    let org = t.ready_device_trust().await;
    t.connect_uem().await;
    t.stack.okta.set_challenge_credentials(USER, PASSWORD);
    let domain = org["domain"].as_str().unwrap().to_string();
    let body = dynamic_macos(t, &domain, "CN={{user.email}} managementAttestation {{device.id}}");
    let a = t.call("PUT", "/platforms/macos", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("PUT", "/platforms/macos/enabled", Some(&t.admin()), Some(json!({"enabled": true}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.okta.add_group(GROUP, "Device Trust");
    let mut ids = Vec::new();
    for k in 0..n {
        let email = format!("mac{k}@acme.com");
        let okta_id = format!("00uCHALLENGE{k:08}");
        t.stack.okta.add_user(&okta_id, &email, &email, "ACTIVE");
        t.stack.okta.add_member(GROUP, &okta_id);
        t.stack.hexnode.add_user(2000 + k, &format!("Mac {k}"), &email);
        let id = 300 + k;
        t.stack.hexnode.add_device(HexnodeDeviceSeed::new(id, &format!("Mac {id}"), "macOS", Some(2000 + k)));
        ids.push(id);
    }
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    ids
}

/// The `Challenge` string of a macOS profile (its SCEP payload), if any.
fn challenge_in(profile: &str) -> Option<String> {
    let at = profile.find("<key>Challenge</key>")?;
    let rest = &profile[at..];
    let open = rest.find("<string>")? + "<string>".len();
    let close = rest[open..].find("</string>")? + open;
    Some(rest[open..close].to_string())
}

/// The policies device `id` carries that hold a SCEP challenge (its own document).
fn documents_of(t: &TestStack, id: u64) -> Vec<HexnodePolicy> {
    t.stack.hexnode.device_carries(id).into_iter().filter(|p| challenge_in(&p.content).is_some()).collect()
}

/// The challenges the double issued, in order.
fn issued(t: &TestStack) -> Vec<String> {
    t.stack.okta.challenge_requests().into_iter().filter_map(|r| r.challenge).collect()
}

/// Each device carries exactly one document with a challenge; returns them by device, checking none is reused.
fn delivered(t: &TestStack, ids: &[u64]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let docs = documents_of(t, *id);
        assert_eq!(docs.len(), 1, "device {id} carries one document with a challenge: {docs:?}");
        assert_eq!(docs[0].device_ids, vec![*id], "the document targets that device alone");
        out.push(challenge_in(&docs[0].content).unwrap());
    }
    let distinct: BTreeSet<&String> = out.iter().collect();
    assert_eq!(distinct.len(), out.len(), "no challenge reused across devices: {out:?}");
    out
}

#[tokio::test]
async fn c24_dynamic_scep_challenge_one_fresh_challenge_per_device_and_enrollment() {
    let t = TestStack::start().await;
    let ids = fleet(&t, 3).await;
    let requests = t.stack.okta.challenge_requests();
    assert_eq!(requests.len(), 3, "Okta's challenge URL asked once per device: {requests:?}");
    for r in &requests {
        assert_eq!((r.user.as_deref(), r.password.as_deref()), (Some(USER), Some(PASSWORD)), "HTTP Basic");
        assert!(r.challenge.is_some());
    }
    let first = delivered(&t, &ids);
    let mut got = first.clone();
    got.sort();
    let mut want = issued(&t);
    want.sort();
    assert_eq!(got, want, "each device carries a challenge Okta issued");
    // The group's policy carries no document (one challenge cannot serve every member).
    assert!(t.stack.hexnode.policy_named("Okta Device Trust - macOS").is_none());

    // Neither the username nor the password is shown, in the platform or its preview; the preview masks the
    // per-device challenge where the devices' documents carry theirs.
    for path in ["/platforms/macos", "/platforms/macos/payload", "/platforms"] {
        let a = t.call("GET", path, Some(&t.admin()), None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        assert!(!a.text.contains(USER) && !a.text.contains(PASSWORD), "{path} shows a secret: {}", a.text);
    }
    let preview = t.call("GET", "/platforms/macos/payload", Some(&t.technician()), None).await;
    let doc = preview.body["document"].as_str().unwrap().to_string();
    assert_eq!(challenge_in(&doc).as_deref(), Some("********"), "{doc}");
    let device_doc = &documents_of(&t, ids[0])[0].content;
    assert_eq!(doc, device_doc.replace(&first[0], "********"), "the preview is the devices' document, masked");

    // A run with nothing changed asks Okta for nothing and keeps every document.
    let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    assert_eq!(t.stack.okta.challenge_requests().len(), 3, "no challenge fetched for what did not change");
    assert_eq!(delivered(&t, &ids), first);

    // A re-enrollment (the payload changes): a new challenge for each device, none seen before.
    let org_domain = t.stack.okta.lock().domain.clone();
    let mut body = dynamic_macos(&t, &org_domain, "CN={{user.email}} managementAttestation {{device.serial}}");
    body["challenge"].as_object_mut().unwrap().remove("password");
    let a = t.call("PUT", "/platforms/macos", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(!a.text.contains(USER) && !a.text.contains(PASSWORD), "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("the stream settles");
    assert_eq!(t.stack.okta.challenge_requests().len(), 6, "three more challenges for the re-enrollment");
    let second = delivered(&t, &ids);
    for c in &second {
        assert!(!first.contains(c), "a re-enrollment never reuses a challenge: {first:?} {second:?}");
    }
}

#[tokio::test]
async fn a_challenge_scep_enrollment_refuses_is_fetched_again_and_never_delivered() {
    let t = TestStack::start().await;
    // Okta's challenges may hold `_` (MDM.md §4), which is no ASN.1 PrintableString (case C01).
    t.stack.okta.plan_challenges(&["Ab_12cd34", "GOOD0CHALLENGE01"]);
    let ids = fleet(&t, 1).await;
    assert_eq!(issued(&t), vec!["Ab_12cd34".to_string(), "GOOD0CHALLENGE01".to_string()], "fetched again once");
    assert_eq!(delivered(&t, &ids), vec!["GOOD0CHALLENGE01".to_string()]);
    let everything: Vec<HexnodePolicy> = t.stack.hexnode.lock().policies.values().cloned().collect();
    assert!(everything.iter().all(|p| !p.content.contains("Ab_12cd34")), "the refused challenge is delivered nowhere");
}

/// The UEM cost of the dynamic challenge (BENCHMARKS.md): 1,000 in-scope macOS devices deployed from nothing,
/// runs repeated until every device has its own document. Prints the figure; rerun with
/// `cargo test -p odt-tests --test api dynamic_challenge_uem_calls_per_thousand_devices -- --nocapture`.
#[tokio::test]
async fn dynamic_challenge_uem_calls_per_thousand_devices() {
    let t = TestStack::start().await;
    let before = t.stack.hexnode.lock().requests.len();
    let ids = fleet(&t, 1000).await;
    let mut runs = 0;
    while ids.iter().any(|id| documents_of(&t, *id).is_empty()) {
        runs += 1;
        assert!(runs <= 8, "every device has its document within a few runs");
        let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        t.stack.settle().await.expect("the stream settles");
    }
    let calls = t.stack.hexnode.lock().requests.len() - before;
    let okta = t.stack.okta.challenge_requests().len();
    println!("dynamic challenge, 1,000 devices: {calls} UEM calls ({runs} extra runs), {okta} challenge URL calls");
    assert_eq!(okta, 1000, "one challenge per device");
    // Two calls per device: its policy created with Hexnode's documented body, then its payload (the undocumented
    // section, sent on its own so a portal refusing it still gets the app and targets; undocumented.rs).
    assert!(calls <= 2 * 1000 + 80, "two UEM calls per device plus the platform's few: {calls}");
}
