// Peer benchmark (issue 6): cohortlens next to DuckDB-wasm and Arquero in ONE headless Chromium
// page, and native DuckDB (Python) — same data, same questions, same answers.
//
// Per dataset, `cohortlens serve` serves the Arrow streams. In the page, one engine after the
// other (the page is re-navigated in between, so each starts with a fresh JS realm):
//   (probe)      the stream URLs Lens.open fetches for the tables the queries read (only the
//                columns cohortlens uses), recorded without loading: what every engine fetches.
//   cohortlens   Lens.open of those tables (it must fetch exactly the probed URLs).
//   DuckDB-wasm  EH bundle in a Worker; each stream inserted with insertArrowFromIPCStream;
//                the SQL of bench/peers.py (the Workbench oracle's search tables and cohort SQL; the
//                statistics of docs/statistics.md).
//   Arquero      aq.fromArrow of each stream; bench/page/arquero.js (verbs).
// Native DuckDB (bench/peers.py native) loads the same columns from the Parquet files
// and runs the same SQL. Measured: ingest, the five counts of bench/cohort-definitions.json and
// three statistics over the cohort of the first definition (Age × Sex, top-20 conditions, HbA1c
// histogram) — cold (first run) and warm (median of the next runs); cohortlens's wasm memory
// against the Arrow bytes; gzipped download sizes; page open → first chart (or first table),
// with the benchmark tables loaded and with only person/concept/concept_ancestor loaded.
// Every peer answer must equal cohortlens's disclosed answer after All of Us rounding of the
// peer's raw numbers; a mismatch is reported and fails the run (exit 1). A failing engine
// (e.g. out of memory) is reported in the table; the run goes on.
//
// Usage: BENCH_PYTHON=.venv/bin/python node bench/peers.mjs DATASET_DIR ...
// Env: BENCH_REPEATS (warm runs, default 5; cohortlens uses max(15, that)),
//      BENCH_TIMEOUT_MIN (per engine and dataset, default 10 + 2 per 100k persons),
//      BENCH_RESULTS (Markdown output, default bench/RESULTS.md; '-' for none),
//      BENCH_RAW (also save every measurement as JSON there; BENCH_RENDER=that file re-renders it).
import { execFileSync, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve, ROOT } from '../tests/e2e/harness.mjs';

const REPEATS = Math.max(5, Number(process.env.BENCH_REPEATS ?? 5));
const LENS_REPEATS = Math.max(15, REPEATS);
const PYTHON = process.env.BENCH_PYTHON ?? join(ROOT, '.venv/bin/python');
const DEFINITIONS = join(ROOT, 'bench/cohort-definitions.json');
const RESULTS = process.env.BENCH_RESULTS ?? join(ROOT, 'bench/RESULTS.md');
const named = JSON.parse(readFileSync(DEFINITIONS, 'utf8'));
const DUCKDB_DIST = join(ROOT, 'node_modules/@duckdb/duckdb-wasm/dist');
const ARROW17 = join(ROOT, 'node_modules/@duckdb/duckdb-wasm/node_modules/apache-arrow/Arrow.es2015.min.js');
const ARQUERO = join(ROOT, 'node_modules/arquero/dist/arquero.min.js');
const ENGINES = ['cohortlens', 'duckdb-wasm', 'arquero', 'duckdb-native'];
const LABEL = { cohortlens: 'cohortlens (wasm)', 'duckdb-wasm': 'DuckDB-wasm', arquero: 'Arquero', 'duckdb-native': 'DuckDB native' };
const aouRound = (n) => (n === 0 ? 0 : n <= 20 ? 20 : Math.ceil(n / 20) * 20);
const log = (...a) => console.error(...a);
const version = (pkg) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;

// -- assets: node_modules and bench/page over HTTP on loopback (CORS, for the page and the Worker)

function assetServer() {
  const arrowKeys = Object.keys(createRequire(import.meta.url)(ARROW17)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
  const generated = {
    // apache-arrow 17 (what duckdb-wasm 1.32 is built against) as an ES module, from its UMD build.
    '/arrow17.mjs': `const module = { exports: {} }; const exports = module.exports;\n${readFileSync(ARROW17, 'utf8')}\n`
      + `export const { ${arrowKeys.join(', ')} } = module.exports;\n`,
    '/duckdb-browser.mjs': readFileSync(join(DUCKDB_DIST, 'duckdb-browser.mjs'), 'utf8').replaceAll('from"apache-arrow"', 'from"./arrow17.mjs"'),
  };
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const headers = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    let body;
    if (generated[path]) body = generated[path];
    else {
      const rel = normalize(path).replace(/^\/+/, '');
      if (!(rel.startsWith('node_modules/') || rel.startsWith('bench/page/')) || rel.includes('..')) { res.writeHead(404, headers); return res.end(); }
      const file = join(ROOT, rel);
      if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, headers); return res.end(); }
      body = readFileSync(file);
    }
    res.writeHead(200, { ...headers, 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, generated, close: () => server.close() })));
}

// -- download sizes (gzip -9)

function downloadSizes(generated) {
  const gz = (files) => files.reduce((acc, f) => {
    const bytes = typeof f === 'string' ? readFileSync(f) : Buffer.from(f.text);
    return { raw: acc.raw + bytes.length, gzip: acc.gzip + gzipSync(bytes, { level: 9 }).length };
  }, { raw: 0, gzip: 0 });
  return {
    cohortlens: { files: 'pkg/cohortlens_bg.wasm + pkg/cohortlens.js', wasmGzip: gzipSync(readFileSync(join(ROOT, 'pkg/cohortlens_bg.wasm')), { level: 9 }).length,
      ...gz([join(ROOT, 'pkg/cohortlens_bg.wasm'), join(ROOT, 'pkg/cohortlens.js')]) },
    'duckdb-wasm': { files: `duckdb-eh.wasm + duckdb-browser-eh.worker.js + duckdb-browser.mjs + apache-arrow 17 (its main-thread dependency), @duckdb/duckdb-wasm ${version('@duckdb/duckdb-wasm')}`,
      ...gz([join(DUCKDB_DIST, 'duckdb-eh.wasm'), join(DUCKDB_DIST, 'duckdb-browser-eh.worker.js'), { text: generated['/duckdb-browser.mjs'] }, ARROW17]) },
    arquero: { files: `arquero.min.js (bundles flechette), arquero ${version('arquero')}`, ...gz([ARQUERO]) },
  };
}

// -- the page

async function newPage(browser, options = {}) {
  const page = await browser.newPage(options);
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) log(`  page: HTTP ${r.status()} for ${r.url()}`); });
  page.on('console', (m) => { if ((m.type() === 'error' && !m.text().startsWith('Failed to load resource')) || m.text().startsWith('cohortlens loaded')) log(`  page: ${m.text()}`); });
  return page;
}

/** Runs `module.run(args)` in the page at `origin`, failing on a page error, a crash or the timeout. */
async function inPage(state, origin, moduleUrl, args, timeoutMs, fn = 'run') {
  // The bench scripts come from the asset server, another origin than the one the server's
  // Content-Security-Policy allows: these harness pages bypass it (the app page does not).
  if (!state.page || state.page.isClosed()) state.page = await newPage(state.browser, { bypassCSP: true });
  const page = state.page;
  await page.goto(new URL('api/v1/catalog', origin).href); // same origin as the server, fresh realm
  let onError, onCrash, timer;
  const failed = new Promise((_, reject) => {
    onError = (e) => reject(new Error(`page error: ${e.message.split('\n')[0]}`));
    onCrash = () => reject(new Error('the page crashed (out of memory?)'));
    page.on('pageerror', onError);
    page.on('crash', onCrash);
    timer = setTimeout(() => reject(new Error(`timed out after ${(timeoutMs / 60000).toFixed(0)} min`)), timeoutMs);
  });
  try {
    return await Promise.race([failed, page.evaluate(async ({ moduleUrl, args, fn }) => (await import(moduleUrl))[fn](args), { moduleUrl, args, fn })]);
  } catch (e) {
    // A stuck or crashed page is replaced, so the next engine starts clean.
    await page.close().catch(() => {});
    state.page = null;
    throw e;
  } finally {
    clearTimeout(timer);
    page.off('pageerror', onError);
    page.off('crash', onCrash);
  }
}

/**
 * The app page (www/index.html: the engine in a Worker) loading every table of the dataset:
 * the main thread's long tasks (> 50 ms, PerformanceObserver 'longtask') until it is ready.
 */
async function appLoad(state, origin, timeoutMs) {
  const page = await newPage(state.browser);
  try {
    await page.addInitScript(() => {
      globalThis.benchLongTasks = [];
      new PerformanceObserver((list) => globalThis.benchLongTasks.push(...list.getEntries().map((e) => e.duration)))
        .observe({ type: 'longtask', buffered: true });
    });
    await page.goto(new URL('./', origin).href);
    await page.waitForFunction(() => ['ready', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout: timeoutMs });
    const r = await page.evaluate(() => ({ state: document.body.dataset.state, readyMs: performance.now(), longTasks: globalThis.benchLongTasks }));
    if (r.state !== 'ready') throw new Error(`the app page ended in state ${r.state}`);
    return { readyMs: r.readyMs, longTasks: r.longTasks.length, longTaskMs: r.longTasks.reduce((a, b) => a + b, 0), longestTaskMs: Math.max(0, ...r.longTasks) };
  } finally {
    await page.close();
  }
}

function python(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(ROOT, 'bench/peers.py'), ...args], { maxBuffer: 1 << 28, timeout: timeoutMs },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message.split('\n')[0]} ${stderr.trim().split('\n').pop() ?? ''}`)) : resolve(JSON.parse(stdout))));
  });
}

// -- checks: a peer's raw answer against cohortlens's disclosed one

function checkCount(lens, raw) {
  if (lens === undefined || raw === undefined) return null;
  return lens === aouRound(raw) ? null : `shows ${lens}, peer raw ${raw} rounds to ${aouRound(raw)}`;
}
function checkTable(lens, peer) {
  if (!lens || !peer) return null;
  if (lens.total.value !== aouRound(peer.total)) return `total: cohortlens ${lens.total.value}, peer ${peer.total} → ${aouRound(peer.total)}`;
  if (lens.rows.length !== peer.rows.length) return `${lens.rows.length} rows, peer ${peer.rows.length}: ${JSON.stringify(peer.rows.slice(0, 3))}`;
  for (let i = 0; i < lens.rows.length; i++) {
    const a = lens.rows[i], b = peer.rows[i];
    if (JSON.stringify(a.labels) !== JSON.stringify(b.labels)) return `row ${i}: labels ${JSON.stringify(a.labels)} vs ${JSON.stringify(b.labels)}`;
    if (a.count.value !== aouRound(b.count)) return `row ${i} ${JSON.stringify(a.labels)}: cohortlens ${a.count.value}, peer ${b.count} → ${aouRound(b.count)}`;
  }
  return null;
}

// -- one dataset

const queryNames = [...named.map((d) => `count:${d.name}`), ...['age_by_sex', 'top_conditions', 'hba1c_values'].map((s) => `stat:${s}`)];

async function dataset(state, assets, dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const persons = manifest.tables.person.rows;
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_MIN ?? 10 + 2 * persons / 1e5) * 60000;
  const sql = await python(['sql', '--data', dir, '--definitions', DEFINITIONS], 60000);
  const stats = sql.stats.map(({ name, request }) => ({ name, request }));
  const out = { persons, dir, tables: sql.tables.length, engines: {}, mismatches: [] };
  const server = await serve(dir);
  const origin = server.url.replace(/\/$/, '');
  try {
    // The stream URLs (the columns cohortlens uses): what every engine fetches.
    const urls = await inPage(state, origin, `${assets.url}/bench/page/cohortlens.js`, { origin, tables: sql.tables }, 120000, 'probe');
    if (urls.length !== sql.tables.length) throw new Error(`probing the stream URLs gave ${urls.length} of ${sql.tables.length} tables`);
    out.columns = Object.fromEntries(urls.map((u) => { const x = new URL(u); return [x.pathname.split('/').pop(), x.searchParams.get('columns')?.split(',') ?? []]; }));
    // The Workbench search tables are built from the columns every engine loads.
    sql.build = (await python(['sql', '--data', dir, '--definitions', DEFINITIONS, '--columns', JSON.stringify(out.columns)], 60000)).build;
    // cohortlens
    log(`${persons} persons: cohortlens`);
    try {
      const r = await inPage(state, origin, `${assets.url}/bench/page/cohortlens.js`,
        { origin, tables: sql.tables, named, stats, repeats: LENS_REPEATS }, timeoutMs);
      if (JSON.stringify([...r.urls].sort()) !== JSON.stringify([...urls].sort())) throw new Error(`Lens.open fetched ${JSON.stringify(r.urls)}, the probe gave ${JSON.stringify(urls)}`);
      out.engines.cohortlens = r;
    } catch (e) {
      out.engines.cohortlens = { error: e.message.split('\n')[0] };
    }
    log(`${persons} persons: cohortlens ${out.engines.cohortlens.error ?? 'done'}`);
    try {
      out.firstMinimal = await inPage(state, origin, `${assets.url}/bench/page/cohortlens.js`, { origin, request: stats[0].request }, timeoutMs, 'firstMinimal');
    } catch (e) {
      out.firstMinimal = { error: e.message };
    }
    log(`${persons} persons: the app page loading every table (main-thread long tasks)`);
    try {
      out.appLoad = await appLoad(state, origin, timeoutMs);
    } catch (e) {
      out.appLoad = { error: e.message.split('\n')[0] };
    }
    // the browser peers
    for (const [engine, module] of [['duckdb-wasm', 'duckdb.js'], ['arquero', 'arquero.js']]) {
      log(`${persons} persons: ${engine}`);
      try {
        out.engines[engine] = await inPage(state, origin, `${assets.url}/bench/page/${module}`,
          { assets: assets.url, urls, sql, named, stats, referenceDate: sql.reference_date, repeats: REPEATS }, timeoutMs);
      } catch (e) {
        out.engines[engine] = { error: e.message.split('\n')[0] };
      }
      log(`${persons} persons: ${engine} ${out.engines[engine].error ?? 'done'}`);
    }
  } finally {
    server.stop();
  }
  log(`${persons} persons: DuckDB native`);
  try {
    const columns = out.columns;
    const r = await python(['native', '--data', dir, '--definitions', DEFINITIONS, '--columns', JSON.stringify(columns), '--repeats', String(REPEATS)], timeoutMs);
    out.engines['duckdb-native'] = { ...r, statistics: r.stats.map((s) => ({ name: s.name, table: { rows: s.rows, total: s.total }, coldMs: s.coldMs, warmMs: s.warmMs })) };
  } catch (e) {
    out.engines['duckdb-native'] = { error: e.message };
  }

  // per engine and query: cold/warm ms, or the reason there is none; answers checked
  const lens = out.engines.cohortlens;
  out.queries = {};
  for (const engine of ENGINES) {
    const e = out.engines[engine];
    out.queries[engine] = {};
    named.forEach((d, i) => {
      const c = e.counts?.[i];
      const q = `count:${d.name}`;
      if (e.error) out.queries[engine][q] = { error: e.error };
      else if (c?.unsupported) out.queries[engine][q] = { na: c.unsupported };
      else {
        out.queries[engine][q] = { coldMs: c.coldMs, warmMs: c.warmMs, value: engine === 'cohortlens' ? c.shown : c.raw };
        const bad = engine === 'cohortlens' ? null : checkCount(lens.counts?.[i]?.shown, c.raw);
        if (bad) { out.mismatches.push(`${persons} ${engine} ${q}: ${bad}`); out.queries[engine][q].mismatch = bad; }
      }
    });
    stats.forEach((s, i) => {
      const c = e.statistics?.[i];
      const q = `stat:${s.name}`;
      if (e.error) out.queries[engine][q] = { error: e.error };
      else if (c?.unsupported) out.queries[engine][q] = { na: c.unsupported };
      else {
        out.queries[engine][q] = { coldMs: c.coldMs, warmMs: c.warmMs };
        const bad = engine === 'cohortlens' ? null : checkTable(lens.statistics?.[i]?.table, c.table);
        if (bad) { out.mismatches.push(`${persons} ${engine} ${q}: ${bad}`); out.queries[engine][q].mismatch = bad; }
      }
    });
  }
  for (const m of out.mismatches) log(`MISMATCH ${m}`);
  return out;
}

// -- report

const fmtMs = (x) => (x === undefined || x === null ? 'n/a' : x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(0) : `${(x / 1000).toFixed(1)} s`);
const withUnit = (x) => (x === undefined || x === null ? 'n/a' : x < 1000 ? `${fmtMs(x)} ms` : fmtMs(x));
const fmtRatio = (x) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const mib = (b) => (b === undefined || b === null ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : undefined);

function cell(q) {
  if (!q) return 'n/a';
  if (q.error) return 'failed';
  if (q.na) return 'n/a';
  return fmtMs(q.warmMs) + (q.mismatch ? ' (MISMATCH)' : '');
}

function summarize(all) {
  const medians = {}, ratios = {};
  for (const d of all) {
    medians[d.persons] = {};
    ratios[d.persons] = {};
    for (const engine of ENGINES) {
      const e = d.engines[engine];
      medians[d.persons][engine] = { ingest: e.error ? null : e.ingestMs };
      for (const q of queryNames) medians[d.persons][engine][q] = d.queries[engine][q]?.warmMs ?? null;
    }
    for (const engine of ENGINES.slice(1)) {
      const r = {};
      const base = medians[d.persons].cohortlens, peer = medians[d.persons][engine];
      for (const q of ['ingest', ...queryNames]) r[q] = base[q] && peer[q] ? peer[q] / base[q] : null;
      const qs = queryNames.map((q) => r[q]).filter((x) => x);
      r.geomean_queries = geomean(qs) ?? null;
      r.min_queries = qs.length ? Math.min(...qs) : null;
      r.queries_compared = qs.length;
      ratios[d.persons][engine] = r;
    }
  }
  return { medians, ratios };
}

function markdown(all, sizes, summary, command, date) {
  const L = [];
  const cpu = cpus();
  const sqlTables = all[0]?.tables ?? '';
  L.push('# Benchmark: cohortlens against its peers', '');
  L.push(`Command: \`${command}\` — ${date.slice(0, 16).replace('T', ' ')} UTC.`);
  L.push(`Machine: ${cpu.length} shared cores (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Debian Chromium ${all.browserVersion} headless, one page; `
    + `@duckdb/duckdb-wasm ${version('@duckdb/duckdb-wasm')} (EH bundle, Worker), arquero ${version('arquero')}, DuckDB ${all.nativeVersion} (Python) native.`
    + (all.build ? ` cohortlens: ${all.build}.` : ''));
  L.push('', 'Times are medians of warm runs (cohortlens ' + LENS_REPEATS + ', the others ' + REPEATS + ') after one cold run, in ms unless marked s; ratios are peer ÷ cohortlens '
    + '(above 1: cohortlens is faster). Each count or statistic is computed from scratch (the cohort is evaluated inside every statistic run). Ingest is fetch + decode + '
    + 'whatever each engine builds once (cohortlens: its index; DuckDB: tables from the Arrow streams, then the Workbench oracle\'s search tables from them — cb_search_all_events, cb_search_person, the criteria and drug trees — so a DuckDB count is one query over those; Arquero: tables, birth dates and '
    + 'the data-filter person sets). Every peer answer was checked against cohortlens\'s disclosed answer after All of Us rounding; "MISMATCH" marks a difference.', '');
  for (const d of all) {
    const lens = d.engines.cohortlens;
    L.push(`## ${d.persons.toLocaleString('en-US')} persons (\`${d.dir}\`)`, '');
    L.push(`| query | ${ENGINES.map((e) => LABEL[e]).join(' | ')} | ${ENGINES.slice(1).map((e) => `${LABEL[e]} ÷ cohortlens`).join(' | ')} |`);
    L.push(`|${'---|'.repeat(ENGINES.length * 2 - 1 + 1)}`);
    const ingestCell = (e) => (d.engines[e].error ? 'failed' : fmtMs(d.engines[e].ingestMs));
    L.push(`| ingest | ${ENGINES.map(ingestCell).join(' | ')} | ${ENGINES.slice(1).map((e) => fmtRatio(summary.ratios[d.persons][e].ingest)).join(' | ')} |`);
    for (const q of queryNames) {
      L.push(`| ${q} | ${ENGINES.map((e) => cell(d.queries[e][q])).join(' | ')} | ${ENGINES.slice(1).map((e) => fmtRatio(summary.ratios[d.persons][e][q])).join(' | ')} |`);
    }
    L.push(`| geometric mean of the query ratios | | | | | ${ENGINES.slice(1).map((e) => fmtRatio(summary.ratios[d.persons][e].geomean_queries)).join(' | ')} |`);
    L.push(`| smallest query ratio | | | | | ${ENGINES.slice(1).map((e) => fmtRatio(summary.ratios[d.persons][e].min_queries)).join(' | ')} |`);
    L.push('');
    L.push('Cold (first) runs, ms: ' + ENGINES.map((e) => `${LABEL[e]} ${queryNames.map((q) => fmtMs(d.queries[e][q]?.coldMs)).join(' / ')}`).join('; ') + '.', '');
    const notes = [];
    for (const e of ENGINES) {
      if (d.engines[e].error) notes.push(`**${LABEL[e]} failed**: ${d.engines[e].error.split('\n')[0].replace(/^page\.evaluate: /, '')}`);
      for (const q of queryNames) if (d.queries[e][q]?.na) notes.push(`${LABEL[e]} ${q}: n/a — ${d.queries[e][q].na}`);
    }
    for (const m of d.mismatches) notes.push(`MISMATCH: ${m}`);
    if (!lens.error) {
      notes.push(`Memory: cohortlens's WebAssembly.Memory is ${mib(lens.wasmMemoryBytes)} for ${mib(lens.arrowBytes)} of Arrow streams `
        + `(**${(lens.wasmMemoryBytes / lens.arrowBytes).toFixed(2)}×**; ${(lens.rows / 1e6).toFixed(1)} M rows, ${mib(lens.tableBytes)} as decoded Arrow, each batch freed once indexed)`
        + (d.engines['duckdb-wasm'].memoryBytes ? `; DuckDB-wasm reports ${mib(d.engines['duckdb-wasm'].memoryBytes)} in duckdb_memory()` : '')
        + (d.engines['duckdb-native'].memoryBytes ? `, native DuckDB ${mib(d.engines['duckdb-native'].memoryBytes)}` : '') + '.');
      notes.push(`Page open → first chart: **${withUnit(lens.firstResultMs)}** from navigation start: page and bench script ready at ${withUnit(lens.navigationMs)}, pkg/cohortlens.js imported at ${withUnit(lens.importedMs)}, `
        + `wasm instantiated at ${withUnit(lens.initMs)}, then Lens.open of the ${sqlTables} benchmark tables ${withUnit(lens.ingestMs)}, then cohort → Age × Sex → stacked bar chart on a canvas in ${withUnit(lens.firstResultMs - lens.initMs - lens.ingestMs)}.`);
      if (d.firstMinimal) notes.push(d.firstMinimal.error ? `Page open → first chart with only person, concept and concept_ancestor loaded: failed (${d.firstMinimal.error}).`
        : `Page open → first chart when only what Age × Sex needs is loaded (person, concept, concept_ancestor; everyone aged 0–200), as an embed does: **${withUnit(d.firstMinimal.ms)}**.`);
      if (d.appLoad) notes.push(d.appLoad.error ? `App page load: failed (${d.appLoad.error}).`
        : `Main thread while the app page (engine in a Worker) loads every table: ready at ${withUnit(d.appLoad.readyMs)}; ${d.appLoad.longTasks} long tasks (> 50 ms), ${withUnit(d.appLoad.longTaskMs)} in all, the longest ${withUnit(d.appLoad.longestTaskMs)} `
          + '(the page\'s own work per progress message is a few DOM writes; on 2 cores shared with the Worker and the server, a long task is mostly the main thread waiting for a core).');
      if (d.engines['duckdb-wasm'].instantiateMs) notes.push(`DuckDB-wasm instantiation (not in ingest): ${withUnit(d.engines['duckdb-wasm'].instantiateMs)}.`);
    }
    L.push(...notes.map((n) => `- ${n}`), '');
  }
  L.push('## Download size (gzip -9)', '', '| engine | files | raw | gzipped |', '|---|---|---|---|');
  for (const [e, s] of Object.entries(sizes)) L.push(`| ${LABEL[e]} | ${s.files} | ${(s.raw / 1e6).toFixed(2)} MB | ${(s.gzip / 1e6).toFixed(2)} MB |`);
  L.push('', `cohortlens's wasm alone: ${(sizes.cohortlens.wasmGzip / 1e6).toFixed(2)} MB gzipped.`, '');
  L.push('## What each engine computes', '');
  L.push('- **Same data.** The browser peers fetch exactly the Arrow IPC streams cohortlens fetches (same URLs, same columns: those cohortlens reads); native DuckDB loads the same columns of the same tables from the Parquet files.');
  L.push('- **Counts.** DuckDB (wasm and native) runs the SQL of the Workbench oracle (`oracle/cohortlens_oracle/workbench.py`, the All of Us Workbench\'s search tables and query shapes, which the test suite checks cohortlens against). At ingest, after loading the tables, DuckDB builds the Workbench search tables from them (`cb_search_all_events`: one row per event and concept column with its age at event, visit and values, blood-pressure pairs joined; `cb_search_person`: birth date, ages and the has-data flags; the criteria and drug trees as closure tables) — as cohortlens builds its index at ingest; that build is in DuckDB\'s ingest time. The timed count query is `SELECT count(*)` over `workbench.cohort_sql`: concept sets resolved by subqueries over the criteria trees, every group\'s persons, includes intersected, excludes subtracted, data filters read from `cb_search_person`; only the total is selected. Arquero runs hand-written semantics as verbs (`bench/page/arquero.js`, written for the earlier semantics and updated only where these five definitions differ: AGE is the age today with the deceased left out, as the Workbench computes it); it agrees with cohortlens on these five definitions (checked every run) but is not a full Workbench implementation (e.g. its NUM_OF_OCCURRENCES counts rows, its HAS_PHYSICAL_MEASUREMENT_DATA reads the measurement type). It implements every criterion these five definitions use (concept sets with descendants, NUM/CAT attributes, blood pressure pairs, survey answers, demographics, AGE, AGE_AT_EVENT, EVENT_DATE, NUM_OF_OCCURRENCES, a FIRST_MENTION/WITHIN_X_DAYS_OF temporal group, HAS_EHR_DATA / HAS_PHYSICAL_MEASUREMENT_DATA); not implemented (n/a if asked): observation periods, DEATH/FITBIT criteria and NUM_OF_OCCURRENCES over several parameters of one item.');
  L.push('- **Statistics** (docs/statistics.md), over the cohort of the first definition, with the same labels, order and zero rows as cohortlens: Age × Sex (`dataBrowser` bands, age at the reference date), the top 20 CONDITION concepts (ranked by the disclosed count — under `aou` the rounded count — then label, then id), and the HbA1c (3004410) value histogram per unit with bins set on the whole dataset\'s values. DuckDB computes each entirely in one SQL query (`bench/peers.py`); Arquero filters/joins/groups with verbs and does the bin arithmetic and row layout in JS.');
  L.push('- **Checked.** Each peer\'s raw count, every raw cell and the total of every statistic, rounded the All of Us way (0 → 0, 1–20 → 20, else up to a multiple of 20), must equal what cohortlens discloses; otherwise the cell says MISMATCH and the run fails.');
  L.push('- **Timing.** performance.now() in the page (0.1 ms resolution), so a warm sample times a batch of calls lasting ≥ 20 ms and divides; native DuckDB uses time.perf_counter around `execute().fetchall()`. DuckDB-wasm times include the round trip to its Worker. cohortlens runs on the page\'s main thread (the app runs it in a Worker; same code).');
  L.push('- **Memory.** cohortlens: the size of its WebAssembly.Memory (the whole wasm heap: tables, index, allocator slack) after loading, against the bytes of the Arrow streams; DuckDB: `duckdb_memory()`.', '');
  L.push('## Targets', '');
  const at = (n) => all.find((d) => d.persons === n);
  const t = [];
  const d100 = at(100000);
  if (d100) {
    const r = summary.ratios[100000];
    const line = (e, want) => {
      const g = r[e].geomean_queries, m = r[e].min_queries;
      if (!g) return `${LABEL[e]}: no comparable queries (engine failed)`;
      const n = queryNames.filter((q) => r[e][q] >= want).length;
      return `${g >= want ? 'MET' : 'MISSED'} on the geometric mean of the ${r[e].queries_compared} queries (${fmtRatio(g)}×); per query ${n} of ${r[e].queries_compared} (smallest ${fmtRatio(m)}×)`;
    };
    t.push(`100k warm, cohortlens ≥ 10× faster than DuckDB-wasm: ${line('duckdb-wasm', 10)}.`);
    t.push(`100k warm, cohortlens ≥ 20× faster than Arquero: ${line('arquero', 20)}.`);
  } else t.push('100k targets: not run (no 100,000-person dataset in this run).');
  const d1m = at(1000000);
  if (d1m) {
    const lens = d1m.engines.cohortlens;
    if (lens.error) t.push(`1M, still ahead of both: MISSED — cohortlens failed: ${lens.error.split('\n')[0]}.`);
    else {
      const r = summary.ratios[1000000];
      t.push(`1M, still ahead of both: ${['duckdb-wasm', 'arquero'].map((e) => `${LABEL[e]} ${r[e].min_queries ? `${r[e].min_queries > 1 ? 'ahead' : 'NOT ahead'} on every query (smallest ${fmtRatio(r[e].min_queries)}×)` : (d1m.engines[e].error ? `could not load the data (${d1m.engines[e].error.replace(/^page\.evaluate: /, '')}), which cohortlens did` : 'n/a (no comparable query)')}`).join('; ')}.`);
    }
  } else t.push('1M: not run in this run.');
  for (const d of all) {
    const lens = d.engines.cohortlens;
    if (lens.error) continue;
    const ratio = lens.wasmMemoryBytes / lens.arrowBytes;
    const fm = d.firstMinimal?.ms;
    t.push(`${d.persons.toLocaleString('en-US')}: memory ≤ 1.5 × Arrow bytes: ${ratio <= 1.5 ? 'MET' : 'MISSED'} (${ratio.toFixed(2)}×); first chart ≤ 1 s after page open, `
      + `loading what the chart needs as an embed does (person, concept, concept_ancestor): ${fm === undefined ? 'not measured' : `${fm <= 1000 ? 'MET' : 'MISSED'} (${withUnit(fm)})`}; `
      + `for comparison, after loading all ${d.tables} benchmark tables first: ${withUnit(lens.firstResultMs)}.`);
  }
  t.push(`cohortlens wasm ≤ 1 MB gzipped: ${sizes.cohortlens.wasmGzip <= 1e6 ? 'MET' : 'MISSED'} (${(sizes.cohortlens.wasmGzip / 1e6).toFixed(2)} MB; with its JS ${(sizes.cohortlens.gzip / 1e6).toFixed(2)} MB).`);
  L.push(...t.map((x) => `- ${x}`), '');
  return L.join('\n');
}

// -- main

// bench/RESULTS.md holds every figure: this run's report above the marker, the other
// benchmarks' figures (kept as they are) below it.
const MARKER = '<!-- Everything above is written by scripts/bench; everything below is kept as it is. -->';
function writeResults(md) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = old.indexOf(MARKER);
  writeFileSync(RESULTS, md + '\n\n' + (at >= 0 ? old.slice(at) : MARKER + '\n'));
}

const dirs = process.argv.slice(2);
if (!dirs.length && !process.env.BENCH_RENDER) { log('usage: node bench/peers.mjs DATASET_DIR ...'); process.exit(2); }
if (process.env.BENCH_RENDER) { // re-render the Markdown of a saved run (BENCH_RAW)
  const raw = JSON.parse(readFileSync(process.env.BENCH_RENDER, 'utf8'));
  const all = Object.assign(raw.all, { browserVersion: raw.browserVersion, nativeVersion: raw.nativeVersion, build: raw.build });
  const md = markdown(all, raw.sizes, summarize(all), raw.command, raw.date);
  if (RESULTS !== '-') writeResults(md);
  console.log(md);
  process.exit(0);
}
const assets = await assetServer();
const sizes = downloadSizes(assets.generated);
const state = {
  browser: await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--max-old-space-size=8192'],
  }),
  page: null,
};
const all = [];
try {
  all.browserVersion = state.browser.version();
  all.nativeVersion = execFileSync(PYTHON, ['-c', 'import duckdb; print(duckdb.__version__)'], { encoding: 'utf8' }).trim();
  let head = 'unknown';
  try { head = execFileSync('git', ['-C', ROOT, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  all.build = `pkg/cohortlens_bg.wasm built ${statSync(join(ROOT, 'pkg/cohortlens_bg.wasm')).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC, repository at ${head}`;
  for (const dir of dirs) {
    const d = await dataset(state, assets, dir);
    all.push(d);
    const s = summarize([d]);
    log(`${d.persons} persons: warm medians ${JSON.stringify(s.medians[d.persons])}`);
  }
} finally {
  await state.browser.close().catch(() => {});
  assets.close();
}
const summary = summarize(all);
const command = `scripts/bench ${all.map((d) => d.persons).join(' ')}`;
const date = new Date().toISOString();
if (process.env.BENCH_RAW) writeFileSync(process.env.BENCH_RAW, JSON.stringify({ all, sizes, command, date, browserVersion: all.browserVersion, nativeVersion: all.nativeVersion, build: all.build }));
const md = markdown(all, sizes, summary, command, date);
if (RESULTS !== '-') writeResults(md);
console.error(md);
const mismatches = all.flatMap((d) => d.mismatches);
console.log(JSON.stringify({ ratios: summary.ratios, medians_ms: summary.medians,
  memory: Object.fromEntries(all.map((d) => [d.persons, { wasmBytes: d.engines.cohortlens.wasmMemoryBytes ?? null, arrowBytes: d.engines.cohortlens.arrowBytes ?? null }])),
  first_chart_ms: Object.fromEntries(all.map((d) => [d.persons, { benchmarkTables: d.engines.cohortlens.firstResultMs ?? null, personConceptOnly: d.firstMinimal?.ms ?? null }])),
  app_load_long_tasks: Object.fromEntries(all.map((d) => [d.persons, d.appLoad ?? null])),
  download_gzip_bytes: Object.fromEntries(Object.entries(sizes).map(([e, s]) => [e, s.gzip])), mismatches }));
if (mismatches.length) {
  log(`FAILED: ${mismatches.length} answer(s) differ from cohortlens's disclosed ones`);
  process.exit(1);
}
