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
    /// The most lines [`Summary::lines`] returns: devices, in scope, one per platform and `other`, the reasons
    /// out of scope, and the old payload count.
    pub const MAX_LINES: usize = 2 + odt_shared::platform::Platform::ALL.len() + 1 + 1 + 1;

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

    /// Lines for the PDF's first page.
    pub fn lines(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("Devices".to_string(), self.devices.to_string()),
            ("In scope".to_string(), self.in_scope.to_string()),
        ];
        for (p, states) in &self.by_platform {
            let parts: Vec<String> = states.iter().map(|(s, n)| format!("{} {n}", s.as_str())).collect();
            out.push((p.clone(), parts.join(", ")));
        }
        if !self.excluded.is_empty() {
            let parts: Vec<String> = self.excluded.iter().map(|(e, n)| format!("{e} {n}")).collect();
            out.push(("Out of scope because".to_string(), parts.join(", ")));
        }
        if self.old_payload > 0 {
            out.push(("Carrying an old payload".to_string(), self.old_payload.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if a summary could have more lines than the PDF export reserves room for on page 1.
    #[test]
    fn a_summary_never_has_more_lines_than_reserved() {
        let mut s = Summary { devices: 9, in_scope: 8, old_payload: 1, ..Summary::default() };
        s.excluded.insert("no_owner".into(), 1);
        for p in odt_shared::platform::Platform::ALL.iter().map(|p| p.as_str()).chain(["other"]) {
            s.by_platform.entry(p.to_string()).or_default().insert(OdtState::Managed, 1);
        }
        assert_eq!(s.lines().len(), Summary::MAX_LINES);
    }
}
