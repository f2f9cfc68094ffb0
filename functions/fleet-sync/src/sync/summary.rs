//! What a reconciliation run (or a preview) reports: devices, in scope, and out of scope by reason.

use odt_shared::scope::Exclusion;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Pages of the UEM inventory read so far by this re-read, in every run of it (a fleet too large for one run
    /// is read over several; one that stopped while reading reports `devices` 0 until its last page is read).
    #[serde(default)]
    pub uem_pages_read: usize,
    /// Whether the run reached the end (otherwise it left a checkpoint).
    pub complete: bool,
    /// Where this run started (a device id), when it resumed from a checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_after: Option<String>,
    /// Why this run could not go on although it had its whole invocation for what it stopped at: the
    /// reconciliation will not finish by itself (also shown by `GET /fleet` until a run gets further).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stalled: Option<String>,
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
