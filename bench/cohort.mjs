// Cohort-count benchmark: the five definitions of bench/cohort-definitions.json on each dataset,
// cohortlens in headless Chromium next to native DuckDB running the Workbench oracle's SQL
// (oracle/cohortlens_oracle/workbench.py: search tables built once, then one query per count), same run.
// Browser: one page served by `cohortlens serve` opens `Lens.open(url)` (only the columns cohorts
// read; timed), then per definition cold = the first `lens.cohort(def).count()`, warm = median
// of REPEATS more. DuckDB: bench/cohort_duckdb.py (the search tables built once from the
// Parquet files, timed apart like Lens.open; cold = first count query, warm = median). The browser's disclosed count must equal DuckDB's raw count rounded the All of Us
// way; any mismatch fails the run (exit 1). Prints a table per dataset and a final JSON line.
// Usage: BENCH_PYTHON=.venv/bin/python node bench/cohort.mjs DATASET_DIR ...
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve, ROOT } from '../tests/e2e/harness.mjs';

const REPEATS = 15;
const DEFINITIONS = join(ROOT, 'bench/cohort-definitions.json');
const PYTHON = process.env.BENCH_PYTHON ?? join(ROOT, '.venv/bin/python');
const named = JSON.parse(readFileSync(DEFINITIONS, 'utf8'));
// If opening every table fails (wasm32's 4 GiB), the run retries with the tables these five
// definitions read (no Fitbit, death or observation_period).
const DEFINITION_TABLES = ['person', 'concept', 'concept_ancestor', 'visit_occurrence', 'condition_occurrence',
  'drug_exposure', 'procedure_occurrence', 'measurement', 'observation', 'device_exposure'];
const aouRound = (n) => (n === 0 ? 0 : n <= 20 ? 20 : Math.ceil(n / 20) * 20);

function duckdb(dir) {
  const out = execFileSync(PYTHON, [join(ROOT, 'bench/cohort_duckdb.py'), '--data', dir,
    '--definitions', DEFINITIONS, '--repeats', String(REPEATS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [build, ...counts] = out.trim().split('\n').map((line) => JSON.parse(line));
  return { buildMs: build.buildMs, counts };
}

async function browserRun(chromiumBrowser, dir, openOptions) {
  const server = await serve(dir);
  const page = await chromiumBrowser.newPage();
  try {
    page.on('console', (m) => { if (m.type() === 'error' || m.text().startsWith('loaded ')) console.error(`page: ${m.text()}`); });
    // A trap inside Lens.open's future (e.g. out of wasm memory) leaves its promise pending:
    // end the run on the first page error instead of waiting forever.
    const crashed = new Promise((_, reject) => {
      page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`)));
      page.on('crash', () => reject(new Error('the page crashed')));
    });
    await page.goto(new URL('api/v1/catalog', server.url).href); // same origin, no app running
    return await Promise.race([crashed, page.evaluate(async ({ named, REPEATS, openOptions }) => {
      const { default: init, Lens } = await import('/pkg/cohortlens.js');
      const wasm = await init();
      const onProgress = (p) => { if (p.done) console.log(`loaded ${p.table}: ${p.rows} rows, ${(p.bytes / 2 ** 20).toFixed(0)} MiB of Arrow, wasm memory ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`); };
      const t = performance.now();
      const lens = await Lens.open(location.origin, { ...openOptions, onProgress });
      const openMs = performance.now() - t;
      const tables = lens.tables();
      const countOnce = (def) => {
        const start = performance.now();
        const cohort = lens.cohort(def);
        const shown = cohort.count();
        const ms = performance.now() - start;
        cohort.free();
        return { shown, ms };
      };
      const results = named.map(({ name, definition }) => {
        const cold = countOnce(definition);
        const warm = Array.from({ length: REPEATS }, () => countOnce(definition).ms).sort((a, b) => a - b);
        return { name, shown: cold.shown, coldMs: cold.ms, warmMs: warm[warm.length >> 1] };
      });
      return {
        openMs, results,
        memoryBytes: tables.reduce((n, t) => n + (t.memoryBytes ?? 0), 0),
        wasmMemory: wasm.memory.buffer.byteLength,
        rows: tables.reduce((n, t) => n + t.rows, 0),
        tables: tables.map((t) => ({ name: t.name, rows: t.rows, memoryBytes: t.memoryBytes })),
      };
    }, { named, REPEATS, openOptions })]);
  } finally {
    await page.close();
    server.stop();
  }
}

const all = [];
let mismatches = 0;
// The harness's launch flags, plus a larger JS heap (wasm memory is not part of it; wasm32 caps it at 4 GiB).
const chromiumBrowser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--max-old-space-size=4096'],
});
try {
  for (const dir of process.argv.slice(2)) {
    const persons = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).tables.person.rows;
    console.error(`${persons} persons: DuckDB over ${dir}/*.parquet`);
    const duck = duckdb(dir);
    console.error(`${persons} persons: cohortlens in Chromium`);
    let lens;
    for (const tables of [undefined, DEFINITION_TABLES]) {
      try {
        lens = { ...(await browserRun(chromiumBrowser, dir, tables ? { tables } : {})), openedTables: tables ?? 'all' };
        break;
      } catch (e) {
        const error = e.message.split('\n')[0];
        console.error(`${persons} persons: Lens.open of ${tables ? 'the tables the definitions read' : 'every table'} failed: ${error}`);
        lens = { error, results: [] };
      }
    }
    const rows = duck.counts.map((d) => {
      const b = lens.results.find((r) => r.name === d.name);
      const expected = aouRound(d.raw);
      if (b && b.shown.value !== expected) {
        mismatches++;
        console.error(`MISMATCH ${persons} ${d.name}: cohortlens shows ${JSON.stringify(b.shown)}, DuckDB raw ${d.raw} rounds to ${expected}`);
      }
      return { name: d.name, duckdbRaw: d.raw, duckdbColdMs: d.coldMs, duckdbWarmMs: d.warmMs,
        shown: b?.shown.value, lensColdMs: b?.coldMs, lensWarmMs: b?.warmMs };
    });
    all.push({ persons, duckdbBuildMs: duck.buildMs, openedTables: lens.openedTables, openMs: lens.openMs, memoryBytes: lens.memoryBytes,
      wasmMemory: lens.wasmMemory, loadedRows: lens.rows, tables: lens.tables, error: lens.error, definitions: rows });

    const ms = (x) => (x === undefined ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(0));
    const line = (cells) => console.log(`| ${cells.join(' | ')} |`);
    const opened = lens.openedTables === 'all' ? 'every table' : `only ${lens.openedTables?.join(', ')}`;
    console.log(`\n${persons.toLocaleString('en-US')} persons — ` + (lens.error
      ? `cohortlens FAILED: Lens.open did not complete (${lens.error})\n`
      : `Lens.open (${opened}) ${(lens.openMs / 1e3).toFixed(1)} s, ${(lens.rows / 1e6).toFixed(1)} M rows, ` +
        `tables ${(lens.memoryBytes / 2 ** 20).toFixed(0)} MiB, wasm memory ${(lens.wasmMemory / 2 ** 20).toFixed(0)} MiB\n` +
        `  per table (MiB): ${lens.tables.map((t) => `${t.name} ${(t.memoryBytes / 2 ** 20).toFixed(0)}`).join(', ')}\n`)
      + `DuckDB: Parquet → tables → Workbench search tables ${(duck.buildMs / 1e3).toFixed(1)} s\n`);
    line(['definition', 'count shown (DuckDB raw)', 'cohortlens cold ms', 'cohortlens warm ms', 'DuckDB cold ms', 'DuckDB warm ms', 'warm ratio (cohortlens / DuckDB)']);
    line(Array(7).fill('---'));
    for (const r of rows) {
      line([r.name, `${r.shown ?? 'n/a'} (${r.duckdbRaw})`, ms(r.lensColdMs), ms(r.lensWarmMs), ms(r.duckdbColdMs), ms(r.duckdbWarmMs),
        r.lensWarmMs === undefined ? 'n/a' : (r.lensWarmMs / r.duckdbWarmMs).toFixed(3)]);
    }
  }
} finally {
  await chromiumBrowser.close();
}
console.log(JSON.stringify({ benchmark: 'cohort-count', repeats: REPEATS, datasets: all }));
if (mismatches) {
  console.error(`FAILED: ${mismatches} disclosed count(s) differ from the rounded DuckDB count`);
  process.exit(1);
}
