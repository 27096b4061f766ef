//! Headless-Chromium tests of streaming ingest (`wasm-pack test --headless --chrome`): a stream
//! cut into random chunks from 1 byte to 1 MiB, fed through a real `ReadableStream` and
//! `Response`, decodes to the same rows; a broken or truncated stream is an error naming the table.
#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use arrow_array::{Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use cohortlens::ingest::TableIngest;
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
        let values: Float64Array = (start..end)
            .map(|i| (i % 13 != 0).then_some(i as f64 / 100.0))
            .collect();
        let units: StringArray = (start..end)
            .map(|i| (i % 17 != 0).then_some(["%", "mg/dL", "mmol/L"][i % 3]))
            .collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(ids),
                Arc::new(concepts),
                Arc::new(values),
                Arc::new(units),
            ],
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
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        for id in ids.values() {
            assert_eq!(*id, expected);
            expected += 1;
        }
        let values = batch
            .column(2)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        for (i, v) in values.iter().enumerate() {
            let row = ids.value(i) as usize;
            assert_eq!(v, (row % 13 != 0).then_some(row as f64 / 100.0));
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
            ingest
                .push(chunk.as_slice())
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
        let table = ingest
            .finish(Some(rows as u64))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
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
        if Reflect::get(&result, &"done".into())
            .unwrap()
            .as_bool()
            .unwrap()
        {
            break;
        }
        let bytes: Uint8Array = Reflect::get(&result, &"value".into())
            .unwrap()
            .unchecked_into();
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
    let err = ingest_response("measurement", vec![bytes])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("table measurement"), "{err}");
}
