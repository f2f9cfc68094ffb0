//! A stacked horizontal bar chart drawn with the page's own operators: one bar per [`Bar`], one coloured segment
//! per series (its count written inside when it fits), the bar's total after it, and a legend of the series
//! that have any count.

use pdf_writer::Content;

use super::{show, BarChart, BOLD, REGULAR, USABLE_W};
use crate::metrics::{self, Font};

/// Title size and the room it takes; label and count size; a bar's height and the gap between bars; the legend's
/// swatch size and line height, points.
const TITLE_SIZE: f32 = 11.0;
const TITLE_H: f32 = 18.0;
const LABEL_SIZE: f32 = 9.0;
/// Between the lines of a bar label that wraps (centred on the bar), points.
const LABEL_LEAD: f32 = 10.0;
const BAR_H: f32 = 14.0;
const BAR_GAP: f32 = 4.0;
const SWATCH: f32 = 8.0;
const LEGEND_H: f32 = 14.0;
/// Room for a bar's total after it, and the widest a bar label's column gets, points.
const TOTAL_W: f32 = 50.0;
const MAX_LABEL_W: f32 = 200.0;

/// The chart's height (title, bars, legend) when drawn [`USABLE_W`] wide.
pub(super) fn height(chart: &BarChart) -> f32 {
    TITLE_H + chart.bars.len() as f32 * (BAR_H + BAR_GAP) + legend(chart).len() as f32 * LEGEND_H
}

/// Draws `chart` from `left` with its top at `top`; returns its bottom.
pub(super) fn draw(content: &mut Content, chart: &BarChart, left: f32, top: f32) -> f32 {
    let title = metrics::encode(&chart.title);
    show(content, BOLD, TITLE_SIZE, vec![(left, top - TITLE_SIZE, title)]);
    let labels: Vec<Vec<u8>> = chart.bars.iter().map(|b| metrics::encode(&b.label)).collect();
    let label_w = labels.iter().map(|l| metrics::width(l, Font::Regular, LABEL_SIZE)).fold(0.0, f32::max);
    let label_w = label_w.min(MAX_LABEL_W) + 8.0;
    let area = USABLE_W - label_w - TOTAL_W;
    let totals: Vec<u64> = chart.bars.iter().map(|b| b.values.iter().sum()).collect();
    let scale = area / totals.iter().copied().max().unwrap_or(0).max(1) as f32;
    let mut y = top - TITLE_H;
    let mut runs = Vec::new();
    for ((bar, label), total) in chart.bars.iter().zip(labels).zip(&totals) {
        let bottom = y - BAR_H;
        let baseline = bottom + (BAR_H - LABEL_SIZE * 0.7) / 2.0;
        let label = metrics::wrap(&label, Font::Regular, LABEL_SIZE, label_w - 8.0);
        let first = baseline + (label.len().max(1) - 1) as f32 * LABEL_LEAD / 2.0;
        for (i, line) in label.into_iter().enumerate() {
            runs.push((left, first - i as f32 * LABEL_LEAD, line));
        }
        let mut x = left + label_w;
        for (value, series) in bar.values.iter().zip(&chart.series) {
            let w = *value as f32 * scale;
            if w <= 0.0 {
                continue;
            }
            let [r, g, b] = series.color;
            content.set_fill_rgb(r, g, b).rect(x, bottom, w, BAR_H).fill_nonzero();
            let count = value.to_string().into_bytes();
            let cw = metrics::width(&count, Font::Regular, LABEL_SIZE);
            if cw + 4.0 <= w {
                let ink = if 0.299 * r + 0.587 * g + 0.114 * b < 0.55 { 1.0 } else { 0.0 };
                content.set_fill_gray(ink);
                show(content, REGULAR, LABEL_SIZE, vec![(x + (w - cw) / 2.0, baseline, count)]);
            }
            x += w;
        }
        content.set_fill_gray(0.0);
        runs.push((x + 5.0, baseline, total.to_string().into_bytes()));
        y = bottom - BAR_GAP;
    }
    show(content, REGULAR, LABEL_SIZE, runs);
    draw_legend(content, chart, left, y)
}

/// The legend's lines: each a list of (series index, label text, x offset).
fn legend(chart: &BarChart) -> Vec<Vec<(usize, Vec<u8>, f32)>> {
    let mut lines: Vec<Vec<(usize, Vec<u8>, f32)>> = Vec::new();
    let mut x = 0.0;
    for (i, series) in chart.series.iter().enumerate() {
        let total: u64 = chart.bars.iter().filter_map(|b| b.values.get(i)).sum();
        if total == 0 {
            continue;
        }
        let text = metrics::encode(&format!("{} ({total})", series.label));
        let w = SWATCH + 4.0 + metrics::width(&text, Font::Regular, LABEL_SIZE) + 14.0;
        if lines.is_empty() || x + w > USABLE_W {
            lines.push(Vec::new());
            x = 0.0;
        }
        lines.last_mut().expect("a line").push((i, text, x));
        x += w;
    }
    lines
}

/// Draws the legend from `left` with its top at `top`; returns its bottom.
fn draw_legend(content: &mut Content, chart: &BarChart, left: f32, top: f32) -> f32 {
    let mut y = top;
    for line in legend(chart) {
        let baseline = y - LEGEND_H + 4.0;
        let mut runs = Vec::new();
        for (i, text, x) in line {
            let [r, g, b] = chart.series[i].color;
            content.set_fill_rgb(r, g, b).rect(left + x, baseline - 0.5, SWATCH, SWATCH).fill_nonzero();
            runs.push((left + x + SWATCH + 4.0, baseline, text));
        }
        content.set_fill_gray(0.0);
        show(content, REGULAR, LABEL_SIZE, runs);
        y -= LEGEND_H;
    }
    y
}
