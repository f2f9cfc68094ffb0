//! The README's first command runs this walkthrough; here it runs on a test stack and its numbers are checked.

use odt_local::demo::walkthrough;
use odt_local::seed::{seed_demo, DEMO_DOMAIN};
use odt_local::stack::StackConfig;
use odt_tests::{unique, TestStack};

#[tokio::test]
async fn walkthrough_connects_the_demo_org_and_lists_its_groups() {
    std::env::set_var("ODT_EXPORTS_DIR", std::env::temp_dir().join(unique("odt-demo-exports-")));
    let t = TestStack::start_with(|c: &mut StackConfig| {
        c.okta_domain = DEMO_DOMAIN.into();
        c.table = unique("odt-demo-test-");
    })
    .await;
    let org = seed_demo(&t.stack.okta);
    odt_local::seed::seed_demo_fleet(&t.stack.hexnode);
    let mut out = Vec::new();
    let outcome = walkthrough(&t.stack, &org, &mut out).await.expect("walkthrough succeeds");
    let text = String::from_utf8(out).unwrap();
    assert_eq!(outcome.groups, 230, "{text}");
    assert_eq!(outcome.okta_group_pages, 2);
    assert_eq!(outcome.device_trust_state, "active");
    assert!(outcome.granted_scopes.contains(&"okta.logs.read".to_string()));
    assert!(outcome.granted_scopes.contains(&"okta.eventHooks.manage".to_string()));
    // Okta's side (issue 21): the hook registered, verified by Okta calling the front, active; rotated with no
    // delivery refused; one device assurance policy per platform with the OS rule; Windows's deleted once
    // switched off; the hook and the policies removed with device trust.
    assert!(outcome.hook_verified, "{text}");
    assert_eq!(outcome.rotation_refused, 0, "{text}");
    let minimums: Vec<(&str, &str)> = outcome.assurance.iter().map(|(p, _, m)| (p.as_str(), m.as_str())).collect();
    assert_eq!(
        minimums,
        vec![("ios", "16.0.0"), ("android", "11.0.0"), ("macos", "13.0.0"), ("windows", "10.0.19044.0")],
        "{text}"
    );
    assert!(outcome.assurance_after_windows_off.contains(&("windows".into(), "deleted".into())), "{text}");
    assert!(outcome.okta_side_removed.contains(&("event_hook".into(), "deleted".into())), "{text}");
    assert_eq!(
        outcome.okta_side_removed.iter().filter(|(_, o)| o == "deleted").count(),
        4,
        "the hook and three policies: {text}"
    );
    assert!(t.stack.okta.event_hooks().is_empty() && t.stack.okta.device_assurances().is_empty(), "{text}");
    assert!(!text.contains(&org.client_secret), "the demo never prints the secret");
    assert!(text.contains("230 groups"));
    let enabled: Vec<&str> = outcome.platforms.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(enabled, vec!["ios", "android", "macos", "windows"]);
    assert!(outcome.platforms.iter().all(|(_, h)| h.len() == 64));
    assert!(outcome.in_scope > 0, "{text}");
    assert_eq!(outcome.first_sync_written, 366, "every device recorded once");
    assert_eq!(outcome.second_sync_written, 0);
    assert!(outcome.hook_round_trip, "{text}");
    // The access policy rules: inactive when created, active only after the admin's call, Okta's simulation then
    // meeting them, and the policy exactly as before after the rollback.
    assert_eq!(outcome.access_rules, (true, true, true, true), "{text}");
    // Deployment: every platform's managed group holds exactly its in-scope devices, the devices carry exactly
    // their platform's items, and the later steps each changed only what they should.
    assert_eq!(outcome.deployed.len(), 4, "{text}");
    for (p, in_scope, members) in &outcome.deployed {
        assert!(*in_scope > 0, "{p}: {text}");
        assert_eq!(*in_scope as usize, *members, "{p}: {text}");
    }
    assert!(outcome.carries_exactly, "{text}");
    // macOS uses Okta's dynamic challenge: each in-scope Mac's document carries its own, a different one each
    // (more requests than Macs: a Mac deployed before its Okta Verify method was set is enrolled again with a new
    // challenge when the app joins its policy).
    let (macs, with_challenge, requests) = outcome.macos_challenges;
    assert!(macs > 0, "{text}");
    assert_eq!(with_challenge, macs, "{text}");
    assert!(requests >= macs && requests <= 2 * macs, "{text}");
    // Two calls per Mac for its own policy (the dynamic challenge: created with the documented body, then its
    // payload), one more per re-enrollment (each challenge request past the first per Mac: the policy's update),
    // the rest per platform. How many Macs are enrolled twice depends on when the stream delivers the Okta Verify
    // methods, so the bound counts the re-enrollments that happened.
    let reenrolled = requests - macs;
    assert!(
        outcome.deploy_uem_calls <= 40 + 2 * macs + reenrolled,
        "{} UEM calls, {reenrolled} re-enrollments: {text}",
        outcome.deploy_uem_calls
    );
    assert_eq!(outcome.reset_writes.len(), 1, "{text}");
    assert!(outcome.reset_writes[0].starts_with("PUT /api/v1/policy/"), "{text}");
    assert_eq!(outcome.windows_left, 0);
    assert_eq!(outcome.removal, (0, 0, "none".to_string()), "{text}");
    // Status and exports: the summary counts every device; both exports hold every device row.
    assert_eq!(outcome.status_summary["devices"], 366, "{text}");
    assert!(outcome.status_summary["byState"]["managed"].as_u64().unwrap_or(0) > 0, "{text}");
    assert!(outcome.status_summary["byState"]["delivered"].as_u64().unwrap_or(0) > 0, "{text}");
    // C29: Windows was switched off in step 14: no Windows device is pending or in scope in the summary, each is
    // out of scope (with platform_disabled: at least the ones deployed before).
    let windows = outcome.status_summary["byPlatform"]["windows"].as_object().cloned().unwrap_or_default();
    assert_eq!(windows.keys().collect::<Vec<_>>(), ["not_in_scope"], "{text}");
    let deployed_windows = outcome.deployed.iter().find(|(p, _, _)| p == "windows").map_or(0, |(_, n, _)| *n);
    assert!(deployed_windows > 0, "{text}");
    assert!(outcome.status_summary["excluded"]["platform_disabled"].as_u64() >= Some(deployed_windows), "{text}");
    assert_eq!(outcome.exports.len(), 2);
    for (path, rows) in &outcome.exports {
        assert_eq!(*rows, 366, "{}", path.display());
        assert!(std::fs::metadata(path).map(|m| m.len() > 1000).unwrap_or(false), "{}", path.display());
    }
    // Step 15b, 91 days on: only the Macs Okta never reported managed are due, one run delivers each again.
    let (due, redelivered, left) = outcome.renewals;
    assert!(due > 0, "{text}");
    assert_eq!((redelivered, left), (due, 0), "{text}");
    for reason in [
        "no_owner",
        "owner_not_in_okta_org",
        "owner_not_active",
        "os_too_old",
        "not_android_enterprise",
        "platform_unsupported",
    ] {
        assert!(outcome.excluded.contains_key(reason), "{reason} missing: {text}");
    }
    // `scripts/demo.sh --keep`: the console opens on device trust set up again and deployed, not on the removal.
    let mut out = Vec::new();
    let restored = odt_local::demo::restore_for_console(&t.stack, &outcome.org_id, &mut out).await;
    let text = String::from_utf8(out).unwrap();
    let restored = restored.unwrap_or_else(|e| panic!("{e:#}\n{text}"));
    assert!(restored > 0, "{text}");
    let o = t.call("GET", "/deployments", Some(&t.stack.token(odt_local::demo::DEMO_TENANT, "admin")), None).await;
    assert_eq!(o.body["deviceTrust"], "active", "{}", o.text);
    assert!(o.body["devicesCarryingItems"].as_u64() > Some(0), "{}", o.text);
    assert!(!t.stack.hexnode.policies().is_empty(), "{text}");
}

/// The walkthrough against real systems (`odt-local walkthrough`) is configuration only: here it runs the
/// documented example setup file (docs/walkthrough.example.json) against the local front over HTTP, with the
/// doubles standing where a real Okta org and Hexnode portal would be.
#[tokio::test]
async fn remote_walkthrough_runs_the_example_setup_file_on_configuration_alone() {
    std::env::set_var("ODT_EXPORTS_DIR", std::env::temp_dir().join(unique("odt-remote-exports-")));
    let t = TestStack::start_with(|c: &mut StackConfig| {
        c.okta_domain = DEMO_DOMAIN.into();
        c.table = unique("odt-remote-test-");
    })
    .await;
    let org = seed_demo(&t.stack.okta);
    odt_local::seed::seed_demo_fleet(&t.stack.hexnode);
    let ca = {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap().pem()
    };
    // Okta generates the dynamic SCEP challenge's URL, username and password (macOS uses it).
    let challenge_password = unique("scep-password-");
    t.stack.okta.set_challenge_credentials("scep-remote", &challenge_password);
    let env = std::collections::HashMap::from([
        ("OKTA_DOMAIN", org.domain.clone()),
        ("OKTA_CLIENT_ID", org.client_id.clone()),
        ("OKTA_CLIENT_SECRET", org.client_secret.clone()),
        ("HEXNODE_PORTAL_URL", format!("https://{}", t.stack.hexnode_portal)),
        ("HEXNODE_API_KEY", t.stack.hexnode_api_key.clone()),
        ("OKTA_IOS_SECRET_KEY", unique("ios-key-")),
        ("OKTA_ANDROID_SECRET_KEY", unique("android-key-")),
        ("OKTA_SCEP_URL", format!("https://{}/pki/ca/scep", org.domain)),
        ("OKTA_SCEP_CHALLENGE_URL", t.stack.okta.challenge_url()),
        ("OKTA_SCEP_CHALLENGE_USERNAME", "scep-remote".into()),
        ("OKTA_SCEP_CHALLENGE_PASSWORD", challenge_password.clone()),
        ("OKTA_WINDOWS_SCEP_CHALLENGE", unique("windows-challenge-")),
        ("OKTA_CA_CERTIFICATE_PEM", ca),
        ("HEXNODE_IOS_OKTA_VERIFY_APP_ID", "701".into()),
        ("HEXNODE_MACOS_OKTA_VERIFY_APP_ID", "702".into()),
        ("HEXNODE_WINDOWS_OKTA_VERIFY_APP_ID", "703".into()),
        ("HEXNODE_VPP_LOCATION", "Acme Demo VPP".into()),
        ("OKTA_GROUP_ID", "00gSALES000000000001".into()),
        ("HEXNODE_DEVICE_GROUP_ID", odt_local::seed::DEMO_LAPTOP_GROUP.to_string()),
    ]);
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/walkthrough.example.json"))
        .expect("the example setup file");
    let setup = odt_local::remote::expand(serde_json::from_str(&example).unwrap(), &|k| env.get(k).cloned())
        .expect("every placeholder of the example is documented");
    let mut out = Vec::new();
    let outcome = odt_local::remote::walkthrough(&t.stack.base_url, t.admin(), &setup, true, &mut out)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\n{}", String::from_utf8_lossy(&out)));
    let text = String::from_utf8(out).unwrap();
    assert!(outcome.in_scope > 0, "{text}");
    let deployed: u64 = outcome.deployed.iter().map(|(_, n)| n).sum();
    assert_eq!(deployed, outcome.in_scope, "every in-scope device is deployed on its platform: {text}");
    assert_eq!(outcome.deployed.len(), 4, "{text}");
    assert_eq!(outcome.exports.len(), 2);
    for (path, rows) in &outcome.exports {
        assert_eq!(*rows, 366, "{}", path.display());
        assert!(std::fs::metadata(path).map(|m| m.len() > 1000).unwrap_or(false), "{}", path.display());
    }
    assert!(outcome.hook_registered, "the org's app may manage event hooks, so the hook is registered: {text}");
    assert!(outcome.torn_down, "teardown left items on devices: {text}");
    // A deployment run already in flight when the removal completed (it read device trust while it was active)
    // may give a few devices their own policies after the removal's dismantle; it reads device trust again at its
    // end and takes every device's own policy off (`challenges::deliver`). Once the runs in flight are done,
    // nothing is left.
    t.stack.settle().await.expect("the runs in flight end");
    assert!(
        t.stack.hexnode.policies().is_empty(),
        "every policy removed: {:?} {text}",
        t.stack.hexnode.policies().iter().map(|p| p.name.clone()).collect::<Vec<_>>()
    );
    // macOS's dynamic challenge: Okta was asked with the saved credentials at least once per in-scope Mac.
    let macs = outcome.deployed.iter().find(|(p, _)| p == "macos").map_or(0, |(_, n)| *n) as usize;
    let asked = t.stack.okta.challenge_requests();
    assert!(macs > 0 && asked.iter().filter(|r| r.challenge.is_some()).count() >= macs, "{asked:?}");
    assert!(asked.iter().all(|r| r.user.as_deref() == Some("scep-remote")), "{asked:?}");
    for secret in env.iter().filter(|(k, _)| k.contains("SECRET") || k.contains("KEY") || k.contains("CHALLENGE")) {
        assert!(!text.contains(secret.1.as_str()), "{} printed", secret.0);
    }
}
