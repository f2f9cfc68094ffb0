//! The policies step of a run: each deployed platform's managed group and policy made to carry what they should
//! ([`crate::policy::ensure`]), and each group's members read from the UEM: the truth the memberships step
//! compares with. A group deleted by hand in the UEM is made again. A platform that cannot be made ready keeps
//! the failure in its plan (its devices then fail with that reason); the run goes on.

use super::outcomes::Records;
use super::plan::PlatformPlan;
use super::{Ctx, PlatformRun, RunReport};
use crate::policy::{ensure, Ensured, PlatformFailure};
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use odt_shared::store::{OrgRecord, PlatformRecord};
use odt_shared::uem::UemError;
use std::collections::HashSet;

/// Makes each plan's group and policy ready and reads the group's members (a stream batch reads only the groups
/// its devices touch; a full run reads every group), noting per platform in `report` what was done. Returns the
/// platforms whose policy was written. Errors: the store failing to read the device-trust org.
pub(super) async fn prepare(
    ctx: &Ctx<'_>,
    plans: &mut [PlatformPlan],
    recs: &Records<'_>,
    report: &mut RunReport,
) -> Result<HashSet<Platform>, Error> {
    let org_domain = match ctx.settings.active {
        true => ctx.deps.store.get_org(ctx.tenant, &ctx.settings.dt.okta_org_id).await?,
        false => None,
    };
    let mut changed = HashSet::new();
    for plan in plans.iter_mut() {
        let run = report.platforms.entry(plan.platform.as_str().to_string()).or_default();
        if plan.deploy {
            let rec = ctx.settings.platform(plan.platform).expect("enabled platforms have records");
            let Some(domain) = org_domain.as_ref() else {
                plan.failure = Some(failure("the device-trust org is gone"));
                continue;
            };
            if let Some(done) = ensure_plan(ctx, plan, rec, domain, run).await {
                run.group_created = done.group_created;
                run.policy_written = done.policy_written;
                if done.policy_written {
                    changed.insert(plan.platform);
                }
            }
        }
        let touched = ctx.scope.devices.is_none() || run.policy_written || recs.touches(plan.platform);
        if touched && read_members(ctx, plan, org_domain.as_ref(), run).await {
            changed.insert(plan.platform);
        }
    }
    Ok(changed)
}

/// Reads the members of `plan`'s group (when it has one) into the plan; a failure to read them is the platform's
/// failure. Returns whether the group was gone and made again (its policy then changed).
async fn read_members(
    ctx: &Ctx<'_>,
    plan: &mut PlatformPlan,
    org_domain: Option<&OrgRecord>,
    run: &mut PlatformRun,
) -> bool {
    let Some(group) = plan.dep.group_id.clone() else { return false };
    match ctx.uem.device_group_members(&group).await {
        Ok(m) => plan.members = m.into_iter().collect(),
        Err(UemError::NotFound(_)) if !plan.deploy => {}
        Err(UemError::NotFound(_)) if plan.failure.is_none() => {
            return remake(ctx, plan, &group, org_domain, run).await
        }
        Err(e) => {
            run.error.get_or_insert_with(|| e.to_string());
            plan.failure.get_or_insert_with(|| e.into());
        }
    }
    false
}

/// The managed group `gone` was deleted in the UEM by hand: makes a new one (empty) and points the policy at it;
/// every device that belongs there is added by the memberships step. Returns whether that worked.
async fn remake(
    ctx: &Ctx<'_>,
    plan: &mut PlatformPlan,
    gone: &str,
    org_domain: Option<&OrgRecord>,
    run: &mut PlatformRun,
) -> bool {
    tracing::warn!(
        tenant = ctx.tenant,
        platform = plan.platform.as_str(),
        group = gone,
        "managed group gone; re-creating"
    );
    plan.dep.group_id = None;
    plan.dep.policy_key = None;
    let done = match (ctx.settings.platform(plan.platform), org_domain) {
        (Some(rec), Some(domain)) => ensure_plan(ctx, plan, rec, domain, run).await,
        _ => {
            fail(plan, run, failure("the platform cannot be deployed"));
            None
        }
    };
    let Some(done) = done else { return false };
    run.group_created = done.group_created;
    run.policy_written |= done.policy_written;
    true
}

/// [`ensure`] for `plan` (platform record `rec`, device-trust org `domain`); a failure is noted in `run` and kept
/// in the plan.
async fn ensure_plan(
    ctx: &Ctx<'_>,
    plan: &mut PlatformPlan,
    rec: &PlatformRecord,
    domain: &OrgRecord,
    run: &mut PlatformRun,
) -> Option<Ensured> {
    let method = ctx.settings.methods.get(&plan.platform);
    match ensure(ctx.deps, ctx.uem, ctx.tenant, &mut plan.dep, rec, domain, method).await {
        Ok(done) => Some(done),
        Err(f) => {
            fail(plan, run, f);
            None
        }
    }
}

/// The platform cannot be deployed this run, for `f`'s reason.
fn fail(plan: &mut PlatformPlan, run: &mut PlatformRun, f: PlatformFailure) {
    run.error = Some(f.reason.clone());
    run.unsupported = odt_shared::uem::Unsupported::from_reason(&f.reason);
    plan.failure = Some(f);
}

fn failure(reason: &str) -> PlatformFailure {
    PlatformFailure { reason: reason.into(), retry_after: None }
}
