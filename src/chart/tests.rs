//! Native tests of the charts: the SVG output is parsed and its bars, order, heights, labels and
//! footnote checked against the disclosed values; specs are resolved against a small engine.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, StringArray};
use cohortlens_fixture::Fixture;
use serde_json::json;

use super::draw::PALETTE;
use super::*;
use crate::cohort::CohortDefinition;
use crate::engine::{Engine, EngineError};
use crate::privacy::{PercentOf, Tally, TallyRow, TallyTable};
use crate::store::{Store, Table};

/// A rectangle of the SVG.
#[derive(Debug, Clone)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    fill: String,
    stroke: String,
}

/// A text of the SVG.
#[derive(Debug, Clone)]
struct Text {
    x: f64,
    y: f64,
    text: String,
    anchor: String,
}

/// A circle of the SVG.
#[derive(Debug, Clone)]
struct Circle {
    cx: f64,
    cy: f64,
    fill: String,
    stroke: String,
}

/// A polyline of the SVG.
#[derive(Debug, Clone)]
struct Polyline {
    points: Vec<(f64, f64)>,
    stroke: String,
    width: f64,
}

struct Parsed {
    width: f64,
    height: f64,
    rects: Vec<Rect>,
    circles: Vec<Circle>,
    polylines: Vec<Polyline>,
    texts: Vec<Text>,
    title: String,
    desc: String,
    role: String,
}

fn parse(svg: &str) -> Parsed {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}):\n{svg}"));
    let root = doc.root_element();
    let num =
        |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let child_text = |tag: &str| {
        root.children().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).unwrap_or_default().to_owned()
    };
    Parsed {
        width: num(&root, "width"),
        height: num(&root, "height"),
        rects: root
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .map(|n| Rect {
                x: num(&n, "x"),
                y: num(&n, "y"),
                w: num(&n, "width"),
                h: num(&n, "height"),
                fill: n.attribute("fill").unwrap_or_default().to_owned(),
                stroke: n.attribute("stroke").unwrap_or_default().to_owned(),
            })
            .collect(),
        circles: root
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .map(|n| Circle {
                cx: num(&n, "cx"),
                cy: num(&n, "cy"),
                fill: n.attribute("fill").unwrap_or_default().to_owned(),
                stroke: n.attribute("stroke").unwrap_or_default().to_owned(),
            })
            .collect(),
        polylines: root
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .map(|n| Polyline {
                points: (n.attribute("points").unwrap_or_default().split_whitespace())
                    .filter_map(|p| p.split_once(','))
                    .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
                    .collect(),
                stroke: n.attribute("stroke").unwrap_or_default().to_owned(),
                width: num(&n, "stroke-width"),
            })
            .collect(),
        texts: root
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| Text {
                x: num(&n, "x"),
                y: num(&n, "y"),
                text: n.text().unwrap_or_default().trim().to_owned(),
                anchor: n.attribute("text-anchor").unwrap_or_default().to_owned(),
            })
            .collect(),
        title: child_text("title"),
        desc: child_text("desc"),
        role: root.attribute("role").unwrap_or_default().to_owned(),
    }
}

fn hex(c: plotters::prelude::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Filled bars of colour `c`, excluding legend swatches (12 × 12 at the top).
fn bars(p: &Parsed, c: plotters::prelude::RGBColor) -> Vec<Rect> {
    p.rects.iter().filter(|r| r.fill == hex(c) && !(r.w == 12.0 && r.h == 12.0)).cloned().collect()
}

fn texts(p: &Parsed) -> Vec<&str> {
    p.texts.iter().map(|t| t.text.as_str()).collect()
}

/// A raw one-way or two-way table with distinct keys per cell.
fn stat_table(name: &str, title: &str, dims: &[&str], rows: &[(&[&str], u64)], total: u64) -> TallyTable {
    TallyTable {
        name: name.into(),
        title: title.into(),
        dimensions: dims.iter().map(|d| d.to_string()).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, (labels, n))| TallyRow {
                labels: labels.iter().map(|l| l.to_string()).collect(),
                tally: Tally::new(*n, 0x9e37_79b9 * (i as u64 + 1)),
                of: None,
            })
            .collect(),
        total: Tally::new(total, 0xdead_beef),
        remainder: None,
        rank: None,
        percent_of: PercentOf::Total,
    }
}

fn sex_at_birth() -> TallyTable {
    stat_table(
        "sex_at_birth",
        "Sex assigned at birth",
        &["Sex assigned at birth"],
        &[(&["Female"], 741), (&["Intersex"], 3), (&["Male"], 604), (&["PMI: Skip"], 12)],
        1360,
    )
}

fn svg_of(kind: ChartKind, table: &DisclosedTable, options: ChartOptions) -> (Parsed, ChartSummary, String) {
    let chart = Chart::of_table(kind, table, None, &options).unwrap();
    let (svg, summary) = chart.svg(options.width, options.height).unwrap();
    (parse(&svg), summary, svg)
}

fn assert_close(a: f64, b: f64, tolerance: f64, what: &str) {
    assert!((a - b).abs() <= tolerance, "{what}: {a} vs {b}");
}

#[test]
fn the_embedded_font_measures_text() {
    let font = EmbeddedFont::new();
    let w = font.width("Participants", 12.0, false);
    // Arial's advance widths: "Participants" at 12 px is about 66 px.
    assert!((60.0..72.0).contains(&w), "{w}");
    assert!(font.width("≤ 20", 12.0, false) > font.width("20", 12.0, false));
    assert_eq!(font.width("", 12.0, false), 0.0);
}

#[test]
fn vertical_bars_follow_the_rows_with_heights_proportional_to_the_disclosed_counts() {
    let table = Policy::Aou.disclose_table(&sex_at_birth());
    let (p, summary, _) = svg_of(ChartKind::Bar, &table, ChartOptions::default());
    let bars = bars(&p, PALETTE[0]);
    assert_eq!(bars.len(), 4, "{bars:?}");
    // Left to right in row order, on one baseline.
    assert!(bars.windows(2).all(|w| w[0].x < w[1].x));
    let base = bars[0].y + bars[0].h;
    assert!(bars.iter().all(|b| (b.y + b.h - base).abs() < 1.0));
    let values: Vec<f64> = table.rows.iter().map(|r| r.count.value().unwrap() as f64).collect();
    assert_eq!(values, [760.0, 20.0, 620.0, 20.0]);
    let scale = bars[0].h / values[0];
    for (b, v) in bars.iter().zip(&values) {
        assert_close(b.h, v * scale, 1.5, "bar height");
    }
    let t = texts(&p);
    for label in [
        "Sex assigned at birth",
        "Participants",
        "760",
        "≤ 20",
        "620",
        "Female",
        "Intersex",
        "Male",
        "PMI: Skip",
    ] {
        assert!(t.contains(&label), "no text {label:?} in {t:?}");
    }
    // Value labels sit above their bars.
    for (b, label) in bars.iter().zip(["760", "≤ 20", "620", "≤ 20"]) {
        let text = p.texts.iter().find(|t| t.text == label && (t.x - (b.x + b.w / 2.0)).abs() < 1.5).unwrap();
        assert!(text.y < b.y, "{label} is not above its bar");
    }
    assert!(p.texts.iter().any(|t| t.text.contains("Counts are rounded up to the nearest 20")), "{t:?}");
    assert!(t.iter().any(|t| t.starts_with("Total: 1,360")), "{t:?}");
    assert_eq!((p.width, p.role.as_str()), (DEFAULT_WIDTH, "img"));
    assert_eq!(p.title, "Sex assigned at birth");
    assert!(p.desc.contains("rounded up to the nearest 20"));
    assert_eq!(summary.columns, ["Sex assigned at birth", "Participants"]);
    assert_eq!(summary.rows[1], ["Intersex", "≤ 20"]);
    assert_eq!(summary.rows.last().unwrap(), &["Total", "1,360"]);
    assert_eq!(summary.height, p.height);
    assert!(summary.label.starts_with("Bar chart: Sex assigned at birth. 4 bars"), "{}", summary.label);
}

#[test]
fn withheld_cells_are_hatched_stubs_labelled_never_numbers() {
    let table = Policy::Suppress.disclose_table(&sex_at_birth());
    let labels: Vec<&str> = table.rows.iter().map(|r| r.count.label()).collect();
    assert_eq!(labels, ["741", "≤ 20", "604", "≤ 20"]);
    let (p, _, _) = svg_of(ChartKind::Bar, &table, ChartOptions::default());
    assert_eq!(bars(&p, PALETTE[0]).len(), 2, "only shown counts are solid bars");
    // Hatched stubs: outlines in the bar colour, 8 px high, with hatching lines.
    let outlines: Vec<&Rect> =
        p.rects.iter().filter(|r| r.fill == "none" && r.stroke == hex(PALETTE[0])).collect();
    assert_eq!(outlines.len(), 2, "{:?}", p.rects);
    assert!(outlines.iter().all(|r| (r.h - 8.0).abs() <= 1.0));
    let t = texts(&p);
    assert_eq!(t.iter().filter(|t| **t == "≤ 20").count(), 2);
    assert!(t.contains(&"741") && t.contains(&"604"));
    assert!(t.iter().any(|t| t.starts_with("Withheld")), "the legend explains the hatching: {t:?}");
    assert!(p.texts.iter().any(|t| t.text.contains("withheld")), "footnote names the rule");
    // A secondary suppression reads "suppressed".
    let table = Policy::Suppress.disclose_table(&stat_table(
        "sex_at_birth",
        "Sex",
        &["Sex"],
        &[(&["Female"], 5), (&["Male"], 30), (&["Other"], 45)],
        80,
    ));
    let (p, _, _) = svg_of(ChartKind::Bar, &table, ChartOptions::default());
    let t = texts(&p);
    assert!(t.contains(&"suppressed") && t.contains(&"≤ 20") && t.contains(&"45"), "{t:?}");
    assert!(!t.contains(&"30") && !t.contains(&"5"), "{t:?}");
}

#[test]
fn no_policy_lets_a_count_of_one_to_nineteen_into_a_chart() {
    let mut rows: Vec<(Vec<String>, u64)> = Vec::new();
    for i in 0..24u64 {
        rows.push((vec![format!("Category {}", (b'A' + i as u8) as char)], i * 3 % 41));
    }
    let labels: Vec<Vec<&str>> = rows.iter().map(|(l, _)| l.iter().map(String::as_str).collect()).collect();
    let cells: Vec<(&[&str], u64)> = labels.iter().zip(&rows).map(|(l, (_, n))| (l.as_slice(), *n)).collect();
    let total = rows.iter().map(|r| r.1).sum();
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        let table = policy.disclose_table(&stat_table("t", "Small counts", &["Category"], &cells, total));
        for kind in [ChartKind::Bar, ChartKind::Histogram] {
            for width in [320.0, 640.0, 1200.0] {
                let options = ChartOptions { width: Some(width), percent: Some(true), ..Default::default() };
                let (p, summary, _) = svg_of(kind, &table, options);
                let strings =
                    p.texts.iter().map(|t| t.text.clone()).chain(summary.rows.into_iter().flatten());
                for s in strings {
                    for token in s.split(|c: char| !c.is_ascii_digit() && c != ',').filter(|t| !t.is_empty())
                    {
                        let n: u64 = token.replace(',', "").parse().unwrap_or(0);
                        let percent_or_rule = s.contains('%') || s.contains("1–20") || s.contains("±10");
                        assert!(
                            !(1..=19).contains(&n) || percent_or_rule,
                            "{policy:?} {kind:?} {width}: {s:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn long_names_turn_bars_horizontal_and_are_cut_to_the_label_column() {
    let names = [
        "Essential hypertension",
        "Type 2 diabetes mellitus without complication",
        "Hyperlipidemia",
        "Gastroesophageal reflux disease without esophagitis",
        "Osteoarthritis of knee",
    ];
    let rows: Vec<(&[&str], u64)> =
        names.iter().zip([900, 700, 650, 300, 150]).map(|(n, c)| (std::slice::from_ref(n), c)).collect();
    let table = Policy::Aou.disclose_table(&stat_table(
        "top_concepts",
        "Top condition concepts",
        &["Concept"],
        &rows,
        2000,
    ));
    for width in [320.0, 900.0] {
        let (p, summary, _) =
            svg_of(ChartKind::Bar, &table, ChartOptions { width: Some(width), ..Default::default() });
        assert!(summary.label.starts_with("Horizontal bar chart"), "{width}: {}", summary.label);
        let bars = bars(&p, PALETTE[0]);
        assert_eq!(bars.len(), 5);
        // Top to bottom in row order, from one axis, lengths proportional to the counts.
        assert!(bars.windows(2).all(|w| w[0].y < w[1].y));
        assert!(bars.iter().all(|b| (b.x - bars[0].x).abs() < 1.0));
        let scale = bars[0].w / 900.0;
        for (b, v) in bars.iter().zip([900.0, 700.0, 660.0, 300.0, 160.0]) {
            assert_close(b.w, v * scale, 1.5, "bar length");
        }
        // Every name label ends left of the bars, inside the chart.
        let font = EmbeddedFont::new();
        for t in p.texts.iter().filter(|t| t.anchor == "end" && t.x < bars[0].x) {
            assert!(t.x - font.width(&t.text, 12.0, false) >= 11.0, "{width}: {:?} is cut off", t.text);
        }
        let t = texts(&p);
        assert!(t.contains(&"Hyperlipidemia"));
        if width < 400.0 {
            assert!(t.iter().any(|t| t.ends_with('…')), "long names are cut at 320 px: {t:?}");
        } else {
            assert!(t.contains(&"Gastroesophageal reflux disease without esophagitis"), "{t:?}");
        }
        // Value labels right of the bars.
        assert!(p.texts.iter().any(|t| t.text == "900" && t.x > bars[0].x + bars[0].w));
        // The axis ends near the longest bar, not at a far gridline: the last tick label is
        // within 15 % past its end.
        let end = bars[0].x + bars[0].w;
        let below = bars[4].y + bars[4].h;
        let last_tick =
            p.texts.iter().filter(|t| t.anchor == "middle" && t.y > below).map(|t| t.x).fold(0.0, f64::max);
        assert!(
            last_tick <= end + 0.15 * bars[0].w + 1.0,
            "{width}: last tick at {last_tick}, bar ends at {end}"
        );
    }
}

fn age_by_sex() -> TallyTable {
    let mut rows: Vec<(Vec<String>, u64)> = Vec::new();
    for (i, age) in ["18–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90+"].iter().enumerate()
    {
        for (j, sex) in ["Female", "Male", "Intersex"].iter().enumerate() {
            let n = if j == 2 { 3 } else { 100 + 40 * i as u64 + 25 * j as u64 };
            rows.push((vec![age.to_string(), sex.to_string()], n));
        }
    }
    let labels: Vec<Vec<&str>> = rows.iter().map(|(l, _)| l.iter().map(String::as_str).collect()).collect();
    let cells: Vec<(&[&str], u64)> = labels.iter().zip(&rows).map(|(l, (_, n))| (l.as_slice(), *n)).collect();
    let total = rows.iter().map(|r| r.1).sum();
    stat_table(
        "age_by_sex",
        "Current age by sex assigned at birth",
        &["Age", "Sex assigned at birth"],
        &cells,
        total,
    )
}

#[test]
fn age_by_sex_grouped_and_stacked() {
    let table = Policy::Aou.disclose_table(&age_by_sex());
    let value = |age: &str, sex: &str| {
        table.rows.iter().find(|r| r.labels == [age, sex]).and_then(|r| r.count.value()).unwrap() as f64
    };
    // The table lists Female, Male, Intersex; the series with most persons come first: Male
    // (blue), Female (orange), Intersex (bluish green).
    let (p, summary, _) = svg_of(ChartKind::GroupedBar, &table, ChartOptions::default());
    let series: Vec<Vec<Rect>> = (0..3).map(|j| bars(&p, PALETTE[j])).collect();
    assert!(series.iter().all(|s| s.len() == 8), "{:?}", series.iter().map(Vec::len).collect::<Vec<_>>());
    let (male, female, intersex) = (&series[0], &series[1], &series[2]);
    // Within each age band: Male, Female, Intersex left to right.
    for i in 0..8 {
        assert!(male[i].x < female[i].x && female[i].x < intersex[i].x);
    }
    let scale = female[0].h / value("18–29", "Female");
    assert_close(male[7].h, value("90+", "Male") * scale, 1.5, "90+ Male");
    assert_close(intersex[3].h, 20.0 * scale, 1.5, "50–59 Intersex");
    let t = texts(&p);
    for label in ["Female", "Male", "Intersex", "18–29", "90+", "Age"] {
        assert!(t.contains(&label), "{label} missing: {t:?}");
    }
    assert!(summary.label.contains("by Male, Female, Intersex"), "{}", summary.label);
    // Stacked: one column per band, segments on top of each other summing to the band.
    let (p, _, _) = svg_of(ChartKind::StackedBar, &table, ChartOptions::default());
    let series: Vec<Vec<Rect>> = (0..3).map(|j| bars(&p, PALETTE[j])).collect();
    assert!(series.iter().all(|s| s.len() == 8));
    for ((m, f), x) in series[0].iter().zip(&series[1]).zip(&series[2]) {
        assert!((f.x - m.x).abs() < 1.0 && (m.x - x.x).abs() < 1.0);
        assert_close(m.y, f.y + f.h, 1.0, "female sits on male");
        assert_close(f.y, x.y + x.h, 1.0, "intersex sits on female");
    }
    let scale = series[1][0].h / value("18–29", "Female");
    let stack = |i: usize| series.iter().map(|s| s[i].h).sum::<f64>();
    assert_close(stack(3), (value("50–59", "Female") + value("50–59", "Male") + 20.0) * scale, 2.0, "stack");
    // A one-way table is not a grouped chart.
    let one = Policy::Aou.disclose_table(&sex_at_birth());
    let e = Chart::of_table(ChartKind::GroupedBar, &one, None, &ChartOptions::default()).unwrap_err();
    assert_eq!(e.code(), "invalid_chart");
    assert!(e.to_string().contains("use 'bar'"), "{e}");
}

/// A question's answers by age and sex, as the Data Browser publishes them: "Good" has more
/// participants than "Poor", which is missing from the 80–89 group.
fn answers_by_age_sex() -> TallyTable {
    let mut rows: Vec<(Vec<String>, u64)> = Vec::new();
    for (answer, base) in [("Poor", 30u64), ("Good", 90)] {
        for (i, age) in ["18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89"].iter().enumerate() {
            if answer == "Poor" && i == 6 {
                continue;
            }
            for (j, sex) in ["Male", "Female", "Other"].iter().enumerate() {
                let n = if j == 2 { 4 } else { base + 10 * i as u64 + 15 * j as u64 };
                rows.push((vec![answer.to_string(), age.to_string(), sex.to_string()], n));
            }
        }
    }
    let labels: Vec<Vec<&str>> = rows.iter().map(|(l, _)| l.iter().map(String::as_str).collect()).collect();
    let cells: Vec<(&[&str], u64)> = labels.iter().zip(&rows).map(|(l, (_, n))| (l.as_slice(), *n)).collect();
    let total = rows.iter().map(|r| r.1).sum();
    TallyTable {
        percent_of: PercentOf::Group,
        ..stat_table(
            "data_browser_survey_answers_age_sex",
            "General health by age when the survey was taken and sex",
            &["Answer", "Age", "Sex assigned at birth"],
            &cells,
            total,
        )
    }
}

#[test]
fn one_answer_of_answers_by_age_and_sex_is_stacked_by_age_group() {
    let table = Policy::Aou.disclose_table(&answers_by_age_sex());
    let value = |answer: &str, age: &str, sex: &str| {
        let row = table.rows.iter().find(|r| r.labels == [answer, age, sex]).unwrap();
        (row.count.value().unwrap() as f64, row.percent.unwrap())
    };
    // Without options.answer: the answer with most participants, named in the title.
    let (p, summary, _) = svg_of(ChartKind::StackedBar, &table, ChartOptions::default());
    assert!(p.title.ends_with("— “Good”"), "{}", p.title);
    let series: Vec<Vec<Rect>> = (0..3).map(|j| bars(&p, PALETTE[j])).collect();
    assert_eq!(series.iter().map(Vec::len).collect::<Vec<_>>(), [7, 7, 7], "seven age groups, three sexes");
    // Segments stacked: Female (most) at the bottom, then Male, then Other ("≤ 20" is drawn as 20).
    let scale = series[0][0].h / value("Good", "18-29", "Female").0;
    assert_close(series[1][2].h, value("Good", "40-49", "Male").0 * scale, 1.5, "40-49 Male");
    assert_close(series[0][2].y, series[1][2].y + series[1][2].h, 1.0, "male sits on female");
    let t = texts(&p);
    for label in ["18-29", "80-89", "Age", "Female", "Male", "Other"] {
        assert!(t.contains(&label), "{label} missing: {t:?}");
    }
    // The data table: that answer's rows with their percent of the age group, then the question's total.
    assert_eq!(summary.columns, ["Answer", "Age", "Sex assigned at birth", "Participants", "% of age group"]);
    assert_eq!(summary.rows.len(), 7 * 3 + 1);
    assert!(summary.rows[..21].iter().all(|r| r[0] == "Good"));
    let (n, pct) = value("Good", "18-29", "Female");
    assert!(summary.rows.contains(&vec![
        "Good".into(),
        "18-29".into(),
        "Female".into(),
        format!("{n}"),
        format!("{pct:.1}%")
    ]));
    assert_eq!(summary.rows[21][0], "All answers");
    let total = thousands(table.total.value().unwrap());
    assert!(
        summary.footnote.starts_with(&format!(
            "{total} participants answered the question; the chart shows those who answered “Good”."
        )),
        "{}",
        summary.footnote
    );
    assert!(summary.footnote.contains("Percentages are of the age group"), "{}", summary.footnote);
    // Each segment has a tooltip where it is drawn: the sex and age group, the count, the percent
    // of the age group.
    assert_eq!(summary.marks.len(), 21);
    let segment = &series[0][0];
    let mark = summary.marks.iter().find(|m| (m.x - segment.x).abs() < 1.0 && (m.y - segment.y).abs() < 1.0);
    let mark = mark.unwrap_or_else(|| panic!("no mark at {segment:?}: {:?}", summary.marks));
    assert_close(mark.height, segment.h, 1.0, "the mark is the segment");
    assert_eq!(
        mark.lines,
        ["Female, 18-29".to_owned(), format!("{n} participants"), format!("{pct:.1}% of age group")]
    );
    // Marks are in CSS pixels at any pixel ratio: drawn at 2 device pixels per CSS pixel, where
    // they are at 1.
    let chart = Chart::of_table(ChartKind::StackedBar, &table, None, &ChartOptions::default()).unwrap();
    let (_, at_one) = chart.svg(Some(640.0), Some(400.0)).unwrap();
    let mut out = String::new();
    let backend = plotters::prelude::SVGBackend::with_string(&mut out, (1280, 800));
    let at_two = chart.draw(backend, 2.0, &EmbeddedFont::new()).unwrap();
    assert_eq!(at_two.marks.len(), at_one.marks.len());
    for (a, b) in at_two.marks.iter().zip(&at_one.marks) {
        assert_close(a.x, b.x, 1.0, "x");
        assert_close(a.y + a.height, b.y + b.height, 1.0, "bottom");
        assert_close(a.width, b.width, 1.0, "width");
        assert_eq!(a.lines, b.lines);
    }
    // options.answer picks another answer; an answer the table has not is an error naming those it has.
    let options = ChartOptions { answer: Some("Poor".into()), ..Default::default() };
    let (p, summary, _) = svg_of(ChartKind::StackedBar, &table, options);
    assert!(p.title.ends_with("— “Poor”") && summary.label.contains("6 bars"), "{}", summary.label);
    assert_eq!(bars(&p, PALETTE[0]).len(), 6);
    let options = ChartOptions { answer: Some("Fair".into()), ..Default::default() };
    let e = Chart::of_table(ChartKind::StackedBar, &table, None, &options).unwrap_err();
    assert!(
        e.to_string().contains("spec.options.answer: \"Fair\"") && e.to_string().contains("Poor, Good"),
        "{e}"
    );
    // A two-way table by answer and age: the age groups are series in age order, wherever
    // the rows list them first.
    let mut by_age = stat_table(
        "data_browser_survey_answers_age",
        "General health by age",
        &["Answer", "Age"],
        &[
            (&["Poor", "30-39"], 40),
            (&["Poor", "89+"], 60),
            (&["Good", "18-29"], 80),
            (&["Good", "30-39"], 200),
        ],
        400,
    );
    by_age.percent_of = PercentOf::Total;
    let (_, summary, _) =
        svg_of(ChartKind::GroupedBar, &Policy::Aou.disclose_table(&by_age), ChartOptions::default());
    assert!(summary.label.ends_with("by 18-29, 30-39, 89+; the data table follows."), "{}", summary.label);
    // Grouped works on the same slice.
    let options = ChartOptions { answer: Some("Poor".into()), ..Default::default() };
    let (p, _, _) = svg_of(ChartKind::GroupedBar, &table, options);
    assert_eq!(bars(&p, PALETTE[1]).len(), 6);
}

fn hba1c() -> TallyTable {
    let mut rows: Vec<(Vec<String>, u64)> = Vec::new();
    for (i, n) in [30u64, 80, 200, 340, 260, 150, 90, 40, 12].iter().enumerate() {
        let lo = 4.0 + 0.5 * i as f64;
        rows.push((vec!["%".into(), format!("{lo:.1}–{:.1}", lo + 0.5)], *n));
    }
    rows.push((vec!["mmol/mol".into(), "20–40".into()], 25));
    let labels: Vec<Vec<&str>> = rows.iter().map(|(l, _)| l.iter().map(String::as_str).collect()).collect();
    let cells: Vec<(&[&str], u64)> = labels.iter().zip(&rows).map(|(l, (_, n))| (l.as_slice(), *n)).collect();
    stat_table("measurement_values", "Values of Hemoglobin A1c", &["Unit", "Value"], &cells, 1100)
}

#[test]
fn measurement_histogram_shows_one_unit_with_the_unit_on_the_axis() {
    let table = Policy::Aou.disclose_table(&hba1c());
    let (p, summary, _) = svg_of(ChartKind::Histogram, &table, ChartOptions::default());
    let bars = bars(&p, PALETTE[0]);
    assert_eq!(bars.len(), 9, "the % bins only");
    // Adjacent bins: each starts within 1–2 px of where the last ended.
    for w in bars.windows(2) {
        let gap = w[1].x - (w[0].x + w[0].w);
        assert!((0.0..=2.0).contains(&gap), "gap {gap}");
    }
    let t = texts(&p);
    assert!(t.contains(&"Value (%)"), "{t:?}");
    assert!(t.contains(&"4.0–4.5"));
    assert!(summary.footnote.contains("Also recorded in mmol/mol") && p.desc.contains("mmol/mol"));
    assert_eq!(summary.rows.len(), 11, "every row of the table, and the total");
    let options = ChartOptions { unit: Some("mmol/mol".into()), ..Default::default() };
    let (p, _, _) = svg_of(ChartKind::Histogram, &table, options);
    assert_eq!(super::tests::bars(&p, PALETTE[0]).len(), 1);
    assert!(texts(&p).contains(&"Value (mmol/mol)"));
    let options = ChartOptions { unit: Some("mg/dL".into()), ..Default::default() };
    let e = Chart::of_table(ChartKind::Histogram, &table, None, &options).unwrap_err();
    assert!(e.to_string().contains("%, mmol/mol"), "{e}");
    // At 320 px the bin labels are thinned so they do not overlap.
    let options = ChartOptions { width: Some(320.0), ..Default::default() };
    let (p, _, _) = svg_of(ChartKind::Histogram, &table, options);
    let base = super::tests::bars(&p, PALETTE[0])[0].y + super::tests::bars(&p, PALETTE[0])[0].h;
    let font = EmbeddedFont::new();
    let first_line =
        p.texts.iter().filter(|t| t.anchor == "middle" && t.y > base).map(|t| t.y).fold(f64::MAX, f64::min);
    let mut under: Vec<&Text> =
        p.texts.iter().filter(|t| t.anchor == "middle" && t.y == first_line).collect();
    under.sort_by(|a, b| a.x.total_cmp(&b.x));
    assert!(under.len() >= 2);
    for w in under.windows(2) {
        let (a, b) = (w[0], w[1]);
        let gap =
            (b.x - font.width(&b.text, 11.0, false) / 2.0) - (a.x + font.width(&a.text, 11.0, false) / 2.0);
        assert!(gap > 0.0, "{:?} overlaps {:?}", a.text, b.text);
    }
}

#[test]
fn a_title_keeps_its_spaces_around_a_slash_when_it_fits_and_when_it_wraps() {
    let table = Policy::Aou.disclose_table(&sex_at_birth());
    let title = "Race / ethnicity (The Basics) of the participants who answered";
    let chart = Chart::of_table(ChartKind::Bar, &table, Some(title), &ChartOptions::default()).unwrap();
    let (svg, _) = chart.svg(Some(640.0), None).unwrap();
    assert!(texts(&parse(&svg)).contains(&title), "{:?}", texts(&parse(&svg)));
    let (svg, _) = chart.svg(Some(240.0), None).unwrap();
    let p = parse(&svg);
    let top: Vec<&Text> = p.texts.iter().filter(|t| t.y < 60.0).collect();
    let joined = top.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
    assert!(top.len() >= 2 && joined.starts_with("Race / ethnicity"), "{joined:?}");
}

#[test]
fn survey_answers_show_percentages() {
    let mut raw = stat_table(
        "survey_answers",
        "General Health",
        &["Answer"],
        &[(&["Excellent"], 150), (&["Good"], 420), (&["Poor"], 8)],
        700,
    );
    raw.remainder = Some("Did not answer".into());
    let table = Policy::Aou.disclose_table(&raw);
    let (p, summary, _) = svg_of(ChartKind::Bar, &table, ChartOptions::default());
    let t = texts(&p);
    assert!(t.contains(&"160 (22.9%)") && t.contains(&"≤ 20 (2.9%)"), "{t:?}");
    assert!(t.contains(&"Did not answer"));
    assert_eq!(summary.columns, ["Answer", "Participants", "Percent"]);
    assert_eq!(summary.rows[0], ["Excellent", "160", "22.9%"]);
    let (p, _, _) =
        svg_of(ChartKind::Bar, &table, ChartOptions { percent: Some(false), ..Default::default() });
    assert!(texts(&p).contains(&"160"));
}

/// Persons with Fitbit activity per month, `counts` from `first` ("YYYY-MM") on.
fn fitbit_monthly(first: (i32, i32), counts: &[u64], total: u64) -> TallyTable {
    let months: Vec<String> = (0..counts.len() as i32)
        .map(|i| {
            let m = first.0 * 12 + first.1 - 1 + i;
            format!("{}-{:02}", m / 12, m % 12 + 1)
        })
        .collect();
    let labels: Vec<[&str; 1]> = months.iter().map(|m| [m.as_str()]).collect();
    let rows: Vec<(&[&str], u64)> = labels.iter().zip(counts).map(|(l, n)| (&l[..], *n)).collect();
    stat_table("fitbit_monthly", "Participants with Fitbit activity data, by month", &["Month"], &rows, total)
}

const MONTHLY: [u64; 14] = [150, 230, 12, 0, 310, 400, 5, 260, 280, 300, 90, 45, 60, 500];

/// The dots of a line chart in colour `c`, left to right: filled, and rings (hollow). The
/// legend's ring, above the value axis's title, is left out.
fn dots(p: &Parsed, c: plotters::prelude::RGBColor) -> (Vec<Circle>, Vec<Circle>) {
    let top = p.texts.iter().find(|t| t.text == "Participants").map_or(0.0, |t| t.y);
    let plotted = p.circles.iter().filter(|d| d.cy > top);
    let mut filled: Vec<Circle> = plotted.clone().filter(|d| d.fill == hex(c)).cloned().collect();
    let mut rings: Vec<Circle> =
        plotted.filter(|d| d.fill == "none" && d.stroke == hex(c)).cloned().collect();
    filled.sort_by(|a, b| a.cx.total_cmp(&b.cx));
    rings.sort_by(|a, b| a.cx.total_cmp(&b.cx));
    (filled, rings)
}

/// The series lines of colour `c` (2 px), left to right.
fn series_lines(p: &Parsed, c: plotters::prelude::RGBColor) -> Vec<Polyline> {
    let mut lines: Vec<Polyline> =
        p.polylines.iter().filter(|l| l.stroke == hex(c) && l.width == 2.0).cloned().collect();
    lines.sort_by(|a, b| a.points[0].0.total_cmp(&b.points[0].0));
    lines
}

#[test]
fn a_line_joins_the_months_in_order_at_heights_proportional_to_the_disclosed_counts() {
    let table = Policy::Aou.disclose_table(&fitbit_monthly((2020, 11), &MONTHLY, 900));
    let (p, summary, _) = svg_of(ChartKind::Line, &table, ChartOptions::default());
    let (filled, rings) = dots(&p, PALETTE[0]);
    assert_eq!((filled.len(), rings.len()), (12, 2), "{:?}", p.circles);
    let mut all: Vec<Circle> = filled.iter().chain(&rings).cloned().collect();
    all.sort_by(|a, b| a.cx.total_cmp(&b.cx));
    // Left to right in month order, evenly spaced.
    let pitch = all[1].cx - all[0].cx;
    assert!(pitch > 10.0 && all.windows(2).all(|w| (w[1].cx - w[0].cx - pitch).abs() <= 1.0), "{all:?}");
    // Heights above the zero month proportional to the disclosed values; "≤ 20" is drawn at 20,
    // as a ring.
    let values: Vec<f64> = table.rows.iter().map(|r| r.count.value().unwrap() as f64).collect();
    assert_eq!(values[2..4], [20.0, 0.0]);
    let base = all[3].cy;
    let scale = (base - all[13].cy) / values[13];
    for (d, v) in all.iter().zip(&values) {
        assert_close(base - d.cy, v * scale, 1.5, "point height");
    }
    assert_eq!(rings.iter().map(|d| d.cx).collect::<Vec<_>>(), [all[2].cx, all[6].cx]);
    // One unbroken line through every point, in order.
    let lines = series_lines(&p, PALETTE[0]);
    assert_eq!(lines.len(), 1, "{:?}", p.polylines);
    let through: Vec<(f64, f64)> = all.iter().map(|d| (d.cx, d.cy)).collect();
    assert_eq!(lines[0].points, through);
    let t = texts(&p);
    for label in ["Participants with Fitbit activity data, by month", "Participants", "Month", "2020-11"] {
        assert!(t.contains(&label), "no text {label:?} in {t:?}");
    }
    assert!(t.iter().any(|t| t.starts_with("Total: 900")), "{t:?}");
    assert!(t.contains(&"“≤ 20”, drawn at 20"), "the legend explains the rings: {t:?}");
    let legend = p.circles.iter().filter(|d| d.fill == "none" && d.stroke == hex(PALETTE[0])).count();
    assert_eq!(legend, 3, "two rings and the legend's");
    assert!(p.desc.contains("rounded up to the nearest 20"));
    assert!(summary.label.starts_with("Line chart: Participants with Fitbit"), "{}", summary.label);
    assert!(summary.label.contains("14 points"), "{}", summary.label);
    assert_eq!(summary.columns, ["Month", "Participants"]);
    assert_eq!(summary.rows[2], ["2021-01", "≤ 20"]);
    assert_eq!(summary.rows.last().unwrap(), &["Total", "900"]);
}

#[test]
fn a_withheld_month_is_a_gap_with_a_hatched_marker_never_a_height() {
    let table = Policy::Suppress.disclose_table(&fitbit_monthly((2020, 11), &MONTHLY, 900));
    assert_eq!((table.rows[2].count.value(), table.rows[6].count.value()), (None, None));
    let (p, summary, _) = svg_of(ChartKind::Line, &table, ChartOptions::default());
    let (filled, rings) = dots(&p, PALETTE[0]);
    assert_eq!((filled.len(), rings.len()), (12, 0), "no dot for a withheld month");
    // The line breaks at both withheld months: months 0–1, 3–5 and 7–13.
    let lines = series_lines(&p, PALETTE[0]);
    assert_eq!(lines.iter().map(|l| l.points.len()).collect::<Vec<_>>(), [2, 3, 7], "{lines:?}");
    // A hatched marker on the axis (8 px high, in the line's colour) at each withheld month,
    // midway between its neighbours.
    let markers: Vec<&Rect> =
        p.rects.iter().filter(|r| r.fill == "none" && r.stroke == hex(PALETTE[0])).collect();
    assert_eq!(markers.len(), 2, "{:?}", p.rects);
    let zero = &filled[2];
    for (m, (before, after)) in markers.iter().zip([(&filled[1], &filled[2]), (&filled[4], &filled[5])]) {
        assert_close(m.x + m.w / 2.0, (before.cx + after.cx) / 2.0, 1.5, "marker position");
        assert_close(m.y + m.h, zero.cy, 1.0, "marker on the axis");
        assert!((m.h - 8.0).abs() <= 1.0);
    }
    let t = texts(&p);
    assert!(t.iter().any(|t| t.starts_with("Withheld")), "the legend explains the hatching: {t:?}");
    assert!(!t.contains(&"“≤ 20”, drawn at 20"), "no ring, no ring in the legend: {t:?}");
    assert!(p.desc.contains("withheld"), "{}", p.desc);
    assert_eq!(summary.rows[6], ["2021-05", "≤ 20"]);
    // No policy lets a count of 1–19 into the chart.
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        let table = policy.disclose_table(&fitbit_monthly((2020, 11), &MONTHLY, 900));
        for width in [320.0, 1200.0] {
            let options = ChartOptions { width: Some(width), ..Default::default() };
            let (p, summary, _) = svg_of(ChartKind::Line, &table, options);
            let strings = p.texts.iter().map(|t| t.text.clone()).chain(summary.rows.into_iter().flatten());
            for s in strings.filter(|s| !s.contains("1–20") && !s.contains("±10")) {
                let n: u64 = s.replace(',', "").parse().unwrap_or(0);
                assert!(!(1..=19).contains(&n), "{policy:?} {width}: {s:?}");
            }
        }
    }
}

#[test]
fn month_labels_are_thinned_to_calendar_steps_and_never_overlap() {
    let counts: Vec<u64> = (0..36).map(|i| 100 + 10 * i).collect();
    let table = Policy::Aou.disclose_table(&fitbit_monthly((2019, 2), &counts, 2000));
    let font = EmbeddedFont::new();
    for width in [320.0, 640.0, 1200.0] {
        let (p, _, _) =
            svg_of(ChartKind::Line, &table, ChartOptions { width: Some(width), ..Default::default() });
        let (filled, _) = dots(&p, PALETTE[0]);
        assert_eq!(filled.len(), 36);
        let mut under: Vec<&Text> =
            p.texts.iter().filter(|t| t.anchor == "middle" && month_of(&t.text).is_some()).collect();
        under.sort_by(|a, b| a.x.total_cmp(&b.x));
        assert!(under.len() >= 2, "{width}: {under:?}");
        let months: Vec<i32> = under.iter().map(|t| month_of(&t.text).unwrap()).collect();
        let step = months[1] - months[0];
        assert!([1, 2, 3, 6, 12, 24].contains(&step), "{width}: {months:?}");
        assert!(months.windows(2).all(|w| w[1] - w[0] == step), "{width}: {months:?}");
        assert!(months.iter().all(|m| m % step == 0), "{width}: labelled where a step begins: {months:?}");
        for w in under.windows(2) {
            let (a, b) = (w[0], w[1]);
            let gap = (b.x - font.width(&b.text, 11.0, false) / 2.0)
                - (a.x + font.width(&a.text, 11.0, false) / 2.0);
            assert!(gap > 0.0, "{width}: {:?} overlaps {:?}", a.text, b.text);
        }
        for t in &under {
            let half = font.width(&t.text, 11.0, false) / 2.0;
            assert!(
                t.x - half >= 0.0 && t.x + half <= width,
                "{width}: {:?} sticks out: {} ± {half}",
                t.text,
                t.x
            );
            // Each label is under its month's dot.
            let m = (month_of(&t.text).unwrap() - (2019 * 12 + 1)) as usize;
            assert_close(t.x, filled[m].cx, 1.0, "label under its dot");
        }
    }
}

/// `"2021-03"` as months since year 0.
fn month_of(label: &str) -> Option<i32> {
    let (y, m) = label.split_once('-')?;
    Some(y.parse::<i32>().ok()? * 12 + m.parse::<i32>().ok()? - 1)
}

#[test]
fn a_line_takes_time_series_only() {
    let table = Policy::Aou.disclose_table(&sex_at_birth());
    let e = Chart::of_table(ChartKind::Line, &table, None, &ChartOptions::default()).unwrap_err();
    assert_eq!(e.code(), "invalid_chart");
    assert!(e.to_string().contains("fitbitMonthly") && e.to_string().contains("'bar'"), "{e}");
    let empty = Policy::Aou.disclose_table(&fitbit_monthly((2020, 1), &[], 0));
    let (p, summary, _) = svg_of(ChartKind::Line, &empty, ChartOptions::default());
    assert!(texts(&p).contains(&"No rows to show."));
    assert_eq!(summary.rows, [["Total", "0"]]);
}

#[test]
fn preview_draws_the_cohort_its_groups_and_items() {
    let d = |n: u64| Policy::Aou.disclose(Tally::new(n, n));
    let preview = Preview {
        total: d(1356),
        includes: vec![GroupPreview {
            id: json!("dm"),
            count: d(2400),
            items: vec![
                ItemPreview { id: json!(1), count: d(2100) },
                ItemPreview { id: json!(2), count: d(5) },
            ],
        }],
        excludes: vec![GroupPreview { id: json!("ins"), count: d(300), items: vec![] }],
    };
    let mut options = ChartOptions::default();
    options.labels.insert("dm".into(), "Type 2 diabetes".into());
    let chart = Chart::of_preview(&preview, None, &options);
    let (svg, summary) = chart.svg(Some(480.0), None).unwrap();
    let p = parse(&svg);
    assert_eq!(bars(&p, PALETTE[0]).len(), 1, "the cohort");
    assert_eq!(bars(&p, PALETTE[2]).len(), 3, "the include group and its items");
    assert_eq!(bars(&p, PALETTE[3]).len(), 1, "the exclude group");
    let t = texts(&p);
    for label in [
        "Cohort",
        "Include: Type 2 diabetes",
        "· item 1",
        "· item 2",
        "Exclude: group ins",
        "1,360",
        "2,400",
        "≤ 20",
    ] {
        assert!(t.contains(&label), "{label:?} missing: {t:?}");
    }
    assert_eq!(summary.rows[3], ["· item 2", "≤ 20"]);
    assert!(summary.footnote.starts_with("Cohort: 1,360 participants"));
}

#[test]
fn sizes_are_honoured_and_the_preferred_height_grows_with_rows() {
    let table = Policy::Aou.disclose_table(&sex_at_birth());
    let chart = Chart::of_table(ChartKind::Bar, &table, Some("A title"), &ChartOptions::default()).unwrap();
    let (svg, summary) = chart.svg(Some(320.0), Some(300.0)).unwrap();
    let p = parse(&svg);
    assert_eq!((p.width, p.height), (320.0, 300.0));
    assert_eq!((summary.width, summary.height, summary.title.as_str()), (320.0, 300.0, "A title"));
    // Nothing drawn outside the chart.
    for r in &p.rects {
        assert!(r.x >= 0.0 && r.y >= 0.0 && r.x + r.w <= 320.0 && r.y + r.h <= 300.0, "{r:?}");
    }
    let (_, absurd) = chart.svg(Some(f64::NAN), Some(1e9)).unwrap();
    assert_eq!((absurd.width, absurd.height), (DEFAULT_WIDTH, 4000.0));
    let horizontal = ChartOptions { orientation: Orientation::Horizontal, ..Default::default() };
    let few = Chart::of_table(ChartKind::Bar, &table, None, &horizontal).unwrap().svg(None, None).unwrap().1;
    let many =
        Chart::of_table(ChartKind::Bar, &Policy::Aou.disclose_table(&age_by_sex_flat()), None, &horizontal)
            .unwrap()
            .svg(None, None)
            .unwrap()
            .1;
    assert!(
        many.preferred_height > few.preferred_height + 400.0,
        "{} vs {}",
        many.preferred_height,
        few.preferred_height
    );
}

/// Age × Sex flattened to one dimension: 24 rows.
fn age_by_sex_flat() -> TallyTable {
    let mut t = age_by_sex();
    t.dimensions = vec!["Group".into()];
    t.rows.iter_mut().for_each(|r| r.labels = vec![r.labels.join(", ")]);
    t
}

#[test]
fn an_empty_table_draws_a_message_not_a_panic() {
    let table = Policy::Aou.disclose_table(&stat_table("race", "Race", &["Race"], &[], 0));
    let (p, summary, _) = svg_of(ChartKind::Bar, &table, ChartOptions::default());
    assert!(texts(&p).contains(&"No rows to show."));
    assert_eq!(summary.rows, [["Total", "0"]]);
}

fn table(name: &str, columns: Vec<(&str, ArrayRef)>) -> Table {
    let batch = columns.into_iter().fold(Fixture::new(name), |f, (c, a)| f.column(c, a)).batch();
    Table::new(name.to_owned(), batch.schema(), vec![batch])
}

/// 200 persons; person p (1-based) is female when odd, born 1940 + p % 60; persons 1–150 have
/// type 2 diabetes (201826, under 201820), 1–100 with an HbA1c value of 5 + (p % 40) / 10 %.
fn engine() -> Engine {
    let mut store = Store::default();
    let concepts: [(i32, &'static str, &'static str, &'static str); 6] = [
        (201_826, "Type 2 diabetes mellitus", "Condition", ""),
        (201_820, "Diabetes mellitus", "Condition", ""),
        (3_004_410, "Hemoglobin A1c", "Measurement", ""),
        (8_554, "percent", "Unit", "%"),
        (8_532, "Female", "Gender", "F"),
        (8_507, "Male", "Gender", "M"),
    ];
    let column = |f: fn(&(i32, &'static str, &'static str, &'static str)) -> &'static str| -> ArrayRef {
        Arc::new(StringArray::from(concepts.iter().map(f).collect::<Vec<_>>()))
    };
    store.insert(table(
        "concept",
        vec![
            ("concept_id", Arc::new(Int32Array::from(concepts.map(|c| c.0).to_vec()))),
            ("concept_name", column(|c| c.1)),
            ("domain_id", column(|c| c.2)),
            ("vocabulary_id", column(|_| "SNOMED")),
            ("concept_class_id", column(|_| "Clinical Finding")),
            ("concept_code", column(|c| c.3)),
        ],
    ));
    store.insert(table(
        "concept_ancestor",
        vec![
            ("ancestor_concept_id", Arc::new(Int32Array::from(vec![201_820]))),
            ("descendant_concept_id", Arc::new(Int32Array::from(vec![201_826]))),
            ("min_levels_of_separation", Arc::new(Int32Array::from(vec![1]))),
        ],
    ));
    let ids: Vec<i64> = (1..=200).collect();
    let sex: Vec<i32> = ids.iter().map(|p| if p % 2 == 1 { 8_532 } else { 8_507 }).collect();
    store.insert(table(
        "person",
        vec![
            ("person_id", Arc::new(Int64Array::from(ids.clone()))),
            (
                "year_of_birth",
                Arc::new(Int32Array::from(ids.iter().map(|p| 1940 + (p % 60) as i32).collect::<Vec<_>>())),
            ),
            ("gender_concept_id", Arc::new(Int32Array::from(sex.clone()))),
            ("sex_at_birth_concept_id", Arc::new(Int32Array::from(sex))),
            ("race_concept_id", Arc::new(Int32Array::from(vec![0; 200]))),
            ("ethnicity_concept_id", Arc::new(Int32Array::from(vec![0; 200]))),
        ],
    ));
    let sick: Vec<i64> = (1..=150).collect();
    store.insert(table(
        "condition_occurrence",
        vec![
            ("person_id", Arc::new(Int64Array::from(sick.clone()))),
            ("condition_concept_id", Arc::new(Int32Array::from(vec![201_826; 150]))),
            ("condition_start_date", Arc::new(Date32Array::from(vec![18_262; 150]))),
        ],
    ));
    let measured: Vec<i64> = (1..=100).collect();
    store.insert(table(
        "measurement",
        vec![
            ("person_id", Arc::new(Int64Array::from(measured.clone()))),
            ("measurement_concept_id", Arc::new(Int32Array::from(vec![3_004_410; 100]))),
            ("measurement_date", Arc::new(Date32Array::from(vec![18_262; 100]))),
            (
                "value_as_number",
                Arc::new(Float64Array::from(
                    measured.iter().map(|p| 5.0 + (p % 40) as f64 / 10.0).collect::<Vec<_>>(),
                )),
            ),
            ("unit_concept_id", Arc::new(Int32Array::from(vec![8_554; 100]))),
        ],
    ));
    Engine::build(&store, Some("2023-10-01")).unwrap()
}

fn spec(value: serde_json::Value) -> Result<ChartSpec, ChartError> {
    ChartSpec::from_json(&value.to_string())
}

const DIABETES: &str = r#"{"includes": [{"id": "dm", "items": [{"id": 1, "type": "CONDITION",
    "searchParameters": [{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}]}]}]}"#;

#[test]
fn specs_chart_statistics_of_a_cohort_or_a_concept() {
    let engine = engine();
    let cohort: serde_json::Value = serde_json::from_str(DIABETES).unwrap();
    let s = spec(json!({"kind": "bar", "data": {"kind": "sexAtBirth"}, "cohort": cohort})).unwrap();
    let chart = engine.chart(&s, Policy::Aou).unwrap();
    let (svg, summary) = chart.svg(None, None).unwrap();
    // 75 women and 75 men, rounded up to 80.
    assert_eq!(summary.rows, [["Female", "80"], ["Male", "80"], ["Total", "160"]]);
    assert_eq!(bars(&parse(&svg), PALETTE[0]).len(), 2);
    let s = spec(json!({"kind": "histogram", "data": {"kind": "measurementValues", "conceptId": 3004410},
        "conceptId": 201826, "title": "HbA1c with type 2 diabetes"}))
    .unwrap();
    let (svg, summary) = engine.chart(&s, Policy::Suppress).unwrap().svg(Some(320.0), None).unwrap();
    assert_eq!(summary.title, "HbA1c with type 2 diabetes");
    assert_eq!(summary.policy, Policy::Suppress);
    assert!(texts(&parse(&svg)).contains(&"Value (%)"));
    let s = spec(json!({"kind": "groupedBar", "data": {"kind": "ageBySex", "bands": "cohortBuilder"}, "conceptId": 201820}))
        .unwrap();
    let summary = engine.chart(&s, Policy::Perturbed).unwrap().svg(None, None).unwrap().1;
    assert_eq!(summary.columns, ["Age", "Sex assigned at birth", "Participants"]);
    let s = spec(json!({"kind": "preview", "data": {"kind": "preview"}, "cohort": cohort})).unwrap();
    let summary = engine.chart(&s, Policy::Aou).unwrap().svg(None, None).unwrap().1;
    assert_eq!(summary.rows[0], ["Cohort", "160"]);
}

#[test]
fn specs_take_disclosed_results_back_and_refuse_anything_else() {
    let engine = engine();
    let table = serde_json::to_value(Policy::Aou.disclose_table(&sex_at_birth())).unwrap();
    let s = spec(json!({"kind": "bar", "data": table.clone()})).unwrap();
    let summary = engine.chart(&s, Policy::Suppress).unwrap().svg(None, None).unwrap().1;
    assert_eq!(summary.policy, Policy::Aou, "a table keeps the policy it was disclosed under");
    let mut forged = table;
    forged["rows"][1]["count"] = json!({"value": 3, "label": "3", "policy": "aou"});
    let e = engine.chart(&spec(json!({"kind": "bar", "data": forged})).unwrap(), Policy::Aou).unwrap_err();
    assert_eq!(e.code(), "invalid_chart");
    assert!(e.to_string().starts_with("spec.data.rows[1].count"), "{e}");
    let cohort: serde_json::Value = serde_json::from_str(DIABETES).unwrap();
    let c = engine.cohort(&CohortDefinition::from_value(cohort.clone()).unwrap()).unwrap();
    let preview = serde_json::to_value(c.preview(Policy::Aou)).unwrap();
    let s = spec(json!({"kind": "preview", "data": preview})).unwrap();
    assert_eq!(
        engine.chart(&s, Policy::Aou).unwrap().svg(None, None).unwrap().1.rows[1],
        ["Include: group dm", "160"]
    );
}

#[test]
fn bad_specs_are_errors_that_say_what_to_do() {
    let engine = engine();
    let cohort: serde_json::Value = serde_json::from_str(DIABETES).unwrap();
    let error = |v: serde_json::Value| -> (String, String) {
        let e = match spec(v) {
            Ok(s) => engine.chart(&s, Policy::Aou).map(|_| ()).unwrap_err(),
            Err(e) => EngineError::from(e),
        };
        (e.code().to_owned(), e.to_string())
    };
    let cases = [
        (json!({"kind": "pie", "data": {"kind": "race"}, "conceptId": 201826}), "invalid_chart", "spec.kind"),
        (
            json!({"kind": "bar", "data": {"kind": "race"}, "conceptId": 201826, "colour": "red"}),
            "invalid_chart",
            "colour",
        ),
        (
            json!({"kind": "bar", "data": {"kind": "race"}, "conceptId": 201826, "options": {"widht": 3}}),
            "invalid_chart",
            "widht",
        ),
        (json!({"kind": "bar", "data": {"kind": "race"}}), "invalid_chart", "spec.cohort"),
        (
            json!({"kind": "bar", "data": {"kind": "race"}, "conceptId": 201826, "cohort": cohort}),
            "invalid_chart",
            "not both",
        ),
        (
            json!({"kind": "bar", "data": {"kind": "races"}, "conceptId": 201826}),
            "invalid_chart",
            "spec.data",
        ),
        (json!({"kind": "bar", "data": {"kind": "preview"}}), "invalid_chart", "spec.cohort"),
        (json!({"kind": "bar", "data": {"kind": "race"}, "conceptId": 42}), "unknown_concept", "42"),
        (
            json!({"kind": "bar", "data": {"kind": "race"}, "cohort": {"includes": []}}),
            "invalid_definition",
            "include",
        ),
        (
            json!({"kind": "bar", "data": {"kind": "ageBySex", "bands": "dataBrowser"}, "conceptId": 201826}),
            "invalid_chart",
            "groupedBar",
        ),
        (
            json!({"kind": "histogram", "data": {"kind": "preview"}, "cohort": cohort}),
            "invalid_chart",
            "'preview'",
        ),
        (
            json!({"kind": "preview", "data": {"kind": "race"}, "conceptId": 201826}),
            "invalid_chart",
            "cohort.preview()",
        ),
        (json!([1, 2]), "invalid_chart", "chart spec looks like"),
    ];
    for (value, code, needle) in cases {
        let (c, message) = error(value.clone());
        assert_eq!(c, code, "{value}: {message}");
        assert!(message.contains(needle), "{value}: {message:?} lacks {needle:?}");
    }
}

/// Writes sample SVGs of every kind, at 320 and 640 px, to test-output/charts-native/ for review.
#[test]
fn samples_are_written_for_review() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/charts-native");
    std::fs::create_dir_all(&dir).unwrap();
    let mut survey = stat_table(
        "survey_answers",
        "General Health",
        &["Answer"],
        &[(&["Excellent"], 150), (&["Good"], 420), (&["Poor"], 8)],
        700,
    );
    survey.remainder = Some("Did not answer".into());
    let race = stat_table(
        "race",
        "Race",
        &["Race"],
        &[
            (&["Asian"], 60),
            (&["Black or African American"], 300),
            (&["More than one population"], 45),
            (&["Native Hawaiian or Other Pacific Islander"], 4),
            (&["White"], 900),
            (&["I prefer not to answer"], 30),
            (&["None Indicated"], 12),
        ],
        1351,
    );
    let samples: Vec<(&str, ChartKind, TallyTable)> = vec![
        ("sex", ChartKind::Bar, sex_at_birth()),
        ("race", ChartKind::Bar, race),
        ("survey", ChartKind::Bar, survey),
        ("age-sex-grouped", ChartKind::GroupedBar, age_by_sex()),
        ("age-sex-stacked", ChartKind::StackedBar, age_by_sex()),
        ("hba1c", ChartKind::Histogram, hba1c()),
        ("fitbit-monthly", ChartKind::Line, fitbit_monthly((2020, 11), &MONTHLY, 900)),
    ];
    for (name, kind, raw) in samples {
        for policy in [Policy::Aou, Policy::Suppress] {
            for width in [320.0, 640.0] {
                let table = policy.disclose_table(&raw);
                let (svg, _) = Chart::of_table(kind, &table, None, &ChartOptions::default())
                    .unwrap()
                    .svg(Some(width), None)
                    .unwrap();
                std::fs::write(dir.join(format!("{name}-{}-{width}.svg", policy.name())), svg).unwrap();
            }
        }
    }
}

#[test]
fn extreme_sizes_labels_and_row_counts_lay_out_without_panicking() {
    let long = "Pneumonia ".repeat(500);
    let many: Vec<(Vec<String>, u64)> =
        (0..1000).map(|i| (vec![format!("Concept {i} {long}")], 1000 - i)).collect();
    let labels: Vec<Vec<&str>> = many.iter().map(|(l, _)| l.iter().map(String::as_str).collect()).collect();
    let cells: Vec<(&[&str], u64)> = labels.iter().zip(&many).map(|(l, (_, n))| (l.as_slice(), *n)).collect();
    let huge = stat_table("top_concepts", &long, &["Concept"], &cells, u64::MAX / 4);
    let one = stat_table("race", "", &["Race"], &[(&[""], u64::MAX / 2)], u64::MAX / 2);
    for raw in [huge, one, age_by_sex()] {
        let table = Policy::Aou.disclose_table(&raw);
        let kind = if raw.dimensions.len() == 2 { ChartKind::StackedBar } else { ChartKind::Bar };
        let chart = Chart::of_table(kind, &table, None, &ChartOptions::default()).unwrap();
        for (w, h) in [
            (Some(0.0), Some(0.0)),
            (Some(-5.0), Some(f64::INFINITY)),
            (Some(120.0), Some(120.0)),
            (None, None),
        ] {
            let (svg, summary) = chart.svg(w, h).unwrap();
            let p = parse(&svg);
            assert!(summary.width >= 120.0 && summary.height >= 120.0 && summary.height <= 4000.0);
            // Text stays inside the chart horizontally.
            assert!(p.texts.iter().all(|t| t.x >= 0.0 && t.x <= p.width), "{w:?}");
        }
    }
}
