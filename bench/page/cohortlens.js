// cohortlens in the page: Lens.open (ingest), the five counts and the three statistics, cold
// and warm; the wasm memory against the Arrow bytes; page open → first chart (or first table).
import { coldWarm } from './common.js';

export async function run({ origin, tables, named, stats, repeats }) {
  const navigationMs = performance.now(); // since this page's navigation started
  const urls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = String(input?.url ?? input);
    if (url.includes('/api/v1/tables/')) urls.push(new URL(url, location.href).href);
    return realFetch(input, init);
  };
  const { default: init, Lens, Cohort } = await import(`${origin}/pkg/cohortlens.js`);
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

  // Page open → first chart: the first definition's cohort, its Age × Sex table, and the
  // chart of it if this build has one; else the table (the JSON says which).
  const first = lens.cohort(named[0].definition);
  const table = first.statistics(stats[0].request);
  const chartMethods = [...Object.getOwnPropertyNames(Lens.prototype).map((m) => ['lens', m]),
    ...Object.getOwnPropertyNames(Cohort.prototype).map((m) => ['cohort', m])].filter(([, m]) => /chart/i.test(m));
  let firstChart = null;
  for (const [owner, m] of chartMethods) {
    for (const args of [[stats[0].request], [table]]) {
      try {
        const out = (owner === 'lens' ? lens : first)[m](...args);
        if (out) { firstChart = `${owner}.${m}(${args[0] === table ? 'table' : 'request'})`; break; }
      } catch { /* try the next form */ }
    }
    if (firstChart) break;
  }
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
    firstResultMs, navigationMs, importedMs, initMs, firstChart, chartMethods: chartMethods.map(([o, m]) => `${o}.${m}`),
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
 * Page open → first table (or chart) when only what Age × Sex needs is loaded: person, concept
 * and concept_ancestor, everyone aged 0–200 as the cohort.
 */
export async function firstMinimal({ origin, request }) {
  const { default: init, Lens } = await import(`${origin}/pkg/cohortlens.js`);
  await init();
  const lens = await Lens.open(origin, { tables: ['person', 'concept', 'concept_ancestor'] });
  const cohort = lens.cohort({ includes: [{ id: 'all', items: [{ id: 1, type: 'PERSON', searchParameters: [{ domain: 'PERSON', type: 'AGE',
    attributes: [{ name: 'AGE', operator: 'BETWEEN', operands: ['0', '200'] }] }] }] }], excludes: [] });
  const table = cohort.statistics(request);
  let chart = null;
  for (const m of Object.getOwnPropertyNames(Object.getPrototypeOf(lens)).filter((x) => /chart/i.test(x))) {
    try { if (lens[m](table)) { chart = `lens.${m}(table)`; break; } } catch { /* not this form */ }
  }
  const ms = performance.now();
  const rows = table.rows.length;
  cohort.free();
  lens.free();
  return { ms, rows, chart };
}
