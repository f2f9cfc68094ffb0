//! What the double holds: the devices, users, device groups, apps and policies it serves (as seeded or as the
//! API created them), and the record of an applied membership write.

/// A device to seed. [`HexnodeDeviceSeed::new`] fills plausible defaults for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodeDeviceSeed {
    /// Hexnode's device id.
    pub id: u64,
    /// `device_name`.
    pub name: String,
    /// `model_name`, e.g. `iPhone 15`.
    pub model_name: String,
    /// `os_name` as Hexnode writes it: `iOS`, `iPadOS`, `Android`, `macOS`, `Windows`, `tvOS`, …
    pub os_name: String,
    /// `os_version`, e.g. `17.2`.
    pub os_version: String,
    /// `serial_number` (empty: none).
    pub serial: String,
    /// `udid` (empty: none).
    pub udid: String,
    /// `imei` (empty: none).
    pub imei: String,
    /// The owner's user id (`user: null` when `None`).
    pub user_id: Option<u64>,
    /// Served as `android_enrollment_type` when set (the field name is unverified; see the client).
    pub android_enrollment_type: Option<String>,
    /// `enrollment_status`, e.g. `Enrolled`.
    pub enrollment_status: String,
    /// `compliant`.
    pub compliant: bool,
}

impl HexnodeDeviceSeed {
    /// A device `id` named `name` running `os_name`, owned by `user_id`, enrolled and compliant, with a model,
    /// OS version, serial (`SER<id>`) and UDID (`UDID-<id>`) that fit the OS.
    pub fn new(id: u64, name: &str, os_name: &str, user_id: Option<u64>) -> Self {
        let (model, version) = match os_name.to_ascii_lowercase().as_str() {
            "ios" => ("iPhone 15", "17.2"),
            "ipados" => ("iPad Air", "17.2"),
            "android" => ("Pixel 8", "14"),
            "macos" | "mac os x" => ("MacBook Pro", "14.2.1"),
            "windows" => ("Surface Laptop 5", "10.0.22631"),
            _ => ("Generic", "1.0"),
        };
        HexnodeDeviceSeed {
            id,
            name: name.to_string(),
            model_name: model.to_string(),
            os_name: os_name.to_string(),
            os_version: version.to_string(),
            serial: format!("SER{id}"),
            udid: format!("UDID-{id}"),
            imei: String::new(),
            user_id,
            android_enrollment_type: None,
            enrollment_status: "Enrolled".to_string(),
            compliant: true,
        }
    }

    /// The same device with `android_enrollment_type` set (e.g. `work_profile`, `fully_managed`, `device_admin`).
    pub fn with_android_enrollment(mut self, kind: &str) -> Self {
        self.android_enrollment_type = Some(kind.to_string());
        self
    }
}

/// A Hexnode user (`id, name, email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexnodeUser {
    /// Hexnode's user id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// The email the client joins to devices as the owner's.
    pub email: String,
}

/// A device group and its members, in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexnodeGroup {
    /// Hexnode's device group id.
    pub id: u64,
    /// `groupname`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// Device ids.
    pub members: Vec<u64>,
    /// `modified_date`, RFC 3339.
    pub modified_date: String,
}

/// An app of the inventory, served by `GET applications/` as `{"id", "name", "platform", "app_type",
/// "bundle_id", "version", "category", "description", "success_criteria", "uninstall_parameters"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodeApp {
    /// Hexnode's app id.
    pub id: u64,
    /// `name`.
    pub name: String,
    /// `platform`: `ios`, `ipados`, `android`, `macos`, `windows` (anything else is served as given).
    pub platform: String,
    /// `app_type`: `vpp`, `store`, `managed_google_play`, `enterprise` (anything else is served as given).
    pub app_type: String,
    /// `bundle_id` (bundle id or package name).
    pub bundle_id: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `success_criteria` (Windows installers).
    pub success_criteria: Option<String>,
    /// `uninstall_parameters` (Windows installers).
    pub uninstall_parameters: Option<String>,
    /// The installer URL an enterprise app was created with (`source_url`; not served).
    pub source_url: Option<String>,
}

impl HexnodeApp {
    /// App `id` named `name` for `platform` of `app_type` with `bundle_id`; version `1.0`, the rest unset.
    pub fn new(id: u64, name: &str, platform: &str, app_type: &str, bundle_id: Option<&str>) -> Self {
        HexnodeApp {
            id,
            name: name.to_string(),
            platform: platform.to_string(),
            app_type: app_type.to_string(),
            bundle_id: bundle_id.map(str::to_string),
            version: Some("1.0".to_string()),
            ..Default::default()
        }
    }
}

/// A policy as the double stored it from the last `POST`/`PUT` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodePolicy {
    /// Hexnode's policy id.
    pub id: u64,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `platform`: `ios`, `android`, `macos` or `windows`.
    pub platform: String,
    /// The `app_id`s of `app_management.mandatory_apps`, in order.
    pub app_ids: Vec<u64>,
    /// The first mandatory app's `vpp_location`.
    pub vpp_location: Option<String>,
    /// The payload kind: `app_configuration`, `mobileconfig` or `syncml`.
    pub payload_kind: String,
    /// The payload document: `app_configuration.configuration` or `custom_configuration.content`.
    pub content: String,
    /// `app_configuration.bundle_id` (`None` for custom configurations).
    pub bundle_id: Option<String>,
    /// `policy_targets.devicegroups`, in order.
    pub device_group_ids: Vec<u64>,
    /// `policy_targets.devices`, in order (each an existing device).
    pub device_ids: Vec<u64>,
    /// 0 when created; one more on each `PUT`.
    pub revision: u32,
}

/// One applied membership write, as [`HexnodeState::membership_log`](super::HexnodeState::membership_log) keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipWrite {
    /// The group written to.
    pub group_id: u64,
    /// Devices named in `add_devices` that were not members (added by this write).
    pub added: Vec<u64>,
    /// Devices named in `add_devices` that already were members (an add done twice).
    pub already_members: Vec<u64>,
    /// Devices named in `remove_devices` that were members (removed by this write).
    pub removed: Vec<u64>,
    /// Devices named in `remove_devices` that were not members (a removal done twice).
    pub not_members: Vec<u64>,
}
