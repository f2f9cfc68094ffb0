//! Okta's Device Assurance Policies API as `management.yaml` shapes it (`DeviceAssurance` and its platform
//! variants): list, create, get, replace and delete (409 while an authentication policy uses the policy: the
//! `assurances_in_use` knob). Reads take `okta.deviceAssurance.read` or `.manage`, writes
//! `okta.deviceAssurance.manage`. Every write stamps `lastUpdate` and `lastUpdatedBy` (the caller's app, or the
//! admin a test names with [`super::OktaDouble::change_device_assurance`]).

use super::edge::{okta_error, serve_mut, with_rate_headers, Shared};
use super::event_hooks::invalid;
use super::OktaState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

const READ: &[&str] = &["okta.deviceAssurance.read", "okta.deviceAssurance.manage"];
const MANAGE: &[&str] = &["okta.deviceAssurance.manage"];

/// The id the double stamps as `createdBy` / `lastUpdatedBy` for writes through the API.
pub const API_WRITER: &str = "0oadoubleapp";

fn not_found(id: &str) -> Response {
    okta_error(StatusCode::NOT_FOUND, "E0000007", &format!("Not found: Resource not found: {id} (DeviceAssurance)"))
}

/// Checks a create or replace body: a name, a known platform, and a static `osVersion.minimum` of at most three
/// components (iOS, macOS) or four (Android, Windows), numbers only. Errors: the cause Okta would name.
fn check(v: &Value) -> Result<(), String> {
    v["name"].as_str().filter(|n| !n.is_empty()).ok_or("name: required")?;
    let most = match v["platform"].as_str() {
        Some("IOS" | "MACOS") => 3,
        Some("ANDROID" | "WINDOWS") => 4,
        Some("CHROMEOS") => 0,
        _ => return Err("platform: one of ANDROID, CHROMEOS, IOS, MACOS, WINDOWS".into()),
    };
    if let Some(min) = v.get("osVersion").and_then(|o| o.get("minimum")) {
        let parts: Vec<&str> = min.as_str().unwrap_or_default().split('.').collect();
        if parts.len() > most || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("osVersion.minimum: at most {most} numeric components"));
        }
    }
    Ok(())
}

/// `body` as the double serves it: Okta's read-only fields added, `lastUpdate` stamped now by `by`.
pub(super) fn stamped(s: &mut OktaState, id: &str, body: &Value, created: Option<&str>, by: &str) -> Value {
    let mut p = body.clone();
    let now = s.next_stamp();
    p["id"] = json!(id);
    p["createdBy"] = json!(API_WRITER);
    p["createdDate"] = json!(created.unwrap_or(&now));
    p["lastUpdate"] = json!(now);
    p["lastUpdatedBy"] = json!(by);
    p["_links"] = json!({"self": {"href": format!("https://{}/api/v1/device-assurances/{id}", s.domain),
        "hints": {"allow": ["DELETE", "GET", "PUT"]}}});
    p
}

fn ok(v: &Value) -> Response {
    with_rate_headers(Json(v.clone()).into_response())
}

/// `GET /api/v1/device-assurances` (`listDeviceAssurancePolicies`).
pub(super) async fn list(State(state): State<Shared>, headers: HeaderMap) -> Response {
    serve_mut(&state, &headers, "GET", "/api/v1/device-assurances".into(), READ, |s| {
        ok(&Value::from(s.device_assurances.clone()))
    })
    .await
}

/// `POST /api/v1/device-assurances` (`createDeviceAssurancePolicy`).
pub(super) async fn create(State(state): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    serve_mut(&state, &headers, "POST", "/api/v1/device-assurances".into(), MANAGE, |s| {
        if let Err(cause) = check(&body) {
            return invalid(&cause);
        }
        let id = format!("dae{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
        let p = stamped(s, &id, &body, None, API_WRITER);
        s.device_assurances.push(p.clone());
        ok(&p)
    })
    .await
}

/// `GET /api/v1/device-assurances/{id}` (`getDeviceAssurancePolicy`).
pub(super) async fn get(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_mut(&state, &headers, "GET", format!("/api/v1/device-assurances/{id}"), READ, |s| {
        s.device_assurance(&id).map(ok).unwrap_or_else(|| not_found(&id))
    })
    .await
}

/// `PUT /api/v1/device-assurances/{id}` (`replaceDeviceAssurancePolicy`).
pub(super) async fn replace(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    serve_mut(&state, &headers, "PUT", format!("/api/v1/device-assurances/{id}"), MANAGE, |s| {
        let Some(created) = s.device_assurance(&id).map(|p| p["createdDate"].as_str().unwrap_or("").to_string()) else {
            return not_found(&id);
        };
        if let Err(cause) = check(&body) {
            return invalid(&cause);
        }
        let p = stamped(s, &id, &body, Some(&created), API_WRITER);
        if let Some(slot) = s.device_assurances.iter_mut().find(|x| x["id"] == id.as_str()) {
            *slot = p.clone();
        }
        ok(&p)
    })
    .await
}

/// `DELETE /api/v1/device-assurances/{id}` (`deleteDeviceAssurancePolicy`): 409 while in use.
pub(super) async fn delete(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_mut(&state, &headers, "DELETE", format!("/api/v1/device-assurances/{id}"), MANAGE, |s| {
        if s.device_assurance(&id).is_none() {
            return not_found(&id);
        }
        if s.assurance_in_use(&id) {
            return okta_error(
                StatusCode::CONFLICT,
                "E0000174",
                "Device assurance policy is in use and can't be deleted. Remove it from authentication policies first.",
            );
        }
        s.device_assurances.retain(|p| p["id"] != id.as_str());
        with_rate_headers(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
