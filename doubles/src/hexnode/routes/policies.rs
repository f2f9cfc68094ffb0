//! Policies: `GET policy/` (paged), `GET policy/{id}/`, `POST policy/`, `PUT policy/{id}/` (the revision counts
//! up), `DELETE policy/{id}/`, and the per-device status `GET policy/{id}/devices/` (paged).

use crate::hexnode::edge::{field_error, id_of, next_id, not_found, path_id, text_field, unsupported, Call};
use crate::hexnode::json::policy_json;
use crate::hexnode::paging::paged;
use crate::hexnode::{HexnodePolicy, HexnodeState};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// `GET policy/`: every policy in id order.
pub(super) async fn list(call: Call) -> Response {
    call.answer(|s| {
        let items: Vec<Value> = s.policies.values().map(policy_json).collect();
        Ok(paged(s, &call.uri, items))
    })
    .await
}

/// `GET policy/{id}/`; 404 for an unknown policy.
pub(super) async fn get(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| match path_id(&id).and_then(|id| s.policies.get(&id)) {
        Some(p) => Ok(Json(policy_json(p)).into_response()),
        None => Ok(not_found()),
    })
    .await
}

/// `POST policy/`: 201 with the new policy (the next id, revision 0), or the 400 of its body.
pub(super) async fn create(call: Call, body: Bytes) -> Response {
    call.answer(|s| {
        let policy = policy_from_body(s, &call.json_object(&body)?)?;
        let id = next_id(&s.policies);
        let policy = HexnodePolicy { id, ..policy };
        let answer = policy_json(&policy);
        s.policies.insert(id, policy);
        call.applied(s);
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    })
    .await
}

/// `PUT policy/{id}/`: 200 with the policy as the body states it, one revision up; 404 for an unknown policy.
pub(super) async fn update(call: Call, Path(id): Path<String>, body: Bytes) -> Response {
    call.answer(|s| {
        let Some((pid, revision)) = path_id(&id).and_then(|id| s.policies.get(&id)).map(|p| (p.id, p.revision)) else {
            return Ok(not_found());
        };
        let o = call.json_object(&body)?;
        if o.contains_key("platform") {
            if let Some(refused) = unsupported(s, "policy_payload", call.method(), "platform") {
                return Err(refused);
            }
        }
        let policy = policy_from_body(s, &o)?;
        let policy = HexnodePolicy { id: pid, revision: revision + 1, ..policy };
        let answer = policy_json(&policy);
        s.policies.insert(pid, policy);
        call.applied(s);
        Ok(Json(answer).into_response())
    })
    .await
}

/// `DELETE policy/{id}/`: 204; 404 for an unknown policy.
pub(super) async fn delete(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| match path_id(&id).and_then(|id| s.policies.remove(&id)) {
        Some(_) => {
            call.applied(s);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        None => Ok(not_found()),
    })
    .await
}

/// `GET policy/{id}/devices/` (unverified shape; see the module doc): the devices that are members of any group
/// the policy targets (existing devices only, each once, in id order), each with its `status`, `error` and the
/// policy's apps as the knobs set them; paged as every list. An unknown policy answers 404.
pub(super) async fn devices(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| {
        if let Some(refused) = unsupported(s, "policy_device_status", call.method(), "devices") {
            return Err(refused);
        }
        let Some(p) = path_id(&id).and_then(|id| s.policies.get(&id)) else { return Ok(not_found()) };
        let targeted: BTreeSet<u64> = p
            .device_group_ids
            .iter()
            .filter_map(|g| s.groups.get(g))
            .flat_map(|g| g.members.iter().copied())
            .filter(|d| s.devices.contains_key(d))
            .collect();
        let items: Vec<Value> = targeted
            .into_iter()
            .map(|d| {
                let installed = !s.apps_missing.contains(&d);
                let apps: Vec<Value> =
                    p.app_ids.iter().map(|a| json!({ "app_id": a, "installed": installed })).collect();
                json!({
                    "device_id": d,
                    "status": s.device_status.get(&d).map_or("success", String::as_str),
                    "error": s.device_status_error.get(&d),
                    "apps": apps,
                })
            })
            .collect();
        Ok(paged(s, &call.uri, items))
    })
    .await
}

/// Reads and validates a policy body into a policy with id 0 and revision 0, or the 400 to answer. The
/// documented body (api.yaml `PolicyBody`: no `platform`) makes a policy without a payload; with the undocumented
/// `platform` (and `vpp_location`), the platform's section must carry a payload that fits it.
fn policy_from_body(s: &HexnodeState, o: &Map<String, Value>) -> Result<HexnodePolicy, Box<Response>> {
    let name = text_field(o, "name").ok_or_else(|| field_error("name", "This field is required."))?;
    let platform = match o.get("platform") {
        None => String::new(),
        Some(v) => {
            let p = v.as_str().unwrap_or("").to_string();
            if !matches!(p.as_str(), "ios" | "android" | "macos" | "windows") {
                return Err(field_error("platform", &format!("\"{p}\" is not a valid choice.")));
            }
            p
        }
    };
    let app_ids = mandatory_apps(s, o)?;
    let vpp_location = o.get("vpp_location").and_then(Value::as_str).map(str::to_string);
    let (payload_kind, content, bundle_id) =
        if platform.is_empty() { (String::new(), String::new(), None) } else { payload(o, &platform)? };
    let device_group_ids = target_groups(s, o)?;
    let device_ids = target_devices(s, o)?;
    Ok(HexnodePolicy {
        id: 0,
        name,
        description: o.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
        platform,
        app_ids,
        vpp_location,
        payload_kind,
        content,
        bundle_id,
        device_group_ids,
        device_ids,
        revision: 0,
    })
}

/// `app_management.mandatory_apps: {"app": [ids], "group": [ids]}` (api.yaml `AppSelection`): the app ids (each
/// must be an app of the double).
fn mandatory_apps(s: &HexnodeState, o: &Map<String, Value>) -> Result<Vec<u64>, Box<Response>> {
    let apps = match o.get("app_management") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(am)) => match am.get("mandatory_apps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(sel)) => match sel.get("app") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(_) => return Err(field_error("app_management", "mandatory_apps.app must be a list.")),
            },
            Some(_) => return Err(field_error("app_management", "mandatory_apps must be a dictionary.")),
        },
        Some(_) => return Err(field_error("app_management", "Expected a dictionary.")),
    };
    let mut app_ids = Vec::new();
    let mut unknown = Vec::new();
    for raw in &apps {
        match id_of(raw).filter(|id| s.apps.contains_key(id)) {
            Some(id) => app_ids.push(id),
            None => unknown.push(raw.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(field_error("app_management", &format!("Invalid app id(s): {}", unknown.join(", "))));
    }
    Ok(app_ids)
}

/// The platform section with the payload that fits the platform: `(payload kind, document, bundle id)`, from
/// `app_configuration {bundle_id, configuration}` (iOS, Android) or `custom_configuration {payload_type:
/// "mobileconfig" (macOS) | "syncml" (Windows), content}`.
fn payload(o: &Map<String, Value>, platform: &str) -> Result<(String, String, Option<String>), Box<Response>> {
    let section = o
        .get(platform)
        .and_then(Value::as_object)
        .ok_or_else(|| field_error(platform, "This field is required for the policy's platform."))?;
    if matches!(platform, "ios" | "android") {
        let ac = section.get("app_configuration").and_then(Value::as_object);
        let bundle = ac.and_then(|a| text_field(a, "bundle_id"));
        let doc = ac.and_then(|a| a.get("configuration")).and_then(Value::as_str);
        match (bundle, doc) {
            (Some(b), Some(d)) => Ok(("app_configuration".to_string(), d.to_string(), Some(b))),
            _ => Err(field_error(
                platform,
                "app_configuration with bundle_id and configuration is required on this platform.",
            )),
        }
    } else {
        let want = if platform == "macos" { "mobileconfig" } else { "syncml" };
        let cc = section.get("custom_configuration").and_then(Value::as_object);
        let kind = cc.and_then(|c| c.get("payload_type")).and_then(Value::as_str);
        let doc = cc.and_then(|c| c.get("content")).and_then(Value::as_str);
        match (kind, doc) {
            (Some(k), Some(d)) if k == want => Ok((want.to_string(), d.to_string(), None)),
            _ => Err(field_error(
                platform,
                &format!("custom_configuration with payload_type \"{want}\" and content is required on this platform."),
            )),
        }
    }
}

/// `policy_targets.devicegroups`: the targeted groups (each must exist; each once, in order).
fn target_groups(s: &HexnodeState, o: &Map<String, Value>) -> Result<Vec<u64>, Box<Response>> {
    let targets = o.get("policy_targets").and_then(Value::as_object);
    let groups = match targets.and_then(|t| t.get("devicegroups")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(field_error("policy_targets", "devicegroups must be a list.")),
    };
    let mut device_group_ids = Vec::new();
    let mut unknown = Vec::new();
    for g in &groups {
        match id_of(g).filter(|id| s.groups.contains_key(id)) {
            Some(id) if !device_group_ids.contains(&id) => device_group_ids.push(id),
            Some(_) => {}
            None => unknown.push(g.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(field_error("policy_targets", &format!("Invalid device group id(s): {}", unknown.join(", "))));
    }
    Ok(device_group_ids)
}

/// `policy_targets.devices`: the targeted devices (each must exist; each once, in order).
fn target_devices(s: &HexnodeState, o: &Map<String, Value>) -> Result<Vec<u64>, Box<Response>> {
    let targets = o.get("policy_targets").and_then(Value::as_object);
    let devices = match targets.and_then(|t| t.get("devices")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(field_error("policy_targets", "devices must be a list.")),
    };
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for d in &devices {
        match id_of(d).filter(|id| s.devices.contains_key(id)) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => unknown.push(d.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(field_error("policy_targets", &format!("Invalid device id(s): {}", unknown.join(", "))));
    }
    Ok(ids)
}
