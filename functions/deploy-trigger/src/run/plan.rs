//! The plan of a run (reads only): the tenant's settings (device trust, platforms, Okta Verify methods, the
//! platforms' deployment records), the devices the run looks at with their deployment records, and the platform
//! whose managed group each device belongs in.

use super::outcomes::Records;
use super::CONCURRENCY;
use crate::desired::desired_platform;
use crate::policy::PlatformFailure;
use futures::stream::{self, StreamExt, TryStreamExt};
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use odt_shared::store::{
    DeployedRecord, DeploymentRecord, DeviceRecord, DeviceTrustRecord, DeviceTrustState, OktaVerifyRecord,
    PlatformRecord, StoreError,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use time::OffsetDateTime;

/// The tenant's settings a run follows, read once at its start.
pub(super) struct Settings {
    pub dt: DeviceTrustRecord,
    /// Device trust is active (not being removed).
    pub active: bool,
    pub platforms: Vec<PlatformRecord>,
    /// The platforms switched on (none while device trust is being removed).
    pub enabled: HashSet<Platform>,
    /// Okta Verify's installation method per platform.
    pub methods: HashMap<Platform, OktaVerifyRecord>,
    /// The stored deployment records, until [`Settings::plans`] hands them to the plans.
    deployments: HashMap<Platform, DeploymentRecord>,
}

impl Settings {
    /// The tenant's settings, or `None` when device trust is not configured. Errors: the store failing.
    pub async fn read(deps: &Deps, tenant: &str) -> Result<Option<Self>, Error> {
        let Some(dt) = deps.store.get_device_trust(tenant).await? else { return Ok(None) };
        let active = dt.state == DeviceTrustState::Active;
        let platforms = deps.store.list_platforms(tenant).await?;
        let enabled = platforms.iter().filter(|p| active && p.enabled).map(|p| p.platform).collect();
        let methods = deps.store.list_okta_verify(tenant).await?.into_iter().map(|m| (m.platform, m)).collect();
        let deployments =
            deps.store.list_deployments(tenant).await?.into_iter().filter_map(|d| Some((d.platform?, d))).collect();
        Ok(Some(Settings { dt, active, platforms, enabled, methods, deployments }))
    }

    /// Platform `p`'s record (every switched-on platform has one).
    pub fn platform(&self, p: Platform) -> Option<&PlatformRecord> {
        self.platforms.iter().find(|r| r.platform == p)
    }

    /// Every platform's plan, with its deployment record (an empty one when none is stored): a platform is
    /// deployed when it is switched on and a device belongs there or it was deployed before.
    pub fn plans(&mut self, tenant: &str, desired: &HashMap<Platform, BTreeSet<String>>) -> Vec<PlatformPlan> {
        let mut plans = Vec::new();
        for p in Platform::ALL {
            let dep = self.deployments.remove(&p).unwrap_or_else(|| DeploymentRecord::empty(tenant, p));
            let want = desired.get(&p).is_some_and(|s| !s.is_empty());
            let deploy = self.enabled.contains(&p) && (want || dep.version > 0);
            plans.push(PlatformPlan { platform: p, dep, deploy, failure: None, members: BTreeSet::new() });
        }
        plans
    }
}

/// A platform's state for a run.
pub(super) struct PlatformPlan {
    pub platform: Platform,
    pub dep: DeploymentRecord,
    /// Whether the platform should be deployed (device trust active, platform on, something to deploy).
    pub deploy: bool,
    /// Why it cannot be, when it should be but cannot.
    pub failure: Option<PlatformFailure>,
    /// The managed group's members in the UEM (read by the policies step).
    pub members: BTreeSet<String>,
}

/// The devices a run looks at and where each belongs.
pub(super) struct Devices {
    /// How many devices the run looks at.
    pub count: usize,
    /// Per platform, the devices that belong in its managed group.
    pub desired: HashMap<Platform, BTreeSet<String>>,
    /// Devices the fleet no longer has: their deployment records are deleted.
    pub gone: BTreeSet<String>,
}

/// Reads the devices `scope` looks at and their deployment records: the base of the run's records, and where each
/// device belongs. On a run over every device, a deployment record whose device the fleet no longer has (the UEM
/// removed it) is gone too. Errors: the store failing.
pub(super) async fn devices<'a>(
    deps: &Deps,
    tenant: &'a str,
    scope: &super::RunScope,
    settings: &Settings,
    now: OffsetDateTime,
) -> Result<(Records<'a>, Devices), Error> {
    let devices = read_devices(deps, tenant, scope.devices.as_ref()).await?;
    let deployed = read_deployed(deps, tenant, scope.devices.as_ref()).await?;
    let platform_of = devices.iter().map(|(id, d)| (id.clone(), d.as_ref().and_then(|d| d.platform))).collect();
    let recs = Records::new(tenant, now, deployed, platform_of);
    let mut out = Devices { count: devices.len(), desired: HashMap::new(), gone: BTreeSet::new() };
    for (id, d) in &devices {
        match d {
            Some(d) => {
                if let Some(p) = desired_platform(d, settings.active, &settings.enabled) {
                    out.desired.entry(p).or_default().insert(id.clone());
                }
            }
            None => {
                out.gone.insert(id.clone());
            }
        }
    }
    if scope.devices.is_none() {
        let known: HashSet<&String> = devices.iter().map(|(id, _)| id).collect();
        out.gone.extend(recs.stored_ids().filter(|id| !known.contains(id)).cloned());
    }
    Ok((recs, out))
}

/// A policy that changed changes what every member of its platform carries: a stream batch's run takes in every
/// device of the `changed` platforms it did not look at yet (its record as the base, its desired platform), so
/// each is recorded with what it now carries. Errors: the store failing.
pub(super) async fn widen(
    deps: &Deps,
    tenant: &str,
    settings: &Settings,
    changed: &HashSet<Platform>,
    recs: &mut Records<'_>,
    desired: &mut HashMap<Platform, BTreeSet<String>>,
) -> Result<(), Error> {
    let deployed = deps.store.list_deployed(tenant).await?;
    let mut deployed: HashMap<String, DeployedRecord> =
        deployed.into_iter().map(|r| (r.device_id.clone(), r)).collect();
    for (id, d) in read_devices(deps, tenant, None).await? {
        let platform = d.as_ref().and_then(|d| d.platform);
        if recs.looks_at(&id) || !platform.is_some_and(|p| changed.contains(&p)) {
            continue;
        }
        if let Some(p) = d.as_ref().and_then(|d| desired_platform(d, settings.active, &settings.enabled)) {
            desired.entry(p).or_default().insert(id.clone());
        }
        let stored = deployed.remove(&id);
        recs.include(id, platform, stored);
    }
    Ok(())
}

/// Reads the devices a run looks at: all of them (`ids` `None`), or the listed ids (a missing record: the device
/// is gone).
async fn read_devices(
    deps: &Deps,
    tenant: &str,
    ids: Option<&BTreeSet<String>>,
) -> Result<Vec<(String, Option<DeviceRecord>)>, Error> {
    match ids {
        None => {
            Ok(deps.store.list_devices(tenant).await?.into_iter().map(|d| (d.device_id.clone(), Some(d))).collect())
        }
        Some(ids) => Ok(stream::iter(ids.iter().cloned())
            .map(|id| async move {
                let rec = deps.store.get_device(tenant, &id).await?;
                Ok::<_, StoreError>((id, rec))
            })
            .buffered(CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?),
    }
}

/// Reads the deployment records of the devices a run looks at (`ids` as in [`read_devices`]), by device id.
async fn read_deployed(
    deps: &Deps,
    tenant: &str,
    ids: Option<&BTreeSet<String>>,
) -> Result<HashMap<String, DeployedRecord>, Error> {
    let recs: Vec<DeployedRecord> = match ids {
        None => deps.store.list_deployed(tenant).await?,
        Some(ids) => each_found(ids, |id| async move { deps.store.get_deployed(tenant, &id).await }).await?,
    };
    Ok(recs.into_iter().map(|r| (r.device_id.clone(), r)).collect())
}

/// The record `get` finds for each of `ids` ([`CONCURRENCY`] reads at once), in id order; ids without one are
/// left out. Errors: the first read that failed.
pub(super) async fn each_found<T, F, Fut>(ids: &BTreeSet<String>, get: F) -> Result<Vec<T>, StoreError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, StoreError>>,
{
    let found: Vec<Option<T>> = stream::iter(ids.iter().cloned()).map(get).buffered(CONCURRENCY).try_collect().await?;
    Ok(found.into_iter().flatten().collect())
}
