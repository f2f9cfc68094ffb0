//! The request function against the Hexnode double: throttling (C13, reads and writes), a refused key, retries
//! after server and transport errors.

use super::{client, client_with, ios_policy, manual_clock, paths, serve, strings, writes, WatchingClock, KEY, PORTAL};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed, HexnodeDouble};
use odt_shared::outbound::{validate_host_under, Outbound, HEXNODE_SUFFIX};
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry};
use odt_shared::uem::{DeviceGroup, Uem, UemError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn c13_hexnode_throttle_waits_the_stated_seconds() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_group(1, "All iPhones");
    double.lock().throttled.push_back(57.0);
    let served = serve(&double).await;
    let inner = manual_clock();
    let clock = WatchingClock::new(&inner, &double, "/api/v1/devicegroups/");
    let c = client_with(&served, clock.clone(), KEY, HexnodeRetry::default());
    let groups = c.device_groups().await.unwrap();
    assert_eq!(groups, vec![DeviceGroup { id: "1".into(), name: "All iPhones".into() }]);
    let sleeps = inner.sleeps();
    assert_eq!(sleeps.len(), 1, "exactly one wait: {sleeps:?}");
    assert!(sleeps[0] >= Duration::from_secs(57), "never earlier than Hexnode said: {sleeps:?}");
    assert_eq!(sleeps[0], Duration::from_secs(57));
    assert_eq!(*clock.seen_at_sleep.lock().unwrap(), vec![1], "one request before the wait, the retry after it");
    assert_eq!(
        paths(&double, "/api/v1/devicegroups/"),
        vec!["/api/v1/devicegroups/?page=1&per_page=100", "/api/v1/devicegroups/?page=1&per_page=100"]
    );
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn hexnode_throttle_as_json_rounds_fractions_up() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    {
        let mut s = double.lock();
        s.throttle_as_json = true;
        s.throttled.push_back(2.3);
    }
    let served = serve(&double).await;
    let clock = manual_clock();
    let c = client(&served, &clock);
    c.verify().await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(3)]);
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn hexnode_throttle_beyond_max_wait_fails_throttled() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.lock().throttled.push_back(57.0);
    let served = serve(&double).await;
    let clock = manual_clock();
    let policy = HexnodeRetry { max_wait: Duration::from_secs(30), ..HexnodeRetry::default() };
    let c = client_with(&served, Arc::new(clock.clone()), KEY, policy);
    assert_eq!(c.device_groups().await, Err(UemError::Throttled { retry_after_secs: 57 }));
    assert!(clock.sleeps().is_empty(), "no wait longer than allowed");
    assert_eq!(c.request_count(), 1);
}

#[tokio::test]
async fn hexnode_throttle_until_attempts_run_out_fails_throttled() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.lock().throttled.extend([5.0, 5.0, 5.0]);
    let served = serve(&double).await;
    let clock = manual_clock();
    let policy = HexnodeRetry { max_attempts: 2, ..HexnodeRetry::default() };
    let c = client_with(&served, Arc::new(clock.clone()), KEY, policy);
    assert_eq!(c.verify().await, Err(UemError::Throttled { retry_after_secs: 5 }));
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn hexnode_wrong_api_key_is_unauthorized() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    let served = serve(&double).await;
    let clock = manual_clock();
    let wrong = "hx-wrong-key-9a8b7c";
    let c = client_with(&served, Arc::new(clock.clone()), wrong, HexnodeRetry::default());
    let err = c.verify().await.unwrap_err();
    assert_eq!(err, UemError::Unauthorized(401));
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong), "no key in the error");
    assert!(!format!("{c:?}").contains(wrong), "no key in Debug");
    assert_eq!(c.request_count(), 1, "a refused key is not retried");
    // A key with a scheme in front is not the raw key Hexnode expects.
    let bearer = client_with(&served, Arc::new(clock.clone()), &format!("Bearer {KEY}"), HexnodeRetry::default());
    assert_eq!(bearer.verify().await, Err(UemError::Unauthorized(401)));
    // The right key: verify is one small read.
    let good = client(&served, &clock);
    good.verify().await.unwrap();
    assert_eq!(good.request_count(), 1);
    assert_eq!(
        double.requests_to("/api/v1/").last().unwrap().path_and_query,
        "/api/v1/devicegroups/?page=1&per_page=1"
    );
}

#[tokio::test]
async fn hexnode_server_error_then_success_is_retried() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_device(HexnodeDeviceSeed::new(1, "d1", "iOS", None));
    double.lock().failures.push_back(500);
    let served = serve(&double).await;
    let clock = manual_clock();
    let c = client(&served, &clock);
    assert_eq!(c.devices().await.unwrap().len(), 1);
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(500)]);
    assert_eq!(paths(&double, "/api/v1/devices/").len(), 2);
    // Failing every time: bounded, doubling backoff, then the status.
    double.lock().failures.extend([503, 503, 503]);
    let clock = manual_clock();
    let policy = HexnodeRetry { max_attempts: 3, ..HexnodeRetry::default() };
    let c = client_with(&served, Arc::new(clock.clone()), KEY, policy);
    assert!(matches!(c.device_groups().await, Err(UemError::Api { status: 503, .. })));
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(500), Duration::from_secs(1)]);
    assert_eq!(c.request_count(), 3);
}

#[tokio::test]
async fn hexnode_unreachable_portal_is_retried_then_unreachable() {
    // A port nothing listens on any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let clock = manual_clock();
    let c = HexnodeClient::new(
        Outbound::with_test_routes(HashMap::from([(PORTAL.to_string(), addr)])),
        Arc::new(clock.clone()),
        validate_host_under(PORTAL, HEXNODE_SUFFIX).unwrap(),
        KEY.to_string().into(),
        HexnodeRetry { max_attempts: 2, ..HexnodeRetry::default() },
    );
    assert!(matches!(c.verify().await, Err(UemError::Unreachable(_))));
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(500)]);
}

#[tokio::test]
async fn hexnode_throttled_write_is_waited_out_and_applied_once() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(12, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_device(HexnodeDeviceSeed::new(1, "d1", "iOS", None));
    double.lock().throttled.push_back(21.5);
    let served = serve(&double).await;
    let inner = manual_clock();
    let clock = WatchingClock::new(&inner, &double, "/api/v1/devicegroups/");
    let c = client_with(&served, clock.clone(), KEY, HexnodeRetry::default());
    let g = c.create_device_group("ODT iOS", "").await.unwrap();
    assert_eq!(inner.sleeps(), vec![Duration::from_secs(22)], "the stated wait, rounded up");
    assert_eq!(*clock.seen_at_sleep.lock().unwrap(), vec![1], "one POST before the wait, the retry after it");
    assert_eq!(writes(&double), vec!["POST /api/v1/devicegroups/", "POST /api/v1/devicegroups/"]);
    let applied: Vec<String> = double.applied_writes().into_iter().map(|r| r.path_and_query).collect();
    assert_eq!(applied, vec!["/api/v1/devicegroups/"], "exactly one write succeeded");
    assert_eq!(double.lock().groups.len(), 1);

    // A membership change and a policy write ride out a 429 the same way.
    double.lock().throttled.push_back(3.0);
    c.change_group_members(&g.id, &strings(&["1"]), &[]).await.unwrap();
    double.lock().throttled.push_back(4.0);
    c.create_policy(&ios_policy("ODT iOS", "12", &[&g.id])).await.unwrap();
    assert_eq!(inner.sleeps(), vec![Duration::from_secs(22), Duration::from_secs(3), Duration::from_secs(4)]);
    assert_eq!(double.applied_writes().len(), 4, "the policy is created, then carries its payload");
    assert_eq!(double.writes().len(), 7);
    assert_eq!(double.device_carries(1).len(), 1);
    assert_eq!(c.request_count(), 7);
}

/// An admission that holds every request for `wait` (real time), as the tenant's pace does when its minute is spent.
#[derive(Debug)]
struct SlowAdmission {
    wait: Duration,
}

#[async_trait::async_trait]
impl odt_shared::uem::Admission for SlowAdmission {
    async fn admit(&self) -> Result<(), UemError> {
        tokio::time::sleep(self.wait).await;
        Ok(())
    }
}

#[tokio::test]
async fn hexnode_a_request_still_waiting_for_admission_at_the_deadline_is_never_sent() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_group(1, "All iPhones");
    let served = serve(&double).await;
    let clock = manual_clock();
    let slow = Arc::new(SlowAdmission { wait: Duration::from_secs(30) });
    let c = client(&served, &clock).paced(slow);
    let by = std::time::Instant::now() + Duration::from_millis(200);
    let r = odt_shared::uem::admitted_by(by, c.device_groups()).await;
    assert_eq!(r, Err(UemError::PastDeadline));
    assert_eq!(c.request_count(), 0, "nothing sent");
    assert!(paths(&double, "/api/v1/devicegroups/").is_empty());

    // Admitted before the deadline: the request is sent and read to its answer.
    let quick = Arc::new(SlowAdmission { wait: Duration::from_millis(10) });
    let c = client(&served, &clock).paced(quick);
    let by = std::time::Instant::now() + Duration::from_secs(5);
    let groups = odt_shared::uem::admitted_by(by, c.device_groups()).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(c.request_count(), 1);
}
