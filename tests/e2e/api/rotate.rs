//! Rotating an org's credentials: verified first, old kept on failure, concurrent edits conditional.

use odt_tests::TestStack;
use serde_json::json;

fn rotate_body(client_id: &str, secret: &str, version: Option<u64>) -> serde_json::Value {
    let mut b =
        json!({"credentials": {"method": "client_secret_basic", "clientId": client_id, "clientSecret": secret}});
    if let Some(v) = version {
        b["version"] = json!(v);
    }
    b
}

fn set_double_secret(t: &TestStack, client_id: &str, secret: &str) {
    let mut s = t.stack.okta.lock();
    let c = s.clients.iter_mut().find(|c| c.client_id == client_id).unwrap();
    c.secret = Some(secret.into());
}

#[tokio::test]
async fn rotation_failure_keeps_the_old_secret_and_success_replaces_it() {
    let t = TestStack::start().await;
    let (org, old_secret) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    let client_id = org["clientId"].as_str().unwrap().to_string();
    let secret_name = t.secret_names().await.pop().unwrap();

    // A wrong new secret: refused with Okta's error, nothing changes.
    let a = t
        .call(
            "PUT",
            &format!("/okta-orgs/{org_id}/credentials"),
            Some(&t.admin()),
            Some(rotate_body(&client_id, "not-the-secret", Some(1))),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["oktaError"], "invalid_client");
    assert_eq!(t.stored_secret(&secret_name).await.as_deref(), Some(old_secret.as_str()));
    let after = t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&t.admin()), None).await;
    assert_eq!(after.body["version"], 1);
    // The old credentials still work.
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&t.admin()), None).await.status, 200);

    // Okta's secret is rotated; the stored one is refused (409: rotate), the new one is accepted and replaces it.
    set_double_secret(&t, &client_id, "new-secret-2");
    t.stack.okta.lock().tokens.clear();
    let a = t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&t.admin()), None).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (409, json!("okta_credentials_rejected")), "{}", a.text);
    let a = t
        .call(
            "PUT",
            &format!("/okta-orgs/{org_id}/credentials"),
            Some(&t.admin()),
            Some(rotate_body(&client_id, "new-secret-2", Some(1))),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["version"], 2);
    assert_ne!(a.body["secret"]["updatedAt"], org["secret"]["updatedAt"]);
    assert!(!a.text.contains("new-secret-2"));
    assert_eq!(t.stored_secret(&secret_name).await.as_deref(), Some("new-secret-2"));
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&t.admin()), None).await.status, 200);
    // A stale version is refused with the current one.
    let a = t
        .call(
            "PUT",
            &format!("/okta-orgs/{org_id}/credentials"),
            Some(&t.admin()),
            Some(rotate_body(&client_id, "new-secret-2", Some(1))),
        )
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body["error"]["currentVersion"], 2);
}

#[tokio::test]
async fn two_concurrent_rotations_one_wins_one_conflicts() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    let client_id = org["clientId"].as_str().unwrap().to_string();
    // Okta's secret was rotated; two admins save the new one at the same time, both from version 1.
    set_double_secret(&t, &client_id, "secret-a");
    let path = format!("/okta-orgs/{org_id}/credentials");
    let admin = t.admin();
    let (a, b) = tokio::join!(
        t.call("PUT", &path, Some(&admin), Some(rotate_body(&client_id, "secret-a", Some(1)))),
        t.call("PUT", &path, Some(&admin), Some(rotate_body(&client_id, "secret-a", Some(1)))),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "a: {} b: {}", a.text, b.text);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.body["error"]["currentVersion"], 2);
    let now = t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await;
    assert_eq!(now.body["version"], 2);
    // The record's secret version is the current one and it works.
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&admin), None).await.status, 200);
}

#[tokio::test]
async fn switching_to_private_key_jwt_on_rotation() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    let org_id = org["id"].as_str().unwrap();
    let client_id = org["clientId"].as_str().unwrap().to_string();
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    {
        let mut s = t.stack.okta.lock();
        let c = s.clients.iter_mut().find(|c| c.client_id == client_id).unwrap();
        c.public_keys.push(("k1".into(), kp.public_key_pem()));
        c.secret = None;
    }
    let a = t
        .call("PUT", &format!("/okta-orgs/{org_id}/credentials"), Some(&t.admin()), Some(json!({"credentials": {"method": "private_key_jwt", "clientId": client_id, "privateKey": kp.serialize_pem(), "keyId": "k1"}})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["authMethod"], "private_key_jwt");
    assert_eq!(t.call("GET", &format!("/okta-orgs/{org_id}/groups"), Some(&t.admin()), None).await.status, 200);
}
