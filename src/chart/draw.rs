//! Layout of a [`Chart`] at one size — title, legend, plot, axes, value labels, footnote — into
//! drawing operations, and their painting on a plotters drawing area.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Cell, Chart, ChartError, ChartKind, FAMILY, Form, Measure, Orientation, percent_text, shown, thousands,
};

/// Okabe–Ito colours, told apart with any common colour-vision deficiency.
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];
const INK: RGBColor = RGBColor(34, 34, 34);
const MUTED: RGBColor = RGBColor(85, 85, 85);
const GRID: RGBColor = RGBColor(221, 221, 221);
const AXIS: RGBColor = RGBColor(102, 102, 102);

// Sizes in CSS pixels.
const PAD: f64 = 12.0;
const TITLE: f64 = 16.0;
const TEXT: f64 = 12.0;
const SMALL: f64 = 11.0;
/// Line height as a multiple of the font size.
const LINE: f64 = 1.3;
/// Length of a withheld cell's hatched stub.
const STUB: f64 = 8.0;
/// Preferred pitch of a horizontal bar's row (one line of label).
const ROW: f64 = 26.0;
/// Preferred plot height of vertical charts.
const PLOT: f64 = 240.0;
/// No grid step is below this: counts of 1–20 are never shown as numbers, nor are gridlines.
const MIN_STEP: f64 = 20.0;

/// Smallest and largest chart side, in CSS pixels.
const SIDE: (f64, f64) = (120.0, 4000.0);

/// A requested side in CSS pixels, kept within 120–4000 (`fallback` when not a number).
pub(super) fn clamp_size(v: f64, fallback: f64) -> f64 {
    if v.is_finite() { v.clamp(SIDE.0, SIDE.1) } else { fallback }
}

/// How a surface reads font sizes: a canvas as CSS pixels, plotters' SVG backend as 1.24 × the
/// `font-size` it writes.
pub(super) enum TextSizes {
    Css,
    Svg,
}

/// One drawing operation, in device pixels.
enum Op {
    Fill {
        rect: [f64; 4],
        color: RGBColor,
    },
    /// A withheld cell: an outline with diagonal hatching.
    Hatch {
        rect: [f64; 4],
        color: RGBColor,
        gap: f64,
        width: f64,
    },
    Line {
        from: (f64, f64),
        to: (f64, f64),
        color: RGBColor,
        width: f64,
    },
    /// A polyline through `points`.
    Path {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        width: f64,
    },
    /// A point marker: a filled dot, or a ring on white.
    Dot {
        centre: (f64, f64),
        radius: f64,
        color: RGBColor,
        filled: bool,
        width: f64,
    },
    Text {
        at: (f64, f64),
        text: String,
        size: f64,
        bold: bool,
        color: RGBColor,
        pos: Pos,
    },
}

/// What a legend entry shows left of its name.
enum Key {
    /// A series' colour.
    Fill(RGBColor),
    /// Withheld cells.
    Hatch,
    /// "≤ 20" points of a line, drawn at 20.
    Ring(RGBColor),
}

/// A chart laid out at one size.
pub(super) struct Layout {
    /// Device pixels.
    pub width: f64,
    /// Device pixels.
    pub height: f64,
    /// The height the chart needs at this width, in device pixels.
    pub preferred_height: f64,
    /// Whether a `bar` chart came out horizontal.
    pub horizontal: bool,
    /// Where each bar (or stack segment) is, for the page's tooltips.
    pub marks: Vec<Mark>,
    ops: Vec<Op>,
}

/// A drawn bar: its rectangle (device pixels) and its cell, `cells[category][series]`.
pub(super) struct Mark {
    pub rect: [f64; 4],
    pub category: usize,
    pub series: usize,
}

/// Text placement shorthands.
const LEFT_TOP: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Top };
const LEFT_MID: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Center };
const RIGHT_MID: Pos = Pos { h_pos: HPos::Right, v_pos: VPos::Center };
const CENTER_TOP: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Top };
const CENTER_MID: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Center };

/// Grid values from 0 past `max`, about `want` steps of 20, 50, 100, 200, 500, …
fn ticks(max: f64, want: f64) -> Vec<f64> {
    let max = if max > 0.0 { max } else { MIN_STEP };
    let raw = max / want.clamp(1.0, 8.0);
    let magnitude = 10f64.powf(raw.log10().floor()).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| (m * magnitude).max(MIN_STEP))
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let n = (max / step).ceil().clamp(1.0, 1000.0) as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// The month of a `"2021-03"` label, counted from year 0 (`year * 12 + month - 1`).
fn month_index(label: &str) -> Option<i64> {
    let (year, month) = label.split_once('-')?;
    let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// The colour of series `j`.
fn series_color(chart: &Chart, j: usize) -> RGBColor {
    if chart.kind == ChartKind::Preview {
        // Cohort blue, include groups bluish green, exclude groups vermillion.
        PALETTE[[0, 2, 3][j.min(2)]]
    } else {
        PALETTE[j % PALETTE.len()]
    }
}

/// Dark or white text, whichever reads better on `fill`.
fn text_on(fill: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = fill;
    let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luma > 140.0 { INK } else { WHITE }
}

/// A cell's value label: the count as shown, and its percent when asked.
fn value_label(cell: &Cell, percent: bool) -> String {
    match (percent, cell.percent) {
        (true, Some(p)) => format!("{} ({})", shown(&cell.count), percent_text(p)),
        _ => shown(&cell.count),
    }
}

/// The largest bar (or stack) in count units.
fn max_value(chart: &Chart) -> f64 {
    let value = |c: &Option<Cell>| c.as_ref().and_then(|c| c.count.value()).unwrap_or(0) as f64;
    chart
        .cells
        .iter()
        .map(|row| match chart.form {
            Form::Stacked => row.iter().map(value).sum(),
            _ => row.iter().map(value).fold(0.0, f64::max),
        })
        .fold(0.0, f64::max)
}

/// The category axis of a vertical chart: where the plot starts, each slot's width, and each
/// category's label lines (`None` where thinned out).
struct CategoryAxis {
    plot_left: f64,
    slot: f64,
    labels: Vec<Option<Vec<String>>>,
    lines: usize,
    /// Every label fits in two lines under its own bar.
    fits: bool,
}

/// Layout state: device pixels per CSS pixel, text measure, and the operations so far.
struct Ctx<'a> {
    s: f64,
    measure: &'a dyn Measure,
    ops: Vec<Op>,
    marks: Vec<Mark>,
}

impl Ctx<'_> {
    /// CSS pixels to device pixels.
    fn px(&self, css: f64) -> f64 {
        css * self.s
    }

    /// Width of `text` at `size` CSS pixels, in device pixels.
    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        self.measure.width(text, size * self.s, bold)
    }

    fn text(&mut self, at: (f64, f64), text: impl Into<String>, size: f64, color: RGBColor, pos: Pos) {
        let size = self.px(size);
        self.ops.push(Op::Text { at, text: text.into(), size, bold: false, color, pos });
    }

    fn line(&mut self, from: (f64, f64), to: (f64, f64), color: RGBColor) {
        let width = self.px(1.0);
        self.ops.push(Op::Line { from, to, color, width });
    }

    fn fill(&mut self, rect: [f64; 4], color: RGBColor) {
        if rect[2] - rect[0] >= 0.5 && rect[3] - rect[1] >= 0.5 {
            self.ops.push(Op::Fill { rect, color });
        }
    }

    /// Records where the bar of `cells[category][series]` is.
    fn mark(&mut self, rect: [f64; 4], category: usize, series: usize) {
        self.marks.push(Mark { rect, category, series });
    }

    fn hatch(&mut self, rect: [f64; 4], color: RGBColor) {
        let (gap, width) = (self.px(3.0), self.px(1.0));
        self.ops.push(Op::Hatch { rect, color, gap, width });
    }

    /// The prefix of `text` that `lines` lines of `width` could show at most (no glyph is
    /// narrower than 0.2 em), so that measuring a huge label costs what a short one does.
    fn drawable<'t>(&self, text: &'t str, width: f64, size: f64, lines: usize) -> &'t str {
        let most = (lines as f64 * width.max(0.0) / (0.2 * self.px(size))) as usize + 1;
        text.char_indices().nth(most).map_or(text, |(at, _)| &text[..at])
    }

    /// `text` cut to `width` with "…" (unchanged when it fits).
    fn ellipsis(&self, text: &str, width: f64, size: f64, bold: bool) -> String {
        let shown = self.drawable(text, width, size, 1);
        if shown.len() == text.len() && self.width(text, size, bold) <= width {
            return text.to_owned();
        }
        let chars: Vec<char> = shown.chars().collect();
        let cut = |n: usize| chars[..n].iter().collect::<String>().trim_end().to_owned() + "…";
        // The longest prefix that fits with "…", by bisection (`lo` always fits).
        let (mut lo, mut hi) = (0, chars.len());
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            if self.width(&cut(mid), size, bold) <= width { lo = mid } else { hi = mid }
        }
        cut(lo)
    }

    /// `text` in at most `max_lines` lines no wider than `width`, breaking at spaces and after
    /// "–" and "/"; what does not fit is cut with "…". Also says whether everything fitted.
    fn wrap(&self, text: &str, width: f64, size: f64, bold: bool, max_lines: usize) -> (Vec<String>, bool) {
        let mut tokens: Vec<(String, bool)> = Vec::new();
        let mut word = String::new();
        let shown = self.drawable(text, width, size, max_lines.max(1));
        for c in shown.chars().chain((shown.len() < text.len()).then_some('…')) {
            if c.is_whitespace() {
                if !word.is_empty() {
                    tokens.push((std::mem::take(&mut word), true));
                } else if let Some(last) = tokens.last_mut() {
                    // A space after a break ("Race / ethnicity") is kept.
                    last.1 = true;
                }
                continue;
            }
            word.push(c);
            if c == '–' || c == '/' {
                tokens.push((std::mem::take(&mut word), false));
            }
        }
        if !word.is_empty() {
            tokens.push((word, false));
        }
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        let mut space = false;
        for (token, followed_by_space) in tokens {
            let joined = if line.is_empty() {
                token.clone()
            } else {
                format!("{line}{}{token}", if space { " " } else { "" })
            };
            if line.is_empty() || self.width(&joined, size, bold) <= width {
                line = joined;
            } else {
                lines.push(std::mem::replace(&mut line, token));
                if lines.len() >= max_lines.max(1) {
                    break; // `line` starts a line too many: the rest is cut below
                }
            }
            space = followed_by_space;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        let mut fits = true;
        if lines.len() > max_lines.max(1) {
            lines.truncate(max_lines.max(1));
            fits = false;
            if let Some(last) = lines.last_mut() {
                *last = self.ellipsis(&format!("{last}…"), width, size, bold);
            }
        }
        for l in &mut lines {
            if self.width(l, size, bold) > width {
                fits = false;
                *l = self.ellipsis(l, width, size, bold);
            }
        }
        (lines, fits)
    }

    /// The legend (series, a hatched "withheld" swatch when a cell is withheld, a ring when a
    /// line has "≤ 20" points) from `y` down; returns the y below it.
    fn legend(&mut self, chart: &Chart, left: f64, mut y: f64, inner: f64) -> f64 {
        let cells = || chart.cells.iter().flatten().flatten();
        let withheld = cells().any(|c| c.count.value().is_none());
        let at_most = cells().any(|c| c.count.value().is_some_and(|v| c.count.label() != v.to_string()));
        let mut entries: Vec<(Key, &str)> = Vec::new();
        if chart.series.len() > 1 {
            entries.extend(
                chart
                    .series
                    .iter()
                    .enumerate()
                    .map(|(j, name)| (Key::Fill(series_color(chart, j)), name.as_str())),
            );
        }
        if withheld {
            entries.push((Key::Hatch, "Withheld (“≤ 20” or “suppressed”)"));
        }
        if chart.form == Form::Line && at_most {
            entries.push((Key::Ring(series_color(chart, 0)), "“≤ 20”, drawn at 20"));
        }
        if entries.is_empty() {
            return y;
        }
        let (swatch, gap, between) = (self.px(12.0), self.px(6.0), self.px(16.0));
        let row = self.px(TEXT * LINE + 4.0);
        let mut x = left;
        for (key, name) in entries {
            let name = self.ellipsis(name, inner - swatch - gap, TEXT, false);
            let w = swatch + gap + self.width(&name, TEXT, false);
            if x > left && x + w > left + inner {
                x = left;
                y += row;
            }
            let rect = [x, y + (row - swatch) / 2.0, x + swatch, y + (row + swatch) / 2.0];
            match key {
                Key::Fill(c) => self.fill(rect, c),
                Key::Hatch => self.hatch(rect, MUTED),
                Key::Ring(color) => {
                    let centre = ((rect[0] + rect[2]) / 2.0, (rect[1] + rect[3]) / 2.0);
                    let (radius, width) = (self.px(3.5), self.px(1.5));
                    self.ops.push(Op::Dot { centre, radius, color, filled: false, width });
                }
            }
            self.text((x + swatch + gap, y + row / 2.0), name, TEXT, INK, LEFT_MID);
            x += w + between;
        }
        y + row + self.px(6.0)
    }

    /// The category axis of a vertical chart between `left` and `right`.
    fn category_axis(&self, chart: &Chart, left: f64, right: f64) -> CategoryAxis {
        let tick_width = ticks(max_value(chart), 5.0)
            .iter()
            .map(|t| self.width(&thousands(*t as u64), SMALL, false))
            .fold(0.0, f64::max);
        let plot_left = left + tick_width + self.px(8.0);
        let n = chart.categories.len().max(1) as f64;
        let slot = ((right - plot_left) / n).max(1.0);
        let room = slot - self.px(4.0);
        let wrapped: Vec<(Vec<String>, bool)> =
            chart.categories.iter().map(|c| self.wrap(c, room, SMALL, false, 2)).collect();
        let fits = wrapped.iter().all(|(_, fit)| *fit);
        if fits || chart.form == Form::Bars(Orientation::Auto) {
            let lines = wrapped.iter().map(|(l, _)| l.len()).max().unwrap_or(1);
            let labels = wrapped.into_iter().map(|(l, _)| Some(l)).collect();
            return CategoryAxis { plot_left, slot, labels, lines, fits };
        }
        // Too narrow: label every k-th category on one line.
        let widest = (chart.categories.iter())
            .map(|c| self.width(self.drawable(c, right - left, SMALL, 1), SMALL, false))
            .fold(0.0, f64::max);
        let mut k = ((widest + self.px(8.0)) / slot).ceil().max(1.0) as usize;
        // A time series is labelled at calendar steps (months, quarters, half-years, years),
        // where each step begins.
        let mut first = 0;
        if chart.form == Form::Line {
            k = [1, 2, 3, 6, 12].into_iter().find(|&s| s >= k).unwrap_or(k.div_ceil(12) * 12);
            first = chart.categories.first().and_then(|c| month_index(c)).unwrap_or(0);
        }
        let labels = chart
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                ((first + i as i64).rem_euclid(k as i64) == 0)
                    .then(|| vec![self.ellipsis(c, k as f64 * slot - self.px(4.0), SMALL, false)])
            })
            .collect();
        CategoryAxis { plot_left, slot, labels, lines: 1, fits }
    }

    /// Heights above and below a vertical plot: the value-axis title and value-label room above,
    /// the category labels and the axis title below.
    fn vertical_margins(&self, chart: &Chart, axis: &CategoryAxis) -> (f64, f64) {
        let above = self.px(SMALL * LINE + 4.0) + self.px(SMALL * LINE);
        let title = if chart.category_axis.is_empty() { 0.0 } else { self.px(TEXT * LINE) };
        let below = self.px(6.0) + axis.lines as f64 * self.px(SMALL * LINE) + title;
        (above, below)
    }

    fn vertical(&mut self, chart: &Chart, axis: &CategoryAxis, left: f64, top: f64, right: f64, bottom: f64) {
        self.text((left, top), "Participants", SMALL, MUTED, LEFT_TOP);
        let (above, below) = self.vertical_margins(chart, axis);
        let plot_top = top + above;
        let plot_bottom = (bottom - below).max(plot_top + 1.0);
        let plot_h = plot_bottom - plot_top;
        let ticks = ticks(max_value(chart), (plot_h / self.px(32.0)).floor());
        let top_value = ticks.last().copied().unwrap_or(MIN_STEP);
        let y_of = |v: f64| plot_bottom - v / top_value * plot_h;
        let (plot_left, slot) = (axis.plot_left, axis.slot);
        for &t in &ticks {
            self.line((plot_left, y_of(t)), (right, y_of(t)), GRID);
            self.text((plot_left - self.px(6.0), y_of(t)), thousands(t as u64), SMALL, MUTED, RIGHT_MID);
        }
        let stub = self.px(STUB);
        let series = chart.series.len().max(1) as f64;
        // Value labels above bars, all or none: only where every one fits its bar's room.
        let room = match chart.form {
            Form::Grouped => slot * 0.84 / series,
            _ => slot - self.px(2.0),
        };
        let labels_fit = chart.form != Form::Stacked
            && chart
                .cells
                .iter()
                .flatten()
                .flatten()
                .all(|c| self.width(&value_label(c, chart.percent), SMALL, false) <= room);
        for (i, row) in chart.cells.iter().enumerate() {
            let x0 = plot_left + i as f64 * slot;
            let bars: Vec<(f64, f64, usize)> = match chart.form {
                Form::Histogram => vec![(x0, slot - self.px(1.0), 0)],
                Form::Line => Vec::new(),
                Form::Bars(_) | Form::Stacked => {
                    let w = (slot * 0.7).min(self.px(64.0));
                    let j = row.iter().position(Option::is_some).unwrap_or(0);
                    vec![(x0 + (slot - w) / 2.0, w, j)]
                }
                Form::Grouped => {
                    let group = slot * 0.84;
                    let w = group / series;
                    (0..row.len())
                        .map(|j| (x0 + (slot - group) / 2.0 + j as f64 * w, w - self.px(1.0), j))
                        .collect()
                }
            };
            if chart.form == Form::Stacked {
                let (x, w, _) = bars[0];
                let (mut sum, mut stubs) = (0.0, 0.0);
                for (j, cell) in row.iter().enumerate() {
                    let Some(cell) = cell else { continue };
                    let color = series_color(chart, j);
                    if let Some(v) = cell.count.value() {
                        let (y0, y1) = (y_of(sum + v as f64), y_of(sum));
                        self.fill([x, y0, x + w, y1], color);
                        self.mark([x, y0, x + w, y1], i, j);
                        // The count and its percent where they fit the segment, else the count.
                        let fits = |label: &String| self.width(label, SMALL, false) <= w - self.px(4.0);
                        let label = Some(value_label(cell, chart.percent))
                            .filter(fits)
                            .or_else(|| Some(shown(&cell.count)).filter(fits));
                        if let Some(label) = label
                            && y1 - y0 >= self.px(SMALL * LINE)
                        {
                            self.text(
                                (x + w / 2.0, (y0 + y1) / 2.0),
                                label,
                                SMALL,
                                text_on(color),
                                CENTER_MID,
                            );
                        }
                        sum += v as f64;
                    }
                }
                for (j, cell) in row.iter().enumerate() {
                    if cell.as_ref().is_some_and(|c| c.count.value().is_none()) {
                        let y1 = y_of(sum) - stubs;
                        self.hatch([x, y1 - stub, x + w, y1], series_color(chart, j));
                        self.mark([x, y1 - stub, x + w, y1], i, j);
                        stubs += stub;
                    }
                }
                continue;
            }
            for (x, w, j) in bars {
                let Some(cell) = &row[j] else { continue };
                let color = series_color(chart, j);
                let bar_top = match cell.count.value() {
                    Some(v) => {
                        self.fill([x, y_of(v as f64), x + w, plot_bottom], color);
                        y_of(v as f64)
                    }
                    None => {
                        self.hatch([x, plot_bottom - stub, x + w, plot_bottom], color);
                        plot_bottom - stub
                    }
                };
                self.mark([x, bar_top, x + w, plot_bottom], i, j);
                if labels_fit {
                    let at = (x + w / 2.0, bar_top - self.px(SMALL * 0.7));
                    self.text(at, value_label(cell, chart.percent), SMALL, INK, CENTER_MID);
                }
            }
        }
        self.line((plot_left, plot_bottom), (right, plot_bottom), AXIS);
        // Dots over the axis: a month of 0 sits on it.
        if chart.form == Form::Line {
            self.series_line(chart, axis, &y_of, plot_bottom, labels_fit);
        }
        let line_h = self.px(SMALL * LINE);
        for (i, lines) in axis.labels.iter().enumerate() {
            let x = plot_left + (i as f64 + 0.5) * slot;
            // A month label that would stick out of the chart is left out.
            let half = lines.iter().flatten().map(|l| self.width(l, SMALL, false) / 2.0).fold(0.0, f64::max);
            if chart.form == Form::Line && (x - half < left / 2.0 || x + half > right + left / 2.0) {
                continue;
            }
            for (k, l) in lines.iter().flatten().enumerate() {
                self.text(
                    (x, plot_bottom + self.px(5.0) + k as f64 * line_h),
                    l.clone(),
                    SMALL,
                    INK,
                    CENTER_TOP,
                );
            }
        }
        if !chart.category_axis.is_empty() {
            let y = plot_bottom + self.px(6.0) + axis.lines as f64 * line_h;
            let title = self.ellipsis(&chart.category_axis, right - plot_left, TEXT, false);
            self.text(((plot_left + right) / 2.0, y), title, TEXT, MUTED, CENTER_TOP);
        }
    }

    /// A time series: a dot per row joined by a line (in the first colour) that breaks where a
    /// count is withheld, which is a hatched marker on the axis instead; a "≤ 20" dot is a ring
    /// at 20, the most it can be.
    fn series_line(
        &mut self,
        chart: &Chart,
        axis: &CategoryAxis,
        y_of: &dyn Fn(f64) -> f64,
        plot_bottom: f64,
        labels_fit: bool,
    ) {
        let color = series_color(chart, 0);
        let x_of = |i: usize| axis.plot_left + (i as f64 + 0.5) * axis.slot;
        let cells: Vec<Option<&Cell>> = chart.cells.iter().map(|row| row[0].as_ref()).collect();
        let (width, stub) = (self.px(2.0), self.px(STUB));
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            match cell.and_then(|c| c.count.value()) {
                Some(v) => run.push((x_of(i), y_of(v as f64))),
                None => {
                    let points = std::mem::take(&mut run);
                    if points.len() > 1 {
                        self.ops.push(Op::Path { points, color, width });
                    }
                }
            }
        }
        if run.len() > 1 {
            self.ops.push(Op::Path { points: run, color, width });
        }
        let radius = self.px(3.5).min(axis.slot * 0.45).max(self.px(1.5));
        for (i, cell) in cells.iter().enumerate() {
            let Some(cell) = cell else { continue };
            let x = x_of(i);
            let top = match cell.count.value() {
                Some(v) => {
                    let filled = cell.count.label() == v.to_string();
                    let (centre, ring) = ((x, y_of(v as f64)), self.px(1.5));
                    self.ops.push(Op::Dot { centre, radius, color, filled, width: ring });
                    centre.1 - radius
                }
                None => {
                    self.hatch([x - stub / 2.0, plot_bottom - stub, x + stub / 2.0, plot_bottom], color);
                    plot_bottom - stub
                }
            };
            if labels_fit {
                let at = (x, top - self.px(SMALL * 0.7));
                self.text(at, value_label(cell, chart.percent), SMALL, INK, CENTER_MID);
            }
        }
    }

    /// The label column width and label lines allowed of a horizontal chart.
    fn label_column(&self, chart: &Chart, inner: f64) -> (f64, usize) {
        let widest = (chart.categories.iter())
            .map(|c| self.width(self.drawable(c, inner, TEXT, 1), TEXT, false))
            .fold(0.0, f64::max);
        let column = widest.min(inner * 0.45);
        let lines =
            chart.categories.iter().map(|c| self.wrap(c, column, TEXT, false, 2).0.len()).max().unwrap_or(1);
        (column, lines)
    }

    /// Height of a horizontal chart's axis below the bars: tick labels and the axis title.
    fn horizontal_axis_height(&self) -> f64 {
        self.px(SMALL * LINE + 6.0) + self.px(TEXT * LINE)
    }

    fn horizontal_row(&self, lines: usize) -> f64 {
        self.px(ROW.max(lines as f64 * TEXT * LINE + 8.0))
    }

    fn horizontal(&mut self, chart: &Chart, left: f64, top: f64, right: f64, bottom: f64) {
        let (column, _) = self.label_column(chart, right - left);
        let value_width = chart
            .cells
            .iter()
            .flatten()
            .flatten()
            .map(|c| self.width(&value_label(c, chart.percent), SMALL, false))
            .fold(0.0, f64::max)
            + self.px(6.0);
        let plot_left = left + column + self.px(8.0);
        let plot_right = (right - value_width).max(plot_left + self.px(40.0));
        let plot_bottom = (bottom - self.horizontal_axis_height()).max(top + 1.0);
        let n = chart.categories.len().max(1) as f64;
        let row = (plot_bottom - top) / n;
        let bar = (row * 0.72).min(self.px(28.0));
        let max_lines = ((row - self.px(4.0)) / self.px(TEXT * LINE)).floor().clamp(1.0, 2.0) as usize;
        let max = max_value(chart);
        let tick_room =
            self.width(&thousands(ticks(max, 5.0).last().copied().unwrap_or(0.0) as u64), SMALL, false)
                + self.px(16.0);
        let mut ticks = ticks(max, ((plot_right - plot_left) / tick_room).floor());
        // The axis ends at the longest bar unless a gridline lies just past it: few gridlines
        // fit a narrow chart, and the next one can be far beyond the data.
        let top_value = match ticks.iter().find(|t| **t >= max) {
            Some(t) if *t <= max * 1.15 => *t,
            _ => max.max(MIN_STEP),
        };
        ticks.retain(|t| *t <= top_value);
        let x_of = |v: f64| plot_left + v / top_value * (plot_right - plot_left);
        for &t in &ticks {
            self.line((x_of(t), top), (x_of(t), plot_bottom), GRID);
            self.text((x_of(t), plot_bottom + self.px(4.0)), thousands(t as u64), SMALL, MUTED, CENTER_TOP);
        }
        let stub = self.px(STUB);
        let line_h = self.px(TEXT * LINE);
        // Rows thinner than a line of text label every k-th row only.
        let every = (line_h / row).ceil().max(1.0) as usize;
        for (i, (category, cells)) in chart.categories.iter().zip(&chart.cells).enumerate() {
            let y = top + (i as f64 + 0.5) * row;
            let labelled = i % every == 0;
            if labelled {
                let (lines, _) = self.wrap(category, column, TEXT, false, max_lines);
                let first = y - (lines.len() as f64 - 1.0) * line_h / 2.0;
                for (k, l) in lines.into_iter().enumerate() {
                    self.text((plot_left - self.px(8.0), first + k as f64 * line_h), l, TEXT, INK, RIGHT_MID);
                }
            }
            let Some((j, cell)) = cells.iter().enumerate().find_map(|(j, c)| c.as_ref().map(|c| (j, c)))
            else {
                continue;
            };
            let color = series_color(chart, j);
            let end = match cell.count.value() {
                Some(v) => {
                    self.fill([plot_left, y - bar / 2.0, x_of(v as f64), y + bar / 2.0], color);
                    x_of(v as f64)
                }
                None => {
                    self.hatch([plot_left, y - bar / 2.0, plot_left + stub, y + bar / 2.0], color);
                    plot_left + stub
                }
            };
            self.mark([plot_left, y - bar / 2.0, end, y + bar / 2.0], i, j);
            if labelled {
                self.text((end + self.px(4.0), y), value_label(cell, chart.percent), SMALL, INK, LEFT_MID);
            }
        }
        self.line((plot_left, top), (plot_left, plot_bottom), AXIS);
        let y = plot_bottom + self.px(SMALL * LINE + 6.0);
        self.text(((plot_left + plot_right) / 2.0, y), "Participants", TEXT, MUTED, CENTER_TOP);
    }
}

impl Layout {
    /// Lays `chart` out `width` × `height` device pixels (height: as needed when `None`), `s`
    /// device pixels per CSS pixel.
    pub(super) fn new(
        chart: &Chart,
        width: f64,
        height: Option<f64>,
        s: f64,
        measure: &dyn Measure,
    ) -> Layout {
        let mut c = Ctx { s, measure, ops: Vec::new(), marks: Vec::new() };
        let pad = c.px(PAD);
        let (left, right) = (pad, width - pad);
        let inner = (right - left).max(1.0);
        let mut y = pad;
        let (title, _) = c.wrap(&chart.title, inner, TITLE, true, 3);
        for line in title {
            let size = c.px(TITLE);
            c.ops.push(Op::Text { at: (left, y), text: line, size, bold: true, color: INK, pos: LEFT_TOP });
            y += c.px(TITLE * LINE);
        }
        y += c.px(4.0);
        y = c.legend(chart, left, y, inner);
        let (footnote, _) = c.wrap(&chart.footnote, inner, SMALL, false, 12);
        let foot_h = footnote.len() as f64 * c.px(SMALL * LINE);
        let gap = c.px(10.0);
        let axis = c.category_axis(chart, left, right);
        let horizontal = match chart.form {
            Form::Bars(Orientation::Horizontal) => true,
            Form::Bars(Orientation::Auto) => !axis.fits,
            _ => false,
        };
        let body = if horizontal {
            let (_, lines) = c.label_column(chart, inner);
            chart.categories.len().max(1) as f64 * c.horizontal_row(lines) + c.horizontal_axis_height()
        } else {
            let (above, below) = c.vertical_margins(chart, &axis);
            above + c.px(PLOT) + below
        };
        let preferred_height = (y + body + gap + foot_h + pad).ceil();
        let height = height.unwrap_or(preferred_height.min(SIDE.1 * s));
        let bottom = height - pad - foot_h - gap;
        if chart.categories.is_empty() {
            c.text(((left + right) / 2.0, (y + bottom) / 2.0), "No rows to show.", TEXT, MUTED, CENTER_MID);
        } else if horizontal {
            c.horizontal(chart, left, y, right, bottom);
        } else {
            c.vertical(chart, &axis, left, y, right, bottom);
        }
        let mut fy = height - pad - foot_h;
        for line in footnote {
            c.text((left, fy), line, SMALL, MUTED, LEFT_TOP);
            fy += c.px(SMALL * LINE);
        }
        Layout { width, height, preferred_height, horizontal, marks: c.marks, ops: c.ops }
    }

    /// Paints the layout on `area` (white background first).
    pub(super) fn paint<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        sizes: TextSizes,
    ) -> Result<(), ChartError> {
        let failed = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError::Draw(e.to_string());
        let pt = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);
        let stroke = |color: &RGBColor, width: f64| ShapeStyle {
            color: color.to_rgba(),
            filled: false,
            stroke_width: width.round().max(1.0) as u32,
        };
        area.fill(&WHITE).map_err(failed)?;
        for op in &self.ops {
            match op {
                Op::Fill { rect: [x0, y0, x1, y1], color } => {
                    area.draw(&Rectangle::new([pt((*x0, *y0)), pt((*x1, *y1))], color.filled()))
                        .map_err(failed)?;
                }
                Op::Hatch { rect: [x0, y0, x1, y1], color, gap, width } => {
                    area.draw(&Rectangle::new([pt((*x0, *y0)), pt((*x1, *y1))], WHITE.filled()))
                        .map_err(failed)?;
                    // Lines x + y = c across the rectangle, clipped to it.
                    let mut c = x0 + y0 + gap;
                    while c < x1 + y1 {
                        let (lo, hi) = ((c - y1).max(*x0), (c - y0).min(*x1));
                        if hi > lo {
                            let path = PathElement::new(
                                vec![pt((lo, c - lo)), pt((hi, c - hi))],
                                stroke(color, *width),
                            );
                            area.draw(&path).map_err(failed)?;
                        }
                        c += gap;
                    }
                    let outline = Rectangle::new([pt((*x0, *y0)), pt((*x1, *y1))], stroke(color, *width));
                    area.draw(&outline).map_err(failed)?;
                }
                Op::Line { from, to, color, width } => {
                    area.draw(&PathElement::new(vec![pt(*from), pt(*to)], stroke(color, *width)))
                        .map_err(failed)?;
                }
                Op::Path { points, color, width } => {
                    let points: Vec<(i32, i32)> = points.iter().map(|&p| pt(p)).collect();
                    area.draw(&PathElement::new(points, stroke(color, *width))).map_err(failed)?;
                }
                Op::Dot { centre, radius, color, filled, width } => {
                    let r = radius.round().max(1.0) as u32;
                    let inside = if *filled { color.filled() } else { WHITE.filled() };
                    area.draw(&Circle::new(pt(*centre), r, inside)).map_err(failed)?;
                    if !filled {
                        area.draw(&Circle::new(pt(*centre), r, stroke(color, *width))).map_err(failed)?;
                    }
                }
                Op::Text { at, text, size, bold, color, pos } => {
                    let size = match sizes {
                        TextSizes::Css => *size,
                        TextSizes::Svg => size * 1.24,
                    };
                    let weight = if *bold { FontStyle::Bold } else { FontStyle::Normal };
                    let font = FontDesc::new(FontFamily::Name(FAMILY), size, weight);
                    let style = TextStyle::from(font).color(color).pos(*pos);
                    area.draw_text(text, &style, pt(*at)).map_err(failed)?;
                }
            }
        }
        Ok(())
    }
}
