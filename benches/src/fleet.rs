//! A synthetic fleet on a local stack (`odt_tests::TestStack`): device trust, the UEM and all four platforms set
//! up through the API, then `n` owners and devices seeded into the Okta and Hexnode doubles, and a selection of
//! Okta groups and one UEM device group saved. Also the figures a reconciliation is judged by: the minimum
//! number of Okta pages and UEM calls, and a snapshot of the tenant's items to count DynamoDB writes.

use crate::{device_os, okta_group_id, okta_user_id, owner_email, owner_group, owner_in_okta, owner_status};
use aws_sdk_dynamodb::types::AttributeValue;
use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_tests::TestStack;
use serde_json::json;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The UEM device group the fleet selects (every 50th device is in it).
pub const UEM_GROUP: u64 = 7;

/// Hexnode device id of synthetic device `i`.
pub fn device_id(i: usize) -> u64 {
    100_000 + i as u64
}

/// Seeds `n` owners and devices and `groups` Okta groups; selects the first `selected` groups (owners are
/// spread over those; the other groups stay empty) and the UEM group. Owner `i` is Hexnode user `i + 1`; device `i` is theirs (1 in 100 has no owner).
pub async fn seed(t: &TestStack, n: usize, groups: usize, selected: usize) -> anyhow::Result<()> {
    for g in 0..groups {
        t.stack.okta.add_group(&okta_group_id(g), &format!("Bench group {g}"));
    }
    {
        let mut s = t.stack.okta.lock();
        for i in (0..n).filter(|i| owner_in_okta(*i)) {
            let id = okta_user_id(i);
            let email = owner_email(i);
            s.users.insert(
                id.clone(),
                json!({"id": id, "status": owner_status(i), "created": "2024-01-01T00:00:00.000Z",
                       "profile": {"login": email, "email": email, "firstName": "User", "lastName": i.to_string()}}),
            );
            if let Some(g) = owner_group(i, selected.min(groups)) {
                s.members.entry(okta_group_id(g)).or_default().push(id);
            }
        }
    }
    t.stack.hexnode.add_group(UEM_GROUP, "Bench device group");
    {
        let mut s = t.stack.hexnode.lock();
        for i in 0..n {
            s.users.insert(
                i as u64 + 1,
                odt_doubles::hexnode::HexnodeUser {
                    id: i as u64 + 1,
                    name: format!("User {i}"),
                    email: owner_email(i),
                },
            );
            let (os, version) = device_os(i);
            let owner = (i % 100 != 42).then_some(i as u64 + 1);
            let mut d = HexnodeDeviceSeed::new(device_id(i), &format!("Device {i}"), os, owner);
            d.os_version = version.to_string();
            if os == "Android" {
                d = d.with_android_enrollment("work_profile");
            }
            s.devices.insert(d.id, d);
            if i % 50 == 0 {
                if let Some(g) = s.groups.get_mut(&UEM_GROUP) {
                    g.members.push(device_id(i));
                }
            }
        }
    }
    let sel: Vec<String> = (0..selected.min(groups)).map(okta_group_id).collect();
    let a = t
        .call(
            "PUT",
            "/fleet",
            Some(&t.admin()),
            Some(json!({"oktaGroupIds": sel, "uemDeviceGroupIds": [UEM_GROUP.to_string()]})),
        )
        .await;
    anyhow::ensure!(a.status == 200, "PUT /fleet: {}", a.text);
    Ok(())
}

/// The fewest Okta API pages one reconciliation can read: every active-user page, the deprovisioned-user
/// search (at least one page), and every page of each selected group's members (at least one per group).
pub fn min_okta_pages(t: &TestStack, selected: &[String]) -> usize {
    let s = t.stack.okta.lock();
    let pages = |n: usize| n.div_ceil(s.max_page).max(1);
    let active = s.users.values().filter(|u| u["status"] != "DEPROVISIONED").count();
    let deprovisioned = s.users.len() - active;
    pages(active)
        + pages(deprovisioned)
        + selected.iter().map(|g| pages(s.members.get(g).map(Vec::len).unwrap_or(0))).sum::<usize>()
}

/// The fewest Hexnode calls one reconciliation can make: every page of devices and of users (100 a page, the
/// client's `per_page`), and one read of each selected device group.
pub fn min_uem_calls(t: &TestStack, selected_groups: usize) -> usize {
    let s = t.stack.hexnode.lock();
    let per_page = s.max_per_page.min(100);
    s.devices.len().div_ceil(per_page).max(1) + s.users.len().div_ceil(per_page).max(1) + selected_groups
}

/// The tenant's items as `sk → hash of the whole item`: two snapshots differ in one entry per item written,
/// added or deleted. This is how the harness counts DynamoDB writes (it reads the table; it does not hook the
/// product's client).
pub async fn snapshot(t: &TestStack) -> anyhow::Result<HashMap<String, u64>> {
    let ddb = aws_sdk_dynamodb::Client::new(&odt_shared::aws::load_config().await);
    let mut out = HashMap::new();
    let mut start = None;
    loop {
        let page = ddb
            .query()
            .table_name(t.stack.deps.store.table())
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("T#{}", t.tenant)))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for item in page.items() {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let mut h = DefaultHasher::new();
            canonical(&AttributeValue::M(item.clone())).hash(&mut h);
            out.insert(sk, h.finish());
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(out);
        }
    }
}

/// An attribute value as text with map keys sorted (the SDK's maps iterate in no fixed order).
fn canonical(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.into_iter().map(|k| format!("{k:?}:{}", canonical(&m[k]))).collect();
            format!("{{{}}}", parts.join(","))
        }
        AttributeValue::L(l) => format!("[{}]", l.iter().map(canonical).collect::<Vec<_>>().join(",")),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            format!("{s:?}")
        }
        other => format!("{other:?}"),
    }
}

/// Items written, added or deleted between two snapshots.
/// With `ODT_BENCH_DEBUG` set, the first few keys written are printed to stderr.
pub fn writes_between(before: &HashMap<String, u64>, after: &HashMap<String, u64>) -> usize {
    let mut keys: Vec<&String> = after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, _)| k).collect();
    keys.extend(before.keys().filter(|k| !after.contains_key(*k)));
    if std::env::var_os("ODT_BENCH_DEBUG").is_some() {
        keys.sort();
        eprintln!("written: {:?}", keys.iter().take(20).collect::<Vec<_>>());
    }
    keys.len()
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat` (0 where unavailable).
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line; field k is at index k - 3 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}
