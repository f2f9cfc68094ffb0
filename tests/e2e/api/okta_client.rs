//! The Okta client behind the admin API's groups route (C08): every page of 1,001 groups, name search, and one
//! token across requests. Needs the local services; the client's own tests against the Okta double (paging, rate
//! limits, retries, token caching) are in `shared/tests/clients/okta_client.rs`.

use odt_tests::{unique, TestStack};

#[tokio::test]
async fn c08_groups_route_reads_all_1001_groups() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    for i in 0..1001 {
        t.stack.okta.add_group(&format!("00g{i:017}"), &format!("Group {i}"));
    }
    let before = t.stack.okta.requests_to("/api/v1/groups?").len();
    let a =
        t.call("GET", &format!("/okta-orgs/{}/groups", org["id"].as_str().unwrap()), Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["count"], 1001);
    assert_eq!(t.stack.okta.requests_to("/api/v1/groups?").len() - before, 6);
    // Searching by name goes to Okta's search and keeps paging.
    let a = t
        .call("GET", &format!("/okta-orgs/{}/groups?q=Group%2010", org["id"].as_str().unwrap()), Some(&t.admin()), None)
        .await;
    assert_eq!(a.body["count"], 12, "Group 10, Group 100..109, Group 1000: {}", a.text);
}

#[tokio::test]
async fn groups_route_reuses_the_token_across_requests() {
    let t = TestStack::start().await;
    let (org, _) = t.connect().await;
    let path = format!("/okta-orgs/{}/groups", org["id"].as_str().unwrap());
    let before = t.stack.okta.requests_to("/oauth2/v1/token").len();
    for _ in 0..3 {
        assert_eq!(t.call("GET", &path, Some(&t.admin()), None).await.status, 200);
    }
    assert_eq!(t.stack.okta.requests_to("/oauth2/v1/token").len() - before, 1);
    let _ = unique("x");
}
