//! The Hexnode client against the Hexnode double: paging, the owner join, platform and Android enrollment
//! mapping, groups and members, throttling (C13), retries and errors; the double's group writes; and the write
//! side (apps, enterprise app upload, group create/delete, membership changes, policies).
//! No AWS service is needed.

use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed, HexnodeDouble};
use odt_doubles::Served;
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::outbound::{validate_host_under, Outbound, HEXNODE_SUFFIX};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry, PER_PAGE};
use odt_shared::uem::{
    AppKind, DeploymentPolicy, DeviceGroup, Enrollment, NewEnterpriseApp, PolicyApp, PolicyPayload, PolicyRef, Uem,
    UemError,
};
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
    let raw = http
        .post(format!("{base}/devicegroups/"))
        .header("authorization", KEY)
        .body(r#"{"groupname": "not JSON by media type"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 415, "a body must come as application/json");
    let posts: Vec<_> =
        double.requests_to("/api/v1/devicegroups/").into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 8);
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The write requests the double saw, as `METHOD path`.
fn writes(double: &HexnodeDouble) -> Vec<String> {
    double.writes().into_iter().map(|r| format!("{} {}", r.method, r.path_and_query)).collect()
}

fn ios_policy(name: &str, app_id: &str, groups: &[&str]) -> DeploymentPolicy {
    DeploymentPolicy {
        name: name.into(),
        description: "Okta Verify and its managed app configuration".into(),
        platform: Platform::Ios,
        app: Some(PolicyApp { app_id: app_id.into(), vpp_location: Some("Main location".into()) }),
        payload: PolicyPayload::AppConfig {
            bundle_id: "com.okta.mobile".into(),
            document: "<dict><key>managementHint</key><string>h1</string></dict>".into(),
        },
        device_group_ids: strings(groups),
    }
}

#[tokio::test]
async fn hexnode_apps_follow_pages_and_map_platform_and_kind() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(1, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_app(HexnodeApp::new(2, "Okta Verify", "ipados", "store", Some("com.okta.mobile")));
    double.add_app(HexnodeApp::new(3, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")));
    let mut pkg = HexnodeApp::new(4, "Okta Verify", "macos", "enterprise", None);
    pkg.version = None;
    pkg.category = Some("Security".into());
    double.add_app(pkg);
    let mut exe = HexnodeApp::new(5, "Okta Verify", "windows", "enterprise", None);
    exe.success_criteria = Some("exit code 0".into());
    exe.uninstall_parameters = Some("/S".into());
    double.add_app(exe);
    double.add_app(HexnodeApp::new(6, "Intranet", "tvos", "web_clip", None));
    for id in 7..=150 {
        double.add_app(HexnodeApp::new(id, &format!("App {id}"), "android", "managed_google_play", Some("x.y")));
    }
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let apps = c.apps().await.unwrap();
    assert_eq!(apps.len(), 150);
    assert_eq!(
        paths(&double, "/api/v1/applications/"),
        vec!["/api/v1/applications/?page=1&per_page=100", "/api/v1/applications/?page=2&per_page=100"]
    );
    let got: Vec<(&str, Option<Platform>, AppKind, Option<&str>)> =
        apps[..6].iter().map(|a| (a.id.as_str(), a.platform, a.kind, a.bundle_id.as_deref())).collect();
    assert_eq!(
        got,
        vec![
            ("1", Some(Platform::Ios), AppKind::Vpp, Some("com.okta.mobile")),
            ("2", Some(Platform::Ios), AppKind::Store, Some("com.okta.mobile")),
            ("3", Some(Platform::Android), AppKind::ManagedPlay, Some("com.okta.android.auth")),
            ("4", Some(Platform::Macos), AppKind::Enterprise, None),
            ("5", Some(Platform::Windows), AppKind::Enterprise, None),
            ("6", None, AppKind::Other, None),
        ]
    );
    assert_eq!(apps[0].name, "Okta Verify");
    assert_eq!(apps[0].version.as_deref(), Some("1.0"));
    assert_eq!((apps[3].version.as_deref(), apps[3].category.as_deref()), (None, Some("Security")));
    assert_eq!(apps[4].success_criteria.as_deref(), Some("exit code 0"));
    assert_eq!(apps[4].uninstall_parameters.as_deref(), Some("/S"));
    assert_eq!(apps[149].id, "150");
}

#[tokio::test]
async fn hexnode_create_enterprise_app() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(7, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let new = NewEnterpriseApp {
        platform: Platform::Windows,
        name: "Okta Verify for Windows".into(),
        category: "Security".into(),
        description: "Okta Verify installer from the Okta admin console".into(),
        installer_url: "https://acme.okta.com/artifacts/OktaVerifySetup.exe".into(),
        success_criteria: Some("exit code 0".into()),
        uninstall_parameters: Some("/uninstall /quiet".into()),
    };
    let app = c.create_enterprise_app(&new).await.unwrap();
    assert_eq!(app.id, "8", "ids are allocated as max + 1");
    assert_eq!((app.platform, app.kind), (Some(Platform::Windows), AppKind::Enterprise));
    assert_eq!(app.name, "Okta Verify for Windows");
    assert_eq!(app.category.as_deref(), Some("Security"));
    assert_eq!(app.success_criteria.as_deref(), Some("exit code 0"));
    assert_eq!(app.uninstall_parameters.as_deref(), Some("/uninstall /quiet"));
    let stored = double.apps().into_iter().find(|a| a.id == 8).unwrap();
    assert_eq!(stored.source_url.as_deref(), Some("https://acme.okta.com/artifacts/OktaVerifySetup.exe"));
    assert_eq!((stored.platform.as_str(), stored.app_type.as_str()), ("windows", "enterprise"));
    assert!(c.apps().await.unwrap().contains(&app), "the new app is listed as created");

    let pkg = NewEnterpriseApp {
        platform: Platform::Macos,
        name: "Okta Verify for macOS".into(),
        success_criteria: None,
        uninstall_parameters: None,
        installer_url: "https://acme.okta.com/artifacts/OktaVerify.pkg".into(),
        ..new.clone()
    };
    let app = c.create_enterprise_app(&pkg).await.unwrap();
    assert_eq!((app.id.as_str(), app.platform, app.success_criteria), ("9", Some(Platform::Macos), None));

    // An enterprise app for a mobile platform, or from a plain-http URL, is refused.
    let ios = NewEnterpriseApp { platform: Platform::Ios, ..new.clone() };
    assert!(matches!(c.create_enterprise_app(&ios).await, Err(UemError::Api { status: 400, .. })));
    let http = NewEnterpriseApp { installer_url: "http://acme.okta.com/x.exe".into(), ..new };
    assert!(matches!(c.create_enterprise_app(&http).await, Err(UemError::Api { status: 400, .. })));
    assert_eq!(double.apps().len(), 3);
    assert_eq!(
        writes(&double),
        vec![
            "POST /api/v1/applications/",
            "POST /api/v1/applications/",
            "POST /api/v1/applications/",
            "POST /api/v1/applications/"
        ]
    );
    assert_eq!(double.applied_writes().len(), 2);
}

#[tokio::test]
async fn hexnode_device_group_create_and_delete() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_group(3, "Sales");
    double.add_app(HexnodeApp::new(1, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let g = c.create_device_group("ODT iOS", "Devices that carry Okta device trust (iOS)").await.unwrap();
    assert_eq!(g, DeviceGroup { id: "4".into(), name: "ODT iOS".into() });
    let stored = double.group_named("ODT iOS").unwrap();
    assert_eq!((stored.id, stored.description.as_str()), (4, "Devices that carry Okta device trust (iOS)"));
    assert!(stored.members.is_empty());
    assert!(c.device_groups().await.unwrap().contains(&g));
    // A taken name is refused as Hexnode's validation error.
    match c.create_device_group("odt ios", "").await {
        Err(UemError::Api { status: 400, message }) => assert!(message.contains("already exists"), "{message}"),
        other => panic!("{other:?}"),
    }

    // Deleting a group takes it out of every policy's targets.
    let pid = c.create_policy(&ios_policy("ODT iOS", "1", &["3", "4"])).await.unwrap();
    assert_eq!(double.policy_named("ODT iOS").unwrap().device_group_ids, vec![3, 4]);
    c.delete_device_group("4").await.unwrap();
    assert!(double.group_named("ODT iOS").is_none());
    assert_eq!(double.policies()[0].device_group_ids, vec![3]);
    assert_eq!(double.policies()[0].id.to_string(), pid);
    assert_eq!(c.delete_device_group("4").await, Err(UemError::NotFound("device group 4".into())));
    assert!(matches!(c.delete_device_group("..").await, Err(UemError::NotFound(_))));
    assert_eq!(
        writes(&double),
        vec![
            "POST /api/v1/devicegroups/",
            "POST /api/v1/devicegroups/",
            "POST /api/v1/policy/",
            "DELETE /api/v1/devicegroups/4/",
            "DELETE /api/v1/devicegroups/4/",
        ],
        "no request for an id that cannot name a group"
    );
}

#[tokio::test]
async fn hexnode_membership_changes_in_batches() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    for d in 1..=6 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("d{d}"), "iOS", None));
    }
    double.add_group(9, "ODT iOS");
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    c.change_group_members("9", &strings(&["1", "2", "3"]), &[]).await.unwrap();
    assert_eq!(double.group_members(9), Some(vec![1, 2, 3]));
    c.change_group_members("9", &strings(&["4", "2"]), &strings(&["1", "5"])).await.unwrap();
    assert_eq!(
        double.group_members(9),
        Some(vec![2, 3, 4]),
        "adding a member or removing a non-member changes nothing"
    );
    assert_eq!(c.device_group_members("9").await.unwrap(), vec!["2", "3", "4"]);

    // One unknown id refuses the whole batch; the error names exactly that id, as the caller spelled it.
    let before = double.applied_writes().len();
    assert_eq!(
        c.change_group_members("9", &strings(&["5", "77"]), &strings(&["2"])).await,
        Err(UemError::InvalidDevices(vec!["77".into()]))
    );
    assert_eq!(double.group_members(9), Some(vec![2, 3, 4]), "nothing changed");
    assert_eq!(
        c.change_group_members("9", &[], &strings(&["3", "dev-x"])).await,
        Err(UemError::InvalidDevices(vec!["dev-x".into()])),
        "a non-numeric id is sent as a string and comes back without its quotes"
    );
    assert_eq!(
        c.change_group_members("9", &strings(&["077", "6"]), &[]).await,
        Err(UemError::InvalidDevices(vec!["077".into()])),
        "077 is sent as the number 77 and reported back as the caller spelled it"
    );
    assert_eq!(double.group_members(9), Some(vec![2, 3, 4]));
    assert_eq!(double.applied_writes().len(), before, "no refused batch was applied");

    // An unknown group.
    assert_eq!(
        c.change_group_members("404", &strings(&["1"]), &[]).await,
        Err(UemError::NotFound("device group 404".into()))
    );

    // Nothing to change: no request at all.
    let (sent, seen) = (c.request_count(), double.lock().requests.len());
    c.change_group_members("9", &[], &[]).await.unwrap();
    assert_eq!((c.request_count(), double.lock().requests.len()), (sent, seen));
    assert_eq!(
        writes(&double),
        vec![
            "POST /api/v1/devicegroups/9/",
            "POST /api/v1/devicegroups/9/",
            "POST /api/v1/devicegroups/9/",
            "POST /api/v1/devicegroups/9/",
            "POST /api/v1/devicegroups/9/",
            "POST /api/v1/devicegroups/404/",
        ]
    );
}

#[tokio::test]
async fn hexnode_policy_create_update_and_delete() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(12, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_app(HexnodeApp::new(13, "Okta Verify", "macos", "enterprise", None));
    double.add_app(HexnodeApp::new(14, "Okta Verify", "windows", "enterprise", None));
    for d in 1..=3 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("d{d}"), "iOS", None));
    }
    double.add_group(5, "ODT iOS");
    double.add_group(6, "ODT iOS pilot");
    double.add_group(7, "ODT macOS");
    double.add_group(8, "ODT Windows");
    double.add_to_group(5, 1);
    double.add_to_group(6, 2);
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());

    let id = c.create_policy(&ios_policy("ODT iOS", "12", &["5"])).await.unwrap();
    assert_eq!(id, "1");
    let p = double.policy_named("ODT iOS").unwrap();
    assert_eq!((p.id, p.platform.as_str(), p.revision), (1, "ios", 0));
    assert_eq!(p.description, "Okta Verify and its managed app configuration");
    assert_eq!((p.app_ids.clone(), p.vpp_location.as_deref()), (vec![12], Some("Main location")));
    assert_eq!((p.payload_kind.as_str(), p.bundle_id.as_deref()), ("app_configuration", Some("com.okta.mobile")));
    assert_eq!(p.content, "<dict><key>managementHint</key><string>h1</string></dict>");
    assert_eq!(p.device_group_ids, vec![5]);
    assert_eq!(double.device_carries(1), vec![p.clone()]);
    assert!(double.device_carries(2).is_empty() && double.device_carries(3).is_empty());
    assert_eq!(c.policies().await.unwrap(), vec![PolicyRef { id: "1".into(), name: "ODT iOS".into() }]);

    // Update: new payload, no app (the admin removed the installation method), both groups.
    let mut changed = ios_policy("ODT iOS", "12", &["5", "6"]);
    changed.app = None;
    changed.payload = PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: "<dict/>".into() };
    c.update_policy(&id, &changed).await.unwrap();
    let p = double.policy_named("ODT iOS").unwrap();
    assert_eq!((p.id, p.revision, p.app_ids.is_empty(), p.vpp_location.as_deref()), (1, 1, true, None));
    assert_eq!((p.content.as_str(), p.device_group_ids.clone()), ("<dict/>", vec![5, 6]));
    assert_eq!(double.device_carries(2), vec![p]);
    assert_eq!(c.update_policy("99", &changed).await, Err(UemError::NotFound("policy 99".into())));

    // macOS: a configuration profile; Windows: SyncML.
    let mac = DeploymentPolicy {
        name: "ODT macOS".into(),
        description: String::new(),
        platform: Platform::Macos,
        app: Some(PolicyApp { app_id: "13".into(), vpp_location: None }),
        payload: PolicyPayload::ConfigurationProfile { document: "<plist>scep+sso</plist>".into() },
        device_group_ids: strings(&["7"]),
    };
    assert_eq!(c.create_policy(&mac).await.unwrap(), "2");
    let p = double.policy_named("ODT macOS").unwrap();
    assert_eq!(
        (p.payload_kind.as_str(), p.content.as_str(), p.bundle_id),
        ("mobileconfig", "<plist>scep+sso</plist>", None)
    );
    assert_eq!((p.app_ids, p.vpp_location, p.device_group_ids), (vec![13], None, vec![7]));
    let win = DeploymentPolicy {
        name: "ODT Windows".into(),
        platform: Platform::Windows,
        app: Some(PolicyApp { app_id: "14".into(), vpp_location: None }),
        payload: PolicyPayload::SyncMl { document: "<SyncBody>scep</SyncBody>".into() },
        device_group_ids: strings(&["8"]),
        ..mac
    };
    assert_eq!(c.create_policy(&win).await.unwrap(), "3");
    let p = double.policy_named("ODT Windows").unwrap();
    assert_eq!((p.payload_kind.as_str(), p.content.as_str()), ("syncml", "<SyncBody>scep</SyncBody>"));
    let names: Vec<String> = c.policies().await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["ODT iOS", "ODT macOS", "ODT Windows"]);

    // Delete.
    c.delete_policy(&id).await.unwrap();
    assert!(double.policy_named("ODT iOS").is_none());
    assert!(double.device_carries(1).is_empty());
    assert_eq!(c.delete_policy(&id).await, Err(UemError::NotFound("policy 1".into())));
    assert_eq!(c.policies().await.unwrap().len(), 2);
    assert_eq!(
        writes(&double),
        vec![
            "POST /api/v1/policy/",
            "PUT /api/v1/policy/1/",
            "PUT /api/v1/policy/99/",
            "POST /api/v1/policy/",
            "POST /api/v1/policy/",
            "DELETE /api/v1/policy/1/",
            "DELETE /api/v1/policy/1/",
        ]
    );
}

#[tokio::test]
async fn hexnode_policy_validation_errors_are_api_400() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(12, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_group(5, "ODT iOS");
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let expect_400 = |r: Result<String, UemError>, needle: &str| match r {
        Err(UemError::Api { status: 400, message }) => assert!(message.contains(needle), "{message} lacks {needle}"),
        other => panic!("expected a 400 mentioning {needle}: {other:?}"),
    };
    expect_400(c.create_policy(&ios_policy("A", "99", &["5"])).await, "Invalid app id(s): 99");
    expect_400(c.create_policy(&ios_policy("B", "12", &["5", "404"])).await, "policy_targets");
    let mut wrong_payload = ios_policy("C", "12", &["5"]);
    wrong_payload.platform = Platform::Macos;
    expect_400(c.create_policy(&wrong_payload).await, "mobileconfig");
    wrong_payload.payload = PolicyPayload::SyncMl { document: "<SyncBody/>".into() };
    expect_400(c.create_policy(&wrong_payload).await, "mobileconfig");
    let mut config_on_windows = ios_policy("D", "12", &["5"]);
    config_on_windows.platform = Platform::Windows;
    config_on_windows.payload = PolicyPayload::ConfigurationProfile { document: "<plist/>".into() };
    expect_400(c.create_policy(&config_on_windows).await, "syncml");
    let mut profile_on_android = ios_policy("E", "12", &["5"]);
    profile_on_android.platform = Platform::Android;
    profile_on_android.payload = PolicyPayload::ConfigurationProfile { document: "<plist/>".into() };
    expect_400(c.create_policy(&profile_on_android).await, "app_configuration");
    assert!(double.policies().is_empty(), "nothing stored");

    // The same checks guard an update, which then leaves the policy as it was.
    let id = c.create_policy(&ios_policy("ODT iOS", "12", &["5"])).await.unwrap();
    let r = c.update_policy(&id, &ios_policy("ODT iOS", "12", &["6"])).await;
    assert!(matches!(r, Err(UemError::Api { status: 400, .. })), "{r:?}");
    let p = double.policy_named("ODT iOS").unwrap();
    assert_eq!((p.revision, p.device_group_ids), (0, vec![5]));
    assert_eq!(double.applied_writes().len(), 1, "only the valid create changed anything");
    assert_eq!(c.request_count(), 8, "a 400 is not retried");
}

#[tokio::test]
async fn hexnode_throttled_write_is_waited_out_and_applied_once() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(12, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_device(HexnodeDeviceSeed::new(1, "d1", "iOS", None));
    double.lock().throttled.push_back(21.5);
    let served = serve(&double).await;
    let inner = manual_clock();
    let clock = Arc::new(WatchingClock {
        inner: inner.clone(),
        double: double.clone(),
        prefix: "/api/v1/devicegroups/",
        seen_at_sleep: Mutex::new(vec![]),
    });
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
    assert_eq!(double.applied_writes().len(), 3);
    assert_eq!(double.writes().len(), 6);
    assert_eq!(double.device_carries(1).len(), 1);
    assert_eq!(c.request_count(), 6);
}
