//! Issue 21, part 4: the SCEP attestation kept fresh. Okta's client certificates last a year, a certificate no
//! FastPass used within 90 days is revoked, and Okta does not accept SCEP renewal (`../shared/okta/MDM.md` section
//! 5). On the stack's manual clock: a macOS device never managed gets its attestation again after 90 days, managed
//! ones before their year is up (120 days, staggered per device), each once and only the devices due (the Hexnode
//! double's membership log: out of the group and in again); `GET /status` lists them within 30 days ahead and shows
//! each device's certificate age. A new Okta CA: the Windows document carries both CAs and the new thumbprint.

use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_shared::clock::ManualClock;
use odt_tests::TestStack;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const GROUP: &str = "00gFRESH000000000001";
/// Three macOS devices; the first two owners' devices are managed in Okta, the third's never.
const DEVICES: [u64; 3] = [9101, 9102, 9103];

fn owner(i: usize) -> String {
    format!("00uFRESH00000000000{i}")
}

async fn stack() -> (TestStack, ManualClock) {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    (TestStack::start_with(move |cfg| cfg.clock = Arc::new(c)).await, clock)
}

/// The fleet of [`DEVICES`], deployed, the first two managed in Okta and read as evidence.
async fn deployed_fleet(t: &TestStack) {
    t.ready_fleet().await;
    t.stack.okta.add_group(GROUP, "Fresh");
    for (i, d) in DEVICES.iter().enumerate() {
        let email = format!("fresh{i}@acme.com");
        t.stack.okta.add_user(&owner(i), &email, &email, "ACTIVE");
        t.stack.okta.add_member(GROUP, &owner(i));
        t.stack.hexnode.add_user(91 + i as u64, "Owner", &email);
        t.stack.hexnode.add_device(HexnodeDeviceSeed::new(*d, &format!("Mac {i}"), "macos", Some(91 + i as u64)));
    }
    let fleet = json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []});
    assert_eq!(t.call("PUT", "/fleet", Some(&t.admin()), Some(fleet)).await.status, 200);
    assert_eq!(t.call("POST", "/fleet/sync", Some(&t.admin()), None).await.status, 200);
    t.stack.settle().await.expect("settles");
    for (i, d) in DEVICES.iter().take(2).enumerate() {
        let serial = format!("SER{d}");
        let okta = format!("guoFRESH{i}");
        t.stack.okta.add_device(&okta, "Mac", "MACOS", Some(&serial), None, Some(&owner(i)), Some("MANAGED"));
    }
    refresh(t).await;
}

async fn refresh(t: &TestStack) {
    let a = t.call("POST", "/status/refresh", Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
}

/// A deployment run as the admin starts it, then the stream consumers idle.
async fn run(t: &TestStack) {
    let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
}

/// Device `d`'s item in `GET /status/devices`.
async fn status_of(t: &TestStack, d: u64) -> Value {
    let page = t.call("GET", "/status/devices?pageSize=500", Some(&t.technician()), None).await;
    let items = page.body["items"].as_array().expect("items");
    items.iter().find(|i| i["deviceId"] == d.to_string().as_str()).cloned().expect("listed")
}

/// The devices (of [`DEVICES`]) taken out of a group and added again in membership writes from `from` on.
fn delivered_again_since(t: &TestStack, from: usize) -> Vec<u64> {
    let log = t.stack.hexnode.lock().membership_log[from..].to_vec();
    DEVICES
        .into_iter()
        .filter(|d| {
            let out = log.iter().position(|w| w.removed.contains(d));
            out.is_some_and(|o| log[o..].iter().any(|w| w.added.contains(d)))
        })
        .collect()
}

fn log_len(t: &TestStack) -> usize {
    t.stack.hexnode.lock().membership_log.len()
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

#[tokio::test]
async fn scep_attestation_is_delivered_again_to_the_devices_due_only_and_once() {
    odt_tests::require_services();
    let (t, clock) = stack().await;
    deployed_fleet(&t).await;
    let first = status_of(&t, DEVICES[0]).await;
    let delivered = first["attestedAt"].as_str().expect("attestedAt").to_string();
    assert_eq!(first["certificateAgeDays"], 0, "{first}");
    assert_eq!(first["renewalReason"], "renewal", "{first}");
    assert_eq!(status_of(&t, DEVICES[2]).await["renewalReason"], "never_managed");
    let status = t.call("GET", "/status", Some(&t.technician()), None).await;
    assert_eq!(status.body["renewalsDue"]["count"], 0, "{}", status.text);
    let macos = status.body["certificates"].as_array().expect("certificates").iter().find(|c| c["platform"] == "macos");
    assert_eq!(macos.expect("macos")["renewDaysBeforeExpiry"], 120);

    // Day 61: the never-managed device is due within 30 days.
    clock.advance(days(61));
    let status = t.call("GET", "/status", Some(&t.technician()), None).await;
    let due = &status.body["renewalsDue"];
    assert_eq!(due["count"], 1, "{due}");
    assert_eq!(
        (due["devices"][0]["deviceId"].as_str(), due["devices"][0]["reason"].as_str()),
        (Some("9103"), Some("never_managed"))
    );
    assert_eq!(status_of(&t, DEVICES[0]).await["certificateAgeDays"], 61);
    // The CSV export carries the same four facts per device.
    let a = t.call("POST", "/status/exports", Some(&t.technician()), Some(json!({"format": "csv"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let rows = super::status::csv_rows(a.body["inline"].as_str().expect("a small export comes inline").as_bytes());
    let row = |d: u64| rows.iter().find(|r| r["device_id"] == d.to_string()).expect("exported").clone();
    let (managed, never) = (row(DEVICES[0]), row(DEVICES[2]));
    assert_eq!((managed["attested_at"].as_str(), managed["certificate_age_days"].as_str()), (delivered.as_str(), "61"));
    assert_eq!(managed["renewal_reason"], "renewal");
    assert_eq!(never["renewal_reason"], "never_managed");
    assert_eq!(never["renewal_due_at"].as_str(), due["devices"][0]["dueAt"].as_str().expect("dueAt"));

    // Day 91: a run delivers it again (out of the group and in), and only it; a second run does nothing more.
    clock.advance(days(30));
    let from = log_len(&t);
    run(&t).await;
    assert_eq!(delivered_again_since(&t, from), vec![DEVICES[2]]);
    let again = status_of(&t, DEVICES[2]).await;
    assert_ne!(again["attestedAt"].as_str(), Some(delivered.as_str()), "{again}");
    assert_eq!(again["certificateAgeDays"], 0);
    assert_eq!(status_of(&t, DEVICES[0]).await["attestedAt"].as_str(), Some(delivered.as_str()));
    let from = log_len(&t);
    run(&t).await;
    assert_eq!(log_len(&t), from, "a second run delivers nothing again");

    // Day 280: past every stagger (245 to 274 days), the managed devices renew, each once.
    clock.advance(days(189));
    refresh(&t).await;
    let from = log_len(&t);
    run(&t).await;
    let renewed = delivered_again_since(&t, from);
    assert!(renewed.contains(&DEVICES[0]) && renewed.contains(&DEVICES[1]), "{renewed:?}");
    let fresh = status_of(&t, DEVICES[0]).await;
    assert_eq!(fresh["certificateAgeDays"], 0, "{fresh}");
    let from = log_len(&t);
    run(&t).await;
    assert_eq!(log_len(&t), from, "a second run delivers nothing again");
}

#[tokio::test]
async fn the_renewal_lead_is_checked_and_kept() {
    odt_tests::require_services();
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().expect("domain");
    let body = |lead: Value| {
        json!({"scepUrl": format!("https://{domain}/pki/ca/scep"), "challenge": {"type": "static", "secretKey": "Ab12-xy"},
            "subject": "CN={{user.email}} managementAttestation {{device.id}}", "renewDaysBeforeExpiry": lead})
    };
    for bad in [json!(29), json!(301), json!(-1), json!("120")] {
        let a = t.call("PUT", "/platforms/macos", Some(&t.admin()), Some(body(bad.clone()))).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.text);
        assert!(a.text.contains("renewDaysBeforeExpiry"), "{bad}: {}", a.text);
    }
    assert_eq!(t.call("GET", "/platforms/macos", Some(&t.admin()), None).await.body["state"], "not_configured");
    let a = t.call("PUT", "/platforms/macos", Some(&t.admin()), Some(body(json!(200)))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["settings"]["renewDaysBeforeExpiry"], 200, "{}", a.text);
    // Omitted: the stored lead stays.
    let mut again = body(json!(null));
    again.as_object_mut().expect("object").remove("renewDaysBeforeExpiry");
    again["version"] = a.body["version"].clone();
    let a = t.call("PUT", "/platforms/macos", Some(&t.admin()), Some(again)).await;
    assert_eq!((a.status, &a.body["settings"]["renewDaysBeforeExpiry"]), (200, &json!(200)), "{}", a.text);
}

#[tokio::test]
async fn a_renewed_okta_ca_goes_to_windows_beside_the_one_it_replaces() {
    odt_tests::require_services();
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().expect("domain");
    let (old, new) = two_cas();
    let body = |ca: &str| {
        json!({"scepUrl": format!("https://{domain}/pki/ca/scep"), "challenge": {"type": "static", "secretKey": "Ab12-xy"},
            "subject": "CN={{user.email}} managementAttestation {{device.id}}", "caCertificate": ca})
    };
    let a = t.call("PUT", "/platforms/windows", Some(&t.admin()), Some(body(&old))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let old_thumb = a.body["settings"]["caCertificate"]["sha1Thumbprint"].as_str().expect("thumbprint").to_string();
    let mut renewed = body(&new);
    renewed["version"] = a.body["version"].clone();
    let a = t.call("PUT", "/platforms/windows", Some(&t.admin()), Some(renewed)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let new_thumb = a.body["settings"]["caCertificate"]["sha1Thumbprint"].as_str().expect("thumbprint").to_string();
    assert_ne!(old_thumb, new_thumb);
    assert_eq!(a.body["settings"]["retiringCaCertificate"]["sha1Thumbprint"], old_thumb.as_str(), "{}", a.text);
    let doc = t.call("GET", "/platforms/windows/payload", Some(&t.admin()), None).await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    let text = doc.body["document"].as_str().map(str::to_string).unwrap_or(doc.text.clone());
    for thumb in [&old_thumb, &new_thumb] {
        assert!(text.contains(&format!("RootCATrustedCertificates/CA/{thumb}/EncodedCertificate")), "{thumb}: {text}");
    }
    let scep_thumb = text.split("CAThumbprint").nth(1).expect("CAThumbprint");
    assert!(scep_thumb.contains(&new_thumb) && !scep_thumb[..200.min(scep_thumb.len())].contains(&old_thumb));
    let status = t.call("GET", "/status", Some(&t.technician()), None).await;
    let win = status.body["certificates"]
        .as_array()
        .expect("certificates")
        .iter()
        .find(|c| c["platform"] == "windows")
        .cloned();
    let win = win.expect("windows");
    assert_eq!(
        (win["ca"]["sha1Thumbprint"].as_str(), win["retiringCa"]["sha1Thumbprint"].as_str()),
        (Some(new_thumb.as_str()), Some(old_thumb.as_str()))
    );
}

/// Two distinct valid CA certificates (PEM) from the machine's bundle.
fn two_cas() -> (String, String) {
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").expect("the machine's CA bundle");
    let now = time::OffsetDateTime::now_utc();
    let mut valid = bundle
        .split_inclusive("-----END CERTIFICATE-----")
        .map(|b| b.trim().to_string())
        .filter(|b| b.starts_with("-----BEGIN CERTIFICATE-----"))
        .filter(|pem| odt_shared::attestation::cert::parse_ca_certificate(pem, now).is_ok());
    (valid.next().expect("a CA"), valid.next().expect("a second CA"))
}
