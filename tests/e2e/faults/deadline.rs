//! A function stopped in the middle of a reconciliation: by its budget (a device budget, then a deadline already
//! inside the safety margin), leaving a checkpoint the next run resumes from; and killed outright (Lambda's
//! timeout: the future is dropped) after a few device writes went out, with no checkpoint at all.

use super::common::*;
use super::inject::DdbFaults;
use fleet_sync::sync::{reconcile, Budget};
use std::time::{Duration, Instant};

#[tokio::test]
async fn deadline_mid_reconciliation_then_the_checkpoint_finishes_it() {
    let n = size(80, 1000);
    let per_run = size(25, 150);
    let mut rng = fastrand::Rng::with_seed(seed() ^ 0xDEAD);
    let ddb = DdbFaults::new(seed());
    let (t, clock) = stack(Some(&ddb), None).await;
    let people = fleet(&t, n).await;
    let deps = t.stack.deps.clone();

    // 1. A device budget per run: each run stops with a checkpoint, the next resumes after it.
    let mut stops = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        let s = reconcile(&deps, &t.tenant, Budget { deadline: None, max_devices: Some(per_run), ..Budget::default() })
            .await
            .expect("run");
        if s.complete {
            break;
        }
        stops += 1;
        assert!(runs < 100, "the checkpoint makes progress");
    }
    assert_eq!(runs, n.div_ceil(per_run), "each run resumes where the last stopped");
    assert!(mismatches(&t).await.is_empty());

    // 2. A deadline already inside the safety margin: the run decides nothing, leaves a checkpoint, and the
    // next full run finishes.
    okta_changes(&t, &mut rng, &people, size(20, 200), 0);
    let s = reconcile(
        &deps,
        &t.tenant,
        Budget { deadline: Some(Instant::now() + Duration::from_millis(500)), ..Budget::default() },
    )
    .await
    .expect("run");
    assert!(!s.complete, "stopped at its deadline: {s:?}");
    stops += 1;
    let (after_deadline, left) = converge(&t, 2).await;
    assert!(left.is_empty(), "{left:#?}");

    // 3. Killed after a few device writes: no checkpoint, some records new and some old.
    okta_changes(&t, &mut rng, &people, size(40, 400), 1000);
    let wake = ddb.wake_after_device_puts(3);
    let (d, tenant) = (deps.clone(), t.tenant.clone());
    let mut run = tokio::spawn(async move { reconcile(&d, &tenant, Budget::default()).await });
    tokio::select! {
        _ = wake.notified() => run.abort(),
        r = &mut run => panic!("the run was to be killed after 3 writes but ended: {:?}", r.map(|s| s.map(|s| s.written))),
    }
    stops += 1;
    // The killed run never gave its lease back: it expires (past any invocation's life) and the next run takes it.
    clock.advance(Duration::from_secs(fleet_sync::sync::LEASE_SECS as u64));
    let partial = mismatches(&t).await.len();
    let (after, left) = converge(&t, 2).await;
    Figures {
        faults: stops,
        deliveries: 0,
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: after.max(after_deadline),
    }
    .print("deadline");
    println!("FAULTS deadline: {runs} budgeted runs; after the kill {partial} records were behind");
    assert!(left.is_empty(), "{left:#?}");
}
