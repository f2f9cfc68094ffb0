//! The summary of a fleet's status: counts per platform by state, and the whole fleet's.

use crate::state::OdtState;
use crate::status::DeviceStatus;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Counts per platform by state, and the whole fleet's.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Devices counted (every device record, or those passing an export's filters).
    pub devices: usize,
    /// Devices in scope now (as each device's `inScope`).
    pub in_scope: usize,
    /// Devices by state.
    pub by_state: BTreeMap<OdtState, usize>,
    /// Per platform (`ios`, …; `other` for devices of no covered platform): devices by state.
    pub by_platform: BTreeMap<String, BTreeMap<OdtState, usize>>,
    /// Out-of-scope devices by reason.
    pub excluded: BTreeMap<String, usize>,
    /// Devices that still carry an older payload than their platform's.
    pub old_payload: usize,
}

impl Summary {
    /// Counts one device.
    pub fn add(&mut self, s: &DeviceStatus) {
        self.devices += 1;
        self.in_scope += usize::from(s.in_scope);
        *self.by_state.entry(s.odt_status).or_default() += 1;
        let p = s.platform.map(|p| p.as_str()).unwrap_or("other").to_string();
        *self.by_platform.entry(p).or_default().entry(s.odt_status).or_default() += 1;
        if let Some(e) = &s.exclusion {
            *self.excluded.entry(e.clone()).or_default() += 1;
        }
        self.old_payload += usize::from(s.old_payload);
    }
}
