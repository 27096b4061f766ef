// The notebook page's dataset panel, served from the release build (wasm-opt applied): every
// table of the dataset streams in through the engine worker with a progress bar and a row per
// table; cancel, broken streams, a server that goes away mid-load, a refused token and a wasm
// trap (out of memory) show clear states with Load again / Retry. Screenshots go to test-output/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { BIN, ROOT, page, screenshotPath, servedDataset } from './harness.mjs';

const served = servedDataset(3000);

test('every table loads with the row count of the catalog, and no console errors', async () => {
  const errors = [];
  const p = await page(served.chromium, errors);
  const progress = [];
  await p.exposeFunction('recordProgress', (v) => progress.push(v));
  await p.addInitScript(() => {
    // Sample the progress bar while loading, to see it move.
    const tick = () => {
      const bar = document.getElementById('progress');
      if (bar) window.recordProgress(bar.value / bar.max);
      if (document.body?.dataset.state !== 'ready') requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const catalog = await (await fetch(new URL('api/v1/catalog', served.server.url))).json();
  assert.ok(catalog.tables.length >= 14);
  for (const t of catalog.tables) {
    const row = p.locator(`tr[data-table="${t.name}"]`);
    assert.equal(await row.getAttribute('data-status'), 'loaded', t.name);
    const shown = (await row.locator('td.num').textContent()).split('/').map((s) => Number(s.replace(/,/g, '')));
    assert.deepEqual(shown, [t.rows, t.rows], t.name);
  }
  const summary = await p.locator('#progress-text').textContent();
  const total = catalog.tables.reduce((n, t) => n + t.rows, 0);
  assert.match(summary, new RegExp(`Loaded ${catalog.tables.length} tables, ${total.toLocaleString('en-US')} rows`));
  assert.ok(progress.some((v) => v > 0 && v < 1), `the progress bar never showed partial progress: ${progress.slice(0, 20)}`);
  await p.screenshot({ path: screenshotPath('loader-ready'), fullPage: true });
  assert.deepEqual(errors, []);
  await p.close();
});

test('cancel stops a load and offers to load again', async () => {
  const errors = [];
  const p = await page(served.chromium, errors);
  // Hold the measurement stream so there is time to press Cancel.
  await p.route(/\/api\/v1\/tables\/measurement(\?|$)/, (route) => setTimeout(() => route.continue().catch(() => {}), 10_000));
  await p.goto(served.server.url);
  await p.waitForSelector('tr[data-table="measurement"][data-status="waiting"]');
  await p.waitForFunction(() => document.querySelector('tr[data-table="observation_period"]')?.dataset.status === 'loaded');
  await p.click('#cancel');
  await p.waitForSelector('body[data-state="cancelled"]', { timeout: 10_000 });
  assert.equal(await p.locator('#progress-text').textContent(), 'Cancelled.');
  assert.ok(await p.locator('#reload').isVisible());
  assert.ok(await p.locator('#error').isHidden());
  await p.screenshot({ path: screenshotPath('loader-cancelled'), fullPage: true });
  await p.unroute('**/api/v1/tables/measurement');
  await p.click('#reload');
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  await p.close();
});

test('a truncated stream is an error that names the table', async () => {
  const p = await page(served.chromium, []);
  await p.route(/\/api\/v1\/tables\/drug_exposure(\?|$)/, async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    await route.fulfill({ response, body: body.subarray(0, Math.floor(body.length * 0.6)) });
  });
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
  const message = await p.locator('#error').textContent();
  assert.match(message, /table drug_exposure/);
  assert.match(message, /cut off/);
  await p.screenshot({ path: screenshotPath('loader-truncated'), fullPage: true });
  await p.close();
});

test('a server error is shown with the server\'s message', async () => {
  const p = await page(served.chromium, []);
  await p.route(/\/api\/v1\/tables\/person(\?|$)/, (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'unavailable', message: 'the dataset is being replaced' } }),
  }));
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
  assert.match(await p.locator('#error').textContent(), /HTTP 503: the dataset is being replaced/);
  await p.close();
});

test('a wasm trap mid-load (out of memory) is an error, not a hang', async () => {
  const p = await page(served.chromium, []);
  // A stand-in for the wasm module whose Lens.open traps the way an exhausted 4 GiB memory
  // does: the RuntimeError escapes in a later task and the promise never settles.
  await p.route(/\/pkg\/cohortlens\.js$/, (route) => route.fulfill({
    contentType: 'text/javascript',
    body: `export default async function init() {}
      export const Lens = { open: () => new Promise(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); })) };`,
  }));
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
  assert.match(await p.locator('#error').textContent(), /out of memory: WebAssembly may use at most 4 GiB/);
  await p.close();
});

test('closing a lens rejects the calls still pending with code closed, instead of leaving them pending', async () => {
  const errors = [];
  const p = await page(served.chromium, errors);
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const got = await p.evaluate(async () => {
    const { open } = await import('/cohortlens/index.js');
    const lens = await open(location.href);
    const settled = (promise) => Promise.race([
      promise.then(() => 'resolved', (e) => e.code),
      new Promise((resolve) => setTimeout(() => resolve('still pending after 10 s'), 10_000)),
    ]);
    // The worker cannot answer before close(): this task posts the call and then terminates it.
    const pending = lens.count({ includes: [] });
    lens.close();
    return { pending: await settled(pending), later: await settled(lens.tables()) };
  });
  assert.deepEqual(got, { pending: 'closed', later: 'closed' });
  assert.deepEqual(errors, []);
  await p.close();
});

test('a wasm trap that rejects a promise nothing awaits is an error too, not a hang', async () => {
  const p = await page(served.chromium, []);
  await p.route(/\/pkg\/cohortlens\.js$/, (route) => route.fulfill({
    contentType: 'text/javascript',
    body: `export default async function init() {}
      export const Lens = { open: () => {
        Promise.reject(new WebAssembly.RuntimeError('unreachable'));
        return new Promise(() => {});
      } };`,
  }));
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
  assert.match(await p.locator('#error').textContent(), /more memory than the browser gives WebAssembly \(4 GiB\)/);
  await p.close();
});

test('a server that goes away mid-load is an error with Retry, and Retry loads', async () => {
  const p = await page(served.chromium, []);
  await p.route(/\/api\/v1\/tables\/measurement(\?|$)/, (route) => route.abort('connectionreset'));
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
  assert.match(await p.locator('#error').textContent(), /measurement/);
  assert.equal(await p.locator('#reload').textContent(), 'Retry');
  // No cell ran on the half-loaded dataset: they say the dataset did not load.
  await p.waitForFunction(() => [...document.querySelectorAll('#cells > li.cell[data-kind="cohort"]')]
    .every((c) => c.dataset.status === 'error' && /did not load/.test(c.textContent)));
  assert.equal(await p.locator('.cohort-result').count(), 0);
  await p.screenshot({ path: screenshotPath('loader-server-gone'), fullPage: true });
  await p.unroute(/\/api\/v1\/tables\/measurement(\?|$)/);
  await p.click('#reload');
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  await p.waitForSelector('#cells > li.cell[data-kind="cohort"][data-status="done"]');
  await p.close();
});

/** A free loopback port (the OS picks it). */
function freePort() {
  return new Promise((resolvePort) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** `cohortlens serve` of `data` on `port`; resolves to the child process once it listens. */
function serveOn(data, port) {
  const child = spawn(BIN, ['serve', '--data', data, '--addr', `127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolveChild, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) =>
      (line.includes(`127.0.0.1:${port}/`) ? resolveChild(child) : reject(new Error(`server did not start: ${line}`))));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

test('the real server killed mid-load: an error with Retry, no cell runs on the half-loaded dataset; Retry loads once it is back', async () => {
  const port = await freePort();
  let server = await serveOn(served.dataset.out, port);
  const p = await page(served.chromium, []);
  try {
    // When the measurement stream is asked for, the server process dies (SIGKILL): streams in
    // flight are cut, later requests are refused.
    await p.route(/\/api\/v1\/tables\/measurement(\?|$)/, async (route) => {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGKILL');
        await exited;
      }
      await route.continue().catch(() => {});
    });
    await p.goto(`http://127.0.0.1:${port}/`);
    await p.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
    // The first table to fail is named (the one refused, or one cut mid-stream by the kill).
    assert.match(await p.locator('#error').textContent(), /table \w+: .*(cohortlens server is running|cut off)/);
    assert.equal(await p.locator('#reload').textContent(), 'Retry');
    await p.waitForFunction(() => [...document.querySelectorAll('#cells > li.cell[data-kind="cohort"]')]
      .every((c) => c.dataset.status === 'error' && /did not load/.test(c.textContent)));
    assert.equal(await p.locator('.cohort-result').count(), 0);
    assert.ok(await p.locator('tr[data-table="measurement"]:not([data-status="loaded"])').count() === 1);
    await p.unrouteAll();
    server = await serveOn(served.dataset.out, port);
    await p.click('#reload');
    await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    await p.waitForSelector('#cells > li.cell[data-kind="cohort"][data-status="done"]');
    assert.ok(await p.locator('.cohort-result').count() > 0);
  } finally {
    await p.close();
    server.kill('SIGKILL');
  }
});

test('a refused token (HTTP 401) asks to sign in; the token goes in the Authorization header, never the URL', async () => {
  const p = await page(served.chromium, []);
  const seen = [];
  let refuse = true;
  await p.route(/\/api\/v1\/catalog$/, async (route) => {
    const auth = route.request().headers().authorization;
    seen.push({ url: route.request().url(), auth });
    // Until a token was given, the server refuses. (The page's own catalog request carries the
    // token; the engine's requests carry it once the wasm Lens.open takes `token`.)
    if (refuse && auth !== 'Bearer s3cret') {
      await route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unauthorized', message: 'a token is required' } }) });
    } else {
      await route.continue();
    }
  });
  await p.goto(served.server.url);
  await p.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
  assert.match(await p.locator('#error').textContent(), /HTTP 401: a token is required.*Access token/);
  assert.equal(await p.locator('#reload').textContent(), 'Retry');
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'token');
  await p.screenshot({ path: screenshotPath('loader-unauthorized'), fullPage: true });
  refuse = false;
  await p.fill('#token', 's3cret');
  await p.press('#token', 'Enter');
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  assert.ok(seen.some((s) => s.auth === 'Bearer s3cret'), 'the catalog request after sign-in carries the token');
  assert.ok(seen.every((s) => !s.url.includes('s3cret')));
  assert.ok(!(await p.evaluate(() => location.href)).includes('s3cret'));
  assert.equal(await p.evaluate(() => localStorage.getItem('cohortlens.token')), null);
  assert.equal(await p.evaluate(() => sessionStorage.getItem('cohortlens.token')), 's3cret');
  await p.close();
});
