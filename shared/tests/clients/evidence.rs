//! The evidence the status report is built from, end to end against the doubles: Okta's device records with their
//! device user links' `managementStatus` (`GET /api/v1/devices?expand=user`, every page), and the UEM's status of
//! each device a deployment policy targets (Hexnode `GET policy/{id}/devices/`, every page). Each test serves its
//! own doubles on loopback; no AWS service is needed.

use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodeDouble, HexnodePolicy};
use odt_doubles::okta::OktaDouble;
use odt_doubles::Served;
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::okta::{DeviceUserLink, OktaClient, OktaCredentials, OktaDevice, OktaError, RetryPolicy};
use odt_shared::outbound::{validate_host_under, OrgHost, Outbound, HEXNODE_SUFFIX};
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry};
use odt_shared::uem::{PayloadState, PolicyDeviceStatus, Uem, UemError};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

const ORG: &str = "evidence-org.okta.com";
const PORTAL: &str = "acme.hexnodemdm.com";
const KEY: &str = "hx-evidence-key-8d41";

fn manual_clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::now_utc())
}

/// An Okta client for the served double, with an app granted `granted` and asking for `asked`.
async fn okta_client(
    double: &OktaDouble,
    granted: &[&str],
    asked: &[&str],
    clock: &ManualClock,
) -> (Served, OktaClient) {
    let served = Served::start(double.router(), 0).await.unwrap();
    double.add_secret_client("0oaEVIDENCE", "evidence-secret", granted);
    let client = OktaClient::new(
        Outbound::with_test_routes(HashMap::from([(ORG.to_string(), served.addr)])),
        Arc::new(clock.clone()) as Arc<dyn Clock>,
        OrgHost::revalidate(ORG).unwrap(),
        OktaCredentials::ClientSecret {
            client_id: "0oaEVIDENCE".into(),
            client_secret: "evidence-secret".to_string().into(),
        },
        asked.iter().map(|s| s.to_string()).collect(),
        RetryPolicy::default(),
    );
    (served, client)
}

fn link(user: &str, status: Option<&str>) -> DeviceUserLink {
    DeviceUserLink {
        user_id: user.into(),
        management_status: status.map(str::to_string),
        screen_lock_type: Some("PASSCODE".into()),
    }
}

#[tokio::test]
async fn okta_devices_every_page_with_their_user_links() {
    let okta = OktaDouble::new(ORG);
    okta.lock().max_page = 2;
    okta.add_user("00uANN", "ann@example.com", "ann@example.com", "ACTIVE");
    okta.add_user("00uBOB", "bob@example.com", "bob@example.com", "ACTIVE");
    okta.add_device("guo1", "Ann's iPhone", "IOS", Some("SER1"), None, Some("00uANN"), Some("MANAGED"));
    okta.add_device(
        "guo2",
        "Bob's Mac",
        "MACOS",
        Some("C02BOB"),
        Some("UDID-BOB"),
        Some("00uBOB"),
        Some("NOT_MANAGED"),
    );
    okta.add_device("guo3", "Kiosk", "WINDOWS", None, None, None, None);
    okta.add_device("guo4", "Ann's Pixel", "ANDROID", None, None, Some("00uANN"), None);
    okta.add_device("guo5", "Shared Surface", "WINDOWS", Some("SER5"), None, Some("00uANN"), Some("MANAGED"));
    assert!(okta.set_management_status("guo5", "00uBOB", Some("NOT_MANAGED")), "a second user linked");
    let clock = manual_clock();
    let (_served, c) = okta_client(&okta, &["okta.devices.read"], &["okta.devices.read"], &clock).await;

    let devices = c.list_devices().await.unwrap();
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["guo1", "guo2", "guo3", "guo4", "guo5"], "every page, in order, each once");
    assert_eq!(
        devices[1],
        OktaDevice {
            id: "guo2".into(),
            status: "ACTIVE".into(),
            display_name: "Bob's Mac".into(),
            platform: "MACOS".into(),
            serial_number: Some("C02BOB".into()),
            udid: Some("UDID-BOB".into()),
            users: vec![link("00uBOB", Some("NOT_MANAGED"))],
        }
    );
    assert_eq!(devices[0].users, vec![link("00uANN", Some("MANAGED"))]);
    assert!(devices[0].users[0].is_managed() && !devices[1].users[0].is_managed());
    assert_eq!((devices[0].platform.as_str(), devices[0].udid.as_deref()), ("IOS", None));
    assert!(devices[2].users.is_empty(), "a device without a user has no links");
    assert_eq!(devices[2].serial_number, None);
    assert_eq!(devices[3].users, vec![link("00uANN", None)], "managementStatus left out reads as None");
    assert_eq!(devices[4].users, vec![link("00uANN", Some("MANAGED")), link("00uBOB", Some("NOT_MANAGED"))]);

    // Three pages of at most 2: the first as asked, then each `next` Link followed as given (cursor, expand kept).
    let pages: Vec<String> = okta.requests_to("/api/v1/devices").into_iter().map(|r| r.path_and_query).collect();
    assert_eq!(
        pages,
        [
            "/api/v1/devices?expand=user&limit=200",
            "/api/v1/devices?after=guo2&expand=user&limit=200",
            "/api/v1/devices?after=guo4&expand=user&limit=200",
        ]
    );

    // The status moves with the double's knob.
    assert!(okta.set_management_status("guo1", "00uANN", Some("NOT_MANAGED")));
    assert!(!okta.set_management_status("guo-none", "00uANN", Some("MANAGED")), "no such device");
    let devices = c.list_devices().await.unwrap();
    assert_eq!(devices[0].users, vec![link("00uANN", Some("NOT_MANAGED"))]);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn okta_devices_are_served_as_the_spec_shapes_them() {
    let okta = OktaDouble::new(ORG);
    okta.add_user("00uANN", "ann@example.com", "ann@example.com", "ACTIVE");
    okta.add_device("guo1", "Ann's iPhone", "IOS", Some("SER1"), None, Some("00uANN"), Some("MANAGED"));
    let served = Served::start(okta.router(), 0).await.unwrap();
    okta.add_secret_client("0oaRAW", "raw-secret", &["okta.devices.read"]);
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("http://{}/oauth2/v1/token", served.addr))
        .basic_auth("0oaRAW", Some("raw-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "okta.devices.read")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    let get =
        |q: &'static str| http.get(format!("http://{}/api/v1/devices{q}", served.addr)).bearer_auth(access).send();
    let with_users: serde_json::Value = get("?expand=user").await.unwrap().json().await.unwrap();
    let d = &with_users[0];
    assert_eq!((d["id"].as_str(), d["status"].as_str()), (Some("guo1"), Some("ACTIVE")));
    assert_eq!(d["profile"]["displayName"], "Ann's iPhone");
    assert_eq!(d["profile"]["platform"], "IOS");
    assert_eq!(d["profile"]["serialNumber"], "SER1");
    assert!(d["profile"].get("udid").is_none());
    let u = &d["_embedded"]["users"][0];
    assert_eq!((u["managementStatus"].as_str(), u["screenLockType"].as_str()), (Some("MANAGED"), Some("PASSCODE")));
    assert_eq!(u["user"]["id"], "00uANN");
    assert_eq!(u["user"]["status"], "ACTIVE");
    assert_eq!(u["user"]["profile"]["login"], "ann@example.com");
    assert_eq!(u["user"]["profile"]["email"], "ann@example.com");
    let plain: serde_json::Value = get("").await.unwrap().json().await.unwrap();
    assert!(plain[0].get("_embedded").is_none(), "no _embedded without expand=user: {plain}");
    let summary: serde_json::Value = get("?expand=userSummary").await.unwrap().json().await.unwrap();
    assert_eq!(summary[0]["_embedded"]["users"][0]["user"]["profile"]["login"], "ann@example.com");
    assert!(summary[0]["_embedded"]["users"][0]["user"].get("status").is_none());
}

#[tokio::test]
async fn okta_devices_need_the_devices_scope() {
    let okta = OktaDouble::new(ORG);
    okta.add_device("guo1", "Ann's iPhone", "IOS", None, None, None, None);
    let clock = manual_clock();
    // The app may read users and groups, and the token carries those scopes only.
    let (_served, c) =
        okta_client(&okta, &["okta.users.read", "okta.groups.read"], &["okta.users.read", "okta.groups.read"], &clock)
            .await;
    match c.list_devices().await {
        Err(OktaError::Api { status: 403, code, .. }) => assert_eq!(code, "E0000006"),
        other => panic!("expected Api 403 E0000006, got {other:?}"),
    }
    assert_eq!(okta.requests_to("/api/v1/devices").len(), 1, "a 403 is not retried");
    assert!(clock.sleeps().is_empty());
}

// --- Hexnode: the status of each device a policy targets ---

async fn hexnode() -> (HexnodeDouble, Served, HexnodeClient) {
    let double = HexnodeDouble::new(PORTAL, KEY);
    let served = Served::start(double.router(), 0).await.unwrap();
    let client = HexnodeClient::new(
        Outbound::with_test_routes(HashMap::from([(PORTAL.to_string(), served.addr)])),
        Arc::new(manual_clock()),
        validate_host_under(PORTAL, HEXNODE_SUFFIX).unwrap(),
        KEY.to_string().into(),
        HexnodeRetry::default(),
    );
    (double, served, client)
}

/// Policy `id` with apps `app_ids` targeting `groups`.
fn add_policy(double: &HexnodeDouble, id: u64, app_ids: &[u64], groups: &[u64]) {
    double.lock().policies.insert(
        id,
        HexnodePolicy {
            id,
            name: format!("Okta Device Trust - {id}"),
            platform: "ios".into(),
            app_ids: app_ids.to_vec(),
            payload_kind: "app_configuration".into(),
            content: "<dict/>".into(),
            bundle_id: Some("com.okta.mobile".into()),
            device_group_ids: groups.to_vec(),
            ..Default::default()
        },
    );
}

fn applied(device: &str, apps: &[(&str, bool)]) -> PolicyDeviceStatus {
    PolicyDeviceStatus {
        device_id: device.into(),
        payload: PayloadState::Applied,
        error: None,
        apps_installed: apps.iter().map(|(a, i)| (a.to_string(), *i)).collect(),
    }
}

#[tokio::test]
async fn hexnode_policy_device_status_defaults_and_targets() {
    let (double, _served, c) = hexnode().await;
    for d in [1, 2, 3, 4] {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("Device {d}"), "iOS", None));
    }
    double.add_group(10, "Okta Device Trust - iOS");
    double.add_group(11, "Extra");
    double.add_group(12, "Not targeted");
    for (g, d) in [(10, 3), (10, 1), (11, 1), (11, 2), (12, 4)] {
        assert!(double.add_to_group(g, d));
    }
    add_policy(&double, 5, &[701, 702], &[10, 11]);
    add_policy(&double, 6, &[], &[12]);

    let s = c.policy_device_status("5").await.unwrap();
    assert_eq!(
        s,
        vec![
            applied("1", &[("701", true), ("702", true)]),
            applied("2", &[("701", true), ("702", true)]),
            applied("3", &[("701", true), ("702", true)]),
        ],
        "members of every targeted group, each once, in id order; device 4 is in no targeted group"
    );
    assert_eq!(c.policy_device_status("6").await.unwrap(), vec![applied("4", &[])], "a policy without apps");
    assert_eq!(
        double.requests_to("/api/v1/policy/5/devices/").into_iter().map(|r| r.path_and_query).collect::<Vec<_>>(),
        ["/api/v1/policy/5/devices/?page=1&per_page=100"]
    );
    // A device taken out of the group is no longer listed.
    assert!(double.remove_from_group(10, 3));
    let ids: Vec<String> = c.policy_device_status("5").await.unwrap().into_iter().map(|s| s.device_id).collect();
    assert_eq!(ids, ["1", "2"]);
}

#[tokio::test]
async fn hexnode_policy_device_status_knobs() {
    let (double, _served, c) = hexnode().await;
    for d in 1..=5 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("Device {d}"), "macOS", None));
        double.add_group(10, "Okta Device Trust - macOS");
        double.add_to_group(10, d);
    }
    add_policy(&double, 5, &[801], &[10]);
    {
        let mut s = double.lock();
        s.device_status.insert(2, "pending".into());
        s.device_status.insert(3, "failed".into());
        s.device_status_error.insert(3, "The profile could not be installed.".into());
        s.device_status.insert(4, "removed".into());
        s.apps_missing.insert(2);
        s.apps_missing.insert(5);
    }
    let s = c.policy_device_status("5").await.unwrap();
    let got: Vec<(&str, PayloadState, Option<&str>, bool)> = s
        .iter()
        .map(|d| (d.device_id.as_str(), d.payload, d.error.as_deref(), d.apps_installed == [("801".to_string(), true)]))
        .collect();
    assert_eq!(
        got,
        [
            ("1", PayloadState::Applied, None, true),
            ("2", PayloadState::Pending, None, false),
            ("3", PayloadState::Failed, Some("The profile could not be installed."), true),
            ("4", PayloadState::Unknown, None, true),
            ("5", PayloadState::Applied, None, false),
        ]
    );
    assert_eq!(s[1].apps_installed, [("801".to_string(), false)]);
}

#[tokio::test]
async fn hexnode_policy_device_status_every_page() {
    let (double, _served, c) = hexnode().await;
    double.lock().max_per_page = 3;
    double.add_group(10, "Okta Device Trust - Android");
    for d in 1..=8 {
        double.add_device(HexnodeDeviceSeed::new(d, &format!("Device {d}"), "Android", None));
        double.add_to_group(10, d);
    }
    add_policy(&double, 5, &[901], &[10]);
    double.lock().device_status.insert(7, "pending".into());
    let s = c.policy_device_status("5").await.unwrap();
    let ids: Vec<&str> = s.iter().map(|d| d.device_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    assert_eq!(s[6].payload, PayloadState::Pending, "the knob holds on the last page too");
    assert_eq!(
        double.requests_to("/api/v1/policy/5/devices/").into_iter().map(|r| r.path_and_query).collect::<Vec<_>>(),
        [
            "/api/v1/policy/5/devices/?page=1&per_page=100",
            "/api/v1/policy/5/devices/?page=2&per_page=3",
            "/api/v1/policy/5/devices/?page=3&per_page=3",
        ],
        "the portal caps per_page; each next link followed as given"
    );
}

fn paths_to(double: &HexnodeDouble, prefix: &str) -> Vec<String> {
    double.requests_to(prefix).into_iter().map(|r| r.path_and_query).collect()
}

#[tokio::test]
async fn hexnode_policy_device_status_of_an_unknown_policy_is_not_found() {
    let (double, _served, c) = hexnode().await;
    add_policy(&double, 5, &[], &[]);
    assert_eq!(c.policy_device_status("5").await.unwrap(), vec![], "a policy targeting nothing lists nothing");
    assert_eq!(c.policy_device_status("99").await, Err(UemError::NotFound("policy 99".into())));
    assert_eq!(c.policy_device_status("..").await, Err(UemError::NotFound("policy ..".into())));
    assert_eq!(
        paths_to(&double, "/api/v1/policy/"),
        [
            "/api/v1/policy/5/devices/?page=1&per_page=100",
            "/api/v1/policy/99/devices/?page=1&per_page=100",
            "/api/v1/policy/99/",
        ],
        "a 404 is checked with the documented policy read; the id that cannot name a policy sends nothing"
    );
    // The gate applies as on every route: a wrong key, then a throttle waited out.
    double.lock().throttled.push_back(2.0);
    assert_eq!(c.policy_device_status("5").await.unwrap(), vec![]);
    double.lock().api_key = "rotated".into();
    assert_eq!(c.policy_device_status("5").await, Err(UemError::Unauthorized(401)));
}
