//! Rows placed down pages: a row goes whole onto the page when it fits, else onto the next page (the header row
//! repeated there); a row taller than a whole page is drawn in parts over as many pages as it needs. Finished
//! pages go into the file at once (compressed), so only the page under construction is held.

use pdf_writer::Content;

use super::sink::Sink;
use super::table::{Lines, Table, LINE_H, PAD_Y};
use super::{MARGIN, PAGE_H};
use crate::Cell;

/// The lowest point a row may reach (the bottom margin), points.
const BOTTOM: f32 = MARGIN;

/// The page under construction: its content, the top of its next row and its rows so far; and the pages done.
pub(super) struct Flow {
    pub(super) content: Content,
    pub(super) top: f32,
    rows_here: usize,
    rows: usize,
    pub(super) pages: Vec<pdf_writer::Ref>,
}

impl Flow {
    /// A flow on `content` whose table (its header drawn now) starts at `top`.
    pub(super) fn new(table: &Table, mut content: Content, top: f32) -> Self {
        let top = table.draw_header(&mut content, top);
        Flow { content, top, rows_here: 0, rows: 0, pages: Vec::new() }
    }

    /// Whether a table whose header and first line start at `top` fits above the bottom margin.
    pub(super) fn room_at(table: &Table, top: f32) -> bool {
        top - table.header_height() - Table::band(1) >= BOTTOM
    }

    /// Places one row (already checked against the columns).
    pub(super) fn row(&mut self, sink: &mut Sink, table: &Table, cells: &[Cell]) {
        let lines: Lines = table.wrap(cells);
        let height = lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let shaded = self.rows % 2 == 1;
        let mut from = 0;
        while from < height {
            let fit = ((self.top - BOTTOM - 2.0 * PAD_Y) / LINE_H).floor().max(0.0) as usize;
            if fit < height - from && self.rows_here > 0 {
                self.next_page(sink, table);
                continue;
            }
            // A page of its own is not enough: draw what fits (at least a line), go on on the next page.
            let count = fit.clamp(1, height - from);
            self.top = table.draw(&mut self.content, self.top, &lines, from, count, shaded);
            self.rows_here += 1;
            from += count;
            if from < height {
                self.next_page(sink, table);
            }
        }
        self.rows += 1;
    }

    /// Closes the page into the file and starts the next with the header row.
    pub(super) fn next_page(&mut self, sink: &mut Sink, table: &Table) {
        let done = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(sink.stream(done));
        self.top = table.draw_header(&mut self.content, PAGE_H - MARGIN);
        self.rows_here = 0;
    }
}
