//! Reconciliation's write of one device record, merged with an event hook's concurrent write (case C12).

use super::decide::redecide_record;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use odt_shared::store::{DeviceRecord, StoreError};
use std::collections::HashMap;

/// Writes one device record conditionally on the version reconciliation started from (`base`). On a conflict
/// (an event hook wrote meanwhile) it re-reads and merges: the owner facts the other writer changed since `base`
/// are newer than what this run gathered, so they win; everything else is this run's. The merged record is
/// re-decided and written on the fresh version, so the final record holds both changes (case C12). Returns
/// whether it wrote. Errors: the store failing, or three conflicts in a row ([`Error::Internal`]: the run fails
/// with a 500, not a 409 `version_conflict`, since the caller sent no version; the next run starts again).
pub async fn write_merging(
    deps: &Deps,
    mut rec: DeviceRecord,
    base: Option<DeviceRecord>,
    enabled: &HashMap<Platform, String>,
) -> Result<bool, Error> {
    let base = base.as_ref();
    let mut expected = base.map(|b| b.version);
    for _ in 0..3 {
        match deps.store.put_device(&rec, expected).await {
            Ok(()) => return Ok(true),
            Err(StoreError::VersionConflict { .. }) => {
                let Some(fresh) = deps.store.fresh_device(&rec).await? else {
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
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::internal("device record write", StoreError::VersionConflict { current: expected }))
}
