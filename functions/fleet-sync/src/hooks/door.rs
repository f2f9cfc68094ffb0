//! Okta event hooks, the door: the one-time verification, authenticated deliveries, and a durable record of
//! each accepted delivery; applying its events is the stream consumer's ([`crate::inbox`]). Okta waits 3
//! seconds and delivers at least once, so the answer waits only for one write. Source: Okta developer docs,
//! "Event hooks" concept page and best practices.
//!
//! - `GET /hooks/okta/{tenant}` with `x-okta-verification-challenge: v` answers `{"verification": "v"}` (case C04).
//! - `POST /hooks/okta/{tenant}` must carry the tenant's hook secret in `Authorization` (header names in any
//!   case, compared in constant time; case C05), else 401 and nothing is written. A warm instance checks it
//!   against the hook record it read in the last [`HOOK_RECORD_KEPT_SECS`] (and the secret's value it read once
//!   by version id), so a steady stream of deliveries costs one write each; a mismatch is checked again against
//!   a fresh read.
//! - An accepted delivery is written as inbox records ([`InboxRecord`]: the events the product acts on, oldest
//!   first, with only the targets it reads), all or none, and only if the same delivery (the same event uuids)
//!   is not there yet: Okta's redelivery of a delivery is a duplicate at the door. Events repeated across
//!   different deliveries are caught by the consumer's per-event markers (case C06).

use super::events::{parse_delivery, sort_delivery, Event, Sorted};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::json_response;
use odt_shared::deps::Deps;
use odt_shared::error::{Error, ErrorBody};
use odt_shared::ids::is_safe_id;
use odt_shared::store::{HookRecord, InboxRecord};
use odt_shared::ApiError;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// How long a warm instance answers deliveries from the hook record it read, in seconds: a secret rotated (or a
/// hook set) on another instance is in force here within this time. A secret that does not match the kept record
/// is checked again against a fresh read at once, so a new secret is never refused for this long.
pub const HOOK_RECORD_KEPT_SECS: i64 = 5;

/// Events per inbox record: a part stays far below DynamoDB's 400 KB item limit (an event's stored form is a
/// few hundred bytes), and a 1 MiB delivery needs at most a few dozen parts (one transaction holds 100).
const EVENTS_PER_PART: usize = 400;

/// The answer to Okta's verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct HookVerification {
    pub verification: String,
}

/// A delivery of events (`com.okta.event_hook`), as the API documents it: `data.events[]` are System Log events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HookDelivery {
    pub data: HookDeliveryData,
}

/// The events of a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HookDeliveryData {
    /// System Log events: `uuid`, `published` (RFC 3339), `eventType`, `target[]` (`id`, `type`), ….
    pub events: Vec<serde_json::Value>,
}

/// What the door did with a delivery (applying follows from the table's stream within seconds).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    /// Events in the delivery.
    pub received: usize,
    /// Events kept to be applied (types the hook acts on, each once).
    pub accepted: usize,
    /// Events repeated inside the delivery, or every event of a delivery already received.
    pub duplicates: usize,
    /// Events of types the hook does not act on.
    pub ignored: usize,
}

/// Serves `GET|POST /hooks/okta/{tenant}` (no JWT: Okta authenticates with the hook secret). `tenant` is the
/// rest of the path as received, checked as sent (400 naming `tenant` when it is encoded or not an id).
pub async fn deliver(deps: &Deps, req: lambda_http::Request, tenant: &str) -> Result<Response<Body>, ApiError> {
    let tenant = odt_shared::as_sent::path_param("tenant", tenant)?;
    match *req.method() {
        http::Method::GET => verify(deps, &req, tenant).await,
        http::Method::POST => receive(deps, req, tenant).await,
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "GET or POST only")),
    }
}

/// Okta's one-time verification: echo the challenge (case C04).
#[utoipa::path(get, path = "/hooks/okta/{tenant}", tag = "event-hook", operation_id = "verifyOktaHook",
    description = "Called by Okta once when the hook is verified; no token. Answers the challenge as JSON.",
    params(("tenant" = String, Path, description = "The tenant id"),
        ("x-okta-verification-challenge" = String, Header, description = "Okta's challenge")),
    responses((status = 200, description = "The challenge echoed", body = HookVerification),
        (status = 400, description = "No challenge header, or a tenant that is not an id as sent (field names it)", body = ErrorBody),
        (status = 404, description = "No hook for this tenant", body = ErrorBody)))]
pub async fn verify(deps: &Deps, req: &lambda_http::Request, tenant: &str) -> Result<Response<Body>, ApiError> {
    hook_of(deps, tenant).await?;
    let challenge = req
        .headers()
        .get("x-okta-verification-challenge")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 1024)
        .ok_or_else(|| {
            ApiError::invalid("x-okta-verification-challenge", "the verification challenge header is missing")
        })?;
    Ok(json_response(StatusCode::OK, &HookVerification { verification: challenge.to_string() }))
}

/// A delivery: checked, then kept durably for the stream consumer; answered once it is written.
#[utoipa::path(post, path = "/hooks/okta/{tenant}", tag = "event-hook", operation_id = "receiveOktaHook",
    description = "Called by Okta with the hook secret in Authorization; no token. The events are applied from the table's stream within seconds of the answer.",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = HookDelivery, security(("hookSecret" = [])),
    responses((status = 200, description = "Accepted", body = Received),
        (status = 400, description = "Not a delivery, or a tenant that is not an id as sent (field names it)", body = ErrorBody),
        (status = 401, description = "Wrong or missing hook secret", body = ErrorBody),
        (status = 404, description = "No hook for this tenant", body = ErrorBody),
        (status = 413, description = "Over 1 MiB", body = ErrorBody)))]
pub async fn receive(deps: &Deps, req: lambda_http::Request, tenant: &str) -> Result<Response<Body>, ApiError> {
    let sent = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    authenticate(deps, tenant, sent.as_deref()).await?;
    let body: Vec<u8> = match req.into_body() {
        Body::Text(t) => t.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    let sorted = sort_delivery(parse_delivery(&body)?);
    let received = sorted.received;
    let mut out =
        Received { received, accepted: sorted.kept.len(), duplicates: sorted.repeated, ignored: sorted.ignored };
    if received > 0 && !keep(deps, tenant, sorted).await? {
        out = Received { received, accepted: 0, duplicates: received, ignored: 0 };
    }
    tracing::info!(
        tenant,
        received = out.received,
        accepted = out.accepted,
        duplicates = out.duplicates,
        ignored = out.ignored,
        "event hook delivery"
    );
    Ok(json_response(StatusCode::OK, &out))
}

/// Checks that `sent` (the `Authorization` header) is the tenant's hook secret: against the hook record this
/// warm instance kept, else against a fresh read. Errors: 404 for a tenant without a hook, 401 for a missing or
/// wrong secret.
async fn authenticate(deps: &Deps, tenant: &str, sent: Option<&str>) -> Result<(), ApiError> {
    if let (Some(kept), Some(sent)) = (kept_hook(deps, tenant), sent) {
        if carries_secret(deps, &kept, sent).await? {
            return Ok(());
        }
    }
    let rec = hook_of(deps, tenant).await?;
    match sent {
        Some(sent) if carries_secret(deps, &rec, sent).await? => Ok(()),
        _ => Err(ApiError::unauthorized("the Authorization header does not carry this tenant's hook secret")),
    }
}

/// Writes a sorted delivery as its inbox records ([`EVENTS_PER_PART`] events a part; one empty part when it
/// kept no event, so its redelivery is still known). Returns `false` when the delivery was already there.
async fn keep(deps: &Deps, tenant: &str, sorted: Sorted) -> Result<bool, Error> {
    let now = deps.clock.now();
    let parts: Vec<InboxRecord<Event>> = sorted
        .kept
        .chunks(EVENTS_PER_PART)
        .map(<[Event]>::to_vec)
        .chain(sorted.kept.is_empty().then(Vec::new))
        .enumerate()
        .map(|(i, events)| InboxRecord::new(tenant, &sorted.key, i, events, now))
        .collect();
    Ok(deps.store.keep_delivery(&parts).await?)
}

/// The tenant's hook record read from the table (and kept for [`HOOK_RECORD_KEPT_SECS`]), 404 for an unknown or
/// malformed tenant (never kept, so a hook just set is seen at once).
async fn hook_of(deps: &Deps, tenant: &str) -> Result<HookRecord, ApiError> {
    if !is_safe_id(tenant) {
        return Err(ApiError::not_found("event hook"));
    }
    let rec = deps.store.get_hook(tenant).await?.ok_or_else(|| ApiError::not_found("event hook"))?;
    deps.warm.put(&HookRecord::cache_key(tenant), deps.clock.now(), rec.clone());
    Ok(rec)
}

/// The tenant's hook record as this warm instance read it less than [`HOOK_RECORD_KEPT_SECS`] ago, if it did.
fn kept_hook(deps: &Deps, tenant: &str) -> Option<HookRecord> {
    if !is_safe_id(tenant) {
        return None;
    }
    let max_age = time::Duration::seconds(HOOK_RECORD_KEPT_SECS);
    deps.warm.get(&HookRecord::cache_key(tenant), deps.clock.now(), max_age)
}

/// Whether `sent` is a secret `rec` accepts (constant time): its secret, or the one a rotation is moving to
/// (both are accepted until Okta has the new one, so no delivery is refused during a rotation).
async fn carries_secret(deps: &Deps, rec: &HookRecord, sent: &str) -> Result<bool, ApiError> {
    let mut matched = false;
    for r in rec.accepted_secrets() {
        let secret = deps.secrets.get_cached(r).await?;
        matched |= bool::from(sent.as_bytes().ct_eq(secret.expose_secret().as_bytes()));
    }
    Ok(matched)
}
