//! Hexnode faults during deployment: 429 `Request was throttled. Expected available in N seconds.` (reads and
//! writes), 5xx, and devices vanishing from the UEM in the middle of the deployment (just before the group
//! write that names them). Each UEM write must be done once: no device added to a group it is already in, none
//! removed twice, one managed group and one policy per platform.

use super::common::*;
use odt_doubles::hexnode::HexnodeApp;
use serde_json::json;
use std::collections::BTreeSet;

const IOS_APP: u64 = 501;
const MAC_APP: u64 = 502;
const WIN_APP: u64 = 503;

async fn okta_verify_methods(t: &odt_tests::TestStack) {
    let h = &t.stack.hexnode;
    h.add_app(HexnodeApp::new(IOS_APP, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    h.add_app(HexnodeApp::new(MAC_APP, "Okta Verify", "macos", "vpp", Some("com.okta.mobile.auth-service")));
    let mut exe = HexnodeApp::new(WIN_APP, "Okta Verify for Windows", "windows", "enterprise", None);
    exe.success_criteria = Some("exit code 0".into());
    exe.uninstall_parameters = Some("/uninstall /quiet".into());
    h.add_app(exe);
    h.add_app(HexnodeApp::new(504, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")));
    for (p, body) in [
        ("ios", json!({"method": "vpp", "appId": IOS_APP.to_string(), "locationToken": "Acme VPP", "licenses": 5000})),
        (
            "macos",
            json!({"method": "vpp", "appId": MAC_APP.to_string(), "locationToken": "Acme VPP", "licenses": 5000}),
        ),
        ("windows", json!({"method": "exe", "appId": WIN_APP.to_string()})),
        ("android", json!({"method": "managed_play"})),
    ] {
        let a = t.call("PUT", &format!("/okta-verify/{p}"), Some(&t.admin()), Some(body)).await;
        assert_eq!(a.status, 200, "{p}: {}", a.text);
    }
}

#[tokio::test]
async fn hexnode_429_5xx_and_devices_vanishing_mid_deployment() {
    let n = size(80, 1000);
    let mut rng = fastrand::Rng::with_seed(seed() ^ 0x4E7);
    let (t, clock) = stack(None, None).await;
    let people = fleet(&t, n).await;
    okta_verify_methods(&t).await;
    t.stack.settle().await.expect("settles");
    // In-scope devices that will vanish when their first group write goes out.
    let in_scope: Vec<u64> = (0..n).filter(|i| i % 10 >= 4).map(device_id).collect();
    let vanishing: BTreeSet<u64> = (0..size(3, 20)).map(|_| in_scope[rng.usize(..in_scope.len())]).collect();
    let faults = size(40, 300);
    {
        let mut h = t.stack.hexnode.lock();
        h.vanish_on_write = vanishing.clone();
        for _ in 0..faults {
            match rng.usize(..3) {
                0 => h.throttled.push_back([57.0, 3.0, 12.5][rng.usize(..3)]),
                1 => h.throttled_writes.push_back([57.0, 30.0][rng.usize(..2)]),
                _ => h.failures.push_back([500, 502, 503][rng.usize(..3)]),
            }
        }
    }
    let mut runs = 0;
    loop {
        runs += 1;
        okta_changes(&t, &mut rng, &people, 5, runs * 100);
        let (status, body) = sync(&t).await;
        assert!([200, 502, 503].contains(&status), "{status}: {body}");
        t.stack.settle().await.expect("settles");
        let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
        assert!([200, 502, 503].contains(&a.status), "{}: {}", a.status, a.text);
        let h = t.stack.hexnode.lock();
        if (h.throttled.is_empty() && h.throttled_writes.is_empty() && h.failures.is_empty()) || runs >= 30 {
            break;
        }
    }
    let unused = {
        let mut h = t.stack.hexnode.lock();
        let unused = h.throttled.len() + h.throttled_writes.len() + h.failures.len();
        h.throttled.clear();
        h.throttled_writes.clear();
        h.failures.clear();
        h.vanish_on_write.clear();
        unused
    };
    // The faults stopped: reconcile (drops vanished devices), let the stream deploy, and retry now.
    let (after, left) = converge(&t, 2).await;
    t.stack.settle().await.expect("settles");
    let a = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");

    // Every in-scope device the UEM still has is in its platform's managed group; nothing else is.
    let expected = {
        let okta = t.stack.okta.lock();
        let hexnode = t.stack.hexnode.lock();
        oracle(&okta, &hexnode, &[GROUP])
    };
    let mut wrong = Vec::new();
    for (label, platform) in [("iOS", "ios"), ("Android", "android"), ("macOS", "macos"), ("Windows", "windows")] {
        let g = t.stack.hexnode.group_named(&format!("Okta Device Trust - {label}")).expect("managed group");
        let have: BTreeSet<u64> = g.members.iter().copied().collect();
        let want: BTreeSet<u64> = expected
            .iter()
            .filter(|(_, e)| e.in_scope && e.platform.as_deref() == Some(platform))
            .map(|(id, _)| id.parse().unwrap())
            .collect();
        if have != want {
            wrong.push(format!("{label}: extra {:?}, missing {:?}", &have - &want, &want - &have));
        }
    }
    let (dup_adds, dup_removes, vanished_seen, creates) = {
        let h = t.stack.hexnode.lock();
        let adds: usize = h.membership_log.iter().map(|w| w.already_members.len()).sum();
        let removes: usize = h.membership_log.iter().map(|w| w.not_members.len()).sum();
        let gone = vanishing.iter().filter(|d| !h.devices.contains_key(d)).count();
        let creates = |p: &str| h.applied.iter().filter(|r| r.method == "POST" && r.path_and_query == p).count();
        (adds, removes, gone, (creates("/api/v1/devicegroups/"), creates("/api/v1/policy/")))
    };
    Figures {
        faults: faults - unused + vanished_seen,
        deliveries: 0,
        requests: requests(&t),
        devices: n,
        mismatches: left.len() + wrong.len(),
        uem_writes_duplicated: dup_adds + dup_removes,
        reconciliations_after: after,
    }
    .print("hexnode");
    println!(
        "FAULTS hexnode: {vanished_seen} of {} devices vanished mid-deployment, {} clock waits ({} s), {runs} runs under faults",
        vanishing.len(),
        clock.sleeps().len(),
        clock.sleeps().iter().map(|d| d.as_secs()).sum::<u64>()
    );
    assert!(left.is_empty(), "records differ from the oracle: {left:#?}");
    assert!(wrong.is_empty(), "group members differ from the oracle: {wrong:#?}");
    assert!(vanished_seen > 0, "devices vanished mid-deployment");
    assert_eq!((dup_adds, dup_removes), (0, 0), "no device added or removed twice");
    assert_eq!(creates, (4, 4), "one managed group and one policy per platform");
    assert!(
        clock.sleeps().iter().any(|d| d.as_secs() >= 57),
        "a 57 s throttle was waited out (C13): {:?}",
        clock.sleeps()
    );
}
