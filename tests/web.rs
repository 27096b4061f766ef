//! Headless-Chromium tests of streaming ingest (`wasm-pack test --headless --chrome`): a stream
//! cut into random chunks from 1 byte to 1 MiB, fed through a real `ReadableStream` and
//! `Response`, decodes to the same rows; a broken or truncated stream is an error naming the table.
#![cfg(target_arch = "wasm32")]

mod common;

use std::sync::Arc;

use arrow_array::{Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use cohortlens::ingest::TableIngest;
use cohortlens_fixture::Fixture;
use common::ipc;
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A deterministic xorshift generator (tests only).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BATCH_ROWS: usize = 65_536;

/// A measurement-like stream of `rows` rows in batches of 65,536, with nulls and strings.
fn stream(rows: usize) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Int64, false),
        Field::new("measurement_concept_id", DataType::Int32, false),
        Field::new("value_as_number", DataType::Float64, true),
        Field::new("unit_source_value", DataType::Utf8, true),
    ]));
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &schema).unwrap();
    for start in (0..rows).step_by(BATCH_ROWS) {
        let end = (start + BATCH_ROWS).min(rows);
        let ids: Int64Array = (start as i64..end as i64).collect();
        let concepts: Int32Array = (start..end).map(|i| 3004410 + (i % 11) as i32).collect();
        let values: Float64Array = (start..end).map(|i| (i % 13 != 0).then_some(i as f64 / 100.0)).collect();
        let units: StringArray =
            (start..end).map(|i| (i % 17 != 0).then_some(["%", "mg/dL", "mmol/L"][i % 3])).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(ids), Arc::new(concepts), Arc::new(values), Arc::new(units)],
        )
        .unwrap();
        writer.write(&batch).unwrap();
    }
    writer.finish().unwrap();
    drop(writer);
    out
}

/// Cuts `bytes` into chunks of random sizes between 1 byte and 1 MiB, small sizes as likely as large.
fn random_chunks(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let magnitude = rng.below(21); // 2^0 ..= 2^20
        let size = 1 + rng.below(1u64 << magnitude) as usize;
        let end = (at + size).min(bytes.len());
        chunks.push(bytes[at..end].to_vec());
        at = end;
    }
    chunks
}

fn check_rows(table: &cohortlens::store::Table, rows: usize) {
    assert_eq!(table.rows(), rows);
    let mut expected = 0i64;
    for batch in table.batches() {
        assert!(batch.num_rows() <= BATCH_ROWS);
        let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        for id in ids.values() {
            assert_eq!(*id, expected);
            expected += 1;
        }
        let values = batch.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
        for (i, v) in values.iter().enumerate() {
            let row = ids.value(i) as usize;
            assert_eq!(v, (!row.is_multiple_of(13)).then_some(row as f64 / 100.0));
        }
    }
    assert_eq!(expected as usize, rows);
}

#[wasm_bindgen_test]
fn random_chunk_sizes_from_one_byte_to_one_mebibyte_decode_identically() {
    let rows = 300_000;
    let bytes = stream(rows);
    for seed in 1..=8u64 {
        let mut rng = Rng(0x5eed_0000 + seed);
        let chunks = random_chunks(&bytes, &mut rng);
        let mut ingest = TableIngest::new("measurement");
        for chunk in chunks {
            ingest.push(chunk.as_slice()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
        let table = ingest.finish(Some(rows as u64)).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        check_rows(&table, rows);
    }
}

#[wasm_bindgen(inline_js = r#"
export function responseOf(chunks, status) {
  let i = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
  return new Response(body, { status, headers: { 'content-type': 'application/vnd.apache.arrow.stream' } });
}
export function readerOf(response) { return response.body.getReader(); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = responseOf)]
    fn response_of(chunks: &Array, status: u16) -> web_sys::Response;
    #[wasm_bindgen(js_name = readerOf)]
    fn reader_of(response: &web_sys::Response) -> web_sys::ReadableStreamDefaultReader;
}

/// Reads a `Response` body the way `Lens.open` does and decodes it.
async fn ingest_response(
    table: &str,
    chunks: Vec<Vec<u8>>,
) -> Result<cohortlens::store::Table, cohortlens::ingest::IngestError> {
    let array = Array::new();
    for chunk in &chunks {
        array.push(&Uint8Array::from(chunk.as_slice()));
    }
    let response = response_of(&array, 200);
    let reader = reader_of(&response);
    let mut ingest = TableIngest::new(table);
    let mut received = 0;
    loop {
        let result = JsFuture::from(reader.read()).await.unwrap();
        if Reflect::get(&result, &"done".into()).unwrap().as_bool().unwrap() {
            break;
        }
        let bytes: Uint8Array = Reflect::get(&result, &"value".into()).unwrap().unchecked_into();
        received += bytes.length() as usize;
        ingest.push(&bytes)?;
    }
    assert_eq!(received, chunks.iter().map(Vec::len).sum::<usize>());
    ingest.finish(None)
}

#[wasm_bindgen_test]
async fn a_readable_stream_of_random_chunks_decodes_identically() {
    let rows = 200_000;
    let bytes = stream(rows);
    let chunks = random_chunks(&bytes, &mut Rng(0xc0ffee));
    let table = ingest_response("measurement", chunks).await.unwrap();
    check_rows(&table, rows);
}

#[wasm_bindgen_test]
async fn a_truncated_readable_stream_is_an_error_naming_the_table() {
    let bytes = stream(100_000);
    let mut rng = Rng(7);
    for _ in 0..5 {
        let cut = 1 + rng.below(bytes.len() as u64 - 1) as usize;
        let chunks = random_chunks(&bytes[..cut], &mut rng);
        let err = ingest_response("measurement", chunks).await.unwrap_err();
        assert_eq!(err.code(), "truncated_stream", "cut at {cut}: {err}");
        assert!(err.to_string().contains("table measurement"), "{err}");
    }
}

#[wasm_bindgen_test]
async fn a_corrupted_stream_is_an_error_not_a_panic() {
    let mut bytes = stream(70_000);
    // Overwrite the first record batch's metadata length with garbage.
    let schema_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let at = 8 + schema_len;
    bytes[at + 4..at + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let err = ingest_response("measurement", vec![bytes]).await.unwrap_err();
    assert!(err.to_string().contains("table measurement"), "{err}");
}

/// Decodes `batch` through the streaming ingest, as the browser does, into a store table.
fn ingested(name: &str, batch: &RecordBatch) -> cohortlens::store::Table {
    let mut ingest = TableIngest::new(name);
    ingest.push(ipc(batch).as_slice()).unwrap();
    ingest.finish(Some(batch.num_rows() as u64)).unwrap()
}

/// The store of [`cohort_tables`].
fn cohort_store(persons: i64) -> cohortlens::store::Store {
    let mut store = cohortlens::store::Store::default();
    for (name, batch) in cohort_tables(persons) {
        store.insert(ingested(name, &batch));
    }
    store
}

/// Tables of `persons` persons; person `p` has `p % 7` type 2 diabetes rows (concept
/// 201826, under 201820) at ages 30 + p % 50, and Fitbit activity in `p % 3 + 1` of the months
/// 2021-01 to 2021-03.
fn cohort_tables(persons: i64) -> Vec<(&'static str, RecordBatch)> {
    use arrow_array::Date32Array;
    let mut tables = Vec::new();
    let batch = |fields: Vec<(&str, Arc<dyn arrow_array::Array>)>| {
        fields.into_iter().fold(Fixture::new("table"), |f, (name, array)| f.column(name, array)).batch()
    };
    let concepts = batch(vec![
        ("concept_id", Arc::new(Int32Array::from(vec![201820, 201826]))),
        ("concept_name", Arc::new(StringArray::from(vec!["Diabetes mellitus", "Type 2 diabetes mellitus"]))),
        ("domain_id", Arc::new(StringArray::from(vec!["Condition", "Condition"]))),
        ("vocabulary_id", Arc::new(StringArray::from(vec!["SNOMED", "SNOMED"]))),
        ("concept_class_id", Arc::new(StringArray::from(vec!["Clinical Finding", "Clinical Finding"]))),
        ("standard_concept", Arc::new(StringArray::from(vec!["S", "S"]))),
        ("concept_code", Arc::new(StringArray::from(vec!["73211009", "44054006"]))),
    ]);
    tables.push(("concept", concepts));
    let ancestors = batch(vec![
        ("ancestor_concept_id", Arc::new(Int32Array::from(vec![201820]))),
        ("descendant_concept_id", Arc::new(Int32Array::from(vec![201826]))),
        ("min_levels_of_separation", Arc::new(Int32Array::from(vec![1]))),
        ("max_levels_of_separation", Arc::new(Int32Array::from(vec![1]))),
    ]);
    tables.push(("concept_ancestor", ancestors));
    let ids: Vec<i64> = (1..=persons).collect();
    let people = batch(vec![
        ("person_id", Arc::new(Int64Array::from(ids.clone()))),
        ("gender_concept_id", Arc::new(Int32Array::from(vec![8532; ids.len()]))),
        (
            "year_of_birth",
            Arc::new(Int32Array::from(ids.iter().map(|p| 1970 - (p % 50) as i32).collect::<Vec<_>>())),
        ),
        ("race_concept_id", Arc::new(Int32Array::from(vec![8527; ids.len()]))),
        ("ethnicity_concept_id", Arc::new(Int32Array::from(vec![38003564; ids.len()]))),
    ]);
    tables.push(("person", people));
    let rows: Vec<(i64, i32)> = ids.iter().flat_map(|&p| (0..p % 7).map(move |k| (p, k as i32))).collect();
    // 2000-01-01 is day 10957: every row falls in 2000, at age 30 + p % 50.
    let conditions = batch(vec![
        ("condition_occurrence_id", Arc::new(Int64Array::from((0..rows.len() as i64).collect::<Vec<_>>()))),
        ("person_id", Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>()))),
        ("condition_concept_id", Arc::new(Int32Array::from(vec![201826; rows.len()]))),
        (
            "condition_start_date",
            Arc::new(Date32Array::from(rows.iter().map(|r| 10957 + r.1).collect::<Vec<_>>())),
        ),
    ]);
    tables.push(("condition_occurrence", conditions));
    // 2021-01-01 is day 18628; every 31 days is the next month.
    let days: Vec<(i64, i32)> =
        ids.iter().flat_map(|&p| (0..=p % 3).map(move |k| (p, 18_628 + 31 * k as i32))).collect();
    let activity = batch(vec![
        ("person_id", Arc::new(Int64Array::from(days.iter().map(|d| d.0).collect::<Vec<_>>()))),
        ("date", Arc::new(Date32Array::from(days.iter().map(|d| d.1).collect::<Vec<_>>()))),
        ("steps", Arc::new(Int64Array::from(vec![8_000; days.len()]))),
    ]);
    tables.push(("activity_summary", activity));
    tables
}

#[wasm_bindgen(inline_js = r#"
export function serveDataset(names, bodies, announced = {}) {
  const routes = new Map();
  names.forEach((name, i) => routes.set(`http://cohortlens.test/api/v1/tables/${name}`, bodies[i]));
  const catalog = { dataset: { name: 't', referenceDate: '2023-10-01' }, tables: names.map((name) => ({ name })) };
  globalThis.fetch = async (url) => {
    if (url === 'http://cohortlens.test/api/v1/catalog') return new Response(JSON.stringify(catalog), { status: 200 });
    const body = routes.get(url.split('?')[0]);
    if (body === undefined) return new Response('{"error": {"code": "unknown_table", "message": "no such table"}}', { status: 404 });
    const rows = announced[url.split('/').pop().split('?')[0]];
    return new Response(body, { status: 200, headers: rows === undefined ? {} : { 'x-row-count': String(rows) } });
  };
}
export function prop(object, path) { return path.split('.').reduce((o, k) => o[k], object); }
// Every integer from 1 to 19 in what JS received: numbers anywhere (but concept ids, item ids
// and percents of disclosed numbers) and whole fields of strings (labels, CSV, messages).
function csvFields(text) {
  const fields = [];
  let field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === '\r' || c === '\n') { fields.push(field); field = ''; } else field += c;
  }
  fields.push(field);
  return fields;
}
export function smallValues(v, path = '$', out = []) {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 1 && v <= 19) out.push(`${path} = ${v}`);
  } else if (typeof v === 'string') {
    const fields = v.includes('\r\n') ? csvFields(v) : [v];
    for (const field of fields) if (/^\s*(1[0-9]|[1-9])\s*$/.test(field)) out.push(`${path} has the field ${field}`);
  } else if (v instanceof Error) {
    smallValues(v.message, `${path}.message`, out);
    smallValues(v.errors, `${path}.errors`, out);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => smallValues(x, `${path}[${i}]`, out));
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (!['conceptId', 'id', 'percent'].includes(k)) smallValues(x, `${path}.${k}`, out);
  }
  return out;
}
// Rows of a ranking (top concepts) shown below a row with a smaller shown count.
export function orderContradictions(v) {
  const out = [];
  if (v && typeof v === 'object' && v.name === 'top_concepts' && Array.isArray(v.rows)) {
    const shown = (r) => r.count.value ?? -1;
    for (let i = 1; i < v.rows.length; i++) {
      if (shown(v.rows[i]) > shown(v.rows[i - 1])) out.push(`rows[${i}] ${v.rows[i].count.label} under ${v.rows[i - 1].count.label}`);
    }
  }
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = serveDataset)]
    fn serve_dataset(names: &Array, bodies: &Array);
    #[wasm_bindgen(js_name = serveDataset)]
    fn serve_dataset_announcing(names: &Array, bodies: &Array, announced: &JsValue);
    fn prop(object: &JsValue, path: &str) -> JsValue;
    #[wasm_bindgen(js_name = smallValues)]
    fn small_values(value: &JsValue) -> Array;
    #[wasm_bindgen(js_name = orderContradictions)]
    fn order_contradictions(value: &JsValue) -> Array;
}

fn serve_cohort_tables(persons: i64) {
    let (names, bodies) = (Array::new(), Array::new());
    for (name, batch) in cohort_tables(persons) {
        names.push(&name.into());
        bodies.push(&Uint8Array::from(ipc(&batch).as_slice()));
    }
    serve_dataset(&names, &bodies);
}

/// The leak sweep: every query API of the lens, under every policy, on a cohort of 17 persons
/// (and concepts of 52): no integer from 1 to 19 reaches JavaScript, in values, labels, exports
/// or error messages, and no ranking's order contradicts its shown counts. (`lens.tables()` and load progress report rows of the tables the user
/// loaded, not persons, and are not swept.)
#[wasm_bindgen_test]
async fn no_count_from_one_to_nineteen_reaches_javascript() {
    assert_eq!(small_values(&js_sys::JSON::parse(r#"{"a": [{"value": 7}]}"#).unwrap()).length(), 1);
    assert_eq!(small_values(&"x,12\r\n".into()).length(), 1, "the sweep must see CSV fields");
    assert_eq!(small_values(&"\"5,000\",40\r\n".into()).length(), 0, "quoted commas are not fields");
    serve_cohort_tables(60);
    let json = |text: &str| js_sys::JSON::parse(text).unwrap();
    let small = r#"{"includes": [{"id": "g", "items": [{"id": "dm", "type": "CONDITION", "searchParameters":
        [{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}], "modifiers":
        [{"name": "NUM_OF_OCCURRENCES", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": ["5"]}]}]}]}"#;
    let requests = [
        r#"{"kind": "sexAtBirth"}"#,
        r#"{"kind": "gender"}"#,
        r#"{"kind": "race"}"#,
        r#"{"kind": "ethnicity"}"#,
        r#"{"kind": "age", "bands": "dataBrowser"}"#,
        r#"{"kind": "age", "bands": "cohortBuilder", "at": "now"}"#,
        r#"{"kind": "ageBySex", "bands": "dataBrowser"}"#,
        r#"{"kind": "topConcepts", "domain": "CONDITION", "limit": 10}"#,
        r#"{"kind": "measurementValues", "conceptId": 3004410}"#,
        r#"{"kind": "surveyAnswers", "questionConceptId": 1585860}"#,
        r#"{"kind": "fitbitSteps"}"#,
        r#"{"kind": "fitbitMonthly"}"#,
        r#"{"kind": "recordSources", "conceptId": 201826}"#,
        r#"{"kind": "age", "bands": "dataBrowser", "at": "event"}"#,
    ];
    let mut swept = 0;
    for policy in ["aou", "suppress", "perturbed"] {
        let options = json(&format!(r#"{{"policy": "{policy}"}}"#));
        let lens = cohortlens::web::Lens::open("http://cohortlens.test/".into(), options).await.unwrap();
        assert_eq!(lens.policy(), policy);
        let mut seen: Vec<(String, Result<JsValue, JsValue>)> = Vec::new();
        let cohort = lens.cohort(json(small)).unwrap();
        seen.push(("cohort.count()".into(), cohort.count()));
        seen.push(("cohort.preview()".into(), cohort.preview()));
        let invalid = lens.cohort(json(r#"{"includes": [{"items": []}]}"#)).map(JsValue::from);
        seen.push(("an invalid definition".into(), invalid));
        for request in requests {
            for format in [None, Some("csv"), Some("json")] {
                let format = format.map(str::to_owned);
                let what = format!("statistics {request} as {format:?}");
                seen.push((format!("cohort {what}"), cohort.statistics(json(request), format.clone())));
                seen.push((
                    format!("concept {what}"),
                    lens.concept_statistics(201826, json(request), format),
                ));
            }
        }
        for query in ["diabetes", "201826", "44054006", "mellitus"] {
            seen.push((
                format!("searchConcepts({query})"),
                lens.search_concepts(query.into(), JsValue::UNDEFINED),
            ));
        }
        for (what, value) in seen {
            let value = value.unwrap_or_else(|e| e);
            let found = small_values(&value);
            assert_eq!(found.length(), 0, "{policy}, {what}: {:?}", found.to_vec());
            let misordered = order_contradictions(&value);
            assert_eq!(misordered.length(), 0, "{policy}, {what}: {:?}", misordered.to_vec());
            swept += 1;
        }
        // The cohort really is small: its disclosed count is the small-count form.
        let count = cohort.count().unwrap();
        assert_eq!(prop(&count, "label").as_string().as_deref(), Some("≤ 20"));
        let value = prop(&count, "value");
        if policy == "suppress" {
            assert!(value.is_null(), "a withheld count is null, not undefined: {value:?}");
        } else {
            assert_eq!(value.as_f64(), Some(20.0));
        }
    }
    assert!(swept > 200, "{swept}");
}

#[wasm_bindgen_test]
async fn lens_cohort_and_concept_search_answer_with_disclosed_counts_only() {
    serve_cohort_tables(60);
    let lens =
        cohortlens::web::Lens::open("http://cohortlens.test/".into(), JsValue::UNDEFINED).await.unwrap();
    let definition = |text: &str| js_sys::JSON::parse(text).unwrap();
    let cohort = lens
        .cohort(definition(
            r#"{"includes": [{"id": "g", "items": [{"id": 7, "type": "CONDITION",
                "searchParameters": [{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}]}]}]}"#,
        ))
        .unwrap();
    let count = cohort.count().unwrap();
    assert_eq!(prop(&count, "value").as_f64(), Some(60.0));
    assert_eq!(prop(&count, "label").as_string().as_deref(), Some("60"));
    assert_eq!(prop(&count, "policy").as_string().as_deref(), Some("aou"));
    let preview = cohort.preview().unwrap();
    assert_eq!(prop(&preview, "includes.0.items.0.id").as_f64(), Some(7.0));
    assert_eq!(prop(&preview, "includes.0.count.value").as_f64(), Some(60.0));
    let error =
        lens.cohort(definition(r#"{"includes": [{"items": []}], "dataFilters": ["NOPE"]}"#)).err().unwrap();
    assert_eq!(prop(&error, "code").as_string().as_deref(), Some("invalid_definition"));
    assert_eq!(prop(&error, "errors.0.path").as_string().as_deref(), Some("includes[0].items"));
    assert_eq!(prop(&error, "errors.1.path").as_string().as_deref(), Some("dataFilters[0]"));
    assert!(prop(&error, "errors.1.message").as_string().unwrap().to_lowercase().contains("has_ehr_data"));
    let options = definition(r#"{"domain": "CONDITION", "limit": 5}"#);
    let hits: Array = lens.search_concepts("diabetes".into(), options).unwrap().unchecked_into();
    assert_eq!(hits.length(), 2);
    assert_eq!(prop(&hits, "0.conceptId").as_f64(), Some(201826.0), "more persons first");
    assert_eq!(prop(&hits, "0.count.label").as_string().as_deref(), Some("60"));
    assert_eq!(prop(&hits, "1.children.0.conceptId").as_f64(), Some(201826.0));
    assert_eq!(prop(&hits, "1.countWithDescendants.value").as_f64(), Some(60.0));
}

#[wasm_bindgen_test]
fn a_cohort_is_counted_in_the_browser_with_disclosed_counts() {
    use cohortlens::cohort::CohortDefinition;
    use cohortlens::engine::{Engine, EngineError};
    use cohortlens::privacy::Policy;
    let engine = Engine::build(&cohort_store(60), Some("2023-10-01")).unwrap();
    let definition = |modifiers: &str| {
        CohortDefinition::from_json(&format!(
            r#"{{"includes": [{{"id": "dm", "items": [{{"id": 1, "type": "CONDITION", "searchParameters":
                [{{"domain": "CONDITION", "conceptId": 201820, "group": true, "standard": true}}], "modifiers": {modifiers}}}]}}]}}"#
        ))
        .unwrap()
    };
    // Persons with p % 7 != 0: 60 - 8 = 52 → shown as 60.
    let cohort = engine.cohort(&definition("[]")).unwrap();
    let shown = cohort.count(Policy::Aou);
    assert_eq!((shown.value(), shown.label()), (Some(60), "60"));
    // At least 5 rows: p % 7 >= 5, i.e. 17 persons → "≤ 20".
    let many = definition(
        r#"[{"name": "NUM_OF_OCCURRENCES", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": ["5"]}]"#,
    );
    let preview = serde_json::to_value(engine.cohort(&many).unwrap().preview(Policy::Aou)).unwrap();
    assert_eq!(preview["total"]["label"], "≤ 20");
    assert_eq!(preview["includes"][0]["items"][0]["id"], 1);
    let bad = definition(r#"[{"name": "AGE_AT_EVENT", "operator": "BETWEEN", "operands": ["40"]}]"#);
    match engine.cohort(&bad) {
        Err(EngineError::Invalid(errors)) => {
            assert_eq!(errors[0].path, "includes[0].items[0].modifiers[0].operands", "{errors:?}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Building the index asks for memory up front (a table's announced row count) and a refusal
/// rejects `Lens.open` with `out_of_memory`, instead of the trap that an exhausted 4 GiB wasm
/// memory otherwise is (which would leave the promise pending); the next open works.
#[wasm_bindgen_test]
async fn running_out_of_memory_while_indexing_rejects_open() {
    let (names, bodies) = (Array::new(), Array::new());
    for (name, batch) in cohort_tables(60) {
        names.push(&name.into());
        bodies.push(&Uint8Array::from(ipc(&batch).as_slice()));
    }
    // 3 billion rows of conditions do not fit in wasm32's memory.
    let announced = js_sys::JSON::parse(r#"{"condition_occurrence": 3000000000}"#).unwrap();
    serve_dataset_announcing(&names, &bodies, &announced);
    let error = match cohortlens::web::Lens::open("http://cohortlens.test/".into(), JsValue::UNDEFINED).await
    {
        Ok(_) => panic!("open must fail"),
        Err(e) => e,
    };
    assert_eq!(prop(&error, "code").as_string().as_deref(), Some("out_of_memory"));
    let message = prop(&error, "message").as_string().unwrap();
    assert!(message.contains("condition_occurrence") && message.contains("4 GiB"), "{message}");
    serve_cohort_tables(60);
    let lens =
        cohortlens::web::Lens::open("http://cohortlens.test/".into(), JsValue::UNDEFINED).await.unwrap();
    let tables: Vec<String> =
        lens.tables().unwrap().iter().map(|t| prop(&t, "name").as_string().unwrap()).collect();
    assert_eq!(tables, ["concept", "concept_ancestor", "person", "condition_occurrence", "activity_summary"]);
}

#[wasm_bindgen(inline_js = r#"
// Serves `names` with `bodies`, each body as a stream of 4 chunks, and logs to `log`
// "fetch NAME" when a table is requested and "read NAME" when its last chunk has been read;
// `signals` maps each requested table to the AbortSignal of its request.
export function serveLogging(names, bodies, log, signals) {
  const catalog = { dataset: { name: 't', referenceDate: '2023-10-01' }, tables: names.map((name) => ({ name })) };
  globalThis.fetch = async (url, init) => {
    if (url === 'http://cohortlens.test/api/v1/catalog') return new Response(JSON.stringify(catalog), { status: 200 });
    const name = url.split('/').pop().split('?')[0];
    const body = bodies[names.indexOf(name)];
    log.push(`fetch ${name}`);
    signals[name] = init?.signal;
    const size = Math.ceil(body.length / 4);
    let at = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (at >= body.length) { log.push(`read ${name}`); controller.close(); return; }
        controller.enqueue(body.slice(at, at + size));
        at += size;
      },
    }, { highWaterMark: 0 });
    return new Response(stream, { status: 200 });
  };
}
// The tables requested but neither read to the end nor aborted: requests left pending.
export function pendingRequests(log, signals) {
  return Object.keys(signals).filter((name) => !log.includes(`read ${name}`) && !signals[name]?.aborted);
}
export function abortOnFirstProgressOf(table, controller) {
  return (progress) => { if (progress.table === table) controller.abort(); };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = serveLogging)]
    fn serve_logging(names: &Array, bodies: &Array, log: &Array, signals: &js_sys::Object);
    #[wasm_bindgen(js_name = pendingRequests)]
    fn pending_requests(log: &Array, signals: &js_sys::Object) -> Array;
    #[wasm_bindgen(js_name = abortOnFirstProgressOf)]
    fn abort_on_first_progress_of(table: &str, controller: &web_sys::AbortController) -> js_sys::Function;
}

/// Serves [`cohort_tables`] through [`serve_logging`], `person`'s stream replaced by
/// `person_body` when given; returns the log and the requests' signals.
fn serve_logged_cohort_tables(person_body: Option<&[u8]>) -> (Array, js_sys::Object) {
    let (names, bodies) = (Array::new(), Array::new());
    for (name, batch) in cohort_tables(60) {
        names.push(&name.into());
        let bytes = ipc(&batch);
        let body = match person_body {
            Some(replacement) if name == "person" => replacement,
            _ => bytes.as_slice(),
        };
        bodies.push(&Uint8Array::from(body));
    }
    let (log, signals) = (Array::new(), js_sys::Object::new());
    serve_logging(&names, &bodies, &log, &signals);
    (log, signals)
}

fn strings(array: &Array) -> Vec<String> {
    array.iter().map(|v| v.as_string().unwrap()).collect()
}

/// `Lens.open` requests each table before the previous one has been read to the end (no idle
/// gap while the server starts the next stream), and only one ahead.
#[wasm_bindgen_test]
async fn open_requests_the_next_table_while_reading_the_current_one() {
    let (log, signals) = serve_logged_cohort_tables(None);
    let lens =
        cohortlens::web::Lens::open("http://cohortlens.test/".into(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(lens.tables().unwrap().length(), 5);
    let log = strings(&log);
    let at =
        |event: String| log.iter().position(|e| *e == event).unwrap_or_else(|| panic!("no {event}: {log:?}"));
    let names = ["concept", "concept_ancestor", "person", "condition_occurrence", "activity_summary"];
    for pair in names.windows(2) {
        let (current, next) = (pair[0], pair[1]);
        assert!(
            at(format!("fetch {next}")) < at(format!("read {current}")),
            "{next} requested late: {log:?}"
        );
    }
    for later in names.windows(3) {
        assert!(at(format!("read {}", later[0])) < at(format!("fetch {}", later[2])), "two ahead: {log:?}");
    }
    let log: Array = log.iter().map(JsValue::from).collect();
    assert_eq!(strings(&pending_requests(&log, &signals)), Vec::<String>::new());
}

/// Cancelling while a table is read and the next one already requested rejects `open` with
/// `cancelled` and aborts the request made ahead: nothing stays pending in the server.
#[wasm_bindgen_test]
async fn cancelling_open_aborts_the_table_requested_ahead() {
    let (log, signals) = serve_logged_cohort_tables(None);
    let controller = web_sys::AbortController::new().unwrap();
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).unwrap();
    Reflect::set(&options, &"onProgress".into(), &abort_on_first_progress_of("person", &controller)).unwrap();
    let error = match cohortlens::web::Lens::open("http://cohortlens.test/".into(), options.into()).await {
        Ok(_) => panic!("open must be cancelled"),
        Err(e) => e,
    };
    assert_eq!(prop(&error, "code").as_string().as_deref(), Some("cancelled"), "{error:?}");
    assert!(strings(&log).contains(&"fetch condition_occurrence".to_owned()), "{:?}", strings(&log));
    assert_eq!(strings(&pending_requests(&log, &signals)), Vec::<String>::new());
}

/// A broken table fails `open` and aborts the next table's request, made ahead of it.
#[wasm_bindgen_test]
async fn a_failing_table_aborts_the_table_requested_ahead() {
    let (log, signals) = serve_logged_cohort_tables(Some(b"this is not an Arrow stream, it is text"));
    let error = match cohortlens::web::Lens::open("http://cohortlens.test/".into(), JsValue::UNDEFINED).await
    {
        Ok(_) => panic!("open must fail"),
        Err(e) => e,
    };
    assert!(prop(&error, "message").as_string().unwrap().contains("person"), "{error:?}");
    let log = strings(&log);
    assert!(log.contains(&"fetch condition_occurrence".to_owned()), "{log:?}");
    assert!(!log.contains(&"fetch activity_summary".to_owned()), "{log:?}");
    assert_eq!(
        strings(&pending_requests(&log.iter().map(JsValue::from).collect(), &signals)),
        Vec::<String>::new()
    );
}
