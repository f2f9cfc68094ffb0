//! Matching UEM owners to Okta users when emails are shared (C26).

use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_tests::TestStack;
use serde_json::json;

/// C26: two users share pat's email, one as login: pat's device goes to that user. Two users share sam's
/// email, neither as login: sam's device goes to neither, out of scope as `owner_ambiguous`, and is never
/// deployed to.
#[tokio::test]
async fn c26_a_shared_email_goes_to_the_login_or_to_nobody() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gSHARED0000000001", "Shared");
    for (id, login, email) in [
        ("00uPAT0000000000001", "pat@example.com", "pat@example.com"),
        ("00uPAT0000000000002", "pat.admin@example.com", "pat@example.com"),
        ("00uSAM0000000000001", "sam1@example.com", "sam@example.com"),
        ("00uSAM0000000000002", "sam2@example.com", "sam@example.com"),
    ] {
        t.stack.okta.add_user(id, login, email, "ACTIVE");
        t.stack.okta.add_member(&group, id);
    }
    t.stack.hexnode.add_user(1, "Pat", "pat@example.com");
    t.stack.hexnode.add_user(2, "Sam", "sam@example.com");
    t.stack.hexnode.add_device(HexnodeDeviceSeed::new(61, "Pat's iPhone", "iOS", Some(1)));
    t.stack.hexnode.add_device(HexnodeDeviceSeed::new(62, "Sam's iPhone", "iOS", Some(2)));
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let body = json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []});
    let preview = t.call("POST", "/fleet/preview", Some(&t.admin()), Some(body)).await;
    assert_eq!(
        (preview.body["inScope"].clone(), preview.body["excluded"].clone()),
        (json!(1), json!({"owner_ambiguous": 1})),
        "{}",
        preview.text
    );
    let s = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(
        (s.body["inScope"].clone(), s.body["excluded"].clone()),
        (json!(1), json!({"owner_ambiguous": 1})),
        "{}",
        s.text
    );
    let records = t.stack.deps.store.list_devices(&t.tenant).await.unwrap();
    let rec = |id: &str| records.iter().find(|d| d.device_id == id).unwrap().clone();
    assert_eq!(rec("61").okta_user_id.as_deref(), Some("00uPAT0000000000001"), "the user whose login it is");
    assert_eq!(rec("62").okta_user_id, None, "never given to either sam");
    t.stack.settle().await.unwrap();
    let group = t.stack.hexnode.group_named("Okta Device Trust - iOS").expect("the managed iOS group");
    assert!(group.members.contains(&61) && !group.members.contains(&62), "{:?}", group.members);
    let page = t.call("GET", "/status/devices?inScope=false", Some(&t.technician()), None).await;
    let sam = page.body["items"].as_array().unwrap().iter().find(|d| d["deviceId"] == "62").cloned();
    assert_eq!(sam.map(|d| d["exclusion"].clone()), Some(json!("owner_ambiguous")), "{}", page.text);
}
