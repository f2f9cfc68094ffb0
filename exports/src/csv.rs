//! The CSV export: UTF-8 with a byte-order mark (so spreadsheet programs pick UTF-8), RFC 4180 framing by the
//! `csv` crate (CRLF line ends; a field holding a comma, quote, CR or LF is quoted, quotes doubled), and OWASP's
//! CSV-injection neutralization for Text cells. Rows go straight to the writer through the `csv` crate's small
//! fixed buffer, so memory does not grow with the row count.

use std::io::Write;

use ::csv::{QuoteStyle, Terminator, Writer, WriterBuilder};

use crate::{check_columns, check_row, Cell, Column, ExportError};

/// The UTF-8 byte-order mark written before the header row.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection): `=`, `+`, `-`,
/// `@`, TAB and CR.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A streaming CSV export over a fixed column set: [`CsvExport::new`] writes the BOM and the header row (the
/// column ids), [`CsvExport::write_row`] one data row per call, [`CsvExport::finish`] flushes and hands the writer
/// back. Dropping it without `finish` may lose buffered rows.
pub struct CsvExport<W: Write> {
    out: Writer<W>,
    columns: Vec<Column>,
    rows: u64,
}

impl<W: Write> CsvExport<W> {
    /// Starts an export into `out`: writes the UTF-8 BOM (EF BB BF) and the header row of `columns`' ids.
    /// Errors: [`ExportError::Shape`] for no columns or a non-positive width, I/O errors from `out`.
    pub fn new(mut out: W, columns: &[Column]) -> Result<Self, ExportError> {
        check_columns(columns)?;
        out.write_all(BOM)?;
        let mut out = WriterBuilder::new()
            .terminator(Terminator::CRLF)
            .quote_style(QuoteStyle::Necessary)
            .double_quote(true)
            .from_writer(out);
        out.write_record(columns.iter().map(|c| c.id))?;
        Ok(Self { out, columns: columns.to_vec(), rows: 0 })
    }

    /// Writes one data row, one cell per column in column order: Text neutralized against formulas (a leading `'`
    /// when it starts with `=`, `+`, `-`, `@`, TAB or CR), Number as plain decimal, Empty as an empty field.
    /// Errors: [`ExportError::Shape`] when the cell count differs from the column count or a cell's kind does not
    /// match its column (nothing is written then); CSV/I/O errors from the writer.
    pub fn write_row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        check_row(&self.columns, cells, self.rows + 1)?;
        // check_row has placed Text cells in Text columns and Number cells in Number columns only.
        for cell in cells {
            match cell {
                Cell::Text(text) => match neutralize(text) {
                    Some(safe) => self.out.write_field(safe)?,
                    None => self.out.write_field(text)?,
                },
                Cell::Number(n) => self.out.write_field(n.to_string())?,
                Cell::Empty => self.out.write_field("")?,
            }
        }
        self.out.write_record(None::<&[u8]>)?;
        self.rows += 1;
        Ok(())
    }

    /// The number of data rows written so far (the header not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes the buffered rows and returns the underlying writer. Errors: I/O errors from the final flush.
    pub fn finish(self) -> Result<W, ExportError> {
        self.out.into_inner().map_err(|e| ExportError::Io(e.into_error()))
    }
}

/// The neutralized form of a Text cell that a spreadsheet would read as a formula (`'` + text), or `None` when
/// the text is safe as it is.
fn neutralize(text: &str) -> Option<String> {
    text.starts_with(FORMULA_STARTS).then(|| format!("'{text}"))
}

#[cfg(test)]
mod tests {
    use super::neutralize;

    #[test]
    fn neutralizes_only_formula_starts() {
        assert_eq!(neutralize("=1+1").as_deref(), Some("'=1+1"));
        assert_eq!(neutralize("\r=1").as_deref(), Some("'\r=1"));
        assert_eq!(neutralize("a=1"), None);
        assert_eq!(neutralize(" =1"), None);
        assert_eq!(neutralize(""), None);
    }
}
