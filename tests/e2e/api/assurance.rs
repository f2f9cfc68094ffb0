//! The product's device assurance policies (issue 21, part 2): one per enabled platform with the product's OS
//! minimum, created, updated when the rule changes, deleted when a platform is switched off or device trust is
//! deleted; a policy the product did not create, or one someone changed in Okta, is never touched.

use odt_doubles::okta::API_WRITER;
use odt_shared::platform::Platform;
use odt_shared::scope::os_minimum;
use odt_tests::{connect_body, TestStack};
use serde_json::{json, Value};

async fn sync(t: &TestStack, query: &str) -> Vec<Value> {
    let a = t.call("POST", &format!("/device-assurance/sync{query}"), Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["platforms"].as_array().cloned().expect("one outcome per platform")
}

fn outcome<'a>(outcomes: &'a [Value], platform: &str) -> &'a Value {
    outcomes.iter().find(|o| o["item"] == platform).expect(platform)
}

fn policy(t: &TestStack, id: &str) -> Value {
    t.stack.okta.lock().device_assurance(id).cloned().unwrap_or(Value::Null)
}

/// Okta writes (not reads) the double received.
fn writes(t: &TestStack) -> Vec<String> {
    let reqs = t.stack.okta.requests_to("/api/v1/device-assurances");
    reqs.into_iter().filter(|r| r.method != "GET").map(|r| format!("{} {}", r.method, r.path_and_query)).collect()
}

#[tokio::test]
async fn one_policy_per_enabled_platform_carries_the_os_rule_and_follows_it() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    t.enable_all_platforms(org["domain"].as_str().unwrap()).await;
    let first = sync(&t, "").await;
    for (p, minimum) in [("ios", "16.0.0"), ("android", "11.0.0"), ("macos", "13.0.0"), ("windows", "10.0.19044.0")] {
        let o = outcome(&first, p);
        assert_eq!(o["outcome"], "created", "{o}");
        let made = policy(&t, o["oktaId"].as_str().unwrap());
        assert_eq!(made["osVersion"]["minimum"], minimum, "{made}");
        assert!(made["name"].as_str().unwrap().contains("managed by the product"), "{made}");
    }
    let minimum: Vec<String> = os_minimum(Platform::Ios).iter().map(u64::to_string).collect();
    assert_eq!(minimum.join("."), "16.0.0", "the policy's minimum is the scope rule's");
    // The records the policy rules read: one id per platform.
    let ids = t.stack.deps.store.device_assurance_ids(&t.tenant).await.unwrap();
    assert_eq!(ids.len(), 4);
    let before = writes(&t).len();
    let again = sync(&t, "").await;
    assert!(again.iter().all(|o| o["outcome"] == "unchanged"), "{again:?}");
    assert_eq!(writes(&t).len(), before, "nothing written when nothing changed");
    // A rule that changes (here: the policy as an older version of the product wrote it) is carried to Okta.
    let ios_id = outcome(&first, "ios")["oktaId"].as_str().unwrap().to_string();
    {
        let mut s = t.stack.okta.lock();
        let p = s.device_assurances.iter_mut().find(|p| p["id"] == ios_id.as_str()).unwrap();
        p["osVersion"]["minimum"] = json!("15.0.0");
    }
    let mut rec = t.stack.deps.store.list_assurances(&t.tenant).await.unwrap().remove(0);
    assert_eq!(rec.platform, Platform::Ios);
    rec.body_hash = "written-by-an-older-rule".into();
    let old_version = rec.version;
    rec.version += 1;
    t.stack.deps.store.put_assurance(&rec, Some(old_version)).await.unwrap();
    let updated = sync(&t, "").await;
    assert_eq!(outcome(&updated, "ios")["outcome"], "updated", "{updated:?}");
    assert_eq!(policy(&t, &ios_id)["osVersion"]["minimum"], "16.0.0");
    assert_eq!(outcome(&updated, "android")["outcome"], "unchanged");
    // A platform switched off loses its policy.
    let off = t.call("PUT", "/platforms/windows/enabled", Some(&t.admin()), Some(json!({"enabled": false}))).await;
    assert_eq!(off.status, 200, "{}", off.text);
    let windows_id = outcome(&first, "windows")["oktaId"].as_str().unwrap().to_string();
    let removed = sync(&t, "").await;
    assert_eq!(outcome(&removed, "windows")["outcome"], "deleted", "{removed:?}");
    assert!(policy(&t, &windows_id).is_null());
    assert_eq!(t.stack.deps.store.device_assurance_ids(&t.tenant).await.unwrap().len(), 3);
    let g = t.call("GET", "/device-assurance", Some(&t.technician()), None).await;
    assert_eq!(g.status, 200, "{}", g.text);
    let states: Vec<(String, String)> = g.body["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["platform"].as_str().unwrap().into(), p["state"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("ios".into(), "in_sync".into()),
            ("android".into(), "in_sync".into()),
            ("macos".into(), "in_sync".into()),
            ("windows".into(), "none".into())
        ]
    );
}

#[tokio::test]
async fn a_policy_the_product_did_not_create_or_someone_changed_is_never_touched() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    t.enable_all_platforms(org["domain"].as_str().unwrap()).await;
    // Someone else's policy, even under the product's own name.
    let foreign_body = json!({"name": odt_shared::okta_side::assurance::policy_name(Platform::Ios),
        "platform": "IOS", "osVersion": {"minimum": "12.0.0"}});
    let foreign = t.stack.okta.add_device_assurance(&foreign_body);
    let foreign_before = policy(&t, &foreign);
    let first = sync(&t, "").await;
    assert_ne!(outcome(&first, "ios")["oktaId"], foreign.as_str(), "the product made its own");
    // An admin changes the product's macOS policy in Okta's console.
    let mac = outcome(&first, "macos")["oktaId"].as_str().unwrap().to_string();
    assert!(t.stack.okta.change_device_assurance(&mac, &json!({"osVersion": {"minimum": "14.0.0"}}), "00uadmin"));
    let changed_before = policy(&t, &mac);
    // An admin deletes the product's Android policy.
    let android = outcome(&first, "android")["oktaId"].as_str().unwrap().to_string();
    t.stack.okta.lock().device_assurances.retain(|p| p["id"] != android.as_str());
    let second = sync(&t, "").await;
    assert_eq!(outcome(&second, "macos")["outcome"], "changed_in_okta", "{second:?}");
    assert!(outcome(&second, "macos")["message"].as_str().unwrap().contains("00uadmin"));
    assert_eq!(outcome(&second, "android")["outcome"], "gone", "{second:?}");
    assert_eq!(policy(&t, &mac), changed_before, "the admin's change stands");
    // Deleting device trust removes the product's unchanged policies only.
    let d = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert_eq!(d.status, 202, "{}", d.text);
    let side = d.body["oktaSide"].as_array().unwrap().clone();
    assert_eq!(outcome(&side, "ios")["outcome"], "deleted", "{side:?}");
    assert_eq!(outcome(&side, "windows")["outcome"], "deleted", "{side:?}");
    assert_eq!(outcome(&side, "macos")["outcome"], "changed_in_okta", "{side:?}");
    assert_eq!(policy(&t, &mac), changed_before);
    assert_eq!(policy(&t, &foreign), foreign_before, "someone else's policy is untouched");
    assert!(writes(&t).iter().all(|w| !w.contains(&foreign)), "no write named it: {:?}", writes(&t));
    assert!(writes(&t).iter().all(|w| !w.contains(&mac)), "the changed policy was never written: {:?}", writes(&t));
    let left: Vec<Value> = t.stack.okta.device_assurances();
    assert!(left.iter().all(|p| p["id"] == foreign.as_str() || p["id"] == mac.as_str()), "{left:?}");
    assert_eq!(policy(&t, &foreign)["lastUpdatedBy"], "00uotheradmin");
    assert_ne!(policy(&t, &mac)["lastUpdatedBy"], API_WRITER);
}

#[tokio::test]
async fn a_gone_policy_is_made_again_only_when_the_admin_asks() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    t.enable_all_platforms(org["domain"].as_str().unwrap()).await;
    let first = sync(&t, "").await;
    let ios = outcome(&first, "ios")["oktaId"].as_str().unwrap().to_string();
    t.stack.okta.lock().device_assurances.retain(|p| p["id"] != ios.as_str());
    assert_eq!(outcome(&sync(&t, "").await, "ios")["outcome"], "gone");
    assert_eq!(t.stack.okta.device_assurances().len(), 3, "not made again unasked");
    let again = sync(&t, "?recreate=true").await;
    assert_eq!(outcome(&again, "ios")["outcome"], "created", "{again:?}");
    assert_ne!(outcome(&again, "ios")["oktaId"], ios.as_str());
    let bad = t.call("POST", "/device-assurance/sync?recreate=yes", Some(&t.admin()), None).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.body["error"]["field"], "recreate");
}

#[tokio::test]
async fn without_the_scope_device_assurance_names_the_scope() {
    let t = TestStack::start().await;
    let (id, secret) = t.oin_client(&["okta.users.read", "okta.groups.read", "okta.devices.read"]);
    let c = t.call("POST", "/okta-orgs", Some(&t.admin()), Some(connect_body(&t.domain, &id, &secret))).await;
    assert_eq!(c.status, 201, "{}", c.text);
    let dt = t.call("PUT", "/device-trust", Some(&t.admin()), Some(json!({"oktaOrgId": c.body["id"]}))).await;
    assert_eq!(dt.status, 200, "{}", dt.text);
    let a = t.call("POST", "/device-assurance/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(a.body["error"]["code"], "okta_scope_not_granted");
    assert_eq!(a.body["error"]["missingScope"], "okta.deviceAssurance.manage");
    let g = t.call("GET", "/device-assurance", Some(&t.admin()), None).await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["automation"]["missingScope"], "okta.deviceAssurance.manage");
    assert!(t.stack.okta.requests_to("/api/v1/device-assurances").is_empty());
    let tech = t.call("POST", "/device-assurance/sync", Some(&t.technician()), None).await;
    assert_eq!(tech.status, 403, "{}", tech.text);
}

/// The scheduled reconciliation keeps the policies in line once the admin had the product make them: a
/// platform switched on gets its policy and one switched off loses it without another admin call; before the
/// first sync it makes none, and a policy an admin deleted in Okta stays deleted.
#[tokio::test]
async fn the_scheduled_run_keeps_the_policies_in_line_with_the_platforms() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    t.enable_all_platforms(org["domain"].as_str().unwrap()).await;
    let switch = |p: &'static str, on: bool| {
        let t = &t;
        async move {
            let a =
                t.call("PUT", &format!("/platforms/{p}/enabled"), Some(&t.admin()), Some(json!({"enabled": on}))).await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
    };
    switch("windows", false).await;
    let run = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!(run.assurance_changed, 0);
    assert!(t.stack.okta.device_assurances().is_empty(), "nothing made before the admin asked");
    let first = sync(&t, "").await;
    assert_eq!(outcome(&first, "windows")["outcome"], "none");
    assert_eq!(t.stack.okta.device_assurances().len(), 3);

    switch("windows", true).await;
    switch("macos", false).await;
    let mac = outcome(&first, "macos")["oktaId"].as_str().unwrap().to_string();
    let run = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!(run.assurance_changed, 2, "{run:?}");
    let platforms: Vec<String> =
        t.stack.okta.device_assurances().iter().map(|p| p["platform"].as_str().unwrap().to_string()).collect();
    assert_eq!(platforms, ["IOS", "ANDROID", "WINDOWS"]);
    assert!(policy(&t, &mac).is_null());

    let ios = outcome(&first, "ios")["oktaId"].as_str().unwrap().to_string();
    t.stack.okta.lock().device_assurances.retain(|p| p["id"] != ios.as_str());
    let run = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!(run.assurance_changed, 0, "{run:?}");
    assert_eq!(t.stack.okta.device_assurances().len(), 2, "an admin's deletion stands");
}
