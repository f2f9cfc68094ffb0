//! The report's first page (and more when it runs over): the title, tenant and export time, the summary lines,
//! the chart, and the small tables ([`super::PdfTable`]), each starting on a new page when the rest of the page
//! cannot hold its start.

use pdf_writer::{Content, Ref};

use super::flow::Flow;
use super::sink::Sink;
use super::table::Table;
use super::{chart, show, PdfMeta, BOLD, MARGIN, PAGE_H, REGULAR, USABLE_W};
use crate::metrics::{self, Font};
use crate::{check_columns, check_row, ExportError};

/// Title size and line height; the size and line height of the lines under it; a section title's size and the
/// room it takes; the gap between sections, points.
const TITLE_SIZE: f32 = 16.0;
const TITLE_LEAD: f32 = 20.0;
const META_SIZE: f32 = 10.0;
const META_LEAD: f32 = 14.0;
const SECTION_SIZE: f32 = 11.0;
const SECTION_H: f32 = 16.0;
const GAP: f32 = 10.0;

/// The pages before the table, written into `sink`; returns their content streams in order.
///
/// Errors: [`ExportError::Shape`] for a small table with no columns, a bad width or a row that does not fit
/// its columns.
pub(super) fn pages(sink: &mut Sink, meta: &PdfMeta) -> Result<Vec<Ref>, ExportError> {
    let mut content = Content::new();
    let mut top = PAGE_H - MARGIN;
    let title = metrics::wrap(&metrics::encode(&meta.title), Font::Bold, TITLE_SIZE, USABLE_W);
    top = lines(&mut content, title, BOLD, TITLE_SIZE, TITLE_LEAD, top);
    let facts = [format!("Tenant: {}  \u{b7}  Exported: {}", meta.tenant, meta.exported_at)]
        .into_iter()
        .chain(meta.summary.iter().map(|(label, value)| format!("{label}: {value}")));
    for fact in facts {
        let wrapped = metrics::wrap(&metrics::encode(&fact), Font::Regular, META_SIZE, USABLE_W);
        top = lines(&mut content, wrapped, REGULAR, META_SIZE, META_LEAD, top);
    }
    let mut done = Vec::new();
    if let Some(c) = &meta.chart {
        top -= GAP;
        if top - chart::height(c) < MARGIN {
            done.push(sink.stream(std::mem::replace(&mut content, Content::new())));
            top = PAGE_H - MARGIN;
        }
        top = chart::draw(&mut content, c, MARGIN, top);
    }
    for t in &meta.tables {
        check_columns(&t.columns)?;
        for (i, row) in t.rows.iter().enumerate() {
            check_row(&t.columns, row, i as u64 + 1)?;
        }
        let table = Table::new(&t.columns, MARGIN, USABLE_W);
        top -= GAP;
        if !Flow::room_at(&table, top - SECTION_H) {
            done.push(sink.stream(std::mem::replace(&mut content, Content::new())));
            top = PAGE_H - MARGIN;
        }
        let heading = metrics::wrap(&metrics::encode(&t.title), Font::Bold, SECTION_SIZE, USABLE_W);
        top = lines(&mut content, heading, BOLD, SECTION_SIZE, SECTION_H, top);
        let mut flow = Flow::new(&table, content, top);
        for row in &t.rows {
            flow.row(sink, &table, row);
        }
        done.append(&mut flow.pages);
        (content, top) = (flow.content, flow.top);
    }
    done.push(sink.stream(content));
    Ok(done)
}

/// Shows `lines` one under the other from `top`, `lead` points apart; returns the top of what follows.
fn lines(content: &mut Content, lines: Vec<Vec<u8>>, font: pdf_writer::Name, size: f32, lead: f32, top: f32) -> f32 {
    let n = lines.len();
    let runs = lines.into_iter().enumerate().map(|(i, l)| (MARGIN, top - size - i as f32 * lead, l)).collect();
    show(content, font, size, runs);
    top - n as f32 * lead
}
