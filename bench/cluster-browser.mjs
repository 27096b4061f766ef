// The browser's side of scripts/cluster (bench/cluster.py): one headless Chromium page on a running
// `cohortlens serve`, a lens in each of the modes asked for (server mode first: the wasm memory
// only grows, so its size after each open is that mode's peak), under the `suppress` policy
// (every count above 20 exact). Prints one JSON object: each mode's count labels of the
// definitions, full mode's statistics of the first cohort, server mode's Age × Sex of it, the
// times and the wasm memory; a mode that fails gives its error instead.
//   node bench/cluster-browser.mjs SPEC.json    (SPEC: {url, modes, definitions, statistics})
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route(`${spec.url}blank.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>cluster</title>' }));
  await page.goto(`${spec.url}blank.html`);
  const got = await page.evaluate(async ({ modes, definitions, statistics }) => {
    const { default: init, Lens } = await import('/pkg/cohortlens.js');
    const wasm = await init();
    const out = { openSeconds: {}, querySeconds: {}, wasmBytes: {} };
    const run = async (mode) => {
      let t = performance.now();
      const lens = await Lens.open(location.origin, { policy: 'suppress', mode });
      out.openSeconds[mode] = (performance.now() - t) / 1000;
      out.wasmBytes[mode] = wasm.memory.buffer.byteLength;
      if (lens.mode !== mode) throw new Error(`asked for ${mode} mode, got ${lens.mode}`);
      t = performance.now();
      const cohorts = [];
      for (const d of definitions) cohorts.push(await lens.query(d));
      const counts = cohorts.map((c) => c.count().label);
      out.querySeconds[mode] = (performance.now() - t) / 1000;
      out[mode] = { counts };
      if (mode === 'full') out.full.statistics = statistics.map((r) => cohorts[0].statistics(r));
      else out.server.ageBySex = cohorts[0].statistics(statistics.find((r) => r.kind === 'ageBySex'));
      for (const c of cohorts) c.free();
      lens.free();
    };
    for (const mode of modes) {
      try {
        await run(mode);
      } catch (e) {
        out[mode] = { error: `${e?.code ?? ''} ${e?.message ?? e}`.trim(), wasmBytes: wasm.memory.buffer.byteLength };
      }
    }
    return out;
  }, spec);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  process.stdout.write(JSON.stringify(got));
} finally {
  await browser.close();
}
