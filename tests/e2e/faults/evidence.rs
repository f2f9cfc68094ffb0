//! Two evidence refreshes racing on the same records (C30: counts that tell what happened): a write one refresh
//! lost to the other is not counted as written.

use super::common::*;
use super::inject::DdbFaults;

/// C30: refresh A has read the stored evidence (none) and is held just before its write of device 0's record;
/// refresh B runs whole meanwhile; A's write of device 0 then loses its condition to B's. Each record was
/// written once, so the two refreshes' `written` add up to the evidence records in the table, never more.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn c30_an_evidence_write_lost_to_a_concurrent_refresh_is_not_counted_as_written() {
    let ddb = DdbFaults::new(seed());
    let (t, _clock) = stack(Some(&ddb), None).await;
    fleet(&t, 4).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    let hold = ddb.hold_before_put(&format!("EVIDENCE#{}", device_id(0)));
    let (deps, tenant) = (t.stack.deps.clone(), t.tenant.clone());
    let first = tokio::spawn(async move { status_export::evidence::refresh(&deps, &tenant).await });
    hold.held().await;
    let second = status_export::evidence::refresh(&t.stack.deps, &t.tenant).await.expect("refresh B");
    hold.release();
    let first = first.await.expect("refresh A ran").expect("refresh A");
    let stored = t.stack.deps.store.list_evidence(&t.tenant).await.expect("evidence");
    assert_eq!(stored.len(), 4, "one record per device");
    assert!(stored.iter().all(|e| e.version == 1), "each written once: {stored:?}");
    assert_eq!(first.written + second.written, stored.len(), "A: {first:?}, B: {second:?}");
}
