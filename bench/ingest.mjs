// Ingest benchmark in one headless Chromium page: for each dataset and table, the Arrow stream
// bytes are fetched once, then decoded from the same 64 KiB chunks (what fetch delivers) by
// cohortlens (TableLoader: copy into wasm, check, decode, store) and by apache-arrow JS
// (RecordBatchReader over the chunks, all batches kept). Medians of several runs; prints MB/s,
// rows/s and the ratio. Usage: node bench/ingest.mjs DATASET_DIR ...
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browser, serve, ROOT } from '../tests/e2e/harness.mjs';

const RUNS = 5;
const CHUNK = 64 * 1024;
// Full rows at every size would not fit: 1M persons hold ~40M measurement rows, ~4.4 GB of
// Arrow, past wasm32's 4 GiB. The large runs load the columns the cohort engine reads.
const ENGINE_COLUMNS = {
  condition_occurrence: 'person_id,condition_concept_id,condition_start_date,visit_occurrence_id',
  measurement: 'person_id,measurement_concept_id,measurement_date,value_as_number,unit_concept_id',
};
const arrowJs = readFileSync(join(ROOT, 'node_modules/apache-arrow/Arrow.es2015.min.js'), 'utf8');

async function benchOne(page, table, query) {
  return page.evaluate(async ({ table, query, RUNS, CHUNK }) => {
    const { default: init, TableLoader } = await import('/pkg/cohortlens.js');
    const wasm = await init();
    const bytes = new Uint8Array(await (await fetch(`/api/v1/tables/${table}${query}`)).arrayBuffer());
    const chunks = [];
    // Separate buffers, as fetch delivers them (views of one buffer let apache-arrow skip copies).
    for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.slice(at, at + CHUNK));
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const lens = [], js = [];
    let rows = 0, jsRows = 0, memoryBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      let t = performance.now();
      const loader = new TableLoader(table);
      for (const c of chunks) loader.push(c);
      const summary = loader.finish();
      lens.push(performance.now() - t);
      rows = summary.rows; memoryBytes = summary.memoryBytes;
      loader.free();
      t = performance.now();
      const reader = Arrow.RecordBatchReader.from(chunks);
      const batches = [...reader];
      jsRows = batches.reduce((n, b) => n + b.numRows, 0);
      js.push(performance.now() - t);
    }
    if (rows !== jsRows) throw new Error(`${table}: cohortlens decoded ${rows} rows, apache-arrow ${jsRows}`);
    return { bytes: bytes.length, rows, memoryBytes, wasmMemory: wasm.memory.buffer.byteLength, lensMs: median(lens), jsMs: median(js) };
  }, { table, query, RUNS, CHUNK });
}

const results = [];
const chromium = await browser();
try {
  for (const dir of process.argv.slice(2)) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const persons = manifest.tables.person.rows;
    const server = await serve(dir);
    try {
      for (const table of ['condition_occurrence', 'measurement']) {
        const variants = persons <= 200_000 ? [['all columns', ''], ['engine columns', `?columns=${ENGINE_COLUMNS[table]}`]]
          : [['engine columns', `?columns=${ENGINE_COLUMNS[table]}`]];
        for (const [columns, query] of variants) {
          const page = await chromium.newPage();
          await page.goto(new URL('api/v1/catalog', server.url).href);
          await page.addScriptTag({ content: arrowJs });
          const r = await benchOne(page, table, query);
          await page.close();
          results.push({ persons, table, columns, ...r });
          const mbps = (ms) => (r.bytes / 1e6 / (ms / 1e3)).toFixed(0);
          console.error(`${persons} ${table} (${columns}): ${(r.bytes / 1e6).toFixed(0)} MB, ${r.rows} rows — cohortlens ${r.lensMs.toFixed(0)} ms (${mbps(r.lensMs)} MB/s), apache-arrow ${r.jsMs.toFixed(0)} ms (${mbps(r.jsMs)} MB/s)`);
        }
      }
    } finally {
      server.stop();
    }
  }
} finally {
  await chromium.close();
}

const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(line(['persons', 'table', 'columns', 'Arrow MB', 'rows', 'cohortlens MB/s', 'cohortlens Mrows/s', 'apache-arrow MB/s', 'time ratio (cohortlens / apache-arrow)', 'held / stream bytes']));
console.log(line(Array(10).fill('---')));
for (const r of results) {
  const mb = r.bytes / 1e6;
  console.log(line([r.persons.toLocaleString('en-US'), r.table, r.columns, mb.toFixed(0), r.rows.toLocaleString('en-US'),
    (mb / (r.lensMs / 1e3)).toFixed(0), (r.rows / 1e6 / (r.lensMs / 1e3)).toFixed(1), (mb / (r.jsMs / 1e3)).toFixed(0),
    (r.lensMs / r.jsMs).toFixed(2), (r.memoryBytes / r.bytes).toFixed(2)]));
}
