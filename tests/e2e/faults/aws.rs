//! Faults in the AWS services: DynamoDB throttling, conditional-check failures from concurrent writers (injected,
//! and real: hook deliveries racing reconciliations on the same records), query pages that are empty but carry
//! `LastEvaluatedKey` (case C17); Secrets Manager unavailable for a while, then back.
//!
//! Not covered: `UnprocessedItems` from `BatchWriteItem` (C17's second half), because the product issues no
//! `BatchWriteItem` (device records are written one by one, conditionally; ARCHITECTURE "Decisions").

use super::common::*;
use super::inject::{DdbFaults, DdbMix, SecretsOutage};
use futures::stream::{self, StreamExt};

#[tokio::test]
async fn c17_empty_query_pages_with_last_evaluated_key_are_followed_to_the_end() {
    let n = size(60, 1000);
    let ddb = DdbFaults::new(seed());
    let (t, _clock) = stack(Some(&ddb), None).await;
    fleet(&t, n).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    ddb.set(Some(DdbMix { empty_page: 0.7, ..Default::default() }));
    let listed = t.stack.deps.store.list_devices(&t.tenant).await.expect("list devices");
    let mut cursor = t.stack.deps.store.device_cursor(&t.tenant);
    let mut walked = 0;
    while cursor.next().await.expect("cursor").is_some() {
        walked += 1;
    }
    let (status, body) = sync(&t).await;
    ddb.set(None);
    let counts = ddb.counts();
    let left = mismatches(&t).await;
    Figures {
        faults: counts.total(),
        deliveries: 0,
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: 0,
    }
    .print("dynamodb-c17");
    assert!(counts.empty_pages >= 3, "empty pages were served: {counts:?}");
    assert_eq!(listed.len(), n, "every record listed past the empty pages");
    assert_eq!(walked, n, "the cursor walks past the empty pages");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["written"], 0, "a reconciliation over empty pages sees every stored record: {body}");
    assert!(left.is_empty(), "{left:#?}");
}

#[tokio::test]
async fn dynamodb_throttling_and_concurrent_writers_during_reconciliations_and_hooks() {
    let n = size(80, 1000);
    let mut rng = fastrand::Rng::with_seed(seed() ^ 0xDDB);
    let ddb = DdbFaults::new(seed() ^ 0xDDB);
    let (t, _clock) = stack(Some(&ddb), None).await;
    let people = fleet(&t, n).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    hook_ready(&t).await;
    let events = okta_changes(&t, &mut rng, &people, size(120, 2000), 0);
    let deliveries = scramble(&mut rng, &events);
    ddb.set(Some(DdbMix { throttle: 0.05, conflict: 0.25, empty_page: 0.2 }));
    // Reconciliations and hook deliveries at once: both write the same device records.
    let syncs = async {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(sync(&t).await.0);
        }
        out
    };
    let hooks = stream::iter(deliveries.iter().map(|d| {
        let t = &t;
        async move { (d, deliver(t, d).await) }
    }))
    .buffer_unordered(4)
    .collect::<Vec<_>>();
    let (sync_statuses, delivered) = futures::join!(syncs, hooks);
    // The hook's stream consumer applies the accepted deliveries under the same faults (its failed records are
    // delivered again by the stream) before they stop.
    t.stack.settle().await.expect("the stream consumers settle under the faults");
    // Every kind of fault must have been met: reconcile again under the faults until a page was emptied (each
    // table query has a one-in-five chance; the consumer's index queries are not emptied).
    let mut sync_statuses = sync_statuses;
    while ddb.counts().empty_pages == 0 && sync_statuses.len() < 12 {
        sync_statuses.push(sync(&t).await.0);
    }
    ddb.set(None);
    for s in sync_statuses.iter().chain(delivered.iter().map(|(_, s)| s)) {
        assert!([200, 500].contains(s), "a fault answers 500 (Okta redelivers; the next run starts again): {s}");
    }
    // Okta delivers a failed delivery once more.
    let failed: Vec<&Vec<u8>> = delivered.iter().filter(|(_, s)| *s != 200).map(|(d, _)| *d).collect();
    for d in &failed {
        assert_eq!(deliver(&t, d).await, 200, "a redelivery after the faults is accepted");
    }
    let lost = mismatches(&t).await;
    let (after, left) = converge(&t, 2).await;
    let counts = ddb.counts();
    Figures {
        faults: counts.total(),
        deliveries: deliveries.len() + failed.len(),
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: after,
    }
    .print("dynamodb");
    println!(
        "FAULTS dynamodb: {counts:?}; reconciliations under faults {sync_statuses:?}; {} deliveries failed and were redelivered",
        failed.len()
    );
    assert!(counts.throttled > 0 && counts.conflicts > 0 && counts.empty_pages > 0, "{counts:?}");
    assert!(lost.is_empty(), "after the redeliveries no change is lost, before any reconciliation: {lost:#?}");
    assert!(left.is_empty(), "records differ from the oracle: {left:#?}");
}

#[tokio::test]
async fn secrets_manager_unavailable_for_a_while_then_back() {
    let n = size(40, 500);
    let mut rng = fastrand::Rng::with_seed(seed() ^ 0x5EC);
    let outage = SecretsOutage::default();
    let (t, _clock) = stack(None, Some(&outage)).await;
    let people = fleet(&t, n).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    hook_ready(&t).await;
    let before = serde_json::to_value(clean_store(&t).await.list_devices(&t.tenant).await.expect("list")).unwrap();
    let events = okta_changes(&t, &mut rng, &people, size(40, 400), 0);
    let deliveries = scramble(&mut rng, &events);
    outage.fail_next(usize::MAX / 2);
    let (status, body) = sync(&t).await;
    assert_eq!(status, 500, "a reconciliation without Secrets Manager fails whole: {body}");
    let mut statuses = Vec::new();
    for d in &deliveries {
        statuses.push(deliver(&t, d).await);
    }
    assert!(statuses.iter().all(|s| *s == 500), "deliveries fail (so Okta redelivers): {statuses:?}");
    let during = serde_json::to_value(clean_store(&t).await.list_devices(&t.tenant).await.expect("list")).unwrap();
    assert_eq!(during, before, "nothing was written during the outage");
    outage.end();
    // Okta's redelivery of each failed delivery.
    for d in &deliveries {
        assert_eq!(deliver(&t, d).await, 200);
    }
    let lost = mismatches(&t).await;
    let (after, left) = converge(&t, 2).await;
    Figures {
        faults: outage.refused(),
        deliveries: deliveries.len() * 2,
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: after,
    }
    .print("secrets");
    assert!(lost.is_empty(), "the redelivered events lose no change: {lost:#?}");
    assert!(left.is_empty(), "{left:#?}");
}
