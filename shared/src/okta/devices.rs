//! Okta's device records (`GET /api/v1/devices?expand=user`, operation `listDevices`): the evidence of whether a
//! device is managed, carried by each device user link's `managementStatus`.
//!
//! Follows `../shared/okta/spec/management.yaml`: each list item is a `DeviceList` (a `Device` with `_embedded`):
//!
//! ```json
//! {"id": "guo4a5u7YAHhjXrMK0g5", "status": "ACTIVE",
//!  "profile": {"displayName": "…", "platform": "ANDROID", "serialNumber": "…", "udid": "…", "registered": true},
//!  "_embedded": {"users": [{"created": "…", "managementStatus": "MANAGED", "screenLockType": "BIOMETRIC",
//!                           "user": {"id": "00u17vh0q8ov8IU881d7", "status": "ACTIVE", "profile": {…}}}]}}
//! ```
//!
//! `profile` is a `DeviceProfile` (`platform` a `DevicePlatform`: `ANDROID`, `IOS`, `MACOS`, `WINDOWS`), `status` a
//! `DeviceStatus`, each entry of `_embedded.users` a `DeviceUser` (`managementStatus`: `MANAGED` | `NOT_MANAGED`;
//! `screenLockType`: `NONE` | `PASSCODE` | `BIOMETRIC`; `user`: a `User`). `_embedded` is there only with
//! `expand=user` (or `userSummary`). Values are kept as Okta gives them (the spec's own example has a status,
//! `CREATED`, that its enum lacks).

use super::error::OktaError;
use serde::{Deserialize, Serialize};

/// A device as Okta records it, in the product's shape (field names are the product's, not Okta's wire names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OktaDevice {
    /// Okta's device id (`guo…`, `Device.id`).
    pub id: String,
    /// `Device.status` as given (`ACTIVE`, `DEACTIVATED`, `SUSPENDED`, `UNSUSPENDED`, …); empty when missing.
    pub status: String,
    /// `profile.displayName`; empty when missing.
    pub display_name: String,
    /// `profile.platform` as given (`ANDROID`, `IOS`, `MACOS`, `WINDOWS`); empty when missing.
    pub platform: String,
    /// `profile.serialNumber`.
    pub serial_number: Option<String>,
    /// `profile.udid` (macOS unique device identifier).
    pub udid: Option<String>,
    /// The device user links (`_embedded.users`), in Okta's order; empty without `expand=user` or without users.
    pub users: Vec<DeviceUserLink>,
}

/// One device user link (`DeviceUser`): which user the device belongs to and whether Okta sees it as managed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceUserLink {
    /// The linked user's id (`user.id`, `00u…`).
    pub user_id: String,
    /// `managementStatus` as given: `MANAGED` (management software installed) or `NOT_MANAGED`; `None` when
    /// Okta leaves it out.
    pub management_status: Option<String>,
    /// `screenLockType` as given: `NONE`, `PASSCODE` or `BIOMETRIC`.
    pub screen_lock_type: Option<String>,
}

impl DeviceUserLink {
    /// Whether Okta reports this link as `MANAGED` (exactly, as the spec spells it).
    pub fn is_managed(&self) -> bool {
        self.management_status.as_deref() == Some("MANAGED")
    }
}

/// A `DeviceList` item as Okta sends it; every field optional so that a missing one is tolerated, unknown ones
/// ignored. Read into [`OktaDevice`] by [`WireDevice::into_device`].
#[derive(Debug, Deserialize)]
pub(super) struct WireDevice {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    profile: Option<WireProfile>,
    #[serde(rename = "_embedded", default)]
    embedded: Option<WireEmbedded>,
}

/// `DeviceProfile`: only the fields the product reads.
#[derive(Debug, Default, Deserialize)]
struct WireProfile {
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(rename = "serialNumber", default)]
    serial_number: Option<String>,
    #[serde(default)]
    udid: Option<String>,
}

/// `DeviceList._embedded`.
#[derive(Debug, Deserialize)]
struct WireEmbedded {
    #[serde(default)]
    users: Option<Vec<WireDeviceUser>>,
}

/// `DeviceUser`.
#[derive(Debug, Deserialize)]
struct WireDeviceUser {
    #[serde(rename = "managementStatus", default)]
    management_status: Option<String>,
    #[serde(rename = "screenLockType", default)]
    screen_lock_type: Option<String>,
    #[serde(default)]
    user: Option<WireUserRef>,
}

/// `DeviceUser.user` (a `User`, or a user summary): only its id.
#[derive(Debug, Deserialize)]
struct WireUserRef {
    #[serde(default)]
    id: Option<String>,
}

/// Trimmed text; empty is `None`.
fn present(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl WireDevice {
    /// The product's [`OktaDevice`]. Errors: [`OktaError::Protocol`] for a device without an `id`, or a device
    /// user link whose `user` has no `id` (a link that names no one cannot be evidence).
    pub(super) fn into_device(self) -> Result<OktaDevice, OktaError> {
        let id = present(self.id).ok_or_else(|| OktaError::Protocol("a device without an id".into()))?;
        let profile = self.profile.unwrap_or_default();
        let users = self
            .embedded
            .and_then(|e| e.users)
            .unwrap_or_default()
            .into_iter()
            .map(|u| {
                let user_id = present(u.user.and_then(|r| r.id))
                    .ok_or_else(|| OktaError::Protocol(format!("a user link of device {id} without a user id")))?;
                Ok(DeviceUserLink {
                    user_id,
                    management_status: present(u.management_status),
                    screen_lock_type: present(u.screen_lock_type),
                })
            })
            .collect::<Result<Vec<_>, OktaError>>()?;
        Ok(OktaDevice {
            id,
            status: self.status.unwrap_or_default(),
            display_name: profile.display_name.unwrap_or_default(),
            platform: profile.platform.unwrap_or_default(),
            serial_number: present(profile.serial_number),
            udid: present(profile.udid),
            users,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Result<OktaDevice, OktaError> {
        serde_json::from_value::<WireDevice>(v).expect("reads as a DeviceList item").into_device()
    }

    #[test]
    fn spec_example_with_embedded_users() {
        // `APIDevicesListAllResponse` from the spec (abridged user).
        let d = read(json!({
            "id": "guo4a5u7YAHhjXrMK0g5", "status": "ACTIVE", "created": "2023-06-21T23:24:02.000Z",
            "profile": {"displayName": "Example device name 2", "platform": "ANDROID", "manufacturer": "Google",
                        "model": "Pixel 6", "osVersion": "13:2023-05-05", "registered": true,
                        "secureHardwarePresent": true, "diskEncryptionType": "USER"},
            "resourceType": "UDDevice", "resourceDisplayName": {"value": "Example device name 2", "sensitive": false},
            "resourceAlternateId": null, "resourceId": "guo4a5u7YAHhjXrMK0g5",
            "_links": {"self": {"href": "https://x.okta.com/api/v1/devices/guo4a5u7YAHhjXrMK0g5"}},
            "_embedded": {"users": [{"managementStatus": "MANAGED", "created": "2021-10-01T16:52:41.000Z",
                "screenLockType": "BIOMETRIC",
                "user": {"id": "00u17vh0q8ov8IU881d7", "status": "ACTIVE",
                         "profile": {"login": "email@email.com", "email": "email@email.com"}}}]}
        }))
        .unwrap();
        assert_eq!(d.id, "guo4a5u7YAHhjXrMK0g5");
        assert_eq!((d.status.as_str(), d.platform.as_str()), ("ACTIVE", "ANDROID"));
        assert_eq!(d.display_name, "Example device name 2");
        assert_eq!((d.serial_number, d.udid), (None, None));
        assert_eq!(
            d.users,
            vec![DeviceUserLink {
                user_id: "00u17vh0q8ov8IU881d7".into(),
                management_status: Some("MANAGED".into()),
                screen_lock_type: Some("BIOMETRIC".into()),
            }]
        );
        assert!(d.users[0].is_managed());
    }

    #[test]
    fn lenient_on_missing_fields_strict_on_ids() {
        let d = read(json!({"id": "guo1", "profile": {"platform": "MACOS", "serialNumber": "C02", "udid": ""},
                            "_embedded": {"users": []}}))
        .unwrap();
        assert_eq!((d.status.as_str(), d.display_name.as_str()), ("", ""));
        assert_eq!((d.serial_number.as_deref(), d.udid), (Some("C02"), None));
        assert!(d.users.is_empty());
        let d = read(json!({"id": "guo2", "status": "CREATED", "_embedded": {"users": [
            {"user": {"id": "00u1"}}, {"managementStatus": "NOT_MANAGED", "user": {"id": "00u2"}}]}}))
        .unwrap();
        assert_eq!(d.users[0].management_status, None);
        assert!(!d.users[1].is_managed());
        assert!(matches!(read(json!({"status": "ACTIVE"})), Err(OktaError::Protocol(_))));
        assert!(matches!(read(json!({"id": " "})), Err(OktaError::Protocol(_))));
        assert!(matches!(
            read(json!({"id": "guo3", "_embedded": {"users": [{"managementStatus": "MANAGED"}]}})),
            Err(OktaError::Protocol(_))
        ));
    }
}
