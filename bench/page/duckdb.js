// DuckDB-wasm in the page (EH bundle, in a Worker): the same Arrow IPC streams cohortlens
// fetched, inserted with insertArrowFromIPCStream into schema `ds`, the Workbench oracle's
// search tables built from them once in schema `wb` (as cohortlens builds its index once), then
// the oracle's cohort SQL for the five counts and the statistics SQL of bench/peers.py, cold and warm.
import { coldWarm, fetchArrow, tableOf } from './common.js';

export async function run({ assets, urls, sql, repeats }) {
  const duckdb = await import(`${assets}/duckdb-browser.mjs`);
  const dist = `${assets}/node_modules/@duckdb/duckdb-wasm/dist`;
  const workerUrl = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(`${dist}/duckdb-browser-eh.worker.js`)});`], { type: 'text/javascript' }));
  const worker = new Worker(workerUrl);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  try {
    let t = performance.now();
    await db.instantiate(`${dist}/duckdb-eh.wasm`);
    const conn = await db.connect();
    const instantiateMs = performance.now() - t;
    t = performance.now();
    let arrowBytes = 0;
    await conn.query(`CREATE SCHEMA ${sql.schema}`);
    for (const url of urls) {
      const bytes = await fetchArrow(url);
      arrowBytes += bytes.byteLength;
      await conn.insertArrowFromIPCStream(bytes, { schema: sql.schema, name: tableOf(url), create: true });
    }
    for (const statement of sql.build) await conn.query(statement);
    const ingestMs = performance.now() - t;
    const memory = (await conn.query('SELECT sum(memory_usage_bytes)::DOUBLE AS m FROM duckdb_memory()')).toArray()[0].m;
    const counts = [];
    for (const { name, sql: query } of sql.counts) {
      const r = await coldWarm(async () => Number((await conn.query(query)).toArray()[0].n), repeats);
      counts.push({ name, raw: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
    }
    const statistics = [];
    for (const { name, sql: query } of sql.stats) {
      const r = await coldWarm(async () => {
        const rows = (await conn.query(query)).toArray().map((row) => row.toJSON());
        return { rows: rows.map((row) => ({ labels: [...row.labels], count: Number(row.n) })), total: rows.length ? Number(rows[0].total) : 0 };
      }, repeats);
      statistics.push({ name, table: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
    }
    await conn.close();
    return { instantiateMs, ingestMs, arrowBytes, memoryBytes: memory, counts, statistics };
  } finally {
    await db.terminate().catch(() => {});
    worker.terminate();
  }
}
