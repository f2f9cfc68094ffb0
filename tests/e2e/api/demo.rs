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
    assert!(!outcome.granted_scopes.contains(&"okta.eventHooks.manage".to_string()));
    assert!(!text.contains(&org.client_secret), "the demo never prints the secret");
    assert!(text.contains("230 groups"));
    let enabled: Vec<&str> = outcome.platforms.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(enabled, vec!["ios", "android", "macos", "windows"]);
    assert!(outcome.platforms.iter().all(|(_, h)| h.len() == 64));
    assert!(outcome.in_scope > 0, "{text}");
    assert_eq!(outcome.first_sync_written, 366, "every device recorded once");
    assert_eq!(outcome.second_sync_written, 0);
    assert!(outcome.hook_round_trip, "{text}");
    // Deployment: every platform's managed group holds exactly its in-scope devices, the devices carry exactly
    // their platform's items, and the later steps each changed only what they should.
    assert_eq!(outcome.deployed.len(), 4, "{text}");
    for (p, in_scope, members) in &outcome.deployed {
        assert!(*in_scope > 0, "{p}: {text}");
        assert_eq!(*in_scope as usize, *members, "{p}: {text}");
    }
    assert!(outcome.carries_exactly, "{text}");
    assert!(outcome.deploy_uem_calls <= 40, "{} UEM calls: {text}", outcome.deploy_uem_calls);
    assert_eq!(outcome.reset_writes.len(), 1, "{text}");
    assert!(outcome.reset_writes[0].starts_with("PUT /api/v1/policy/"), "{text}");
    assert_eq!(outcome.windows_left, 0);
    assert_eq!(outcome.removal, (0, 0, "none".to_string()), "{text}");
    // Status and exports: the summary counts every device; both exports hold every device row.
    assert_eq!(outcome.status_summary["devices"], 366, "{text}");
    assert!(outcome.status_summary["byState"]["managed"].as_u64().unwrap_or(0) > 0, "{text}");
    assert!(outcome.status_summary["byState"]["delivered"].as_u64().unwrap_or(0) > 0, "{text}");
    assert_eq!(outcome.exports.len(), 2);
    for (path, rows) in &outcome.exports {
        assert_eq!(*rows, 366, "{}", path.display());
        assert!(std::fs::metadata(path).map(|m| m.len() > 1000).unwrap_or(false), "{}", path.display());
    }
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
}
