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
//! - An accepted delivery is written as `HOOKINBOX#<key>#<part>` records ([`crate::inbox::InboxRecord`]: the
//!   events the product acts on, oldest first, with only the targets it reads), all or none, and only if the
//!   same delivery (the same event uuids) is not there yet: Okta's redelivery of a delivery is a duplicate at
//!   the door. Events repeated across different deliveries are caught by the consumer's per-event markers
//!   (case C06).

use crate::inbox::{InboxRecord, INBOX_PREFIX};
use crate::store_failure;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{ErrorBody, GatewayMessage};
use odt_shared::ids::is_safe_id;
use odt_shared::secrets::SecretRef;
use odt_shared::store::{tenant_pk, StoreError};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

const HOOK_SK: &str = "HOOK";
/// How long an event uuid is remembered, in seconds (Okta retries within minutes; 7 days is ample).
pub const DEDUP_TTL_SECS: i64 = 7 * 24 * 3600;

/// The tenant's hook configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct HookRecord {
    pk: String,
    sk: String,
    secret: SecretRef,
    secret_updated_at: String,
    version: u64,
}

impl odt_shared::store::Versioned for HookRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

/// `PUT /event-hook`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"secret": "<the value set as the hook's Authorization header in Okta>"}))]
pub struct HookSecretInput {
    /// The value Okta sends in `Authorization` (Okta: Workflow › Event Hooks › the hook › Authentication field
    /// `Authorization`, secret). 16 to 256 printable characters.
    #[schema(value_type = String, format = Password)]
    pub secret: SecretString,
    pub version: Option<u64>,
}

/// The hook set-up as the admin needs it: where Okta must send, and whether the secret is set.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookView {
    /// The path of this tenant's hook on the API (prefix it with the API's base URL).
    pub path: String,
    pub secret_set: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_updated_at: Option<String>,
    pub version: u64,
    /// Event types to subscribe to in Okta.
    pub event_types: Vec<String>,
}

/// The event types the hook acts on; others are accepted and ignored.
pub const EVENT_TYPES: [&str; 12] = [
    "group.user_membership.add",
    "group.user_membership.remove",
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.initiated",
    "device.user.add",
    "device.user.remove",
    "device.lifecycle.deactivate",
];

fn view(tenant: &str, r: Option<&HookRecord>) -> HookView {
    HookView {
        path: format!("/hooks/okta/{tenant}"),
        secret_set: r.is_some(),
        secret_updated_at: r.map(|r| r.secret_updated_at.clone()),
        version: r.map(|r| r.version).unwrap_or(0),
        event_types: EVENT_TYPES.iter().map(|s| s.to_string()).collect(),
    }
}

/// `GET /event-hook`.
#[utoipa::path(get, path = "/event-hook", tag = "event-hook", operation_id = "getEventHook",
    description = "Roles: admin, technician.", security(("bearer" = [])),
    responses((status = 200, description = "The hook set-up", body = HookView),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn get_config(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec: Option<HookRecord> = deps.store.get(&tenant_pk(tenant), HOOK_SK).await.map_err(store_failure)?;
    Ok(json_response(StatusCode::OK, &view(tenant, rec.as_ref())))
}

/// `PUT /event-hook`: the secret Okta sends in `Authorization`; stored in Secrets Manager, never returned.
#[utoipa::path(put, path = "/event-hook", tag = "event-hook", operation_id = "putEventHookSecret",
    description = "Role: admin.", request_body = HookSecretInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = HookView),
        (status = 400, description = "Invalid secret", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn put_config(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: HookSecretInput = req.json()?;
    let s = input.secret.expose_secret();
    if s.len() < 16 || s.len() > 256 || !s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(ApiError::invalid("secret", "secret must be 16 to 256 printable characters"));
    }
    let existing: Option<HookRecord> = deps.store.get(&tenant_pk(tenant), HOOK_SK).await.map_err(store_failure)?;
    let current = existing.as_ref().map(|e| e.version).unwrap_or(0);
    if input.version.is_some_and(|v| v != current) {
        return Err(ApiError::version_conflict(current));
    }
    let name = deps.secrets.name(tenant, &["hook", "secret"]);
    let secret = deps.secrets.put(&name, &input.secret).await.map_err(odt_shared::error::secrets_failure)?;
    let rec = HookRecord {
        pk: tenant_pk(tenant),
        sk: HOOK_SK.into(),
        secret,
        secret_updated_at: rfc3339(deps.clock.now()),
        version: current + 1,
    };
    let saved = deps.store.put_versioned(&rec, existing.as_ref().map(|e| e.version)).await;
    deps.warm.forget(&warm_key(tenant));
    match saved {
        Ok(()) => Ok(json_response(StatusCode::OK, &view(tenant, Some(&rec)))),
        Err(StoreError::VersionConflict { current }) => Err(ApiError::version_conflict(current.unwrap_or(0))),
        Err(e) => Err(store_failure(e)),
    }
}

/// One System Log event as a hook delivers it (only the fields used; also its stored form in the inbox).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// The event's id (`uuid`), checked by [`parse_delivery`] to be a safe id.
    pub uuid: String,
    /// The System Log event type, e.g. `group.user_membership.add`.
    #[serde(rename = "eventType")]
    pub event_type: String,
    /// When Okta published the event, as sent (RFC 3339).
    pub published: String,
    /// The event's targets (users, groups, devices), if any.
    #[serde(default)]
    pub target: Option<Vec<Target>>,
}

/// One target of an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// The Okta id of the target.
    pub id: String,
    /// The target's type (`User`, `UserGroup`, `Device`, …); empty when absent.
    #[serde(rename = "type", default)]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    data: EnvelopeData,
}

#[derive(Debug, Deserialize)]
struct EnvelopeData {
    events: Vec<Event>,
}

fn hook_401() -> ApiError {
    ApiError::unauthorized("the Authorization header does not carry this tenant's hook secret")
}

/// How long a warm instance answers deliveries from the hook record it read, in seconds: a secret rotated (or a
/// hook set) on another instance is in force here within this time. A secret that does not match the kept record
/// is checked again against a fresh read at once, so a new secret is never refused for this long.
pub const HOOK_RECORD_KEPT_SECS: i64 = 5;

fn warm_key(tenant: &str) -> String {
    format!("{}#{HOOK_SK}", tenant_pk(tenant))
}

/// The tenant's hook record read from the table (and kept for [`HOOK_RECORD_KEPT_SECS`]), 404 for an unknown or
/// malformed tenant (never kept, so a hook just set is seen at once).
async fn hook_of(deps: &Deps, tenant: &str) -> Result<HookRecord, ApiError> {
    if !is_safe_id(tenant) {
        return Err(ApiError::not_found("event hook"));
    }
    let rec: Option<HookRecord> = deps.store.get(&tenant_pk(tenant), HOOK_SK).await.map_err(store_failure)?;
    let rec = rec.ok_or_else(|| ApiError::not_found("event hook"))?;
    deps.warm.put(&warm_key(tenant), deps.clock.now(), rec.clone());
    Ok(rec)
}

/// The tenant's hook record as this warm instance read it less than [`HOOK_RECORD_KEPT_SECS`] ago, if it did.
fn kept_hook(deps: &Deps, tenant: &str) -> Option<HookRecord> {
    if !is_safe_id(tenant) {
        return None;
    }
    deps.warm.get(&warm_key(tenant), deps.clock.now(), time::Duration::seconds(HOOK_RECORD_KEPT_SECS))
}

/// Whether `sent` is the secret `rec` points at (constant time).
async fn carries_secret(deps: &Deps, rec: &HookRecord, sent: &str) -> Result<bool, ApiError> {
    let secret = deps.secrets.get_cached(&rec.secret).await.map_err(odt_shared::error::secrets_failure)?;
    Ok(bool::from(sent.as_bytes().ct_eq(secret.expose_secret().as_bytes())))
}

/// Serves `GET|POST /hooks/okta/{tenant}` (no JWT: Okta authenticates with the hook secret).
pub async fn deliver(deps: &Deps, req: lambda_http::Request, tenant: &str) -> Result<Response<Body>, ApiError> {
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
        (status = 400, description = "No challenge header", body = ErrorBody),
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

/// Events per inbox record: a part stays far below DynamoDB's 400 KB item limit (an event's stored form is a
/// few hundred bytes), and a 1 MiB delivery needs at most a few dozen parts (one transaction holds 100).
const EVENTS_PER_PART: usize = 400;

/// A delivery: checked, then kept durably for the stream consumer; answered once it is written.
#[utoipa::path(post, path = "/hooks/okta/{tenant}", tag = "event-hook", operation_id = "receiveOktaHook",
    description = "Called by Okta with the hook secret in Authorization; no token. The events are applied from the table's stream within seconds of the answer.",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = HookDelivery, security(("hookSecret" = [])),
    responses((status = 200, description = "Accepted", body = Received),
        (status = 400, description = "Not a delivery", body = ErrorBody),
        (status = 401, description = "Wrong or missing hook secret", body = ErrorBody),
        (status = 404, description = "No hook for this tenant", body = ErrorBody),
        (status = 413, description = "Over 1 MiB", body = ErrorBody)))]
pub async fn receive(deps: &Deps, req: lambda_http::Request, tenant: &str) -> Result<Response<Body>, ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let sent = header("authorization");
    let matches_kept = match (kept_hook(deps, tenant), &sent) {
        (Some(kept), Some(sent)) => carries_secret(deps, &kept, sent).await?,
        _ => false,
    };
    if !matches_kept {
        let rec = hook_of(deps, tenant).await?;
        let Some(sent) = &sent else { return Err(hook_401()) };
        if !carries_secret(deps, &rec, sent).await? {
            return Err(hook_401());
        }
    }
    let body: Vec<u8> = match req.into_body() {
        Body::Text(t) => t.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    let events = parse_delivery(&body)?;
    let received = events.len();
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<(time::OffsetDateTime, Event)> =
        events.into_iter().filter(|(_, e)| seen.insert(e.uuid.clone())).collect();
    let repeated = received - unique.len();
    let kept: Vec<Event> = unique
        .iter()
        .filter(|(_, e)| EVENT_TYPES.contains(&e.event_type.as_str()))
        .map(|(at, e)| stored_form(*at, e))
        .collect();
    let mut out = Received { received, accepted: kept.len(), duplicates: repeated, ignored: unique.len() - kept.len() };
    if received > 0 {
        let now = deps.clock.now();
        let key = delivery_key(unique.iter().map(|(_, e)| e.uuid.as_str()));
        let parts: Vec<InboxRecord> = kept
            .chunks(EVENTS_PER_PART)
            .map(<[Event]>::to_vec)
            .chain(kept.is_empty().then(Vec::new))
            .enumerate()
            .map(|(i, events)| InboxRecord {
                pk: tenant_pk(tenant),
                sk: format!("{INBOX_PREFIX}{key}#{i}"),
                events,
                received_at: rfc3339(now),
                expires_at: now.unix_timestamp() + DEDUP_TTL_SECS,
            })
            .collect();
        if !deps.store.put_new_all(&parts).await.map_err(store_failure)? {
            out = Received { received, accepted: 0, duplicates: received, ignored: 0 };
        }
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

/// The key of a delivery: 32 hex digits of SHA-256 over its event uuids (each once, sorted), so Okta's
/// redelivery of the same delivery has the same key, in whatever order it lists the events.
fn delivery_key<'a>(uuids: impl Iterator<Item = &'a str>) -> String {
    let mut uuids: Vec<&str> = uuids.collect();
    uuids.sort_unstable();
    let mut h = Sha256::new();
    for u in uuids {
        h.update(u.as_bytes());
        h.update(b"\n");
    }
    hex::encode(&h.finalize()[..16])
}

/// An event as the inbox keeps it, bounded whatever the delivery held (well under 1 KB, so a part of
/// [`EVENTS_PER_PART`] stays under DynamoDB's 400 KB item limit): `published` as RFC 3339 in UTC, and of the
/// targets only what [`target`] reads, the first `User`, `UserGroup` and `Device`, each kept only when its id is
/// a safe id (otherwise [`target`] finds none either way).
fn stored_form(at: time::OffsetDateTime, e: &Event) -> Event {
    let target = e.target.as_ref().map(|ts| {
        ["User", "UserGroup", "Device"]
            .iter()
            .filter_map(|kind| ts.iter().find(|t| t.kind == *kind))
            .filter(|t| is_safe_id(&t.id))
            .cloned()
            .collect()
    });
    let published = at
        .to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| e.published.clone());
    Event { uuid: e.uuid.clone(), event_type: e.event_type.clone(), published, target }
}

/// Parses the body of a hook delivery (`{"data": {"events": [...]}}`, Okta's `com.okta.event_hook`) into its
/// events with their `published` times, oldest first (a stable sort: equal times keep the delivery's order).
/// Pure, so it is also the fuzz target `hook_payload` (`fuzz/`).
///
/// # Errors
/// 413 `body_too_large` (field `body`) over [`odt_shared::api::MAX_BODY_BYTES`]; 400 `invalid_json` (field
/// `body`) for a body that is not one JSON object; 400 `invalid_field` naming the field for a missing or mistyped
/// one (`data`, `data.events`, `data.events[0].uuid`: the shared edge's [`odt_shared::api::parse_json_bytes`]);
/// 400 naming `data.events.published` for a time that is not RFC 3339, or `data.events.uuid` for a uuid that is
/// not a safe id.
pub fn parse_delivery(body: &[u8]) -> Result<Vec<(time::OffsetDateTime, Event)>, ApiError> {
    if body.len() > odt_shared::api::MAX_BODY_BYTES {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the delivery is over 1 MiB")
            .with_field("body"));
    }
    let envelope: Envelope = odt_shared::api::parse_json_bytes(body)?;
    let mut events: Vec<(time::OffsetDateTime, Event)> = Vec::with_capacity(envelope.data.events.len());
    for e in envelope.data.events {
        let at = time::OffsetDateTime::parse(&e.published, &time::format_description::well_known::Rfc3339)
            .map_err(|_| ApiError::invalid("data.events.published", "published is not an RFC 3339 time"))?;
        if !is_safe_id(&e.uuid) {
            return Err(ApiError::invalid("data.events.uuid", "uuid is not an event id"));
        }
        events.push((at, e));
    }
    events.sort_by_key(|e| e.0);
    Ok(events)
}

/// The id of the first target of `kind` (`User`, `UserGroup`, `Device`) in `e`, when it is a safe id; what
/// applying an event acts on.
pub fn target<'a>(e: &'a Event, kind: &str) -> Option<&'a str> {
    e.target.as_ref()?.iter().find(|t| t.kind == kind).map(|t| t.id.as_str()).filter(|id| is_safe_id(id))
}

/// Properties of the delivery parser (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// An event as Okta sends it: a uuid, a type, a `published` time (ms or µs, `Z` or an offset), targets.
    fn event() -> impl Strategy<Value = serde_json::Value> {
        (
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}",
            select(EVENT_TYPES.to_vec()),
            0i64..2_000_000_000,
            0u32..1_000_000,
            select(vec!["Z", "+00:00", "-05:30", "+14:00"]),
            proptest::collection::vec(
                ("00[ug][A-Za-z0-9]{6}", select(vec!["User", "UserGroup", "Device", "AppInstance"])),
                0..3,
            ),
        )
            .prop_map(|(uuid, kind, secs, micros, zone, targets)| {
                let utc = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
                    + time::Duration::microseconds(micros.into());
                let offset = match zone {
                    "Z" | "+00:00" => time::UtcOffset::UTC,
                    "-05:30" => time::UtcOffset::from_hms(-5, -30, 0).unwrap(),
                    _ => time::UtcOffset::from_hms(14, 0, 0).unwrap(),
                };
                let local = utc.to_offset(offset);
                let published = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{zone}",
                    local.year(),
                    u8::from(local.month()),
                    local.day(),
                    local.hour(),
                    local.minute(),
                    local.second(),
                    local.microsecond()
                );
                let target: Vec<serde_json::Value> =
                    targets.into_iter().map(|(id, ty)| serde_json::json!({"id": id, "type": ty})).collect();
                serde_json::json!({"uuid": uuid, "eventType": kind, "published": published, "target": target,
                    "displayMessage": "x", "severity": "INFO"})
            })
    }

    fn delivery(events: &[serde_json::Value]) -> Vec<u8> {
        serde_json::json!({"eventType": "com.okta.event_hook", "data": {"events": events}}).to_string().into_bytes()
    }

    proptest! {
        /// Fails if an event were dropped, if events came out in any order but by `published` (across time
        /// zones), or if the delivery's order decided anything but the order of events published at once.
        #[test]
        fn events_come_out_in_published_order_whatever_the_delivery_order(
            events in proptest::collection::vec(event(), 0..8).prop_shuffle(), seed in any::<u64>()) {
            let parsed = parse_delivery(&delivery(&events)).unwrap();
            prop_assert_eq!(parsed.len(), events.len());
            prop_assert!(parsed.windows(2).all(|w| w[0].0 <= w[1].0));
            let mut other = events.clone();
            let n = other.len().max(1);
            other.rotate_left((seed as usize) % n);
            let again = parse_delivery(&delivery(&other)).unwrap();
            let key = |v: &Vec<(time::OffsetDateTime, Event)>| {
                let mut k: Vec<(time::OffsetDateTime, String)> = v.iter().map(|(t, e)| (*t, e.uuid.clone())).collect();
                k.sort();
                k
            };
            prop_assert_eq!(key(&parsed), key(&again));
            let times = |v: &Vec<(time::OffsetDateTime, Event)>| v.iter().map(|(t, _)| *t).collect::<Vec<_>>();
            prop_assert_eq!(times(&parsed), times(&again));
        }

        /// Fails if a uuid that is not a safe id (one that could shape another record's key) were accepted.
        #[test]
        fn an_unsafe_uuid_is_refused(mut events in proptest::collection::vec(event(), 1..4), at in any::<prop::sample::Index>(),
            bad in "[a-z0-9]{0,4}[#/ .:]{1,2}[a-z0-9]{0,4}") {
            let i = at.index(events.len());
            events[i]["uuid"] = serde_json::Value::String(bad);
            let err = parse_delivery(&delivery(&events)).unwrap_err();
            prop_assert_eq!(err.field.as_deref(), Some("data.events.uuid"));
        }

        /// Fails on a panic for any body, or if an accepted body held an unsafe uuid or unsorted events.
        #[test]
        fn never_panics(body in prop_oneof![proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| b),
            "\\{\"data\":\\{\"events\":\\[(\\{\"uuid\":\"[a-z#]{0,3}\",\"eventType\":\"[a-z.]{0,8}\",\"published\":\"[0-9T:.Z+-]{0,30}\"(,\"target\":\\[\\{\"id\":\"[a-z]{0,3}\"\\}\\])?\\},?){0,3}\\]\\}\\}".prop_map(String::into_bytes)]) {
            if let Ok(events) = parse_delivery(&body) {
                prop_assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
                prop_assert!(events.iter().all(|(_, e)| is_safe_id(&e.uuid)));
            }
        }
    }

    /// Fails if Okta's redelivery of a delivery (the same events, listed in another order) got another key, if
    /// two deliveries with different events shared one, or if the stored form kept a target applying never reads,
    /// a second target of a kind, an unsafe id, or `published` as sent instead of in UTC.
    #[test]
    fn a_delivery_key_names_its_set_of_events_and_the_stored_form_keeps_only_what_applying_reads() {
        let key = |uuids: &[&str]| delivery_key(uuids.iter().copied());
        assert_eq!(key(&["a", "b"]), key(&["b", "a"]));
        assert_ne!(key(&["a", "b"]), key(&["a"]));
        assert_ne!(key(&["ab"]), key(&["a", "b"]));
        assert_eq!(key(&["a"]).len(), 32);
        let t = |id: &str, kind: &str| Target { id: id.into(), kind: kind.into() };
        let e = Event {
            uuid: "a".into(),
            event_type: "group.user_membership.add".into(),
            published: "2026-11-29T11:00:00.123456789+01:00".into(),
            target: Some(vec![
                t("0oa1", "AppInstance"),
                t("00g1", "UserGroup"),
                t("00u1", "User"),
                t("00u2", "User"),
                t(&"d".repeat(200), "Device"),
            ]),
        };
        let at = time::OffsetDateTime::parse(&e.published, &time::format_description::well_known::Rfc3339).unwrap();
        let kept = stored_form(at, &e);
        let ids: Vec<(String, String)> = kept.target.unwrap().into_iter().map(|t| (t.kind, t.id)).collect();
        assert_eq!(ids, [("User".to_string(), "00u1".to_string()), ("UserGroup".into(), "00g1".into())]);
        assert_eq!(kept.published, "2026-11-29T10:00:00.123456789Z");
    }

    #[test]
    fn the_recorded_okta_deliveries_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/okta-hooks");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with("_envelope.json") {
                let events = parse_delivery(&std::fs::read(&path).unwrap()).unwrap();
                assert!(!events.is_empty(), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 3);
    }
}
