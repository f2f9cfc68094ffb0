//! The UEM call budget (issue 18, "Pacing and budget"): every invocation of every function draws from one per-tenant
//! budget in DynamoDB, below the product's share of the UEM's per-minute rate, and counts every request sent
//! against the day's budget, which serves deployment before evidence before full re-reads. Judged by what the
//! Hexnode double received, stamped with the same clock the product waits through.

use fleet_sync::sync::{reconcile, Budget};
use odt_doubles::hexnode::{HexnodeDeviceSeed, StampClock};
use odt_shared::clock::{utc_day, Clock, ManualClock};
use odt_shared::deps::Deps;
use odt_shared::pacing::{CallClass, LocalPace, UemLimits};
use odt_tests::TestStack;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Another warm instance of the functions: the same table and clock, its own local pace.
fn another_instance(t: &TestStack) -> Deps {
    let mut d = t.stack.deps.as_ref().clone();
    d.uem_pace = LocalPace::default();
    d
}

/// Requests the double received per minute (by its stamps).
fn per_minute(t: &TestStack) -> BTreeMap<i64, usize> {
    let mut m = BTreeMap::new();
    for r in t.stack.hexnode.lock().requests.iter() {
        *m.entry(r.at.div_euclid(60)).or_default() += 1;
    }
    m
}

/// Calls the store counted for this tenant on every day the double's stamps span.
async fn counted(t: &TestStack) -> u64 {
    let days: BTreeSet<String> = t
        .stack
        .hexnode
        .lock()
        .requests
        .iter()
        .map(|r| utc_day(time::OffsetDateTime::from_unix_timestamp(r.at).expect("stamp")))
        .collect();
    let mut n = 0;
    for d in days {
        n += t.stack.deps.store.uem_calls_on(&t.tenant, &d).await.expect("count");
    }
    n
}

#[tokio::test]
async fn two_instances_share_the_tenants_minute_budget_and_every_request_is_counted() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    // Hexnode's account rate of 6 a minute: the product's default half is 3 a minute, for all instances together.
    let t = TestStack::start_with(|cfg| {
        cfg.clock = Arc::new(c);
        cfg.uem_limits = UemLimits { per_minute: 6, per_device_per_day: 100_000 };
    })
    .await;
    let c = clock.clone();
    t.stack.hexnode.lock().clock = Some(StampClock(Arc::new(move || c.now().unix_timestamp())));
    t.connect_uem().await;
    // Two throttled answers on the way: each retry is a request, admitted and counted too.
    t.stack.hexnode.lock().throttled.extend([2.0, 2.0]);
    let (a, b) = (another_instance(&t), another_instance(&t));
    let (ua, ub) = (
        a.connected_uem(&t.tenant, CallClass::Deployment).await.expect("uem a"),
        b.connected_uem(&t.tenant, CallClass::Evidence).await.expect("uem b"),
    );
    // The two instances take turns (on a manual clock, a task waiting would move the time under the other's
    // request): each keeps its own local pace, and only the shared budget holds them to 3 a minute together.
    for _ in 0..6 {
        ua.device_groups().await.expect("read a");
        ub.device_groups().await.expect("read b");
    }

    let minutes = per_minute(&t);
    let sent: usize = minutes.values().sum();
    assert_eq!(sent, 1 + 12 + 2, "the verify call, 12 reads and 2 retries after a 429: {minutes:?}");
    assert!(minutes.values().all(|n| *n <= 3), "never more than the share in a minute: {minutes:?}");
    assert!(minutes.len() >= 5, "15 requests at 3 a minute span at least 5 minutes: {minutes:?}");
    assert_eq!(counted(&t).await, sent as u64, "every request sent is counted, 429s included");
}

#[tokio::test]
async fn a_short_day_pauses_full_rereads_first_says_so_and_keeps_the_admins_changes_going() {
    // 10 devices at 100 calls each a day: 1,000 for the account, 500 for the product, full re-reads up to 350.
    let t =
        TestStack::start_with(|cfg| cfg.uem_limits = UemLimits { per_minute: 600_000, per_device_per_day: 100 }).await;
    t.ready_device_trust().await;
    t.connect_uem().await;
    for n in 0..10u64 {
        t.stack.hexnode.add_device(HexnodeDeviceSeed::new(700 + n, &format!("Mac {n}"), "macOS", None));
    }
    let a = t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": []}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let uem = t.call("GET", "/uem", Some(&t.technician()), None).await;
    let b = &uem.body["callBudget"];
    assert_eq!(
        (b["managedDevices"].as_u64(), b["perDay"].as_u64(), b["perMinute"].as_u64()),
        (Some(10), Some(500), Some(300_000)),
        "{b}"
    );
    assert_eq!(b["short"], false, "{b}");
    let used = b["usedToday"].as_u64().expect("usedToday");
    assert_eq!(used, counted(&t).await, "{b}");
    assert_eq!(used as usize, t.stack.hexnode.lock().requests.len(), "the count is what the UEM received: {b}");

    // Other invocations used the day up to the full re-reads' part.
    let day = utc_day(t.stack.deps.clock.now());
    for _ in used..350 {
        t.stack.deps.store.take_uem_day(&t.tenant, &day, None).await.expect("count");
    }
    let before = t.stack.hexnode.lock().requests.len();
    let e = reconcile(&t.stack.deps, &t.tenant, Budget { calls: CallClass::Reread, ..Budget::default() })
        .await
        .expect_err("a re-read past its part waits for tomorrow");
    let api = odt_shared::ApiError::from(e);
    assert_eq!((api.status.as_u16(), api.code), (503, "uem_budget_spent"), "{api:?}");
    assert_eq!(api.details.get("callClass"), Some(&json!("reread")));
    assert_eq!(t.stack.hexnode.lock().requests.len(), before, "nothing was sent past the budget");

    let uem = t.call("GET", "/uem", Some(&t.technician()), None).await;
    let b = &uem.body["callBudget"];
    assert_eq!((b["short"].as_bool(), b["paused"].clone()), (Some(true), json!(["reread"])), "{b}");
    assert!(b["message"].as_str().is_some_and(|m| m.contains("350 of the product's 500")), "{b}");
    let status = t.call("GET", "/status", Some(&t.technician()), None).await;
    assert_eq!(status.body["uemBudget"]["paused"], json!(["reread"]), "{}", status.text);

    // The admin's own run is deployment: it still reaches the UEM.
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(t.stack.hexnode.lock().requests.len() > before);

    // The share is the admin's setting: checked as a whole percent, then used at once.
    for bad in [json!(0), json!(101), json!(50.5), json!("50")] {
        let body = json!({"portalUrl": format!("https://{}", t.stack.hexnode_portal), "callSharePercent": bad});
        let a = t.call("PUT", "/uem", Some(&t.admin()), Some(body)).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.text);
        assert_eq!(a.body["error"]["field"], "callSharePercent", "{bad}: {}", a.text);
    }
    let body = json!({"portalUrl": format!("https://{}", t.stack.hexnode_portal), "callSharePercent": 100});
    let a = t.call("PUT", "/uem", Some(&t.admin()), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let b = &a.body["callBudget"];
    assert_eq!(
        (b["sharePercent"].as_u64(), b["perDay"].as_u64(), b["short"].as_bool()),
        (Some(100), Some(1000), Some(false)),
        "{b}"
    );
    let reread = Budget { calls: CallClass::Reread, ..Budget::default() };
    let s = reconcile(&t.stack.deps, &t.tenant, reread).await.expect("a re-read within the larger share");
    assert!(s.complete, "{s:?}");
}
