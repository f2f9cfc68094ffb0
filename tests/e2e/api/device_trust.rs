//! Choosing the org device trust uses, the overview, deleting device trust, disconnecting orgs.

use odt_tests::TestStack;
use serde_json::json;

#[tokio::test]
async fn device_trust_lifecycle_and_disconnect_rules() {
    let t = TestStack::start().await;
    let admin = t.admin();
    let a = t.call("GET", "/device-trust", Some(&admin), None).await;
    assert_eq!(a.body, json!({"state": "not_configured", "version": 0}));
    let a = t.call("PUT", "/device-trust", Some(&admin), Some(json!({"oktaOrgId": "org_nope"}))).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"]["field"], "oktaOrgId");

    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    let a = t.call("PUT", "/device-trust", Some(&admin), Some(json!({"oktaOrgId": org_id, "version": 0}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["state"], "active");
    assert_eq!(a.body["oktaDomain"], t.domain.as_str());
    assert_eq!(a.body["version"], 1);

    // In use: cannot be disconnected.
    let a = t.call("DELETE", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body["error"]["code"], "org_in_use");

    // Delete device trust: removal is recorded; repeating changes nothing; re-enabling waits for the removal.
    let a = t.call("DELETE", "/device-trust", Some(&admin), None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["state"], "removing");
    assert!(a.body["removalRequestedAt"].is_string());
    let bad = t.call("DELETE", "/device-trust?version=99999999999999999999999", Some(&admin), None).await;
    assert_eq!(bad.status, 400, "an invalid version is refused even when nothing would change: {}", bad.text);
    assert_eq!(bad.body["error"]["field"], "version");
    let again = t.call("DELETE", "/device-trust", Some(&admin), None).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["version"], a.body["version"]);
    let a = t.call("PUT", "/device-trust", Some(&admin), Some(json!({"oktaOrgId": org_id}))).await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body["error"]["code"], "removal_in_progress");
    let a = t.call("DELETE", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await;
    assert_eq!(a.status, 409, "the removal still needs the org: {}", a.text);
}

#[tokio::test]
async fn disconnect_removes_record_marker_and_secret() {
    let t = TestStack::start().await;
    let admin = t.admin();
    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    assert_eq!(t.secret_names().await.len(), 1);
    let a = t.call("DELETE", &format!("/okta-orgs/{org_id}?version=7"), Some(&admin), None).await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body["error"]["currentVersion"], 1);
    let a = t.call("DELETE", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await.status, 404);
    assert!(t.secret_names().await.is_empty(), "the secret is scheduled for deletion");
    assert_eq!(t.tenant_items().await, 0, "record and host marker are gone");
    // The same org can be connected again.
    t.connect().await;
}

#[tokio::test]
async fn concurrent_device_trust_edits_one_wins() {
    let t = TestStack::start().await;
    let admin = t.admin();
    let (org, _) = t.connect().await;
    let body = json!({"oktaOrgId": org["id"], "version": 0});
    let (a, b) = tokio::join!(
        t.call("PUT", "/device-trust", Some(&admin), Some(body.clone())),
        t.call("PUT", "/device-trust", Some(&admin), Some(body.clone())),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "a: {} b: {}", a.text, b.text);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.body["error"]["currentVersion"], 1);
}
