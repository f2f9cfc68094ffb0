//! The JSON shapes the double serves, from `../shared/hexnode/FACTS.md` where documented (devices, users, device
//! groups) and as the product's client sends and reads them where not (apps beyond `id`/`name`, policies).

use super::edge::{now, rfc3339};
use super::{HexnodeApp, HexnodeDeviceSeed, HexnodeGroup, HexnodePolicy, HexnodeState, HexnodeUser};
use serde_json::{json, Map, Value};

/// A device's `user`: `{"id", "name"}` of its owner, `null` when it has none.
fn user_ref(s: &HexnodeState, user_id: Option<u64>) -> Value {
    match user_id {
        None => Value::Null,
        Some(id) => json!({ "id": id, "name": s.users.get(&id).map(|u| u.name.as_str()).unwrap_or("") }),
    }
}

/// A device as `GET devices/` serves it (`android_enrollment_type` only when set).
pub(super) fn device_json(s: &HexnodeState, d: &HexnodeDeviceSeed) -> Value {
    let mut v = json!({
        "id": d.id, "device_name": d.name, "model_name": d.model_name, "os_name": d.os_name,
        "os_version": d.os_version, "serial_number": d.serial, "udid": d.udid, "imei": d.imei,
        "enrollment_status": d.enrollment_status, "enrolled_time": "2024-01-01T00:00:00Z",
        "last_reported": rfc3339(now()), "compliant": d.compliant,
    });
    // api.yaml's `user` is an object (not nullable): a device without an owner has no `user` key.
    if let (Some(_), Some(o)) = (d.user_id, v.as_object_mut()) {
        o.insert("user".into(), user_ref(s, d.user_id));
    }
    if let (Some(kind), Some(o)) = (&d.android_enrollment_type, v.as_object_mut()) {
        o.insert("android_enrollment_type".into(), json!(kind));
    }
    v
}

/// A user as `GET users/` serves it, with the devices they own (`total_devices`).
pub(super) fn user_json(u: &HexnodeUser, total: usize) -> Value {
    json!({ "id": u.id, "name": u.name, "email": u.email, "phoneno": "", "total_devices": total, "domain": "local" })
}

/// A device group as `GET devicegroups/` serves it.
pub(super) fn group_json(g: &HexnodeGroup) -> Value {
    json!({
        "id": g.id, "groupname": g.name, "description": g.description, "grouptype": "Custom",
        "device_count": g.members.len(), "modified_date": g.modified_date,
    })
}

/// A device group as `GET devicegroups/{id}/` serves it: with its member `devices`.
pub(super) fn group_detail_json(s: &HexnodeState, g: &HexnodeGroup) -> Value {
    let devices: Vec<Value> = g
        .members
        .iter()
        .filter_map(|id| s.devices.get(id))
        .map(|d| {
            // api.yaml's `user_id` / `user_name` are not nullable: left out for a device without an owner.
            let mut m = json!({ "id": d.id, "name": d.name, "model_name": d.model_name, "platform": d.os_name });
            if let (Some(u), Some(o)) = (d.user_id, m.as_object_mut()) {
                o.insert("user_id".into(), json!(u));
                o.insert("user_name".into(), json!(s.users.get(&u).map(|u| u.name.as_str()).unwrap_or("")));
            }
            m
        })
        .collect();
    let mut v = group_json(g);
    if let Some(o) = v.as_object_mut() {
        o.insert("devices".into(), Value::Array(devices));
    }
    v
}

/// An app as `GET applications/` serves it. Fields without a value are left out (api.yaml's `Application`
/// fields are not nullable).
pub(super) fn app_json(a: &HexnodeApp) -> Value {
    let mut v = json!({
        "id": a.id, "name": a.name, "platform": a.platform, "app_type": a.app_type, "bundle_id": a.bundle_id,
        "version": a.version, "category": a.category, "description": a.description,
        "success_criteria": a.success_criteria, "uninstall_parameters": a.uninstall_parameters,
    });
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    v
}

/// A policy as `GET policy/{id}/` serves it: the body it was written with (the documented `app_management` form,
/// and the undocumented `platform`, `vpp_location` and section once a payload was written), its id and targets.
pub(super) fn policy_json(p: &HexnodePolicy) -> Value {
    let section = match p.payload_kind.as_str() {
        "app_configuration" => {
            json!({ "app_configuration": { "bundle_id": p.bundle_id, "configuration": p.content } })
        }
        kind => json!({ "custom_configuration": { "payload_type": kind, "content": p.content } }),
    };
    let mut o = Map::new();
    o.insert("id".into(), json!(p.id));
    o.insert("name".into(), json!(p.name));
    o.insert("description".into(), json!(p.description));
    o.insert("app_management".into(), json!({ "mandatory_apps": { "app": p.app_ids, "group": [] } }));
    if !p.platform.is_empty() {
        o.insert("platform".into(), json!(p.platform));
        o.insert("vpp_location".into(), json!(p.vpp_location));
        o.insert(p.platform.clone(), section);
    }
    o.insert(
        "policy_targets".into(),
        json!({ "users": [], "devices": p.device_ids, "usergroups": [], "devicegroups": p.device_group_ids }),
    );
    Value::Object(o)
}
