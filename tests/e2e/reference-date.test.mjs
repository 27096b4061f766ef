// The reference date every age depends on is explicit: `generate --reference-date` stores it
// in the manifest, the catalog sends it and the notebook's dataset panel shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, browser, page, serve } from './harness.mjs';

const REFERENCE = '2025-01-15';
const f = {};
before(async () => {
  f.dir = mkdtempSync(join(tmpdir(), 'cohortlens-e2e-'));
  f.data = join(f.dir, 'data');
  execFileSync(BIN, ['generate', '--persons', '300', '--seed', '3', '--reference-date', REFERENCE, '--out', f.data], { stdio: 'ignore' });
  f.server = await serve(f.data);
  f.chromium = await browser();
});
after(async () => {
  await f.chromium?.close();
  f.server?.stop();
  if (f.dir) rmSync(f.dir, { recursive: true, force: true });
});

test('the reference date is in the manifest, the catalog and the dataset panel', async () => {
  const manifest = JSON.parse(readFileSync(join(f.data, 'manifest.json'), 'utf8'));
  assert.equal(manifest.reference_date ?? manifest.referenceDate, REFERENCE);
  const catalog = await (await fetch(new URL('api/v1/catalog', f.server.url))).json();
  assert.equal(catalog.dataset.referenceDate, REFERENCE);
  const errors = [];
  const p = await page(f.chromium, errors);
  await p.goto(f.server.url);
  const shown = p.locator('#dataset .reference-date');
  await shown.waitFor({ timeout: 30_000 });
  assert.equal((await shown.textContent()).trim(), `Reference date ${REFERENCE} (ages are counted at this date).`);
  await p.close();
  assert.deepEqual(errors, []);
});
