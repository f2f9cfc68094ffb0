//! The write side against the Hexnode double: enterprise app upload, device group create and delete, membership
//! changes in batches, policies and their validation errors.

use super::{client, ios_policy, manual_clock, serve, strings, writes, KEY, PORTAL};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed, HexnodeDouble};
use odt_shared::platform::Platform;
use odt_shared::uem::{
    AppKind, DeploymentPolicy, DeviceGroup, NewEnterpriseApp, PolicyApp, PolicyPayload, PolicyRef, Uem, UemError,
};

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
            "PUT /api/v1/policy/1/",
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

/// A portal with Okta Verify for iOS (app 12, VPP), macOS (13) and Windows (14), devices 1 to 3, and the groups
/// `ODT iOS` (5, holding device 1), `ODT iOS pilot` (6, holding device 2), `ODT macOS` (7) and `ODT Windows` (8).
fn policy_portal() -> HexnodeDouble {
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
    double
}

#[tokio::test]
async fn hexnode_policy_create_update_and_delete() {
    let double = policy_portal();
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());

    let id = c.create_policy(&ios_policy("ODT iOS", "12", &["5"])).await.unwrap();
    assert_eq!(id, "1");
    let p = double.policy_named("ODT iOS").unwrap();
    assert_eq!((p.id, p.platform.as_str(), p.revision), (1, "ios", 1), "created documented, then the payload");
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
    assert_eq!((p.id, p.revision, p.app_ids.is_empty(), p.vpp_location.as_deref()), (1, 2, true, None));
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
        device_ids: vec![],
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
            "PUT /api/v1/policy/1/",
            "PUT /api/v1/policy/99/",
            "POST /api/v1/policy/",
            "PUT /api/v1/policy/2/",
            "POST /api/v1/policy/",
            "PUT /api/v1/policy/3/",
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
    // A refused payload leaves the documented part (created first, found again by name) without a payload.
    let stored: Vec<(String, String)> = double.policies().into_iter().map(|p| (p.name, p.payload_kind)).collect();
    let no_payload = |n: &str| (n.to_string(), String::new());
    assert_eq!(
        stored,
        [no_payload("C"), no_payload("C"), no_payload("D"), no_payload("E")],
        "refused apps/groups store nothing"
    );

    // The same checks guard an update, which then leaves the policy as it was.
    let id = c.create_policy(&ios_policy("ODT iOS", "12", &["5"])).await.unwrap();
    let r = c.update_policy(&id, &ios_policy("ODT iOS", "12", &["6"])).await;
    assert!(matches!(r, Err(UemError::Api { status: 400, .. })), "{r:?}");
    let p = double.policy_named("ODT iOS").unwrap();
    assert_eq!((p.revision, p.device_group_ids), (1, vec![5]), "as created with its payload");
    let applied: Vec<String> = double.applied_writes().into_iter().map(|r| r.path_and_query).collect();
    let creates = vec!["/api/v1/policy/"; 4];
    assert_eq!(applied, [creates, vec!["/api/v1/policy/", "/api/v1/policy/5/"]].concat(), "no refused write applied");
    assert_eq!(c.request_count(), 13, "a 400 is not retried");
}
