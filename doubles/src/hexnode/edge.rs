//! What every route does before its own work, in one place: a [`Call`] records the request, waits out the
//! latency knob, locks the state and passes the gate (the API key, then the `throttled`, `throttled_writes` and
//! `failures` knobs); then the route's work answers. Also the answers every route shares: Django REST framework's
//! `{"detail": …}` and field errors, and the JSON body check.

use super::{HexnodeState, Recorded};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

/// The state as the routes share it.
pub(super) type Shared = Arc<Mutex<HexnodeState>>;

/// What a route's work answers: the response, or (`Err`) a refusal to send instead.
pub(super) type Answer = Result<Response, Box<Response>>;

/// Locks the state; a panic in another holder does not make the data unusable here.
pub(super) fn lock(state: &Shared) -> MutexGuard<'_, HexnodeState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The current time.
pub(super) fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// `t` as RFC 3339.
pub(super) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `{"detail": message}` with `status`.
pub(super) fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

/// 404 `{"detail": "Not found."}`.
pub(super) fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

/// `400` with a Django REST framework field map `{field: [message]}`, as the body readers refuse a body.
pub(super) fn field_error(field: &str, message: &str) -> Box<Response> {
    let mut o = Map::new();
    o.insert(field.to_string(), json!([message]));
    Box::new((StatusCode::BAD_REQUEST, Json(Value::Object(o))).into_response())
}

/// The id in a path segment (`None`: not a number, which no resource has).
pub(super) fn path_id(segment: &str) -> Option<u64> {
    segment.parse::<u64>().ok()
}

/// A positive id from a JSON number or numeric string (in a body).
pub(super) fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// The id a new item of `items` gets: one more than the largest, 1 for the first.
pub(super) fn next_id<V>(items: &BTreeMap<u64, V>) -> u64 {
    items.keys().next_back().map_or(1, |last| last + 1)
}

/// A string field of `o` (trimmed; `None` when missing, null, not a string or empty).
pub(super) fn text_field(o: &Map<String, Value>, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// One request to the double, as every route takes it (an extractor that cannot fail): the method as recorded
/// (`HEAD`, which axum serves with the `GET` route, is recorded and gated as `GET`), the URI and the headers.
pub(super) struct Call {
    state: Shared,
    method: &'static str,
    /// The request's URI (its path and query are what is recorded, and what paging links keep).
    pub(super) uri: Uri,
    headers: HeaderMap,
}

impl FromRequestParts<Shared> for Call {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let method = match parts.method {
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            _ => "GET",
        };
        Ok(Call { state: state.clone(), method, uri: parts.uri.clone(), headers: parts.headers.clone() })
    }
}

impl Call {
    /// Records the request and waits out the latency knob, then, under the state's lock, passes the gate
    /// ([`gate`]) and lets `work` answer (its `Err` is sent as it is).
    pub(super) async fn answer(&self, work: impl FnOnce(&mut HexnodeState) -> Answer) -> Response {
        let latency = {
            let mut s = lock(&self.state);
            let r = self.recorded(&s);
            s.requests.push(r);
            s.latency
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut s = lock(&self.state);
        match gate(&mut s, &self.headers, self.method) {
            Ok(()) => work(&mut s).unwrap_or_else(|refused| *refused),
            Err(refused) => *refused,
        }
    }

    /// Notes in [`HexnodeState::applied`] that this request changed the data.
    pub(super) fn applied(&self, s: &mut HexnodeState) {
        let r = self.recorded(s);
        s.applied.push(r);
    }

    /// Reads the body as a JSON object sent as `Content-Type: application/json`, or answers as Django REST
    /// framework does: 415 for another media type, 400 for a body that is not a JSON object.
    pub(super) fn json_object(&self, body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
        let media = self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if media.split(';').next().map(str::trim) != Some("application/json") {
            let message = format!("Unsupported media type \"{media}\" in request.");
            return Err(Box::new(detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message)));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err(Box::new(detail(StatusCode::BAD_REQUEST, "Invalid data. Expected a dictionary."))),
            Err(e) => Err(Box::new(detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))),
        }
    }

    /// This request as the record keeps it: method, path and query, arrival time (by the clock knob when set).
    fn recorded(&self, s: &HexnodeState) -> Recorded {
        let uri = &self.uri;
        let path_and_query = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| uri.path().into());
        let mut r = Recorded::now(self.method, path_and_query);
        if let Some(clock) = &s.clock {
            r.at = (clock.0)();
        }
        r
    }
}

/// The refusal of undocumented call `call` when the [`HexnodeState::unsupported`] knob names it (`field` is the
/// key a 400 names), as a portal without that call would answer; `None` when the call is served.
pub(super) fn unsupported(s: &HexnodeState, call: &str, method: &str, field: &str) -> Option<Box<Response>> {
    let status = *s.unsupported.get(call)?;
    Some(Box::new(match status {
        405 => detail(StatusCode::METHOD_NOT_ALLOWED, &format!("Method \"{method}\" not allowed.")),
        400 => *field_error(field, "Unknown field."),
        _ => not_found(),
    }))
}

impl Call {
    /// The method as recorded (`GET`, `POST`, `PUT`, `DELETE`).
    pub(super) fn method(&self) -> &'static str {
        self.method
    }
}

/// Checks the API key, then applies the throttle and failure knobs; `Err` is the answer to send instead.
fn gate(s: &mut HexnodeState, headers: &HeaderMap, method: &str) -> Result<(), Box<Response>> {
    let key = headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if key != Some(s.api_key.as_bytes()) || s.api_key.is_empty() {
        return Err(Box::new(detail(StatusCode::UNAUTHORIZED, "Invalid token.")));
    }
    let write_throttle = if method != "GET" { s.throttled_writes.pop_front() } else { None };
    if let Some(secs) = write_throttle.or_else(|| s.throttled.pop_front()) {
        let text = format!("Request was throttled. Expected available in {secs:.1} seconds.");
        let mut r = if s.throttle_as_json {
            detail(StatusCode::TOO_MANY_REQUESTS, &text)
        } else {
            (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        };
        let retry_after = if secs.is_finite() && secs > 0.0 { secs.ceil() as u64 } else { 0 };
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Err(Box::new(r));
    }
    if let Some(status) = s.failures.pop_front() {
        let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match status {
            401 => "Invalid token.",
            403 => "You do not have permission to perform this action.",
            404 => "Not found.",
            _ => "A server error occurred.",
        };
        return Err(Box::new(detail(st, message)));
    }
    Ok(())
}
