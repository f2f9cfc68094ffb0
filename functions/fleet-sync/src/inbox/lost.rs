//! Case C27: Okta deleted a device record (`device.lifecycle.delete`). The fleet devices whose evidence names that
//! Okta device id are marked as having lost it (`EvidenceRecord::okta_record_lost`): their status becomes
//! `must_enroll_again`, and the evidence change makes deploy-trigger deliver their attestation again.

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::StoreError;

/// How often a mark that lost a race with a concurrent evidence write is tried again.
const ATTEMPTS: usize = 3;

/// Marks every fleet device whose evidence names Okta device `okta_device` as having lost its Okta device record
/// (a conditional write on the version read, tried again when a refresh wrote first; after [`ATTEMPTS`] the
/// version conflict). Returns how many devices it
/// names: none means the event concerns no device of the fleet (counted as ignored). Errors: the store failing.
pub(super) async fn mark_lost(deps: &Deps, tenant: &str, okta_device: &str) -> Result<usize, Error> {
    let mut conflict = None;
    for _ in 0..ATTEMPTS {
        let names = |e: &odt_shared::store::EvidenceRecord| {
            e.okta_device_id.as_deref() == Some(okta_device) || e.okta_record_lost.as_deref() == Some(okta_device)
        };
        let hits: Vec<_> = deps.store.list_evidence(tenant).await?.into_iter().filter(names).collect();
        let named = hits.len();
        conflict = None;
        for old in hits {
            if old.okta_record_lost.as_deref() == Some(okta_device) && old.okta_device_id.is_none() {
                continue;
            }
            let mut rec = old.clone();
            rec.okta_device_id = None;
            rec.management_status = None;
            rec.okta_record_lost = Some(okta_device.to_string());
            rec.checked_at = odt_shared::clock::rfc3339(deps.clock.now());
            rec.version = old.version + 1;
            match deps.store.put_evidence(&rec, Some(old.version)).await {
                Ok(()) => {}
                Err(e @ StoreError::VersionConflict { .. }) => conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        if conflict.is_none() {
            return Ok(named);
        }
    }
    Err(conflict.map_or_else(|| Error::NotFound("evidence"), Error::from))
}
