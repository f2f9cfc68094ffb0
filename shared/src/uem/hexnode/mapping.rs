//! The mapping room: Hexnode's answers (the wire types of `wire.rs`) into the [`Uem`](crate::uem::Uem) trait's
//! domain types. What the product requires of an answer (an id) is checked here, as [`UemError::Protocol`]; the
//! undocumented readings (the kind of an app, the Android enrollment type, the policy status of a device) are in
//! `undocumented.rs`.

use super::undocumented::{android_enrollment, app_kind};
use super::wire::{HxApp, HxDevice, HxGroup, HxGroupDetail, HxPolicyRef, HxUser};
use crate::platform::Platform;
use crate::uem::{AppKind, DeviceGroup, PolicyRef, UemApp, UemDevice, UemError};
use std::collections::HashSet;

/// The platform of a Hexnode `os_name`, case-insensitive: `iOS`/`iPadOS` → iOS, `Android` → Android,
/// `macOS`/`Mac OS X`/`OS X` → macOS, `Windows` → Windows; anything else (tvOS, Linux, …) → `None`.
pub fn platform_from_os_name(os_name: &str) -> Option<Platform> {
    let name = os_name.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    match name.as_str() {
        "ios" | "ipados" => Some(Platform::Ios),
        "android" => Some(Platform::Android),
        "macos" | "mac os x" | "os x" | "mac os" | "macosx" => Some(Platform::Macos),
        "windows" => Some(Platform::Windows),
        _ => None,
    }
}

impl HxDevice {
    /// The device with its owner's user id (the email is joined from the user list by
    /// [`join_owners`](crate::uem::join_owners)). Errors: [`UemError::Protocol`] for a device without an id.
    pub(super) fn into_device(self) -> Result<UemDevice, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("a device without an id".into()))?;
        let platform = self.os_name.as_deref().and_then(platform_from_os_name);
        let enrollment = android_enrollment(
            platform,
            [
                self.android_enrollment_type.as_deref(),
                self.enrollment_type.as_deref(),
                self.device_ownership_type.as_deref(),
            ],
        );
        Ok(UemDevice {
            id,
            name: self.device_name.or(self.model_name).unwrap_or_default(),
            platform,
            os_version: self.os_version.unwrap_or_default(),
            serial: self.serial_number,
            udid: self.udid,
            enrollment,
            owner_email: None,
            owner_id: self.user,
        })
    }
}

impl HxApp {
    /// The app. Errors: [`UemError::Protocol`] for an app without an id.
    pub(super) fn into_app(self) -> Result<UemApp, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("an app without an id".into()))?;
        Ok(UemApp {
            id,
            name: self.name.unwrap_or_default(),
            platform: self.platform.as_deref().and_then(platform_from_os_name),
            kind: self.app_type.as_deref().map_or(AppKind::Other, app_kind),
            bundle_id: self.bundle_id,
            version: self.version,
            category: self.category,
            description: self.description,
            success_criteria: self.success_criteria,
            uninstall_parameters: self.uninstall_parameters,
        })
    }
}

/// Every Hexnode user id with its email (users without either left out).
pub(super) fn user_emails(users: Vec<HxUser>) -> Vec<(String, String)> {
    users.into_iter().filter_map(|u| Some((u.id?, u.email?))).collect()
}

impl HxGroup {
    /// `{id, name: groupname}` (or `name`, or empty). Errors: [`UemError::Protocol`] for a group without an id.
    pub(super) fn into_group(self) -> Result<DeviceGroup, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("a device group without an id".into()))?;
        Ok(DeviceGroup { id, name: self.groupname.or(self.name).unwrap_or_default() })
    }

    /// The group just created as `name`: as [`HxGroup::into_group`], but named `name` when the answer names none.
    /// Errors: [`UemError::Protocol`] for an answer without an id.
    pub(super) fn into_created_group(self, name: &str) -> Result<DeviceGroup, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("the created device group has no id".into()))?;
        Ok(DeviceGroup { id, name: self.groupname.or(self.name).unwrap_or_else(|| name.to_string()) })
    }
}

impl HxGroupDetail {
    /// The ids in the group's `devices` list, in order, each once (members without an id left out). Errors:
    /// [`UemError::Protocol`] when the answer for group `group_id` has no `devices` list.
    pub(super) fn into_member_ids(self, group_id: &str) -> Result<Vec<String>, UemError> {
        let members = self
            .devices
            .ok_or_else(|| UemError::Protocol(format!("device group {group_id} answer has no devices list")))?;
        let mut seen = HashSet::new();
        Ok(members.into_iter().filter_map(|m| m.id).filter(|id| seen.insert(id.clone())).collect())
    }
}

impl HxPolicyRef {
    /// `{id, name}` (an empty name when none). Errors: [`UemError::Protocol`] for a policy without an id.
    pub(super) fn into_policy_ref(self) -> Result<PolicyRef, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("a policy without an id".into()))?;
        Ok(PolicyRef { id, name: self.name.unwrap_or_default() })
    }

    /// The id of the policy just created. Errors: [`UemError::Protocol`] for an answer without an id.
    pub(super) fn into_created_id(self) -> Result<String, UemError> {
        self.id.ok_or_else(|| UemError::Protocol("the created policy has no id".into()))
    }
}

/// The ids Hexnode refused in a membership change, each as the caller spelled it in `add` or `remove` (Hexnode
/// may answer `77` for the `077` sent as the number 77; an id not found there is kept as Hexnode wrote it), each
/// once.
pub(super) fn refused_as_sent(refused: Vec<String>, add: &[String], remove: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    refused
        .into_iter()
        .map(|r| add.iter().chain(remove).find(|o| same_id(o, &r)).cloned().unwrap_or(r))
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Whether two id texts name the same id: equal, or the same number (`7` and `07`).
fn same_id(a: &str, b: &str) -> bool {
    a == b || matches!((a.trim().parse::<u64>(), b.trim().parse::<u64>()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::super::bodies::id_value;
    use super::super::undocumented::HxPolicyDevice;
    use super::super::wire::Page;
    use super::*;
    use crate::uem::{Enrollment, InventoryPage, PayloadState, PolicyDeviceStatus};
    use serde_json::json;

    #[test]
    fn platforms_from_os_names() {
        for (name, want) in [
            ("iOS", Some(Platform::Ios)),
            ("ipados", Some(Platform::Ios)),
            ("Android", Some(Platform::Android)),
            ("macOS", Some(Platform::Macos)),
            ("Mac OS X", Some(Platform::Macos)),
            ("OS X", Some(Platform::Macos)),
            ("WINDOWS", Some(Platform::Windows)),
            ("tvOS", None),
            ("Linux", None),
            ("", None),
        ] {
            assert_eq!(platform_from_os_name(name), want, "{name}");
        }
    }

    #[test]
    fn android_enrollment_kinds_and_field_order() {
        let a = Some(Platform::Android);
        assert_eq!(android_enrollment(a, [Some("work_profile"), None, None]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [None, Some("Profile Owner"), None]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [Some("FULLY_MANAGED"), None, None]), Enrollment::AndroidFullyManaged);
        assert_eq!(android_enrollment(a, [None, None, Some("device owner")]), Enrollment::AndroidFullyManaged);
        assert_eq!(android_enrollment(a, [Some("device_admin"), None, None]), Enrollment::AndroidLegacy);
        assert_eq!(android_enrollment(a, [Some("Legacy"), None, None]), Enrollment::AndroidLegacy);
        assert_eq!(
            android_enrollment(a, [Some("legacy"), Some("work_profile"), None]),
            Enrollment::AndroidLegacy,
            "the first field that names a kind wins"
        );
        assert_eq!(android_enrollment(a, [Some("3"), None, Some("workprofile")]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [None, None, None]), Enrollment::Other);
        assert_eq!(android_enrollment(Some(Platform::Ios), [Some("work_profile"), None, None]), Enrollment::Other);
        assert_eq!(android_enrollment(None, [Some("device_owner"), None, None]), Enrollment::Other);
    }

    #[test]
    fn devices_read_leniently() {
        let page: Page<HxDevice> = serde_json::from_str(
            r#"{"count": 3, "next": null, "previous": null, "results": [
                {"id": 7, "device_name": "Ann's iPhone", "os_name": "iOS", "os_version": "17.2", "serial_number": "",
                 "udid": "U7", "user": {"id": "12", "name": "Ann"}, "extra": [1, 2]},
                {"id": "8", "os_name": "Android", "os_version": 14, "user": null, "enrollment_type": "Fully Managed"},
                {"id": 9, "model_name": "Surface", "os_name": "Windows", "user": 13}
            ]}"#,
        )
        .unwrap();
        let owners = vec![("12".to_string(), "ann@example.com".to_string())];
        let devices: Vec<UemDevice> = page.results.into_iter().map(|d| d.into_device().unwrap()).collect();
        let devices = crate::uem::join_owners([InventoryPage { devices, owners, next: None }]);
        assert_eq!(devices[0].id, "7");
        assert_eq!(devices[0].serial, None);
        assert_eq!(devices[0].owner_email.as_deref(), Some("ann@example.com"));
        assert_eq!(devices[0].owner_id.as_deref(), Some("12"));
        assert_eq!(devices[1].os_version, "14");
        assert_eq!(devices[1].enrollment, Enrollment::AndroidFullyManaged);
        assert_eq!((devices[1].owner_id.as_ref(), devices[1].owner_email.as_ref()), (None, None));
        assert_eq!(devices[2].name, "Surface");
        assert_eq!(devices[2].owner_id.as_deref(), Some("13"));
        assert_eq!(devices[2].owner_email, None, "an owner missing from the user list has no email");
        let no_id: HxDevice = serde_json::from_str(r#"{"device_name": "x"}"#).unwrap();
        assert!(matches!(no_id.into_device(), Err(UemError::Protocol(_))));
        assert!(serde_json::from_str::<Page<HxDevice>>(r#"{"count": 0, "next": null}"#).is_err(), "results required");
    }

    #[test]
    fn app_kinds_and_ids() {
        assert_eq!(app_kind("vpp"), AppKind::Vpp);
        assert_eq!(app_kind("Store"), AppKind::Store);
        assert_eq!(app_kind("managed-google-play"), AppKind::ManagedPlay);
        assert_eq!(app_kind("ENTERPRISE"), AppKind::Enterprise);
        assert_eq!(app_kind("web_clip"), AppKind::Other);
        assert_eq!(id_value("12"), json!(12));
        assert_eq!(id_value("x-1"), json!("x-1"));
        assert_eq!(id_value("-3"), json!("-3"));
        assert!(same_id("07", "7") && same_id("abc", "abc") && !same_id("7", "8"));
        let app: HxApp = serde_json::from_value(json!({"id": "4", "name": "Okta Verify", "platform": "ipados",
            "app_type": "vpp", "bundle_id": "com.okta.mobile", "version": 9.1}))
        .unwrap();
        let app = app.into_app().unwrap();
        assert_eq!((app.id.as_str(), app.platform, app.kind), ("4", Some(Platform::Ios), AppKind::Vpp));
        assert_eq!((app.version.as_deref(), app.category), (Some("9.1"), None));
        assert!(serde_json::from_value::<HxApp>(json!({"name": "x"})).unwrap().into_app().is_err());
    }

    #[test]
    fn policy_device_status_reads_leniently() {
        let page: Page<HxPolicyDevice> = serde_json::from_value(json!({"count": 4, "next": null, "results": [
            {"device_id": 12, "status": "success", "error": null, "apps": [{"app_id": 701, "installed": true}]},
            {"device_id": "13", "status": "PENDING", "apps": [{"app_id": "702", "installed": false},
                                                                  {"app_id": 703}]},
            {"device_id": 14, "status": "failed", "error": "Profile refused", "apps": null},
            {"device_id": 15, "status": "removed", "extra": 1}
        ]}))
        .unwrap();
        let s: Vec<PolicyDeviceStatus> = page.results.into_iter().map(|d| d.into_status().unwrap()).collect();
        assert_eq!(
            s[0],
            PolicyDeviceStatus {
                device_id: "12".into(),
                payload: PayloadState::Applied,
                error: None,
                apps_installed: vec![("701".into(), true)],
            }
        );
        assert_eq!(s[1].payload, PayloadState::Pending);
        assert_eq!(s[1].apps_installed, vec![("702".into(), false), ("703".into(), false)]);
        assert_eq!((s[2].payload, s[2].error.as_deref()), (PayloadState::Failed, Some("Profile refused")));
        assert!(s[2].apps_installed.is_empty());
        assert_eq!((s[3].payload, s[3].apps_installed.len()), (PayloadState::Unknown, 0));
        let no_id: HxPolicyDevice = serde_json::from_value(json!({"status": "success"})).unwrap();
        assert!(matches!(no_id.into_status(), Err(UemError::Protocol(_))));
        let app_no_id: HxPolicyDevice =
            serde_json::from_value(json!({"device_id": 1, "apps": [{"installed": true}]})).unwrap();
        assert!(matches!(app_no_id.into_status(), Err(UemError::Protocol(_))));
        assert_eq!(serde_json::to_value(PayloadState::Applied).unwrap(), json!("applied"));
    }
}
