//! The Okta client (`odt_shared::okta`) against the Okta double: paging (C08), rate limits (C09), retries and token
//! caching. No AWS service is needed.

use odt_doubles::okta::OktaDouble;
use odt_doubles::Served;
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::okta::{OktaClient, OktaCredentials, OktaError, RetryPolicy, OPTIONAL_SCOPES, REQUIRED_SCOPES};
use odt_shared::outbound::{OrgHost, Outbound};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The org host the double plays.
const DOMAIN: &str = "acme.okta.com";

/// Every scope the product asks for: the required and the optional ones.
fn all_scopes() -> Vec<&'static str> {
    [REQUIRED_SCOPES.as_slice(), OPTIONAL_SCOPES.as_slice()].concat()
}

/// One test's Okta org: the double, served on a loopback port.
struct TestOrg {
    okta: OktaDouble,
    served: Served,
}

impl TestOrg {
    /// A double for [`DOMAIN`] with no data, served.
    async fn start() -> TestOrg {
        let okta = OktaDouble::new(DOMAIN);
        let served = Served::start(okta.router(), 0).await.unwrap();
        TestOrg { okta, served }
    }

    /// Registers an app with a client secret and the `granted` scopes; returns its client id and secret.
    fn oin_client(&self, granted: &[&str]) -> (String, String) {
        let (id, secret) = ("0oaclientstest01".to_string(), "secret-clients-test".to_string());
        self.okta.add_secret_client(&id, &secret, granted);
        (id, secret)
    }
}

/// A client of the served double with `clock`, the app `id`/`secret` and the default retry policy, asking for
/// `okta.groups.read`.
fn client(t: &TestOrg, clock: Arc<dyn Clock>, id: &str, secret: &str) -> OktaClient {
    OktaClient::new(
        Outbound::with_test_routes(HashMap::from([(DOMAIN.to_string(), t.served.addr)])),
        clock,
        OrgHost::revalidate(DOMAIN).unwrap(),
        OktaCredentials::ClientSecret { client_id: id.into(), client_secret: secret.to_string().into() },
        vec!["okta.groups.read".into()],
        RetryPolicy::default(),
    )
}

/// A manual clock at the current time.
fn manual_clock() -> ManualClock {
    ManualClock::new(time::OffsetDateTime::now_utc())
}

#[tokio::test]
async fn c08_okta_paging_follows_every_next_link() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    let group = t.okta.add_group("00gBIG0000000000001", "Big");
    for i in 0..1001 {
        let uid = format!("00u{i:017}");
        t.okta.add_user(&uid, &format!("u{i}@example.com"), &format!("u{i}@example.com"), "ACTIVE");
        t.okta.add_member(&group, &uid);
    }
    let c = client(&t, Arc::new(manual_clock()), &id, &secret);
    let members = c.list_group_members(&group).await.unwrap();
    assert_eq!(members.len(), 1001);
    let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 1001, "no member twice");
    let pages = t.okta.requests_to(&format!("/api/v1/groups/{group}/users"));
    assert_eq!(pages.len(), 6, "6 page requests: {pages:?}");
    assert_eq!(pages[0].path_and_query, format!("/api/v1/groups/{group}/users?limit=200"));
    for (n, p) in pages.iter().enumerate().skip(1) {
        // Each request carries the cursor of the previous page's last member: the Link it was given.
        let last = &members[n * 200 - 1].id;
        assert!(p.path_and_query.contains(&format!("after={last}")), "page {n}: {}", p.path_and_query);
        assert!(p.path_and_query.contains("limit=200"));
    }
}

#[tokio::test]
async fn c09_rate_limit_waits_until_reset_then_completes() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let clock = manual_clock();
    let start = clock.now();
    let reset = start.unix_timestamp() + 2;
    t.okta.lock().rate_limited.push_back(reset);
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    let groups = c.list_groups(None).await.unwrap();
    assert_eq!(groups.len(), 1);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1, "one wait, for the reset: {sleeps:?}");
    assert!(sleeps[0] > Duration::from_secs(1) && sleeps[0] <= Duration::from_secs(2), "{sleeps:?}");
    // The retry left only once the clock had reached the reset time.
    assert!(clock.now().unix_timestamp() >= reset);
    let calls = t.okta.requests_to("/api/v1/groups");
    assert_eq!(calls.len(), 2, "the 429 and the retry: {calls:?}");
}

#[tokio::test]
async fn c25_two_rate_limit_resets_the_client_waits_for_the_later() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let clock = manual_clock();
    let start = clock.now();
    let (early, late) = (start.unix_timestamp() + 2, start.unix_timestamp() + 5);
    {
        let mut s = t.okta.lock();
        s.rate_limited.push_back(early);
        s.extra_resets.push(late);
    }
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    assert_eq!(c.list_groups(None).await.unwrap().len(), 1);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1, "one wait, for the later reset: {sleeps:?}");
    assert!(sleeps[0] > Duration::from_secs(4) && sleeps[0] <= Duration::from_secs(5), "{sleeps:?}");
    assert!(clock.now().unix_timestamp() >= late, "nothing sent before the later reset");
    assert_eq!(t.okta.requests_to("/api/v1/groups").len(), 2, "the 429 and the retry");
}

#[tokio::test]
async fn c25_a_reset_already_past_is_no_zero_wait() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let clock = manual_clock();
    t.okta.lock().rate_limited.push_back(clock.now().unix_timestamp() - 30);
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    assert_eq!(c.list_groups(None).await.unwrap().len(), 1);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    assert!(sleeps[0] > Duration::ZERO, "a reset in the past still waits (backs off): {sleeps:?}");
}

#[tokio::test]
async fn rate_limit_reset_beyond_the_longest_wait_fails_with_the_retry_time() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    for i in 0..3 {
        t.okta.add_group(&format!("00g{i}"), &format!("G{i}"));
    }
    let clock = manual_clock();
    // A 429 whose reset is too far ahead for the policy: the client gives up and says when to retry.
    let far = clock.now().unix_timestamp() + 3600;
    t.okta.lock().rate_limited.push_back(far);
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    match c.list_groups(None).await {
        Err(OktaError::RateLimited { retry_at }) => assert_eq!(retry_at.unix_timestamp(), far),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(clock.sleeps().is_empty(), "no wait beyond the policy's maximum");
}

#[tokio::test]
async fn server_errors_retry_with_bounded_backoff() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let clock = manual_clock();
    t.okta.lock().failures.extend([500, 503]);
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    assert_eq!(c.list_groups(None).await.unwrap().len(), 1);
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(500), Duration::from_millis(1000)]);
    // Five failures in a row exhaust the attempts: the error is typed by Okta's errorCode.
    t.okta.lock().failures.extend([500; 5]);
    match c.list_groups(None).await {
        Err(OktaError::Api { status: 500, code, .. }) => assert_eq!(code, "E0000009"),
        other => panic!("expected Api 500, got {other:?}"),
    }
}

#[tokio::test]
async fn token_is_cached_until_shortly_before_expiry() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let clock = manual_clock();
    let c = client(&t, Arc::new(clock.clone()), &id, &secret);
    c.list_groups(None).await.unwrap();
    c.list_groups(None).await.unwrap();
    assert_eq!(t.okta.requests_to("/oauth2/v1/token").len(), 1);
    clock.advance(Duration::from_secs(3600 - 30));
    c.list_groups(None).await.unwrap();
    assert_eq!(t.okta.requests_to("/oauth2/v1/token").len(), 2, "refreshed within a minute of expiry");
}

#[tokio::test]
async fn revoked_token_is_refreshed_once() {
    let t = TestOrg::start().await;
    let (id, secret) = t.oin_client(&all_scopes());
    t.okta.add_group("00gA", "A");
    let c = client(&t, Arc::new(manual_clock()), &id, &secret);
    c.list_groups(None).await.unwrap();
    t.okta.lock().tokens.clear();
    c.list_groups(None).await.unwrap();
    assert_eq!(t.okta.requests_to("/oauth2/v1/token").len(), 2);
}
