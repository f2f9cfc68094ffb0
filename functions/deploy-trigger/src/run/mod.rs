//! One deployment run for one tenant: compare each device's desired platform with the managed groups' actual
//! members in the UEM, make the platforms' groups and policies carry what they should, change memberships in
//! batches, and record every device's outcome. Idempotent: what is already true costs no UEM change.
//!
//! [`run_tenant`] is the sequence of the steps, each in a file of its own: `plan` (the tenant's settings, the
//! devices the run looks at and the platform each belongs in), `policies` (each platform's managed group and
//! policy in the UEM, and the group's members), `memberships` (the membership diffs, sent in batches), `redeliver`
//! (the attestation delivered again: case C27, a deleted Okta device record; and, on macOS and Windows, a SCEP
//! certificate's renewal or a device never managed within 90 days), `challenges` (on
//! platforms with Okta's dynamic SCEP challenge, each member's own document) and `outcomes` (each device's deployment record, written as its outcome changes); `removal` ends a deleted device
//! trust once no device carries anything.

mod challenges;
mod memberships;
mod outcomes;
mod plan;
mod policies;
mod redeliver;
mod removal;

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::pacing::CallClass;
use odt_shared::uem::Uem;
use plan::Settings;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

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
    /// Devices whose attestation was delivered again (their Okta device record deleted, case C27; a SCEP
    /// certificate's renewal; never managed within 90 days): taken out of the group and added again (not counted
    /// in `added` or `removed`), or, with the dynamic SCEP challenge, given a document with a new challenge.
    pub redelivered: usize,
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
    /// When the UEM portal refused a call its public API does not document (the policy's payload): which, and
    /// the manual step that replaces it. Its devices fail permanently with the same reason (no retry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<odt_shared::uem::Unsupported>,
}

impl PlatformRun {
    /// Adds the membership counts of `s` (the desired count is replaced).
    fn merge(&mut self, s: PlatformRun) {
        self.desired = s.desired;
        self.added += s.added;
        self.removed += s.removed;
        self.redelivered += s.redelivered;
        self.failed += s.failed;
        self.waiting += s.waiting;
    }
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

/// What the steps of one run share once the UEM is connected.
struct Ctx<'a> {
    deps: &'a Deps,
    tenant: &'a str,
    scope: &'a RunScope,
    uem: &'a dyn Uem,
    settings: &'a Settings,
}

/// Runs deployment for `tenant` over `scope`.
///
/// Errors (the run as a whole: the caller retries it): the store or Secrets Manager failing, or a stored UEM
/// portal that no longer passes the outbound rules. UEM failures are not errors of the run: they are recorded per
/// device (and per platform in the report) and retried later.
pub async fn run_tenant(deps: &Deps, tenant: &str, scope: &RunScope) -> Result<RunReport, Error> {
    // Boxed: a run nests the AWS SDK's deep futures, and unboxed it would take every caller's future (the Lambda
    // runtimes', the tests') past the compiler's layout depth limit.
    Box::pin(steps(deps, tenant, scope)).await
}

/// The run's steps, in order: plan, policies, memberships, outcomes (and the removal's end).
async fn steps(deps: &Deps, tenant: &str, scope: &RunScope) -> Result<RunReport, Error> {
    let now = deps.clock.now();
    let mut report = RunReport::default();
    let Some(mut settings) = Settings::read(deps, tenant).await? else {
        report.blocked = Some("device_trust_not_configured".into());
        return Ok(report);
    };
    let (mut recs, mut devices) = plan::devices(deps, tenant, scope, &settings, now).await?;
    report.devices = devices.count;
    let Some(uem) = deps.tenant_uem(tenant, CallClass::Deployment).await? else {
        report.blocked = Some("uem_not_connected".into());
        report.records_written = recs.finish(deps, &devices.gone).await?;
        return Ok(report);
    };
    let mut plans = settings.plans(tenant, &devices.desired);
    let ctx = Ctx { deps, tenant, scope, uem: uem.as_ref(), settings: &settings };
    let changed = policies::prepare(&ctx, &mut plans, &recs, &mut report).await?;
    if !changed.is_empty() && scope.devices.is_some() {
        plan::widen(deps, tenant, &settings, &changed, &mut recs, &mut devices.desired).await?;
    }
    let carrying = scope.devices.is_some().then(|| redeliver::carrying(&recs));
    let lost = redeliver::due(deps, tenant, carrying.as_ref(), &settings, &recs, now).await?;
    memberships::apply(&ctx, &plans, &mut devices, &mut recs, &mut report).await?;
    redeliver::deliver_again(&ctx, &plans, &lost, &mut recs, &mut report).await?;
    challenges::deliver(&ctx, &plans, &mut recs, &mut report).await?;
    report.records_written = recs.finish(deps, &devices.gone).await?;
    if !settings.active && scope.devices.is_none() {
        report.removal_complete = removal::finish(deps, uem.as_ref(), tenant, &settings.dt, &plans).await?;
    }
    report.uem_calls = uem.calls_made();
    Ok(report)
}
