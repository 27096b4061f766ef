// A page on another origin (a second loopback port, as a notebook or tutorial hosted elsewhere
// would be) opens a dataset served by cohortlens: without `serve --allow-origin` the browser
// refuses the answers and Lens.open says so and what to do; with it, the dataset loads. The
// other origin serves its own copy of the client (www/ and pkg/), as such a host would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { ROOT, browser, generate, page, serve } from './harness.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

/** A plain static server for www/ and pkg/ on a free loopback port: the other origin. */
function otherOrigin() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = path.startsWith('/pkg/') ? join(ROOT, path) : join(ROOT, 'www', path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() });
  }));
}

/** Opens the dataset at `dataUrl` from a page of `pageUrl`'s origin; resolves to the outcome. */
async function openFrom(chromium, pageUrl, dataUrl) {
  const errors = [];
  const p = await page(chromium, errors);
  await p.goto(pageUrl);
  const outcome = await p.evaluate(async (url) => {
    const { open } = await import('/cohortlens/index.js');
    try {
      const lens = await open(url, { tables: ['concept', 'concept_ancestor', 'person'] });
      const tables = await lens.tables();
      lens.close();
      return { ok: true, tables: tables.map((t) => [t.name, t.rows]) };
    } catch (e) {
      return { ok: false, code: e.code, message: e.message };
    }
  }, dataUrl);
  await p.close();
  return outcome;
}

const f = {};
before(async () => {
  f.dataset = generate(500);
  f.other = await otherOrigin();
  f.chromium = await browser();
});
after(async () => {
  await f.chromium?.close();
  f.other?.close();
  f.dataset?.remove();
});

test('without --allow-origin, Lens.open from another origin names CORS and the flag to pass', async () => {
  const server = await serve(f.dataset.out);
  try {
    const outcome = await openFrom(f.chromium, f.other.url, server.url);
    const origin = f.other.url.replace(/\/$/, '');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.code, 'cross_origin', outcome.message);
    assert.match(outcome.message, new RegExp(`is running but does not allow pages of ${origin}`));
    assert.ok(outcome.message.includes(`cohortlens serve --allow-origin ${origin}`), outcome.message);
    assert.doesNotMatch(outcome.message, /check that the cohortlens server is running/);
  } finally {
    server.stop();
  }
});

test('a server that is not running is still reported as unreachable', async () => {
  const server = await serve(f.dataset.out);
  server.stop();
  await new Promise((r) => setTimeout(r, 500));
  const outcome = await openFrom(f.chromium, f.other.url, server.url);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.code, 'network', outcome.message);
});

test('with --allow-origin, the other origin loads the dataset; other origins stay refused', async () => {
  const origin = f.other.url.replace(/\/$/, '');
  const server = await serve(f.dataset.out, ['--allow-origin', 'http://127.0.0.1:9', '--allow-origin', origin]);
  try {
    const outcome = await openFrom(f.chromium, f.other.url, server.url);
    assert.equal(outcome.ok, true, outcome.message);
    const catalog = await (await fetch(new URL('api/v1/catalog', server.url))).json();
    const rows = Object.fromEntries(catalog.tables.map((t) => [t.name, t.rows]));
    for (const [name, n] of outcome.tables) assert.equal(n, rows[name], name);
    assert.deepEqual(outcome.tables.map(([name]) => name).sort(), ['concept', 'concept_ancestor', 'person']);

    // Preflight of a request with a token: the Authorization header is allowed for the origin only.
    const preflight = (from) => fetch(new URL('api/v1/tables/person', server.url), {
      method: 'OPTIONS',
      headers: { Origin: from, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    const allowed = await preflight(origin);
    assert.equal(allowed.headers.get('access-control-allow-origin'), origin);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    const refused = await preflight('http://127.0.0.1:1');
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    // The public API stays open to every origin.
    const open = await fetch(new URL('api/public/v1/anything', server.url), { headers: { Origin: 'http://127.0.0.1:1' } });
    assert.equal(open.headers.get('access-control-allow-origin'), '*');
    assert.match((await fetch(server.url)).headers.get('content-security-policy'), /connect-src 'self'/);
  } finally {
    server.stop();
  }
});
