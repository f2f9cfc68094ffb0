//! The PDF report's first page: the export's facts, the devices by platform and state as a stacked bar chart,
//! and what to do next per state (per reason out of scope) with its devices.

use super::cells::text;
use crate::filter::Filter;
use crate::state::{exclusion_label, next_step, parse_exclusion, OdtState};
use crate::summary::Summary;
use odt_exports::{Bar, BarChart, Cell, Column, ColumnKind, PdfTable, Series};
use odt_shared::platform::Platform;
use std::collections::BTreeMap;

/// The columns of the first page's "What to do next" table.
pub const STEP_COLUMNS: [Column; 4] = [
    text("odt_status", "State", 3.0),
    text("exclusion", "Out of scope because", 4.0),
    Column { id: "devices", title: "Devices", kind: ColumnKind::Number, width: 1.0 },
    text("next_step", "Next step", 5.0),
];

/// The first page's `label: value` lines: counts, and the filter the export was made with.
pub(super) fn facts(summary: &Summary, filter: &Filter) -> Vec<(String, String)> {
    let mut out = vec![("Devices".to_string(), format!("{}, {} of them in scope", summary.devices, summary.in_scope))];
    if summary.old_payload > 0 {
        out.push(("Carrying an older payload".into(), summary.old_payload.to_string()));
    }
    let mut only = Vec::new();
    if let Some(p) = filter.platform {
        only.push(format!("platform {}", p.label()));
    }
    if let Some(s) = filter.state {
        only.push(format!("state {}", s.label()));
    }
    if let Some(g) = &filter.group {
        only.push(format!("owners in Okta group {g}"));
    }
    if let Some(q) = &filter.q {
        only.push(format!("matching \"{q}\""));
    }
    if !only.is_empty() {
        out.push(("Only devices with".into(), only.join("; ")));
    }
    out
}

/// Each state's fill in the chart: green done, blues and purple waiting on people, yellow under way, reds
/// failing, greys out.
fn color(state: OdtState) -> [f32; 3] {
    match state {
        OdtState::Managed => [0.18, 0.55, 0.27],
        OdtState::NotManaged => [0.90, 0.49, 0.13],
        OdtState::MustEnrollAgain => [0.51, 0.33, 0.68],
        OdtState::AwaitingFastpass => [0.16, 0.58, 0.62],
        OdtState::Delivered => [0.27, 0.47, 0.80],
        OdtState::Pending => [0.97, 0.78, 0.25],
        OdtState::Failed => [0.80, 0.15, 0.15],
        OdtState::Unsupported => [0.55, 0.30, 0.18],
        OdtState::Removing => [0.55, 0.55, 0.55],
        OdtState::NotInScope => [0.80, 0.80, 0.80],
    }
}

/// Devices by platform (a bar each, in platform order, `Other` last) and state (a segment each).
pub(super) fn chart(summary: &Summary) -> BarChart {
    let series = OdtState::ALL.iter().map(|s| Series { label: s.label().into(), color: color(*s) }).collect();
    let keys = Platform::ALL.iter().map(|p| (p.as_str(), p.label())).chain([("other", "Other")]);
    let bars = keys
        .filter_map(|(key, label)| {
            let states = summary.by_platform.get(key)?;
            let values = OdtState::ALL.iter().map(|s| states.get(s).copied().unwrap_or(0) as u64).collect();
            Some(Bar { label: label.into(), values })
        })
        .collect();
    BarChart { title: "Devices by platform and state".into(), series, bars }
}

/// What to do next: a row per state (per reason for devices out of scope) with its devices and next step.
pub(super) fn steps_table(steps: &BTreeMap<(OdtState, Option<String>), usize>) -> PdfTable {
    let columns = STEP_COLUMNS.to_vec();
    let rows = steps
        .iter()
        .map(|((state, reason), n)| {
            let reason = reason.as_deref().and_then(parse_exclusion);
            vec![
                Cell::Text(state.label().into()),
                reason.map_or(Cell::Empty, |e| Cell::Text(exclusion_label(e).into())),
                Cell::Number(*n as i64),
                Cell::Text(next_step(*state, reason).into()),
            ]
        })
        .collect();
    PdfTable { title: "What to do next".into(), columns, rows }
}
