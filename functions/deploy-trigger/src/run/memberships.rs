//! The memberships step of a run: per platform, the devices to add to its managed group and to take out (the
//! devices that belong there against the members read from the UEM, leaving those whose retry is not due),
//! recorded before and after each call and sent in batches of [`MEMBERSHIP_BATCH`]. Device ids the UEM does not
//! know fail permanently and the rest of their batch is sent again; a throttled, refusing or unreachable UEM fails
//! the remaining devices with its reason and wait, and the run stops calling it.

use super::outcomes::Records;
use super::plan::{Devices, PlatformPlan};
use super::{Ctx, PlatformRun, RunReport, MEMBERSHIP_BATCH};
use crate::desired::Outcome;
use crate::policy::PlatformFailure;
use odt_shared::error::Error;
use odt_shared::uem::UemError;
use std::collections::{BTreeSet, HashSet};

/// A group's membership change: device ids to add and to take out.
#[derive(Default)]
pub(super) struct Diff {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// For each plan: records what its devices carry, changes its group's membership, and adds the counts to
/// `report`. Errors: the store failing.
pub(super) async fn apply(
    ctx: &Ctx<'_>,
    plans: &[PlatformPlan],
    devices: &mut Devices,
    recs: &mut Records<'_>,
    report: &mut RunReport,
) -> Result<(), Error> {
    let considered: HashSet<String> = recs.device_ids().cloned().collect();
    for plan in plans {
        let want = devices.desired.remove(&plan.platform).unwrap_or_default();
        let mut stats = PlatformRun { desired: want.len(), ..Default::default() };
        let diff = Diff {
            add: to_add(ctx, plan, &want, recs, &mut stats),
            remove: to_remove(ctx, plan, &want, &considered, &devices.gone, recs, &mut stats),
        };
        remove_stale(plan, &want, recs);
        if let Some(group) = plan.dep.group_id.as_deref() {
            if !diff.add.is_empty() || !diff.remove.is_empty() {
                change(ctx, recs, plan, group, diff, &mut stats).await?;
            }
        }
        report.platforms.entry(plan.platform.as_str().to_string()).or_default().merge(stats);
    }
    Ok(())
}

/// The devices of `want` to add to `plan`'s group. Members that stay are recorded as carrying the policy as it is
/// now; on a platform that cannot be deployed, devices fail with its reason when their retry is due; devices whose
/// retry is not due wait.
fn to_add(
    ctx: &Ctx<'_>,
    plan: &PlatformPlan,
    want: &BTreeSet<String>,
    recs: &mut Records<'_>,
    stats: &mut PlatformRun,
) -> Vec<String> {
    let mut add = Vec::new();
    for id in want {
        if plan.members.contains(id) {
            if plan.failure.is_none() {
                applied(ctx, recs, id, plan);
            }
        } else if plan.failure.is_some() || !plan.deploy {
            if recs.due(ctx.scope, id) {
                let f = plan
                    .failure
                    .clone()
                    .unwrap_or(PlatformFailure { reason: "not deployable".into(), retry_after: None });
                recs.apply(id, &failed(f, false));
                stats.failed += 1;
            }
        } else if recs.due(ctx.scope, id) {
            add.push(id.clone());
        } else {
            stats.waiting += 1;
        }
    }
    add
}

/// The members of `plan`'s group to take out: those not in `want`, of the devices the run `considered` (a full
/// run takes out members it does not know too); a device whose retry is not due waits, unless it is `gone`.
fn to_remove(
    ctx: &Ctx<'_>,
    plan: &PlatformPlan,
    want: &BTreeSet<String>,
    considered: &HashSet<String>,
    gone: &BTreeSet<String>,
    recs: &Records<'_>,
    stats: &mut PlatformRun,
) -> Vec<String> {
    let full = ctx.scope.devices.is_none();
    let mut remove = Vec::new();
    for id in &plan.members {
        if want.contains(id) || (!full && !considered.contains(id)) {
            continue;
        }
        if recs.due(ctx.scope, id) || gone.contains(id) || !considered.contains(id) {
            remove.push(id.clone());
        } else {
            stats.waiting += 1;
        }
    }
    remove
}

/// Devices recorded with `plan`'s items that are neither wanted nor members any more: removed.
fn remove_stale(plan: &PlatformPlan, want: &BTreeSet<String>, recs: &mut Records<'_>) {
    let stale: Vec<String> = recs
        .device_ids()
        .filter(|id| !want.contains(*id) && !plan.members.contains(*id))
        .filter(|id| recs.get(id).is_some_and(|r| r.platform == Some(plan.platform) && r.carries_items()))
        .cloned()
        .collect();
    for id in &stale {
        recs.apply(id, &Outcome::Removed);
    }
}

/// Changes `group`'s membership by `diff` in batches of [`MEMBERSHIP_BATCH`], marking the devices in progress
/// first. Each batch's outcome is written before the next call, so a run stopped at its deadline loses at most
/// what was in flight (and the next run's comparison with the group's members repairs that). Once the UEM stops
/// the run, the remaining batches fail with its reason. Errors: the store failing.
pub(super) async fn change(
    ctx: &Ctx<'_>,
    recs: &mut Records<'_>,
    plan: &PlatformPlan,
    group: &str,
    diff: Diff,
    stats: &mut PlatformRun,
) -> Result<(), Error> {
    for id in &diff.add {
        recs.apply(id, &Outcome::InProgress { adding: true });
    }
    for id in &diff.remove {
        if recs.get(id).is_some() {
            recs.apply(id, &Outcome::InProgress { adding: false });
        }
    }
    recs.flush(ctx.deps).await?;
    let mut ops: Vec<(String, bool)> =
        diff.add.into_iter().map(|id| (id, true)).chain(diff.remove.into_iter().map(|id| (id, false))).collect();
    let mut stop: Option<UemError> = None;
    while !ops.is_empty() {
        let rest = ops.split_off(ops.len().min(MEMBERSHIP_BATCH));
        let batch = std::mem::replace(&mut ops, rest);
        if let Some(e) = &stop {
            fail_batch(recs, &batch, e, stats);
            continue;
        }
        stop = send(ctx, recs, plan, group, batch, stats).await;
        recs.flush(ctx.deps).await?;
    }
    Ok(())
}

/// Sends one batch (`(device id, adding)`), again without the ids the UEM does not know (three calls at most),
/// and records each device's outcome. Returns the UEM's failure when it stops the run's calls (throttled, key
/// refused, unreachable).
async fn send(
    ctx: &Ctx<'_>,
    recs: &mut Records<'_>,
    plan: &PlatformPlan,
    group: &str,
    mut batch: Vec<(String, bool)>,
    stats: &mut PlatformRun,
) -> Option<UemError> {
    for _ in 0..3 {
        let adds: Vec<String> = batch.iter().filter(|(_, a)| *a).map(|(id, _)| id.clone()).collect();
        let removes: Vec<String> = batch.iter().filter(|(_, a)| !*a).map(|(id, _)| id.clone()).collect();
        if adds.is_empty() && removes.is_empty() {
            return None;
        }
        match ctx.uem.change_group_members(group, &adds, &removes).await {
            Ok(()) => {
                sent(ctx, recs, plan, &batch, stats);
                return None;
            }
            Err(UemError::InvalidDevices(bad)) => {
                if !drop_unknown(recs, &mut batch, bad, stats) {
                    // The UEM named ids we did not send: treat the batch as failed, not loop.
                    let e = UemError::Protocol("the UEM refused device ids that were not sent".into());
                    fail_batch(recs, &batch, &e, stats);
                    return None;
                }
            }
            Err(e) => {
                fail_batch(recs, &batch, &e, stats);
                let stops = e.stops_every_call();
                return stops.then_some(e);
            }
        }
    }
    if !batch.is_empty() {
        let e = UemError::Protocol("the UEM kept refusing the batch".into());
        fail_batch(recs, &batch, &e, stats);
    }
    None
}

/// The batch went through: added devices carry the policy, removed ones nothing.
fn sent(ctx: &Ctx<'_>, recs: &mut Records<'_>, plan: &PlatformPlan, batch: &[(String, bool)], stats: &mut PlatformRun) {
    for (id, adding) in batch {
        if *adding {
            applied(ctx, recs, id, plan);
            stats.added += 1;
        } else {
            if recs.get(id).is_some() {
                recs.apply(id, &Outcome::Removed);
            }
            stats.removed += 1;
        }
    }
}

/// The UEM named device ids it does not know (`bad`): an added one fails permanently (gone from the UEM), a removed
/// one carries nothing of ours any more; they leave the batch. Returns whether any of them was in it.
fn drop_unknown(
    recs: &mut Records<'_>,
    batch: &mut Vec<(String, bool)>,
    bad: Vec<String>,
    stats: &mut PlatformRun,
) -> bool {
    let bad: HashSet<String> = bad.into_iter().collect();
    for (id, adding) in batch.iter().filter(|(id, _)| bad.contains(id)) {
        if *adding {
            let reason = format!("the UEM has no device {id} (gone from the UEM?)");
            recs.apply(id, &Outcome::Failed { reason, permanent: true, retry_after: None, removing: false });
            stats.failed += 1;
        } else if recs.get(id).is_some() {
            recs.apply(id, &Outcome::Removed);
        }
    }
    let before = batch.len();
    batch.retain(|(id, _)| !bad.contains(id));
    batch.len() != before
}

/// Every device of `batch` failed with `e` (a removal only when the device has a record).
fn fail_batch(recs: &mut Records<'_>, batch: &[(String, bool)], e: &UemError, stats: &mut PlatformRun) {
    for (id, adding) in batch {
        if *adding || recs.get(id).is_some() {
            recs.apply(id, &failed(e.clone().into(), !*adding));
        }
        stats.failed += 1;
    }
}

/// A failure for `f`'s reason and wait: transient, except a call the UEM portal does not support, which is
/// permanent (no retry until the admin changes something).
fn failed(f: PlatformFailure, removing: bool) -> Outcome {
    let permanent = odt_shared::uem::Unsupported::from_reason(&f.reason).is_some();
    Outcome::Failed { reason: f.reason, permanent, retry_after: f.retry_after, removing }
}

/// Records member `id` of `plan`'s group as carrying the platform's policy (and, with no Okta Verify method set,
/// why Okta Verify is missing).
fn applied(ctx: &Ctx<'_>, recs: &mut Records<'_>, id: &str, plan: &PlatformPlan) {
    let (Some(group), Some(hash)) = (plan.dep.group_id.clone(), plan.dep.payload_hash.clone()) else { return };
    let p = plan.platform.as_str();
    let app_missing = (!ctx.settings.methods.contains_key(&plan.platform))
        .then(|| format!("no Okta Verify installation method is set for {p} (PUT /okta-verify/{p})"));
    recs.apply(id, &Outcome::Applied { platform: plan.platform, group_id: group, payload_hash: hash, app_missing });
}
