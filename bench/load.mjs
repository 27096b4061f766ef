// Load and faults on loopback (`scripts/load`): a real `cohortlens serve --tokens --audit` over a
// synthetic dataset, driven by N concurrent clients. Phases, each bounded in count and time:
//   stream  N clients stream tables to the end: throughput, p50/p99 latency, errors, peak RSS
//   abort   N clients abort mid-stream: RSS back to its level before them, every stream slot freed
//   limits  catalog burst (429 after the burst), per-token stream cap, failed-auth block
//   sigterm streams in flight when SIGTERM arrives all finish; the server exits 0
// and the audit log holds one record per table request with the right outcome.
// Usage: node bench/load.mjs --data DIR [--clients 200] [--bin target/release/cohortlens]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    clients: { type: 'string', default: '200' },
    bin: { type: 'string', default: process.env.COHORTLENS_BIN ?? join(ROOT, 'target/release/cohortlens') },
  },
});
if (!args.data) {
  console.error('usage: node bench/load.mjs --data DIR [--clients 200] [--bin PATH]');
  process.exit(2);
}
const CLIENTS = Number(args.clients);
const TABLES = ['person', 'visit_occurrence', 'condition_occurrence', 'drug_exposure', 'measurement', 'observation'];
const END_OF_STREAM = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

const work = mkdtempSync(join(tmpdir(), 'cohortlens-load-'));
const tokensFile = join(work, 'tokens.json');
const auditFile = join(work, 'audit.jsonl');
// One token per 10 clients: the per-token cap (16) is not what this phase measures.
const tokens = Array.from({ length: Math.ceil(CLIENTS / 10) }, (_, i) =>
  execFileSync(args.bin, ['token', 'create', '--scope', 'registered', '--name', `load${i}`, '--tokens', tokensFile],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
const auth = (i) => ({ Authorization: `Bearer ${tokens[i % tokens.length]}` });

function startServer() {
  const child = spawn(args.bin, ['serve', '--data', args.data, '--addr', '127.0.0.1:0', '--tokens', tokensFile,
    '--audit', auditFile, '--max-streams', String(Math.max(256, CLIENTS + 20))],
  { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const match = line.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (!match) reject(new Error(`server did not start: ${line}`));
      else resolvePromise({ url: match[1], child, lines });
    });
  });
}

const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
const mb = (bytes) => (bytes / 1e6).toFixed(1);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Streams one table to the end; {ms, bytes, ok, error}. `abortAfter` chunks: abort instead. */
async function stream(url, table, headers, { abortAfter, slowMs } = {}) {
  const controller = new AbortController();
  const started = performance.now();
  try {
    const response = await fetch(`${url}/api/v1/tables/${table}`, { headers, signal: controller.signal });
    if (response.status !== 200) return { ok: false, error: `HTTP ${response.status}`, ms: performance.now() - started };
    const reader = response.body.getReader();
    let bytes = 0;
    let tail = [];
    for (let chunks = 0; ; chunks++) {
      if (abortAfter !== undefined && chunks >= abortAfter) {
        controller.abort();
        return { ok: true, aborted: true, bytes };
      }
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      tail = [...tail, ...value.subarray(Math.max(0, value.length - 8))].slice(-8);
      if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
    }
    const complete = tail.length === 8 && tail.every((b, i) => b === END_OF_STREAM[i]);
    return { ok: complete, error: complete ? undefined : 'no end-of-stream marker', bytes, ms: performance.now() - started };
  } catch (e) {
    return { ok: false, error: String(e.cause ?? e), ms: performance.now() - started };
  }
}

async function settle(pid, baseline, ms = 15_000) {
  const deadline = Date.now() + ms;
  let now = rss(pid);
  while (Date.now() < deadline && now > baseline * 1.1 + 8e6) {
    await new Promise((r) => setTimeout(r, 200));
    now = rss(pid);
  }
  return now;
}

const report = { clients: CLIENTS, data: args.data };
let { url, child } = await startServer();
try {
  // Warm-up: every table once, so the baseline includes the allocator's steady state.
  for (const table of TABLES) await stream(url, table, auth(0));
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rss(child.pid);
  report.baselineRssMB = Number(mb(baseline));

  console.log(`stream: ${CLIENTS} concurrent clients, tables ${TABLES.join(', ')}`);
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rss(child.pid)); }, 50);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => stream(url, TABLES[i % TABLES.length], auth(i))));
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const errors = results.filter((r) => !r.ok);
  const latencies = results.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);
  const bytes = results.reduce((s, r) => s + (r.bytes ?? 0), 0);
  Object.assign(report, {
    streamWallSeconds: Number(wall.toFixed(2)), streamedMB: Number(mb(bytes)),
    throughputMBps: Number((bytes / 1e6 / wall).toFixed(1)), streamsPerSecond: Number((CLIENTS / wall).toFixed(1)),
    p50ms: Math.round(quantile(latencies, 0.5)), p99ms: Math.round(quantile(latencies, 0.99)),
    errors: errors.length, peakRssMB: Number(mb(peak)),
  });
  console.log(`  ${mb(bytes)} MB in ${wall.toFixed(2)} s (${report.throughputMBps} MB/s), p50 ${report.p50ms} ms, ` +
    `p99 ${report.p99ms} ms, errors ${errors.length}, RSS ${mb(baseline)} → peak ${mb(peak)} MB`);
  check(errors.length === 0, `no errors (${errors.slice(0, 3).map((e) => e.error).join('; ')})`);

  // Once the streams have ended the server hands their memory back (it trims the heap when its
  // last stream ends, and idle blocking threads exit after 10 s): at most a quarter of what the
  // streams added at their peak stays (the allocator's fragmentation; without the trim, glibc's
  // per-thread arenas kept most of it). The abort phase then starts from that level.
  const steady = await settle(child.pid, baseline);
  report.afterStreamRssMB = Number(mb(steady));
  check(steady - baseline <= 0.25 * (peak - baseline),
    `RSS falls back after the streams: ${mb(baseline)} → peak ${mb(peak)} → ${mb(steady)} MB`);
  console.log(`abort: ${CLIENTS} clients abort mid-stream (measurement), RSS ${mb(steady)} MB after the streams`);
  peak = steady;
  const sampler2 = setInterval(() => { peak = Math.max(peak, rss(child.pid)); }, 50);
  const aborted = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
    stream(url, 'measurement', auth(i), { abortAfter: 1 + (i % 5) })));
  clearInterval(sampler2);
  const after = await settle(child.pid, steady);
  Object.assign(report, { abortPeakRssMB: Number(mb(peak)), afterAbortRssMB: Number(mb(after)) });
  console.log(`  RSS ${mb(steady)} → peak ${mb(peak)} → ${mb(after)} MB after the aborts`);
  check(aborted.every((r) => r.aborted), 'every client aborted mid-stream');
  check(after <= steady * 1.1 + 8e6, `RSS back to its level before the aborts (within 10 % + 8 MB): ${mb(after)} MB`);
  // Every slot freed: a full complement of one token's streams works again.
  await new Promise((r) => setTimeout(r, 1000));
  const again = await Promise.all(Array.from({ length: 16 }, (_, i) => stream(url, 'person', auth(0))));
  check(again.every((r) => r.ok), 'all 16 stream slots of one token usable after the aborts');

  console.log('limits');
  const catalog = [];
  for (let i = 0; i < 40; i++) catalog.push((await fetch(`${url}/api/v1/catalog`)).status);
  const okCatalog = catalog.filter((s) => s === 200).length;
  report.catalogBurst = { ok: okCatalog, limited: catalog.filter((s) => s === 429).length };
  check(okCatalog >= 30 && okCatalog <= 32 && catalog.includes(429), `catalog: ${okCatalog} of 40 then 429`);
  const held = await Promise.all(Array.from({ length: 17 }, () =>
    fetch(`${url}/api/v1/tables/measurement`, { headers: auth(1) })));
  const capped = held.map((r) => r.status);
  check(capped.filter((s) => s === 200).length === 16 && capped.includes(429), `17 streams on one token: ${capped.filter((s) => s === 429).length} refused with 429`);
  await Promise.all(held.map((r) => r.body?.cancel()));
  const guesses = [];
  let retryAfter = 0;
  for (let i = 0; i < 12; i++) {
    const response = await fetch(`${url}/api/v1/tables/person`, { headers: { Authorization: `Bearer clt_guess${i}` } });
    guesses.push(response.status);
    retryAfter = Number(response.headers.get('retry-after') ?? 0);
  }
  check(guesses.slice(0, 10).every((s) => s === 401) && guesses.slice(10).every((s) => s === 429), `bad tokens: ${guesses.join(' ')}`);
  // This address is blocked for failed authentications until Retry-After has passed.
  await new Promise((r) => setTimeout(r, (retryAfter + 1) * 1000));

  console.log('sigterm: 20 slow streams in flight');
  const inFlight = Array.from({ length: 20 }, (_, i) => stream(url, 'condition_occurrence', auth(i + 2), { slowMs: 2 }));
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const finished = await Promise.all(inFlight);
  const code = await exited;
  check(finished.every((r) => r.ok), `all 20 open streams finished after SIGTERM (${finished.filter((r) => !r.ok).length} cut)`);
  check(code === 0, `server exited with ${code}`);
  child = null;

  const records = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const outcomes = {};
  for (const r of records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  report.audit = { records: records.length, outcomes };
  const expected = TABLES.length + CLIENTS + CLIENTS + 16 + 17 + 12 + 20;
  check(records.length === expected, `audit log: ${records.length} records for ${expected} table requests`);
  check((outcomes.aborted ?? 0) >= CLIENTS, `audit log: ${outcomes.aborted} aborted`);
  check(records.every((r) => r.outcome !== 'complete' || r.token?.startsWith('load')), 'every complete stream names its token');
} finally {
  child?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
