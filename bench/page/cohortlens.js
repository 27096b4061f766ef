// cohortlens in the page: Lens.open (ingest), the five counts and the three statistics, cold
// and warm; the wasm memory against the Arrow bytes; page open → first chart.
import { coldWarm } from './common.js';

/** Draws a disclosed two-way table as a stacked bar chart on a new 640 × 400 canvas. */
function drawChart(lens, table) {
  const canvas = document.createElement('canvas');
  canvas.style.width = '640px';
  canvas.width = 640 * devicePixelRatio;
  canvas.height = 400 * devicePixelRatio;
  document.body.append(canvas);
  return lens.chart(canvas, { kind: 'stackedBar', data: table });
}

export async function run({ origin, tables, named, stats, repeats }) {
  const navigationMs = performance.now(); // since this page's navigation started
  const urls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = String(input?.url ?? input);
    if (url.includes('/api/v1/tables/')) urls.push(new URL(url, location.href).href);
    return realFetch(input, init);
  };
  const { default: init, Lens } = await import(`${origin}/pkg/cohortlens.js`);
  const importedMs = performance.now();
  const wasm = await init();
  const initMs = performance.now();
  const arrowBytes = {};
  const t = performance.now();
  const lens = await Lens.open(origin, {
    tables,
    onProgress: (p) => { if (p.done) { arrowBytes[p.table] = p.bytes; console.log(`cohortlens loaded ${p.table}: ${p.rows} rows, ${(p.bytes / 2 ** 20).toFixed(1)} MiB of Arrow`); } },
  });
  const ingestMs = performance.now() - t;
  globalThis.fetch = realFetch;

  // Page open → first chart: the first definition's cohort, its Age × Sex table on a canvas.
  const first = lens.cohort(named[0].definition);
  drawChart(lens, first.statistics(stats[0].request));
  const firstResultMs = performance.now();
  first.free();

  const counts = [];
  for (const { name, definition } of named) {
    const r = await coldWarm(() => {
      const cohort = lens.cohort(definition);
      const shown = cohort.count();
      cohort.free();
      return shown.value;
    }, repeats);
    counts.push({ name, shown: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
  }
  const statistics = [];
  for (const { name, request } of stats) {
    const r = await coldWarm(() => {
      const cohort = lens.cohort(named[0].definition);
      const out = cohort.statistics(request);
      cohort.free();
      return out;
    }, repeats);
    statistics.push({ name, table: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
  }
  const loaded = lens.tables();
  const result = {
    ingestMs, urls, arrowBytes: Object.values(arrowBytes).reduce((a, b) => a + b, 0),
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
    tableBytes: loaded.reduce((n, x) => n + (x.memoryBytes ?? 0), 0),
    rows: loaded.reduce((n, x) => n + x.rows, 0),
    firstResultMs, navigationMs, importedMs, initMs,
    counts, statistics,
  };
  lens.free();
  return result;
}

/**
 * The stream URLs Lens.open fetches for `tables` (the columns it uses), without loading
 * anything: each table's request is recorded and refused. The peers fetch these same URLs.
 */
export async function probe({ origin, tables }) {
  const urls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = String(input?.url ?? input);
    if (!url.includes('/api/v1/tables/')) return realFetch(input, init);
    urls.push(new URL(url, location.href).href);
    return Promise.reject(new TypeError('probe: not loaded'));
  };
  try {
    const { default: init, Lens } = await import(`${origin}/pkg/cohortlens.js`);
    await init();
    for (const table of tables) await Lens.open(origin, { tables: [table] }).then((l) => l.free(), () => {});
  } finally {
    globalThis.fetch = realFetch;
  }
  return urls;
}

/**
 * Page open → first chart when only what Age × Sex needs is loaded: person, concept
 * and concept_ancestor, everyone aged 0–200 as the cohort.
 */
export async function firstMinimal({ origin, request }) {
  const { default: init, Lens } = await import(`${origin}/pkg/cohortlens.js`);
  await init();
  const lens = await Lens.open(origin, { tables: ['person', 'concept', 'concept_ancestor'] });
  const cohort = lens.cohort({ includes: [{ id: 'all', items: [{ id: 1, type: 'PERSON', searchParameters: [{ domain: 'PERSON', type: 'AGE',
    attributes: [{ name: 'AGE', operator: 'BETWEEN', operands: ['0', '200'] }] }] }] }], excludes: [] });
  const table = cohort.statistics(request);
  drawChart(lens, table);
  const ms = performance.now();
  const rows = table.rows.length;
  cohort.free();
  lens.free();
  return { ms, rows };
}
