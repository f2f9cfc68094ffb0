//! Everything the product asks of Hexnode that Hexnode's public API description does not have, in one place.
//!
//! The description is `tests/fixtures/hexnode-api/api.yaml` (copied from `../shared/hexnode/api.yaml`: Hexnode's
//! documentation pages, real answers recorded by JupiterOne/graph-hexnode, public client code; its
//! `API-NOTES.md` lists what is not documented). Each entry of [`CALLS`] (requests) and [`FIELDS`] (what the
//! product reads or writes inside otherwise documented calls) says what it is, why the product needs it, how its
//! shape was inferred, and the manual step an admin takes in the Hexnode portal when a portal refuses it. The
//! undocumented bodies ([`ENTERPRISE_APP_UPLOAD`]'s, [`POLICY_PAYLOAD`]'s) and readings ([`app_kind`],
//! [`android_enrollment`], the per-device policy status items) are here too; the payload wildcards stay beside the
//! renderer (`shared/src/attestation/render.rs`, `uem_placeholder`), listed in [`FIELDS`].
//!
//! At run time a portal's refusal of an undocumented call (`404` where the item exists, `405`, or `400` with an
//! unknown-field message; see [`refusal`]) becomes [`UemError::Unsupported`] naming the call and its manual step:
//! deploy-trigger records it as a permanent failure (no automatic retry, never "applied") and status shows it.
//!
//! The contract test (`tests/e2e/hexnode_contract.rs`) sends every request the client makes through a Prism proxy
//! validating against the description, except the requests [`classify`] names here, which go to the double
//! directly (and are listed in the test's report); it asserts that each of those really is unknown to the
//! description.

use super::bodies::policy_body;
use crate::platform::Platform;
use crate::uem::{
    AppKind, DeploymentPolicy, Enrollment, NewEnterpriseApp, PayloadState, PolicyDeviceStatus, PolicyPayload, UemError,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// One request the product sends that the description does not document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndocumentedCall {
    /// A stable name, shown in errors, status and the README (e.g. `policy_payload`).
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path under `/api/v1/`, `{id}` for an id segment.
    pub path: &'static str,
    /// What the product needs it for.
    pub reason: &'static str,
    /// How its path and shape were inferred.
    pub inferred_from: &'static str,
    /// What the admin does in the Hexnode portal instead when the portal refuses it.
    pub manual_step: &'static str,
}

/// Uploading Okta Verify's installer (Windows EXE, macOS PKG) as an enterprise app.
pub const ENTERPRISE_APP_UPLOAD: UndocumentedCall = UndocumentedCall {
    name: "enterprise_app_upload",
    method: "POST",
    path: "applications/",
    reason: "PUT /okta-verify/{windows|macos} with an installer URL adds the installer to the app inventory",
    inferred_from: "api.yaml documents only GET /applications/; the body (name, platform, app_type, category, \
                    description, source_url, success_criteria, uninstall_parameters) mirrors the fields of the \
                    portal's Add Enterprise App form",
    manual_step: "Apps > Add Apps > Enterprise App in the Hexnode portal: upload the installer, then choose it \
                  with PUT /okta-verify/{platform} (method exe/pkg with its app id)",
};

/// Deleting a device group (the platform's managed group, when device trust is deleted).
pub const DELETE_DEVICE_GROUP: UndocumentedCall = UndocumentedCall {
    name: "delete_device_group",
    method: "DELETE",
    path: "devicegroups/{id}/",
    reason: "deleting device trust or switching a platform off takes the managed group away",
    inferred_from: "api.yaml has no delete operation; the recorded answer header `allow: PUT, POST, GET, OPTIONS, \
                    DELETE` on /devicegroups/{id}/ (JupiterOne/graph-hexnode) suggests one",
    manual_step: "Manage > Groups in the Hexnode portal: delete the group named 'Okta Device Trust - <platform>' \
                  (it is already empty and no policy targets it)",
};

/// Per-device state of a policy (payload landed, apps installed), the UEM's side of status evidence.
pub const POLICY_DEVICE_STATUS: UndocumentedCall = UndocumentedCall {
    name: "policy_device_status",
    method: "GET",
    path: "policy/{id}/devices/",
    reason: "status evidence: whether each device applied the platform's policy and installed Okta Verify",
    inferred_from: "no public source; paged like every list. The documented GET /devices/{id}/policies/ lists a \
                    device's policies without any documented state field and costs one call per device (10 calls \
                    per device per day in all), so it cannot replace this within the budget",
    manual_step: "Policies > the platform's policy > Policy status in the Hexnode portal; the device page shows \
                  Okta's managementStatus alone until then",
};

/// The payload part of the platform's policy: the per-platform section with the attestation document.
pub const POLICY_PAYLOAD: UndocumentedCall = UndocumentedCall {
    name: "policy_payload",
    method: "PUT",
    path: "policy/{id}/",
    reason: "the attestation payload: managed app configuration of Okta Verify (iOS, Android), a custom \
             configuration profile (macOS: SCEP and the SSO extension), a custom SyncML (Windows: SCEP), and the \
             VPP location of Okta Verify's licenses",
    inferred_from: "api.yaml's PolicyBody documents name, description, ios/android sections with fixed keys, \
                    app_management and policy_targets; no key for app configuration, custom profiles, SyncML, \
                    macOS or Windows sections, nor a VPP location. The product creates the policy with the \
                    documented body (POST /policy/), then sends the documented body plus `platform`, \
                    `vpp_location` and the section `<platform>: {app_configuration: {bundle_id, configuration}} | \
                    {custom_configuration: {payload_type: mobileconfig|syncml, content}}` with Edit Policy",
    manual_step: "Policies > 'Okta Device Trust - <platform>' in the Hexnode portal: add the document shown by GET \
                  /platforms/{platform}/payload as App Configuration of Okta Verify (iOS, Android), a Custom \
                  Configuration profile (macOS) or a Custom Configuration SyncML (Windows), and save",
};

/// Every undocumented request, in the order the README lists them.
pub const CALLS: [UndocumentedCall; 4] =
    [POLICY_PAYLOAD, POLICY_DEVICE_STATUS, ENTERPRISE_APP_UPLOAD, DELETE_DEVICE_GROUP];

/// One undocumented field inside an otherwise documented exchange (nothing to refuse: a missing field reads as
/// "unknown").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndocumentedField {
    /// Where it is, e.g. `GET /applications/ results[].app_type`.
    pub location: &'static str,
    /// Where the product reads or writes it.
    pub code: &'static str,
    /// What happens when a portal does not have it.
    pub when_absent: &'static str,
}

/// The undocumented fields the product reads or writes.
pub const FIELDS: [UndocumentedField; 3] = [
    UndocumentedField {
        location: "GET /devices/ results[].android_enrollment_type | enrollment_type | device_ownership_type",
        code: "shared/src/uem/hexnode/undocumented.rs android_enrollment (read into HxDevice, wire.rs)",
        when_absent: "an Android device reads as enrollment `other` and is excluded as not Android Enterprise",
    },
    UndocumentedField {
        location: "GET /applications/ results[].app_type, bundle_id, version, description, success_criteria, \
                   uninstall_parameters (name, category and platform are documented)",
        code: "shared/src/uem/hexnode/undocumented.rs app_kind (read into HxApp, wire.rs)",
        when_absent: "the app reads as kind `other` and PUT /okta-verify/{platform} refuses it with 400",
    },
    UndocumentedField {
        location: "payload documents: the wildcards %email%, %username%, %userid%, %deviceid%, %serialnumber%, \
                   %udid%, %devicename%, %scepchallenge%",
        code: "shared/src/attestation/render.rs uem_placeholder",
        when_absent: "the device receives the text unreplaced; edit the policy's document in the portal",
    },
];

/// The undocumented call a request is, by method, path (under `/api/v1/`, without the query) and JSON body, or
/// `None` for a request the description documents. `PUT policy/{id}/` counts as [`POLICY_PAYLOAD`] only when its
/// body carries one of the undocumented keys (`platform`, `vpp_location`, `macos`, `windows`, or an
/// `app_configuration` / `custom_configuration` section).
pub fn classify(method: &str, path: &str, body: Option<&Value>) -> Option<&'static UndocumentedCall> {
    let path = path.trim_start_matches("/api/v1/");
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("POST", ["applications"]) => Some(&ENTERPRISE_APP_UPLOAD),
        ("DELETE", ["devicegroups", _]) => Some(&DELETE_DEVICE_GROUP),
        ("GET", ["policy", _, "devices"]) => Some(&POLICY_DEVICE_STATUS),
        ("PUT" | "POST", ["policy", ..]) if body.is_some_and(carries_payload) => Some(&POLICY_PAYLOAD),
        _ => None,
    }
}

/// Whether a policy body carries any undocumented key (see [`classify`]).
fn carries_payload(body: &Value) -> bool {
    let Some(o) = body.as_object() else { return false };
    let section = |p: &str| {
        o.get(p)
            .and_then(Value::as_object)
            .is_some_and(|s| s.contains_key("app_configuration") || s.contains_key("custom_configuration"))
    };
    ["platform", "vpp_location", "macos", "windows"].iter().any(|k| o.contains_key(*k))
        || section("ios")
        || section("android")
}

// The undocumented readings: each a field or answer api.yaml does not describe, read leniently (a missing field
// is "unknown"), in one place.

/// What kind of app a Hexnode `app_type` names, case-insensitive (`-` and spaces read as `_`): `vpp` →
/// [`AppKind::Vpp`], `store` → [`AppKind::Store`], `managed_google_play` → [`AppKind::ManagedPlay`],
/// `enterprise` → [`AppKind::Enterprise`], anything else → [`AppKind::Other`].
///
/// UNVERIFIED against Hexnode's public documentation: the field and its values are this product's assumption.
pub fn app_kind(app_type: &str) -> AppKind {
    let t = app_type.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    match t.as_str() {
        "vpp" => AppKind::Vpp,
        "store" => AppKind::Store,
        "managed_google_play" => AppKind::ManagedPlay,
        "enterprise" => AppKind::Enterprise,
        _ => AppKind::Other,
    }
}

/// The device fields read, in this order, for an Android device's enrollment type (see [`android_enrollment`]).
/// UNVERIFIED: Hexnode's public API documentation names none of them.
pub const ANDROID_ENROLLMENT_FIELDS: [&str; 3] =
    ["android_enrollment_type", "enrollment_type", "device_ownership_type"];

/// How a device is enrolled, from the values of [`ANDROID_ENROLLMENT_FIELDS`] in that order.
///
/// UNVERIFIED against Hexnode's public documentation: FACTS.md says the Android enrollment type needs
/// `GET /devices/{id}/` and that its field name is unknown, so this reads whichever of the three candidate fields
/// the list answer carries. The first value that names a kind wins; matching is case-insensitive and treats `_`,
/// `-` and spaces alike:
/// - `work profile` / `workprofile` / `profile owner` → [`Enrollment::AndroidWorkProfile`] (checked first, so
///   "fully managed with work profile" counts as a work profile);
/// - `fully managed` / `device owner` → [`Enrollment::AndroidFullyManaged`];
/// - `legacy` / `device admin` → [`Enrollment::AndroidLegacy`].
///
/// Anything else, and every non-Android device, is [`Enrollment::Other`].
pub fn android_enrollment(platform: Option<Platform>, values: [Option<&str>; 3]) -> Enrollment {
    if platform != Some(Platform::Android) {
        return Enrollment::Other;
    }
    for value in values.into_iter().flatten() {
        let v = value.to_ascii_lowercase().replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
        let has = |needles: &[&str]| needles.iter().any(|n| v.contains(n));
        if has(&["work profile", "workprofile", "profile owner"]) {
            return Enrollment::AndroidWorkProfile;
        }
        if has(&["fully managed", "fullymanaged", "device owner"]) {
            return Enrollment::AndroidFullyManaged;
        }
        if has(&["legacy", "device admin"]) {
            return Enrollment::AndroidLegacy;
        }
    }
    Enrollment::Other
}

/// One device of `GET policy/{id}/devices/`: `{"device_id", "status", "error", "apps": [{"app_id",
/// "installed"}]}`. UNVERIFIED against Hexnode's public documentation: the whole shape (see
/// `policy_device_status` in `calls.rs`); ids may be numbers or text, `apps` may be missing or `null` (no apps),
/// `installed` counts only when it is JSON `true`.
#[derive(Deserialize)]
pub(super) struct HxPolicyDevice {
    #[serde(default, deserialize_with = "super::wire::lenient_text")]
    pub(super) device_id: Option<String>,
    #[serde(default, deserialize_with = "super::wire::lenient_text")]
    pub(super) status: Option<String>,
    #[serde(default, deserialize_with = "super::wire::lenient_text")]
    pub(super) error: Option<String>,
    #[serde(default)]
    pub(super) apps: Option<Vec<HxPolicyDeviceApp>>,
}

/// An entry of `HxPolicyDevice::apps`.
#[derive(Deserialize)]
pub(super) struct HxPolicyDeviceApp {
    #[serde(default, deserialize_with = "super::wire::lenient_text")]
    pub(super) app_id: Option<String>,
    #[serde(default)]
    pub(super) installed: Value,
}

impl HxPolicyDevice {
    /// The product's [`PolicyDeviceStatus`]; `status` is matched case-insensitively. Errors:
    /// [`UemError::Protocol`] for an item without a `device_id` or an app without an `app_id`.
    pub(super) fn into_status(self) -> Result<PolicyDeviceStatus, UemError> {
        let device_id =
            self.device_id.ok_or_else(|| UemError::Protocol("a policy device status without a device_id".into()))?;
        let payload = match self.status.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("success") => PayloadState::Applied,
            Some("pending") => PayloadState::Pending,
            Some("failed") => PayloadState::Failed,
            _ => PayloadState::Unknown,
        };
        let apps_installed = self
            .apps
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let id = a.app_id.ok_or_else(|| {
                    UemError::Protocol(format!("an app without an app_id in the policy status of device {device_id}"))
                })?;
                Ok((id, a.installed == Value::Bool(true)))
            })
            .collect::<Result<Vec<_>, UemError>>()?;
        Ok(PolicyDeviceStatus { device_id, payload, error: self.error, apps_installed })
    }
}

/// The body of [`ENTERPRISE_APP_UPLOAD`]: `{"name", "platform": "windows"|"macos", "app_type": "enterprise",
/// "category", "description", "source_url": <installer URL>, "success_criteria", "uninstall_parameters"}` (the
/// last two `null` when unset).
pub(super) fn enterprise_app_body(app: &NewEnterpriseApp) -> Value {
    json!({
        "name": app.name,
        "platform": app.platform.as_str(),
        "app_type": "enterprise",
        "category": app.category,
        "description": app.description,
        "source_url": app.installer_url,
        "success_criteria": app.success_criteria,
        "uninstall_parameters": app.uninstall_parameters,
    })
}

/// The body of [`POLICY_PAYLOAD`]: the documented [`policy_body`] plus `"platform": "ios"|"android"|"macos"|
/// "windows"`, `"vpp_location"` (Okta Verify's VPP location, or `null`) and the platform's section:
/// `{"app_configuration": {"bundle_id", "configuration": <document>}}` (iOS, Android) or
/// `{"custom_configuration": {"payload_type": "mobileconfig"|"syncml", "content": <document>}}` (macOS, Windows).
pub(super) fn policy_payload_body(p: &DeploymentPolicy) -> Value {
    let section = match &p.payload {
        PolicyPayload::AppConfig { bundle_id, document } => {
            json!({ "app_configuration": { "bundle_id": bundle_id, "configuration": document } })
        }
        PolicyPayload::ConfigurationProfile { document } => {
            json!({ "custom_configuration": { "payload_type": "mobileconfig", "content": document } })
        }
        PolicyPayload::SyncMl { document } => {
            json!({ "custom_configuration": { "payload_type": "syncml", "content": document } })
        }
    };
    let mut body = policy_body(p);
    if let Some(o) = body.as_object_mut() {
        o.insert("platform".into(), json!(p.platform.as_str()));
        o.insert("vpp_location".into(), json!(p.app.as_ref().and_then(|a| a.vpp_location.clone())));
        o.insert(p.platform.as_str().into(), section);
    }
    body
}

/// Texts of a `400` that mean the portal does not know a field (case-insensitive).
const UNKNOWN_FIELD_MARKS: [&str; 6] = [
    "unknown field",
    "unexpected field",
    "unrecognized field",
    "not a valid field",
    "extra fields not permitted",
    "additional properties",
];

/// Whether a `400` message says the portal does not know a field (see [`UNKNOWN_FIELD_MARKS`]).
pub fn is_unknown_field_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    UNKNOWN_FIELD_MARKS.iter().any(|k| m.contains(k))
}

/// The error of an undocumented `call` that the portal refused: [`UemError::Unsupported`] for a `405`, a `400`
/// whose message names an unknown field, and (when `item_exists` says the item the call named is there, or the
/// call names no item) a `404`; else `e` unchanged.
pub fn refusal(call: &UndocumentedCall, e: UemError, item_exists: Option<bool>) -> UemError {
    let status = match &e {
        UemError::Api { status: 405, .. } => 405,
        UemError::Api { status: 400, message } if is_unknown_field_message(message) => 400,
        UemError::NotFound(_) if item_exists != Some(false) => 404,
        _ => return e,
    };
    unsupported(call, status)
}

/// [`UemError::Unsupported`] for `call` refused with `status`.
pub fn unsupported(call: &UndocumentedCall, status: u16) -> UemError {
    UemError::Unsupported { call: call.name.to_string(), status, manual_step: call.manual_step.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_classified_by_method_path_and_body() {
        assert_eq!(classify("POST", "/api/v1/applications/", Some(&json!({}))), Some(&ENTERPRISE_APP_UPLOAD));
        assert_eq!(classify("GET", "/api/v1/applications/", None), None);
        assert_eq!(classify("DELETE", "/api/v1/devicegroups/5/", None), Some(&DELETE_DEVICE_GROUP));
        assert_eq!(classify("POST", "/api/v1/devicegroups/5/", Some(&json!({}))), None);
        assert_eq!(classify("GET", "/api/v1/policy/3/devices/", None), Some(&POLICY_DEVICE_STATUS));
        assert_eq!(classify("GET", "/api/v1/policy/3/", None), None);
        let documented = json!({"name": "n", "description": "", "policy_targets": {"devicegroups": [1]}});
        assert_eq!(classify("POST", "/api/v1/policy/", Some(&documented)), None);
        assert_eq!(classify("PUT", "/api/v1/policy/3/", Some(&documented)), None);
        for extra in [
            json!({"platform": "ios"}),
            json!({"vpp_location": "Main"}),
            json!({"windows": {}}),
            json!({"ios": {"app_configuration": {}}}),
            json!({"android": {"custom_configuration": {}}}),
        ] {
            assert_eq!(classify("PUT", "/api/v1/policy/3/", Some(&extra)), Some(&POLICY_PAYLOAD), "{extra}");
        }
        assert_eq!(classify("PUT", "/api/v1/policy/3/", Some(&json!({"ios": {"password": {}}}))), None);
    }

    #[test]
    fn refusals_become_unsupported_and_other_errors_stay() {
        let c = &POLICY_PAYLOAD;
        let api = |status, m: &str| UemError::Api { status, message: m.into() };
        let is_unsupported = |e: &UemError, want: u16| {
            matches!(e, UemError::Unsupported { call, status, manual_step }
                if call == "policy_payload" && *status == want && manual_step == c.manual_step)
        };
        assert!(is_unsupported(&refusal(c, api(405, "Method \"PUT\" not allowed."), None), 405));
        assert!(is_unsupported(&refusal(c, api(400, r#"{"ios": ["Unknown field: app_configuration"]}"#), None), 400));
        assert!(is_unsupported(&refusal(c, UemError::NotFound("policy 3".into()), Some(true)), 404));
        assert!(is_unsupported(&refusal(c, UemError::NotFound("x".into()), None), 404));
        assert_eq!(refusal(c, UemError::NotFound("p".into()), Some(false)), UemError::NotFound("p".into()));
        assert_eq!(refusal(c, api(400, "Invalid app id(s): 9"), None), api(400, "Invalid app id(s): 9"));
        assert_eq!(refusal(c, api(500, "x"), None), api(500, "x"));
        assert_eq!(
            refusal(c, UemError::Throttled { retry_after_secs: 5 }, None),
            UemError::Throttled { retry_after_secs: 5 }
        );
    }

    #[test]
    fn payload_bodies_per_platform() {
        use crate::platform::Platform;
        let mut p = DeploymentPolicy {
            name: "ODT iOS".into(),
            description: "d".into(),
            platform: Platform::Ios,
            app: Some(crate::uem::PolicyApp { app_id: "12".into(), vpp_location: Some("Main".into()) }),
            payload: PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: "<dict/>".into() },
            device_group_ids: vec!["5".into()],
            device_ids: vec![],
        };
        assert_eq!(
            policy_payload_body(&p),
            json!({
                "name": "ODT iOS", "description": "d", "platform": "ios", "vpp_location": "Main",
                "app_management": {"mandatory_apps": {"app": [12], "group": []}},
                "ios": {"app_configuration": {"bundle_id": "com.okta.mobile", "configuration": "<dict/>"}},
                "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5]},
            })
        );
        assert_eq!(classify("PUT", "/api/v1/policy/1/", Some(&policy_payload_body(&p))), Some(&POLICY_PAYLOAD));
        assert_eq!(classify("POST", "/api/v1/policy/", Some(&policy_body(&p))), None);
        p.platform = Platform::Macos;
        p.app = None;
        p.payload = PolicyPayload::ConfigurationProfile { document: "<plist/>".into() };
        let b = policy_payload_body(&p);
        assert_eq!(
            b["macos"],
            json!({"custom_configuration": {"payload_type": "mobileconfig", "content": "<plist/>"}})
        );
        assert_eq!(b["vpp_location"], Value::Null);
        p.platform = Platform::Windows;
        p.payload = PolicyPayload::SyncMl { document: "<SyncBody/>".into() };
        assert_eq!(
            policy_payload_body(&p)["windows"],
            json!({"custom_configuration": {"payload_type": "syncml", "content": "<SyncBody/>"}})
        );
    }

    #[test]
    fn enterprise_app_body_fields() {
        use crate::platform::Platform;
        let app = NewEnterpriseApp {
            platform: Platform::Windows,
            name: "Okta Verify".into(),
            category: "Security".into(),
            description: "OV".into(),
            installer_url: "https://example.okta.com/ov.exe".into(),
            success_criteria: Some("exit 0".into()),
            uninstall_parameters: None,
        };
        assert_eq!(
            enterprise_app_body(&app),
            json!({"name": "Okta Verify", "platform": "windows", "app_type": "enterprise", "category": "Security",
                   "description": "OV", "source_url": "https://example.okta.com/ov.exe",
                   "success_criteria": "exit 0", "uninstall_parameters": null})
        );
        assert_eq!(
            classify("POST", "/api/v1/applications/", Some(&enterprise_app_body(&app))),
            Some(&ENTERPRISE_APP_UPLOAD)
        );
    }

    #[test]
    fn every_call_says_why_how_and_what_instead() {
        for c in CALLS {
            assert!(!c.reason.is_empty() && !c.inferred_from.is_empty() && !c.manual_step.is_empty(), "{}", c.name);
        }
        let names: std::collections::BTreeSet<_> = CALLS.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), CALLS.len());
    }
}
