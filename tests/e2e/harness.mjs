// Shared by the page tests: a generated dataset, a real server on loopback, and headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = process.env.COHORTLENS_BIN ?? join(ROOT, 'target/release/cohortlens');
export const OUTPUT = join(ROOT, 'test-output');

/** Generates a synthetic dataset into a fresh temporary directory. */
export function generate(persons, seed = 42) {
  const dir = mkdtempSync(join(tmpdir(), 'cohortlens-e2e-'));
  const out = join(dir, 'data');
  execFileSync(BIN, ['generate', '--persons', String(persons), '--seed', String(seed), '--out', out], { stdio: 'ignore' });
  return { out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `cohortlens serve` on a free loopback port (with `args` added); resolves to {url, stop}
 * once the server listens and its log says how the public API answers (the server publishes
 * missing or stale aggregates in the background, listening meanwhile; `waitPublic: false`
 * resolves as soon as it listens). */
export function serve(data, args = [], { waitPublic = true } = {}) {
  const child = spawn(BIN, ['serve', '--data', data, '--addr', '127.0.0.1:0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const publicReady = new Promise((resolveReady) => {
    // Read every line, so that the server never blocks writing its log.
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.includes('the public API answers')) resolveReady();
    });
  });
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', async (line) => {
      const match = line.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (!match) return reject(new Error(`server did not start: ${line}`));
      if (waitPublic) await publicReady;
      resolvePromise({ url: match[1], stop: () => child.kill('SIGINT') });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Debian's Chromium, headless, with the flags this network needs. */
export async function browser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A new page that records console errors and page errors into `errors`. */
export async function page(b, errors) {
  const p = await b.newPage({ viewport: { width: 1000, height: 900 } });
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  return p;
}

export function screenshotPath(name) {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, `${name}.png`);
}

/**
 * For the tests of one file: `persons` generated, served and a browser, set up before the first
 * test and removed after the last (`{server, chromium}` once set up).
 */
export function servedDataset(persons) {
  const f = {};
  before(async () => {
    f.dataset = generate(persons);
    f.server = await serve(f.dataset.out);
    f.chromium = await browser();
  });
  after(async () => {
    await f.chromium?.close();
    f.server?.stop();
    f.dataset?.remove();
  });
  return f;
}
