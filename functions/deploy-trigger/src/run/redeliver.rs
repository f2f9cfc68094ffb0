//! The re-delivery step of a run: a device gets its attestation delivered again, once per reason, when
//!
//! - Okta deleted its Okta device record (case C27: the evidence's `okta_record_lost`, set by fleet-sync's
//!   `device.lifecycle.delete` or by status-export's evidence read), so the owner's new Okta Verify enrollment
//!   can complete; or
//! - on macOS and Windows, its SCEP certificate needs a fresh enrollment (issue 21, attestation kept fresh:
//!   [`odt_shared::attestation::freshness`]): its year nears its end (the platform's `renew_days` before, staggered
//!   per device), or Okta has not reported it managed within 90 days of the delivery. A device whose Okta record
//!   is lost is not renewed (the re-delivery for the loss stands for it).
//!
//! The reason's key is recorded once done (`DeployedRecord::redelivered_for`). How, per platform:
//!
//! - A platform whose group's policy carries the attestation (iOS and Android app configuration with
//!   `managementHint`; macOS and Windows with a static challenge): the device is taken out of the group and added
//!   again, two membership calls (Hexnode adds ids named in both `add_devices` and `remove_devices` of one call, so
//!   one call would re-deliver nothing). Only the devices due are moved: the rest of the group is untouched. Each
//!   is recorded as an attempt like any membership change; a failed add leaves the device out of the group, and
//!   the next run adds it as any device that belongs there.
//! - A platform with Okta's dynamic SCEP challenge: `redelivered_for` is part of the key of the device's own
//!   document, so the challenges step fetches a new challenge and updates its policy (the SCEP certificate Okta
//!   issued was bound to the deleted device at its first FastPass: MDM.md §5).
//!
//! Every call goes through the tenant's paced UEM client (deployment's part of the budget), so renewals count
//! against the UEM's daily and per-minute budget like any deployment.

use super::memberships::{change, Diff};
use super::outcomes::Records;
use super::plan::{each_found, PlatformPlan, Settings};
use super::{Ctx, PlatformRun, RunReport};
use crate::policy::per_device;
use odt_shared::attestation::freshness;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use odt_shared::store::{DeployItem, EvidenceRecord, ItemStatus, PlatformSettings};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

/// The devices of `recs` whose attestation was applied before this run: the only ones that can need it delivered
/// again (a device added by this run gets it fresh), so a run reads no evidence for devices it deploys first.
pub(super) fn carrying(recs: &Records<'_>) -> BTreeSet<String> {
    recs.device_ids().filter(|id| status(recs, id) == Some(ItemStatus::Applied)).cloned().collect()
}

/// The devices (of `ids`, or all the run looks at with `None`) due a new delivery of their attestation: device id
/// → the reason's key (the deleted Okta device id, or the freshness key). Errors: the store failing.
pub(super) async fn due(
    deps: &Deps,
    tenant: &str,
    ids: Option<&BTreeSet<String>>,
    settings: &Settings,
    recs: &Records<'_>,
    now: OffsetDateTime,
) -> Result<HashMap<String, String>, Error> {
    let evidence: Vec<EvidenceRecord> = match ids {
        None => deps.store.list_evidence(tenant).await?,
        Some(ids) => each_found(ids, |id| async move { deps.store.get_evidence(tenant, &id).await }).await?,
    };
    let mut out: HashMap<String, String> =
        evidence.iter().filter_map(|e| Some((e.device_id.clone(), e.okta_record_lost.clone()?))).collect();
    let by_id: HashMap<&str, &EvidenceRecord> = evidence.iter().map(|e| (e.device_id.as_str(), e)).collect();
    let looked_at: Vec<&String> = match ids {
        Some(ids) => ids.iter().collect(),
        None => recs.device_ids().collect(),
    };
    for id in looked_at {
        if out.contains_key(id) {
            continue;
        }
        if let Some(key) = fresh_due(recs, settings, by_id.get(id.as_str()).copied(), id, now) {
            out.insert(id.clone(), key);
        }
    }
    Ok(out)
}

/// The freshness key of device `id` when its SCEP attestation is due again at `now` (macOS and Windows, delivered
/// at a known time), else `None`.
fn fresh_due(
    recs: &Records<'_>,
    settings: &Settings,
    ev: Option<&EvidenceRecord>,
    id: &str,
    now: OffsetDateTime,
) -> Option<String> {
    let r = recs.get(id)?;
    let platform = r.platform.filter(|p| matches!(p, Platform::Macos | Platform::Windows))?;
    let PlatformSettings::Desktop { renew_days, .. } = &settings.platform(platform)?.settings else { return None };
    let (status, managed_at) =
        (ev.and_then(|e| e.management_status.as_deref()), ev.and_then(|e| e.managed_at.as_deref()));
    let due = freshness::due_of(id, r.attested_at.as_deref(), *renew_days, status, managed_at)?;
    (due.at <= now).then_some(due.key)
}

/// Delivers the attestation again to each device of `lost` (from [`due`]) that carries its platform's items and
/// was not re-delivered for that key yet (and whose retry is due). Errors: the store failing.
pub(super) async fn deliver_again(
    ctx: &Ctx<'_>,
    plans: &[PlatformPlan],
    lost: &HashMap<String, String>,
    recs: &mut Records<'_>,
    report: &mut RunReport,
) -> Result<(), Error> {
    for plan in plans {
        let Some(group) = plan.dep.group_id.as_deref() else { continue };
        if !plan.deploy || plan.failure.is_some() {
            continue;
        }
        let again = wanting(ctx, plan, group, lost, recs);
        if again.is_empty() {
            continue;
        }
        if ctx.settings.platform(plan.platform).is_some_and(per_device) {
            // The challenges step gives these devices a new document (the key holds `redelivered_for`).
            for id in &again {
                recs.edit(id, |r| r.redelivered_for = lost.get(id).cloned());
            }
            report.platforms.entry(plan.platform.as_str().to_string()).or_default().redelivered += again.len();
            continue;
        }
        let mut stats = PlatformRun::default();
        change(ctx, recs, plan, group, Diff { add: vec![], remove: again.clone() }, &mut stats).await?;
        let out: Vec<String> = again.into_iter().filter(|id| status(recs, id) == Some(ItemStatus::Removed)).collect();
        for id in &out {
            recs.edit(id, |r| r.redelivered_for = lost.get(id).cloned());
        }
        change(ctx, recs, plan, group, Diff { add: out, remove: vec![] }, &mut stats).await?;
        let run = report.platforms.entry(plan.platform.as_str().to_string()).or_default();
        run.redelivered += stats.added;
        run.failed += stats.failed;
    }
    Ok(())
}

/// The devices of `plan` carrying its items in `group` whose reason (key) was not re-delivered for yet.
fn wanting(
    ctx: &Ctx<'_>,
    plan: &PlatformPlan,
    group: &str,
    lost: &HashMap<String, String>,
    recs: &Records<'_>,
) -> Vec<String> {
    let mut ids: Vec<String> = lost
        .iter()
        .filter(|(id, okta)| {
            recs.get(id).is_some_and(|r| {
                r.platform == Some(plan.platform)
                    && r.group_id.as_deref() == Some(group)
                    && r.payload_hash == plan.dep.payload_hash
                    && r.items.get(&DeployItem::Attestation).is_some_and(|i| i.status == ItemStatus::Applied)
                    && r.redelivered_for.as_deref() != Some(okta.as_str())
            }) && recs.due(ctx.scope, id)
        })
        .map(|(id, _)| id.clone())
        .collect();
    ids.sort();
    ids
}

/// The attestation's status on device `id`.
fn status(recs: &Records<'_>, id: &str) -> Option<ItemStatus> {
    recs.get(id)?.items.get(&DeployItem::Attestation).map(|i| i.status)
}
