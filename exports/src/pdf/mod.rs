//! The PDF export: an A4-landscape report for people. The first page holds the title, tenant, export time, the
//! summary lines, a stacked bar chart ([`BarChart`]) and small tables ([`PdfTable`], e.g. what each state means
//! to do next); the device table follows from the next page, its header row repeated on every page. Cells wrap:
//! every value shows whole, over as many lines as it needs (a long word breaks after punctuation, else where the
//! line ends), and a row taller than a page goes on over the next. Every page has a `Page N of M` footer.
//! Written with typst's `pdf-writer` crate; the fonts are the standard Helvetica and Helvetica-Bold in
//! WinAnsiEncoding (Windows-1252), not embedded, so text outside Windows-1252 shows as `?`. Every value is a text
//! string of the page, never markup: a name such as `<img src=x onerror=alert(1)>` shows as those characters.
//!
//! Rows are taken one at a time ([`PdfReport::row`], or from [`write_pdf`]'s iterator) and each page's content
//! stream is compressed (Flate) as soon as the page is full, so memory holds the compressed output plus one page,
//! never the rows. The first pages ([`PdfMeta`]) are written at the end ([`PdfReport::finish`]), so a summary
//! counted over the rows heads them. `pdf-writer` builds the file in memory and the bytes go to `out` at the end,
//! in one write: nothing is written when a row is rejected.

mod chart;
mod flow;
mod front;
mod sink;
mod table;

use std::io::Write;

use pdf_writer::{Content, Finish, Name, Rect, Str, TextStr};

use crate::metrics::{self, Font};
use crate::{check_columns, check_row, Cell, Column, ExportError};
use flow::Flow;
use sink::Sink;
use table::Table;

/// Page width and height in points (A4 landscape).
const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
/// Margin on every side, in points.
const MARGIN: f32 = 36.0;
/// Width between the left and right margins.
const USABLE_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Footer baseline and size, in points (inside the bottom margin).
const FOOTER_BASELINE: f32 = 20.0;
const FOOTER_SIZE: f32 = 8.0;

/// Resource names of the two fonts on every page.
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// What the first page holds: the title (also the document's Title property), the tenant, the export time as
/// given (e.g. `2026-11-29 21:30 UTC`), `label: value` summary lines in order, an optional chart, and small
/// tables under it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PdfMeta {
    /// Report title, first line of page 1.
    pub title: String,
    /// Tenant shown as `Tenant: …`, the export time after it on the same line.
    pub tenant: String,
    /// Export time, shown as `Exported: …`.
    pub exported_at: String,
    /// `(label, value)` lines shown as `label: value` under the title.
    pub summary: Vec<(String, String)>,
    /// A stacked bar chart under the summary lines.
    pub chart: Option<BarChart>,
    /// Tables under the chart, each with its title.
    pub tables: Vec<PdfTable>,
}

/// A stacked horizontal bar chart: one bar per [`Bar`], one segment per [`Series`] (in series order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    /// The chart's heading.
    pub title: String,
    /// What each segment counts, in drawing order (the legend's order).
    pub series: Vec<Series>,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// One series of a [`BarChart`]: its legend label and fill colour (RGB, each 0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend's text (the series' total follows it).
    pub label: String,
    /// Fill colour, red, green, blue from 0 to 1.
    pub color: [f32; 3],
}

/// One bar of a [`BarChart`]: its label and one count per series (missing counts are 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// The text before the bar.
    pub label: String,
    /// Counts in series order.
    pub values: Vec<u64>,
}

/// A small table on the first pages: its title, columns and rows (the same rules as the device table's).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfTable {
    /// The heading above it.
    pub title: String,
    /// Its columns (widths relative to each other over the page's width).
    pub columns: Vec<Column>,
    /// Its rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// What [`write_pdf`] wrote: the page count, the data-row count and the file size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfStats {
    /// Pages in the document (the first pages and the table's).
    pub pages: usize,
    /// Data rows in the device table.
    pub rows: usize,
    /// Bytes written to the output.
    pub bytes: u64,
}

/// Writes the report to `out`: `meta` on the first page, then one table row per item of `rows` (one cell per
/// column, in column order) from the next page on. Column widths are `Column::width` in proportion over the
/// 770 pt between the margins; cells wrap, nothing is cut; Number cells are right-aligned; newlines and tabs in a
/// cell show as spaces; characters outside Windows-1252 show as `?`. The whole file is written to `out` at the
/// end and `out` is flushed.
///
/// Errors: [`ExportError::Shape`] for no columns, a non-positive width, a row of the wrong length or with a cell
/// of the wrong kind, or a bad table in `meta` (then nothing has been written); [`ExportError::Io`] when writing
/// `out` fails.
pub fn write_pdf<W: Write>(
    out: W,
    meta: &PdfMeta,
    columns: &[Column],
    rows: impl Iterator<Item = Vec<Cell>>,
) -> Result<PdfStats, ExportError> {
    let mut report = PdfReport::new(columns)?;
    for cells in rows {
        report.row(&cells)?;
    }
    report.finish(out, meta)
}

/// Whether every word of `text` fits a line of column `index` of a table of `columns` (the device table, or a
/// [`PdfTable`]: both span the page), in the header's bold font when `heading`, else the cells' regular font:
/// then wrapping breaks no word of it (`Attestation`, not `Attestatio` / `n`). What a caller checks its column
/// titles and fixed vocabularies against. False for an index outside `columns` or bad columns.
pub fn words_fit(columns: &[Column], index: usize, text: &str, heading: bool) -> bool {
    if check_columns(columns).is_err() || index >= columns.len() {
        return false;
    }
    let font = if heading { Font::Bold } else { Font::Regular };
    Table::new(columns, MARGIN, USABLE_W).words_fit(index, text, font)
}

/// The report of [`write_pdf`] built a row at a time, its first page ([`PdfMeta`]) given only at the end, so a
/// summary counted over the rows can be written without holding them.
pub struct PdfReport<'a> {
    sink: Sink,
    table: Table<'a>,
    columns: &'a [Column],
    flow: Flow,
    rows: usize,
}

impl<'a> PdfReport<'a> {
    /// A report of `columns`. Errors: [`ExportError::Shape`] for no columns or a non-positive width.
    pub fn new(columns: &'a [Column]) -> Result<Self, ExportError> {
        check_columns(columns)?;
        let table = Table::new(columns, MARGIN, USABLE_W);
        let flow = Flow::new(&table, Content::new(), PAGE_H - MARGIN);
        Ok(Self { sink: Sink::new(), table, columns, flow, rows: 0 })
    }

    /// Adds one row (one cell per column, in column order). Errors: [`ExportError::Shape`] for a row of the wrong
    /// length or with a cell of the wrong kind (the report stays as it was).
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        check_row(self.columns, cells, self.rows as u64 + 1)?;
        self.rows += 1;
        self.flow.row(&mut self.sink, &self.table, cells);
        Ok(())
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the whole file to `out` with `meta` on the first pages, and flushes `out`.
    ///
    /// Errors: [`ExportError::Shape`] for a bad table in `meta` or past `i32::MAX` pages (nothing written);
    /// [`ExportError::Io`] when writing `out` fails.
    pub fn finish<W: Write>(self, mut out: W, meta: &PdfMeta) -> Result<PdfStats, ExportError> {
        let (bytes, stats) = self.into_bytes(meta)?;
        out.write_all(&bytes)?;
        out.flush()?;
        Ok(stats)
    }

    /// The whole file with `meta` on the first pages, as [`PdfReport::finish`] writes it, without a copy: what a
    /// caller that sends the bytes on in parts takes, so memory holds the file once.
    ///
    /// Errors: [`ExportError::Shape`] for a bad table in `meta` or past `i32::MAX` pages.
    pub fn into_bytes(self, meta: &PdfMeta) -> Result<(Vec<u8>, PdfStats), ExportError> {
        let PdfReport { mut sink, mut flow, rows, .. } = self;
        flow.pages.push(sink.stream(flow.content));
        let mut bodies = front::pages(&mut sink, meta)?;
        bodies.append(&mut flow.pages);
        let pages = bodies.len();
        let bytes = document(sink, &bodies, meta)?;
        let stats = PdfStats { pages, rows, bytes: bytes.len() as u64 };
        Ok((bytes, stats))
    }
}

/// The page objects (each body with its `Page N of M` footer), the page tree, the fonts, the catalog and the
/// document information; returns the file's bytes. Errors: [`ExportError::Shape`] past `i32::MAX` pages.
fn document(mut sink: Sink, bodies: &[pdf_writer::Ref], meta: &PdfMeta) -> Result<Vec<u8>, ExportError> {
    let pages = bodies.len();
    let count = i32::try_from(pages).map_err(|_| ExportError::Shape(format!("{pages} pages is too many")))?;
    let (catalog, tree, regular, bold, info) = (sink.id(), sink.id(), sink.id(), sink.id(), sink.id());
    let mut page_ids = Vec::with_capacity(pages);
    for (i, body) in bodies.iter().enumerate() {
        let label = format!("Page {} of {pages}", i + 1).into_bytes();
        let x = (PAGE_W - metrics::width(&label, Font::Regular, FOOTER_SIZE)) / 2.0;
        let mut content = Content::new();
        show(&mut content, REGULAR, FOOTER_SIZE, vec![(x, FOOTER_BASELINE, label)]);
        let (footer, page_id) = (sink.stream(content), sink.id());
        let mut page = sink.pdf.page(page_id);
        page.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents_array([*body, footer]);
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        page.finish();
        page_ids.push(page_id);
    }
    sink.pdf.pages(tree).kids(page_ids).count(count);
    for (id, name) in [(regular, Name(b"Helvetica")), (bold, Name(b"Helvetica-Bold"))] {
        sink.pdf.type1_font(id).base_font(name).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    sink.pdf.catalog(catalog).pages(tree);
    sink.pdf.document_info(info).title(TextStr(&meta.title)).producer(TextStr("odt-exports"));
    Ok(sink.pdf.finish())
}

/// Shows each `(x, y, WinAnsi bytes)` run (baseline start, points) in one text object, in the page font `name`
/// at `size` points.
fn show(content: &mut Content, name: Name, size: f32, runs: Vec<(f32, f32, Vec<u8>)>) {
    if runs.is_empty() {
        return;
    }
    content.begin_text();
    content.set_font(name, size);
    for (x, y, text) in &runs {
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
        content.show(Str(text));
    }
    content.end_text();
}
