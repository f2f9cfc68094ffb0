//! The PDF report people read: the device table's columns and cells in words ([`cells`]: state and reason
//! labels, the next step next to them, platform names, times in UTC minutes, Okta Verify and the attestation in a
//! few words), and its first page ([`front`]: the export's facts, the devices by platform and state as a stacked
//! bar chart, and what to do next per state and reason with their counts). Labels and next steps come from
//! [`crate::state`]; the CSV keeps the API's names ([`crate::status::COLUMNS`]).

pub mod cells;
pub mod front;
#[cfg(test)]
mod tests;

pub use cells::{cells, PDF_COLUMNS};
pub use front::STEP_COLUMNS;

use crate::filter::Filter;
use crate::state::OdtState;
use crate::status::DeviceStatus;
use crate::summary::Summary;
use odt_exports::{ExportError, PdfMeta, PdfReport, PdfStats};
use std::collections::BTreeMap;

/// The report's title (first page, document title).
pub const TITLE: &str = "Okta Device Trust: device configuration status";

/// The PDF report being built: the rows as they come, and what its first page counts.
pub struct DeviceReport {
    pdf: PdfReport<'static>,
    summary: Summary,
    steps: BTreeMap<(OdtState, Option<String>), usize>,
}

impl DeviceReport {
    /// An empty report. Errors: the columns refused (a bug).
    pub fn new() -> Result<Self, ExportError> {
        Ok(DeviceReport { pdf: PdfReport::new(&PDF_COLUMNS)?, summary: Summary::default(), steps: BTreeMap::new() })
    }

    /// Adds one device's row and counts it. Errors: the row refused (a bug).
    pub fn add(&mut self, s: &DeviceStatus) -> Result<(), ExportError> {
        self.pdf.row(&cells(s))?;
        self.summary.add(s);
        let reason = (s.odt_status == OdtState::NotInScope).then(|| s.exclusion.clone()).flatten();
        *self.steps.entry((s.odt_status, reason)).or_default() += 1;
        Ok(())
    }

    /// The file with its first page (`tenant`, `exported_at` RFC 3339, the `filter` it was made with), what was
    /// written and the summary of its rows. Errors: a first page refused (a bug).
    pub fn finish(
        self,
        tenant: &str,
        exported_at: &str,
        filter: &Filter,
    ) -> Result<(Vec<u8>, PdfStats, Summary), ExportError> {
        let meta = PdfMeta {
            title: TITLE.to_string(),
            tenant: tenant.to_string(),
            exported_at: cells::utc_minutes(exported_at),
            summary: front::facts(&self.summary, filter),
            chart: Some(front::chart(&self.summary)),
            tables: vec![front::steps_table(&self.steps)],
        };
        let (bytes, stats) = self.pdf.into_bytes(&meta)?;
        Ok((bytes, stats, self.summary))
    }
}
