//! Device groups: `GET devicegroups/` (paged), `GET devicegroups/{id}/` (with its devices), `POST devicegroups/`
//! (create), `POST devicegroups/{id}/` (add and remove members), `DELETE devicegroups/{id}/`.

use crate::hexnode::edge::{detail, id_of, next_id, not_found, now, path_id, rfc3339, unsupported, Call};
use crate::hexnode::json::{group_detail_json, group_json};
use crate::hexnode::paging::paged;
use crate::hexnode::{HexnodeGroup, HexnodeState, MembershipWrite};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// `GET devicegroups/`: every group in id order.
pub(super) async fn list(call: Call) -> Response {
    call.answer(|s| {
        let items: Vec<Value> = s.groups.values().map(group_json).collect();
        Ok(paged(s, &call.uri, items))
    })
    .await
}

/// `GET devicegroups/{id}/`: the group with its member devices; 404 for an unknown group.
pub(super) async fn get(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| match path_id(&id).and_then(|id| s.groups.get(&id)) {
        Some(g) => Ok(Json(group_detail_json(s, g)).into_response()),
        None => Ok(not_found()),
    })
    .await
}

/// `POST devicegroups/` with `{"groupname", "description"}`: 201 with the new group; the name is required and
/// unique (case-insensitively).
pub(super) async fn create(call: Call, body: Bytes) -> Response {
    call.answer(|s| {
        let o = call.json_object(&body)?;
        let name = o.get("groupname").and_then(Value::as_str).map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Ok(
                (StatusCode::BAD_REQUEST, Json(json!({"groupname": ["This field is required."]}))).into_response()
            );
        }
        if s.groups.values().any(|g| g.name.eq_ignore_ascii_case(name)) {
            return Ok((
                StatusCode::BAD_REQUEST,
                Json(json!({"groupname": ["device group with this groupname already exists."]})),
            )
                .into_response());
        }
        let id = next_id(&s.groups);
        let g = HexnodeGroup {
            id,
            name: name.to_string(),
            description: o.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
            members: Vec::new(),
            modified_date: rfc3339(now()),
        };
        let answer = group_json(&g);
        s.groups.insert(id, g);
        call.applied(s);
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    })
    .await
}

/// `POST devicegroups/{id}/` with `{"add_devices": [...], "remove_devices": [...]}`: 200 with the group. Any
/// unknown device id answers 400 `Invalid device id(s): …` and nothing changes; the change is logged in
/// [`HexnodeState::membership_log`]. Devices due to vanish ([`HexnodeState::vanish_on_write`]) vanish first.
pub(super) async fn update_members(call: Call, Path(id): Path<String>, body: Bytes) -> Response {
    call.answer(|s| {
        let Some(gid) = path_id(&id).filter(|g| s.groups.contains_key(g)) else { return Ok(not_found()) };
        let o = call.json_object(&body)?;
        vanish_named(s, &o);
        let (add, remove) = match (device_ids(s, &o, "add_devices"), device_ids(s, &o, "remove_devices")) {
            (Ok(a), Ok(r)) => (a, r),
            (a, r) => {
                let bad: Vec<String> = a.err().into_iter().chain(r.err()).flatten().collect();
                return Ok(detail(StatusCode::BAD_REQUEST, &format!("Invalid device id(s): {}", bad.join(", "))));
            }
        };
        let Some(g) = s.groups.get_mut(&gid) else { return Ok(not_found()) };
        let log = change_members(gid, g, add, &remove);
        s.membership_log.push(log);
        let Some(g) = s.groups.get_mut(&gid) else { return Ok(not_found()) };
        g.modified_date = rfc3339(now());
        let answer = s.groups.get(&gid).map(|g| group_detail_json(s, g)).unwrap_or(Value::Null);
        call.applied(s);
        Ok(Json(answer).into_response())
    })
    .await
}

/// `DELETE devicegroups/{id}/`: 204; the group also leaves every policy's targets.
pub(super) async fn delete(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| {
        if let Some(refused) = unsupported(s, "delete_device_group", call.method(), "id") {
            return Err(refused);
        }
        let Some(gid) = path_id(&id).filter(|g| s.groups.contains_key(g)) else { return Ok(not_found()) };
        s.groups.remove(&gid);
        for p in s.policies.values_mut() {
            p.device_group_ids.retain(|g| *g != gid);
        }
        call.applied(s);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// Adds `add` (those not yet members, in order) to group `gid` (`g`) and takes `remove` out; answers the write
/// as [`HexnodeState::membership_log`] keeps it.
fn change_members(gid: u64, g: &mut HexnodeGroup, add: Vec<u64>, remove: &[u64]) -> MembershipWrite {
    let mut log = MembershipWrite { group_id: gid, ..Default::default() };
    for d in remove {
        if g.members.contains(d) {
            log.removed.push(*d)
        } else {
            log.not_members.push(*d)
        }
    }
    for d in add {
        if !g.members.contains(&d) {
            g.members.push(d);
            log.added.push(d);
        } else {
            log.already_members.push(d);
        }
    }
    g.members.retain(|m| !remove.contains(m));
    log
}

/// The [`HexnodeState::vanish_on_write`] knob: devices named in `add_devices` or `remove_devices` that are
/// due to vanish leave the inventory and every group now.
fn vanish_named(s: &mut HexnodeState, o: &Map<String, Value>) {
    let named: Vec<u64> = ["add_devices", "remove_devices"]
        .iter()
        .filter_map(|k| o.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(id_of)
        .filter(|id| s.vanish_on_write.contains(id))
        .collect();
    for id in named {
        s.vanish_on_write.remove(&id);
        s.devices.remove(&id);
        for g in s.groups.values_mut() {
            g.members.retain(|m| *m != id);
        }
    }
}

/// Device ids in `o[key]` (numbers or numeric strings); `Err` names the entries that are not device ids.
fn device_ids(s: &HexnodeState, o: &Map<String, Value>, key: &str) -> Result<Vec<u64>, Vec<String>> {
    let items = match o.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(vec![other.to_string()]),
    };
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for item in items {
        match id_of(item).filter(|id| s.devices.contains_key(id)) {
            Some(id) => ids.push(id),
            None => bad.push(item.to_string()),
        }
    }
    if bad.is_empty() {
        Ok(ids)
    } else {
        Err(bad)
    }
}
