//! The read side against the Hexnode double: paging (every `next` as given), the owner join, platform and Android
//! enrollment mapping, groups and members, apps.

use super::{client, manual_clock, paths, serve, KEY, PORTAL};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed, HexnodeDouble};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::PER_PAGE;
use odt_shared::uem::{AppKind, DeviceGroup, Enrollment, Uem, UemError};
use std::collections::HashMap;

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
