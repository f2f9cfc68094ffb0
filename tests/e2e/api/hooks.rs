//! Okta event hooks: verification (C04), the secret in any header case (C05), duplicates and order (C06),
//! the real sample deliveries byte for byte, lifecycle events, malformed deliveries. The hook answers once a
//! delivery is kept; its events are applied from the table's stream (`settled` waits for that).

use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_shared::store::FactKey;
use odt_tests::TestStack;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(crate) const SECRET: &str = "hook-secret-0123456789abcdef";

pub(crate) async fn hook_ready(t: &TestStack) {
    let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": SECRET}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["path"], format!("/hooks/okta/{}", t.tenant));
    assert!(!a.text.contains(SECRET));
}

#[tokio::test]
async fn c31_a_hook_secret_with_a_space_or_tab_at_either_end_is_refused() {
    let t = TestStack::start().await;
    for secret in [format!(" {SECRET}"), format!("{SECRET} "), format!("\t{SECRET}"), format!("{SECRET}\t")] {
        let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": secret}))).await;
        assert_eq!(a.status, 400, "{secret:?}: {}", a.text);
        assert_eq!(a.body["error"]["field"], "secret", "{}", a.text);
    }
    let g = t.call("GET", "/event-hook", Some(&t.admin()), None).await;
    assert_eq!(g.body["secretSet"], false, "nothing saved: {}", g.text);
    // Spaces inside are kept: they arrive as sent.
    let inner = "hook secret 0123456789 abcdef";
    let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": inner}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// Posts a delivery, then waits until the stream consumers have applied whatever it kept.
pub(crate) async fn settled(t: &TestStack, auth: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let answer = post(t, auth, body).await;
    t.stack.settle().await.expect("the stream consumers settle");
    answer
}

async fn post(t: &TestStack, auth: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant))
        .header("content-type", "application/json")
        .header("user-agent", "Okta Hook Service v1.0.0 - whoo0erni6PIVagJY0h7")
        .body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) fn event(uuid: &str, event_type: &str, published: &str, user: &str, group: Option<&str>) -> Value {
    let mut target = vec![json!({"id": user, "type": "User", "alternateId": "u@acme.com", "displayName": "U"})];
    if let Some(g) = group {
        target.push(json!({"id": g, "type": "UserGroup", "alternateId": "unknown", "displayName": "Sales"}));
    }
    json!({"uuid": uuid, "published": published, "eventType": event_type, "version": "0", "severity": "INFO",
           "displayMessage": "event", "actor": {"id": "00uADMIN", "type": "User"}, "target": target})
}

pub(crate) fn envelope(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
        "source": "https://acme.okta.com/api/v1/eventHooks/whoo0erni6PIVagJY0h7", "eventId": uuid::Uuid::new_v4().to_string(),
        "eventTime": "2026-11-29T10:00:05.000Z", "contentType": "application/json", "data": {"events": events},
    }))
    .unwrap()
}

#[tokio::test]
async fn c04_verification_answers_the_challenge_as_json() {
    let t = TestStack::start().await;
    hook_ready(&t).await;
    let r = reqwest::Client::new()
        .get(format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant))
        .header("x-okta-verification-challenge", "abc123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), r#"{"verification":"abc123"}"#);
    let r = reqwest::Client::new()
        .get(format!("{}/hooks/okta/nobody-here", t.stack.base_url))
        .header("x-okta-verification-challenge", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

/// Sends a request with header names spelled exactly as given, over a raw connection.
async fn raw_post(base: &str, path: &str, auth_header: &str, body: &[u8]) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth_header}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn c05_secret_in_any_header_case_and_wrong_secret_writes_nothing() {
    let t = TestStack::start().await;
    hook_ready(&t).await;
    let path = format!("/hooks/okta/{}", t.tenant);
    let e = |u: &str| envelope(vec![event(u, "user.session.start", "2026-11-29T10:00:00.000Z", "00uX", None)]);
    assert_eq!(raw_post(&t.stack.base_url, &path, &format!("authorization: {SECRET}"), &e("c05a")).await, 200);
    assert_eq!(raw_post(&t.stack.base_url, &path, &format!("Authorization: {SECRET}"), &e("c05b")).await, 200);
    let before = t.tenant_items().await;
    assert_eq!(raw_post(&t.stack.base_url, &path, "Authorization: wrong", &e("c05c")).await, 401);
    assert_eq!(post(&t, None, e("c05d")).await.0, 401);
    assert_eq!(post(&t, Some(&format!("{SECRET}x")), e("c05e")).await.0, 401);
    assert_eq!(t.tenant_items().await, before, "nothing written for refused deliveries");
}

#[tokio::test]
async fn the_real_sample_deliveries_are_accepted_as_they_are() {
    let t = TestStack::start().await;
    hook_ready(&t).await;
    for f in [
        "01_okta-docs_user.session.start_envelope.json",
        "03_cruglobal_user.lifecycle.delete.initiated_envelope.json",
        "04_cruglobal_user.lifecycle.create_envelope.json",
    ] {
        let bytes = std::fs::read(format!("{}/fixtures/okta-hooks/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (status, body) = post(&t, Some(SECRET), bytes.clone()).await;
        assert_eq!(status, 200, "{f}: {body}");
        assert!(body["received"].as_u64().unwrap() >= 1, "{f}: {body}");
        let (_, again) = post(&t, Some(SECRET), bytes).await;
        assert_eq!(again["duplicates"], body["received"], "{f}: the same delivery twice is de-duplicated");
    }
}

async fn fleet_with_one_device(t: &TestStack) -> (String, String) {
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gHOOK000000000001", "Sales");
    t.stack.okta.add_user("00uHOOKUSER00000001", "u@acme.com", "u@acme.com", "ACTIVE");
    t.stack.okta.add_member(&group, "00uHOOKUSER00000001");
    t.stack.hexnode.add_user(1, "U", "u@acme.com");
    let mut d = HexnodeDeviceSeed::new(77, "U's Mac", "macOS", Some(1));
    d.os_version = "14.1".into();
    t.stack.hexnode.add_device(d);
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let s = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(s.body["inScope"], 1, "{}", s.text);
    hook_ready(t).await;
    (group, "00uHOOKUSER00000001".to_string())
}

async fn device(t: &TestStack) -> odt_shared::store::DeviceRecord {
    t.stack.deps.store.list_devices(&t.tenant).await.unwrap().into_iter().find(|d| d.device_id == "77").unwrap()
}

#[tokio::test]
async fn c06_duplicates_change_nothing_and_events_apply_in_published_order() {
    let t = TestStack::start().await;
    let (g, u) = fleet_with_one_device(&t).await;
    // One delivery: remove (published 10:00:02) listed before add (published 10:00:01).
    let batch = envelope(vec![
        event("c06-remove", "group.user_membership.remove", "2026-11-29T10:00:02.000Z", &u, Some(&g)),
        event("c06-add", "group.user_membership.add", "2026-11-29T10:00:01.000Z", &u, Some(&g)),
    ]);
    let (status, body) = settled(&t, Some(SECRET), batch.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["received"].clone(), body["accepted"].clone()), (json!(2), json!(2)), "{body}");
    let d = device(&t).await;
    assert!(!d.in_scope, "after the batch U is not in G");
    assert_eq!(d.exclusion, Some(odt_shared::scope::Exclusion::NotInSelectedGroup));
    let version = d.version;
    // The same delivery again is known at the door and changes nothing.
    let (_, again) = settled(&t, Some(SECRET), batch).await;
    assert_eq!((again["duplicates"].clone(), again["accepted"].clone()), (json!(2), json!(0)));
    assert_eq!(device(&t).await.version, version);
    // The same events in another delivery (with another event, one repeated inside it) change nothing.
    let regrouped = envelope(vec![
        event("c06-add", "group.user_membership.add", "2026-11-29T10:00:01.000Z", &u, Some(&g)),
        event("c06-session", "user.session.start", "2026-11-29T10:00:01.500Z", &u, None),
        event("c06-remove", "group.user_membership.remove", "2026-11-29T10:00:02.000Z", &u, Some(&g)),
        event("c06-add", "group.user_membership.add", "2026-11-29T10:00:01.000Z", &u, Some(&g)),
    ]);
    let (_, regrouped) = settled(&t, Some(SECRET), regrouped).await;
    assert_eq!(
        (regrouped["duplicates"].clone(), regrouped["accepted"].clone(), regrouped["ignored"].clone()),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(device(&t).await.version, version, "per-event markers keep them from applying twice");
    // A late delivery of an older add does not undo the newer remove.
    let late =
        envelope(vec![event("c06-older-add", "group.user_membership.add", "2026-11-29T10:00:00.500Z", &u, Some(&g))]);
    let (_, late) = settled(&t, Some(SECRET), late).await;
    assert_eq!(late["accepted"], 1);
    let d = device(&t).await;
    assert!(!d.in_scope);
    assert_eq!(d.version, version, "the older event changed nothing");
    // A newer add brings the device back.
    let newer =
        envelope(vec![event("c06-newer-add", "group.user_membership.add", "2026-11-29T10:00:03.000Z", &u, Some(&g))]);
    settled(&t, Some(SECRET), newer).await;
    let d = device(&t).await;
    assert!(d.in_scope);
    assert_eq!(d.desired_payload_hash.as_ref().map(|h| h.len()), Some(64));
}

#[tokio::test]
async fn lifecycle_events_change_the_owners_devices() {
    let t = TestStack::start().await;
    let (_, u) = fleet_with_one_device(&t).await;
    let off = envelope(vec![event("lc-1", "user.lifecycle.suspend", "2026-11-29T11:00:00.000Z", &u, None)]);
    assert_eq!(settled(&t, Some(SECRET), off).await.0, 200);
    assert_eq!(device(&t).await.exclusion, Some(odt_shared::scope::Exclusion::OwnerNotActive));
    let on = envelope(vec![event("lc-2", "user.lifecycle.unsuspend", "2026-11-29T11:05:00.000Z", &u, None)]);
    settled(&t, Some(SECRET), on).await;
    let d = device(&t).await;
    assert!(d.in_scope);
    // Events for groups outside the fleet are accepted and change nothing.
    let other =
        envelope(vec![event("lc-3", "group.user_membership.remove", "2026-11-29T11:06:00.000Z", &u, Some("00gOTHER"))]);
    let (_, body) = settled(&t, Some(SECRET), other).await;
    assert_eq!(body["accepted"], 1);
    let (store, tenant) = (&t.stack.deps.store, t.tenant.as_str());
    assert!(store.fact(tenant, FactKey::Membership { group: "00gOTHER", user: &u }).await.unwrap().is_none());
    assert!(store.event_applied(tenant, "lc-3").await.unwrap(), "applied (as nothing to do) and marked");
    assert_eq!(device(&t).await.version, d.version);
    // Event types the hook does not act on are answered as ignored and never kept.
    let session = envelope(vec![event("lc-5", "user.session.start", "2026-11-29T11:06:30.000Z", &u, None)]);
    let (_, body) = settled(&t, Some(SECRET), session).await;
    assert_eq!((body["ignored"].clone(), body["accepted"].clone()), (json!(1), json!(0)), "{body}");
    assert!(!store.event_applied(tenant, "lc-5").await.unwrap());
    // Okta device events are kept as evidence (not scope), newest first wins.
    let mut dev = event("lc-4", "device.lifecycle.deactivate", "2026-11-29T11:07:00.000Z", &u, None);
    dev["target"].as_array_mut().unwrap().push(json!({"id": "guo1okta0device0001", "type": "Device"}));
    let (_, body) = settled(&t, Some(SECRET), envelope(vec![dev])).await;
    assert_eq!(body["accepted"], 1, "{body}");
    assert!(store.fact(tenant, FactKey::OktaDevice { device: "guo1okta0device0001" }).await.unwrap().is_some());
    assert!(device(&t).await.in_scope);
}

/// C30: an event about a user Okta does not have (no device of the fleet is theirs), or one the product does not
/// act on (a new user who owns no device yet), is counted as ignored, never as applied; an event that re-decides
/// a device of the fleet is applied. Counted by the consumer's own function (what the stream consumer logs and
/// `POST /event-hook/redrive` answers), over events the door parsed; the Okta double's users are the judge of
/// who Okta has.
#[tokio::test]
async fn c30_events_about_users_okta_does_not_have_are_counted_as_ignored_not_applied() {
    let t = TestStack::start().await;
    let (g, u) = fleet_with_one_device(&t).await;
    let nobody = "00uNOTINOKTA00000001";
    assert!(!t.stack.okta.lock().users.contains_key(nobody), "the Okta double has no such user");
    assert!(t.stack.okta.lock().users.contains_key(&u));
    let body = envelope(vec![
        event("c30-add-nobody", "group.user_membership.add", "2026-11-29T12:00:01.000Z", nobody, Some(&g)),
        event("c30-suspend-nobody", "user.lifecycle.suspend", "2026-11-29T12:00:02.000Z", nobody, None),
        event("c30-create-nobody", "user.lifecycle.create", "2026-11-29T12:00:03.000Z", nobody, None),
        event("c30-add-u", "group.user_membership.add", "2026-11-29T12:00:04.000Z", &u, Some(&g)),
    ]);
    let kept = fleet_sync::hooks::events::sort_delivery(fleet_sync::hooks::parse_delivery(&body).unwrap()).kept;
    assert_eq!(kept.len(), 4, "every type is one the hook subscribes to");
    let (deps, tenant) = (&t.stack.deps, t.tenant.as_str());
    let ctx = fleet_sync::inbox::Context::load(deps, tenant).await.unwrap();
    let version = device(&t).await.version;
    let a = fleet_sync::inbox::apply_events(deps, tenant, &ctx, &kept).await.unwrap();
    assert_eq!((a.applied, a.ignored, a.duplicates), (1, 3, 0), "{a:?}");
    assert!(device(&t).await.in_scope);
    assert_eq!(device(&t).await.version, version, "an add of a member changes nothing on the record");
    let again = fleet_sync::inbox::apply_events(deps, tenant, &ctx, &kept).await.unwrap();
    assert_eq!((again.applied, again.ignored, again.duplicates), (0, 0, 4), "{again:?}");
}

#[tokio::test]
async fn malformed_deliveries_answer_400_and_write_nothing() {
    let t = TestStack::start().await;
    hook_ready(&t).await;
    let before = t.tenant_items().await;
    for body in [
        b"{".to_vec(),
        b"{}".to_vec(),
        br#"{"data": {"events": [{"uuid": "x"}]}}"#.to_vec(),
        br#"{"data": {"events": [{"uuid": "a/b", "eventType": "x", "published": "2026-11-29T10:00:00Z"}]}}"#.to_vec(),
        br#"{"data": {"events": [{"uuid": "ok", "eventType": "x", "published": "yesterday"}]}}"#.to_vec(),
        vec![0xff, 0xfe],
    ] {
        let (status, v) = post(&t, Some(SECRET), body).await;
        assert_eq!(status, 400, "{v}");
        assert!(v["error"]["code"].is_string());
    }
    assert_eq!(t.tenant_items().await, before);
}

#[tokio::test]
async fn c12_hook_and_reconciliation_from_the_same_version_both_changes_survive() {
    let t = TestStack::start().await;
    let (g, u) = fleet_with_one_device(&t).await;
    let base = device(&t).await;
    let enabled: std::collections::HashMap<_, _> = t
        .stack
        .deps
        .store
        .list_platforms(&t.tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.enabled)
        .map(|p| (p.platform, p.payload_hash))
        .collect();
    // Reconciliation read version `base` and saw an OS upgrade (its facts still have U in G).
    let mut ours = base.clone();
    ours.os_version = "14.5".into();
    ours.version = base.version + 1;
    fleet_sync::sync::redecide_record(&mut ours, &enabled);
    assert!(ours.in_scope);
    // Meanwhile a hook, starting from the same version, removes U from G.
    let remove =
        envelope(vec![event("c12-remove", "group.user_membership.remove", "2026-11-29T12:00:00.000Z", &u, Some(&g))]);
    assert_eq!(settled(&t, Some(SECRET), remove).await.1["accepted"], 1);
    assert_eq!(device(&t).await.version, base.version + 1);
    // Reconciliation's conditional write fails, re-reads, merges and writes again.
    let wrote = fleet_sync::sync::write_merging(&t.stack.deps, ours, Some(base.clone()), &enabled).await.unwrap();
    assert!(wrote);
    let last = device(&t).await;
    assert_eq!(last.version, base.version + 2, "one conflict, re-applied on the fresh version");
    assert_eq!(last.os_version, "14.5", "reconciliation's change is there");
    assert!(last.owner_selected_groups.is_empty(), "the hook's change is there");
    assert_eq!(last.exclusion, Some(odt_shared::scope::Exclusion::NotInSelectedGroup));
}

#[tokio::test]
async fn a_delivery_over_one_part_is_kept_whole_and_its_redelivery_is_known() {
    let t = TestStack::start().await;
    hook_ready(&t).await;
    // 450 events the hook acts on: two inbox parts (400 a part), written in one transaction.
    let events: Vec<Value> = (0..450)
        .map(|i| {
            let at = format!("2026-11-29T12:{:02}:{:02}.000Z", i / 60, i % 60);
            event(&format!("big-{i}"), "group.user_membership.add", &at, "00uBIG", Some("00gOUTSIDE"))
        })
        .collect();
    let body = envelope(events);
    let (status, first) = post(&t, Some(SECRET), body.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["received"].clone(), first["accepted"].clone()), (json!(450), json!(450)), "{first}");
    let parts = t.stack.deps.store.list_inbox::<Value>(&t.tenant).await.unwrap();
    let sizes: Vec<usize> = parts.iter().map(|p| p.events.len()).collect();
    assert_eq!(sizes, [400, 50], "two parts, all the events");
    let (_, again) = post(&t, Some(SECRET), body).await;
    assert_eq!((again["duplicates"].clone(), again["accepted"].clone()), (json!(450), json!(0)), "{again}");
    t.stack.settle().await.expect("settles");
    assert!(t.stack.deps.store.event_applied(&t.tenant, "big-449").await.unwrap(), "the second part was applied too");
}

/// One delivery of one event to `deps` (an instance of the fleet-sync function) called as a library; its status.
async fn post_to(deps: &odt_shared::deps::Deps, tenant: &str, auth: &str, uuid: &str) -> u16 {
    let body = envelope(vec![event(uuid, "user.session.start", "2026-11-29T10:00:00.000Z", "00uX", None)]);
    let req = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("/hooks/okta/{tenant}"))
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(lambda_http::Body::from(body))
        .unwrap();
    fleet_sync::handle(deps, req).await.status().as_u16()
}

/// Fails if a warm instance read the hook record for every delivery (the old secret would be refused at once on
/// an instance that read the record before the rotation), if it kept the record past
/// `HOOK_RECORD_KEPT_SECS` (the old secret still accepted after it), if a new secret waited for the kept record
/// to expire (refused), or if the instance that saved the new secret kept answering from the old record.
#[tokio::test]
async fn a_rotated_hook_secret_is_in_force_at_once_here_and_within_seconds_on_other_instances() {
    let clock = odt_shared::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(move |cfg| cfg.clock = std::sync::Arc::new(c)).await;
    hook_ready(&t).await;
    let instance = || {
        let mut d = (*t.stack.deps).clone();
        d.warm = odt_shared::warm::Warm::default();
        d
    };
    let (early, late) = (instance(), instance());
    assert_eq!(post_to(&early, &t.tenant, SECRET, "rot-1").await, 200);
    assert_eq!(post_to(&late, &t.tenant, SECRET, "rot-2").await, 200);
    assert_eq!(post(&t, Some(SECRET), envelope(vec![])).await.0, 200, "the front's instance read the record too");

    const NEW: &str = "hook-secret-rotated-0123456789";
    let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": NEW}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let e = |u: &str| envelope(vec![event(u, "user.session.start", "2026-11-29T10:00:00.000Z", "00uX", None)]);
    assert_eq!(post(&t, Some(SECRET), e("rot-3")).await.0, 401, "the instance that saved it refuses the old at once");
    assert_eq!(post(&t, Some(NEW), e("rot-4")).await.0, 200);

    clock.advance(std::time::Duration::from_secs(fleet_sync::hooks::HOOK_RECORD_KEPT_SECS as u64 - 1));
    assert_eq!(post_to(&early, &t.tenant, SECRET, "rot-5").await, 200, "answered from the record it kept");
    assert_eq!(post_to(&early, &t.tenant, NEW, "rot-6").await, 200, "a new secret is checked against a fresh read");
    assert_eq!(post_to(&early, &t.tenant, SECRET, "rot-7").await, 401, "and the fresh read is kept");

    clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(post_to(&late, &t.tenant, SECRET, "rot-8").await, 401, "the kept record expired");
    assert_eq!(post_to(&late, &t.tenant, NEW, "rot-9").await, 200);
}

/// C28: Okta user `00u1` is renamed from a@ to b@ (a `user.account.update_profile` event, then a reconciliation)
/// while the UEM owner of its device still reads a@: the device stays in scope for `00u1` and keeps what it was
/// given; status names the mismatch; once the UEM owner reads b@ the note goes and nothing else changes.
#[tokio::test]
async fn c28_a_renamed_okta_user_keeps_its_device_and_status_names_the_mismatch() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let (uid, group) = ("00uRENAMED000000001", t.stack.okta.add_group("00gRENAME0000000001", "Renamed"));
    t.stack.okta.add_user(uid, "a@example.com", "a@example.com", "ACTIVE");
    t.stack.okta.add_member(&group, uid);
    t.stack.hexnode.add_user(5, "A", "a@example.com");
    let mut d = HexnodeDeviceSeed::new(88, "A's Mac", "macOS", Some(5));
    d.os_version = "14.1".into();
    t.stack.hexnode.add_device(d);
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    assert_eq!(t.call("POST", "/fleet/sync", Some(&t.admin()), None).await.body["inScope"], 1);
    hook_ready(&t).await;
    t.stack.settle().await.unwrap();
    let member = || {
        let g = t.stack.hexnode.group_named("Okta Device Trust - macOS").expect("the managed macOS group");
        g.members.contains(&88)
    };
    assert!(member(), "deployed before the rename");
    let status = || async {
        let page = t.call("GET", "/status/devices", Some(&t.technician()), None).await;
        page.body["items"].as_array().unwrap().iter().find(|d| d["deviceId"] == "88").cloned().unwrap()
    };

    t.stack.okta.add_user(uid, "b@example.com", "b@example.com", "ACTIVE");
    let renamed =
        envelope(vec![event("c28-rename", "user.account.update_profile", "2026-12-07T10:00:00.000Z", uid, None)]);
    let (_, body) = settled(&t, Some(SECRET), renamed).await;
    assert_eq!(body["accepted"], 1, "{body}");
    let rec = t.stack.deps.store.list_devices(&t.tenant).await.unwrap().into_iter().find(|d| d.device_id == "88");
    let rec = rec.unwrap();
    assert_eq!((rec.in_scope, rec.owner_email_mismatch.as_deref()), (true, Some("b@example.com")), "{rec:?}");
    let s = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!((s.body["inScope"].clone(), s.body["written"].clone()), (json!(1), json!(0)), "{}", s.text);
    t.stack.settle().await.unwrap();
    assert!(member(), "nothing removed from the device");
    let st = status().await;
    assert_eq!(
        (st["inScope"].clone(), st["ownerEmailMismatch"].clone()),
        (json!(true), json!("b@example.com")),
        "{st}"
    );

    // The UEM owner now reads b@: the note goes, and that is all that changes.
    t.stack.hexnode.add_user(5, "A", "b@example.com");
    let s = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!((s.body["inScope"].clone(), s.body["written"].clone()), (json!(1), json!(1)), "{}", s.text);
    t.stack.settle().await.unwrap();
    assert!(member());
    let st = status().await;
    assert!(st["ownerEmailMismatch"].is_null() && st["inScope"] == json!(true), "{st}");
    let rec = t.stack.deps.store.list_devices(&t.tenant).await.unwrap().into_iter().find(|d| d.device_id == "88");
    assert_eq!(rec.unwrap().okta_user_id.as_deref(), Some(uid));
}
