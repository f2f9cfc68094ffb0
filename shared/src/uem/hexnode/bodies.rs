//! The wire room's documented request bodies: the JSON the client sends, as api.yaml describes it. The
//! undocumented ones (the enterprise app upload, the policy's payload) are built in `undocumented.rs`.

use crate::uem::DeploymentPolicy;
use serde_json::{json, Value};

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

/// The body of `POST policy/` (documented, api.yaml `PolicyBody`): `{"name", "description", "app_management":
/// {"mandatory_apps": {"app": [<Okta Verify's id>] or [], "group": []}}, "policy_targets": {"users": [], "devices":
/// [<ids>] (a per-device policy), "usergroups": [], "devicegroups": [<ids>]}}`. Ids are JSON numbers when they read as one, else strings.
/// The payload, the platform and the VPP location are sent afterwards by
/// [`policy_payload_body`](super::undocumented::policy_payload_body).
pub(super) fn policy_body(p: &DeploymentPolicy) -> Value {
    let apps: Vec<Value> = p.app.iter().map(|a| id_value(&a.app_id)).collect();
    let groups: Vec<Value> = p.device_group_ids.iter().map(|id| id_value(id)).collect();
    let devices: Vec<Value> = p.device_ids.iter().map(|id| id_value(id)).collect();
    json!({
        "name": p.name,
        "description": p.description,
        "app_management": { "mandatory_apps": { "app": apps, "group": [] } },
        "policy_targets": { "users": [], "devices": devices, "usergroups": [], "devicegroups": groups },
    })
}

/// A Hexnode id as JSON: a number when it reads as a `u64`, else the text.
pub(super) fn id_value(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::String(id.to_string()), Value::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::uem::{PolicyApp, PolicyPayload};

    #[test]
    fn the_documented_policy_body_has_only_documented_keys() {
        let mut p = DeploymentPolicy {
            name: "ODT iOS".into(),
            description: "d".into(),
            platform: Platform::Ios,
            app: Some(PolicyApp { app_id: "12".into(), vpp_location: Some("Main".into()) }),
            payload: PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: "<dict/>".into() },
            device_group_ids: vec!["5".into(), "g-x".into()],
            device_ids: vec![],
        };
        assert_eq!(
            policy_body(&p),
            json!({
                "name": "ODT iOS", "description": "d",
                "app_management": {"mandatory_apps": {"app": [12], "group": []}},
                "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5, "g-x"]},
            })
        );
        p.app = None;
        assert_eq!(policy_body(&p)["app_management"], json!({"mandatory_apps": {"app": [], "group": []}}));
    }
}
