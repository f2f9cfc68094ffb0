//! Reconciliation: recompute every device's scope and desired state from Okta and the UEM, and write only
//! what changed. A run that cannot finish within its budget stops with a checkpoint (the last device id it
//! wrote) and the next run resumes after it.

mod cadence;
mod decide;
mod inventory;
mod merge;
mod state;
mod summary;

pub use cadence::{reread_interval, SCHEDULE_PERIOD};
pub use inventory::SAVE_MARGIN;

pub use decide::{desired, redecide_record};
pub use merge::write_merging;
pub use state::{reconciliation, ReconciliationView};
pub use summary::{count, SyncSummary};

use crate::facts::{gather_rest, sources, Gathered, Rest, Selection, Sources};
use futures::stream::{self, StreamExt, TryStreamExt};
use inventory::{left, Inventory};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::pacing::CallClass;
use odt_shared::platform::Platform;
use odt_shared::scope::decide;
use odt_shared::store::{CheckpointRecord, DeviceRecord, DeviceTrustState, RunEnd, StoreError};
use odt_shared::uem::UemDevice;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// How much one run may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Budget {
    /// Stop (with a checkpoint) once this instant is near.
    pub deadline: Option<Instant>,
    /// Stop (with a checkpoint) after deciding this many devices (tests force tiny budgets with it).
    pub max_devices: Option<usize>,
    /// Stop (keeping the pages read) after reading this many pages of the UEM inventory (tests).
    pub max_pages: Option<usize>,
    /// Whose UEM calls these are for the daily budget: the admin's (deployment) or the schedule's full re-read.
    pub calls: CallClass,
    /// Whether `deadline` is a whole Lambda invocation's, with nothing run before this run in it (the schedule's
    /// first tenant): only such a run can tell that a reconciliation will never get past a point (`stalled`).
    pub whole_invocation: bool,
}

/// Stop this long before the deadline, leaving time to write the checkpoint (milliseconds).
const DEADLINE_MARGIN_MS: u64 = 2_000;

/// Whether `deadline` is nearer than [`DEADLINE_MARGIN_MS`].
fn near(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| d.saturating_duration_since(Instant::now()).as_millis() < DEADLINE_MARGIN_MS as u128)
}

/// Why a run that had its whole invocation could not read Okta's side and the stored records.
const STALLED_READING: &str = "reading Okta's users and groups and the stored device records took longer than one \
     invocation, with the UEM inventory already read; every run will stop at the same point";
/// Why a run that had its whole invocation decided no device.
const STALLED_DECIDING: &str = "reading Okta's users and groups and the stored device records left no time to \
     decide a device, with the UEM inventory already read; every run will stop at the same point";

/// Writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// What deciding the devices of one run found.
struct Pass {
    /// The records whose state changed, each with the stored one it started from.
    changed: Vec<(DeviceRecord, Option<DeviceRecord>)>,
    /// The last device id decided.
    last: Option<String>,
    /// Whether the budget stopped the run before the end.
    stopped: bool,
}

/// How long a run's lease holds: longer than an invocation may live (Lambda's 15 minutes), so only a run that
/// died leaves one to expire.
pub const LEASE_SECS: i64 = 16 * 60;

/// Reconciles one tenant within `budget`, holding the tenant's lease (two runs of one tenant never overlap).
/// Errors: 409 `reconciliation_running` while another run holds the lease; device trust or the UEM not set up,
/// Okta, the UEM or the store failing (a record lost to concurrent writers three times in a row among them).
pub async fn reconcile(deps: &Deps, tenant: &str, budget: Budget) -> Result<SyncSummary, Error> {
    let holder = uuid::Uuid::new_v4().to_string();
    let now = deps.clock.now().unix_timestamp();
    if let Err(until) = deps.store.take_sync_lease(tenant, &holder, now, now + LEASE_SECS).await? {
        let until = time::OffsetDateTime::from_unix_timestamp(until).map(rfc3339).unwrap_or_default();
        return Err(Error::Conflict {
            code: "reconciliation_running",
            message: format!("a reconciliation of this tenant is running; its lease holds until {until}"),
        });
    }
    // Boxed: the run's future (Okta's side, the inventory and the table read at once) is too large for a stack.
    let result = Box::pin(reconcile_held(deps, tenant, budget)).await;
    let now = deps.clock.now().unix_timestamp();
    let end = match &result {
        Ok(s) if s.complete => RunEnd::Complete(now),
        Ok(SyncSummary { stalled: Some(why), .. }) => RunEnd::Stalled { why, at: now },
        _ => RunEnd::Stopped,
    };
    match deps.store.give_sync_lease(tenant, &holder, end).await {
        Ok(()) => result,
        Err(e) if result.is_ok() => Err(e.into()),
        Err(e) => {
            tracing::warn!(tenant, error = %e, "the reconciliation lease could not be given back; it expires");
            result
        }
    }
}

/// [`reconcile`] with the lease held.
async fn reconcile_held(deps: &Deps, tenant: &str, budget: Budget) -> Result<SyncSummary, Error> {
    let src = sources(deps, tenant, budget.calls).await?;
    let sel = deps
        .store
        .get_fleet(tenant)
        .await?
        .map(|f| Selection { okta_group_ids: f.okta_group_ids, uem_group_ids: f.uem_group_ids })
        .unwrap_or_default();
    let mut inv = Inventory::resume(deps, tenant).await?;
    // A run that starts with the whole inventory in hand (kept by earlier runs) has its whole invocation for
    // Okta's side, the stored records and the decisions: if it cannot get past them, no run will.
    let whole = budget.whole_invocation && inv.complete();
    let Some((rest, stored, checkpoint)) = read_sources(deps, tenant, &src, &sel, &mut inv, &budget).await? else {
        let mut summary = stopped_reading(deps, tenant, &mut inv).await?;
        summary.stalled = whole.then(|| STALLED_READING.to_string());
        return Ok(summary);
    };
    let g = rest.with(inv.devices());
    // The daily UEM budget is made from the inventory's size (written only when it changes).
    deps.store.note_uem_devices(tenant, g.devices.len() as u64).await?;
    let stored: HashMap<String, DeviceRecord> = stored.into_iter().map(|d| (d.device_id.clone(), d)).collect();
    let now = rfc3339(deps.clock.now());
    let mut devices: Vec<&UemDevice> = g.devices.iter().collect();
    devices.sort_by(|a, b| a.id.cmp(&b.id));
    let mut summary = SyncSummary { devices: devices.len(), uem_pages_read: inv.pages(), ..Default::default() };
    summary.resumed_after = checkpoint.as_ref().map(|c| c.after.clone());
    let start =
        checkpoint.as_ref().map(|c| devices.partition_point(|d| d.id.as_str() <= c.after.as_str())).unwrap_or(0);
    // Devices before the checkpoint were decided by the stopped run; count them from their records.
    for d in &devices[..start] {
        count(
            &mut summary,
            stored.get(&d.id).map(|s| s.exclusion).unwrap_or_else(|| decide(d, &g.facts, None).exclusion),
        );
    }
    let pass = decide_devices(tenant, &devices[start..], &g, &stored, &now, budget, &mut summary);
    summary.written = write_changed(deps, pass.changed, &g.payload_hashes).await?;
    if pass.stopped {
        let progressed = pass.last.is_some();
        let after = pass.last.or(checkpoint.map(|c| c.after)).unwrap_or_default();
        deps.store.put_checkpoint(&CheckpointRecord::new(tenant, after, now)).await?;
        // The next run decides the rest from the same inventory instead of reading it again.
        inv.keep(deps).await?;
        summary.stalled = (whole && !progressed).then(|| STALLED_DECIDING.to_string());
        tracing::info!(tenant, written = summary.written, "reconciliation stopped at its budget; checkpoint saved");
        return Ok(summary);
    }
    let guard = inv.spanned().then_some(src.uem.as_ref());
    summary.removed = remove_gone(deps, &devices, &stored, guard).await?;
    inv.forget(deps).await?;
    if checkpoint.is_some() {
        deps.store.delete_checkpoint(tenant).await?;
    }
    summary.complete = true;
    tracing::info!(
        tenant,
        devices = summary.devices,
        in_scope = summary.in_scope,
        written = summary.written,
        "reconciled"
    );
    Ok(summary)
}

/// What a run decides from: the UEM inventory (into `inv`), Okta's side, the stored records and the checkpoint;
/// `None` when the deadline or the page budget came first (`inv` holds what was read).
///
/// Okta's side, the stored records and the checkpoint are read while the inventory is (independent sources; see
/// `gather_rest`): the table's pages fill the Okta client's rate-limit waits. A read an earlier invocation kept
/// goes first, and Okta only once its pages are all in. What is left of the deadline bounds Okta's side too.
/// Errors: the first source that failed.
async fn read_sources(
    deps: &Deps,
    tenant: &str,
    src: &Sources,
    sel: &Selection,
    inv: &mut Inventory,
    budget: &Budget,
) -> Result<Option<(Rest, Vec<DeviceRecord>, Option<CheckpointRecord>)>, Error> {
    let rest = Box::pin(async {
        futures::try_join!(
            gather_rest(deps, tenant, src, sel),
            async { Ok::<_, Error>(deps.store.list_devices(tenant).await?) },
            async { Ok::<_, Error>(deps.store.get_checkpoint(tenant).await?) },
        )
    });
    let rest = async {
        match left(budget.deadline, inventory::SAVE_MARGIN) {
            Some(left) => tokio::time::timeout(left, rest).await.ok().transpose(),
            None => rest.await.map(Some),
        }
    };
    if inv.spanned() {
        inv.read(deps, src.uem.as_ref(), budget).await?;
        return if inv.complete() { rest.await } else { Ok(None) };
    }
    let (_, rest) = futures::try_join!(inv.read(deps, src.uem.as_ref(), budget), rest)?;
    Ok(rest.filter(|_| inv.complete()))
}

/// A run that stopped while reading the inventory: keeps the pages read for the next run. Errors: the store.
async fn stopped_reading(deps: &Deps, tenant: &str, inv: &mut Inventory) -> Result<SyncSummary, Error> {
    inv.keep(deps).await?;
    tracing::info!(tenant, pages = inv.pages(), "reconciliation stopped reading the UEM inventory; pages kept");
    Ok(SyncSummary { uem_pages_read: inv.pages(), ..Default::default() })
}

/// Decides `devices` (in id order) until the end or the budget, counting each into `summary`.
fn decide_devices(
    tenant: &str,
    devices: &[&UemDevice],
    g: &Gathered,
    stored: &HashMap<String, DeviceRecord>,
    now: &str,
    budget: Budget,
    summary: &mut SyncSummary,
) -> Pass {
    let mut pass = Pass { changed: Vec::new(), last: None, stopped: false };
    for (n, d) in devices.iter().enumerate() {
        if budget.max_devices.is_some_and(|m| n >= m) || near(budget.deadline) {
            pass.stopped = true;
            break;
        }
        let old = stored.get(&d.id);
        let rec = desired(tenant, d, g, old, now);
        count(summary, rec.exclusion);
        if !old.is_some_and(|o| o.same_state(&rec)) {
            pass.changed.push((rec, old.cloned()));
        }
        pass.last = Some(d.id.clone());
    }
    pass
}

/// Writes the changed records ([`WRITE_CONCURRENCY`] at once, each merged on a conflict); how many it wrote.
async fn write_changed(
    deps: &Deps,
    changed: Vec<(DeviceRecord, Option<DeviceRecord>)>,
    enabled: &HashMap<Platform, String>,
) -> Result<usize, Error> {
    stream::iter(changed.into_iter().map(|(rec, base)| write_merging(deps, rec, base, enabled)))
        .buffer_unordered(WRITE_CONCURRENCY)
        .try_fold(0usize, |n, wrote| async move { Ok(n + usize::from(wrote)) })
        .await
}

/// Removes the records of devices the UEM no longer has (one that changed meanwhile is left for the next run);
/// how many it removed. With `confirm` (an inventory read across invocations, whose pages were read at
/// different times: a device may have moved to a page already read), each device the read did not list is
/// asked for first, and one the UEM still has, or could not be asked about, is kept.
async fn remove_gone(
    deps: &Deps,
    devices: &[&UemDevice],
    stored: &HashMap<String, DeviceRecord>,
    confirm: Option<&dyn odt_shared::uem::Uem>,
) -> Result<usize, Error> {
    let present: HashSet<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let mut removed = 0;
    for gone in stored.values().filter(|s| !present.contains(s.device_id.as_str())) {
        if let Some(uem) = confirm {
            match uem.device_exists(&gone.device_id).await {
                Ok(false) => {}
                Ok(true) => continue,
                Err(e) => {
                    tracing::warn!(device = gone.device_id, error = %e, "could not confirm a device is gone; kept");
                    continue;
                }
            }
        }
        match deps.store.delete_device(gone).await {
            Ok(()) => removed += 1,
            Err(StoreError::VersionConflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(removed)
}

/// What a scheduled run did, per tenant.
#[derive(Debug, Default, Serialize)]
pub struct ScheduledRun {
    pub tenants: usize,
    pub complete: usize,
    /// Tenants left with a checkpoint (resumed by the next run).
    pub checkpointed: usize,
    /// Tenants whose run stopped where every run will (see [`SyncSummary::stalled`]).
    pub stalled: usize,
    /// Tenants whose run failed (their error is logged; the others go on).
    pub failed: usize,
    /// Tenants another run was reconciling (their lease held): left to it.
    pub running: usize,
    /// Tenants whose last complete re-read is more recent than their cadence ([`reread_interval`]).
    pub not_due: usize,
    /// Device assurance policies the upkeep created, updated or deleted in Okta
    /// ([`odt_shared::okta_side::assurance::keep`]).
    pub assurance_changed: usize,
}

/// The scheduled reconciliation: every tenant whose device trust is active, one after another, sharing the
/// invocation's deadline; a failing tenant is logged and skipped so it never blocks the others. Errors: the
/// store failing to list the tenants.
pub async fn reconcile_all(deps: &Deps, deadline: Option<Instant>) -> Result<ScheduledRun, Error> {
    let mut run = ScheduledRun::default();
    let tenants = deps.store.list_device_trusts().await?;
    let mut first = true;
    for dt in tenants.into_iter().filter(|d| d.state == DeviceTrustState::Active) {
        run.tenants += 1;
        let tenant = dt.tenant();
        run.assurance_changed += keep_assurance(deps, tenant).await;
        match due(deps, tenant).await {
            Ok(Due::Yes) => {}
            Ok(Due::Running) => {
                run.running += 1;
                continue;
            }
            Ok(Due::NotYet) => {
                run.not_due += 1;
                continue;
            }
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "scheduled reconciliation could not read its cadence");
                run.failed += 1;
                continue;
            }
        }
        let budget = Budget { deadline, calls: CallClass::Reread, whole_invocation: first, ..Budget::default() };
        first = false;
        match reconcile(deps, tenant, budget).await {
            Ok(s) if s.complete => run.complete += 1,
            Ok(s) if s.stalled.is_some() => {
                tracing::error!(tenant = %tenant, why = s.stalled, "scheduled reconciliation stalled");
                run.stalled += 1;
            }
            Ok(_) => run.checkpointed += 1,
            Err(Error::Conflict { code: "reconciliation_running", .. }) => run.running += 1,
            Err(e) => {
                // Not set up yet (no UEM, no fleet) is normal for a new tenant; anything else is worth a look.
                tracing::warn!(tenant = %tenant, error = %e, "scheduled reconciliation skipped a tenant");
                run.failed += 1;
            }
        }
        if near(deadline) {
            break;
        }
    }
    Ok(run)
}

/// The tenant's device assurance policies kept in line (Okta's side, whatever the UEM re-read's cadence: a few
/// Okta reads); every outcome other than `unchanged` is logged. Answers how many policies changed; a failure is
/// logged and never stops the tenant's reconciliation.
async fn keep_assurance(deps: &Deps, tenant: &str) -> usize {
    match odt_shared::okta_side::assurance::keep(deps, tenant).await {
        Ok(Some(outcomes)) => {
            let mut changed = 0;
            for o in outcomes.iter().filter(|o| o.outcome != "unchanged" && o.outcome != "none") {
                if matches!(o.outcome.as_str(), "created" | "updated" | "deleted") {
                    changed += 1;
                    tracing::info!(tenant, platform = %o.item, outcome = %o.outcome, "device assurance policy kept");
                } else {
                    tracing::warn!(tenant, platform = %o.item, outcome = %o.outcome, message = ?o.message,
                        "device assurance policy not kept");
                }
            }
            changed
        }
        Ok(None) => 0,
        Err(e) => {
            tracing::warn!(tenant, error = %e, "device assurance upkeep failed");
            0
        }
    }
}

/// Whether the schedule re-reads a tenant now.
enum Due {
    Yes,
    /// Another run holds the lease.
    Running,
    /// The last complete re-read is more recent than the tenant's cadence.
    NotYet,
}

/// Whether `tenant` is due for a scheduled full re-read: no run holds its lease, and its last complete run ended
/// at least [`reread_interval`] ago (a run left with a checkpoint is always continued). Errors: the store failing.
async fn due(deps: &Deps, tenant: &str) -> Result<Due, Error> {
    let now = deps.clock.now().unix_timestamp();
    let run = deps.store.get_sync_run(tenant).await?;
    if run.lease_until > now {
        return Ok(Due::Running);
    }
    // A stopped run (pages of the inventory kept, or decisions left) goes on at once.
    if deps.store.get_inventory_read(tenant).await?.is_some() || deps.store.get_checkpoint(tenant).await?.is_some() {
        return Ok(Due::Yes);
    }
    let Some(last) = run.last_complete_at else { return Ok(Due::Yes) };
    let interval = state::interval(deps, tenant).await?;
    Ok(if now - last >= interval.as_secs() as i64 { Due::Yes } else { Due::NotYet })
}
