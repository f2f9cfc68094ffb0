//! Reconciliation: recompute every device's scope and desired state from Okta and the UEM, and write only
//! what changed. A run that cannot finish within its budget stops with a checkpoint (the last device id it
//! wrote) and the next run resumes after it.

use crate::facts::{gather, sources, Gathered, Selection};
use crate::store_failure;
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::scope::{decide, Exclusion};
use odt_shared::store::{tenant_pk, DeviceRecord, StoreError};
use odt_shared::uem::UemDevice;
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// How much one run may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Budget {
    /// Stop (with a checkpoint) once this instant is near.
    pub deadline: Option<Instant>,
    /// Stop (with a checkpoint) after deciding this many devices (tests force tiny budgets with it).
    pub max_devices: Option<usize>,
}

/// Stop this long before the deadline, leaving time to write the checkpoint (milliseconds).
const DEADLINE_MARGIN_MS: u64 = 2_000;

/// Writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    /// Devices in the UEM inventory.
    pub devices: usize,
    pub in_scope: usize,
    /// Devices out of scope, by reason.
    pub excluded: BTreeMap<String, usize>,
    /// Device records written because something changed.
    pub written: usize,
    /// Device records removed because the UEM no longer has the device.
    pub removed: usize,
    /// Whether the run reached the end (otherwise it left a checkpoint).
    pub complete: bool,
    /// Where this run started (a device id), when it resumed from a checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_after: Option<String>,
}

/// The record a stopped run leaves (`SYNCCHECKPOINT`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    pk: String,
    sk: String,
    /// The last device id decided (devices are visited in id order).
    after: String,
    at: String,
}

const CHECKPOINT_SK: &str = "SYNCCHECKPOINT";

/// The desired record of a device given the gathered facts (keeping the stored bookkeeping).
pub fn desired(tenant: &str, d: &UemDevice, g: &Gathered, stored: Option<&DeviceRecord>, now: &str) -> DeviceRecord {
    let decision = decide(d, &g.facts);
    let hash = if decision.in_scope() { d.platform.and_then(|p| g.payload_hashes.get(&p).cloned()) } else { None };
    let owner = d.owner_email.as_deref().and_then(|e| g.facts.user_by_email(e));
    let mut owner_selected_groups = owner.and_then(|u| g.member_groups.get(&u.id)).cloned().unwrap_or_default();
    owner_selected_groups.sort();
    DeviceRecord {
        pk: tenant_pk(tenant),
        sk: DeviceRecord::sk_of(&d.id),
        device_id: d.id.clone(),
        name: d.name.clone(),
        platform: d.platform,
        os_version: d.os_version.clone(),
        serial: d.serial.clone(),
        udid: d.udid.clone(),
        owner_email: d.owner_email.clone(),
        okta_user_id: decision.okta_user_id.clone(),
        in_scope: decision.in_scope(),
        exclusion: decision.exclusion,
        desired_payload_hash: hash,
        enrollment: d.enrollment,
        owner_status: owner.map(|u| u.status.clone()),
        owner_selected_groups,
        in_selected_device_group: g.facts.selected_devices.contains(&d.id),
        gsi1pk: decision.okta_user_id.as_deref().map(|u| DeviceRecord::user_index(tenant, u)),
        gsi1sk: decision.okta_user_id.as_ref().map(|_| DeviceRecord::sk_of(&d.id)),
        updated_at: now.to_string(),
        version: stored.map(|s| s.version + 1).unwrap_or(1),
    }
}

/// Counts a decision into a summary.
pub fn count(summary: &mut SyncSummary, exclusion: Option<Exclusion>) {
    match exclusion {
        None => summary.in_scope += 1,
        Some(e) => {
            let key = serde_json::to_value(e).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            *summary.excluded.entry(key).or_default() += 1;
        }
    }
}

/// Re-decides a record from the facts it carries (owner state, the owner's selected groups, device-group
/// membership, platform, OS, enrollment) and the platforms switched on (with their payload hashes).
pub fn redecide_record(rec: &mut DeviceRecord, enabled: &HashMap<odt_shared::platform::Platform, String>) {
    let device = UemDevice {
        id: rec.device_id.clone(),
        name: rec.name.clone(),
        platform: rec.platform,
        os_version: rec.os_version.clone(),
        serial: None,
        udid: None,
        enrollment: rec.enrollment,
        owner_email: rec.owner_email.clone(),
        owner_id: None,
    };
    let mut facts = odt_shared::scope::ScopeFacts::default();
    if let (Some(email), Some(uid)) = (&rec.owner_email, &rec.okta_user_id) {
        facts.add_user(uid, rec.owner_status.as_deref().unwrap_or(""), email, None);
        if !rec.owner_selected_groups.is_empty() {
            facts.selected_members.insert(uid.clone());
        }
    }
    if rec.in_selected_device_group {
        facts.selected_devices.insert(rec.device_id.clone());
    }
    facts.enabled_platforms.extend(enabled.keys().copied());
    let d = decide(&device, &facts);
    rec.in_scope = d.in_scope();
    rec.exclusion = d.exclusion;
    rec.desired_payload_hash = if d.in_scope() { rec.platform.and_then(|p| enabled.get(&p).cloned()) } else { None };
}

/// Writes one device record conditionally on the version reconciliation started from (`base`). On a conflict
/// (an event hook wrote meanwhile) it re-reads and merges: the owner facts the other writer changed since `base`
/// are newer than what this run gathered, so they win; everything else is this run's. The merged record is
/// re-decided and written on the fresh version, so the final record holds both changes (case C12). Returns
/// whether it wrote.
pub async fn write_merging(
    deps: &Deps,
    mut rec: DeviceRecord,
    base: Option<DeviceRecord>,
    enabled: &HashMap<odt_shared::platform::Platform, String>,
) -> Result<bool, StoreError> {
    let base = base.as_ref();
    let mut expected = base.map(|b| b.version);
    for _ in 0..3 {
        match deps.store.put_device(&rec, expected).await {
            Ok(()) => return Ok(true),
            Err(StoreError::VersionConflict { .. }) => {
                let Some(fresh) = deps.store.get::<DeviceRecord>(&rec.pk, &rec.sk).await? else {
                    expected = None;
                    rec.version = 1;
                    continue;
                };
                if base.is_none_or(|b| b.owner_status != fresh.owner_status) {
                    rec.owner_status = fresh.owner_status.clone();
                }
                if base.is_none_or(|b| b.owner_selected_groups != fresh.owner_selected_groups) {
                    rec.owner_selected_groups = fresh.owner_selected_groups.clone();
                }
                redecide_record(&mut rec, enabled);
                if fresh.same_state(&rec) {
                    return Ok(false);
                }
                expected = Some(fresh.version);
                rec.version = fresh.version + 1;
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::VersionConflict { current: expected })
}

/// Reconciles one tenant within `budget`.
pub async fn reconcile(deps: &Deps, tenant: &str, budget: Budget) -> Result<SyncSummary, ApiError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let src = sources(deps, tenant).await?;
    let fleet = deps.store.get_fleet(tenant).await.map_err(store_failure)?;
    let sel = fleet
        .map(|f| Selection { okta_group_ids: f.okta_group_ids, uem_group_ids: f.uem_group_ids })
        .unwrap_or_default();
    // The stored records and the checkpoint are read while `gather` reads Okta and the UEM (independent
    // sources; see `gather`): the table's pages fill the Okta client's rate-limit waits. The first error wins.
    let (g, stored, checkpoint) = futures::try_join!(
        gather(deps, tenant, &src, &sel),
        async { deps.store.list_devices(tenant).await.map_err(store_failure) },
        async { deps.store.get::<Checkpoint>(&tenant_pk(tenant), CHECKPOINT_SK).await.map_err(store_failure) },
    )?;
    let stored: HashMap<String, DeviceRecord> = stored.into_iter().map(|d| (d.device_id.clone(), d)).collect();
    let now = rfc3339(deps.clock.now());
    let mut devices: Vec<&UemDevice> = g.devices.iter().collect();
    devices.sort_by(|a, b| a.id.cmp(&b.id));
    let mut summary = SyncSummary { devices: devices.len(), ..Default::default() };
    summary.resumed_after = checkpoint.as_ref().map(|c| c.after.clone());
    let start =
        checkpoint.as_ref().map(|c| devices.partition_point(|d| d.id.as_str() <= c.after.as_str())).unwrap_or(0);
    // Devices before the checkpoint were decided by the stopped run; count them from their records.
    for d in &devices[..start] {
        count(&mut summary, stored.get(&d.id).map(|s| s.exclusion).unwrap_or_else(|| decide(d, &g.facts).exclusion));
    }
    let mut changed = Vec::new();
    let mut last = None;
    let mut stopped = false;
    for (n, d) in devices[start..].iter().enumerate() {
        let out_of_time = budget
            .deadline
            .is_some_and(|dl| dl.saturating_duration_since(Instant::now()).as_millis() < DEADLINE_MARGIN_MS as u128);
        if budget.max_devices.is_some_and(|m| n >= m) || out_of_time {
            stopped = true;
            break;
        }
        let old = stored.get(&d.id);
        let rec = desired(tenant, d, &g, old, &now);
        count(&mut summary, rec.exclusion);
        if !old.is_some_and(|o| o.same_state(&rec)) {
            changed.push((rec, old.cloned()));
        }
        last = Some(d.id.clone());
    }
    let enabled = &g.payload_hashes;
    summary.written = stream::iter(changed.into_iter().map(|(rec, base)| write_merging(deps, rec, base, enabled)))
        .buffer_unordered(WRITE_CONCURRENCY)
        .try_fold(0usize, |n, wrote| async move { Ok(n + usize::from(wrote)) })
        .await
        .map_err(store_failure)?;
    let pk = tenant_pk(tenant);
    if stopped {
        let after = last.or(checkpoint.map(|c| c.after)).unwrap_or_default();
        let cp = Checkpoint { pk, sk: CHECKPOINT_SK.into(), after, at: now };
        deps.store.put_raw(&cp).await.map_err(store_failure)?;
        tracing::info!(tenant, written = summary.written, "reconciliation stopped at its budget; checkpoint saved");
        return Ok(summary);
    }
    // Devices the UEM no longer has.
    let present: std::collections::HashSet<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    for gone in stored.values().filter(|s| !present.contains(s.device_id.as_str())) {
        match deps.store.delete_device(gone).await {
            Ok(()) => summary.removed += 1,
            Err(StoreError::VersionConflict { .. }) => {}
            Err(e) => return Err(store_failure(e)),
        }
    }
    if checkpoint.is_some() {
        deps.store.delete_raw(&pk, CHECKPOINT_SK).await.map_err(store_failure)?;
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

/// What a scheduled run did, per tenant.
#[derive(Debug, Default, Serialize)]
pub struct ScheduledRun {
    pub tenants: usize,
    pub complete: usize,
    /// Tenants left with a checkpoint (resumed by the next run).
    pub checkpointed: usize,
    /// Tenants whose run failed (their error is logged; the others go on).
    pub failed: usize,
}

/// The scheduled reconciliation: every tenant whose device trust is active, one after another, sharing the
/// invocation's deadline; a failing tenant is logged and skipped so it never blocks the others.
pub async fn reconcile_all(deps: &Deps, deadline: Option<Instant>) -> Result<ScheduledRun, ApiError> {
    let mut run = ScheduledRun::default();
    let tenants = deps.store.list_device_trusts().await.map_err(store_failure)?;
    for dt in tenants.into_iter().filter(|d| d.state == odt_shared::store::DeviceTrustState::Active) {
        run.tenants += 1;
        let tenant = dt.pk.trim_start_matches("T#").to_string();
        match reconcile(deps, &tenant, Budget { deadline, max_devices: None }).await {
            Ok(s) if s.complete => run.complete += 1,
            Ok(_) => run.checkpointed += 1,
            Err(e) => {
                // Not set up yet (no UEM, no fleet) is normal for a new tenant; anything else is worth a look.
                tracing::warn!(tenant = %tenant, error = %e, "scheduled reconciliation skipped a tenant");
                run.failed += 1;
            }
        }
        if deadline
            .is_some_and(|d| d.saturating_duration_since(Instant::now()).as_millis() < DEADLINE_MARGIN_MS as u128)
        {
            break;
        }
    }
    Ok(run)
}
