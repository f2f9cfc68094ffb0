//! Hook delivery faults: membership adds and removes and user suspensions generated on the Okta double, plus
//! the real sample deliveries, delivered in batches of 1 to 5, 30% of deliveries twice, all reordered, four
//! at a time (so deliveries race each other on the same records). Without any reconciliation the records must
//! match the oracle (no change lost); a reconciliation afterwards then has nothing to correct.

use super::common::*;
use futures::stream::{self, StreamExt};

#[tokio::test]
async fn hook_deliveries_duplicated_reordered_and_batched_lose_no_change() {
    let n = size(80, 1000);
    let mut rng = fastrand::Rng::with_seed(seed() ^ 0x400C);
    let (t, _clock) = stack(None, None).await;
    let people = fleet(&t, n).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    hook_ready(&t).await;
    let events = okta_changes(&t, &mut rng, &people, size(150, 3000), 0);
    let mut deliveries = scramble(&mut rng, &events);
    let unique_batches = deliveries.iter().collect::<std::collections::HashSet<_>>().len();
    let duplicated = deliveries.len() - unique_batches;
    for s in real_samples() {
        deliveries.insert(rng.usize(..=deliveries.len()), s);
    }
    let statuses: Vec<u16> =
        stream::iter(deliveries.iter().map(|d| deliver(&t, d))).buffer_unordered(4).collect().await;
    let refused: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(refused.is_empty(), "every delivery is accepted: {refused:?}");
    let left = mismatches(&t).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    Figures {
        faults: duplicated,
        deliveries: deliveries.len(),
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: 0,
    }
    .print("hooks");
    println!(
        "FAULTS hooks: {} events in {} deliveries ({duplicated} sent twice, all reordered, 4 in flight)",
        events.len(),
        deliveries.len()
    );
    assert!(left.is_empty(), "hooks alone must bring every record to the oracle: {left:#?}");
    assert_eq!(body["written"], 0, "the reconciliation after the hooks had nothing to correct: {body}");
}
