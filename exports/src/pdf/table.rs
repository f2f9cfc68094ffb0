//! A table's geometry and drawing: column edges over a width, cells wrapped into lines (nothing cut), the bold
//! header row, and a row's lines drawn in a band (a row taller than a page is drawn in parts, [`super::flow`]).

use pdf_writer::Content;

use super::{show, BOLD, REGULAR};
use crate::metrics::{self, Font};
use crate::{Cell, Column, ColumnKind};

/// Table font size, the height of one text line and the padding inside a cell (sides, top and bottom), points.
pub(super) const SIZE: f32 = 8.0;
pub(super) const LINE_H: f32 = 9.6;
const PAD_X: f32 = 3.0;
pub(super) const PAD_Y: f32 = 1.5;
/// From a line's top to its baseline, points.
const ASCENT: f32 = 7.0;
/// Fill of the header row and of every second data row, and the rule under each row (0 black, 1 white).
const HEADER_GRAY: f32 = 0.82;
const ZEBRA_GRAY: f32 = 0.94;
const RULE_GRAY: f32 = 0.75;

/// Each cell of a row as its lines (WinAnsi bytes), in column order.
pub(super) type Lines = Vec<Vec<Vec<u8>>>;

/// Columns laid out over a width: each one's left edge and width (its share of the width by `Column::width`).
pub(super) struct Table<'a> {
    columns: &'a [Column],
    left: f32,
    width: f32,
    xs: Vec<f32>,
    ws: Vec<f32>,
    header: Lines,
}

impl<'a> Table<'a> {
    /// `columns` (checked: positive finite widths) over `width` points from `left`.
    pub(super) fn new(columns: &'a [Column], left: f32, width: f32) -> Self {
        let total: f32 = columns.iter().map(|c| c.width).sum();
        let ws: Vec<f32> = columns.iter().map(|c| c.width / total * width).collect();
        let xs = ws
            .iter()
            .scan(left, |x, w| {
                let at = *x;
                *x += w;
                Some(at)
            })
            .collect();
        let mut table = Table { columns, left, width, xs, ws, header: Vec::new() };
        table.header = columns
            .iter()
            .enumerate()
            .map(|(i, c)| metrics::wrap(&metrics::encode(c.title), Font::Bold, SIZE, table.room(i)))
            .collect();
        table
    }

    /// The text width inside column `i`.
    fn room(&self, i: usize) -> f32 {
        (self.ws[i] - 2.0 * PAD_X).max(1.0)
    }

    /// Whether every word of `text` (split at spaces) fits a line of column `i` in `font`: then wrapping breaks
    /// no word of it.
    pub(super) fn words_fit(&self, i: usize, text: &str, font: Font) -> bool {
        metrics::encode(text).split(|b| *b == b' ').all(|w| metrics::width(w, font, SIZE) <= self.room(i))
    }

    /// The cells' lines: text wrapped to its column, numbers as written, nothing for an empty cell.
    pub(super) fn wrap(&self, cells: &[Cell]) -> Lines {
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| match cell {
                Cell::Text(text) => metrics::wrap(&metrics::encode(text), Font::Regular, SIZE, self.room(i)),
                Cell::Number(n) => metrics::wrap(n.to_string().as_bytes(), Font::Regular, SIZE, self.room(i)),
                Cell::Empty => Vec::new(),
            })
            .collect()
    }

    /// The height of a band of `lines` text lines, padding included.
    pub(super) fn band(lines: usize) -> f32 {
        lines as f32 * LINE_H + 2.0 * PAD_Y
    }

    /// The header row's height.
    pub(super) fn header_height(&self) -> f32 {
        Self::band(self.header.iter().map(Vec::len).max().unwrap_or(1).max(1))
    }

    /// Draws the header row with its top at `top`; returns its bottom.
    pub(super) fn draw_header(&self, content: &mut Content, top: f32) -> f32 {
        let h = self.header_height();
        content.set_fill_gray(HEADER_GRAY).rect(self.left, top - h, self.width, h).fill_nonzero();
        content.set_fill_gray(0.0);
        self.text(content, top, &self.header, 0, usize::MAX, Font::Bold);
        top - h
    }

    /// Draws lines `from..from + count` of each cell of `lines` in a band with its top at `top`, shaded or not,
    /// with a rule under it; returns its bottom.
    pub(super) fn draw(
        &self,
        content: &mut Content,
        top: f32,
        lines: &Lines,
        from: usize,
        count: usize,
        shaded: bool,
    ) -> f32 {
        let bottom = top - Self::band(count);
        if shaded {
            content.set_fill_gray(ZEBRA_GRAY).rect(self.left, bottom, self.width, top - bottom).fill_nonzero();
            content.set_fill_gray(0.0);
        }
        content.set_stroke_gray(RULE_GRAY).set_line_width(0.4);
        content.move_to(self.left, bottom).line_to(self.left + self.width, bottom).stroke();
        self.text(content, top, lines, from, count, Font::Regular);
        bottom
    }

    /// Shows lines `from..from + count` of each cell, one text object; Number columns right-aligned.
    fn text(&self, content: &mut Content, top: f32, lines: &Lines, from: usize, count: usize, font: Font) {
        let mut runs = Vec::new();
        for (i, cell) in lines.iter().enumerate() {
            for (k, line) in cell.iter().enumerate().skip(from).take(count) {
                let y = top - PAD_Y - ASCENT - (k - from) as f32 * LINE_H;
                let x = match self.columns[i].kind {
                    ColumnKind::Text => self.xs[i] + PAD_X,
                    ColumnKind::Number => self.xs[i] + self.ws[i] - PAD_X - metrics::width(line, font, SIZE),
                };
                runs.push((x, y, line.clone()));
            }
        }
        show(content, if font == Font::Bold { BOLD } else { REGULAR }, SIZE, runs);
    }
}
