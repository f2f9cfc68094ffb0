//! The wire room's request bodies: the JSON the client sends. The unverified ones (`enterprise_app_body`,
//! `policy_body`) are each built here and nowhere else; their doc comments say which fields are documented.

use crate::uem::{DeploymentPolicy, NewEnterpriseApp, PolicyPayload};
use serde_json::{json, Map, Value};

/// The body of `POST devicegroups/`: `{"groupname", "description"}` (the field names of the documented group list).
pub(super) fn group_body(name: &str, description: &str) -> Value {
    json!({ "groupname": name, "description": description })
}

/// The body of `POST devicegroups/{id}/`: `{"add_devices": [...], "remove_devices": [...]}`, each id as
/// [`id_value`] writes it (documented, FACTS.md).
pub(super) fn membership_body(add: &[String], remove: &[String]) -> Value {
    let ids = |list: &[String]| Value::Array(list.iter().map(|id| id_value(id)).collect());
    json!({ "add_devices": ids(add), "remove_devices": ids(remove) })
}

/// The body of `POST applications/` for an enterprise app: `{"name", "platform": "windows"|"macos", "app_type":
/// "enterprise", "category", "description", "source_url": <installer URL>, "success_criteria",
/// "uninstall_parameters"}` (the last two `null` when unset).
///
/// UNVERIFIED against Hexnode's public documentation: the docs describe no enterprise app upload; every field
/// here is this product's assumption, kept in this one function.
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

/// The body of `POST policy/` and `PUT policy/{id}/`:
///
/// ```json
/// {"name": …, "description": …, "platform": "ios"|"android"|"macos"|"windows",
///  "app_management": {"mandatory_apps": [{"app_id": 12, "vpp_location": "Main"|null}]},
///  "<platform>": {"app_configuration": {"bundle_id": …, "configuration": <document>}}
///              | {"custom_configuration": {"payload_type": "mobileconfig"|"syncml", "content": <document>}},
///  "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5]}}
/// ```
///
/// Ids are JSON numbers when they read as one, else strings; `mandatory_apps` is empty without an app.
///
/// Documented (FACTS.md): `name`, `description`, a section per platform, `app_management`, and `policy_targets`
/// with its four lists. UNVERIFIED against Hexnode's public documentation (no public fields for managed app
/// configuration or custom profiles): the top-level `platform`, `mandatory_apps` and its entries, and the
/// contents of the platform section (`app_configuration`, `custom_configuration` with `payload_type` and
/// `content`). Kept in this one function.
pub(super) fn policy_body(p: &DeploymentPolicy) -> Value {
    let mandatory_apps: Vec<Value> =
        p.app.iter().map(|a| json!({ "app_id": id_value(&a.app_id), "vpp_location": a.vpp_location })).collect();
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
    let groups: Vec<Value> = p.device_group_ids.iter().map(|id| id_value(id)).collect();
    let devices: Vec<Value> = p.device_ids.iter().map(|id| id_value(id)).collect();
    let mut body = Map::new();
    body.insert("name".into(), json!(p.name));
    body.insert("description".into(), json!(p.description));
    body.insert("platform".into(), json!(p.platform.as_str()));
    body.insert("app_management".into(), json!({ "mandatory_apps": mandatory_apps }));
    body.insert(p.platform.as_str().into(), section);
    body.insert(
        "policy_targets".into(),
        json!({ "users": [], "devices": devices, "usergroups": [], "devicegroups": groups }),
    );
    Value::Object(body)
}

/// A Hexnode id as JSON: a number when it reads as a `u64`, else the text.
pub(super) fn id_value(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::String(id.to_string()), Value::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    #[test]
    fn policy_bodies_per_platform() {
        let mut p = DeploymentPolicy {
            name: "ODT iOS".into(),
            description: "d".into(),
            platform: Platform::Ios,
            app: Some(crate::uem::PolicyApp { app_id: "12".into(), vpp_location: Some("Main".into()) }),
            payload: PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: "<dict/>".into() },
            device_group_ids: vec!["5".into(), "g-x".into()],
            device_ids: vec![],
        };
        assert_eq!(
            policy_body(&p),
            json!({
                "name": "ODT iOS", "description": "d", "platform": "ios",
                "app_management": {"mandatory_apps": [{"app_id": 12, "vpp_location": "Main"}]},
                "ios": {"app_configuration": {"bundle_id": "com.okta.mobile", "configuration": "<dict/>"}},
                "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5, "g-x"]},
            })
        );
        p.platform = Platform::Macos;
        p.app = None;
        p.payload = PolicyPayload::ConfigurationProfile { document: "<plist/>".into() };
        let b = policy_body(&p);
        assert_eq!(b["app_management"], json!({"mandatory_apps": []}));
        assert_eq!(
            b["macos"],
            json!({"custom_configuration": {"payload_type": "mobileconfig", "content": "<plist/>"}})
        );
        assert!(b.get("ios").is_none());
        p.platform = Platform::Windows;
        p.payload = PolicyPayload::SyncMl { document: "<SyncBody/>".into() };
        assert_eq!(
            policy_body(&p)["windows"],
            json!({"custom_configuration": {"payload_type": "syncml", "content": "<SyncBody/>"}})
        );
    }

    #[test]
    fn enterprise_app_body_fields() {
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
    }
}
