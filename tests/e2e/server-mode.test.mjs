// Server mode (docs/scaling.md, "Server mode") against full mode, in one page over one real server
// on loopback: the synthetic 10k dataset (seed 42), every hand-written case and seeded random
// definitions (tests/python/export_browser_cases.py, with the DuckDB Workbench oracle's counts).
// For each definition, the count and every statistic of persons from a lens in server mode
// (DataFusion in the server computes the person set, the wasm engine the rest) must equal full
// mode's exactly, and the count must be the oracle's. Then what server mode refuses, what `auto`
// picks, and the notebook showing which mode answered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, browser, generate, page, screenshotPath, serve } from './harness.mjs';

const PYTHON = process.env.COHORTLENS_PYTHON ?? join(ROOT, '.venv/bin/python');
const SEED = 20251122;
const RANDOM = 120;
const THRESHOLD = 20; // the suppress policy withholds 1..=THRESHOLD

/** Every statistic server mode computes (those of the `person` table), as full mode does. */
const PERSON_STATISTICS = [
  { kind: 'sexAtBirth' },
  { kind: 'gender' },
  { kind: 'race' },
  { kind: 'ethnicity' },
  { kind: 'age', bands: 'dataBrowser' },
  { kind: 'ageBySex', bands: 'dataBrowser' },
  { kind: 'ageByGender', bands: 'cohortBuilder' },
];

let work, dataset, server, chromium, cases;

before(async () => {
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON}: run scripts/test (it creates .venv)`);
  work = mkdtempSync(join(tmpdir(), 'cohortlens-server-mode-'));
  dataset = generate(10_000, 42);
  const file = join(work, 'cases.json');
  await promisify(execFile)(PYTHON, ['tests/python/export_browser_cases.py', '--data', dataset.out,
    '--kind', 'synthetic', '--random', String(RANDOM), '--seed', String(SEED), '--out', file],
  { cwd: ROOT, maxBuffer: 64 << 20 });
  cases = JSON.parse(readFileSync(file, 'utf8')).cases;
  [server, chromium] = await Promise.all([serve(dataset.out), browser()]);
});

after(async () => {
  await chromium?.close();
  server?.stop();
  dataset?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A blank page on the server's origin (module and API same-origin), with console errors kept. */
async function blankPage(errors) {
  const p = await page(chromium, errors);
  await p.route(`${server.url}blank.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>server mode</title>' }));
  await p.goto(`${server.url}blank.html`);
  return p;
}

test('server mode gives full mode\'s counts and statistics of persons, and the oracle\'s counts', async (t) => {
  const errors = [];
  const p = await blankPage(errors);
  const definitions = cases.map((c) => c.definition);
  const answer = await p.evaluate(async ({ definitions, statistics }) => {
    const { default: init, Lens } = await import('/pkg/cohortlens.js');
    await init();
    const full = await Lens.open(location.origin, { policy: 'suppress', mode: 'full' });
    const server = await Lens.open(location.origin, { policy: 'suppress', mode: 'server' });
    const answerOf = async (lens, definition) => {
      let cohort;
      try {
        cohort = lens.mode === 'server' ? await lens.query(definition) : lens.cohort(definition);
        return { count: cohort.count(), statistics: statistics.map((r) => cohort.statistics(r)) };
      } catch (e) {
        return { error: { code: e?.code, message: String(e?.message ?? e) } };
      } finally {
        cohort?.free();
      }
    };
    const results = [];
    const started = performance.now();
    for (const d of definitions) results.push({ full: await answerOf(full, d), server: await answerOf(server, d) });
    return { modes: [full.mode, server.mode], tables: server.tables().map((t) => t.name), results, ms: performance.now() - started };
  }, { definitions, statistics: PERSON_STATISTICS });
  assert.deepEqual(errors, []);
  assert.deepEqual(answer.modes, ['full', 'server']);
  assert.deepEqual(answer.tables, ['concept', 'concept_ancestor', 'concept_relationship', 'person'],
    'server mode loads the vocabulary and person only');

  const failures = [];
  let nonEmpty = 0;
  cases.forEach((c, i) => {
    const { full, server: srv } = answer.results[i];
    const name = c.index === null ? c.name : `random ${c.index}`;
    if (full.error || srv.error) {
      failures.push(`${name}: full ${JSON.stringify(full.error)}, server ${JSON.stringify(srv.error)}`);
      return;
    }
    const raw = c.expected.total;
    const want = raw === 0 ? '0' : raw <= THRESHOLD ? `≤ ${THRESHOLD}` : String(raw);
    if (srv.count.label !== want) failures.push(`${name}: server mode ${srv.count.label}, oracle ${raw}`);
    try {
      assert.deepEqual(srv, full);
    } catch {
      failures.push(`${name}: server mode differs from full mode: ${JSON.stringify(srv).slice(0, 300)} vs ${JSON.stringify(full).slice(0, 300)}`);
    }
    if (raw > THRESHOLD) nonEmpty += 1;
  });
  t.diagnostic(`${cases.length} definitions (${cases.length - RANDOM} hand-written, ${RANDOM} random, seed ${SEED}), ` +
    `${PERSON_STATISTICS.length} statistics each, ${nonEmpty} cohorts above ${THRESHOLD}; both modes in ${Math.round(answer.ms)} ms`);
  assert.ok(nonEmpty > cases.length / 4, 'most cohorts are tiny: the comparison tells little');
  assert.deepEqual(failures.slice(0, 10), []);
  await p.close();
});

test('server mode refuses what needs events, with what to do; auto picks full for a small dataset', async () => {
  const errors = [];
  const p = await blankPage(errors);
  const got = await p.evaluate(async () => {
    const { default: init, Lens } = await import('/pkg/cohortlens.js');
    await init();
    const definition = { includes: [{ id: 'a', items: [{ id: 'i', type: 'CONDITION', searchParameters: [{ conceptId: 201826, standard: true, group: false }] }] }] };
    const caught = async (f) => {
      try { await f(); return null; } catch (e) { return { code: e.code, message: e.message, paths: e.errors?.map((x) => x.path) }; }
    };
    const auto = await Lens.open(location.origin, {});
    const lens = await Lens.open(location.origin, { mode: 'server' });
    const cohort = await lens.query(definition);
    const bad = { includes: [{ id: 'a', items: [{ id: 'i', type: 'CONDITION', searchParameters: [{ conceptId: 987654321 }] }] }] };
    return {
      auto: auto.mode,
      sync: await caught(() => lens.cohort(definition)),
      preview: await caught(() => cohort.preview()),
      top: await caught(() => cohort.statistics({ kind: 'topConcepts', domain: 'CONDITION', limit: 5 })),
      search: await caught(() => lens.searchConcepts('diabetes')),
      concept: await caught(() => lens.conceptStatistics(201826, { kind: 'gender' })),
      invalidServer: await caught(() => lens.query(bad)),
      invalidFull: await caught(() => auto.cohort(bad)),
    };
  });
  assert.deepEqual(errors, []);
  assert.equal(got.auto, 'full');
  assert.equal(got.sync.code, 'server_mode');
  assert.match(got.sync.message, /await lens\.query\(definition\)/);
  for (const key of ['preview', 'top', 'search', 'concept']) {
    assert.equal(got[key]?.code, 'server_mode', `${key}: ${JSON.stringify(got[key])}`);
    assert.match(got[key].message, /mode: 'full'/, key);
  }
  assert.equal(got.invalidServer.code, 'invalid_definition');
  assert.deepEqual(got.invalidServer, got.invalidFull, 'the same validation errors in both modes');
  await p.close();
});

test('the notebook says which mode answered and draws the welcome notebook in server mode', async () => {
  const errors = [];
  const p = await page(chromium, errors);
  for (const [width, name] of [[1280, 'server-mode'], [390, 'server-mode-narrow']]) {
    await p.setViewportSize({ width, height: 900 });
    await p.goto(server.url);
    await p.waitForSelector('body[data-state="ready"]');
    assert.equal(await p.textContent('#mode-note'), 'Cohorts are computed in this browser.');
    await p.selectOption('#mode', 'server');
    await p.waitForSelector('#mode-note[data-mode="server"]:not([hidden])');
    assert.match(await p.textContent('#mode-note'), /computed on the server/);
    // Every cell ran again on the server-mode lens (done or failed), …
    await p.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#cells > li.cell')];
      return cells.length > 0 && cells.every((c) => c.dataset.status === 'done' || c.dataset.status === 'error');
    }, null, { timeout: 60_000 });
    // … the welcome notebook's cohort (its total only) and its age × sex chart, from the server's person set.
    assert.match(await p.textContent('.cohort-result .total'), /Persons in the cohort: (\d|≤)/);
    assert.equal(await p.locator('.cohort-result table.preview').count(), 0, 'no group counts in server mode');
    assert.equal(await p.locator('.chart-result canvas[role="img"]').count(), 1);
    assert.deepEqual((await p.locator('.cell-error').allTextContents()).filter((t) => t.trim()), []);
    assert.deepEqual(await p.$$eval('#cells > li.cell', (cells) => cells.map((c) => c.dataset.status)), ['done', 'done', 'done', 'done']);
    await p.locator('#mode-note').scrollIntoViewIfNeeded();
    await p.screenshot({ path: screenshotPath(name), fullPage: false });
  }
  assert.deepEqual(errors, []);
  await p.close();
});
