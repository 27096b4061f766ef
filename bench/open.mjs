// Load benchmark (issue 15): how long a user waits for a dataset, and what crosses the wire.
//
// Per dataset and link, in headless Chromium (a fresh tab per engine; on loopback a Chromium with
// no DevTools domain enabled, bench/plain-chromium.mjs, as a user's browser is):
//   cohortlens   `open(origin, {mode: 'full'})` of www/cohortlens (the engine in its Worker),
//                every table of the catalog with the used columns — what a user's page does in
//                full mode — then a first count
//                (the first definition of bench/cohort-definitions.json); twice: first with the
//                server's stream cache emptied (every stream encoded from Parquet, and cached),
//                then again (every stream sent from the cache as it is).
//   fetch only   the browser's floor: a fresh page fetching the streams of the second open and
//                dropping them (no decoding), one after another as `Lens.open` fetches them.
//   DuckDB-wasm  the same Arrow streams (the URLs cohortlens fetched, from the same server, but
//                without LZ4-compressed bodies, which DuckDB-wasm does not read: plain Arrow, as
//                for any other client), fetched and inserted with insertArrowFromIPCStream, then `SELECT count(*) FROM
//                person`. Its instantiation is timed apart and left out of its load time.
//   DuckDB native (Python) the same columns of the same tables from the Parquet files into
//                tables (`CREATE TABLE … AS SELECT … FROM read_parquet(…)`), then the count.
// The server runs with --no-publish (publishing the public aggregates, which a load does not
// use, would first take minutes at 1M) and --no-stream-cache-warmup (so that the first open
// encodes every stream, as it would before the server has filled its cache). Links: loopback
// (the server sends table streams plain to loopback clients) and links throttled by Chromium's
// network emulation (CDP Network.emulateNetworkConditions through Playwright, 20 ms latency);
// for those the server runs with --compress-loopback, so it compresses as it would for a
// remote client. Measured: load time
// (to the loaded engine), time to first query, bytes on the wire (encodedBodySize of the table
// responses) and the JS heap after load (main thread and the engine's Worker, after a garbage
// collection; the worker's also before it).
//
// Usage: BENCH_PYTHON=.venv/bin/python node bench/open.mjs [--links loopback,100,20] DATASET_DIR ...
// (or scripts/bench open [PERSONS ...]; BENCH_LINKS sets the links). Not part of scripts/test.
// Prints one Markdown table per dataset and a final JSON line of every figure.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { serve, ROOT } from '../tests/e2e/harness.mjs';
import { launchPlain } from './plain-chromium.mjs';

const { values: args, positionals: dirs } = parseArgs({
  options: { links: { type: 'string', default: process.env.BENCH_LINKS ?? 'loopback,100,20' } },
  allowPositionals: true,
});
const LINKS = args.links.split(',').map((l) => (l === 'loopback' ? null : Number(l)));
const PYTHON = process.env.BENCH_PYTHON ?? join(ROOT, '.venv/bin/python');
const DEFINITION = JSON.parse(readFileSync(join(ROOT, 'bench/cohort-definitions.json'), 'utf8'))[0].definition;
const log = (...a) => console.error(...a);
const MiB = (b) => (b / 2 ** 20).toFixed(1);
const secs = (ms) => (ms == null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

/** The Chromium flags of every run: --expose-gc and precise memory figures for the heaps. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info',
  '--js-flags=--expose-gc --max-old-space-size=8192'];

/**
 * The two browsers, each giving fresh tabs with one interface (`evaluate(fn, arg)`,
 * `workerEvaluate(fn)`, `mainHeap()`, `workerHeaps()`, `close()`): on loopback a plain Chromium
 * with no DevTools domain enabled (bench/plain-chromium.mjs), the browser a user has; on an
 * emulated link Playwright's, since the emulation is a DevTools call (`Network.enable` and
 * `Network.emulateNetworkConditions`, 20 ms latency; it throttles the Worker's fetches too).
 */
async function browsers() {
  const plain = await launchPlain(CHROMIUM_ARGS);
  const playwright = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    async freshPage(origin, mbit) {
      const url = new URL('api/v1/catalog', origin).href;
      if (!mbit) return plain.newPage(url);
      const page = await playwright.newPage({ bypassCSP: true });
      page.on('pageerror', (e) => log(`  page error: ${e.message}`));
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      const bytesPerSecond = (mbit * 1e6) / 8;
      await cdp.send('Network.emulateNetworkConditions',
        { offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
      await page.goto(url);
      return {
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        workerEvaluate: (fn) => page.workers()[0].evaluate(fn),
        async mainHeap() {
          await cdp.send('HeapProfiler.collectGarbage');
          return (await cdp.send('Runtime.getHeapUsage')).usedSize;
        },
        workerHeaps: () => workerHeaps(playwright),
        close: () => page.close(),
      };
    },
    async close() {
      await Promise.all([plain.close(), playwright.close()]);
    },
  };
}

/**
 * The JS heap of every dedicated worker of Playwright's browser, in bytes, before and after a garbage
 * collection (`{before, after}`):
 * each worker target is attached through the browser's CDP session (unflattened, so its
 * commands travel inside Target.sendMessageToTarget).
 */
async function workerHeaps(browser) {
  const session = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await session.send('Target.getTargets');
    const heaps = [];
    for (const target of targetInfos.filter((t) => t.type === 'worker')) {
      const { sessionId } = await session.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
      let id = 0;
      const call = (method, params = {}) => new Promise((resolve, reject) => {
        const mine = ++id;
        const onMessage = (e) => {
          if (e.sessionId !== sessionId) return;
          const message = JSON.parse(e.message);
          if (message.id !== mine) return;
          session.off('Target.receivedMessageFromTarget', onMessage);
          if (message.error) reject(new Error(message.error.message));
          else resolve(message.result);
        };
        session.on('Target.receivedMessageFromTarget', onMessage);
        session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: mine, method, params }) }).catch(reject);
      });
      const before = (await call('Runtime.getHeapUsage')).usedSize;
      await call('HeapProfiler.collectGarbage');
      heaps.push({ before, after: (await call('Runtime.getHeapUsage')).usedSize });
      await session.send('Target.detachFromTarget', { sessionId });
    }
    return heaps;
  } finally {
    await session.detach();
  }
}

/** cohortlens: open every table (used columns), then the first count. */
async function runCohortlens(browsers, origin, mbit) {
  const page = await browsers.freshPage(origin, mbit);
  try {
    const r = await page.evaluate(async ({ definition }) => {
      const { open } = await import('/cohortlens/index.js');
      const t0 = performance.now();
      // Full mode: every table into the browser. At 1M, 'auto' would choose server mode (the
      // catalog's rows exceed the memory the browser gives) and load four tables only.
      const lens = await open(location.origin, { mode: 'full' });
      const loadMs = performance.now() - t0;
      const count = await lens.count(definition);
      const firstQueryMs = performance.now() - t0;
      globalThis.benchLens = lens; // kept open while the heap is measured
      return { loadMs, firstQueryMs, count: count.value ?? count };
    }, { definition: DEFINITION });
    const inWorker = await page.workerEvaluate(() => {
      const tables = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/tables/'));
      return {
        urls: tables.map((e) => e.name),
        wireBytes: tables.reduce((s, e) => s + e.encodedBodySize, 0),
        bodyBytes: tables.reduce((s, e) => s + e.decodedBodySize, 0),
      };
    });
    const [heap = {}] = await page.workerHeaps().catch((e) => { log(`  worker heap: ${e.message}`); return []; });
    return { ...r, ...inWorker, workerHeap: heap.after ?? null, workerHeapBeforeGc: heap.before ?? null, mainHeap: await page.mainHeap() };
  } finally {
    await page.close();
  }
}

/**
 * The browser's floor: a fresh page fetching the same table streams `Lens.open` fetched (from
 * the server's cache), one after another as it does, and dropping every chunk it reads: how long
 * the browser alone takes to hand these bytes to a page, with no decoding.
 */
async function runFetchOnly(browsers, origin, mbit, urls) {
  const page = await browsers.freshPage(origin, mbit);
  try {
    return await page.evaluate(async (urls) => {
      const t0 = performance.now();
      let bodyBytes = 0;
      for (const url of urls) {
        const reader = (await fetch(url)).body.getReader();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bodyBytes += chunk.value.length;
      }
      return { loadMs: performance.now() - t0, bodyBytes };
    }, urls);
  } finally {
    await page.close();
  }
}

/** DuckDB-wasm: instantiate (timed apart), then fetch and insert every stream, then a count. */
async function runDuckdbWasm(browsers, origin, mbit, urls, bundle) {
  const page = await browsers.freshPage(origin, mbit);
  try {
    const r = await page.evaluate(async ({ urls, bundle }) => {
      const duckdb = await import(`${bundle}/duckdb-browser.mjs`);
      const workerUrl = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(`${bundle}/duckdb-browser-eh.worker.js`)});`], { type: 'text/javascript' }));
      const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), new Worker(workerUrl));
      let t = performance.now();
      await db.instantiate(`${bundle}/duckdb-eh.wasm`);
      const conn = await db.connect();
      const instantiateMs = performance.now() - t;
      t = performance.now();
      for (const url of urls) {
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const name = new URL(url).pathname.split('/').pop();
        await conn.insertArrowFromIPCStream(bytes, { name, create: true });
      }
      const loadMs = performance.now() - t;
      const n = Number((await conn.query('SELECT count(*) AS n FROM person')).toArray()[0].n);
      const firstQueryMs = performance.now() - t;
      globalThis.benchDb = { db, conn };
      const tables = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/tables/'));
      return { instantiateMs, loadMs, firstQueryMs, persons: n, wireBytes: tables.reduce((s, e) => s + e.encodedBodySize, 0) };
    }, { urls, bundle });
    const heaps = await page.workerHeaps().catch(() => []);
    const sum = (key) => (heaps.length ? heaps.reduce((a, h) => a + h[key], 0) : null);
    return { ...r, mainHeap: await page.mainHeap(), workerHeap: sum('after'), workerHeapBeforeGc: sum('before') };
  } finally {
    await page.close();
  }
}

/** Native DuckDB: the same columns of the same tables from Parquet into tables, then a count. */
function runDuckdbNative(dir, urls) {
  const tables = urls.map((u) => {
    const url = new URL(u);
    return { name: url.pathname.split('/').pop(), columns: url.searchParams.get('columns')?.split(',') ?? null };
  });
  const script = `
import duckdb, json, sys, time
dir, tables = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
t = time.perf_counter()
for t_ in tables:
    cols = ', '.join('"%s"' % c for c in t_['columns']) if t_['columns'] else '*'
    con.execute("CREATE TABLE \\"%s\\" AS SELECT %s FROM read_parquet('%s/%s.parquet')" % (t_['name'], cols, dir, t_['name']))
load = time.perf_counter() - t
n = con.execute('SELECT count(*) FROM person').fetchone()[0]
first = time.perf_counter() - t
print(json.dumps({'loadMs': load * 1000, 'firstQueryMs': first * 1000, 'persons': n}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, dir, JSON.stringify(tables)], { encoding: 'utf8' }).trim().split('\n').pop());
}

/**
 * The DuckDB-wasm bundle, served from a second loopback port (CORS open, so the page on the
 * cohortlens server's origin may import it): duckdb-browser.mjs importing apache-arrow 17 (its
 * build dependency) from its UMD build, and the dist files. Resolves to `{ url, close() }`.
 */
function serveDuckdbBundle() {
  const dist = join(ROOT, 'node_modules/@duckdb/duckdb-wasm/dist');
  const arrow17 = join(ROOT, 'node_modules/@duckdb/duckdb-wasm/node_modules/apache-arrow/Arrow.es2015.min.js');
  const keys = Object.keys(createRequire(import.meta.url)(arrow17)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
  const made = {
    '/arrow17.mjs': `const module = { exports: {} }; const exports = module.exports;\n${readFileSync(arrow17, 'utf8')}\nexport const { ${keys.join(', ')} } = module.exports;\n`,
    '/duckdb-browser.mjs': readFileSync(join(dist, 'duckdb-browser.mjs'), 'utf8').replaceAll('from"apache-arrow"', 'from"./arrow17.mjs"'),
  };
  const files = ['duckdb-browser-eh.worker.js', 'duckdb-eh.wasm'];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const name = path.slice(1);
    const body = made[path] ?? (files.includes(name) ? readFileSync(join(dist, name)) : null);
    if (body == null) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'access-control-allow-origin': '*',
      'content-type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
    }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => server.close(),
  })));
}

const pages = await browsers();
const bundle = await serveDuckdbBundle();
const figures = [];
try {
  for (const dir of dirs) {
    const persons = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).name.match(/synthetic-(\d+)/)?.[1] ?? dir;
    for (const mbit of LINKS) {
      const link = mbit ? `${mbit} Mbit/s` : 'loopback';
      rmSync(join(dir, 'stream-cache'), { recursive: true, force: true });
      const server = await serve(dir, ['--no-publish', '--no-stream-cache-warmup', ...(mbit ? ['--compress-loopback'] : [])]);
      const origin = server.url;
      const row = { persons, link };
      try {
        log(`${persons} persons, ${link}: cohortlens`);
        row.cohortlens = await runCohortlens(pages, origin, mbit);
        log(`  ${JSON.stringify({ ...row.cohortlens, urls: row.cohortlens.urls.length })}`);
        log(`${persons} persons, ${link}: cohortlens again (cached streams)`);
        row.cached = await runCohortlens(pages, origin, mbit);
        log(`  ${JSON.stringify({ ...row.cached, urls: row.cached.urls.length })}`);
        log(`${persons} persons, ${link}: the same streams fetched, not decoded`);
        row.fetchOnly = await runFetchOnly(pages, origin, mbit, row.cached.urls);
        log(`  ${JSON.stringify(row.fetchOnly)}`);
        log(`${persons} persons, ${link}: DuckDB-wasm`);
        try {
          const plain = row.cohortlens.urls.map((u) => {
            const url = new URL(u);
            url.searchParams.delete('compression');
            return url.href;
          });
          row.duckdbWasm = await runDuckdbWasm(pages, origin, mbit, plain, bundle.url);
        } catch (e) {
          row.duckdbWasm = { failed: e.message.split('\n')[0] };
        }
        log(`  ${JSON.stringify(row.duckdbWasm)}`);
        if (!mbit) {
          log(`${persons} persons: DuckDB native`);
          row.duckdbNative = runDuckdbNative(dir, row.cohortlens.urls);
          log(`  ${JSON.stringify(row.duckdbNative)}`);
        }
      } finally {
        server.stop();
      }
      figures.push(row);
    }
  }
} finally {
  await pages.close();
  bundle.close();
}

for (const row of figures) {
  delete row.cohortlens?.urls;
  delete row.cached?.urls;
}
console.log('\n| persons | link | engine | load | first query | on the wire | JS heap after load |');
console.log('|---|---|---|---|---|---|---|');
const cohortlensRow = (persons, link, engine, c) =>
  console.log(`| ${persons} | ${link} | ${engine} | ${secs(c.loadMs)} | ${secs(c.firstQueryMs)} | ${MiB(c.wireBytes)} MiB (${MiB(c.bodyBytes)} MiB of LZ4-compressed Arrow stream) | ${MiB(c.mainHeap)} MiB page + ${c.workerHeap == null ? 'n/a' : `${MiB(c.workerHeap)} MiB`} worker (${c.workerHeapBeforeGc == null ? 'n/a' : MiB(c.workerHeapBeforeGc)} MiB before GC) |`);
for (const { persons, link, cohortlens: c, cached, fetchOnly: f, duckdbWasm: w, duckdbNative: n } of figures) {
  cohortlensRow(persons, link, 'cohortlens, first open', c);
  cohortlensRow(persons, link, 'cohortlens, cached streams', cached);
  console.log(`| ${persons} | ${link} | (the browser fetching the same streams, not decoding them) | ${secs(f.loadMs)} | | ${MiB(f.bodyBytes)} MiB | |`);
  if (w.failed) console.log(`| ${persons} | ${link} | DuckDB-wasm | failed: ${w.failed} | | | |`);
  else console.log(`| ${persons} | ${link} | DuckDB-wasm | ${secs(w.loadMs)} (+ ${secs(w.instantiateMs)} instantiation) | ${secs(w.firstQueryMs)} | ${MiB(w.wireBytes)} MiB | ${MiB(w.mainHeap)} MiB page + ${w.workerHeap == null ? 'n/a' : `${MiB(w.workerHeap)} MiB`} worker (${w.workerHeapBeforeGc == null ? 'n/a' : MiB(w.workerHeapBeforeGc)} MiB before GC) |`);
  if (n) console.log(`| ${persons} | ${link} | DuckDB native | ${secs(n.loadMs)} | ${secs(n.firstQueryMs)} | (local Parquet) | |`);
}
console.log(JSON.stringify(figures));
