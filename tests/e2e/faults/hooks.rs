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

/// Two deliveries about one user, applied at once (two stream consumers, or a consumer and a redelivery): an
/// older change (a `remove`, a `suspend`) has written its fact and is held there while a newer one (an `add`,
/// an `unsuspend`) is applied whole; then the older one re-decides the user's devices. They must end on the
/// newer fact, as Okta's final data says (the oracle). Applying the event's own value instead of the newest
/// stored fact ends on the older one (found by the DynamoDB scenario).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_older_change_held_while_a_newer_one_lands_ends_on_the_newer() {
    let (t, ddb) = race_stack().await;
    let nanos = |k: usize| {
        let at = time::OffsetDateTime::parse(&published(k), &time::format_description::well_known::Rfc3339);
        at.expect("rfc3339").unix_timestamp_nanos().to_string()
    };
    // Person 4 stays a member (removed, then added back); person 5 stays active (suspended, then unsuspended).
    let (member, active) = (okta_user(4), okta_user(5));
    let races = [
        (
            format!("GMEMBER#{GROUP}#{member}"),
            event("race-old-1", "group.user_membership.remove", &published(0), &member, Some(GROUP)),
            event("race-new-1", "group.user_membership.add", &published(1), &member, Some(GROUP)),
        ),
        (
            format!("OKTAUSER#{active}"),
            event("race-old-2", "user.lifecycle.suspend", &published(2), &active, None),
            event("race-new-2", "user.lifecycle.unsuspend", &published(3), &active, None),
        ),
    ];
    for (k, (fact, older, newer)) in races.iter().enumerate() {
        let hold = ddb.hold_after_put(fact, &nanos(2 * k));
        let (a, b) = race(&t, &hold, older, newer).await;
        assert_eq!((a.applied, b.applied), (1, 1), "{fact}: both change the fact");
    }
    let left = mismatches(&t).await;
    assert!(left.is_empty(), "the newer change wins whichever writes the record last: {left:#?}");
}

/// Two applications about one user: the older (a `remove`) has read the record and the fact and is held just
/// before its device write; meanwhile the newer (an `add`) lands whole and, seeing the record still as it was,
/// writes nothing. Then the older writes its stale view. It must notice the newer fact after its write and apply
/// it, so the device ends as Okta's final data says. Without the check after the write it ends on the remove.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_older_change_held_before_its_write_still_ends_on_the_newer() {
    let (t, ddb) = race_stack().await;
    let member = okta_user(4);
    let older = event("held-old", "group.user_membership.remove", &published(0), &member, Some(GROUP));
    let newer = event("held-new", "group.user_membership.add", &published(1), &member, Some(GROUP));
    let hold = ddb.hold_before_put(&format!("DEVICE#{}", device_id(4)));
    let (a, b) = race(&t, &hold, &older, &newer).await;
    assert_eq!((a.applied, b.applied), (1, 1), "both change the fact");
    let left = mismatches(&t).await;
    assert!(left.is_empty(), "the newer change wins though the older wrote last: {left:#?}");
}

/// A reconciled 20-device fleet on a stack whose DynamoDB client can be held (no faults injected).
async fn race_stack() -> (odt_tests::TestStack, super::inject::DdbFaults) {
    let ddb = super::inject::DdbFaults::new(seed());
    let (t, _clock) = stack(Some(&ddb), None).await;
    fleet(&t, 20).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    (t, ddb)
}

/// Applies `older` in a task of its own (as a second stream consumer would) until it stops at `hold`, then
/// `newer` whole, then lets `older` go on; answers what each applied.
async fn race(
    t: &odt_tests::TestStack,
    hold: &super::inject::Hold,
    older: &serde_json::Value,
    newer: &serde_json::Value,
) -> (fleet_sync::inbox::Applied, fleet_sync::inbox::Applied) {
    let events = |e: &serde_json::Value| -> Vec<fleet_sync::hooks::Event> {
        let parsed = fleet_sync::hooks::parse_delivery(&envelope(std::slice::from_ref(e))).expect("a delivery");
        parsed.into_iter().map(|(_, e)| e).collect()
    };
    let ctx = std::sync::Arc::new(fleet_sync::inbox::Context::load(&t.stack.deps, &t.tenant).await.expect("context"));
    let (deps, tenant, first, c) = (t.stack.deps.clone(), t.tenant.clone(), events(older), ctx.clone());
    let a = tokio::spawn(async move { fleet_sync::inbox::apply_events(&deps, &tenant, &c, &first).await });
    hold.held().await;
    let b = fleet_sync::inbox::apply_events(&t.stack.deps, &t.tenant, &ctx, &events(newer)).await;
    hold.release();
    let a = a.await.expect("the older's task");
    (a.expect("the older applies"), b.expect("the newer applies"))
}
