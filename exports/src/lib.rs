//! The device-status exports, generic over columns and streaming over rows: a CSV file for spreadsheets and a
//! PDF report for people.
//!
//! - CSV ([`CsvExport`]): UTF-8 with a byte-order mark, RFC 4180 (CRLF line ends; fields holding a comma, quote,
//!   CR or LF quoted, quotes doubled; written by the `csv` crate), and formula neutralization after OWASP's CSV
//!   injection guidance: a Text cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'`.
//! - PDF ([`write_pdf`]): A4 landscape, the standard Helvetica fonts in WinAnsiEncoding (Windows-1252, nothing
//!   embedded), a first page with the summary, a stacked bar chart and small tables, then the table with its
//!   header row on every page, cells wrapped so nothing is cut, and `Page N of M` footers; written with typst's
//!   `pdf-writer` crate, content streams Flate-compressed.
//!
//! A row is a `&[Cell]` / `Vec<Cell>` with one cell per [`Column`], in column order; a Number cell only in a
//! Number column, a Text cell only in a Text column, [`Cell::Empty`] anywhere. Anything else is
//! [`ExportError::Shape`].

pub mod csv;
mod metrics;
pub mod pdf;

pub use crate::csv::CsvExport;
pub use crate::pdf::{words_fit, write_pdf, Bar, BarChart, PdfMeta, PdfReport, PdfStats, PdfTable, Series};

/// One column of an export: `id` is the stable snake_case key written as the CSV header (e.g. `device_name`),
/// `title` the human heading of the PDF table, `kind` what its cells hold, and `width` its share of the PDF
/// table's width (relative to the other columns' widths; any positive finite number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// Stable snake_case id, the CSV header field.
    pub id: &'static str,
    /// Human title, the PDF table heading.
    pub title: &'static str,
    /// What the column's cells hold.
    pub kind: ColumnKind,
    /// Relative width in the PDF table (positive, finite; proportional to the sum over all columns).
    pub width: f32,
}

/// What a column holds: text (left-aligned in the PDF, formula-neutralized in CSV) or whole numbers
/// (right-aligned in the PDF, written plain in CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Free text.
    Text,
    /// A whole number.
    Number,
}

/// One cell of a row: text for a Text column, a number for a Number column, or nothing (either kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text (any Unicode; the PDF shows what Windows-1252 can hold, `?` for the rest).
    Text(String),
    /// A whole number, written in plain decimal (`-3`, no grouping).
    Number(i64),
    /// No value: an empty CSV field, a blank PDF cell.
    Empty,
}

/// Why an export failed: writing the output, the CSV writer, or a row or column set of the wrong shape.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing to the output failed.
    #[error("export output: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed (usually an I/O error underneath).
    #[error("csv export: {0}")]
    Csv(#[from] ::csv::Error),
    /// The columns or a row do not fit: no columns, a bad width, a row whose cell count differs from the column
    /// count, or a cell of the wrong kind for its column.
    #[error("export shape: {0}")]
    Shape(String),
}

/// Checks a column set: at least one column, every width positive and finite.
pub(crate) fn check_columns(columns: &[Column]) -> Result<(), ExportError> {
    if columns.is_empty() {
        return Err(ExportError::Shape("an export needs at least one column".into()));
    }
    for column in columns {
        if !(column.width.is_finite() && column.width > 0.0) {
            return Err(ExportError::Shape(format!(
                "column `{}` has width {}; widths must be positive and finite",
                column.id, column.width
            )));
        }
    }
    Ok(())
}

/// Checks a row against the columns: one cell per column, Number cells only in Number columns and Text cells
/// only in Text columns (`row` is the 1-based data-row number, for the message).
pub(crate) fn check_row(columns: &[Column], cells: &[Cell], row: u64) -> Result<(), ExportError> {
    if cells.len() != columns.len() {
        return Err(ExportError::Shape(format!(
            "row {row} has {} cells, expected {} (one per column)",
            cells.len(),
            columns.len()
        )));
    }
    for (column, cell) in columns.iter().zip(cells) {
        let wrong = match (column.kind, cell) {
            (ColumnKind::Text, Cell::Number(_)) => Some("a number in a text column"),
            (ColumnKind::Number, Cell::Text(_)) => Some("text in a number column"),
            _ => None,
        };
        if let Some(wrong) = wrong {
            return Err(ExportError::Shape(format!("row {row}, column `{}`: {wrong}", column.id)));
        }
    }
    Ok(())
}
