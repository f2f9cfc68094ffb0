//! The end of a deleted device trust: once no managed group has a member left and no device carries anything,
//! the policies and groups are taken out of the UEM and the device trust record is deleted (conditionally), so the
//! tenant may set it up again.

use super::plan::PlatformPlan;
use crate::policy::dismantle;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::{DeviceTrustRecord, StoreError};
use odt_shared::uem::{Uem, UemError};

/// Ends device trust `dt` when nothing is left on any device; returns whether the removal is complete (`false`:
/// a later run tries again). Errors: the store failing.
pub(super) async fn finish(
    deps: &Deps,
    uem: &dyn Uem,
    tenant: &str,
    dt: &DeviceTrustRecord,
    plans: &[PlatformPlan],
) -> Result<bool, Error> {
    if !groups_empty(uem, tenant, plans).await {
        return Ok(false);
    }
    let left = deps.store.list_deployed(tenant).await?;
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
        Err(e) => Err(e.into()),
    }
}

/// Whether every platform was ready this run and its managed group (if any) has no member left (or is gone).
async fn groups_empty(uem: &dyn Uem, tenant: &str, plans: &[PlatformPlan]) -> bool {
    for plan in plans {
        if plan.failure.is_some() {
            return false;
        }
        if let Some(g) = &plan.dep.group_id {
            match uem.device_group_members(g).await {
                Ok(m) if m.is_empty() => {}
                Ok(_) => return false,
                Err(UemError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(tenant, error = %e, "removal: group members could not be read");
                    return false;
                }
            }
        }
    }
    true
}
