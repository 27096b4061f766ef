//! Charts in headless Chromium (`wasm-pack test --headless --chrome`): bars drawn on a real
//! canvas are checked pixel by pixel at the places the same layout's SVG puts them (a blank
//! canvas fails), at 1× and 2× device pixels; withheld cells are hatched; a line's dots and
//! segments are painted and a withheld month is a gap; `lens.chart` and
//! `lens.chartSvg` draw disclosed statistics, reject bad input with coded errors, and show no
//! count from 1 to 19 under any policy.
#![cfg(target_arch = "wasm32")]

mod common;

use std::sync::Arc;

use arrow_array::{Date32Array, Int32Array, Int64Array, RecordBatch, StringArray};
use cohortlens::chart::{BrowserFont, Chart, ChartKind, ChartOptions};
use cohortlens::privacy::DisclosedTable;
use cohortlens_fixture::Fixture;
use common::ipc;
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

const BLUE: [u8; 4] = [0, 114, 178, 255];
const WHITE: [u8; 4] = [255; 4];

fn canvas(width: u32, height: u32) -> HtmlCanvasElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document.create_element("canvas").unwrap().unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    canvas
}

fn pixel(canvas: &HtmlCanvasElement, x: f64, y: f64) -> [u8; 4] {
    let context: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = context.get_image_data(x.floor(), y.floor(), 1.0, 1.0).unwrap().data();
    [data[0], data[1], data[2], data[3]]
}

/// Filled rectangles of `fill` in an SVG, legend swatches (12 × 12) excluded: `[x, y, w, h]`.
fn svg_rects(svg: &str, fill: &str, stroke: &str) -> Vec<[f64; 4]> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill") == Some(fill) && n.attribute("stroke") == Some(stroke))
        .map(|n| [num(&n, "x"), num(&n, "y"), num(&n, "width"), num(&n, "height")])
        .filter(|r| !(r[2] == 12.0 && r[3] == 12.0))
        .collect()
}

/// The texts of an SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_owned())
        .collect()
}

/// Centres of the circles of an SVG filled with `fill`: `[cx, cy]`, left to right.
fn svg_dots(svg: &str, fill: &str) -> Vec<[f64; 2]> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    let mut dots: Vec<[f64; 2]> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some(fill))
        .map(|n| [num(&n, "cx"), num(&n, "cy")])
        .collect();
    dots.sort_by(|a, b| a[0].total_cmp(&b[0]));
    dots
}

/// Blue more than red by a margin: the line (or its anti-aliased edge), not white or grey.
fn bluish([r, _, b, _]: [u8; 4]) -> bool {
    i32::from(b) - i32::from(r) > 60
}

/// Six months of Fitbit activity under `suppress`; 2021-03 is withheld.
fn monthly_table() -> DisclosedTable {
    let cell = |value: Option<u64>, label: &str| serde_json::json!({"value": value, "label": label, "policy": "suppress"});
    let months = [
        ("2021-01", Some(300)),
        ("2021-02", Some(120)),
        ("2021-03", None),
        ("2021-04", Some(240)),
        ("2021-05", Some(0)),
        ("2021-06", Some(180)),
    ];
    let rows: Vec<serde_json::Value> = months
        .iter()
        .map(|(m, v)| {
            let label = v.map_or("≤ 20".to_owned(), |v: u64| v.to_string());
            serde_json::json!({"labels": [m], "count": cell(*v, &label), "percent": null})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "name": "fitbit_monthly", "title": "Participants with Fitbit activity data, by month",
        "policy": "suppress", "dimensions": ["Month"], "rows": rows, "total": cell(Some(400), "400"),
    }))
    .unwrap()
}

fn sex_table(policy: &str) -> DisclosedTable {
    let cell = |value: Option<u64>, label: &str| serde_json::json!({"value": value, "label": label, "policy": policy});
    let (female, small, male) = match policy {
        "suppress" => (cell(Some(741), "741"), cell(None, "≤ 20"), cell(Some(604), "604")),
        _ => (cell(Some(760), "760"), cell(Some(20), "≤ 20"), cell(Some(620), "620")),
    };
    let total = cell(Some(1360), "1360");
    serde_json::from_value(serde_json::json!({
        "name": "sex_at_birth", "title": "Sex assigned at birth", "policy": policy,
        "dimensions": ["Sex assigned at birth"],
        "rows": [
            {"labels": ["Female"], "count": female, "percent": null},
            {"labels": ["Intersex"], "count": small.clone(), "percent": null},
            {"labels": ["Male"], "count": male, "percent": null},
            {"labels": ["PMI: Skip"], "count": small, "percent": null},
        ],
        "total": total,
    }))
    .unwrap()
}

#[wasm_bindgen_test]
fn bars_are_painted_where_the_layout_puts_them_at_one_and_two_device_pixels_per_css_pixel() {
    let chart = Chart::of_table(ChartKind::Bar, &sex_table("aou"), None, &ChartOptions::default()).unwrap();
    let (svg, _) = chart.svg(Some(400.0), Some(300.0)).unwrap();
    let bars = svg_rects(&svg, "#0072B2", "none");
    assert_eq!(bars.len(), 4, "{svg}");
    for ratio in [1.0, 2.0] {
        let c = canvas((400.0 * ratio) as u32, (300.0 * ratio) as u32);
        let probe = (bars[0][0] + bars[0][2] / 2.0, bars[0][1] + bars[0][3] / 2.0);
        assert_eq!(pixel(&c, probe.0 * ratio, probe.1 * ratio), [0; 4], "a blank canvas must fail the check");
        let summary = chart
            .draw(
                plotters_canvas::CanvasBackend::with_canvas_object(c.clone()).unwrap(),
                ratio,
                &BrowserFont::new(),
            )
            .unwrap();
        assert_eq!((summary.width, summary.height), (400.0, 300.0));
        for [x, y, w, h] in &bars {
            let centre = ((x + w / 2.0) * ratio, (y + h / 2.0) * ratio);
            assert_eq!(pixel(&c, centre.0, centre.1), BLUE, "ratio {ratio}: bar at {x},{y} {w}×{h}");
            // Just outside the bar's side: background (white) or a gridline, never the bar colour.
            assert_ne!(
                pixel(&c, (x - 3.0) * ratio, centre.1),
                BLUE,
                "ratio {ratio}: bar wider than laid out"
            );
        }
        assert_eq!(pixel(&c, 3.0 * ratio, 3.0 * ratio), WHITE, "the background is white");
        // The title is drawn: dark pixels along its first line.
        let dark = (0..200).filter(|x| pixel(&c, f64::from(*x) * ratio, 20.0 * ratio)[0] < 120).count();
        assert!(dark > 5, "ratio {ratio}: no title pixels");
    }
}

#[wasm_bindgen_test]
fn a_withheld_cell_is_a_hatched_stub_not_a_filled_bar() {
    let chart =
        Chart::of_table(ChartKind::Bar, &sex_table("suppress"), None, &ChartOptions::default()).unwrap();
    let (svg, _) = chart.svg(Some(400.0), Some(300.0)).unwrap();
    let stubs = svg_rects(&svg, "none", "#0072B2");
    assert_eq!(stubs.len(), 2, "{svg}");
    assert_eq!(svg_rects(&svg, "#0072B2", "none").len(), 2);
    assert_eq!(svg_texts(&svg).iter().filter(|t| *t == "≤ 20").count(), 2);
    let c = canvas(400, 300);
    chart
        .draw(
            plotters_canvas::CanvasBackend::with_canvas_object(c.clone()).unwrap(),
            1.0,
            &BrowserFont::new(),
        )
        .unwrap();
    let [x, y, w, h] = stubs[0];
    let (mut ink, mut paper) = (0, 0);
    for i in 1..(w as i32 - 1) {
        for j in 1..(h as i32 - 1) {
            match pixel(&c, x + f64::from(i), y + f64::from(j)) {
                WHITE => paper += 1,
                _ => ink += 1,
            }
        }
    }
    assert!(ink > 0 && paper > 0, "hatching is lines on white: {ink} inked, {paper} white");
}

#[wasm_bindgen_test]
fn a_line_is_painted_through_its_dots_with_a_gap_at_a_withheld_month() {
    let chart = Chart::of_table(ChartKind::Line, &monthly_table(), None, &ChartOptions::default()).unwrap();
    let (svg, summary) = chart.svg(Some(400.0), Some(300.0)).unwrap();
    assert!(summary.label.starts_with("Line chart: "), "{}", summary.label);
    let dots = svg_dots(&svg, "#0072B2");
    assert_eq!(dots.len(), 5, "no dot for the withheld month: {svg}");
    let markers = svg_rects(&svg, "none", "#0072B2");
    assert_eq!(markers.len(), 1, "{svg}");
    for ratio in [1.0, 2.0] {
        let c = canvas((400.0 * ratio) as u32, (300.0 * ratio) as u32);
        let at = |x: f64, y: f64| pixel(&c, x * ratio, y * ratio);
        assert_eq!(at(dots[0][0], dots[0][1]), [0; 4], "a blank canvas must fail the check");
        chart
            .draw(
                plotters_canvas::CanvasBackend::with_canvas_object(c.clone()).unwrap(),
                ratio,
                &BrowserFont::new(),
            )
            .unwrap();
        for [x, y] in &dots {
            assert_eq!(at(*x, *y), BLUE, "ratio {ratio}: dot at {x},{y}");
        }
        // The line runs between neighbouring months (January–February, April–May–June) …
        for (a, b) in [(0, 1), (2, 3), (3, 4)] {
            let mid = ((dots[a][0] + dots[b][0]) / 2.0, (dots[a][1] + dots[b][1]) / 2.0);
            assert!(bluish(at(mid.0, mid.1)), "ratio {ratio}: no line between dots {a} and {b}");
        }
        // … and not across the withheld March, which is a hatched marker on the axis.
        let gap = ((dots[1][0] + dots[2][0]) / 2.0, (dots[1][1] + dots[2][1]) / 2.0);
        assert!(!bluish(at(gap.0, gap.1)), "ratio {ratio}: the line bridges the withheld month");
        let [x, y, w, h] = markers[0];
        let (mut ink, mut paper) = (0, 0);
        for i in 1..((w * ratio) as i32 - 1) {
            for j in 1..((h * ratio) as i32 - 1) {
                match pixel(&c, x * ratio + f64::from(i), y * ratio + f64::from(j)) {
                    WHITE => paper += 1,
                    _ => ink += 1,
                }
            }
        }
        assert!(
            ink > 0 && paper > 0,
            "ratio {ratio}: hatching is lines on white: {ink} inked, {paper} white"
        );
    }
}

fn batch(fields: Vec<(&str, Arc<dyn arrow_array::Array>)>) -> RecordBatch {
    fields.into_iter().fold(Fixture::new("table"), |f, (name, array)| f.column(name, array)).batch()
}

/// 60 persons, female when odd; person p has p % 7 type 2 diabetes rows (201826, under 201820)
/// and Fitbit activity on p % 4 + 1 of 2021-01-01, 2021-01-31, 2021-03-02 and 2021-04-01.
fn tables() -> Vec<(&'static str, RecordBatch)> {
    let ids: Vec<i64> = (1..=60).collect();
    let days: Vec<(i64, i32)> =
        ids.iter().flat_map(|&p| (0..=p % 4).map(move |k| (p, 18_628 + 30 * k as i32))).collect();
    let sex: Vec<i32> = ids.iter().map(|p| if p % 2 == 1 { 8532 } else { 8507 }).collect();
    let rows: Vec<(i64, i32)> = ids.iter().flat_map(|&p| (0..p % 7).map(move |k| (p, k as i32))).collect();
    vec![
        (
            "concept",
            batch(vec![
                ("concept_id", Arc::new(Int32Array::from(vec![201820, 201826, 8532, 8507]))),
                (
                    "concept_name",
                    Arc::new(StringArray::from(vec![
                        "Diabetes mellitus",
                        "Type 2 diabetes mellitus",
                        "Female",
                        "Male",
                    ])),
                ),
                (
                    "domain_id",
                    Arc::new(StringArray::from(vec!["Condition", "Condition", "Gender", "Gender"])),
                ),
                ("vocabulary_id", Arc::new(StringArray::from(vec!["SNOMED", "SNOMED", "Gender", "Gender"]))),
                (
                    "concept_class_id",
                    Arc::new(StringArray::from(vec![
                        "Clinical Finding",
                        "Clinical Finding",
                        "Gender",
                        "Gender",
                    ])),
                ),
                ("standard_concept", Arc::new(StringArray::from(vec!["S", "S", "S", "S"]))),
                ("concept_code", Arc::new(StringArray::from(vec!["73211009", "44054006", "F", "M"]))),
            ]),
        ),
        (
            "concept_ancestor",
            batch(vec![
                ("ancestor_concept_id", Arc::new(Int32Array::from(vec![201820]))),
                ("descendant_concept_id", Arc::new(Int32Array::from(vec![201826]))),
                ("min_levels_of_separation", Arc::new(Int32Array::from(vec![1]))),
                ("max_levels_of_separation", Arc::new(Int32Array::from(vec![1]))),
            ]),
        ),
        (
            "person",
            batch(vec![
                ("person_id", Arc::new(Int64Array::from(ids.clone()))),
                ("gender_concept_id", Arc::new(Int32Array::from(sex.clone()))),
                ("sex_at_birth_concept_id", Arc::new(Int32Array::from(sex))),
                (
                    "year_of_birth",
                    Arc::new(Int32Array::from(
                        ids.iter().map(|p| 1970 - (p % 50) as i32).collect::<Vec<_>>(),
                    )),
                ),
                ("race_concept_id", Arc::new(Int32Array::from(vec![8527; ids.len()]))),
                ("ethnicity_concept_id", Arc::new(Int32Array::from(vec![38003564; ids.len()]))),
            ]),
        ),
        (
            "condition_occurrence",
            batch(vec![
                (
                    "condition_occurrence_id",
                    Arc::new(Int64Array::from((0..rows.len() as i64).collect::<Vec<_>>())),
                ),
                ("person_id", Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>()))),
                ("condition_concept_id", Arc::new(Int32Array::from(vec![201826; rows.len()]))),
                (
                    "condition_start_date",
                    Arc::new(Date32Array::from(rows.iter().map(|r| 10957 + r.1).collect::<Vec<_>>())),
                ),
            ]),
        ),
        (
            "activity_summary",
            batch(vec![
                ("person_id", Arc::new(Int64Array::from(days.iter().map(|d| d.0).collect::<Vec<_>>()))),
                ("date", Arc::new(Date32Array::from(days.iter().map(|d| d.1).collect::<Vec<_>>()))),
                ("steps", Arc::new(Int64Array::from(vec![8_000; days.len()]))),
            ]),
        ),
    ]
}

#[wasm_bindgen(inline_js = r#"
export function serveCharts(names, bodies) {
  const routes = new Map();
  names.forEach((name, i) => routes.set(`http://charts.test/api/v1/tables/${name}`, bodies[i]));
  const catalog = { dataset: { name: 't', referenceDate: '2023-10-01' }, tables: names.map((name) => ({ name })) };
  globalThis.fetch = async (url) => {
    if (url === 'http://charts.test/api/v1/catalog') return new Response(JSON.stringify(catalog), { status: 200 });
    const body = routes.get(url.split('?')[0]);
    if (body === undefined) return new Response('{"error": {"code": "unknown_table", "message": "no such table"}}', { status: 404 });
    return new Response(body, { status: 200 });
  };
}
export function prop(object, path) { return path.split('.').reduce((o, k) => o[k], object); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = serveCharts)]
    fn serve_charts(names: &Array, bodies: &Array);
    fn prop(object: &JsValue, path: &str) -> JsValue;
}

async fn lens(policy: &str) -> cohortlens::web::Lens {
    let (names, bodies) = (Array::new(), Array::new());
    for (name, batch) in tables() {
        names.push(&name.into());
        bodies.push(&Uint8Array::from(ipc(&batch).as_slice()));
    }
    serve_charts(&names, &bodies);
    let options = js_sys::JSON::parse(&format!(r#"{{"policy": "{policy}"}}"#)).unwrap();
    cohortlens::web::Lens::open("http://charts.test/".into(), options).await.unwrap()
}

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

const DIABETES: &str = r#"{"includes": [{"id": "dm", "items": [{"id": 1, "type": "CONDITION",
    "searchParameters": [{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}]}]}]}"#;

/// 17 persons: those with at least 5 diabetes rows.
const SMALL: &str = r#"{"includes": [{"id": "g", "items": [{"id": "dm", "type": "CONDITION", "searchParameters":
    [{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}], "modifiers":
    [{"name": "NUM_OF_OCCURRENCES", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": ["5"]}]}]}]}"#;

fn code(e: &JsValue) -> String {
    Reflect::get(e, &"code".into()).unwrap().as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn lens_chart_draws_disclosed_statistics_and_chart_svg_returns_the_document() {
    let lens = lens("aou").await;
    let spec = json(&format!(
        r#"{{"kind": "bar", "data": {{"kind": "sexAtBirth"}}, "cohort": {DIABETES}, "options": {{"pixelRatio": 2}}}}"#
    ));
    let c = canvas(640, 560);
    let summary = lens.chart(c.clone().into(), spec.clone()).unwrap();
    // 52 persons with diabetes: 26 women and 26 men, rounded up to 40 each.
    assert_eq!(prop(&summary, "rows.0.0").as_string().as_deref(), Some("Female"));
    assert_eq!(prop(&summary, "rows.0.1").as_string().as_deref(), Some("40"));
    assert_eq!(prop(&summary, "width").as_f64(), Some(320.0));
    assert_eq!(prop(&summary, "policy").as_string().as_deref(), Some("aou"));
    assert!(prop(&summary, "footnote").as_string().unwrap().contains("rounded up to the nearest 20"));
    let blue = (0..64)
        .flat_map(|i| (0..56).map(move |j| (i, j)))
        .filter(|(i, j)| pixel(&c, f64::from(*i) * 10.0, f64::from(*j) * 10.0) == BLUE)
        .count();
    assert!(blue > 20, "only {blue} bar pixels on the canvas");
    let svg = lens.chart_svg(spec).unwrap();
    assert!(svg.contains(r#"role="img""#) && svg.contains("<title>Sex assigned at birth</title>"), "{svg}");
    assert_eq!(svg_rects(&svg, "#0072B2", "none").len(), 2);
    let preview = json(&format!(
        r#"{{"kind": "preview", "data": {{"kind": "preview"}}, "cohort": {DIABETES}, "options": {{"width": 320}}}}"#
    ));
    assert!(svg_texts(&lens.chart_svg(preview).unwrap()).contains(&"Include: group dm".to_owned()));
    // 52 persons with diabetes have activity in January, none in February, 26 in March (p % 4
    // of 2 or 3) and 13 in April.
    let line = json(&format!(
        r#"{{"kind": "line", "data": {{"kind": "fitbitMonthly"}}, "cohort": {DIABETES},
        "options": {{"width": 640, "height": 480}}}}"#
    ));
    let c = canvas(640, 480);
    let summary = lens.chart(c.clone().into(), line.clone()).unwrap();
    let rows: Vec<Vec<String>> = serde_wasm_bindgen::from_value(prop(&summary, "rows")).unwrap();
    let expected =
        [["2021-01", "60"], ["2021-02", "0"], ["2021-03", "40"], ["2021-04", "≤ 20"], ["Total", "60"]];
    assert_eq!(rows, expected);
    assert!(prop(&summary, "label").as_string().unwrap().starts_with("Line chart: "));
    let svg = lens.chart_svg(line).unwrap();
    let dots = svg_dots(&svg, "#0072B2");
    assert_eq!(dots.len(), 3, "three filled dots and a ring for “≤ 20”: {svg}");
    for [x, y] in dots {
        assert_eq!(pixel(&c, x, y), BLUE, "dot at {x},{y}");
    }
}

/// A Web Worker draws on an `OffscreenCanvas`: the same chart, the same bar pixels as on a
/// `<canvas>` element.
#[wasm_bindgen_test]
async fn lens_chart_draws_on_an_offscreen_canvas_as_on_a_canvas_element() {
    let lens = lens("aou").await;
    let spec = json(&format!(
        r#"{{"kind": "bar", "data": {{"kind": "sexAtBirth"}}, "cohort": {DIABETES}, "options": {{"pixelRatio": 2}}}}"#
    ));
    let offscreen = web_sys::OffscreenCanvas::new(640, 560).unwrap();
    let summary = lens.chart(offscreen.clone().into(), spec.clone()).unwrap();
    assert_eq!(prop(&summary, "rows.0.1").as_string().as_deref(), Some("40"));
    assert_eq!(prop(&summary, "width").as_f64(), Some(320.0));
    let element = canvas(640, 560);
    lens.chart(element.clone().into(), spec).unwrap();
    let context: web_sys::OffscreenCanvasRenderingContext2d =
        offscreen.get_context("2d").unwrap().unwrap().unchecked_into();
    let mut blue = 0;
    for (i, j) in (0..64).flat_map(|i| (0..56).map(move |j| (i, j))) {
        let (x, y) = (f64::from(i) * 10.0, f64::from(j) * 10.0);
        let data = context.get_image_data(x, y, 1.0, 1.0).unwrap().data();
        let shown = [data[0], data[1], data[2], data[3]];
        assert_eq!(shown == BLUE, pixel(&element, x, y) == BLUE, "bar pixel at {x},{y} differs");
        blue += usize::from(shown == BLUE);
    }
    assert!(blue > 20, "only {blue} bar pixels on the OffscreenCanvas");
}

#[wasm_bindgen_test]
async fn bad_chart_calls_are_coded_errors() {
    let lens = lens("aou").await;
    let good = json(&format!(r#"{{"kind": "bar", "data": {{"kind": "sexAtBirth"}}, "cohort": {DIABETES}}}"#));
    let e = lens.chart("not a canvas".into(), good.clone()).unwrap_err();
    assert_eq!(code(&e), "invalid_chart");
    let e = lens.chart(canvas(0, 0).into(), good).unwrap_err();
    assert_eq!(code(&e), "invalid_chart");
    let cases = [
        (r#"{"data": {"kind": "race"}, "conceptId": 201826}"#.to_owned(), "invalid_chart"),
        (r#"{"kind": "bar", "data": {"kind": "race"}}"#.to_owned(), "invalid_chart"),
        (r#"{"kind": "bar", "data": {"kind": "race"}, "conceptId": 42}"#.to_owned(), "unknown_concept"),
        (
            r#"{"kind": "bar", "data": {"kind": "race"}, "cohort": {"includes": [{"items": []}]}}"#
                .to_owned(),
            "invalid_definition",
        ),
        (
            format!(r#"{{"kind": "groupedBar", "data": {{"kind": "race"}}, "cohort": {DIABETES}}}"#),
            "invalid_chart",
        ),
    ];
    for (spec, expected) in cases {
        let e = lens.chart_svg(json(&spec)).unwrap_err();
        assert_eq!(code(&e), expected, "{spec}: {:?}", Reflect::get(&e, &"message".into()));
        let e = lens.chart(canvas(100, 100).into(), json(&spec)).unwrap_err();
        assert_eq!(code(&e), expected, "{spec}");
    }
    let e = lens
        .chart_svg(json(
            r#"{"kind": "bar", "data": {"kind": "race"}, "cohort": {"includes": [{"items": []}]}}"#,
        ))
        .unwrap_err();
    assert!(Reflect::get(&e, &"errors".into()).unwrap().is_object(), "a bad definition lists its errors");
}

/// Whole numbers from 1 to 19 among chart texts (a value label's count before " (", too).
fn small_counts<'a>(texts: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    texts
        .into_iter()
        .filter(|t| {
            let count = t.split(" (").next().unwrap_or_default().replace(',', "");
            count.parse::<u64>().is_ok_and(|n| (1..=19).contains(&n))
        })
        .cloned()
        .collect()
}

#[wasm_bindgen_test]
async fn charts_show_no_count_from_one_to_nineteen_under_any_policy() {
    let specs = [
        r#"{"kind": "bar", "data": {"kind": "sexAtBirth"}}"#,
        r#"{"kind": "bar", "data": {"kind": "age", "bands": "dataBrowser"}, "options": {"percent": true}}"#,
        r#"{"kind": "groupedBar", "data": {"kind": "ageBySex", "bands": "cohortBuilder"}}"#,
        r#"{"kind": "stackedBar", "data": {"kind": "ageBySex", "bands": "dataBrowser"}}"#,
        r#"{"kind": "histogram", "data": {"kind": "fitbitSteps"}}"#,
        r#"{"kind": "bar", "data": {"kind": "topConcepts", "domain": "CONDITION", "limit": 5}}"#,
        r#"{"kind": "preview", "data": {"kind": "preview"}}"#,
        r#"{"kind": "line", "data": {"kind": "fitbitMonthly"}}"#,
    ];
    let mut checked = 0;
    for policy in ["aou", "suppress", "perturbed"] {
        let lens = lens(policy).await;
        for spec in specs {
            let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
            let mut spec = spec.as_object().unwrap().clone();
            spec.insert("cohort".into(), serde_json::from_str(SMALL).unwrap());
            let spec = json(&serde_json::Value::Object(spec).to_string());
            let svg = lens.chart_svg(spec.clone()).unwrap();
            let texts = svg_texts(&svg);
            assert_eq!(small_counts(&texts), Vec::<String>::new(), "{policy}: {texts:?}");
            let summary = lens.chart(canvas(320, 400).into(), spec).unwrap();
            let rows: Vec<Vec<String>> = serde_wasm_bindgen::from_value(prop(&summary, "rows")).unwrap();
            assert_eq!(small_counts(rows.iter().flatten()), Vec::<String>::new(), "{policy}: {rows:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}
