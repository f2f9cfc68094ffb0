//! One deployment run for one tenant: compare each device's desired platform with the managed groups' actual
//! members in the UEM, make the platforms' groups and policies carry what they should, change memberships in
//! batches, and record every device's outcome. Idempotent: what is already true costs no UEM change.

use crate::desired::{desired_platform, next_record, same, waiting, Outcome};
use crate::policy::{dismantle, ensure, PlatformFailure};
use futures::stream::{self, StreamExt, TryStreamExt};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::platform::Platform;
use odt_shared::store::{
    DeployedRecord, DeploymentRecord, DeviceRecord, DeviceTrustRecord, DeviceTrustState, StoreError,
};
use odt_shared::uem::{Uem, UemError};
use odt_shared::ApiError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

/// Device ids per membership call (`add_devices` + `remove_devices` together): 1,000 scope changes take 4
/// calls.
pub const MEMBERSHIP_BATCH: usize = 250;

/// Store reads and writes in flight at once.
const CONCURRENCY: usize = 16;

/// Which devices a run looks at and how it treats waiting ones.
#[derive(Debug, Clone, Default)]
pub struct RunScope {
    /// `None`: every device of the tenant (and members of the managed groups that are not ours to keep);
    /// `Some`: only these device ids (a stream batch).
    pub devices: Option<BTreeSet<String>>,
    /// Skip devices whose automatic retry is not due (the retry schedule).
    pub respect_backoff: bool,
    /// The admin's "retry now": failed devices are tried again whatever their backoff, attempts counted afresh.
    pub retry_now: bool,
}

impl RunScope {
    /// Every device, as the admin's "install now / retry now" asks.
    pub fn retry_now() -> Self {
        RunScope { devices: None, respect_backoff: false, retry_now: true }
    }
    /// Every device whose retry is due, as the schedule runs.
    pub fn scheduled() -> Self {
        RunScope { devices: None, respect_backoff: true, retry_now: false }
    }
    /// Only `ids` (a stream batch of device records).
    pub fn devices(ids: BTreeSet<String>) -> Self {
        RunScope { devices: Some(ids), respect_backoff: false, retry_now: false }
    }
    /// Every device, without retry-now semantics (a stream batch that changed platform-wide settings).
    pub fn all() -> Self {
        RunScope::default()
    }
}

/// Counts per platform.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformRun {
    /// Devices that belong in the platform's managed group (of those the run looked at).
    pub desired: usize,
    /// Devices added to the group.
    pub added: usize,
    /// Devices taken out of the group.
    pub removed: usize,
    /// Devices whose membership change failed.
    pub failed: usize,
    /// Devices skipped because their retry is not due yet.
    pub waiting: usize,
    pub group_created: bool,
    /// Whether the policy was created or updated (its payload, app or targets changed).
    pub policy_written: bool,
    /// Why the platform could not be deployed this run, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a run did.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// Devices looked at.
    pub devices: usize,
    pub platforms: BTreeMap<String, PlatformRun>,
    /// Device deployment records written (or deleted).
    pub records_written: usize,
    /// HTTP requests sent to the UEM (retries included).
    pub uem_calls: u64,
    /// Device trust was deleted and every item is now off every device: the tenant's device trust is gone.
    pub removal_complete: bool,
    /// Why nothing could be done, when nothing could (e.g. `uem_not_connected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

fn store_failure(e: StoreError) -> ApiError {
    odt_shared::error::store_failure(e)
}

/// Reads the devices the run looks at: all of them, or the listed ids (a missing record: the device is gone).
async fn read_devices(
    deps: &Deps,
    tenant: &str,
    scope: &RunScope,
) -> Result<Vec<(String, Option<DeviceRecord>)>, ApiError> {
    match &scope.devices {
        None => Ok(deps
            .store
            .list_devices(tenant)
            .await
            .map_err(store_failure)?
            .into_iter()
            .map(|d| (d.device_id.clone(), Some(d)))
            .collect()),
        Some(ids) => stream::iter(ids.iter().cloned())
            .map(|id| async move {
                let rec = deps.store.get_device(tenant, &id).await?;
                Ok::<_, StoreError>((id, rec))
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await
            .map_err(store_failure),
    }
}

async fn read_deployed(
    deps: &Deps,
    tenant: &str,
    scope: &RunScope,
) -> Result<HashMap<String, DeployedRecord>, ApiError> {
    let recs: Vec<DeployedRecord> = match &scope.devices {
        None => deps.store.list_deployed(tenant).await.map_err(store_failure)?,
        Some(ids) => stream::iter(ids.iter().cloned())
            .map(|id| async move { deps.store.get_deployed(tenant, &id).await })
            .buffered(CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
            .map_err(store_failure)?
            .into_iter()
            .flatten()
            .collect(),
    };
    Ok(recs.into_iter().map(|r| (r.device_id.clone(), r)).collect())
}

/// One device's pending write: its new record (or deletion) and the stored one.
struct Write {
    old: Option<DeployedRecord>,
    new: Option<DeployedRecord>,
}

/// Writes each changed record conditionally on the version read; a conflict (a concurrent run) is left for the
/// next run, which re-reads. Returns how many were written.
async fn write_all(deps: &Deps, writes: Vec<Write>) -> Result<usize, ApiError> {
    let results: Vec<Result<bool, StoreError>> = stream::iter(writes)
        .map(|w| async move {
            let res = match (&w.old, &w.new) {
                (Some(o), None) => deps.store.delete_deployed(o).await,
                (old, Some(n)) => {
                    let mut n = n.clone();
                    n.version = old.as_ref().map_or(1, |o| o.version + 1);
                    deps.store.put_deployed(&n, old.as_ref().map(|o| o.version)).await
                }
                (None, None) => return Ok(false),
            };
            match res {
                Ok(()) => Ok(true),
                Err(StoreError::VersionConflict { .. }) => {
                    tracing::info!("deployment record changed by a concurrent run; the next run re-reads it");
                    Ok(false)
                }
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut n = 0;
    for r in results {
        n += usize::from(r.map_err(store_failure)?);
    }
    Ok(n)
}

/// The pending records of a run, so each device is written once with its latest state.
struct Records<'a> {
    tenant: &'a str,
    now: String,
    now_epoch: i64,
    old: HashMap<String, DeployedRecord>,
    current: HashMap<String, DeployedRecord>,
    platform_of: HashMap<String, Option<Platform>>,
    deleted: HashSet<String>,
    /// Records written (or deleted) so far.
    written: usize,
}

impl Records<'_> {
    fn get(&self, id: &str) -> Option<&DeployedRecord> {
        self.current.get(id).or_else(|| self.old.get(id))
    }

    fn apply(&mut self, id: &str, outcome: &Outcome) {
        let platform = self.platform_of.get(id).copied().flatten();
        let next = next_record(self.tenant, id, platform, self.get(id), outcome, &self.now, self.now_epoch);
        self.current.insert(id.to_string(), next);
    }

    fn delete(&mut self, id: &str) {
        self.current.remove(id);
        self.deleted.insert(id.to_string());
    }

    /// The writes that change something: changed records, and deletions of stored ones.
    fn drain(&mut self) -> Vec<Write> {
        let mut out = Vec::new();
        for (id, new) in self.current.drain() {
            let old = self.old.get(&id).cloned();
            if old.as_ref().is_some_and(|o| same(o, &new)) {
                continue;
            }
            out.push(Write { old, new: Some(new) });
        }
        for id in self.deleted.drain() {
            if let Some(o) = self.old.get(&id) {
                out.push(Write { old: Some(o.clone()), new: None });
            }
        }
        out
    }

    /// After a write, what is stored becomes the base of further changes.
    fn settle(&mut self, written: &[Write]) {
        for w in written {
            match (&w.old, &w.new) {
                (Some(o), None) => {
                    self.old.remove(&o.device_id);
                }
                (old, Some(n)) => {
                    let mut n = n.clone();
                    n.version = old.as_ref().map_or(1, |o| o.version + 1);
                    self.old.insert(n.device_id.clone(), n);
                }
                (None, None) => {}
            }
        }
    }
}

async fn flush(deps: &Deps, recs: &mut Records<'_>) -> Result<(), ApiError> {
    let writes = recs.drain();
    let snapshot: Vec<Write> = writes.iter().map(|w| Write { old: w.old.clone(), new: w.new.clone() }).collect();
    recs.written += write_all(deps, writes).await?;
    recs.settle(&snapshot);
    Ok(())
}

/// A membership change's failure for the devices of one call.
fn failed_outcome(e: &UemError, removing: bool) -> Outcome {
    let retry_after = match e {
        UemError::Throttled { retry_after_secs } => Some(Duration::from_secs(*retry_after_secs)),
        _ => None,
    };
    Outcome::Failed { reason: e.to_string(), permanent: false, retry_after, removing }
}

/// The platform's state for a run.
struct PlatformPlan {
    platform: Platform,
    dep: DeploymentRecord,
    /// Whether the platform should be deployed (device trust active, platform on, something to deploy).
    deploy: bool,
    /// Why it cannot be, when it should be but cannot.
    failure: Option<PlatformFailure>,
    members: BTreeSet<String>,
}

/// Runs deployment for `tenant` over `scope`.
///
/// Errors (the run as a whole: the caller retries it): the store or Secrets Manager failing. UEM failures are
/// not errors of the run: they are recorded per device (and per platform in the report) and retried later.
pub async fn run_tenant(deps: &Deps, tenant: &str, scope: &RunScope) -> Result<RunReport, ApiError> {
    let now_t = deps.clock.now();
    let now = rfc3339(now_t);
    let now_epoch = now_t.unix_timestamp();
    let mut report = RunReport::default();
    let dt: Option<DeviceTrustRecord> = deps.store.get_device_trust(tenant).await.map_err(store_failure)?;
    let Some(dt) = dt else {
        report.blocked = Some("device_trust_not_configured".into());
        return Ok(report);
    };
    let active = dt.state == DeviceTrustState::Active;
    let platforms = deps.store.list_platforms(tenant).await.map_err(store_failure)?;
    let enabled: HashSet<Platform> = platforms.iter().filter(|p| active && p.enabled).map(|p| p.platform).collect();
    let methods: HashMap<Platform, _> = deps
        .store
        .list_okta_verify(tenant)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|m| (m.platform, m))
        .collect();
    let mut deployments: HashMap<Platform, DeploymentRecord> = deps
        .store
        .list_deployments(tenant)
        .await
        .map_err(store_failure)?
        .into_iter()
        .filter_map(|d| Some((d.platform?, d)))
        .collect();

    let devices = read_devices(deps, tenant, scope).await?;
    let deployed = read_deployed(deps, tenant, scope).await?;
    report.devices = devices.len();
    let mut recs = Records {
        tenant,
        now: now.clone(),
        now_epoch,
        old: deployed,
        current: HashMap::new(),
        platform_of: devices.iter().map(|(id, d)| (id.clone(), d.as_ref().and_then(|d| d.platform))).collect(),
        deleted: HashSet::new(),
        written: 0,
    };
    let mut desired: HashMap<Platform, BTreeSet<String>> = HashMap::new();
    let mut gone: BTreeSet<String> = BTreeSet::new();
    for (id, d) in &devices {
        match d {
            Some(d) => {
                if let Some(p) = desired_platform(d, active, &enabled) {
                    desired.entry(p).or_default().insert(id.clone());
                }
            }
            None => {
                gone.insert(id.clone());
            }
        }
    }
    if scope.devices.is_none() {
        // Records of devices the fleet no longer has (the UEM removed them): the device is gone.
        let known: HashSet<&String> = devices.iter().map(|(id, _)| id).collect();
        gone.extend(recs.old.keys().filter(|id| !known.contains(id)).cloned());
    }

    let uem = match deps.tenant_uem(tenant).await? {
        Some(u) => u,
        None => {
            report.blocked = Some("uem_not_connected".into());
            for id in &gone {
                recs.delete(id);
            }
            flush(deps, &mut recs).await?;
            report.records_written = recs.written;
            return Ok(report);
        }
    };

    let org_domain = if active {
        deps.store.get_org(tenant, &dt.okta_org_id).await.map_err(store_failure)?.map(|o| o.domain)
    } else {
        None
    };
    let mut plans = Vec::new();
    for p in Platform::ALL {
        let dep = deployments.remove(&p).unwrap_or_else(|| DeploymentRecord::empty(tenant, p));
        let want = desired.get(&p).is_some_and(|s| !s.is_empty());
        let deploy = enabled.contains(&p) && (want || dep.version > 0);
        plans.push(PlatformPlan { platform: p, dep, deploy, failure: None, members: BTreeSet::new() });
    }
    let mut policy_changed: HashSet<Platform> = HashSet::new();
    for plan in plans.iter_mut() {
        let run = report.platforms.entry(plan.platform.as_str().to_string()).or_default();
        if plan.deploy {
            let rec = platforms.iter().find(|r| r.platform == plan.platform).expect("enabled platforms have records");
            let Some(domain) = org_domain.as_deref() else {
                plan.failure =
                    Some(PlatformFailure { reason: "the device-trust org is gone".into(), retry_after: None });
                continue;
            };
            match ensure(deps, uem.as_ref(), tenant, &mut plan.dep, rec, domain, methods.get(&plan.platform)).await {
                Ok(done) => {
                    run.group_created = done.group_created;
                    run.policy_written = done.policy_written;
                    if done.policy_written {
                        policy_changed.insert(plan.platform);
                    }
                }
                Err(f) => {
                    run.error = Some(f.reason.clone());
                    plan.failure = Some(f);
                }
            }
        }
        // A stream batch reads only the groups its devices touch; a full run reads every group.
        let touched = scope.devices.is_none()
            || run.policy_written
            || recs.platform_of.values().any(|p| *p == Some(plan.platform))
            || recs.old.values().any(|r| r.platform == Some(plan.platform));
        if let Some(g) = plan.dep.group_id.clone().filter(|_| touched) {
            match uem.device_group_members(&g).await {
                Ok(m) => plan.members = m.into_iter().collect(),
                Err(UemError::NotFound(_)) if !plan.deploy => {}
                Err(UemError::NotFound(_)) if plan.failure.is_none() => {
                    // The managed group was deleted in the UEM by hand: make a new one (empty) and point the
                    // policy at it; every device that belongs there is added below.
                    tracing::warn!(
                        tenant,
                        platform = plan.platform.as_str(),
                        group = g.as_str(),
                        "managed group gone; re-creating"
                    );
                    plan.dep.group_id = None;
                    plan.dep.policy_key = None;
                    let rec = platforms.iter().find(|r| r.platform == plan.platform);
                    let redo = match (rec, org_domain.as_deref()) {
                        (Some(rec), Some(domain)) => {
                            ensure(deps, uem.as_ref(), tenant, &mut plan.dep, rec, domain, methods.get(&plan.platform))
                                .await
                        }
                        _ => {
                            Err(PlatformFailure { reason: "the platform cannot be deployed".into(), retry_after: None })
                        }
                    };
                    match redo {
                        Ok(done) => {
                            run.group_created = done.group_created;
                            run.policy_written |= done.policy_written;
                            policy_changed.insert(plan.platform);
                        }
                        Err(f) => {
                            run.error = Some(f.reason.clone());
                            plan.failure = Some(f);
                        }
                    }
                }
                Err(e) => {
                    run.error.get_or_insert_with(|| e.to_string());
                    plan.failure.get_or_insert_with(|| e.into());
                }
            }
        }
    }
    // A policy that changed changes what every member of its platform carries: record it for all of them.
    if !policy_changed.is_empty() && scope.devices.is_some() {
        let all = RunScope { devices: None, ..scope.clone() };
        let deployed_all = deps.store.list_deployed(tenant).await.map_err(store_failure)?;
        let mut deployed_all: HashMap<String, DeployedRecord> =
            deployed_all.into_iter().map(|r| (r.device_id.clone(), r)).collect();
        for (id, d) in read_devices(deps, tenant, &all).await? {
            let platform = d.as_ref().and_then(|d| d.platform);
            if recs.platform_of.contains_key(&id) || !platform.is_some_and(|p| policy_changed.contains(&p)) {
                continue;
            }
            recs.platform_of.insert(id.clone(), platform);
            if let Some(p) = d.as_ref().and_then(|d| desired_platform(d, active, &enabled)) {
                desired.entry(p).or_default().insert(id.clone());
            }
            if let Some(r) = deployed_all.remove(&id) {
                recs.old.insert(id, r);
            }
        }
    }
    let considered: HashSet<String> = recs.platform_of.keys().cloned().collect();
    let full = scope.devices.is_none();

    for plan in plans.iter_mut() {
        let p = plan.platform;
        let run_key = p.as_str().to_string();
        let want = desired.remove(&p).unwrap_or_default();
        let mut stats = PlatformRun { desired: want.len(), ..Default::default() };
        let due = |id: &String, recs: &Records| -> bool {
            scope.retry_now || !scope.respect_backoff || !waiting(recs.get(id), now_epoch)
        };
        // Members that stay: they carry the policy as it is now.
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for id in &want {
            if plan.members.contains(id) {
                if plan.failure.is_none() {
                    applied(&mut recs, id, plan, &methods);
                }
            } else if plan.failure.is_some() || !plan.deploy {
                if due(id, &recs) {
                    let f = plan
                        .failure
                        .clone()
                        .unwrap_or(PlatformFailure { reason: "not deployable".into(), retry_after: None });
                    recs.apply(
                        id,
                        &Outcome::Failed {
                            reason: f.reason,
                            permanent: false,
                            retry_after: f.retry_after,
                            removing: false,
                        },
                    );
                    stats.failed += 1;
                }
            } else if due(id, &recs) {
                add.push(id.clone());
            } else {
                stats.waiting += 1;
            }
        }
        for id in &plan.members {
            if want.contains(id) {
                continue;
            }
            if !full && !considered.contains(id) {
                continue;
            }
            if due(id, &recs) || gone.contains(id) || !considered.contains(id) {
                remove.push(id.clone());
            } else {
                stats.waiting += 1;
            }
        }
        // Devices recorded with this platform's items that are neither wanted nor members any more: removed.
        let stale: Vec<String> = recs
            .platform_of
            .keys()
            .filter(|id| !want.contains(*id) && !plan.members.contains(*id))
            .filter(|id| recs.get(id).is_some_and(|r| r.platform == Some(p) && r.carries_items()))
            .cloned()
            .collect();
        for id in &stale {
            recs.apply(id, &Outcome::Removed);
        }
        if let Some(group) = plan.dep.group_id.clone() {
            if !add.is_empty() || !remove.is_empty() {
                change(deps, uem.as_ref(), &mut recs, plan, &methods, &group, add, remove, &mut stats).await?;
            }
        }
        report.platforms.entry(run_key).or_default().merge(stats);
    }
    for id in &gone {
        recs.delete(id);
    }
    flush(deps, &mut recs).await?;
    report.records_written = recs.written;

    if !active && scope.devices.is_none() {
        report.removal_complete = finish_removal(deps, uem.as_ref(), tenant, &dt, &plans).await?;
    }
    report.uem_calls = uem.calls_made();
    Ok(report)
}

impl PlatformRun {
    fn merge(&mut self, s: PlatformRun) {
        self.desired = s.desired;
        self.added += s.added;
        self.removed += s.removed;
        self.failed += s.failed;
        self.waiting += s.waiting;
    }
}

/// Records a member of `plan`'s group as carrying the platform's policy.
fn applied(
    recs: &mut Records<'_>,
    id: &str,
    plan: &PlatformPlan,
    methods: &HashMap<Platform, odt_shared::store::OktaVerifyRecord>,
) {
    let (Some(group), Some(hash)) = (plan.dep.group_id.clone(), plan.dep.payload_hash.clone()) else { return };
    let app_missing = (!methods.contains_key(&plan.platform)).then(|| {
        format!(
            "no Okta Verify installation method is set for {} (PUT /okta-verify/{})",
            plan.platform.as_str(),
            plan.platform.as_str()
        )
    });
    recs.apply(id, &Outcome::Applied { platform: plan.platform, group_id: group, payload_hash: hash, app_missing });
}

/// Changes the group's membership in batches of [`MEMBERSHIP_BATCH`], marking devices in progress first and
/// recording each outcome. Device ids the UEM does not know fail permanently and the rest of their batch is sent
/// again; a throttled or failing UEM fails the remaining devices with its reason and wait.
#[allow(clippy::too_many_arguments)]
async fn change(
    deps: &Deps,
    uem: &dyn Uem,
    recs: &mut Records<'_>,
    plan: &PlatformPlan,
    methods: &HashMap<Platform, odt_shared::store::OktaVerifyRecord>,
    group: &str,
    add: Vec<String>,
    remove: Vec<String>,
    stats: &mut PlatformRun,
) -> Result<(), ApiError> {
    for id in &add {
        recs.apply(id, &Outcome::InProgress { adding: true });
    }
    for id in &remove {
        if recs.get(id).is_some() {
            recs.apply(id, &Outcome::InProgress { adding: false });
        }
    }
    flush(deps, recs).await?;
    let mut ops: Vec<(String, bool)> =
        add.into_iter().map(|id| (id, true)).chain(remove.into_iter().map(|id| (id, false))).collect();
    let mut stop: Option<UemError> = None;
    while !ops.is_empty() {
        let rest = ops.split_off(ops.len().min(MEMBERSHIP_BATCH));
        let mut batch = std::mem::replace(&mut ops, rest);
        if let Some(e) = &stop {
            fail_batch(recs, &batch, e, stats);
            continue;
        }
        for _ in 0..3 {
            let adds: Vec<String> = batch.iter().filter(|(_, a)| *a).map(|(id, _)| id.clone()).collect();
            let removes: Vec<String> = batch.iter().filter(|(_, a)| !*a).map(|(id, _)| id.clone()).collect();
            if adds.is_empty() && removes.is_empty() {
                break;
            }
            match uem.change_group_members(group, &adds, &removes).await {
                Ok(()) => {
                    for (id, adding) in &batch {
                        if *adding {
                            applied(recs, id, plan, methods);
                            stats.added += 1;
                        } else {
                            if recs.get(id).is_some() {
                                recs.apply(id, &Outcome::Removed);
                            }
                            stats.removed += 1;
                        }
                    }
                    batch.clear();
                    break;
                }
                Err(UemError::InvalidDevices(bad)) => {
                    let bad: HashSet<String> = bad.into_iter().collect();
                    for (id, adding) in batch.iter().filter(|(id, _)| bad.contains(id)) {
                        if *adding {
                            recs.apply(
                                id,
                                &Outcome::Failed {
                                    reason: format!("the UEM has no device {id} (gone from the UEM?)"),
                                    permanent: true,
                                    retry_after: None,
                                    removing: false,
                                },
                            );
                            stats.failed += 1;
                        } else if recs.get(id).is_some() {
                            // A device the UEM no longer has carries nothing of ours.
                            recs.apply(id, &Outcome::Removed);
                        }
                    }
                    let before = batch.len();
                    batch.retain(|(id, _)| !bad.contains(id));
                    if batch.len() == before {
                        // The UEM named ids we did not send: treat the batch as failed, not loop.
                        let e = UemError::Protocol("the UEM refused device ids that were not sent".into());
                        fail_batch(recs, &batch, &e, stats);
                        batch.clear();
                        break;
                    }
                }
                Err(e) => {
                    fail_batch(recs, &batch, &e, stats);
                    batch.clear();
                    if matches!(e, UemError::Throttled { .. } | UemError::Unauthorized(_) | UemError::Unreachable(_)) {
                        stop = Some(e);
                    }
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let e = UemError::Protocol("the UEM kept refusing the batch".into());
            fail_batch(recs, &batch, &e, stats);
        }
        // Each batch's outcome is written before the next call, so a run stopped at its deadline loses at most
        // what was in flight (and the next run's comparison with the group's members repairs that).
        flush(deps, recs).await?;
    }
    Ok(())
}

fn fail_batch(recs: &mut Records<'_>, batch: &[(String, bool)], e: &UemError, stats: &mut PlatformRun) {
    for (id, adding) in batch {
        if *adding || recs.get(id).is_some() {
            recs.apply(id, &failed_outcome(e, !*adding));
        }
        stats.failed += 1;
    }
}

/// Device trust was deleted: once no managed group has a member left, takes the policies and groups out of the
/// UEM and deletes the device trust record (conditionally), so the tenant may set it up again. Returns whether
/// the removal is complete.
async fn finish_removal(
    deps: &Deps,
    uem: &dyn Uem,
    tenant: &str,
    dt: &DeviceTrustRecord,
    plans: &[PlatformPlan],
) -> Result<bool, ApiError> {
    for plan in plans {
        if plan.failure.is_some() {
            return Ok(false);
        }
        if let Some(g) = &plan.dep.group_id {
            match uem.device_group_members(g).await {
                Ok(m) if m.is_empty() => {}
                Ok(_) => return Ok(false),
                Err(UemError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(tenant, error = %e, "removal: group members could not be read");
                    return Ok(false);
                }
            }
        }
    }
    let left = deps.store.list_deployed(tenant).await.map_err(store_failure)?;
    if left.iter().any(|r| r.carries_items()) {
        return Ok(false);
    }
    for plan in plans {
        if let Err(f) = dismantle(deps, uem, &plan.dep).await {
            tracing::warn!(tenant, platform = plan.platform.as_str(), reason = %f.reason, "removal: dismantling failed");
            return Ok(false);
        }
    }
    match deps.store.delete_device_trust(dt).await {
        Ok(()) => Ok(true),
        Err(StoreError::VersionConflict { .. }) => Ok(false),
        Err(e) => Err(store_failure(e)),
    }
}
