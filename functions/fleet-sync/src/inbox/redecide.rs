//! Re-deciding an Okta user's devices after a fact about the user changed, from the facts kept on each device
//! record, conditionally on the record's version (case C12).

use super::context::Context;
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::{DeviceRecord, FactKey, StoreError};

/// Conditional writes one device's re-decision may lose to concurrent writers before the delivery fails.
const REDECIDE_ATTEMPTS: usize = 5;

/// Re-decides every device of `user` after the fact `fact` changed, from the facts on each record,
/// conditionally on the record's version; a conflict (reconciliation or another consumer wrote meanwhile)
/// re-reads and re-applies (case C12). Each attempt applies the newest stored value of the fact, read after the
/// record, never the value of the event at hand; and after a write the fact is read once more: if a newer event
/// landed between this attempt's read and its write (its own re-decision saw the record before this write and
/// found nothing to do), this one applies the newer value too. So applications racing on one user end on the
/// newest fact whichever writes last. Returns how many devices of the fleet are the user's (0: the event concerns
/// no device, e.g. a user Okta does not have or one who owns none yet, and counts as ignored). Errors: the store
/// failing, or [`REDECIDE_ATTEMPTS`] rounds on one record without settling (the stream delivers the inbox record
/// again).
pub(super) async fn redecide(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    user: &str,
    fact: FactKey<'_>,
    change: impl Fn(&mut DeviceRecord, &str),
) -> Result<usize, Error> {
    let devices = deps.store.devices_of_user(tenant, user).await?;
    for found in &devices {
        let mut settled = false;
        for _ in 0..REDECIDE_ATTEMPTS {
            if attempt(deps, tenant, ctx, found, fact, &change).await? {
                settled = true;
                break;
            }
        }
        if !settled {
            // Losing every attempt must not pass for applied: the record fails (no marker is written), so the
            // stream's redelivery applies the event again instead of the change being lost.
            return Err(StoreError::VersionConflict { current: None }.into());
        }
    }
    Ok(devices.len())
}

/// One attempt at re-deciding the device `found`: `true` once it settled (nothing to change, the record or the
/// fact gone, or written with the fact still the newest), `false` to try again (a concurrent write won, or a
/// newer fact landed meanwhile).
async fn attempt(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    found: &DeviceRecord,
    fact: FactKey<'_>,
    change: &impl Fn(&mut DeviceRecord, &str),
) -> Result<bool, Error> {
    let Some(fresh) = deps.store.fresh_device(found).await? else { return Ok(true) };
    let Some(kept) = deps.store.fact(tenant, fact).await? else {
        // Written just before this call and never deleted; absent only if the table was emptied.
        return Ok(true);
    };
    let mut next = fresh.clone();
    change(&mut next, &kept.value);
    crate::sync::redecide_record(&mut next, &ctx.enabled);
    if next.same_state(&fresh) {
        return Ok(true);
    }
    next.version = fresh.version + 1;
    next.updated_at = rfc3339(deps.clock.now());
    match deps.store.put_device(&next, Some(fresh.version)).await {
        Ok(()) => Ok(deps.store.fact(tenant, fact).await?.as_ref() == Some(&kept)),
        Err(StoreError::VersionConflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
