//! The fault suite's harness: sizes (`ODT_FAULTS_LONG=1` for the long run, `ODT_FAULTS_SEED` for the seed), a
//! stack on a manual clock (waits are recorded, not slept) with the AWS fault injectors, the fixture fleet, the
//! oracle, reconciliation until the oracle holds, and the one figures line per scenario.

use super::inject::{DdbFaults, SecretsOutage};
use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodeState};
use odt_doubles::okta::OktaState;
use odt_shared::clock::ManualClock;
use odt_shared::store::{DeviceRecord, Store};
use odt_tests::TestStack;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The fleet's selected Okta group.
pub const GROUP: &str = "00gFAULTFLEET0000001";
/// The event hook secret.
pub const HOOK_SECRET: &str = "faults-hook-secret-0123456789";

/// Whether the long run was asked for (`ODT_FAULTS_LONG=1`).
pub fn long() -> bool {
    std::env::var("ODT_FAULTS_LONG").is_ok_and(|v| v == "1")
}

/// `short` by default, `long` with `ODT_FAULTS_LONG=1`.
pub fn size(short: usize, long_run: usize) -> usize {
    if long() {
        long_run
    } else {
        short
    }
}

/// The run's seed (`ODT_FAULTS_SEED`, default fixed so a failure repeats).
pub fn seed() -> u64 {
    std::env::var("ODT_FAULTS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x0D7_FA17)
}

/// A stack on a manual clock, with the given injectors in the functions' AWS clients.
pub async fn stack(ddb: Option<&DdbFaults>, secrets: Option<&SecretsOutage>) -> (TestStack, ManualClock) {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(move |cfg| {
        cfg.clock = Arc::new(c);
        if let Some(d) = ddb {
            cfg.dynamodb_interceptors.push(d.interceptor());
        }
        if let Some(s) = secrets {
            cfg.secrets_interceptors.push(s.interceptor());
        }
    })
    .await;
    (t, clock)
}

/// The Okta user id of fixture person `i`.
pub fn okta_user(i: usize) -> String {
    format!("00uFAULT{i:012}")
}

/// The UEM device id of fixture device `i`.
pub fn device_id(i: usize) -> u64 {
    10_000 + i as u64
}

/// The fixture: `n` devices over the four platforms, one owner each, whose kind follows `i % 10`:
/// 0 no owner, 1 an owner Okta does not know, 2 an active Okta user outside the group, 3 a suspended member,
/// otherwise an active member. Device trust, the UEM, every platform and the fleet (the group) are set up.
/// Returns the Okta user indexes that exist (kinds 2 to 9).
pub async fn fleet(t: &TestStack, n: usize) -> Vec<usize> {
    t.ready_fleet().await;
    t.stack.okta.add_group(GROUP, "Device Trust");
    let mut people = Vec::new();
    for i in 0..n {
        let os = ["iOS", "Android", "macOS", "Windows"][i % 4];
        let email = format!("person{i}@acme.com");
        let kind = i % 10;
        let owner = if kind == 0 {
            None
        } else {
            t.stack.hexnode.add_user(100_000 + i as u64, &format!("Person {i}"), &email);
            Some(100_000 + i as u64)
        };
        if kind >= 2 {
            let status = if kind == 3 { "SUSPENDED" } else { "ACTIVE" };
            t.stack.okta.add_user(&okta_user(i), &email, &email, status);
            if kind != 2 {
                t.stack.okta.add_member(GROUP, &okta_user(i));
            }
            people.push(i);
        }
        let mut d = HexnodeDeviceSeed::new(device_id(i), &format!("Device {i}"), os, owner);
        if os == "Android" {
            d = d.with_android_enrollment("work_profile");
        }
        t.stack.hexnode.add_device(d);
    }
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    people
}

/// Takes user `user` out of group `group` on the Okta double.
pub fn remove_member(t: &TestStack, group: &str, user: &str) {
    if let Some(m) = t.stack.okta.lock().members.get_mut(group) {
        m.retain(|u| u != user);
    }
}

/// Sets user `user`'s status on the Okta double.
pub fn set_status(t: &TestStack, user: &str, status: &str) {
    if let Some(u) = t.stack.okta.lock().users.get_mut(user) {
        u["status"] = json!(status);
    }
}

/// What a device record must say, by the product's published scope rules (README, ARCHITECTURE "Scope"),
/// for the facts the fixture uses: owner, Okta user, group membership, user status, platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub in_scope: bool,
    /// The exclusion reason as the API writes it (`no_owner`, …), `None` in scope.
    pub exclusion: Option<String>,
    pub platform: Option<String>,
    pub okta_user_id: Option<String>,
}

/// The oracle: each device's expected record from the doubles' final data (the UEM inventory and its users;
/// Okta's users, with status, and the members of the selected groups). Every platform is on and every
/// fixture device runs a new enough OS, enrolled as the product requires.
pub fn oracle(okta: &OktaState, hexnode: &HexnodeState, selected: &[&str]) -> BTreeMap<String, Expected> {
    let norm = |s: &str| s.trim().to_lowercase();
    let mut out = BTreeMap::new();
    for d in hexnode.devices.values() {
        let platform = match d.os_name.to_lowercase().as_str() {
            "ios" | "ipados" => Some("ios"),
            "android" => Some("android"),
            "macos" | "mac os x" => Some("macos"),
            "windows" => Some("windows"),
            _ => None,
        }
        .map(str::to_string);
        let email = d.user_id.and_then(|u| hexnode.users.get(&u)).map(|u| norm(&u.email)).filter(|e| !e.is_empty());
        let user = email.as_ref().and_then(|e| {
            okta.users.values().find(|u| {
                u["profile"]["login"].as_str().map(norm).as_ref() == Some(e)
                    || u["profile"]["email"].as_str().map(norm).as_ref() == Some(e)
            })
        });
        let uid = user.and_then(|u| u["id"].as_str()).map(str::to_string);
        let member = uid
            .as_ref()
            .is_some_and(|id| selected.iter().any(|g| okta.members.get(*g).is_some_and(|m| m.iter().any(|x| x == id))));
        let exclusion = if email.is_none() {
            Some("no_owner")
        } else if user.is_none() {
            Some("owner_not_in_okta_org")
        } else if !member {
            Some("not_in_selected_group")
        } else if user.is_some_and(|u| u["status"] != "ACTIVE") {
            Some("owner_not_active")
        } else {
            None
        };
        out.insert(
            d.id.to_string(),
            Expected {
                in_scope: exclusion.is_none(),
                exclusion: exclusion.map(str::to_string),
                platform,
                okta_user_id: uid,
            },
        );
    }
    out
}

/// A store on a clean client (no injected faults), for assertions.
pub async fn clean_store(t: &TestStack) -> Store {
    let sdk = odt_shared::aws::load_config().await;
    Store::new(aws_sdk_dynamodb::Client::new(&sdk), t.stack.deps.store.table())
}

fn as_text(v: Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The device records that differ from the oracle (missing, extra or different), described, once the stream
/// consumers have applied everything written so far (accepted hook deliveries among it).
pub async fn mismatches(t: &TestStack) -> Vec<String> {
    t.stack.settle().await.expect("the stream consumers settle");
    let expected = {
        let okta = t.stack.okta.lock();
        let hexnode = t.stack.hexnode.lock();
        oracle(&okta, &hexnode, &[GROUP])
    };
    let records: BTreeMap<String, DeviceRecord> = clean_store(t)
        .await
        .list_devices(&t.tenant)
        .await
        .expect("list devices")
        .into_iter()
        .map(|r| (r.device_id.clone(), r))
        .collect();
    let mut out = Vec::new();
    for (id, e) in &expected {
        match records.get(id) {
            None => out.push(format!("{id}: no record, expected {e:?}")),
            Some(r) => {
                let got = Expected {
                    in_scope: r.in_scope,
                    exclusion: r.exclusion.and_then(|x| as_text(json!(x))),
                    platform: r.platform.and_then(|x| as_text(json!(x))),
                    okta_user_id: r.okta_user_id.clone(),
                };
                if &got != e {
                    out.push(format!("{id}: got {got:?}, expected {e:?}"));
                }
            }
        }
    }
    for id in records.keys().filter(|id| !expected.contains_key(*id)) {
        out.push(format!("{id}: a record for a device the UEM does not have"));
    }
    out
}

/// `POST /fleet/sync` once: the status and summary.
pub async fn sync(t: &TestStack) -> (u16, Value) {
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    (a.status, a.body)
}

/// After the faults stopped: reconciles (at most `max` runs) until the records match the oracle. Returns the
/// runs it took and the mismatches left (empty when the oracle holds).
pub async fn converge(t: &TestStack, max: usize) -> (usize, Vec<String>) {
    let mut left = mismatches(t).await;
    let mut runs = 0;
    while runs < max {
        runs += 1;
        let (status, body) = sync(t).await;
        assert_eq!(status, 200, "a reconciliation after the faults stopped fails: {body}");
        left = mismatches(t).await;
        if left.is_empty() && body["complete"] == true {
            break;
        }
    }
    (runs, left)
}

/// The figures of one scenario, printed as one line (`cargo test ... -- --nocapture` shows it).
#[derive(Debug, Default)]
pub struct Figures {
    pub faults: usize,
    pub deliveries: usize,
    pub requests: usize,
    pub devices: usize,
    pub mismatches: usize,
    pub uem_writes_duplicated: usize,
    pub reconciliations_after: usize,
}

impl Figures {
    /// Prints the line.
    pub fn print(&self, scenario: &str) {
        println!(
            "FAULTS {scenario}: faults injected {}, deliveries {}, requests {}, devices {}, mismatches {}, UEM writes duplicated {}, reconciliations after the faults {}",
            self.faults,
            self.deliveries,
            self.requests,
            self.devices,
            self.mismatches,
            self.uem_writes_duplicated,
            self.reconciliations_after
        );
    }
}

/// Requests the Okta and Hexnode doubles received.
pub fn requests(t: &TestStack) -> usize {
    t.stack.okta.lock().requests.len() + t.stack.hexnode.lock().requests.len()
}

/// Sets the event hook secret.
pub async fn hook_ready(t: &TestStack) {
    let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": HOOK_SECRET}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// Posts one delivery (with the hook secret) and answers the status.
pub async fn deliver(t: &TestStack, body: &[u8]) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant))
        .header("content-type", "application/json")
        .header("authorization", HOOK_SECRET)
        .body(body.to_vec())
        .send()
        .await
        .expect("the front answers")
        .status()
        .as_u16()
}

/// A System Log event as a hook carries it.
pub fn event(uuid: &str, event_type: &str, published: &str, user: &str, group: Option<&str>) -> Value {
    let mut target = vec![json!({"id": user, "type": "User", "alternateId": "u@acme.com", "displayName": "U"})];
    if let Some(g) = group {
        target.push(json!({"id": g, "type": "UserGroup", "alternateId": "unknown", "displayName": "Device Trust"}));
    }
    json!({"uuid": uuid, "published": published, "eventType": event_type, "version": "0", "severity": "INFO",
           "displayMessage": "event", "actor": {"id": "00uADMIN", "type": "User"}, "target": target})
}

/// A delivery envelope of `events`.
pub fn envelope(events: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
        "source": "https://acme.okta.com/api/v1/eventHooks/whoo0erni6PIVagJY0h7",
        "eventId": uuid::Uuid::new_v4().to_string(), "eventTime": "2026-11-29T10:00:05.000Z",
        "contentType": "application/json", "data": {"events": events},
    }))
    .expect("json")
}

/// The published time of the `k`-th generated event (strictly increasing, RFC 3339 with milliseconds).
pub fn published(k: usize) -> String {
    let t = time::macros::datetime!(2026-11-29 10:00:00 UTC) + time::Duration::milliseconds(k as i64 * 7);
    t.format(&time::format_description::well_known::Rfc3339).expect("rfc3339")
}

/// Generates `n` membership and user-state changes on the Okta double, returning their events in the order
/// they happened: a member added to or removed from the group (80%), a user suspended or unsuspended (20%).
pub fn okta_changes(t: &TestStack, rng: &mut fastrand::Rng, people: &[usize], n: usize, k0: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let i = people[rng.usize(..people.len())];
        let user = okta_user(i);
        let uuid = format!("evt{:06}x{}", k0 + k, uuid::Uuid::new_v4().simple());
        let at = published(k0 + k);
        if rng.f64() < 0.8 {
            let member = t.stack.okta.lock().members.get(GROUP).is_some_and(|m| m.contains(&user));
            if member {
                remove_member(t, GROUP, &user);
                out.push(event(&uuid, "group.user_membership.remove", &at, &user, Some(GROUP)));
            } else {
                t.stack.okta.add_member(GROUP, &user);
                out.push(event(&uuid, "group.user_membership.add", &at, &user, Some(GROUP)));
            }
        } else {
            let active = t.stack.okta.lock().users.get(&user).is_some_and(|u| u["status"] == "ACTIVE");
            if active {
                set_status(t, &user, "SUSPENDED");
                out.push(event(&uuid, "user.lifecycle.suspend", &at, &user, None));
            } else {
                set_status(t, &user, "ACTIVE");
                out.push(event(&uuid, "user.lifecycle.unsuspend", &at, &user, None));
            }
        }
    }
    out
}

/// Okta's delivery faults over `events`: batches of 1 to 5 events, 30% of deliveries sent twice, then every
/// delivery shuffled (reordered). Returns the deliveries' bodies.
pub fn scramble(rng: &mut fastrand::Rng, events: &[Value]) -> Vec<Vec<u8>> {
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let n = rng.usize(1..=5).min(events.len() - i);
        batches.push(events[i..i + n].to_vec());
        i += n;
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for b in &batches {
        let body = envelope(b);
        if rng.f64() < 0.3 {
            out.push(body.clone());
        }
        out.push(body);
    }
    rng.shuffle(&mut out);
    out
}

/// The real sample deliveries kept in `tests/fixtures/okta-hooks`.
pub fn real_samples() -> Vec<Vec<u8>> {
    [
        "01_okta-docs_user.session.start_envelope.json",
        "03_cruglobal_user.lifecycle.delete.initiated_envelope.json",
        "04_cruglobal_user.lifecycle.create_envelope.json",
    ]
    .iter()
    .map(|f| std::fs::read(format!("{}/fixtures/okta-hooks/{f}", env!("CARGO_MANIFEST_DIR"))).expect("sample"))
    .collect()
}
