//! Charts of disclosed results, drawn with plotters over any `DrawingBackend`: on an HTML canvas
//! in the page (plotters-canvas) and as SVG natively and in wasm (plotters' SVG backend).
//!
//! A [`Chart`] is made only from disclosed inputs ([`DisclosedTable`], [`Preview`]), so it can
//! show no number its policy does not: a withheld cell is a hatched stub labelled "≤ 20" or
//! "suppressed" (on a line, a gap with a hatched marker), never a number. Every chart has a
//! title, axis labels, value labels, a footnote naming the policy and an Okabe–Ito palette, and
//! comes with a [`ChartSummary`] (accessible name and data table) for the page's screen-reader
//! fallback. A [`ChartSpec`] is the JSON form that JavaScript passes: `{kind, data, title?,
//! options?, cohort?, conceptId?}` (docs/charts.md).

mod draw;
#[cfg(target_arch = "wasm32")]
mod offscreen;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
mod text;

#[cfg(target_arch = "wasm32")]
pub use offscreen::OffscreenBackend;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
pub use text::BrowserFont;
#[cfg(not(target_arch = "wasm32"))]
pub use text::EmbeddedFont;
pub use text::{FAMILY, Measure};

#[cfg(feature = "engine")]
use crate::cohort::{GroupPreview, ItemPreview, Preview};
use crate::privacy::{Disclosed, DisclosedTable, PercentOf, Policy};
#[cfg(feature = "engine")]
use crate::stats::StatRequest;

/// The SVG width when the spec gives none, in CSS pixels.
pub const DEFAULT_WIDTH: f64 = 640.0;

/// What a chart looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum ChartKind {
    /// One bar per row of a one-way table (demographics, age bands, survey answers, top
    /// concepts, Fitbit steps); vertical or horizontal (`options.orientation`).
    Bar,
    /// A two-way table (Age × Sex): the first dimension along the axis, one bar per value of the
    /// second side by side; or one answer (`options.answer`) of a survey question's answers by
    /// age and sex, its age groups along the axis.
    GroupedBar,
    /// As `groupedBar`, the bars stacked (the Data Browser's survey Age + Sex chart).
    StackedBar,
    /// Adjacent bins: a measurement's value histogram (one unit; `options.unit`), or any one-way
    /// table of ordered bins such as Fitbit steps.
    Histogram,
    /// The Cohort Builder's counts: the cohort, each group and each item.
    Preview,
    /// A time series (Fitbit months): a point per row joined by a line, broken where a count is
    /// withheld.
    Line,
}

/// Bar direction of a `bar` chart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum Orientation {
    /// Vertical when every category label fits under its bar in two lines, else horizontal.
    #[default]
    Auto,
    /// Bars up from a horizontal axis.
    Vertical,
    /// Bars right from a vertical axis, labels on the left (long names, top-N lists).
    Horizontal,
}

/// Presentation options of a [`ChartSpec`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ChartOptions {
    /// SVG width in CSS pixels (default 640; a canvas uses its own size).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub width: Option<f64>,
    /// SVG height in CSS pixels (default: what the chart needs at its width).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub height: Option<f64>,
    /// Canvas backing-store pixels per CSS pixel (default: canvas width ÷ its CSS width).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub pixel_ratio: Option<f64>,
    /// Bar direction of a `bar` chart.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub orientation: Orientation,
    /// Show each bar's percent of the total next to its count (default: on for survey answers).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub percent: Option<bool>,
    /// The unit a `histogram` of measurement values shows (default: the unit with most persons).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub unit: Option<String>,
    /// The answer a `groupedBar` or `stackedBar` of a survey question's answers by age and sex
    /// shows, as the table labels it (default: the answer with most participants).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub answer: Option<String>,
    /// Display names of `preview` groups and items, by their `id`.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Record<string, string>"))]
    pub labels: BTreeMap<String, String>,
}

/// A chart as JavaScript describes it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ChartSpec {
    /// What the chart looks like.
    pub kind: ChartKind,
    /// A statistics request (`{kind: 'ageBySex', bands: 'dataBrowser'}`), `{kind: 'preview'}`,
    /// or a result cohortlens already disclosed (a statistics table or a preview object).
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "StatRequest | { kind: \"preview\" } | DisclosedTable | Preview")
    )]
    pub data: Value,
    /// Replaces the table's own title.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub title: Option<String>,
    /// Presentation options.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub options: ChartOptions,
    /// Whose statistics: the persons of this Cohort Builder definition …
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "CohortDefinition"))]
    pub cohort: Option<Value>,
    /// … or the persons with this concept or a descendant (the Data Browser's scope).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub concept_id: Option<i32>,
}

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChartError {
    /// The spec is malformed or does not fit its data (the message says what to change).
    #[error("{0}")]
    Invalid(String),
    /// The drawing surface refused to draw.
    #[error("drawing the chart failed ({0}); reload the page and try again")]
    Draw(String),
}

impl ChartError {
    /// Stable machine-readable code, surfaced to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ChartError::Invalid(_) => "invalid_chart",
            ChartError::Draw(_) => "draw_failed",
        }
    }
}

fn invalid(message: impl Into<String>) -> ChartError {
    ChartError::Invalid(message.into())
}

/// The tables a `line` chart draws: time series, their rows in time order.
const TIME_SERIES: [&str; 1] = ["fitbit_monthly"];

/// How a spec should look, appended to spec errors.
const SPEC_HINT: &str = "a chart spec looks like {kind: 'bar', data: {kind: 'sexAtBirth'}, cohort: {includes: [...]}} \
                         (see docs/charts.md)";

/// What a spec's data resolves to: disclosed results only.
#[derive(Clone, Debug)]
pub enum Data {
    /// A statistics table.
    Table(DisclosedTable),
    /// A cohort's preview counts.
    #[cfg(feature = "engine")]
    Preview(Preview),
}

/// A preview object as JavaScript hands it back, every count checked on reading.
#[cfg(feature = "engine")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewForm {
    total: Disclosed,
    includes: Vec<GroupForm>,
    #[serde(default)]
    excludes: Vec<GroupForm>,
}

#[cfg(feature = "engine")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupForm {
    id: Value,
    count: Disclosed,
    #[serde(default)]
    items: Vec<ItemForm>,
}

#[cfg(feature = "engine")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemForm {
    id: Value,
    count: Disclosed,
}

#[cfg(feature = "engine")]
impl PreviewForm {
    fn into_preview(self) -> Result<Preview, ChartError> {
        let policy = self.total.policy();
        let groups = |groups: Vec<GroupForm>| -> Vec<GroupPreview> {
            groups
                .into_iter()
                .map(|g| GroupPreview {
                    id: g.id,
                    count: g.count,
                    items: g.items.into_iter().map(|i| ItemPreview { id: i.id, count: i.count }).collect(),
                })
                .collect()
        };
        let preview =
            Preview { total: self.total, includes: groups(self.includes), excludes: groups(self.excludes) };
        let mut cells = preview
            .includes
            .iter()
            .chain(&preview.excludes)
            .flat_map(|g| std::iter::once(&g.count).chain(g.items.iter().map(|i| &i.count)));
        if let Some(other) = cells.find(|c| c.policy() != policy) {
            return Err(invalid(format!(
                "spec.data: the preview's total is disclosed under {} but a group or item under {}; pass \
                 the object cohort.preview() returned as it is",
                policy.name(),
                other.policy().name()
            )));
        }
        Ok(preview)
    }
}

impl ChartSpec {
    /// Reads a spec from JSON text; errors name the field and say what a spec looks like.
    pub fn from_json(text: &str) -> Result<ChartSpec, ChartError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| invalid(format!("spec.{}: {}; {SPEC_HINT}", e.path(), e.inner())))
    }

    /// The chart of `data`, the disclosed result this spec's [`source`](Self::source) resolved
    /// to (the engine computes and discloses what the source asks for).
    pub fn chart(&self, data: Data) -> Result<Chart, ChartError> {
        let title = self.title.as_deref();
        match data {
            Data::Table(table) => Chart::of_table(self.kind, &table, title, &self.options),
            #[cfg(feature = "engine")]
            Data::Preview(preview) if self.kind == ChartKind::Preview => {
                Ok(Chart::of_preview(&preview, title, &self.options))
            }
            #[cfg(feature = "engine")]
            Data::Preview(_) => Err(invalid(format!(
                "spec.kind: a preview's counts are drawn by kind 'preview', not {:?}",
                self.kind
            ))),
        }
    }

    /// What the spec's data is: a disclosed result it carries (checked on reading), or what
    /// to compute — a cohort's preview or a statistics request over one scope.
    #[cfg(feature = "engine")]
    pub fn source(&self) -> Result<Source, ChartError> {
        let data = &self.data;
        let has = |key: &str| data.get(key).is_some();
        let read = |what: &'static str| {
            move |e: serde_path_to_error::Error<serde_json::Error>| {
                invalid(format!(
                    "spec.data.{}: {}; pass {what} exactly as cohortlens returned it",
                    e.path(),
                    e.inner()
                ))
            }
        };
        if has("rows") {
            let table = serde_path_to_error::deserialize(data.clone()).map_err(read("a statistics table"))?;
            return Ok(Source::Disclosed(Data::Table(table)));
        }
        if has("includes") {
            let form: PreviewForm =
                serde_path_to_error::deserialize(data.clone()).map_err(read("the preview object"))?;
            return Ok(Source::Disclosed(Data::Preview(form.into_preview()?)));
        }
        if data.get("kind").and_then(Value::as_str) == Some("preview") {
            let Some(definition) = &self.cohort else {
                return Err(invalid(
                    "spec.cohort: data {kind: 'preview'} draws a cohort's counts; give the Cohort Builder \
                     definition as spec.cohort",
                ));
            };
            return Ok(Source::Preview(definition.clone()));
        }
        let request: StatRequest = serde_path_to_error::deserialize(data.clone()).map_err(|e| {
            invalid(format!(
                "spec.data.{}: {}; data is a statistics request such as {{kind: 'ageBySex', bands: \
                 'dataBrowser'}} (see docs/statistics.md), {{kind: 'preview'}}, or a disclosed result",
                e.path(),
                e.inner()
            ))
        })?;
        let scope = match (&self.cohort, self.concept_id) {
            (Some(definition), None) => SourceScope::Cohort(definition.clone()),
            (None, Some(concept)) => SourceScope::Concept(concept),
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "spec: give either cohort or conceptId, not both: the statistics are of one scope",
                ));
            }
            (None, None) if matches!(request, StatRequest::DataBrowser(_)) => SourceScope::Dataset,
            (None, None) => {
                return Err(invalid(
                    "spec: say whose statistics to chart: spec.cohort (a Cohort Builder definition) or \
                     spec.conceptId (the persons with a concept)",
                ));
            }
        };
        Ok(Source::Statistics(request, scope))
    }
}

/// What a [`ChartSpec`]'s data is.
#[cfg(feature = "engine")]
#[derive(Clone, Debug)]
pub enum Source {
    /// A result cohortlens already disclosed, passed back by JavaScript.
    Disclosed(Data),
    /// The preview of the cohort of this Cohort Builder definition (JSON).
    Preview(Value),
    /// A statistics table to compute over a scope.
    Statistics(StatRequest, SourceScope),
}

/// Whose statistics a spec asks for.
#[cfg(feature = "engine")]
#[derive(Clone, Debug)]
pub enum SourceScope {
    /// The persons of this Cohort Builder definition (JSON).
    Cohort(Value),
    /// The persons with this concept or a descendant.
    Concept(i32),
    /// Every person of the dataset (a `dataBrowser` request without cohort or conceptId).
    Dataset,
}

/// One bar: a disclosed count and its percent of the disclosed total.
#[derive(Clone, Debug)]
struct Cell {
    count: Disclosed,
    percent: Option<f64>,
}

/// How the bars are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Bars(Orientation),
    Grouped,
    Stacked,
    Histogram,
    Line,
}

/// A chart ready to draw at any size: disclosed cells only, laid out by [`Chart::svg`] and
/// [`Chart::draw`].
#[derive(Clone, Debug)]
pub struct Chart {
    kind: ChartKind,
    form: Form,
    title: String,
    /// Along the category axis.
    categories: Vec<String>,
    /// Legend entries; a single unnamed series for one-way tables.
    series: Vec<String>,
    /// `cells[category][series]`; `None` where the table has no such row.
    cells: Vec<Vec<Option<Cell>>>,
    category_axis: String,
    percent: bool,
    /// What a cell's percent is of (none: a preview's counts have no percent).
    percent_of: Option<PercentOf>,
    policy: Policy,
    footnote: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// What the page needs besides the pixels: the accessible name and the data table of a drawn
/// chart, all from disclosed labels.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ChartSummary {
    /// The chart's kind.
    pub kind: ChartKind,
    /// Its title.
    pub title: String,
    /// A one-sentence accessible name (`aria-label`).
    pub label: String,
    /// The footnote: the total, the policy's rule and any note.
    pub footnote: String,
    /// The data table's column headers.
    pub columns: Vec<String>,
    /// The data table's rows, as shown (counts as their labels, e.g. "≤ 20").
    pub rows: Vec<Vec<String>>,
    /// The policy that made every number.
    pub policy: Policy,
    /// The size drawn, in CSS pixels.
    pub width: f64,
    /// The size drawn, in CSS pixels.
    pub height: f64,
    /// The height the chart needs at this width to lay out without crowding, in CSS pixels.
    pub preferred_height: f64,
    /// Each bar (or stack segment) drawn and what it shows, for the page's tooltips.
    pub marks: Vec<ChartMark>,
}

/// A bar of a drawn chart: where it is (CSS pixels from the chart's top left) and its tooltip's
/// lines, e.g. `["Female, 30-39", "340 participants", "54.8% of age group"]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ChartMark {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// What the bar is (category, and series when there are several), its count, its percent.
    pub lines: Vec<String>,
}

/// A count as a chart shows it: the number with thousands separators, or the policy's label.
fn shown(d: &Disclosed) -> String {
    match d.value() {
        Some(v) if d.label() == v.to_string() => thousands(v),
        _ => d.label().to_owned(),
    }
}

/// `1234567` as `"1,234,567"`.
fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A percent as shown, e.g. `"12.5%"`.
fn percent_text(p: f64) -> String {
    format!("{p:.1}%")
}

/// The footnote sentence of each policy.
pub fn policy_note(policy: Policy) -> &'static str {
    match policy {
        Policy::Aou => {
            "Counts are rounded up to the nearest 20; counts of 1–20 show as “≤ 20” (All of Us policy)."
        }
        Policy::Suppress => {
            "Counts of 1–20 are withheld (“≤ 20”), as are counts that would reveal them (“suppressed”); \
             other counts are exact."
        }
        Policy::Perturbed => {
            "Counts carry random noise of up to ±10, then are rounded up to the nearest 20; counts of 1–20 \
             show as “≤ 20”."
        }
    }
}

/// The data table's header of the percent column.
fn percent_column(of: PercentOf) -> &'static str {
    match of {
        PercentOf::Group => "% of age group",
        PercentOf::Answered => "% answered",
        PercentOf::Total | PercentOf::Row => "Percent",
    }
}

/// The footnote of a table's chart: the total (of the question, when the chart shows one
/// `answer`), the policy's rule, what the percentages are of, and any note.
fn footnote(
    total: &Disclosed,
    answer: Option<&str>,
    percent: Option<PercentOf>,
    note: Option<String>,
) -> String {
    let total_sentence = match answer {
        Some(answer) => format!(
            "{} participants answered the question; the chart shows those who answered “{answer}”.",
            shown(total)
        ),
        None => format!("Total: {} participants.", shown(total)),
    };
    let mut parts = vec![total_sentence, policy_note(total.policy()).to_owned()];
    parts.extend(percent.map(|of| {
        match of {
            PercentOf::Total => "Percentages are of the total, from the counts shown.",
            PercentOf::Row => {
                "Percentages are of the domain's participants in the same group, from the counts shown."
            }
            PercentOf::Group => "Percentages are of the age group, from the counts shown.",
            PercentOf::Answered => "Percentages are of the question's participants, from the counts shown.",
        }
        .to_owned()
    }));
    parts.extend(note);
    parts.join(" ")
}

/// A group or item id as text.
#[cfg(feature = "engine")]
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The facet a chart of a three-way table shows (a value of its first dimension) and the
/// others: `chosen` (given as `spec.options.{option}`), else the first of the facets with most
/// persons.
fn facet(
    table: &DisclosedTable,
    chosen: Option<&String>,
    option: &str,
) -> Result<(String, Vec<String>), ChartError> {
    let facets = distinct(table.rows.iter().map(|r| &r.labels[0]));
    let weight = |f: &String| -> u64 {
        table.rows.iter().filter(|r| &r.labels[0] == f).filter_map(|r| r.count.value()).sum()
    };
    let facet = match chosen {
        Some(wanted) if facets.contains(wanted) => wanted.clone(),
        Some(wanted) => {
            return Err(invalid(format!(
                "spec.options.{option}: {wanted:?} is not among the table's {} ({}); pick one of them",
                table.dimensions[0].to_lowercase(),
                facets.join(", ")
            )));
        }
        None => {
            // The first of the facets with most persons (ties keep table order).
            let best = facets.iter().map(weight).max().unwrap_or(0);
            facets.iter().find(|f| weight(f) == best).cloned().unwrap_or_default()
        }
    };
    let others = facets.into_iter().filter(|f| *f != facet).collect();
    Ok((facet, others))
}

/// Where an age group label ("18-29", "18–29", "89+") sorts: by its first age; a label without
/// one ("Not recorded") last.
fn age_order(label: &str) -> u32 {
    let digits: String = label.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(u32::MAX)
}

/// Distinct values in first-seen order.
fn distinct<'a>(values: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

impl Chart {
    /// A chart of a disclosed statistics table. `bar` and `histogram` take one-way tables (a
    /// `histogram` also takes measurement values, one unit at a time), `groupedBar` and
    /// `stackedBar` two-way tables, `line` time series.
    pub fn of_table(
        kind: ChartKind,
        table: &DisclosedTable,
        title: Option<&str>,
        options: &ChartOptions,
    ) -> Result<Chart, ChartError> {
        let dims = table.dimensions.len();
        let mismatch = |hint: &str| {
            invalid(format!(
                "spec.kind: {:?} has {dims} dimension(s) ({}), which a {} chart cannot draw; {hint}",
                table.title,
                table.dimensions.join(" × "),
                kind_name(kind)
            ))
        };
        let cell = |r: &crate::privacy::DisclosedRow| Cell { count: r.count.clone(), percent: r.percent };
        let mut note = None;
        // The answer a three-way table's chart shows, when it is one.
        let mut slice: Option<String> = None;
        let (form, categories, series, cells, category_axis) = match kind {
            ChartKind::Bar | ChartKind::Histogram if dims == 1 => {
                // Concept names are long: top-N lists read best as horizontal bars.
                let orientation = match options.orientation {
                    Orientation::Auto if table.name == "top_concepts" => Orientation::Horizontal,
                    o => o,
                };
                let form = if kind == ChartKind::Bar { Form::Bars(orientation) } else { Form::Histogram };
                let categories = table.rows.iter().map(|r| r.labels[0].clone()).collect();
                let cells = table.rows.iter().map(|r| vec![Some(cell(r))]).collect();
                (form, categories, vec![String::new()], cells, table.dimensions[0].clone())
            }
            ChartKind::Histogram if dims == 2 || dims == 3 => {
                let (facet, others) = facet(table, options.unit.as_ref(), "unit")?;
                if !others.is_empty() {
                    note =
                        Some(format!("Also recorded in {} (choose with options.unit).", others.join(", ")));
                }
                let rows: Vec<_> = table.rows.iter().filter(|r| r.labels[0] == facet).collect();
                let last = dims - 1;
                let axis = if facet.is_empty() {
                    table.dimensions[last].clone()
                } else {
                    format!("{} ({facet})", table.dimensions[last])
                };
                if dims == 2 {
                    let categories = rows.iter().map(|r| r.labels[1].clone()).collect();
                    let cells = rows.iter().map(|r| vec![Some(cell(r))]).collect();
                    (Form::Histogram, categories, vec![String::new()], cells, axis)
                } else {
                    // Values by unit, sex and bin (the Data Browser's Values chart): the bins of
                    // one unit, a bar per sex in each.
                    let categories = distinct(rows.iter().map(|r| &r.labels[2]));
                    let series = distinct(rows.iter().map(|r| &r.labels[1]));
                    let mut cells = vec![vec![None; series.len()]; categories.len()];
                    for r in rows {
                        let i = categories.iter().position(|c| *c == r.labels[2]).unwrap_or(0);
                        let j = series.iter().position(|s| *s == r.labels[1]).unwrap_or(0);
                        cells[i][j] = Some(cell(r));
                    }
                    (Form::Grouped, categories, series, cells, axis)
                }
            }
            ChartKind::Bar | ChartKind::Histogram => {
                return Err(mismatch(
                    "use 'groupedBar' or 'stackedBar' for a two-way table such as Age × Sex, 'histogram' for \
                     measurement values",
                ));
            }
            ChartKind::GroupedBar | ChartKind::StackedBar if dims == 2 || dims == 3 => {
                // A three-way table (a question's answers by age and sex): one answer's rows,
                // the last two dimensions drawn as a two-way table.
                let (rows, first): (Vec<&crate::privacy::DisclosedRow>, usize) = if dims == 3 {
                    let (answer, _) = facet(table, options.answer.as_ref(), "answer")?;
                    let rows = table.rows.iter().filter(|r| r.labels[0] == answer).collect();
                    slice = Some(answer);
                    (rows, 1)
                } else {
                    (table.rows.iter().collect(), 0)
                };
                let categories = distinct(rows.iter().map(|r| &r.labels[first]));
                // Series with most persons first, so the main groups (e.g. Female, Male) get the
                // first colours and sit side by side; ties keep the table's order.
                let mut series = distinct(rows.iter().map(|r| &r.labels[first + 1]));
                let weight = |s: &String| -> u64 {
                    rows.iter().filter(|r| &r.labels[first + 1] == s).filter_map(|r| r.count.value()).sum()
                };
                // Age groups in age order, youngest first (the rows of several answers list
                // them in no one order).
                if table.dimensions[first + 1] == "Age" {
                    series.sort_by_key(|s| age_order(s));
                } else {
                    series.sort_by_key(|s| std::cmp::Reverse(weight(s)));
                }
                let mut cells = vec![vec![None; series.len()]; categories.len()];
                for r in &rows {
                    let i = categories.iter().position(|c| *c == r.labels[first]).unwrap_or(0);
                    let j = series.iter().position(|s| *s == r.labels[first + 1]).unwrap_or(0);
                    cells[i][j] = Some(cell(r));
                }
                let form = if kind == ChartKind::GroupedBar { Form::Grouped } else { Form::Stacked };
                (form, categories, series, cells, table.dimensions[first].clone())
            }
            ChartKind::GroupedBar | ChartKind::StackedBar => {
                return Err(mismatch("use 'bar' for a one-way table, or ask for {kind: 'ageBySex', …}"));
            }
            ChartKind::Line if dims == 1 && TIME_SERIES.contains(&table.name.as_str()) => {
                let categories = table.rows.iter().map(|r| r.labels[0].clone()).collect();
                let cells = table.rows.iter().map(|r| vec![Some(cell(r))]).collect();
                (Form::Line, categories, vec![String::new()], cells, table.dimensions[0].clone())
            }
            ChartKind::Line => {
                return Err(invalid(format!(
                    "spec.kind: a 'line' chart draws a time series, which {:?} is not; give data {{kind: \
                     'fitbitMonthly'}} (or the table it returned), or draw this table with 'bar'",
                    table.title
                )));
            }
            ChartKind::Preview => {
                return Err(invalid(
                    "spec.kind: a 'preview' chart draws a cohort's group and item counts: give data {kind: \
                     'preview'} with spec.cohort, or the object cohort.preview() returned",
                ));
            }
        };
        // Survey answers show their share of the question's participants; one answer's age ×
        // sex its share of each age group (the Data Browser's tooltips say it).
        let percent = options.percent.unwrap_or(table.name == "survey_answers" || slice.is_some());
        let mut columns = table.dimensions.clone();
        columns.push("Participants".to_owned());
        if percent {
            columns.push(percent_column(table.percent_of).to_owned());
        }
        let mut rows: Vec<Vec<String>> = table
            .rows
            .iter()
            .filter(|r| slice.as_ref().is_none_or(|a| r.labels[0] == *a))
            .map(|r| {
                let mut row = r.labels.clone();
                row.push(shown(&r.count));
                if percent {
                    row.push(r.percent.map(percent_text).unwrap_or_default());
                }
                row
            })
            .collect();
        // A slice's rows are one answer's; the total is the question's.
        let mut total_row = vec![if slice.is_some() { "All answers" } else { "Total" }.to_owned()];
        total_row.resize(dims.max(1), String::new());
        total_row.push(shown(&table.total));
        if percent {
            total_row.push(String::new());
        }
        rows.push(total_row);
        Ok(Chart {
            kind,
            form,
            title: {
                let title = title.map_or_else(|| table.title.clone(), str::to_owned);
                match &slice {
                    Some(answer) => format!("{title} — “{answer}”"),
                    None => title,
                }
            },
            categories,
            series,
            cells,
            category_axis,
            percent,
            percent_of: Some(table.percent_of),
            policy: table.policy,
            footnote: footnote(&table.total, slice.as_deref(), percent.then_some(table.percent_of), note),
            columns,
            rows,
        })
    }

    /// A chart of the Cohort Builder's preview: the cohort, then each include and exclude group
    /// with its items, as horizontal bars; `options.labels` names groups and items by id.
    #[cfg(feature = "engine")]
    pub fn of_preview(preview: &Preview, title: Option<&str>, options: &ChartOptions) -> Chart {
        let name = |id: &Value, fallback: &str| {
            let id = id_text(id);
            options.labels.get(&id).cloned().unwrap_or_else(|| format!("{fallback} {id}"))
        };
        let mut categories = vec!["Cohort".to_owned()];
        let mut cells = vec![vec![Some(Cell { count: preview.total.clone(), percent: None }), None, None]];
        let mut rows = vec![vec!["Cohort".to_owned(), shown(&preview.total)]];
        for (j, groups, what) in [(1, &preview.includes, "Include"), (2, &preview.excludes, "Exclude")] {
            for g in groups {
                let label = format!("{what}: {}", name(&g.id, "group"));
                let mut entries = vec![(label, &g.count)];
                entries.extend(g.items.iter().map(|i| (format!("· {}", name(&i.id, "item")), &i.count)));
                for (label, count) in entries {
                    let mut row = vec![None, None, None];
                    row[j] = Some(Cell { count: count.clone(), percent: None });
                    rows.push(vec![label.clone(), shown(count)]);
                    categories.push(label);
                    cells.push(row);
                }
            }
        }
        let mut series = vec!["Cohort".to_owned(), "Include group".to_owned(), "Exclude group".to_owned()];
        if preview.excludes.is_empty() {
            series.pop();
            cells.iter_mut().for_each(|c| {
                c.pop();
            });
        }
        Chart {
            kind: ChartKind::Preview,
            form: Form::Bars(Orientation::Horizontal),
            title: title.unwrap_or("Participants by group and item").to_owned(),
            categories,
            series,
            cells,
            category_axis: String::new(),
            percent: false,
            percent_of: None,
            policy: preview.total.policy(),
            footnote: format!(
                "Cohort: {} participants; each group and item is counted on its own. {}",
                shown(&preview.total),
                policy_note(preview.total.policy())
            ),
            columns: vec!["Group or item".to_owned(), "Participants".to_owned()],
            rows,
        }
    }

    /// The chart as an SVG document (`role="img"`, with `<title>` and `<desc>`), `width` ×
    /// `height` CSS pixels (defaults: 640 wide, as high as it needs), and its summary.
    pub fn svg(&self, width: Option<f64>, height: Option<f64>) -> Result<(String, ChartSummary), ChartError> {
        #[cfg(not(target_arch = "wasm32"))]
        let measure = EmbeddedFont::new();
        #[cfg(target_arch = "wasm32")]
        let measure = BrowserFont::new();
        let width = draw::clamp_size(width.unwrap_or(DEFAULT_WIDTH), DEFAULT_WIDTH);
        let layout =
            draw::Layout::new(self, width, height.map(|h| draw::clamp_size(h, width)), 1.0, &measure);
        let mut out = String::new();
        {
            use plotters::prelude::IntoDrawingArea;
            let size = (layout.width.round() as u32, layout.height.round() as u32);
            let area = plotters::prelude::SVGBackend::with_string(&mut out, size).into_drawing_area();
            layout.paint(&area, draw::TextSizes::Svg)?;
            area.present().map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        let summary = self.summary(&layout, 1.0);
        Ok((accessible_svg(out, &summary), summary))
    }

    /// Draws the chart on `backend`, whose size is in device pixels, `pixel_ratio` device pixels
    /// per CSS pixel (text sizes are CSS pixels, as on a canvas); returns its summary.
    pub fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        backend: DB,
        pixel_ratio: f64,
        measure: &dyn Measure,
    ) -> Result<ChartSummary, ChartError> {
        use plotters::prelude::IntoDrawingArea;
        let ratio =
            if pixel_ratio.is_finite() && pixel_ratio > 0.0 { pixel_ratio.clamp(0.25, 8.0) } else { 1.0 };
        let (w, h) = backend.get_size();
        let layout = draw::Layout::new(self, f64::from(w), Some(f64::from(h)), ratio, measure);
        let area = backend.into_drawing_area();
        layout.paint(&area, draw::TextSizes::Css)?;
        area.present().map_err(|e| ChartError::Draw(e.to_string()))?;
        Ok(self.summary(&layout, ratio))
    }

    fn summary(&self, layout: &draw::Layout, ratio: f64) -> ChartSummary {
        let form = match (self.form, layout.horizontal) {
            (Form::Bars(_), true) => "Horizontal bar chart",
            (Form::Bars(_), false) => "Bar chart",
            (Form::Grouped, _) => "Grouped bar chart",
            (Form::Stacked, _) => "Stacked bar chart",
            (Form::Histogram, _) => "Histogram",
            (Form::Line, _) => "Line chart",
        };
        let marks = if self.form == Form::Line { "points" } else { "bars" };
        let by = if self.series.len() > 1 && self.kind != ChartKind::Preview {
            format!(", by {}", self.series.join(", "))
        } else {
            String::new()
        };
        ChartSummary {
            kind: self.kind,
            title: self.title.clone(),
            label: format!(
                "{form}: {}. {} {marks}{by}; the data table follows.",
                self.title,
                self.categories.len()
            ),
            footnote: self.footnote.clone(),
            columns: self.columns.clone(),
            rows: self.rows.clone(),
            policy: self.policy,
            width: layout.width / ratio,
            height: layout.height / ratio,
            preferred_height: (layout.preferred_height / ratio).ceil(),
            marks: layout
                .marks
                .iter()
                .map(|m| ChartMark {
                    x: m.rect[0] / ratio,
                    y: m.rect[1] / ratio,
                    width: (m.rect[2] - m.rect[0]) / ratio,
                    height: (m.rect[3] - m.rect[1]) / ratio,
                    lines: self.mark_lines(m.category, m.series),
                })
                .collect(),
        }
    }

    /// A bar's tooltip: what it is, its count as shown, and its percent and of what (the Data
    /// Browser's "% of age group").
    fn mark_lines(&self, category: usize, series: usize) -> Vec<String> {
        let name = match self.series.get(series) {
            Some(s) if self.series.len() > 1 && self.kind != ChartKind::Preview => {
                format!("{s}, {}", self.categories[category])
            }
            _ => self.categories[category].clone(),
        };
        let Some(cell) = self.cells.get(category).and_then(|row| row.get(series)).and_then(Option::as_ref)
        else {
            return vec![name];
        };
        let mut lines = vec![name, format!("{} participants", shown(&cell.count))];
        let of = match self.percent_of {
            Some(PercentOf::Group) => "of age group",
            Some(PercentOf::Answered) => "of the question's participants",
            Some(PercentOf::Row) => "of the participants of that group",
            Some(PercentOf::Total) => "of the total",
            None => "",
        };
        if let Some(p) = cell.percent.filter(|_| !of.is_empty()) {
            lines.push(format!("{} {of}", percent_text(p)));
        }
        lines
    }
}

fn kind_name(kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::Bar => "'bar'",
        ChartKind::GroupedBar => "'groupedBar'",
        ChartKind::StackedBar => "'stackedBar'",
        ChartKind::Histogram => "'histogram'",
        ChartKind::Preview => "'preview'",
        ChartKind::Line => "'line'",
    }
}

/// XML text with `&`, `<`, `>` and quotes escaped.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Adds `role="img"`, `aria-label`, `<title>` and `<desc>` to plotters' SVG.
fn accessible_svg(svg: String, summary: &ChartSummary) -> String {
    let Some(end) = svg.find('>') else { return svg };
    let (open, rest) = svg.split_at(end);
    format!(
        "{open} role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n<desc>{}</desc>{}",
        xml_escape(&summary.label),
        xml_escape(&summary.title),
        xml_escape(&summary.footnote),
        &rest[1..]
    )
}
