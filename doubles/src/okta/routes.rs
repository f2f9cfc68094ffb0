//! The Management API reads the product uses: groups, a group's members, users, a user, devices with their users.

use super::edge::{okta_error, serve, with_rate_headers, Shared};
use super::paging::{page, page_of_rest, path_and_query};
use super::{DoubleDeviceUser, OktaState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::ops::Bound;

/// `GET /api/v1/groups` (scope `okta.groups.read`): every group, or those whose name starts with the
/// `search=profile.name sw "…"` prefix (any other search: 400 `E0000031`), `Link`-paged.
pub(super) async fn list_groups(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    serve(&state, &headers, path_and_query("/api/v1/groups", &q), "okta.groups.read", |s| {
        let prefix = q.get("search").and_then(|sq| {
            sq.strip_prefix("profile.name sw \"")
                .and_then(|r| r.strip_suffix('"'))
                .map(|p| p.replace("\\\"", "\"").replace("\\\\", "\\").to_lowercase())
        });
        if q.contains_key("search") && prefix.is_none() {
            return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search.");
        }
        let items: Vec<&Value> = s
            .groups
            .iter()
            .filter(|g| {
                prefix
                    .as_ref()
                    .is_none_or(|p| g["profile"]["name"].as_str().unwrap_or("").to_lowercase().starts_with(p))
            })
            .collect();
        page(&s.domain, "/api/v1/groups", items, &q, s.max_page)
    })
    .await
}

/// `GET /api/v1/groups/{id}/users` (scope `okta.groups.read`): the group's members that are users of the
/// double, `Link`-paged; 404 `E0000007` for an unknown group.
pub(super) async fn list_members(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/api/v1/groups/{id}/users");
    serve(&state, &headers, path_and_query(&path, &q), "okta.groups.read", |s| {
        let Some(ids) = s.members.get(&id) else {
            return okta_error(
                StatusCode::NOT_FOUND,
                "E0000007",
                &format!("Not found: Resource not found: {id} (UserGroup)"),
            );
        };
        // The cursor is found among the member ids (a member the double has no user for is not listed, so it
        // names no item), and only the page served is looked up.
        let start = match q.get("after") {
            Some(a) if s.users.contains_key(a) => ids.iter().position(|u| u == a).map_or(ids.len(), |p| p + 1),
            Some(_) => ids.len(),
            None => 0,
        };
        let rest = ids[start..].iter().filter_map(|u| s.users.get(u));
        page_of_rest(&s.domain, &path, rest, &q, s.max_page)
    })
    .await
}

/// `GET /api/v1/users`: every user but DEPROVISIONED ones, as Okta lists them without a filter; or those with
/// one status (`search=status eq "DEPROVISIONED"`).
pub(super) async fn list_users(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    serve(&state, &headers, path_and_query("/api/v1/users", &q), "okta.users.read", |s| {
        // Okta's `search=status eq "X"` selects by status; without a filter DEPROVISIONED users are left out.
        let status = match q.get("search") {
            Some(sq) => match sq.strip_prefix("status eq \"").and_then(|r| r.strip_suffix('"')) {
                Some(st) => Some(st.to_string()),
                None => return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search."),
            },
            None => None,
        };
        let listed = |u: &&Value| match &status {
            Some(st) => u["status"] == st.as_str(),
            None => u["status"] != "DEPROVISIONED",
        };
        // Users are kept and listed in id order, so the cursor (the last id served) is found in the map, not by
        // scanning every user before it: one page per request however large the org.
        let rest: Box<dyn Iterator<Item = &Value>> = match q.get("after") {
            None => Box::new(s.users.values().filter(listed)),
            Some(a) if s.users.get(a).as_ref().is_some_and(listed) => Box::new(
                s.users.range::<str, _>((Bound::Excluded(a.as_str()), Bound::Unbounded)).map(|(_, u)| u).filter(listed),
            ),
            // A cursor that names no listed user: an empty page, as before.
            Some(_) => Box::new(std::iter::empty()),
        };
        page_of_rest(&s.domain, "/api/v1/users", rest, &q, s.max_page)
    })
    .await
}

/// `GET /api/v1/users/{id}` (scope `okta.users.read`): the user by id or login; 404 `E0000007` otherwise.
pub(super) async fn get_user(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve(&state, &headers, format!("/api/v1/users/{id}"), "okta.users.read", |s| {
        let found = s
            .users
            .get(&id)
            .cloned()
            .or_else(|| s.users.values().find(|u| u["profile"]["login"] == id.as_str()).cloned());
        match found {
            Some(u) => with_rate_headers(Json(u).into_response()),
            None => {
                okta_error(StatusCode::NOT_FOUND, "E0000007", &format!("Not found: Resource not found: {id} (User)"))
            }
        }
    })
    .await
}

/// The `DeviceUser` of a link: `created`, `managementStatus` and `screenLockType` when set, and `user` as the full
/// `User` (`expand=user`) or a summary (`expand=userSummary`: `id`, `profile` names, login and email, `_links`).
fn device_user_json(s: &OktaState, link: &DoubleDeviceUser, summary: bool) -> Value {
    let user =
        s.users.get(&link.user_id).cloned().unwrap_or_else(
            || json!({"id": link.user_id, "status": "ACTIVE", "profile": {"login": null, "email": null}}),
        );
    let user = if summary {
        let p = &user["profile"];
        json!({
            "id": user["id"],
            "profile": {
                "firstName": p["firstName"], "lastName": p["lastName"], "login": p["login"], "email": p["email"],
            },
            "_links": {"self": {"href": format!("https://{}/api/v1/users/{}", s.domain, link.user_id)}},
        })
    } else {
        user
    };
    let mut v = json!({ "created": link.created, "user": user });
    if let Some(m) = &link.management_status {
        v["managementStatus"] = json!(m);
    }
    if let Some(l) = &link.screen_lock_type {
        v["screenLockType"] = json!(l);
    }
    v
}

/// `GET /api/v1/devices` (`listDevices`, scope `okta.devices.read`): every device, `Link`-paged with `limit` and
/// the `after` cursor; with `expand=user` (or `userSummary`) each carries `_embedded.users` (an empty list for a
/// device without users), without it no `_embedded`. `search` is not played: 400 `E0000031`.
pub(super) async fn list_devices(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    serve(&state, &headers, path_and_query("/api/v1/devices", &q), "okta.devices.read", |s| {
        if q.contains_key("search") {
            return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search.");
        }
        let expand = q.get("expand").map(String::as_str);
        let items: Vec<Value> = s
            .devices
            .iter()
            .map(|d| {
                let mut v = d.device.clone();
                if let Some(summary) = match expand {
                    Some("user") => Some(false),
                    Some("userSummary") => Some(true),
                    _ => None,
                } {
                    let users: Vec<Value> = d.users.iter().map(|u| device_user_json(s, u, summary)).collect();
                    v["_embedded"] = json!({ "users": users });
                }
                v
            })
            .collect();
        page(&s.domain, "/api/v1/devices", items, &q, s.max_page)
    })
    .await
}
