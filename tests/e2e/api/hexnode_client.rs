//! The Hexnode client against the Hexnode double: paging, the owner join, platform and Android enrollment
//! mapping, groups and members, throttling (C13), retries and errors; and the double's group writes.
//! No AWS service is needed.

use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodeDouble};
use odt_doubles::Served;
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::outbound::{validate_host_under, Outbound, HEXNODE_SUFFIX};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry, PER_PAGE};
use odt_shared::uem::{DeviceGroup, Enrollment, Uem, UemError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

const PORTAL: &str = "acme.hexnodemdm.com";
const KEY: &str = "hx-test-key-5f2c1e";

async fn serve(double: &HexnodeDouble) -> Served {
    Served::start(double.router(), 0).await.unwrap()
}

fn outbound(served: &Served) -> Outbound {
    Outbound::with_test_routes(HashMap::from([(PORTAL.to_string(), served.addr)]))
}

fn client_with(served: &Served, clock: Arc<dyn Clock>, key: &str, policy: HexnodeRetry) -> HexnodeClient {
    HexnodeClient::new(
        outbound(served),
        clock,
        validate_host_under(PORTAL, HEXNODE_SUFFIX).unwrap(),
        key.to_string().into(),
        policy,
    )
}

fn manual_clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::now_utc())
}

fn client(served: &Served, clock: &ManualClock) -> HexnodeClient {
    client_with(served, Arc::new(clock.clone()), KEY, HexnodeRetry::default())
}

fn paths(double: &HexnodeDouble, prefix: &str) -> Vec<String> {
    double.requests_to(prefix).into_iter().map(|r| r.path_and_query).collect()
}

/// A manual clock that also notes, at each sleep, how many requests for `prefix` the double had seen.
struct WatchingClock {
    inner: ManualClock,
    double: HexnodeDouble,
    prefix: &'static str,
    seen_at_sleep: Mutex<Vec<usize>>,
}

impl Clock for WatchingClock {
    fn now(&self) -> OffsetDateTime {
        self.inner.now()
    }
    // The form `#[async_trait]` gives the trait's `async fn sleep` (the test crate does not depend on the macro).
    fn sleep<'life0, 'async_trait>(&'life0 self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let seen = self.double.requests_to(self.prefix).len();
            self.seen_at_sleep.lock().unwrap().push(seen);
            self.inner.sleep(d).await
        })
    }
}

#[tokio::test]
async fn hexnode_paging_follows_every_next_link() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    for u in 1..=150 {
        double.add_user(u, &format!("User {u}"), &format!("u{u}@example.com"));
    }
    for d in 1..=250 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("Device {d}"), "iOS", Some(d % 150 + 1)));
    }
    let served = serve(&double).await;
    let clock = manual_clock();
    let c = client(&served, &clock);
    let devices = c.devices().await.unwrap();
    assert_eq!(devices.len(), 250);
    let mut ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no device twice");
    assert_eq!(PER_PAGE, 100);
    assert_eq!(
        paths(&double, "/api/v1/devices/"),
        vec![
            "/api/v1/devices/?page=1&per_page=100",
            "/api/v1/devices/?page=2&per_page=100",
            "/api/v1/devices/?page=3&per_page=100",
        ]
    );
    assert_eq!(
        paths(&double, "/api/v1/users/"),
        vec!["/api/v1/users/?page=1&per_page=100", "/api/v1/users/?page=2&per_page=100"]
    );
    assert!(devices.iter().all(|d| d.owner_email.is_some()), "users on page 2 are joined too");
    assert_eq!(c.request_count(), 5);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn hexnode_paging_follows_next_as_given_when_the_portal_caps_per_page() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.lock().max_per_page = 40;
    for g in 1..=100 {
        double.add_group(g, &format!("Group {g}"));
    }
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let groups = c.device_groups().await.unwrap();
    assert_eq!(groups.len(), 100);
    // The first request asks for 100; the double caps to 40 and its `next` links say so; the client follows them.
    assert_eq!(
        paths(&double, "/api/v1/devicegroups/"),
        vec![
            "/api/v1/devicegroups/?page=1&per_page=100",
            "/api/v1/devicegroups/?page=2&per_page=40",
            "/api/v1/devicegroups/?page=3&per_page=40",
        ]
    );
}

#[tokio::test]
async fn hexnode_devices_join_owner_emails() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_user(1, "Ann Lee", "ann@example.com");
    double.add_user(2, "Bob Roy", "bob@example.com");
    double.add_device(HexnodeDeviceSeed::new(10, "Ann's iPhone", "iOS", Some(1)));
    double.add_device(HexnodeDeviceSeed::new(11, "Bob's Mac", "macOS", Some(2)));
    double.add_device(HexnodeDeviceSeed::new(12, "Kiosk", "Android", None));
    double.add_device(HexnodeDeviceSeed::new(13, "Orphan", "Windows", Some(99)));
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let devices = c.devices().await.unwrap();
    let by_id: HashMap<&str, _> = devices.iter().map(|d| (d.id.as_str(), d)).collect();
    let owner = |id: &str| (by_id[id].owner_id.as_deref(), by_id[id].owner_email.as_deref());
    assert_eq!(owner("10"), (Some("1"), Some("ann@example.com")));
    assert_eq!(owner("11"), (Some("2"), Some("bob@example.com")));
    assert_eq!(owner("12"), (None, None), "a device without a user has no owner");
    assert_eq!(owner("13"), (Some("99"), None), "an owner missing from the user list has no email");
    let ann = by_id["10"];
    assert_eq!(ann.name, "Ann's iPhone");
    assert_eq!(ann.os_version, "17.2");
    assert_eq!(ann.serial.as_deref(), Some("SER10"));
    assert_eq!(ann.udid.as_deref(), Some("UDID-10"));
}

#[tokio::test]
async fn hexnode_platforms_and_android_enrollment_are_mapped() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    let seeds = [
        HexnodeDeviceSeed::new(1, "phone", "iOS", None),
        HexnodeDeviceSeed::new(2, "tablet", "iPadOS", None),
        HexnodeDeviceSeed::new(3, "byod", "Android", None).with_android_enrollment("work_profile"),
        HexnodeDeviceSeed::new(4, "corp", "Android", None).with_android_enrollment("FULLY_MANAGED"),
        HexnodeDeviceSeed::new(5, "old", "Android", None).with_android_enrollment("device_admin"),
        HexnodeDeviceSeed::new(6, "unsaid", "Android", None),
        HexnodeDeviceSeed::new(7, "mac", "macOS", None),
        HexnodeDeviceSeed::new(8, "old mac", "Mac OS X", None),
        HexnodeDeviceSeed::new(9, "pc", "Windows", None),
        HexnodeDeviceSeed::new(10, "tv", "tvOS", None),
        HexnodeDeviceSeed::new(11, "ios with a stray field", "iOS", None).with_android_enrollment("work_profile"),
    ];
    for s in seeds {
        double.add_device(s);
    }
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let got: Vec<(String, Option<Platform>, Enrollment)> =
        c.devices().await.unwrap().into_iter().map(|d| (d.id, d.platform, d.enrollment)).collect();
    use Enrollment::*;
    use Platform::*;
    let want = [
        (Some(Ios), Other),
        (Some(Ios), Other),
        (Some(Android), AndroidWorkProfile),
        (Some(Android), AndroidFullyManaged),
        (Some(Android), AndroidLegacy),
        (Some(Android), Other),
        (Some(Macos), Other),
        (Some(Macos), Other),
        (Some(Windows), Other),
        (None, Other),
        (Some(Ios), Other),
    ];
    let want: Vec<(String, Option<Platform>, Enrollment)> =
        want.into_iter().enumerate().map(|(i, (p, e))| ((i + 1).to_string(), p, e)).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn hexnode_groups_and_members() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    for d in 1..=4 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("d{d}"), "iOS", None));
    }
    double.add_group(5, "Sales");
    double.add_group(6, "Empty");
    assert!(double.add_to_group(5, 3));
    assert!(double.add_to_group(5, 1));
    assert!(double.add_to_group(5, 4));
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    assert_eq!(
        c.device_groups().await.unwrap(),
        vec![
            DeviceGroup { id: "5".into(), name: "Sales".into() },
            DeviceGroup { id: "6".into(), name: "Empty".into() }
        ]
    );
    assert_eq!(c.device_group_members("5").await.unwrap(), vec!["3", "1", "4"]);
    assert_eq!(c.device_group_members("6").await.unwrap(), Vec::<String>::new());
    assert!(double.remove_from_group(5, 1));
    assert!(double.remove_device(4));
    assert_eq!(c.device_group_members("5").await.unwrap(), vec!["3"]);
    assert_eq!(paths(&double, "/api/v1/devicegroups/5"), vec!["/api/v1/devicegroups/5/", "/api/v1/devicegroups/5/"]);
}

#[tokio::test]
async fn hexnode_unknown_group_is_not_found() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_group(1, "Real");
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    assert!(matches!(c.device_group_members("999").await, Err(UemError::NotFound(_))));
    assert!(matches!(c.device_group_members("not-a-number").await, Err(UemError::NotFound(_))));
    assert!(matches!(c.device_group_members("../devices").await, Err(UemError::NotFound(_))), "the id is one segment");
    assert_eq!(
        paths(&double, "/api/v1/"),
        vec!["/api/v1/devicegroups/999/", "/api/v1/devicegroups/not-a-number/", "/api/v1/devicegroups/..%2Fdevices/"]
    );
}

#[tokio::test]
async fn c13_hexnode_throttle_waits_the_stated_seconds() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_group(1, "All iPhones");
    double.lock().throttled.push_back(57.0);
    let served = serve(&double).await;
    let inner = manual_clock();
    let clock = Arc::new(WatchingClock {
        inner: inner.clone(),
        double: double.clone(),
        prefix: "/api/v1/devicegroups/",
        seen_at_sleep: Mutex::new(vec![]),
    });
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

/// The double's answers and group writes, as the next step (group sync) will use them.
#[tokio::test]
async fn hexnode_double_pages_and_group_writes() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_user(1, "Ann Lee", "ann@example.com");
    for d in 1..=5 {
        double.add_device(
            HexnodeDeviceSeed::new(d, &format!("d{d}"), "Android", Some(1)).with_android_enrollment("work_profile"),
        );
    }
    let served = serve(&double).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/v1", served.addr);
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http.request(method, format!("{base}{path}")).header("authorization", KEY);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let (status, page) = call(reqwest::Method::GET, "/devices/?ordering=id&page=2&per_page=2", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 5);
    assert_eq!(page["next"], format!("https://{PORTAL}/api/v1/devices/?ordering=id&page=3&per_page=2"));
    assert_eq!(page["previous"], format!("https://{PORTAL}/api/v1/devices/?ordering=id&per_page=2"));
    let d = &page["results"][0];
    assert_eq!(d["id"], 3);
    assert_eq!(d["user"], json!({"id": 1, "name": "Ann Lee"}));
    assert_eq!(d["android_enrollment_type"], "work_profile");
    for field in ["device_name", "model_name", "os_name", "os_version", "serial_number", "udid", "imei"] {
        assert!(d[field].is_string(), "{field}");
    }
    assert_eq!(call(reqwest::Method::GET, "/devices/?page=9", None).await.0, 404, "Invalid page.");
    let (_, users) = call(reqwest::Method::GET, "/users/", None).await;
    assert_eq!(users["results"][0]["total_devices"], 5);
    assert_eq!(call(reqwest::Method::GET, "/devices/3/", None).await.1["device_name"], "d3");

    let (status, g) =
        call(reqwest::Method::POST, "/devicegroups/", Some(json!({"groupname": "ODT iOS", "description": "x"}))).await;
    assert_eq!(status, 201);
    assert_eq!((g["groupname"].as_str(), g["device_count"].as_u64()), (Some("ODT iOS"), Some(0)));
    let gid = g["id"].as_u64().unwrap();
    let dup = call(reqwest::Method::POST, "/devicegroups/", Some(json!({"groupname": "odt ios"}))).await;
    assert_eq!(dup.0, 400);
    assert_eq!(call(reqwest::Method::POST, "/devicegroups/", Some(json!({}))).await.0, 400);

    let path = format!("/devicegroups/{gid}/");
    let (status, g) = call(reqwest::Method::POST, &path, Some(json!({"add_devices": [1, "2", 3]}))).await;
    assert_eq!(status, 200);
    assert_eq!(g["device_count"], 3);
    assert_eq!(
        g["devices"][0],
        json!({"id": 1, "name": "d1", "user_id": 1, "user_name": "Ann Lee", "model_name": "Pixel 8", "platform": "Android"})
    );
    let (status, _) =
        call(reqwest::Method::POST, &path, Some(json!({"add_devices": [4], "remove_devices": [1, 77]}))).await;
    assert_eq!(status, 400, "unknown device ids refuse the whole change");
    assert_eq!(double.group_members(gid), Some(vec![1, 2, 3]));
    let (status, _) =
        call(reqwest::Method::POST, &path, Some(json!({"add_devices": [4], "remove_devices": [1]}))).await;
    assert_eq!(status, 200);
    assert_eq!(double.group_members(gid), Some(vec![2, 3, 4]));
    assert_eq!(call(reqwest::Method::POST, "/devicegroups/999/", Some(json!({"add_devices": [1]}))).await.0, 404);

    let unauth =
        http.get(format!("{base}/devicegroups/")).header("authorization", format!("Token {KEY}")).send().await.unwrap();
    assert_eq!(unauth.status().as_u16(), 401);
    assert_eq!(unauth.json::<Value>().await.unwrap(), json!({"detail": "Invalid token."}));
    let posts: Vec<_> =
        double.requests_to("/api/v1/devicegroups/").into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 7);
}
