//! Okta's Event Hooks API as `management.yaml` shapes it (`EventHook`): create (`ACTIVE`, `UNVERIFIED`), get,
//! list, replace (a changed channel must be verified again), activate, deactivate, verify (a real call to the
//! hook's URI, [`super::hook_calls::verify`]) and delete (only `INACTIVE` hooks). Reads take
//! `okta.eventHooks.read` or `.manage`, writes `okta.eventHooks.manage`. The `authScheme.value` is kept apart
//! and never served.

use super::edge::{okta_error, serve_mut, with_rate_headers, Shared};
use super::hook_calls;
use super::OktaState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

const READ: &[&str] = &["okta.eventHooks.read", "okta.eventHooks.manage"];
const MANAGE: &[&str] = &["okta.eventHooks.manage"];

/// Okta's 400 `E0000001` naming what is wrong.
pub(super) fn invalid(cause: &str) -> Response {
    let body = json!({
        "errorCode": "E0000001", "errorSummary": "Api validation failed", "errorLink": "E0000001",
        "errorId": format!("oae{}", uuid::Uuid::new_v4().simple()), "errorCauses": [{"errorSummary": cause}],
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn not_found(id: &str) -> Response {
    okta_error(StatusCode::NOT_FOUND, "E0000007", &format!("Not found: Resource not found: {id} (EventHook)"))
}

/// The checked parts of an `EventHook` body: name, event types, URI and the `Authorization` value.
struct HookBody {
    name: String,
    events: Vec<String>,
    uri: String,
    secret: String,
}

/// Reads and checks a create or replace body. Errors: the cause Okta would name.
fn hook_body(v: &Value) -> Result<HookBody, String> {
    let name = v["name"].as_str().filter(|n| !n.is_empty()).ok_or("name: required")?;
    if v["events"]["type"] != "EVENT_TYPE" {
        return Err("events.type: must be EVENT_TYPE".into());
    }
    let events: Vec<String> =
        v["events"]["items"].as_array().into_iter().flatten().filter_map(|e| e.as_str().map(str::to_string)).collect();
    if events.is_empty() {
        return Err("events.items: at least one event type".into());
    }
    let ch = &v["channel"];
    if ch["type"] != "HTTP" || ch["version"] != "1.0.0" {
        return Err("channel: type HTTP, version 1.0.0".into());
    }
    let uri = ch["config"]["uri"].as_str().unwrap_or_default();
    if !uri.starts_with("https://") {
        return Err("channel.config.uri: must be a valid HTTPS endpoint".into());
    }
    let auth = &ch["config"]["authScheme"];
    let secret = match auth["value"].as_str() {
        Some(s) if auth["type"] == "HEADER" && auth["key"] == "Authorization" => s.to_string(),
        _ => return Err("channel.config.authScheme: type HEADER, key Authorization, value".into()),
    };
    Ok(HookBody { name: name.into(), events, uri: uri.into(), secret })
}

/// The `EventHook` JSON the double keeps and serves for `b` (no `authScheme.value`).
fn served(s: &mut OktaState, id: &str, b: &HookBody, created: &str) -> Value {
    let stamp = s.next_stamp();
    let domain = s.domain.clone();
    let href = |tail: &str| json!({"href": format!("https://{domain}/api/v1/eventHooks/{id}{tail}")});
    json!({
        "id": id, "name": b.name, "description": null, "status": "ACTIVE", "verificationStatus": "UNVERIFIED",
        "created": created, "lastUpdated": stamp, "createdBy": "0oadoubleapp",
        "events": {"type": "EVENT_TYPE", "items": b.events, "filter": null},
        "channel": {"type": "HTTP", "version": "1.0.0",
            "config": {"uri": b.uri, "headers": [], "method": "POST",
                "authScheme": {"type": "HEADER", "key": "Authorization"}}},
        "_links": {"self": href(""), "deactivate": href("/lifecycle/deactivate"), "verify": href("/lifecycle/verify")},
    })
}

fn ok(v: &Value) -> Response {
    with_rate_headers(Json(v.clone()).into_response())
}

/// `POST /api/v1/eventHooks` (`createEventHook`).
pub(super) async fn create(State(state): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    serve_mut(&state, &headers, "POST", "/api/v1/eventHooks".into(), MANAGE, |s| {
        let b = match hook_body(&body) {
            Ok(b) => b,
            Err(cause) => return invalid(&cause),
        };
        let id = format!("who{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
        let now = s.next_stamp();
        let hook = served(s, &id, &b, &now);
        s.hook_secrets.insert(id, b.secret);
        s.event_hooks.push(hook.clone());
        ok(&hook)
    })
    .await
}

/// `GET /api/v1/eventHooks` (`listEventHooks`).
pub(super) async fn list(State(state): State<Shared>, headers: HeaderMap) -> Response {
    serve_mut(&state, &headers, "GET", "/api/v1/eventHooks".into(), READ, |s| ok(&Value::from(s.event_hooks.clone())))
        .await
}

/// `GET /api/v1/eventHooks/{id}` (`getEventHook`).
pub(super) async fn get(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_mut(&state, &headers, "GET", format!("/api/v1/eventHooks/{id}"), READ, |s| match s.event_hook(&id) {
        Some(h) => ok(h),
        None => not_found(&id),
    })
    .await
}

/// `PUT /api/v1/eventHooks/{id}` (`replaceEventHook`): a changed URI or secret needs verifying again. With the
/// `deliver_during_replace` knob, one event is delivered with the old secret just before the replacement and
/// one with the new secret just after (what a delivery in flight meets during a rotation).
pub(super) async fn replace(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut before = None;
    let answer = serve_mut(&state, &headers, "PUT", format!("/api/v1/eventHooks/{id}"), MANAGE, |s| {
        let Some(h) = s.event_hook(&id) else { return not_found(&id) };
        if let Err(cause) = hook_body(&body) {
            return invalid(&cause);
        }
        let old = s.hook_secrets.get(&id).cloned().unwrap_or_default();
        before = Some((h["channel"]["config"]["uri"].as_str().unwrap_or_default().to_string(), old));
        StatusCode::CONTINUE.into_response()
    })
    .await;
    let Some((old_uri, old_secret)) = before else { return answer };
    let rehearse = state.lock().expect("double state lock").deliver_during_replace;
    if rehearse {
        let e = hook_calls::sample_event("user.lifecycle.suspend", "00udoublerotation");
        hook_calls::deliver(&state, &id, &old_uri, &old_secret, &[e]).await;
    }
    let b = hook_body(&body).expect("checked above");
    let hook = {
        let mut s = state.lock().expect("double state lock");
        let created = s.event_hook(&id).map(|h| h["created"].as_str().unwrap_or_default().to_string());
        let mut hook = served(&mut s, &id, &b, &created.unwrap_or_default());
        let (was, changed) = match s.event_hook(&id) {
            Some(h) => (h.clone(), old_uri != b.uri || old_secret != b.secret),
            None => return not_found(&id),
        };
        hook["status"] = was["status"].clone();
        hook["verificationStatus"] = if changed { json!("UNVERIFIED") } else { was["verificationStatus"].clone() };
        s.hook_secrets.insert(id.clone(), b.secret.clone());
        s.put_event_hook(hook.clone());
        hook
    };
    if rehearse {
        let e = hook_calls::sample_event("user.lifecycle.unsuspend", "00udoublerotation");
        hook_calls::deliver(&state, &id, &b.uri, &b.secret, &[e]).await;
    }
    ok(&hook)
}

/// `POST /api/v1/eventHooks/{id}/lifecycle/{action}`: `activate`, `deactivate` (`activateEventHook`,
/// `deactivateEventHook`) or `verify` (`verifyEventHook`: the hook's URI is called for real).
pub(super) async fn lifecycle(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let path = format!("/api/v1/eventHooks/{id}/lifecycle/{action}");
    let mut to_verify = None;
    let answer = serve_mut(&state, &headers, "POST", path, MANAGE, |s| {
        let Some(mut h) = s.event_hook(&id).cloned() else { return not_found(&id) };
        match action.as_str() {
            "activate" => h["status"] = json!("ACTIVE"),
            "deactivate" => h["status"] = json!("INACTIVE"),
            "verify" => {
                to_verify = Some(h["channel"]["config"]["uri"].as_str().unwrap_or_default().to_string());
                return StatusCode::CONTINUE.into_response();
            }
            _ => return not_found(&id),
        }
        h["lastUpdated"] = json!(s.next_stamp());
        s.put_event_hook(h.clone());
        ok(&h)
    })
    .await;
    let Some(uri) = to_verify else { return answer };
    if !hook_calls::verify(&state, &id, &uri).await {
        return invalid("Verification failed: the event hook's endpoint did not answer the verification challenge");
    }
    let mut s = state.lock().expect("double state lock");
    let Some(mut h) = s.event_hook(&id).cloned() else { return not_found(&id) };
    h["verificationStatus"] = json!("VERIFIED");
    s.put_event_hook(h.clone());
    ok(&h)
}

/// `DELETE /api/v1/eventHooks/{id}` (`deleteEventHook`): only an `INACTIVE` hook (else 403, as Okta refuses it).
pub(super) async fn delete(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_mut(&state, &headers, "DELETE", format!("/api/v1/eventHooks/{id}"), MANAGE, |s| {
        match s.event_hook(&id).map(|h| h["status"] == "INACTIVE") {
            None => not_found(&id),
            Some(false) => okta_error(
                StatusCode::FORBIDDEN,
                "E0000006",
                "You do not have permission to perform the requested action: deactivate the event hook first",
            ),
            Some(true) => {
                s.event_hooks.retain(|h| h["id"] != id.as_str());
                s.hook_secrets.remove(&id);
                with_rate_headers(StatusCode::NO_CONTENT.into_response())
            }
        }
    })
    .await
}
