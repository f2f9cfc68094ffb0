//! The event hook through Okta's Event Hooks API (issue 21, part 1): registered with the tenant's URL, the
//! secret and the event types, verified by the Okta double calling the local front for real, activated; its
//! secret rotated with no delivery refused; deactivated and deleted with device trust; without the scope the
//! manual path stays and the API names the scope.

use odt_doubles::okta::sample_event;
use odt_tests::{connect_body, TestStack};
use serde_json::{json, Value};

/// Registers the hook; returns the answer's body and Okta's hook id.
async fn registered(t: &TestStack) -> (Value, String) {
    let a = t.call("POST", "/event-hook/register", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.body["okta"]["id"].as_str().expect("Okta's hook id").to_string();
    (a.body, id)
}

/// The hook's `Authorization` value as the double holds it.
fn okta_secret(t: &TestStack, id: &str) -> String {
    t.stack.okta.lock().hook_secrets.get(id).cloned().expect("the double holds the hook's secret")
}

#[tokio::test]
async fn the_hook_is_created_verified_and_active_and_okta_delivers_to_it() {
    let t = TestStack::start().await;
    t.ready_device_trust().await;
    let (body, id) = registered(&t).await;
    assert_eq!(body["okta"]["status"], "ACTIVE", "{body}");
    assert_eq!(body["okta"]["verificationStatus"], "VERIFIED", "{body}");
    assert_eq!(body["setUpBy"], "product");
    let uri = format!("https://{}/hooks/okta/{}", t.stack.api_domain, t.tenant);
    assert_eq!(body["okta"]["uri"], uri.as_str());
    assert_eq!(body["url"], uri.as_str());
    // The event types the product asks the admin for are the ones registered.
    assert_eq!(body["okta"]["events"], body["eventTypes"]);
    assert!(body["eventTypes"].as_array().unwrap().iter().any(|e| e == "group.user_membership.add"));
    // Okta's verification reached the door for real and was answered.
    let calls = t.stack.okta.hook_calls();
    assert!(calls.iter().any(|c| c.kind == "verify" && c.hook_id == id && c.status == 200), "{calls:?}");
    let secret = okta_secret(&t, &id);
    assert!(secret.len() >= 32);
    assert!(!body.to_string().contains(&secret), "the secret is never returned");
    // Okta delivers with the secret it was given, and the product accepts it.
    let delivered = t.stack.okta.deliver(&id, &[sample_event("user.lifecycle.suspend", "00unobody")]).await;
    assert_eq!(delivered, Some(200));
    // GET /event-hook shows Okta's own view.
    let g = t.call("GET", "/event-hook", Some(&t.technician()), None).await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["okta"]["id"], id.as_str());
    assert_eq!(g.body["okta"]["verificationStatus"], "VERIFIED");
    assert_eq!(g.body["automation"]["allowed"], true);
    assert!(!g.text.contains(&secret));
    // With every scope granted, GET /okta-orgs says each automation is allowed.
    let orgs = t.call("GET", "/okta-orgs", Some(&t.admin()), None).await;
    let automations = orgs.body["items"][0]["automations"].as_array().cloned().unwrap_or_default();
    assert_eq!(automations.len(), 3, "{}", orgs.text);
    assert!(automations.iter().all(|a| a["allowed"] == true && a.get("missingScope").is_none()), "{}", orgs.text);
    // Registering again repairs, never duplicates.
    let (_, again) = registered(&t).await;
    assert_eq!(again, id);
    assert_eq!(t.stack.okta.event_hooks().len(), 1);
    // A secret set by hand may not replace the product's: it would leave Okta with the old one.
    let p = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": "x".repeat(20)}))).await;
    assert_eq!(p.status, 409, "{}", p.text);
    assert_eq!(p.body["error"]["code"], "hook_managed_by_product");
}

#[tokio::test]
async fn a_rotation_gives_okta_the_new_secret_with_no_delivery_refused() {
    let t = TestStack::start().await;
    t.ready_device_trust().await;
    let (_, id) = registered(&t).await;
    let old = okta_secret(&t, &id);
    // While Okta's hook is replaced, one delivery comes with the old secret just before and one with the new
    // secret just after (what deliveries in flight meet during a rotation).
    t.stack.okta.lock().deliver_during_replace = true;
    let a = t.call("POST", "/event-hook/rotate", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["rotating"], false);
    assert_eq!(a.body["okta"]["verificationStatus"], "VERIFIED", "verified again after the channel changed");
    assert_eq!(a.body["okta"]["status"], "ACTIVE");
    let new = okta_secret(&t, &id);
    assert_ne!(new, old, "Okta holds a new secret");
    assert!(!a.text.contains(&new) && !a.text.contains(&old));
    let during: Vec<u16> =
        t.stack.okta.hook_calls().iter().filter(|c| c.kind == "delivery").map(|c| c.status).collect();
    assert_eq!(during, vec![200, 200], "no delivery refused during the rotation");
    // Afterwards Okta's secret is accepted and the old one no more.
    t.stack.okta.lock().deliver_during_replace = false;
    assert_eq!(t.stack.okta.deliver(&id, &[sample_event("user.lifecycle.suspend", "00unobody")]).await, Some(200));
    let stale = reqwest::Client::new()
        .post(format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant))
        .header("authorization", &old)
        .json(&json!({"data": {"events": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 401, "the old secret is refused once Okta has the new one");
}

#[tokio::test]
async fn deleting_device_trust_deactivates_and_deletes_the_hook() {
    let t = TestStack::start().await;
    t.ready_device_trust().await;
    let (_, id) = registered(&t).await;
    let d = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert_eq!(d.status, 202, "{}", d.text);
    let hook = d.body["oktaSide"].as_array().unwrap().iter().find(|o| o["item"] == "event_hook").cloned();
    assert_eq!(hook.as_ref().map(|h| h["outcome"].clone()), Some(json!("deleted")), "{}", d.text);
    assert!(t.stack.okta.event_hooks().is_empty(), "the hook is gone from Okta");
    let paths: Vec<(String, String)> = t
        .stack
        .okta
        .requests_to(&format!("/api/v1/eventHooks/{id}"))
        .into_iter()
        .map(|r| (r.method, r.path_and_query))
        .collect();
    let deactivate = paths.iter().position(|(m, p)| m == "POST" && p.ends_with("/lifecycle/deactivate"));
    let delete = paths.iter().position(|(m, _)| m == "DELETE");
    assert!(deactivate.is_some() && delete.is_some() && deactivate < delete, "{paths:?}");
    let g = t.call("GET", "/event-hook", Some(&t.admin()), None).await;
    assert_eq!(g.body["setUpBy"], "manual", "{}", g.text);
}

#[tokio::test]
async fn without_the_scope_the_manual_path_stays_and_the_scope_is_named() {
    let t = TestStack::start().await;
    let (id, secret) = t.oin_client(&["okta.users.read", "okta.groups.read", "okta.devices.read"]);
    let c = t.call("POST", "/okta-orgs", Some(&t.admin()), Some(connect_body(&t.domain, &id, &secret))).await;
    assert_eq!(c.status, 201, "{}", c.text);
    let automations = c.body["automations"].as_array().expect("automations").clone();
    for (name, scope) in [
        ("event_hook", "okta.eventHooks.manage"),
        ("device_assurance", "okta.deviceAssurance.manage"),
        ("policy_rules", "okta.policies.manage"),
    ] {
        let a = automations.iter().find(|a| a["automation"] == name).expect(name);
        assert_eq!(a["allowed"], false, "{a}");
        assert_eq!(a["missingScope"], scope, "{a}");
    }
    let dt = t.call("PUT", "/device-trust", Some(&t.admin()), Some(json!({"oktaOrgId": c.body["id"]}))).await;
    assert_eq!(dt.status, 200, "{}", dt.text);
    let r = t.call("POST", "/event-hook/register", Some(&t.admin()), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "okta_scope_not_granted");
    assert_eq!(r.body["error"]["missingScope"], "okta.eventHooks.manage");
    assert!(t.stack.okta.requests_to("/api/v1/eventHooks").is_empty(), "nothing asked of Okta");
    // The manual instructions stay: the path, the event types, and the secret saved by hand.
    let g = t.call("GET", "/event-hook", Some(&t.admin()), None).await;
    assert_eq!(g.body["setUpBy"], "manual");
    assert_eq!(g.body["automation"]["missingScope"], "okta.eventHooks.manage", "{}", g.text);
    assert!(g.body["eventTypes"].as_array().is_some_and(|e| !e.is_empty()));
    let p = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": "manual-secret-0123456789"}))).await;
    assert_eq!(p.status, 200, "{}", p.text);
}
