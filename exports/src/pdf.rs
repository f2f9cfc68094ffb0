//! The PDF export: an A4-landscape report with a header block (title, tenant, export time, summary lines) and the
//! device table, its header row repeated on every page, one line per row, and a `Page N of M` footer on every
//! page. Written with typst's `pdf-writer` crate; the fonts are the standard Helvetica and Helvetica-Bold in
//! WinAnsiEncoding (Windows-1252), not embedded, so text outside Windows-1252 shows as `?`.
//!
//! Rows are taken one at a time ([`PdfReport::row`], or from [`write_pdf`]'s iterator) and each page's content
//! stream is compressed (Flate) as soon as the page is full, so memory holds the compressed output plus one page,
//! never the rows. Page 1's header block is a content stream of its own, written at the end
//! ([`PdfReport::finish`]): a summary counted over the rows can head the rows it counts, room for it reserved up
//! front. `pdf-writer` builds the file in memory and the bytes go to `out` at the end, in one write: nothing is
//! written when a row is rejected. The page objects and the footers are written last, once the page count is
//! known.

use std::io::Write;

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::metrics::{self, Font};
use crate::{check_columns, check_row, Cell, Column, ColumnKind, ExportError};

/// Page width in points (A4 landscape).
const PAGE_W: f32 = 842.0;
/// Page height in points (A4 landscape).
const PAGE_H: f32 = 595.0;
/// Margin on every side, in points.
const MARGIN: f32 = 36.0;
/// Width between the left and right margins, shared by the columns.
const USABLE_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Title font size and the height of its line, in points.
const TITLE_SIZE: f32 = 16.0;
const TITLE_LEAD: f32 = 22.0;
/// Font size and line height of the tenant, export-time and summary lines, in points.
const META_SIZE: f32 = 10.0;
const META_LEAD: f32 = 14.0;
/// Space between the header block and the table on page 1, in points.
const BLOCK_GAP: f32 = 10.0;
/// Table font size, header-row height, data-row height and the padding inside a cell, in points (7 pt: the
/// status report's 17 columns show their values uncut across 770 pt).
const TABLE_SIZE: f32 = 7.0;
const HEADER_H: f32 = 16.0;
const ROW_H: f32 = 12.0;
const CELL_PAD: f32 = 3.0;
/// The lowest point a table row may reach (the bottom margin), in points.
const TABLE_BOTTOM: f32 = MARGIN;
/// Footer baseline and size, in points (inside the bottom margin).
const FOOTER_BASELINE: f32 = 22.0;
const FOOTER_SIZE: f32 = 8.0;
/// Fill of the header row and of every second data row (0 black, 1 white).
const HEADER_GRAY: f32 = 0.85;
const ZEBRA_GRAY: f32 = 0.95;
/// Flate level for the page content streams (miniz_oxide: 0 none .. 10 best).
const FLATE_LEVEL: u8 = 6;

/// Resource names of the two fonts on every page.
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// What goes above the table on page 1: the title (also the document's Title property), the tenant, the export
/// time as given (RFC 3339, e.g. `2026-11-29T21:30:00Z`), and `label: value` summary lines in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PdfMeta {
    /// Report title, first line of page 1.
    pub title: String,
    /// Tenant shown as `Tenant: …`.
    pub tenant: String,
    /// Export time (RFC 3339), shown as `Exported: …`.
    pub exported_at: String,
    /// `(label, value)` lines shown as `label: value` before the table.
    pub summary: Vec<(String, String)>,
}

/// What [`write_pdf`] wrote: the page count, the data-row count and the file size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfStats {
    /// Pages in the document (at least 1).
    pub pages: usize,
    /// Data rows in the table.
    pub rows: usize,
    /// Bytes written to the output.
    pub bytes: u64,
}

/// How many data rows fit on a page: the first page (which also holds the header block with `summary_lines`
/// summary lines) or any later one (`summary_lines` ignored). Every row is one line, so this is exact: row `i`
/// (0-based) is on page 1 when `i < rows_per_page(true, s)`, else on page
/// `2 + (i - rows_per_page(true, s)) / rows_per_page(false, 0)`. 0 when the header block leaves no room.
pub fn rows_per_page(first_page: bool, summary_lines: usize) -> usize {
    let block = if first_page { block_height(summary_lines) } else { 0.0 };
    let room = PAGE_H - MARGIN - block - HEADER_H - TABLE_BOTTOM;
    if room < ROW_H {
        0
    } else {
        (room / ROW_H).floor() as usize
    }
}

/// Whether `text` shows uncut (no `...`) in column `index` of a table of `columns` (false for an index outside
/// them): what a caller checks its fixed vocabularies against, e.g. every state name in its column.
pub fn fits_uncut(columns: &[Column], index: usize, text: &str) -> bool {
    let total: f32 = columns.iter().map(|c| c.width).sum();
    columns.get(index).is_some_and(|c| {
        let room = c.width / total * USABLE_W - 2.0 * CELL_PAD;
        metrics::width(&metrics::encode(text), Font::Regular, TABLE_SIZE) <= room
    })
}

/// Writes the report to `out`: `meta` above the table on page 1, then one table row per item of `rows` (one cell
/// per column, in column order), new pages as needed with the header row repeated. Column widths are
/// `Column::width` in proportion over the 770 pt between the margins; cell text that does not fit ends in `...`;
/// Number cells are right-aligned; newlines and tabs in a cell show as spaces; characters outside Windows-1252
/// show as `?`. The whole file is written to `out` at the end and `out` is flushed.
///
/// Errors: [`ExportError::Shape`] for no columns, a non-positive width, a row of the wrong length or with a cell
/// of the wrong kind (then nothing has been written), or a summary too long to leave a table row on page 1;
/// [`ExportError::Io`] when writing `out` fails.
pub fn write_pdf<W: Write>(
    out: W,
    meta: &PdfMeta,
    columns: &[Column],
    rows: impl Iterator<Item = Vec<Cell>>,
) -> Result<PdfStats, ExportError> {
    let mut report = PdfReport::new(columns, meta.summary.len())?;
    for cells in rows {
        report.row(&cells)?;
    }
    report.finish(out, meta)
}

/// The report of [`write_pdf`] built a row at a time, its page-1 header block ([`PdfMeta`]) given only at the
/// end, so a summary counted over the rows can be written without holding them. Room on page 1 is reserved for
/// `summary_lines` summary lines; fewer leave that room blank.
pub struct PdfReport<'a> {
    doc: Doc<'a>,
    summary_lines: usize,
    rows: usize,
}

impl<'a> PdfReport<'a> {
    /// A report of `columns` with room on page 1 for up to `summary_lines` summary lines.
    ///
    /// Errors: [`ExportError::Shape`] for no columns, a non-positive width, or a summary too long to leave a
    /// table row on page 1.
    pub fn new(columns: &'a [Column], summary_lines: usize) -> Result<Self, ExportError> {
        check_columns(columns)?;
        if rows_per_page(true, summary_lines) == 0 {
            return Err(ExportError::Shape(format!(
                "{summary_lines} summary lines leave no room for the table on the first page"
            )));
        }
        let mut doc = Doc::new(columns);
        doc.start_page(Some(summary_lines));
        Ok(Self { doc, summary_lines, rows: 0 })
    }

    /// Adds one row (one cell per column, in column order). Errors: [`ExportError::Shape`] for a row of the wrong
    /// length or with a cell of the wrong kind (the report stays as it was).
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        check_row(self.doc.columns, cells, self.rows as u64 + 1)?;
        self.rows += 1;
        self.doc.row(cells);
        Ok(())
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the whole file to `out` with `meta` above the table on page 1, and flushes `out`.
    ///
    /// Errors: [`ExportError::Shape`] for more summary lines than reserved, or past `i32::MAX` pages (nothing
    /// written); [`ExportError::Io`] when writing `out` fails.
    pub fn finish<W: Write>(self, mut out: W, meta: &PdfMeta) -> Result<PdfStats, ExportError> {
        if meta.summary.len() > self.summary_lines {
            return Err(ExportError::Shape(format!(
                "{} summary lines, room was reserved for {}",
                meta.summary.len(),
                self.summary_lines
            )));
        }
        let rows = self.rows;
        let (bytes, pages) = self.doc.finish(meta)?;
        out.write_all(&bytes)?;
        out.flush()?;
        Ok(PdfStats { pages, rows, bytes: bytes.len() as u64 })
    }
}

/// The height of page 1's header block with `summary_lines` summary lines, gap to the table included.
fn block_height(summary_lines: usize) -> f32 {
    TITLE_LEAD + (2 + summary_lines) as f32 * META_LEAD + BLOCK_GAP
}

/// The document being built: the `pdf-writer` buffer, the next free object id, the column geometry, the finished
/// page bodies and the page under construction.
struct Doc<'a> {
    pdf: Pdf,
    next: Ref,
    catalog: Ref,
    tree: Ref,
    regular: Ref,
    bold: Ref,
    info: Ref,
    columns: &'a [Column],
    /// Left edge and width of each column, in points.
    xs: Vec<f32>,
    ws: Vec<f32>,
    /// Content-stream ids of the finished pages, in order.
    bodies: Vec<Ref>,
    /// The page under construction, the top of its next row, its rows so far and its capacity.
    content: Content,
    row_top: f32,
    on_page: usize,
    capacity: usize,
}

impl<'a> Doc<'a> {
    /// A document with the fixed objects' ids reserved and the column geometry computed.
    fn new(columns: &'a [Column]) -> Self {
        let mut next = Ref::new(1);
        let (catalog, tree, regular, bold, info) = (next.bump(), next.bump(), next.bump(), next.bump(), next.bump());
        let total: f32 = columns.iter().map(|c| c.width).sum();
        let ws: Vec<f32> = columns.iter().map(|c| c.width / total * USABLE_W).collect();
        let xs = ws
            .iter()
            .scan(MARGIN, |x, w| {
                let left = *x;
                *x += w;
                Some(left)
            })
            .collect();
        Self {
            pdf: Pdf::new(),
            next,
            catalog,
            tree,
            regular,
            bold,
            info,
            columns,
            xs,
            ws,
            bodies: Vec::new(),
            content: Content::new(),
            row_top: 0.0,
            on_page: 0,
            capacity: 0,
        }
    }

    /// Starts a page with the table's header row: below room for a header block of `summary_lines` summary lines
    /// when given (page 1; the block itself is written by [`Doc::finish`]).
    fn start_page(&mut self, summary_lines: Option<usize>) {
        self.content = Content::new();
        self.content.save_state();
        let mut top = PAGE_H - MARGIN;
        if let Some(lines) = summary_lines {
            top -= block_height(lines);
            self.capacity = rows_per_page(true, lines);
        } else {
            self.capacity = rows_per_page(false, 0);
        }
        self.content.set_fill_gray(HEADER_GRAY).rect(MARGIN, top - HEADER_H, USABLE_W, HEADER_H).fill_nonzero();
        self.content.set_fill_gray(0.0);
        let baseline = top - 10.5;
        let mut runs = Vec::with_capacity(self.columns.len());
        for (i, column) in self.columns.iter().enumerate() {
            let title =
                metrics::fit(metrics::encode(column.title), Font::Bold, TABLE_SIZE, self.ws[i] - 2.0 * CELL_PAD);
            runs.push((self.cell_x(i, column.kind, &title, Font::Bold), baseline, title));
        }
        show(&mut self.content, BOLD, TABLE_SIZE, runs);
        self.row_top = top - HEADER_H;
        self.on_page = 0;
    }

    /// Page 1's header block, a content stream of its own: the title in bold at the top, then `Tenant:`,
    /// `Exported:` and the summary. Returns the stream's id.
    fn header_block(&mut self, meta: &PdfMeta) -> Ref {
        let top = PAGE_H - MARGIN;
        let mut content = Content::new();
        let title = metrics::fit(metrics::encode(&meta.title), Font::Bold, TITLE_SIZE, USABLE_W);
        show(&mut content, BOLD, TITLE_SIZE, vec![(MARGIN, top - TITLE_SIZE, title)]);
        let lines = [format!("Tenant: {}", meta.tenant), format!("Exported: {}", meta.exported_at)]
            .into_iter()
            .chain(meta.summary.iter().map(|(label, value)| format!("{label}: {value}")));
        let runs = lines
            .enumerate()
            .map(|(i, line)| {
                let y = top - TITLE_LEAD - i as f32 * META_LEAD - META_SIZE;
                (MARGIN, y, metrics::fit(metrics::encode(&line), Font::Regular, META_SIZE, USABLE_W))
            })
            .collect();
        show(&mut content, REGULAR, META_SIZE, runs);
        let id = self.next.bump();
        self.pdf.stream(id, &compress_to_vec_zlib(&content.finish(), FLATE_LEVEL)).filter(Filter::FlateDecode);
        id
    }

    /// Adds one (already checked) row, starting a new page first when this one is full.
    fn row(&mut self, cells: &[Cell]) {
        if self.on_page >= self.capacity {
            self.end_page();
            self.start_page(None);
        }
        let bottom = self.row_top - ROW_H;
        if self.on_page % 2 == 1 {
            self.content.set_fill_gray(ZEBRA_GRAY).rect(MARGIN, bottom, USABLE_W, ROW_H).fill_nonzero();
            self.content.set_fill_gray(0.0);
        }
        let baseline = self.row_top - 8.5;
        let mut runs = Vec::with_capacity(cells.len());
        for (i, (column, cell)) in self.columns.iter().zip(cells).enumerate() {
            let text = match cell {
                Cell::Text(text) => metrics::encode(text),
                Cell::Number(n) => n.to_string().into_bytes(),
                Cell::Empty => continue,
            };
            let text = metrics::fit(text, Font::Regular, TABLE_SIZE, self.ws[i] - 2.0 * CELL_PAD);
            runs.push((self.cell_x(i, column.kind, &text, Font::Regular), baseline, text));
        }
        show(&mut self.content, REGULAR, TABLE_SIZE, runs);
        self.row_top = bottom;
        self.on_page += 1;
    }

    /// Where text starts in column `i`: after the left padding, or right-aligned for Number columns.
    fn cell_x(&self, i: usize, kind: ColumnKind, text: &[u8], font: Font) -> f32 {
        match kind {
            ColumnKind::Text => self.xs[i] + CELL_PAD,
            ColumnKind::Number => self.xs[i] + self.ws[i] - CELL_PAD - metrics::width(text, font, TABLE_SIZE),
        }
    }

    /// Closes the page under construction: its content stream goes into the file, compressed.
    fn end_page(&mut self) {
        let mut content = std::mem::replace(&mut self.content, Content::new());
        content.restore_state();
        let data = compress_to_vec_zlib(&content.finish(), FLATE_LEVEL);
        let id = self.next.bump();
        self.pdf.stream(id, &data).filter(Filter::FlateDecode);
        self.bodies.push(id);
    }

    /// Closes the last page and writes page 1's header block (`meta`), the footers, the page objects, the page
    /// tree, the fonts, the catalog and the document information; returns the file's bytes and its page count.
    /// Errors: [`ExportError::Shape`] past `i32::MAX` pages.
    fn finish(mut self, meta: &PdfMeta) -> Result<(Vec<u8>, usize), ExportError> {
        self.end_page();
        let pages = self.bodies.len();
        let count = i32::try_from(pages).map_err(|_| ExportError::Shape(format!("{pages} pages is too many")))?;
        let header = self.header_block(meta);
        let mut page_ids = Vec::with_capacity(pages);
        for (i, body) in self.bodies.iter().enumerate() {
            let (footer, page_id) = (self.next.bump(), self.next.bump());
            let label = format!("Page {} of {pages}", i + 1).into_bytes();
            let x = (PAGE_W - metrics::width(&label, Font::Regular, FOOTER_SIZE)) / 2.0;
            let mut content = Content::new();
            show(&mut content, REGULAR, FOOTER_SIZE, vec![(x, FOOTER_BASELINE, label)]);
            self.pdf.stream(footer, &content.finish());
            let mut page = self.pdf.page(page_id);
            let contents = if i == 0 { vec![header, *body, footer] } else { vec![*body, footer] };
            page.parent(self.tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents_array(contents);
            page.resources().fonts().pair(REGULAR, self.regular).pair(BOLD, self.bold);
            page.finish();
            page_ids.push(page_id);
        }
        self.pdf.pages(self.tree).kids(page_ids).count(count);
        for (id, name) in [(self.regular, Name(b"Helvetica")), (self.bold, Name(b"Helvetica-Bold"))] {
            self.pdf.type1_font(id).base_font(name).encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        self.pdf.catalog(self.catalog).pages(self.tree);
        self.pdf.document_info(self.info).title(TextStr(&meta.title)).producer(TextStr("odt-exports"));
        Ok((self.pdf.finish(), pages))
    }
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
