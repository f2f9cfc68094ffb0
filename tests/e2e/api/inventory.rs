//! A UEM inventory too large for one run (issue 18, part 4): each run reads the pages its budget allows and
//! keeps them, the next resumes at the kept page, each page is read once, the schedule continues a kept read
//! even when its cadence says not due, and a device that moved to a page already read is not forgotten.

use fleet_sync::sync::{reconcile, reconcile_all, Budget};
use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_tests::TestStack;
use serde_json::json;

/// Devices (and owners) of the fleet: three pages of each at the client's 100 a page.
const N: u64 = 250;

fn device_id(i: u64) -> u64 {
    7000 + i
}

#[tokio::test]
async fn a_fleet_read_over_several_runs_reads_each_page_once_and_forgets_only_devices_the_uem_lost() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gINV000000000001", "Inventory");
    for i in 0..N {
        let email = format!("inv{i}@acme.com");
        let uid = format!("00uI{i:016}");
        t.stack.okta.add_user(&uid, &email, &email, "ACTIVE");
        t.stack.okta.add_member(&group, &uid);
        t.stack.hexnode.add_user(100_000 + i, &format!("User {i}"), &email);
        let d = HexnodeDeviceSeed::new(device_id(i), &format!("Device {i}"), "iOS", Some(100_000 + i));
        t.stack.hexnode.add_device(d);
    }
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let full = reconcile(&t.stack.deps, &t.tenant, Budget::default()).await.expect("first run");
    assert_eq!((full.complete, full.devices, full.in_scope, full.uem_pages_read), (true, N as usize, N as usize, 6));
    assert!(t.stack.deps.store.get_inventory_read(&t.tenant).await.unwrap().is_none(), "one run keeps nothing");

    let reads = || {
        let r = |p| t.stack.hexnode.requests_to(p).len();
        r("/api/v1/devices/?") + r("/api/v1/users/?")
    };
    let before = reads();
    let two_pages = Budget { max_pages: Some(2), ..Budget::default() };
    let a = reconcile(&t.stack.deps, &t.tenant, two_pages).await.expect("run a");
    assert_eq!((a.complete, a.devices, a.uem_pages_read), (false, 0, 2), "{a:?}");
    // The UEM loses device 5 (on the first page, already read): device 200 moves from the third page to the
    // second, also read, so the rest of the read never lists it.
    assert!(t.stack.hexnode.remove_device(device_id(5)));
    // It also loses device 245, on the page still to read.
    assert!(t.stack.hexnode.remove_device(device_id(245)));
    let b = reconcile(&t.stack.deps, &t.tenant, two_pages).await.expect("run b");
    assert_eq!((b.complete, b.devices, b.uem_pages_read), (false, 0, 4), "{b:?}");
    // The schedule goes on with a kept read although the last complete run is more recent than its cadence.
    let run = reconcile_all(&t.stack.deps, None).await.expect("scheduled run");
    assert_eq!((run.complete, run.not_due), (1, 0), "{run:?}");
    assert_eq!(reads() - before, 6, "every page of the read once, across the three runs");
    let mut exists: Vec<String> =
        t.stack.hexnode.requests_to("/api/v1/devices/7").into_iter().map(|r| r.path_and_query).collect();
    exists.sort();
    assert_eq!(exists, ["/api/v1/devices/7200/", "/api/v1/devices/7245/"], "each device the read did not list, once");

    let records = t.stack.deps.store.list_devices(&t.tenant).await.unwrap();
    let ids: std::collections::HashSet<String> = records.iter().map(|r| r.device_id.clone()).collect();
    assert!(!ids.contains(&device_id(245).to_string()), "the device the UEM lost is forgotten");
    assert!(ids.contains(&device_id(200).to_string()), "the device that moved pages is kept");
    assert!(ids.contains(&device_id(5).to_string()), "listed by a page read before it was lost: until the next read");
    assert_eq!(records.len(), N as usize - 1);
    assert!(t.stack.deps.store.get_inventory_read(&t.tenant).await.unwrap().is_none(), "the kept read is gone");

    // A read stopped at its deadline keeps what it read; the next run without one finishes from there.
    let soon = Budget { deadline: Some(std::time::Instant::now()), ..Budget::default() };
    let c = reconcile(&t.stack.deps, &t.tenant, soon).await.expect("run c");
    assert_eq!((c.complete, c.uem_pages_read), (false, 0), "{c:?}");
    let d = reconcile(&t.stack.deps, &t.tenant, Budget::default()).await.expect("run d");
    assert_eq!((d.complete, d.devices, d.written, d.removed), (true, N as usize - 2, 0, 1), "{d:?}");
}

/// A run that starts with the whole inventory kept and its whole invocation ahead, and still cannot read Okta's
/// side, stops where every run will: it says so (`stalled`), the schedule counts it, `GET /fleet` shows it until
/// a complete run, and a run that did not have its whole invocation (the last page read first, or not the
/// invocation's first tenant) never claims it.
#[tokio::test]
async fn a_run_with_its_whole_invocation_that_cannot_read_okta_says_it_stalled() {
    use odt_doubles::okta::OktaFault;
    use std::time::{Duration, Instant};
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gSTL000000000001", "Stall");
    for i in 0..150 {
        let email = format!("stl{i}@acme.com");
        let uid = format!("00uS{i:016}");
        t.stack.okta.add_user(&uid, &email, &email, "ACTIVE");
        t.stack.okta.add_member(&group, &uid);
        t.stack.hexnode.add_user(200_000 + i, &format!("User {i}"), &email);
        t.stack.hexnode.add_device(HexnodeDeviceSeed::new(9000 + i, &format!("D {i}"), "iOS", Some(200_000 + i)));
    }
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let stall_okta = || t.stack.okta.lock().fault_plan = vec![OktaFault::Stall(Duration::from_secs(30))].into();
    // A run gets 5 s after the save margin (the UEM's last pages, Okta's token); Okta's first read stalls 30.
    let short = |whole_invocation| Budget {
        deadline: Some(Instant::now() + fleet_sync::sync::SAVE_MARGIN + Duration::from_secs(5)),
        whole_invocation,
        ..Budget::default()
    };
    let fleet = || async { t.call("GET", "/fleet", Some(&t.admin()), None).await.body["reconciliation"].clone() };

    let a = reconcile(&t.stack.deps, &t.tenant, Budget { max_pages: Some(2), ..Budget::default() }).await.unwrap();
    assert_eq!((a.complete, a.uem_pages_read, a.stalled.as_deref()), (false, 2, None), "{a:?}");
    let r = fleet().await;
    assert_eq!((r["inventoryPagesKept"].as_u64(), r["inventoryComplete"].as_bool()), (Some(2), Some(false)), "{r}");
    // The last pages, then Okta stalls: this run spent part of its invocation on the UEM, so no claim.
    stall_okta();
    let b = reconcile(&t.stack.deps, &t.tenant, short(true)).await.unwrap();
    assert_eq!((b.complete, b.uem_pages_read, b.stalled.as_deref()), (false, 4, None), "{b:?}");
    assert_eq!(fleet().await["inventoryComplete"], json!(true));
    // With the whole inventory in hand, a run that is not its invocation's first (an admin's sync) claims nothing.
    stall_okta();
    let c = reconcile(&t.stack.deps, &t.tenant, short(false)).await.unwrap();
    assert_eq!((c.complete, c.stalled.as_deref()), (false, None), "{c:?}");
    // The schedule's first tenant has its whole invocation: it stalled.
    stall_okta();
    let deadline = Instant::now() + fleet_sync::sync::SAVE_MARGIN + Duration::from_secs(5);
    let run = reconcile_all(&t.stack.deps, Some(deadline)).await.unwrap();
    assert_eq!((run.stalled, run.complete), (1, 0), "{run:?}");
    let r = fleet().await;
    assert!(r["stalled"].as_str().is_some_and(|s| s.contains("longer than one invocation")), "{r}");
    assert!(r["stalledAt"].is_string() && r["nextRereadAt"].is_null(), "{r}");
    // A run that gets through completes, clears the stall, and the next re-read has a time.
    let d = reconcile(&t.stack.deps, &t.tenant, Budget::default()).await.unwrap();
    assert_eq!((d.complete, d.devices, d.stalled.as_deref()), (true, 150, None), "{d:?}");
    let r = fleet().await;
    assert!(r["stalled"].is_null() && r["lastCompleteAt"].is_string() && r["nextRereadAt"].is_string(), "{r}");
    assert_eq!((r["inventoryPagesKept"].as_u64(), r["running"].as_bool()), (Some(0), Some(false)), "{r}");
}
