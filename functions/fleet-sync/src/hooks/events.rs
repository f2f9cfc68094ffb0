//! The hook's event model: one System Log event as Okta delivers it and as the inbox keeps it, the parser of a
//! delivery (`{"data": {"events": [...]}}`, Okta's `com.okta.event_hook`), and what the door keeps of one.
//! Shared by the door ([`super::door`]), which keeps deliveries, and the consumer ([`crate::inbox`]), which
//! applies them. Source: Okta developer docs, "Event hooks" and the System Log `LogEvent` object.

use http::StatusCode;
use odt_shared::ids::is_safe_id;
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The event types the hook acts on; others are accepted and ignored.
///
/// `user.account.update_profile` (a user's login or email changed, C28) and `device.lifecycle.delete` are in Okta's
/// Event Types catalog as event-hook eligible (https://developer.okta.com/docs/reference/api/event-types/, filter
/// `event-hook-eligible`; `../shared/okta/FACTS.md` lists the device lifecycle ones).
pub const EVENT_TYPES: [&str; 14] = [
    "group.user_membership.add",
    "group.user_membership.remove",
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.initiated",
    "user.account.update_profile",
    "device.user.add",
    "device.user.remove",
    "device.lifecycle.deactivate",
    "device.lifecycle.delete",
];

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

/// What the door keeps of a parsed delivery.
#[derive(Debug)]
pub struct Sorted {
    /// Events in the delivery.
    pub received: usize,
    /// Events repeated inside the delivery (the same uuid again).
    pub repeated: usize,
    /// Events, each once, of types the hook does not act on.
    pub ignored: usize,
    /// The events to apply, each once, in their stored form ([`stored_form`]), oldest first.
    pub kept: Vec<Event>,
    /// The delivery's key ([`delivery_key`] over every event it holds, each once).
    pub key: String,
}

/// Sorts a parsed delivery ([`parse_delivery`]): repeats dropped, types the hook does not act on counted, the
/// rest in their stored form.
pub fn sort_delivery(events: Vec<(time::OffsetDateTime, Event)>) -> Sorted {
    let received = events.len();
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<(time::OffsetDateTime, Event)> =
        events.into_iter().filter(|(_, e)| seen.insert(e.uuid.clone())).collect();
    let kept: Vec<Event> = unique
        .iter()
        .filter(|(_, e)| EVENT_TYPES.contains(&e.event_type.as_str()))
        .map(|(at, e)| stored_form(*at, e))
        .collect();
    Sorted {
        received,
        repeated: received - unique.len(),
        ignored: unique.len() - kept.len(),
        key: delivery_key(unique.iter().map(|(_, e)| e.uuid.as_str())),
        kept,
    }
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
/// `EVENTS_PER_PART` stays under DynamoDB's 400 KB item limit): `published` as RFC 3339 in UTC, and of the
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
