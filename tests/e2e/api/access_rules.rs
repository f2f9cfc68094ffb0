//! The app sign-on policy rules scoped to the fleet (issue 21, part 3), on the Okta double's Policies API: the
//! preview changes nothing, the pair is created INACTIVE right above the catch-all and stays inactive until the
//! admin activates it, activation is refused when it could lock out the asking admin or when a rule was changed
//! in Okta, the rollback removes only the product's rules, and nothing the product did not create is changed.

use odt_tests::{connect_body, TestStack};
use serde_json::{json, Value};

const GROUP: &str = "00gRULES000000000001";
const POLICY: &str = "rstAPPS0000000000001";
const APP: &str = "0oaAPP00000000000001";
/// The admin: a fleet user with a device Okta reports MANAGED.
const BOSS: (&str, &str) = ("00uBOSS0000000000001", "boss@acme.com");
/// A fleet user without a managed device.
const WORKER: (&str, &str) = ("00uWORKER00000000002", "worker@acme.com");
/// Someone outside the fleet.
const OUTSIDER: (&str, &str) = ("00uOUTSIDE0000000003", "outsider@acme.com");

/// Device trust with the fleet's Okta group (the boss and the worker), the boss's managed device, and one
/// access policy (one app) with two rules someone else made above its catch-all.
async fn setup(t: &TestStack) {
    t.ready_device_trust().await;
    t.connect_uem().await;
    t.stack.okta.add_group(GROUP, "Device Trust Fleet");
    for (id, email) in [BOSS, WORKER, OUTSIDER] {
        t.stack.okta.add_user(id, email, email, "ACTIVE");
    }
    t.stack.okta.add_member(GROUP, BOSS.0);
    t.stack.okta.add_member(GROUP, WORKER.0);
    t.stack.okta.add_device("guoBOSS0000000000001", "Boss Mac", "MACOS", None, None, Some(BOSS.0), Some("MANAGED"));
    t.stack.okta.add_device("guoWORK0000000000002", "Worker PC", "WINDOWS", None, None, Some(WORKER.0), None);
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.okta.add_access_policy(POLICY, "Salesforce", &[APP]);
    for (id, name, access) in
        [("rulFOREIGN0000000001", "Contractors", "DENY"), ("rulFOREIGN0000000002", "VPN", "ALLOW")]
    {
        t.stack.okta.add_foreign_rule(
            POLICY,
            json!({"id": id, "name": name, "conditions": {"people": {"groups": {"include": ["00gOTHER00000000001"]}}},
                   "actions": {"appSignOn": {"access": access}}}),
        );
    }
}

/// The policy's rules in Okta's order, as `(id, status)`.
fn order(t: &TestStack) -> Vec<(String, String)> {
    t.stack
        .okta
        .policy_rules(POLICY)
        .iter()
        .map(|r| {
            (r["id"].as_str().unwrap_or_default().to_string(), r["status"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// Every rule the product did not create, whole, with the catch-all's priority left out (Okta moves it down
/// when rules are inserted above it).
fn foreign(t: &TestStack, ours: &[&str]) -> Vec<Value> {
    t.stack
        .okta
        .policy_rules(POLICY)
        .into_iter()
        .filter(|r| !ours.iter().any(|o| r["id"] == *o))
        .map(|mut r| {
            if r["system"] == true {
                r["priority"] = Value::Null;
            }
            r
        })
        .collect()
}

/// Requests that changed the policy's rules (POST or DELETE to it).
fn rule_writes(t: &TestStack) -> usize {
    t.stack.okta.requests_to(&format!("/api/v1/policies/{POLICY}/rules")).iter().filter(|r| r.method != "GET").count()
}

fn body() -> Value {
    json!({"policyIds": [POLICY]})
}

#[tokio::test]
async fn the_rules_are_inactive_until_the_admin_activates_them_and_the_rollback_restores_the_policy() {
    let t = TestStack::start().await;
    setup(&t).await;
    let admin = t.admin_as(BOSS.1);
    let before_all = t.stack.okta.policy_rules(POLICY);

    // The preview reads only.
    let a = t.call("POST", "/access-policy-rules/preview", Some(&admin), Some(body())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let p = &a.body;
    assert_eq!(p["policies"][0]["appIds"], json!([APP]), "{}", a.text);
    assert_eq!(p["groupIds"], json!([GROUP]));
    assert_eq!(
        (p["fleetUsers"].clone(), p["managedInOkta"].clone(), p["refusedCount"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(p["refused"][0]["oktaUserId"], WORKER.0);
    assert_eq!(p["caller"], json!({"verdict": "has_managed_device", "oktaUserId": BOSS.0}));
    assert_eq!(p["policies"][0]["insertAt"], 2, "right above the catch-all");
    assert_eq!(p["policies"][0]["rulesBefore"].as_array().map(Vec::len), Some(2));
    // Okta's simulation: today the boss reaches the catch-all from any device.
    let catch_all = format!("rul{POLICY}CA");
    assert_eq!(p["policies"][0]["simulation"]["managedDeviceRuleId"], catch_all.as_str(), "{}", a.text);
    assert_eq!(t.stack.okta.policy_rules(POLICY), before_all, "the preview changed nothing");
    assert_eq!(rule_writes(&t), 0);

    // Created: INACTIVE, right above the catch-all, the others' order kept.
    let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(body())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["foreignOrderKept"], true);
    let item = &a.body["items"][0];
    assert_eq!(item["state"], "inactive");
    let (allow, deny) =
        (item["allowRuleId"].as_str().unwrap().to_string(), item["denyRuleId"].as_str().unwrap().to_string());
    let expected_order = |status: &str| {
        vec![
            ("rulFOREIGN0000000001".to_string(), "ACTIVE".to_string()),
            ("rulFOREIGN0000000002".to_string(), "ACTIVE".to_string()),
            (allow.clone(), status.to_string()),
            (deny.clone(), status.to_string()),
            (catch_all.clone(), "ACTIVE".to_string()),
        ]
    };
    assert_eq!(order(&t), expected_order("INACTIVE"));
    let rules = t.stack.okta.policy_rules(POLICY);
    assert_eq!(rules[2]["conditions"]["device"]["managed"], true);
    assert_eq!(rules[2]["conditions"]["device"]["registered"], true);
    assert_eq!(rules[2]["conditions"]["people"]["groups"]["include"], json!([GROUP]));
    assert_eq!(rules[3]["actions"]["appSignOn"]["access"], "DENY");
    assert_eq!(foreign(&t, &[&allow, &deny]), foreign_of(&before_all), "nothing else changed");

    // Still inactive: another preview, a second create and a listing change nothing in Okta.
    let writes = rule_writes(&t);
    let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(body())).await;
    assert_eq!((a.status, a.body["count"].clone()), (200, json!(1)), "{}", a.text);
    let a = t.call("GET", "/access-policy-rules", Some(&admin), None).await;
    assert_eq!(a.body["items"][0]["state"], "inactive", "{}", a.text);
    assert_eq!(rule_writes(&t), writes);
    assert_eq!(order(&t), expected_order("INACTIVE"));

    // Activated on the admin's call: both ACTIVE, nothing else changed.
    let a = t.call("POST", "/access-policy-rules/activate", Some(&admin), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["items"][0]["state"], "active");
    assert_eq!(order(&t), expected_order("ACTIVE"));
    assert_eq!(foreign(&t, &[&allow, &deny]), foreign_of(&before_all));

    // While they are active, the fleet cannot drop the group they name (its devices would lose their
    // attestation and the deny rule would refuse its users); adding a group is fine.
    let drop = json!({"oktaGroupIds": [], "uemDeviceGroupIds": []});
    let a = t.call("PUT", "/fleet", Some(&admin), Some(drop.clone())).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (409, Some("access_rules_name_group")), "{}", a.text);
    assert_eq!(
        (a.body["error"]["field"].clone(), a.body["error"]["groupIds"].clone()),
        (json!("oktaGroupIds"), json!([GROUP]))
    );
    let fleet = t.call("GET", "/fleet", Some(&admin), None).await;
    assert_eq!(fleet.body["oktaGroupIds"], json!([GROUP]), "nothing changed: {}", fleet.text);

    // One call rolls back: the policy is exactly as before, and a second rollback does nothing.
    let a = t.call("DELETE", "/access-policy-rules", Some(&admin), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["removed"][0]["ruleIds"], json!([deny, allow]), "deny first");
    assert_eq!(t.stack.okta.policy_rules(POLICY), before_all, "the policy is as it was");
    let a = t.call("DELETE", "/access-policy-rules", Some(&admin), None).await;
    assert_eq!((a.status, a.body["count"].clone()), (200, json!(0)), "{}", a.text);
    assert_eq!(t.call("GET", "/access-policy-rules", Some(&admin), None).await.body["count"], 0);
    let a = t.call("PUT", "/fleet", Some(&admin), Some(drop)).await;
    assert_eq!(a.status, 200, "rolled back, the group may go: {}", a.text);
}

/// [`foreign`] of a list read before the product's rules existed.
fn foreign_of(rules: &[Value]) -> Vec<Value> {
    rules
        .iter()
        .cloned()
        .map(|mut r| {
            if r["system"] == true {
                r["priority"] = Value::Null;
            }
            r
        })
        .collect()
}

#[tokio::test]
async fn activation_is_refused_when_the_rules_could_lock_out_the_asking_admin() {
    let t = TestStack::start().await;
    setup(&t).await;
    let a = t.call("PUT", "/access-policy-rules", Some(&t.admin_as(BOSS.1)), Some(body())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let created = order(&t);

    // A fleet user without a managed device, matched by login or email whatever the case.
    let a = t.call("POST", "/access-policy-rules/activate", Some(&t.admin_as("WORKER@acme.com")), None).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("would_lock_out_caller")), "{}", a.text);
    assert_eq!(a.body["error"]["caller"]["oktaUserId"], WORKER.0, "{}", a.text);
    // A token without an email claim cannot be matched.
    let a = t.call("POST", "/access-policy-rules/activate", Some(&t.admin()), None).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("caller_unknown")), "{}", a.text);
    assert_eq!(order(&t), created, "both refusals left the rules INACTIVE");
    assert!(order(&t)
        .iter()
        .filter(|(id, _)| !id.starts_with("rulFOREIGN") && !id.ends_with("CA"))
        .all(|(_, s)| s == "INACTIVE"));

    // Someone outside the fleet is not affected by the rules.
    let a = t.call("POST", "/access-policy-rules/activate", Some(&t.admin_as(OUTSIDER.1)), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["caller"]["verdict"], "not_in_fleet");
}

#[tokio::test]
async fn a_rule_changed_in_okta_is_not_activated_and_the_rollback_touches_only_the_products_rules() {
    let t = TestStack::start().await;
    setup(&t).await;
    let admin = t.admin_as(BOSS.1);
    let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(body())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let allow = a.body["items"][0]["allowRuleId"].as_str().unwrap().to_string();
    // An Okta admin widens the product's allow rule by hand, and adds a rule of their own that looks like ours.
    t.stack.okta.edit_rule(POLICY, &allow, |r| r["conditions"]["device"]["managed"] = json!(false));
    let lookalike = json!({"id": "rulLOOKALIKE00000001", "name": "Device Trust: managed device [deadbeef]",
        "actions": {"appSignOn": {"access": "ALLOW"}}});
    t.stack.okta.add_foreign_rule(POLICY, lookalike);
    let before = t.stack.okta.policy_rules(POLICY);

    let a = t.call("POST", "/access-policy-rules/activate", Some(&admin), None).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("rule_changed")), "{}", a.text);
    assert_eq!(a.body["error"]["ruleId"], allow.as_str());
    assert_eq!(t.stack.okta.policy_rules(POLICY), before, "nothing activated, nothing else changed");

    let a = t.call("DELETE", "/access-policy-rules", Some(&admin), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let left: Vec<String> =
        t.stack.okta.policy_rules(POLICY).iter().map(|r| r["id"].as_str().unwrap_or_default().to_string()).collect();
    let catch_all = format!("rul{POLICY}CA");
    assert_eq!(left, vec!["rulFOREIGN0000000001", "rulFOREIGN0000000002", "rulLOOKALIKE00000001", catch_all.as_str()]);
}

#[tokio::test]
async fn bad_choices_and_missing_scopes_are_refused_before_anything_is_created() {
    let t = TestStack::start().await;
    setup(&t).await;
    let admin = t.admin_as(BOSS.1);
    for (bad, reason) in [
        (json!({"policyIds": []}), "empty"),
        (json!({"policyIds": ["rst/../x"]}), "not an id"),
        (json!({"policyIds": [POLICY, POLICY]}), "twice"),
        (json!({"policyIds": ["rstNOSUCHPOLICY00001"]}), "unknown"),
        (json!({"policies": [POLICY]}), "unknown field"),
    ] {
        let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(bad)).await;
        assert_eq!(a.status, 400, "{reason}: {}", a.text);
        if reason != "unknown field" {
            assert_eq!(a.body["error"]["field"], "policyIds", "{reason}: {}", a.text);
        }
    }
    let a = t.call("PUT", "/access-policy-rules", Some(&t.technician()), Some(body())).await;
    assert_eq!(a.status, 403, "{}", a.text);
    // A policy whose catch-all denies cannot take an allow rule: nothing is created in any chosen policy.
    let denying = "rstDENIES00000000001";
    t.stack.okta.add_access_policy(denying, "Admin apps", &["0oaAPP00000000000002"]);
    let ca = format!("rul{denying}CA");
    t.stack.okta.edit_rule(denying, &ca, |r| r["actions"]["appSignOn"]["access"] = json!("DENY"));
    let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(json!({"policyIds": [POLICY, denying]}))).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("policy_unfit")), "{}", a.text);
    assert_eq!(a.body["error"]["unfit"][0]["code"], "catch_all_denies", "{}", a.text);
    assert_eq!(rule_writes(&t), 0);
    assert_eq!(t.call("GET", "/access-policy-rules", Some(&admin), None).await.body["count"], 0);

    // An org whose app was not granted okta.policies.manage: refused naming the scope, no Okta policy call.
    let t2 = TestStack::start().await;
    let (id, secret) =
        t2.oin_client(&["okta.users.read", "okta.groups.read", "okta.devices.read", "okta.policies.read"]);
    let a = t2.call("POST", "/okta-orgs", Some(&t2.admin()), Some(connect_body(&t2.domain, &id, &secret))).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let rules_of = |v: &serde_json::Value| {
        let all = v["automations"].as_array().cloned().unwrap_or_default();
        all.into_iter().find(|a| a["automation"] == "policy_rules").unwrap_or_default()
    };
    let narrow = rules_of(&a.body);
    assert_eq!(
        (&narrow["allowed"], &narrow["missingScope"]),
        (&json!(false), &json!("okta.policies.manage")),
        "GET /okta-orgs says what the scopes allow: {}",
        a.text
    );
    let listed = t.call("GET", "/okta-orgs", Some(&t.admin()), None).await;
    let full = rules_of(&listed.body["items"][0]);
    assert_eq!((&full["allowed"], full.get("missingScope")), (&json!(true), None), "{}", listed.text);
    let a = t2.call("PUT", "/device-trust", Some(&t2.admin()), Some(json!({"oktaOrgId": a.body["id"]}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t2.stack.okta.add_access_policy(POLICY, "Salesforce", &[APP]);
    let a = t2.call("PUT", "/access-policy-rules", Some(&t2.admin_as(BOSS.1)), Some(body())).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("okta_scope_missing")), "{}", a.text);
    assert_eq!(a.body["error"]["scope"], "okta.policies.manage", "{}", a.text);
    assert!(t2.stack.okta.requests_to("/api/v1/policies").is_empty(), "no policy call was sent");
}

/// Deleting device trust rolls the product's rules back before anything else: once the devices lose their
/// attestation the active deny rule would refuse the whole fleet, and Okta refuses (409) to delete a device
/// assurance policy a rule still names. After it the policy is as it was and the product's assurance policies
/// are gone.
#[tokio::test]
async fn deleting_device_trust_rolls_the_rules_back_before_the_assurance_policies_go() {
    let t = TestStack::start().await;
    setup(&t).await;
    let admin = t.admin_as(BOSS.1);
    let before_all = t.stack.okta.policy_rules(POLICY);
    t.enable_all_platforms(&t.domain).await;
    let a = t.call("POST", "/device-assurance/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let assured: Vec<String> = t.stack.deps.store.device_assurance_ids(&t.tenant).await.unwrap();
    assert!(!assured.is_empty(), "the product's assurance policies exist: {}", a.text);
    let a = t.call("PUT", "/access-policy-rules", Some(&admin), Some(body())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("POST", "/access-policy-rules/activate", Some(&admin), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let allow = &t.stack.okta.policy_rules(POLICY)[2];
    assert_eq!(allow["conditions"]["device"]["assurance"]["include"], json!(assured), "the allow rule names them");

    let d = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert_eq!(d.status, 202, "{}", d.text);
    let side = d.body["oktaSide"].as_array().unwrap().clone();
    assert_eq!(side[0]["item"], "policy_rules", "{side:?}");
    assert_eq!((side[0]["outcome"].as_str(), side[0]["oktaId"].as_str()), (Some("deleted"), Some(POLICY)));
    assert_eq!(t.stack.okta.policy_rules(POLICY), before_all, "the policy is as it was");
    let left: Vec<Value> =
        side.iter().filter(|o| o["item"] != "policy_rules" && o["item"] != "event_hook").cloned().collect();
    assert!(left.iter().all(|o| o["outcome"] == "deleted"), "no assurance policy left in use: {left:?}");
    assert!(t.stack.okta.device_assurances().is_empty());
    assert!(t.stack.deps.store.list_access_rules(&t.tenant).await.unwrap().is_empty());
}
