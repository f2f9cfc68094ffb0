//! What every route shares: the record and the latency knob, the gate (rate limit and failure knobs, then the
//! bearer token and its scope), and Okta's error shapes and rate-limit headers.

use super::{OktaState, Recorded};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The state as the routes share it.
pub(super) type Shared = Arc<Mutex<OktaState>>;

/// The current time in epoch seconds.
pub(super) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Okta's error body (`errorCode`, `errorSummary`, `errorLink`, a fresh `errorId`, no `errorCauses`) with
/// `status`.
pub(super) fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    let body = json!({
        "errorCode": code, "errorSummary": summary, "errorLink": code,
        "errorId": format!("oae{}", uuid::Uuid::new_v4().simple()), "errorCauses": [],
    });
    (status, Json(body)).into_response()
}

/// An OAuth 2.0 error body (`error`, `error_description`) with `status`.
pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// Records the request and waits out the latency knob.
pub(super) async fn record_and_delay(state: &Shared, method: &str, path_and_query: String) {
    let latency = {
        let mut s = state.lock().expect("double state lock");
        s.requests.push(Recorded::now(method, path_and_query));
        s.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

/// What every Management API read does before its own work: records the `GET` as `recorded_as` (path and
/// query), waits out the latency knob, locks the state and passes the [`gate`] for `scope`; then `work` answers.
pub(super) async fn serve(
    state: &Shared,
    headers: &HeaderMap,
    recorded_as: String,
    scope: &str,
    work: impl FnOnce(&OktaState) -> Response,
) -> Response {
    serve_mut(state, headers, "GET", recorded_as, &[scope], |s| work(s)).await
}

/// What every Management API call does before its own work, for any method: records `method` on `recorded_as`,
/// waits out the latency knob, locks the state and passes the [`gate`] for any of `scopes` (Okta's spec names
/// the read scope for reads; a token with the manage scope reads too); then `work` answers, and may change the
/// state.
pub(super) async fn serve_mut(
    state: &Shared,
    headers: &HeaderMap,
    method: &str,
    recorded_as: String,
    scopes: &[&str],
    work: impl FnOnce(&mut OktaState) -> Response,
) -> Response {
    record_and_delay(state, method, recorded_as).await;
    let mut s = state.lock().expect("double state lock");
    match gate(&mut s, headers, scopes) {
        Ok(()) => work(&mut s),
        Err(refused) => *refused,
    }
}

/// `r` with Okta's `X-Rate-Limit-*` headers: a limit of 600, `remaining`, and the window's end `reset` (epoch
/// seconds).
fn rate_headers(mut r: Response, remaining: i64, reset: i64) -> Response {
    let h = r.headers_mut();
    h.insert("x-rate-limit-limit", HeaderValue::from(600));
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    h.insert("x-rate-limit-reset", HeaderValue::from(reset));
    r
}

/// `r` as a served request answers: 599 calls left in a window ending in a minute.
pub(super) fn with_rate_headers(r: Response) -> Response {
    rate_headers(r, 599, now() + 60)
}

/// Okta's 429 (`E0000047`) with its rate-limit headers; `reset` is the window's end in epoch seconds.
pub(super) fn rate_limited(reset: i64) -> Response {
    let r =
        okta_error(StatusCode::TOO_MANY_REQUESTS, "E0000047", "API call exceeded rate limit due to too many requests.");
    rate_headers(r, 0, reset)
}

/// Checks the bearer token and applies the 429/failure knobs; `Err` is the answer to send instead.
pub(super) fn gate(s: &mut OktaState, headers: &HeaderMap, scopes: &[&str]) -> Result<(), Box<Response>> {
    if let Some(reset) = s.rate_limited.pop_front() {
        let mut r = rate_limited(reset);
        for extra in s.extra_resets.drain(..) {
            r.headers_mut().append("x-rate-limit-reset", HeaderValue::from(extra));
        }
        return Err(Box::new(r));
    }
    if let Some(status) = s.failures.pop_front() {
        let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(Box::new(match status {
            403 => okta_error(st, "E0000006", "You do not have permission to perform the requested action"),
            404 => okta_error(st, "E0000007", "Not found: Resource not found"),
            _ => okta_error(st, "E0000009", "Internal Server Error"),
        }));
    }
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| s.tokens.get(t)) {
        None => Err(Box::new(okta_error(StatusCode::UNAUTHORIZED, "E0000011", "Invalid token provided"))),
        Some(granted) if !granted.iter().any(|x| scopes.contains(&x.as_str())) => Err(Box::new(okta_error(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        ))),
        Some(_) => Ok(()),
    }
}
