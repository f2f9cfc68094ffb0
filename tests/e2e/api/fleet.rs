//! The fleet: UEM connection, selection by id, preview, reconciliation (cases C07, C10, C11, C18), writes only
//! on change, removal of vanished devices, resume from a checkpoint.

use fleet_sync::sync::{reconcile, Budget};
use odt_doubles::hexnode::HexnodeDeviceSeed;
use odt_shared::clock::{Clock, ManualClock};
use odt_tests::TestStack;
use serde_json::{json, Value};

fn okta_user(t: &TestStack, n: u32, email: &str, status: &str) -> String {
    let id = format!("00uF{n:016}");
    t.stack.okta.add_user(&id, email, email, status);
    id
}

fn hex_user(t: &TestStack, id: u64, email: &str) {
    t.stack.hexnode.add_user(id, &format!("User {id}"), email);
}

fn hex_device(t: &TestStack, id: u64, os: &str, version: &str, owner: Option<u64>) {
    let mut d = HexnodeDeviceSeed::new(id, &format!("Device {id}"), os, owner);
    d.os_version = version.to_string();
    if os == "Android" {
        d = d.with_android_enrollment("work_profile");
    }
    t.stack.hexnode.add_device(d);
}

async fn sync(t: &TestStack) -> Value {
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

#[tokio::test]
async fn uem_connection_verifies_the_key_before_storing_it() {
    let t = TestStack::start().await;
    let admin = t.admin();
    let portal = format!("https://{}", t.stack.hexnode_portal);
    let a = t.call("PUT", "/uem", Some(&admin), Some(json!({"portalUrl": portal, "apiKey": "wrong-key"}))).await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("apiKey")), "{}", a.text);
    for bad in [
        "https://acme.hexnodemdm.com.evil.com",
        "http://acme.hexnodemdm.com",
        "https://127.0.0.1",
        "https://acme.okta.com",
    ] {
        let a = t.call("PUT", "/uem", Some(&admin), Some(json!({"portalUrl": bad, "apiKey": "k"}))).await;
        assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("portalUrl")), "{bad}: {}", a.text);
    }
    assert_eq!(t.call("GET", "/uem", Some(&t.technician()), None).await.body["state"], "not_connected");
    let ok = t.connect_uem().await;
    assert_eq!(ok["state"], "connected");
    assert_eq!(ok["apiKey"]["set"], true);
    let seen = t.call("GET", "/uem", Some(&t.technician()), None).await.text;
    assert!(!seen.contains(&t.stack.hexnode_api_key) && !ok.to_string().contains(&t.stack.hexnode_api_key));
    assert!(!odt_tests::captured_logs().contains(&t.stack.hexnode_api_key));
    let a = t.call("PUT", "/uem", Some(&t.technician()), Some(json!({"portalUrl": portal}))).await;
    assert_eq!(a.status, 403);
    // The stored key never goes to another portal: a new portal needs its key.
    let before = t.stack.hexnode.lock().requests.len();
    let a = t.call("PUT", "/uem", Some(&admin), Some(json!({"portalUrl": "https://other.hexnodemdm.com"}))).await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("apiKey")), "{}", a.text);
    let a = t.call("PUT", "/uem", Some(&admin), Some(json!({"portalUrl": portal, "version": 1}))).await;
    assert_eq!(a.status, 200, "same portal, stored key: {}", a.text);
    assert_eq!(t.stack.hexnode.lock().requests.len(), before + 1, "one verification call, to the same portal");
}

#[tokio::test]
async fn c18_device_group_of_six_with_four_okta_owners_puts_exactly_four_in_scope() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let emails = ["ana@acme.com", "ben@acme.com", "cy@acme.com", "di@acme.com", "ext1@partner.com", "ext2@partner.com"];
    for (i, e) in emails.iter().enumerate() {
        if i < 4 {
            okta_user(&t, i as u32, e, "ACTIVE");
        }
        hex_user(&t, 100 + i as u64, e);
        hex_device(&t, 1000 + i as u64, "macOS", "14.2", Some(100 + i as u64));
    }
    t.stack.hexnode.add_group(7, "Sales Macs");
    for i in 0..6 {
        t.stack.hexnode.add_to_group(7, 1000 + i);
    }
    let preview = t
        .call(
            "POST",
            "/fleet/preview",
            Some(&t.technician()),
            Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": ["7"]})),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.body["inScope"], 4);
    assert_eq!(preview.body["excluded"], json!({"owner_not_in_okta_org": 2}));
    assert_eq!(preview.body["sample"].as_array().unwrap().len(), 6);
    assert_eq!(t.call("GET", "/fleet", Some(&t.admin()), None).await.body["version"], 0, "a preview writes nothing");
    let a = t
        .call(
            "PUT",
            "/fleet",
            Some(&t.admin()),
            Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": ["7"], "version": 0})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let s = sync(&t).await;
    assert_eq!((s["devices"].clone(), s["inScope"].clone(), s["written"].clone()), (json!(6), json!(4), json!(6)));
    let records = t.stack.deps.store.list_devices(&t.tenant).await.unwrap();
    let in_scope: Vec<&str> = records.iter().filter(|r| r.in_scope).map(|r| r.device_id.as_str()).collect();
    assert_eq!(in_scope, vec!["1000", "1001", "1002", "1003"]);
    assert!(records
        .iter()
        .filter(|r| r.in_scope)
        .all(|r| r.desired_payload_hash.as_ref().is_some_and(|h| h.len() == 64)));
}

#[tokio::test]
async fn unknown_or_malformed_group_ids_are_named_and_nothing_is_stored() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    t.stack.okta.add_group("00gREAL000000000001", "Real");
    let a = t
        .call(
            "PUT",
            "/fleet",
            Some(&t.admin()),
            Some(json!({"oktaGroupIds": ["00gREAL000000000001", "00gNOPE"], "uemDeviceGroupIds": []})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["field"], "oktaGroupIds");
    assert_eq!(a.body["error"]["unknownIds"], json!(["00gNOPE"]));
    let a =
        t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": ["99"]}))).await;
    assert_eq!((a.status, a.body["error"]["unknownIds"].clone()), (400, json!(["99"])));
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": ["../x"], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("oktaGroupIds")));
    assert_eq!(t.call("GET", "/fleet", Some(&t.admin()), None).await.body["version"], 0);
    let a = t
        .call("PUT", "/fleet", Some(&t.technician()), Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 403);
}

#[tokio::test]
async fn c10_backfill_c11_late_owner_c07_rename_and_writes_only_on_change() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gSALES00000000001", "Sales");
    // C10: 50 devices that existed in the UEM before Okta was connected.
    for i in 0..50u32 {
        let email = format!("rep{i}@acme.com");
        let uid = okta_user(&t, i, &email, "ACTIVE");
        t.stack.okta.add_member(&group, &uid);
        hex_user(&t, 200 + i as u64, &email);
        let (os, v) =
            [("iOS", "17.2"), ("Android", "14"), ("macOS", "14.1"), ("Windows", "10.0.22631")][i as usize % 4];
        hex_device(&t, 2000 + i as u64, os, v, Some(200 + i as u64));
    }
    // C11: a device whose owner is not in Okta yet.
    hex_user(&t, 900, "new.hire@example.com");
    hex_device(&t, 2900, "iOS", "17.0", Some(900));
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let first = sync(&t).await;
    assert_eq!(first["inScope"], 50, "{first}");
    assert_eq!(first["excluded"], json!({"owner_not_in_okta_org": 1}));
    assert_eq!(first["written"], 51);
    // Nothing changed: nothing written.
    let again = sync(&t).await;
    assert_eq!((again["written"].clone(), again["complete"].clone()), (json!(0), json!(true)));
    // C07: a renamed group changes nothing.
    t.stack.okta.rename_group(&group, "Sales EMEA");
    assert_eq!(sync(&t).await["written"], 0);
    // C11: the new hire appears in Okta and in the group.
    let uid = okta_user(&t, 900, "new.hire@example.com", "ACTIVE");
    t.stack.okta.add_member(&group, &uid);
    let later = sync(&t).await;
    assert_eq!((later["inScope"].clone(), later["written"].clone()), (json!(51), json!(1)));
    // One device upgraded, one gone from the UEM.
    t.stack.hexnode.lock().devices.get_mut(&2001).unwrap().os_version = "15".into();
    t.stack.hexnode.remove_device(2002);
    let s = sync(&t).await;
    assert_eq!((s["written"].clone(), s["removed"].clone(), s["devices"].clone()), (json!(1), json!(1), json!(50)));
}

#[tokio::test]
async fn every_exclusion_reason_is_recorded() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gALL000000000001", "All");
    let cases: [(u64, &str, &str, &str, &str); 9] = [
        (1, "ok@acme.com", "ACTIVE", "iOS", "17.0"),
        (2, "", "ACTIVE", "iOS", "17.0"),
        (3, "stranger@else.com", "", "iOS", "17.0"),
        (4, "suspended@acme.com", "SUSPENDED", "iOS", "17.0"),
        (5, "old@acme.com", "ACTIVE", "iOS", "15.7"),
        (6, "legacy@acme.com", "ACTIVE", "Android", "13"),
        (7, "tv@acme.com", "ACTIVE", "tvOS", "17.0"),
        (8, "outside@acme.com", "ACTIVE", "macOS", "14.0"),
        (9, "pc@acme.com", "ACTIVE", "Windows", "10.0.19045"),
    ];
    for (n, email, status, os, v) in cases {
        if !email.is_empty() {
            t.stack.hexnode.add_user(n, &format!("U{n}"), email);
        }
        if !status.is_empty() {
            let uid = okta_user(&t, n as u32, email, status);
            if n != 8 {
                t.stack.okta.add_member(&group, &uid);
            }
        }
        let mut d = HexnodeDeviceSeed::new(100 + n, &format!("D{n}"), os, (!email.is_empty()).then_some(n));
        d.os_version = v.into();
        if n == 6 {
            d = d.with_android_enrollment("device_admin");
        }
        t.stack.hexnode.add_device(d);
    }
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    t.call("PUT", "/platforms/windows/enabled", Some(&t.admin()), Some(json!({"enabled": false}))).await;
    let s = sync(&t).await;
    assert_eq!(s["inScope"], 1, "{s}");
    assert_eq!(
        s["excluded"],
        json!({"no_owner": 1, "owner_not_in_okta_org": 1, "owner_not_active": 1, "os_too_old": 1,
               "not_android_enterprise": 1, "platform_unsupported": 1, "not_in_selected_group": 1,
               "platform_disabled": 1})
    );
}

#[tokio::test]
async fn a_run_out_of_budget_leaves_a_checkpoint_and_the_next_resumes() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gBIG0000000000001", "Big");
    for i in 0..10u32 {
        let email = format!("p{i}@acme.com");
        let uid = okta_user(&t, i, &email, "ACTIVE");
        t.stack.okta.add_member(&group, &uid);
        hex_user(&t, 300 + i as u64, &email);
        hex_device(&t, 3000 + i as u64, "macOS", "14.0", Some(300 + i as u64));
    }
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    let tiny = Budget { deadline: None, max_devices: Some(4), ..Budget::default() };
    let mut runs = Vec::new();
    loop {
        let s = reconcile(&t.stack.deps, &t.tenant, tiny).await.expect("run");
        runs.push(s.clone());
        if s.complete || runs.len() > 5 {
            break;
        }
    }
    assert_eq!(runs.len(), 3, "4 + 4 + 2 devices: {runs:?}");
    assert_eq!(runs[0].resumed_after, None);
    assert_eq!(runs[1].resumed_after.as_deref(), Some("3003"));
    assert_eq!(runs[2].resumed_after.as_deref(), Some("3007"));
    assert_eq!(runs.iter().map(|r| r.written).sum::<usize>(), 10, "each device written once");
    assert_eq!(runs[2].in_scope, 10, "the last run counts the whole fleet");
    let full = reconcile(&t.stack.deps, &t.tenant, Budget::default()).await.unwrap();
    assert_eq!((full.written, full.resumed_after, full.complete), (0, None, true), "the checkpoint was cleared");
}

#[tokio::test]
async fn the_schedule_reconciles_every_tenant_and_one_failing_tenant_blocks_none() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gSCHED00000000001", "Scheduled");
    let uid = okta_user(&t, 1, "s@acme.com", "ACTIVE");
    t.stack.okta.add_member(&group, &uid);
    hex_user(&t, 1, "s@acme.com");
    hex_device(&t, 5000, "iOS", "17.1", Some(1));
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    // A second tenant with device trust but no UEM connected yet.
    let other = t.stack.token("second-tenant", "admin");
    let (id, secret) = t.oin_client(&odt_tests::ALL_SCOPES);
    let org = t.call("POST", "/okta-orgs", Some(&other), Some(odt_tests::connect_body(&t.domain, &id, &secret))).await;
    assert_eq!(org.status, 201, "{}", org.text);
    t.call("PUT", "/device-trust", Some(&other), Some(json!({"oktaOrgId": org.body["id"]}))).await;
    let run = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!((run.tenants, run.complete, run.failed), (2, 1, 1), "{run:?}");
    let records = t.stack.deps.store.list_devices(&t.tenant).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].in_scope);
    // The tenant just re-read is not due again before its cadence (the schedule's period for one device here).
    let again = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!((again.complete, again.not_due, again.failed), (0, 1, 1), "{again:?}");
}

#[tokio::test]
async fn two_runs_of_one_tenant_never_overlap_and_a_dead_runs_lease_expires() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(|cfg| cfg.clock = std::sync::Arc::new(c)).await;
    t.ready_fleet().await;
    let uid = okta_user(&t, 1, "lease@acme.com", "ACTIVE");
    let group = t.stack.okta.add_group("00gLEASE00000000001", "Lease");
    t.stack.okta.add_member(&group, &uid);
    hex_user(&t, 1, "lease@acme.com");
    hex_device(&t, 5100, "iOS", "17.1", Some(1));
    t.call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []}))).await;
    // Another run holds the lease (taken as a run on another instance would take it).
    let now = clock.now().unix_timestamp();
    let lease = t.stack.deps.store.take_sync_lease(&t.tenant, "other-run", now, now + fleet_sync::sync::LEASE_SECS);
    assert_eq!(lease.await.unwrap(), Ok(()));
    let reads = t.stack.hexnode.lock().requests.len();
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (409, Some("reconciliation_running")), "{}", a.text);
    let run = fleet_sync::sync::reconcile_all(&t.stack.deps, None).await.unwrap();
    assert_eq!((run.running, run.complete), (1, 0), "the schedule leaves the tenant to the running run: {run:?}");
    assert_eq!(t.stack.hexnode.lock().requests.len(), reads, "no second run read the UEM");
    assert!(t.stack.deps.store.list_devices(&t.tenant).await.unwrap().is_empty());
    // The other run died: its lease expires and the next run takes over, then gives the lease back.
    clock.advance(std::time::Duration::from_secs(fleet_sync::sync::LEASE_SECS as u64));
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(t.stack.deps.store.list_devices(&t.tenant).await.unwrap().len(), 1);
    let rec = t.stack.deps.store.get_sync_run(&t.tenant).await.unwrap();
    assert_eq!((rec.holder, rec.lease_until), (None, 0), "given back");
    assert_eq!(rec.last_complete_at, Some(clock.now().unix_timestamp()));
}

#[tokio::test]
async fn owners_in_the_org_are_known_whatever_the_selection_including_deprovisioned_ones() {
    let t = TestStack::start().await;
    t.ready_fleet().await;
    let group = t.stack.okta.add_group("00gSEL0000000000001", "Selected");
    for (n, status) in [(1u32, "ACTIVE"), (2, "DEPROVISIONED"), (3, "SUSPENDED")] {
        let email = format!("o{n}@acme.com");
        okta_user(&t, n, &email, status);
        hex_user(&t, n as u64, &email);
        hex_device(&t, 6000 + n as u64, "iOS", "17.1", Some(n as u64));
    }
    hex_user(&t, 9, "stranger@else.com");
    hex_device(&t, 6009, "iOS", "17.1", Some(9));
    let none = t
        .call("POST", "/fleet/preview", Some(&t.admin()), Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": []})))
        .await;
    let with = t
        .call(
            "POST",
            "/fleet/preview",
            Some(&t.admin()),
            Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []})),
        )
        .await;
    assert_eq!(none.body["excluded"]["owner_not_in_okta_org"], 1, "{}", none.text);
    assert_eq!(with.body["excluded"]["owner_not_in_okta_org"], 1, "{}", with.text);
    // With the deprovisioned owner's devices selected by device group, the reason is the owner's state.
    t.stack.hexnode.add_group(8, "Phones");
    t.stack.hexnode.add_to_group(8, 6002);
    let by_device = t
        .call("POST", "/fleet/preview", Some(&t.admin()), Some(json!({"oktaGroupIds": [], "uemDeviceGroupIds": ["8"]})))
        .await;
    assert_eq!(by_device.body["excluded"]["owner_not_active"], 1, "{}", by_device.text);
}

#[tokio::test]
async fn uem_device_groups_are_listed_from_every_page_and_searched_by_name() {
    let t = TestStack::start().await;
    let none = t.call("GET", "/uem/device-groups", Some(&t.admin()), None).await;
    assert_eq!(none.status, 409, "no UEM connected yet: {}", none.text);
    t.connect_uem().await;
    t.stack.hexnode.lock().max_per_page = 2;
    for (id, name) in [(11, "Sales Macs"), (12, "sales iPads"), (13, "Engineering"), (14, "Kiosks"), (15, "Lab")] {
        t.stack.hexnode.add_group(id, name);
    }
    let all = t.call("GET", "/uem/device-groups", Some(&t.technician()), None).await;
    assert_eq!((all.status, all.body["count"].clone()), (200, json!(5)), "{}", all.text);
    let names: Vec<&str> = all.body["items"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(
        names,
        ["Engineering", "Kiosks", "Lab", "sales iPads", "Sales Macs"],
        "every page, by name ignoring case"
    );
    assert!(t.stack.hexnode.requests_to("/api/v1/devicegroups/").len() >= 3, "three pages of two were read");
    let sales = t.call("GET", "/uem/device-groups?q=SALES", Some(&t.admin()), None).await;
    let ids: Vec<&str> = sales.body["items"].as_array().unwrap().iter().filter_map(|g| g["id"].as_str()).collect();
    assert_eq!(ids, ["12", "11"], "{}", sales.text);
    let bad = t.call("GET", &format!("/uem/device-groups?q={}", "q".repeat(101)), Some(&t.admin()), None).await;
    assert_eq!((bad.status, bad.body["error"]["field"].clone()), (400, json!("q")), "{}", bad.text);
}
