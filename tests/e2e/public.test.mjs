// The public tier in headless Chromium: the sample resource guide (embed-demo.html) served from
// a second loopback port — another origin, a plain static server like a library's — renders
// every embed and the iframe; no embed ever requests /api/v1/tables/; a snippet copied from the
// Data Browser page works pasted into a page on the other origin; an unreachable server is said
// plainly with a link to the Data Browser; axe-core finds no serious or critical violation on the
// Data Browser page and the guide; the COPE survey shows its version table; the survey explorer draws a picked answer by age and sex
// (with tooltips), embedded the same as element and iframe; the embed's whole download is at most 250 KB gzipped;
// screenshots at 1280 and 390 px.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { ROOT, browser, generate, serve, screenshotPath } from './harness.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const ELEMENTS = 'cohortlens-chart, cohortlens-count, cohortlens-snapshot';

/** A plain static server on another loopback port: `www/` and the files of `extra`. */
function staticOrigin(extra) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^\/+/, '');
    for (const dir of [extra, join(ROOT, 'www')]) {
      try {
        const body = readFileSync(join(dir, path));
        response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
        return response.end(body);
      } catch { /* try the next directory */ }
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`, stop: () => server.close(),
  })));
}

const f = {};
before(async () => {
  f.dataset = generate(2000, 42);
  f.server = await serve(f.dataset.out, ['--rate-per-minute', '100000', '--rate-burst', '100000']);
  f.pages = mkdtempSync(join(tmpdir(), 'cohortlens-guide-'));
  f.origin = await staticOrigin(f.pages);
  f.chromium = await browser();
});
after(async () => {
  await f.chromium?.close();
  f.origin?.stop();
  f.server?.stop();
  f.dataset?.remove();
  if (f.pages) rmSync(f.pages, { recursive: true, force: true });
});

/** A page that records errors and every request URL, frames included. */
async function open(url, width = 1280) {
  const p = await f.chromium.newPage({ viewport: { width, height: 900 } });
  p.errors = [];
  p.requests = [];
  p.on('pageerror', (e) => p.errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error') p.errors.push(m.text()); });
  p.on('request', (r) => p.requests.push(r.url()));
  await p.goto(url);
  return p;
}

/** Waits until every embed of the page (and of its frames) is ready or failed; returns their states. */
async function settled(p) {
  const states = [];
  for (const frame of p.frames()) {
    await frame.waitForFunction((sel) => [...document.querySelectorAll(sel)].length > 0
      && [...document.querySelectorAll(sel)].every((e) => ['ready', 'error'].includes(e.dataset.state)), ELEMENTS,
    { timeout: 60_000 }).catch(() => {});
    states.push(...await frame.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => ({
      tag: e.localName, state: e.dataset.state, attrs: e.getAttribute('statistic') ?? e.getAttribute('concept'),
      concept: e.getAttribute('concept'),
      label: e.shadowRoot.querySelector('canvas')?.getAttribute('aria-label') ?? e.shadowRoot.querySelector('.body').textContent.trim().slice(0, 160),
      inked: (() => {
        const c = e.shadowRoot.querySelector('canvas');
        if (!c) return null;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
        return ink;
      })(),
    })), ELEMENTS));
  }
  return states;
}

async function axeViolations(p) {
  await p.evaluate(AXE);
  const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
}

test('the resource guide on another origin renders every embed and the iframe, reading public aggregates only', async () => {
  const p = await open(`${f.origin.url}embed-demo.html?server=${encodeURIComponent(f.server.url)}`);
  await p.waitForFunction(() => document.querySelector('iframe').contentDocument !== null || true);
  await p.frameLocator('iframe').locator('cohortlens-chart').waitFor({ timeout: 60_000 });
  const states = await settled(p);
  const kinds = new Set(states.map((s) => s.tag));
  assert.ok(states.length >= 7, JSON.stringify(states));
  assert.deepEqual([...kinds].sort(), ['cohortlens-chart', 'cohortlens-count', 'cohortlens-snapshot']);
  for (const s of states) {
    assert.equal(s.state, 'ready', JSON.stringify(s));
    if (s.inked !== null) assert.ok(s.inked > 2000, `a drawn chart, not an empty box: ${JSON.stringify(s)}`);
  }
  assert.equal(p.frames().length, 2, 'the iframe embed');
  assert.ok(p.frames()[1].url().startsWith(`${f.server.url}embed.html?`));
  const server = new URL(f.server.url).origin;
  const fromServer = p.requests.filter((u) => u.startsWith(server));
  assert.ok(fromServer.some((u) => u.includes('/api/public/v1/')), fromServer.join('\n'));
  assert.deepEqual(p.requests.filter((u) => u.includes('/api/v1/')), [], 'an embed never requests /api/v1/…');
  assert.equal(p.requests.filter((u) => u.endsWith('cohortlens_embed_bg.wasm')).length, 2,
    'the wasm is fetched once per page (the guide, the iframe) however many elements');
  assert.deepEqual(p.errors, []);
  assert.deepEqual(await axeViolations(p), []);
  await p.screenshot({ path: screenshotPath('public-guide-1280'), fullPage: true });
  // A full-page capture leaves an out-of-process (cross-origin) iframe blank: capture its box in view.
  await p.locator('#labs').scrollIntoViewIfNeeded();
  await p.locator('#labs').screenshot({ path: screenshotPath('public-guide-iframe-1280') });
  await p.setViewportSize({ width: 390, height: 900 });
  await p.waitForTimeout(600);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  await p.screenshot({ path: screenshotPath('public-guide-390'), fullPage: true });
  await p.close();
});

test('a snippet copied from the Data Browser page shows a live chart on another origin, as element and as iframe', async () => {
  const p = await open(`${f.server.url}browser.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  await p.getByRole('searchbox').fill('diabetes');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.locator('#results-table tbody a').first().click();
  await p.waitForSelector('#concept:not([hidden]) cohortlens-chart');
  await settled(p);
  await p.getByRole('button', { name: /Embed this chart: .*Age \+ Sex/ }).click();
  const element = await p.locator('#snippet-element').inputValue();
  const iframe = await p.locator('#snippet-iframe').inputValue();
  assert.match(element, /<script type="module" src="http:\/\/127\.0\.0\.1:\d+\/embed\.js"><\/script>/);
  assert.match(element, /<cohortlens-chart [^>]*statistic="ageSex"/);
  assert.match(iframe, /<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\.html\?element=chart&amp;concept=\d+/);
  assert.deepEqual(await axeViolations(p), []);
  await p.screenshot({ path: screenshotPath('public-browser-embed-dialog') });
  await p.close();
  writeFileSync(join(f.pages, 'pasted.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A librarian's page</title><link rel="icon" href="data:,"></head><body><h1>Diabetes in the data</h1>\n${element}\n${iframe}\n</body></html>`);
  const guide = await open(`${f.origin.url}pasted.html`);
  await guide.frameLocator('iframe').locator('cohortlens-chart').waitFor({ timeout: 60_000 });
  const states = await settled(guide);
  assert.equal(states.length, 2);
  for (const s of states) assert.ok(s.state === 'ready' && s.inked > 2000, JSON.stringify(s));
  assert.deepEqual(guide.errors, []);
  await guide.close();
});

test('the Data Browser page: search across data types, a concept page with its charts, the snapshot; axe at 1280 and 390 px', async () => {
  const p = await open(`${f.server.url}browser.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const snapshot = await settled(p);
  assert.ok(snapshot.length >= 2 && snapshot.every((s) => s.state === 'ready'), JSON.stringify(snapshot));
  const raceEthnicity = snapshot.filter((s) => s.attrs === 'raceEthnicity');
  assert.ok(raceEthnicity.length === 1 && raceEthnicity[0].state === 'ready' && raceEthnicity[0].inked > 2000,
    JSON.stringify(raceEthnicity));
  const raceText = await p.locator('cohortlens-chart[statistic="raceEthnicity"]')
    .evaluate((e) => e.shadowRoot.textContent);
  assert.ok(['More than one', 'Other', 'White'].every((l) => raceText.includes(l)), raceText);
  await p.screenshot({ path: screenshotPath('public-browser-1280'), fullPage: true });
  await p.getByRole('searchbox').fill('a');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.waitForSelector('#results:not([hidden])');
  const domains = await p.locator('#results-table tbody tr td:nth-child(2)').allTextContents();
  assert.ok(new Set(domains).size >= 3, `results across data types: ${[...new Set(domains)]}`);
  const counts = await p.locator('#results-table tbody td.num').allTextContents();
  assert.ok(counts.length > 10 && counts.map((c) => c.replace(/,/g, '')).every((c) => c === '≤ 20' || (Number(c) >= 20 && Number(c) % 20 === 0)), counts.join());
  await p.locator('#results-table tbody a').first().click();
  await p.waitForSelector('#concept:not([hidden]) cohortlens-chart');
  const charts = await settled(p);
  const concept = charts.filter((s) => s.tag === 'cohortlens-chart' && s.concept);
  assert.ok(concept.length >= 3 && concept.every((s) => s.state === 'ready' && s.inked > 2000), JSON.stringify(charts));
  assert.equal(await p.getByRole('button', { name: /^Embed this/ }).count(), concept.length + 1, 'a button per chart and one for the count');
  assert.ok(await p.locator('#snapshot').isHidden(), 'the concept page alone');
  assert.deepEqual(p.requests.filter((u) => u.includes('/api/v1/')), [], 'the Data Browser reads public data only');
  assert.deepEqual(await axeViolations(p), []);
  await p.screenshot({ path: screenshotPath('public-concept-1280'), fullPage: true });
  await p.setViewportSize({ width: 390, height: 900 });
  await p.waitForTimeout(600);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  assert.deepEqual(await axeViolations(p), []);
  await p.screenshot({ path: screenshotPath('public-concept-390'), fullPage: true });
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('a measurement concept page shows its Values chart, and <cohortlens-chart statistic="values"> draws it on another origin', async () => {
  const p = await open(`${f.server.url}browser.html#concept/3004410`);
  await p.waitForSelector('#concept:not([hidden]) cohortlens-chart[statistic="values"]', { timeout: 60_000 });
  const charts = await settled(p);
  const values = charts.filter((s) => s.attrs === 'values');
  assert.equal(values.length, 1, JSON.stringify(charts));
  assert.ok(values[0].state === 'ready' && values[0].inked > 2000, JSON.stringify(values));
  const cells = await p.locator('cohortlens-chart[statistic="values"]').evaluate((e) => {
    const table = e.shadowRoot.querySelector('.sr table');
    const head = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    const at = head.indexOf('Participants');
    return { head, counts: [...table.querySelectorAll('tbody tr')].map((tr) => tr.children[at].textContent) };
  });
  assert.deepEqual(cells.head, ['Unit', 'Sex assigned at birth', 'Value', 'Participants']);
  assert.ok(cells.counts.length >= 5, JSON.stringify(cells));
  for (const c of cells.counts) assert.ok(c === '≤ 20' || (Number(c) >= 20 && Number(c) % 20 === 0), `a disclosed count: ${c}`);
  assert.deepEqual(p.errors, []);
  await p.screenshot({ path: screenshotPath('public-values-1280'), fullPage: true });
  await p.close();
  writeFileSync(join(f.pages, 'values.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>HbA1c</title><link rel="icon" href="data:,"><script type="module" src="${f.server.url}embed.js"></script></head><body>
<cohortlens-chart server="${f.server.url}" concept="3004410" statistic="values"></cohortlens-chart></body></html>`);
  const guide = await open(`${f.origin.url}values.html`);
  const states = await settled(guide);
  assert.equal(states.length, 1);
  assert.ok(states[0].state === 'ready' && states[0].inked > 2000, JSON.stringify(states));
  assert.match(states[0].label, /HbA1c|Hemoglobin|Values/i);
  assert.deepEqual(guide.errors, []);
  await guide.close();
});

test('an embed whose server cannot be reached says so and links to the Data Browser', async () => {
  writeFileSync(join(f.pages, 'down.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>down</title>
<script type="module" src="${f.server.url}embed.js"></script></head><body>
<cohortlens-chart server="http://127.0.0.1:9" concept="201826" statistic="sex"></cohortlens-chart>
<cohortlens-count server="http://127.0.0.1:9" concept="201826"></cohortlens-count></body></html>`);
  const p = await open(`${f.origin.url}down.html`);
  const states = await settled(p);
  assert.equal(states.length, 2);
  for (const s of states) {
    assert.equal(s.state, 'error');
    assert.match(s.label, /cannot be reached/);
  }
  const link = await p.locator('cohortlens-chart').evaluate((e) => e.shadowRoot.querySelector('[role="alert"] a').href);
  assert.equal(link, 'http://127.0.0.1:9/browser.html#concept/201826');
  await p.close();
});

test('while the server publishes, the Data Browser page and an embed on another origin say so, then show the data', async () => {
  // The server's answer while it publishes its aggregates (tests/python/test_public.py checks
  // the real one), until `publishing` is cleared.
  let publishing = true;
  const polls = [];
  const whilePublishing = (route) => {
    if (!publishing) return route.continue();
    if (new URL(route.request().url()).pathname.endsWith('/api/public/v1')) polls.push(route.request().url());
    return route.fulfill({
      status: 503,
      contentType: 'application/json',
      headers: { 'retry-after': '1', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' },
      body: JSON.stringify({ error: { code: 'public_publishing', message: "the server is publishing this dataset's public aggregates (started 0 s ago); try again in 1 s" } }),
    });
  };
  writeFileSync(join(f.pages, 'publishing.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A guide</title><link rel="icon" href="data:,"><script type="module" src="${f.server.url}embed.js"></script></head>
<body><h1>Who is in the data</h1><cohortlens-chart server="${f.server.url}" statistic="sexAtBirth" title="Sex at birth"></cohortlens-chart></body></html>`);
  const pages = [];
  for (const url of [`${f.server.url}browser.html`, `${f.origin.url}publishing.html`]) {
    const p = await f.chromium.newPage({ viewport: { width: 390, height: 900 } });
    p.errors = [];
    p.on('pageerror', (e) => p.errors.push(String(e)));
    await p.route(/\/api\/public\/v1(\/|\?|$)/, whilePublishing);
    await p.goto(url);
    pages.push(p);
  }
  const [browserPage, guide] = pages;
  const chart = guide.locator('cohortlens-chart');
  await browserPage.waitForSelector('body[data-state="waiting"]');
  assert.match(await browserPage.locator('#status').textContent(), /preparing the public data/);
  await guide.waitForSelector('cohortlens-chart[data-state="waiting"]');
  assert.match(await chart.evaluate((e) => e.shadowRoot.querySelector('[role="status"]').textContent), /preparing its public\s+data/);
  await browserPage.screenshot({ path: screenshotPath('public-browser-publishing-390') });
  await guide.screenshot({ path: screenshotPath('public-embed-publishing-390') });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await browserPage.evaluate(() => document.body.dataset.state), 'waiting');
  assert.ok(polls.length >= 2 && polls.length <= 8, `each page asks the index about once a second while waiting: ${polls.length}`);
  publishing = false;
  await browserPage.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
  await guide.waitForSelector('cohortlens-chart[data-state="ready"]', { timeout: 30_000 });
  assert.match(await chart.evaluate((e) => e.shadowRoot.querySelector('canvas').getAttribute('aria-label')), /Sex at birth/i);
  for (const p of pages) {
    assert.deepEqual(p.errors, []);
    await p.close();
  }
});

test("the embed's whole download (embed.js, the wasm glue and the wasm) is at most 250 KB gzipped", () => {
  const files = ['www/embed.js', 'www/embed-pkg/cohortlens_embed.js', 'www/embed-pkg/cohortlens_embed_bg.wasm'];
  const sizes = Object.fromEntries(files.map((file) => [file, gzipSync(readFileSync(join(ROOT, file)), { level: 9 }).length]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(`embed download, gzipped: ${JSON.stringify(sizes)}; total ${(total / 1024).toFixed(1)} KB`);
  assert.ok(total <= 250 * 1024, `${total} bytes`);
});

test('the survey explorer and the Fitbit tiles draw their published charts; a question chart embeds on another origin', async () => {
  const p = await open(`${f.server.url}browser.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const surveys = p.locator('#survey-list details');
  assert.ok(await surveys.count() >= 3, 'the published surveys are listed');
  await surveys.first().locator('summary').click();
  await p.waitForSelector('#survey-list details[open] cohortlens-chart');
  assert.equal(await p.locator('#fitbit-list details').count(), 7, 'the seven Fitbit tiles are listed');
  await p.locator('#fitbit-list details summary').first().click();
  await p.waitForSelector('#fitbit-list details[open] cohortlens-chart');
  const states = await settled(p);
  const questions = states.filter((s) => s.tag === 'cohortlens-chart' && !s.concept && /^answers/.test(s.attrs));
  const fitbit = states.filter((s) => s.label.startsWith('Bar chart: Any Fitbit data') || s.label.startsWith('Grouped bar chart: Any Fitbit data'));
  assert.ok(questions.length >= 6, JSON.stringify(states));
  assert.equal(fitbit.length, 4, JSON.stringify(states));
  for (const s of [...questions, ...fitbit]) assert.ok(s.state === 'ready' && s.inked > 2000, JSON.stringify(s));
  // No count from 1 to 19 reaches the page: every number the charts' data tables show is a
  // disclosed count (0 or a multiple of 20), a percent or a year.
  const cells = await p.evaluate(() => [...document.querySelectorAll('#surveys cohortlens-chart, #fitbit cohortlens-chart')]
    .flatMap((e) => [...e.shadowRoot.querySelectorAll('.sr td')].map((td) => td.textContent.trim())));
  assert.ok(cells.length > 20, cells.join('|'));
  for (const c of cells.filter((t) => /^\d[\d,]*$/.test(t))) {
    const n = Number(c.replaceAll(',', ''));
    assert.ok(n === 0 || n >= 20, `a count from 1 to 19 in the DOM: ${c}`);
  }
  assert.deepEqual(p.requests.filter((u) => u.includes('/api/v1/')), [], 'the Data Browser reads public data only');
  assert.deepEqual(await axeViolations(p), []);
  await p.screenshot({ path: screenshotPath('public-surveys-1280'), fullPage: true });
  await p.getByRole('button', { name: /Embed this chart: .*Answers by sex/ }).first().click();
  const element = await p.locator('#snippet-element').inputValue();
  assert.match(element, /<cohortlens-chart [^>]*question="\d+"[^>]*statistic="answersBySex"/);
  assert.deepEqual(p.errors, []);
  await p.close();
  writeFileSync(join(f.pages, 'question.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A survey question</title><link rel="icon" href="data:,"></head><body><h1>Survey</h1>\n${element}\n</body></html>`);
  const guide = await open(`${f.origin.url}question.html`);
  const pasted = await settled(guide);
  assert.equal(pasted.length, 1);
  assert.ok(pasted[0].state === 'ready' && pasted[0].inked > 2000, JSON.stringify(pasted));
  assert.deepEqual(guide.errors, []);
  await guide.close();
});

/** The data table of the `<cohortlens-chart>` matched by `selector` (in `frame`): its header and rows. */
function chartTable(frame, selector) {
  return frame.locator(selector).evaluate((e) => {
    const table = e.shadowRoot.querySelector('.sr table');
    return {
      head: [...table.querySelectorAll('thead th')].map((th) => th.textContent),
      rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
      label: e.shadowRoot.querySelector('canvas').getAttribute('aria-label'),
    };
  });
}

/** Every count of an age × sex data table is disclosed: 0, "≤ 20" or a multiple of 20 from 20 up. */
function assertDisclosedCounts(table) {
  const at = table.head.indexOf('Participants');
  assert.ok(at > 0, JSON.stringify(table.head));
  for (const row of table.rows) {
    const c = row[at].replaceAll(',', '');
    assert.ok(c === '≤ 20' || c === '0' || (Number(c) >= 20 && Number(c) % 20 === 0), `a disclosed count: ${row}`);
    for (const cell of row) assert.ok(!/^(1[0-9]|[1-9])$/.test(cell.trim()), `a count from 1 to 19: ${row}`);
  }
}

test('the survey explorer draws Answers by age + sex for a picked answer, within the rate limit; it embeds as element and iframe', async () => {
  const p = await open(`${f.server.url}browser.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const survey = p.locator('#survey-list details').first();
  await survey.locator('summary').click();
  const first = survey.locator('section.question').first();
  await first.locator('cohortlens-chart[statistic="answersByAgeSex"]').waitFor({ timeout: 60_000 });
  // The questions' sections fill in one after another: wait until each has its chart.
  await p.waitForFunction(() => {
    const sections = [...document.querySelectorAll('#survey-list details[open] section.question')];
    return sections.length >= 3 && sections.every((q) => q.querySelector('cohortlens-chart[statistic="answersByAgeSex"]'));
  }, null, { timeout: 60_000 });
  let states = await settled(p);
  const stacked = states.filter((s) => s.attrs === 'answersByAgeSex');
  const questions = await survey.locator('section.question').count();
  assert.ok(questions >= 3 && stacked.length === questions, `a chart per question: ${JSON.stringify(stacked)}`);
  for (const s of stacked) {
    assert.ok(s.state === 'ready' && s.inked > 2000, JSON.stringify(s));
    assert.match(s.label, /^Stacked bar chart: .* — “.+”\. \d+ bars, by /, s.label);
  }
  // The first question: the answer picker lists its answers; the chart is the picked one's.
  const picker = first.locator('.answer-pick select');
  const answers = await picker.locator('option').allTextContents();
  assert.ok(answers.length >= 3, answers.join());
  const selector = '#survey-list details[open] section.question:first-of-type cohortlens-chart[statistic="answersByAgeSex"]';
  let table = await chartTable(p, selector);
  assert.deepEqual(table.head, ['Answer', 'Age', 'Sex assigned at birth', 'Participants', '% of age group']);
  const ages = [...new Set(table.rows.slice(0, -1).map((r) => r[1]))];
  assert.ok(ages.length >= 5 && ages.includes('30-39') && ages.includes('50-59'), `the age groups: ${ages}`);
  assert.ok(table.rows.slice(0, -1).every((r) => r[0] === answers[0] && /^\d+(\.\d)?%$|^$/.test(r[4])), JSON.stringify(table.rows));
  assert.equal(table.rows.at(-1)[0], 'All answers');
  assertDisclosedCounts(table);
  // Hovering a segment shows its tooltip: sex and age group, participants, percent of the age group.
  await p.locator(selector).scrollIntoViewIfNeeded();
  const box = await p.locator(selector).locator('canvas').boundingBox();
  const tip = p.locator(selector).locator('.tip');
  let shown = '';
  for (let y = box.y + box.height * 0.3; y < box.y + box.height * 0.85 && !shown; y += 8) {
    for (let x = box.x + 60; x < box.x + box.width - 10 && !shown; x += 12) {
      await p.mouse.move(x, y);
      if (await tip.isVisible()) shown = await tip.innerText();
    }
  }
  assert.match(shown, /^(Female|Male|Other), \d\d-\d\d\n(≤ 20|[\d,]+) participants\n\d+(\.\d)?% of age group$/, shown);
  await p.mouse.move(0, 0);
  assert.ok(await tip.isHidden(), 'the tooltip goes with the pointer');
  // Another answer: the chart redraws for it.
  await picker.selectOption(answers[1]);
  await p.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'ready'
    && document.querySelector(sel).shadowRoot.querySelector('canvas')?.getAttribute('aria-label').includes('—'), selector);
  await p.waitForFunction(([sel, answer]) => document.querySelector(sel).shadowRoot.querySelector('canvas')
    .getAttribute('aria-label').includes(`“${answer}”`), [selector, answers[1]]);
  table = await chartTable(p, selector);
  assert.ok(table.rows.slice(0, -1).every((r) => r[0] === answers[1]), JSON.stringify(table.rows));
  assertDisclosedCounts(table);
  // Every chart of the survey drawn from at most one public request per question (and the page's own):
  // within the default burst of the rate limit (30).
  const publicRequests = p.requests.filter((u) => u.includes('/api/public/v1/'));
  assert.ok(publicRequests.length <= 30, `${publicRequests.length} public requests:\n${publicRequests.join('\n')}`);
  assert.deepEqual(p.requests.filter((u) => u.includes('/api/v1/')), [], 'the Data Browser reads public data only');
  assert.deepEqual(await axeViolations(p), []);
  await first.screenshot({ path: screenshotPath('public-survey-age-sex-1280') });
  await p.getByRole('button', { name: /Embed this chart: .*Answers by age \+ sex/ }).first().click();
  const element = await p.locator('#snippet-element').inputValue();
  const iframe = await p.locator('#snippet-iframe').inputValue();
  assert.match(element, /<cohortlens-chart [^>]*question="\d+"[^>]*statistic="answersByAgeSex"[^>]*answer="[^"]+"/);
  assert.match(iframe, /embed\.html\?element=chart&amp;question=\d+&amp;statistic=answersByAgeSex&amp;[^"]*answer=/);
  await p.keyboard.press('Escape');
  await p.setViewportSize({ width: 390, height: 900 });
  await p.waitForTimeout(600);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  assert.deepEqual(await axeViolations(p), []);
  await first.screenshot({ path: screenshotPath('public-survey-age-sex-390') });
  assert.deepEqual(p.errors, []);
  await p.close();
  // Pasted on another origin, the element and the iframe draw the same chart.
  writeFileSync(join(f.pages, 'age-sex.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A survey answer by age and sex</title><link rel="icon" href="data:,"></head><body><h1>Survey</h1>\n${element}\n${iframe}\n</body></html>`);
  const guide = await open(`${f.origin.url}age-sex.html`);
  await guide.frameLocator('iframe').locator('cohortlens-chart').waitFor({ timeout: 60_000 });
  states = await settled(guide);
  assert.equal(states.length, 2);
  for (const s of states) assert.ok(s.state === 'ready' && s.inked > 2000 && s.label.includes(`“${answers[1]}”`), JSON.stringify(s));
  const [inPage, inFrame] = [await chartTable(guide, 'cohortlens-chart'), await chartTable(guide.frames()[1], 'cohortlens-chart')];
  assert.deepEqual(inFrame.rows, inPage.rows, 'the iframe draws what the element draws');
  assert.deepEqual(inPage.rows, table.rows, 'the pasted chart is the one on the Data Browser page');
  assertDisclosedCounts(inFrame);
  assert.deepEqual(guide.requests.filter((u) => u.includes('/api/v1/')), [], 'an embed never requests /api/v1/… (no row, no table)');
  assert.deepEqual(guide.errors, []);
  assert.deepEqual(await axeViolations(guide), []);
  await guide.close();
});

test("a data type's list opens with its top 10 concepts as a collapsible bar chart; a bar or its table entry opens the concept; it embeds as element and iframe", async () => {
  // The expected top 10, from the public API itself: most participants first (equal counts in the answer's order).
  const api = await (await fetch(`${f.server.url}api/public/v1/concepts?q=&domain=condition&limit=100`)).json();
  const expected = [...api.concepts].sort((a, b) => b.participants.value - a.participants.value).slice(0, 10);
  assert.equal(expected.length, 10, 'the synthetic data has more than 10 conditions');
  const label = (c) => `${c.name} (${c.vocabulary}-${c.code})`;
  const shown = (c) => (/^\d+$/.test(c.participants.label) ? Number(c.participants.label).toLocaleString('en-US') : c.participants.label);

  const p = await open(`${f.server.url}browser.html#search/q=&domain=condition`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const selector = '#top-concepts cohortlens-chart[statistic="topConcepts"]';
  await p.waitForSelector(selector);
  const states = await settled(p);
  const top = states.filter((s) => s.attrs === 'topConcepts');
  assert.equal(top.length, 1, JSON.stringify(states));
  assert.ok(top[0].state === 'ready' && top[0].inked > 2000, `a drawn chart: ${JSON.stringify(top)}`);
  assert.match(top[0].label, /^Horizontal bar chart: Top 10 Conditions by Descending Participant Counts\. 10 bars/);
  const toggle = p.getByRole('button', { name: 'Top 10 Conditions by Descending Participant Counts', exact: true });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true', 'open by default');
  // The list below is in the same order, and the chart's data table is its first 10 with their counts.
  const list = await p.locator('#results-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.cells[0].textContent, r.cells[3].textContent]));
  assert.deepEqual(list.slice(0, 10), expected.map((c) => [c.name, shown(c)]));
  const table = await chartTable(p, selector);
  assert.deepEqual(table.head, ['Concept', 'Participants']);
  assert.deepEqual(table.rows.slice(0, -1), expected.map((c) => [label(c), shown(c)]));
  assert.equal(table.rows.at(-1)[0], 'Total');
  assertDisclosedCounts(table);
  // Drawn from what the page already read: one search, the snapshot once.
  const reads = p.requests.filter((u) => u.includes('/api/public/v1/'));
  assert.equal(reads.filter((u) => u.includes('/concepts?')).length, 1, reads.join('\n'));
  assert.deepEqual(reads.filter((u) => u.includes('/snapshot')).map((u) => new URL(u).pathname), ['/api/public/v1/snapshot']);
  for (const [, count] of table.rows) {
    const n = count.replaceAll(',', '');
    assert.ok(n === '≤ 20' || n === '0' || (Number(n) >= 20 && Number(n) % 20 === 0), `a disclosed count: ${count}`);
  }
  assert.deepEqual(await axeViolations(p), []);
  await p.evaluate(() => document.querySelector('#results').scrollIntoView());
  await p.screenshot({ path: screenshotPath('public-top-concepts-1280') });

  // The collapse button works from the keyboard.
  await toggle.focus();
  await p.keyboard.press('Enter');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.ok(await p.locator(selector).isHidden(), 'collapsed');
  await p.keyboard.press('Space');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.ok(await p.locator(selector).isVisible(), 'open again');

  // From the button, Tab reaches the chart's data table (shown while it has focus); Enter on the
  // second concept opens its page.
  await p.keyboard.press('Tab');
  await p.keyboard.press('Tab');
  const focused = await p.locator(selector).evaluate((e) => {
    const a = e.shadowRoot.activeElement;
    return { text: a?.textContent, visible: a ? a.getBoundingClientRect().width > 10 : false };
  });
  assert.deepEqual(focused, { text: label(expected[1]), visible: true });
  await p.keyboard.press('Enter');
  await p.waitForSelector('#concept:not([hidden])');
  assert.equal(new URL(p.url()).hash, `#concept/${expected[1].conceptId}`);
  assert.equal(await p.locator('#concept-title').textContent(), expected[1].name);

  // Back to the list: clicking the fourth bar (found by its tooltip) opens the fourth concept.
  await p.goBack();
  await p.waitForSelector(`${selector}[data-state="ready"]`);
  await p.locator(selector).scrollIntoViewIfNeeded();
  const box = await p.locator(selector).locator('canvas').boundingBox();
  const tip = p.locator(selector).locator('.tip');
  let at = null;
  for (let y = box.y + 30; y < box.y + box.height && !at; y += 5) {
    for (const x of [0.5, 0.55, 0.6].map((share) => box.x + box.width * share)) {
      if (at) break;
      await p.mouse.move(x, y);
      if (await tip.isVisible() && (await tip.innerText()).split('\n')[0] === label(expected[3])) at = { x, y };
    }
  }
  assert.ok(at, 'the fourth bar has a tooltip naming its concept');
  // Its count as disclosed, and its share of the data type's participants (the total).
  assert.match(await tip.innerText(), new RegExp(`\\n${shown(expected[3]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} participants\\n\\d+(\\.\\d)?% of the total$`));
  await p.mouse.click(at.x, at.y);
  await p.waitForSelector('#concept:not([hidden])');
  assert.equal(new URL(p.url()).hash, `#concept/${expected[3].conceptId}`);
  assert.equal(await p.locator('#concept-title').textContent(), expected[3].name);

  // At 390 px: no sideways scrolling, names wrapped or cut with "…" inside the chart.
  await p.goBack();
  await p.waitForSelector(`${selector}[data-state="ready"]`);
  await p.setViewportSize({ width: 390, height: 900 });
  await p.waitForTimeout(600);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  assert.deepEqual(await axeViolations(p), []);
  await p.evaluate(() => document.querySelector('#results').scrollIntoView());
  await p.screenshot({ path: screenshotPath('public-top-concepts-390') });
  await p.setViewportSize({ width: 1280, height: 900 });

  // A search across data types: the same chart of its matches.
  await p.getByRole('searchbox').fill('a');
  await p.locator('#domain').selectOption('');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.waitForSelector('#top-concepts cohortlens-chart[search="a"][data-state="ready"]');
  assert.match(await p.locator('#top-title').textContent(), /^Top 10 concepts matching “a” by Descending Participant Counts$/);
  await p.goBack();
  await p.waitForSelector(`${selector}[data-state="ready"]`);

  // Embed this chart: element and iframe on another origin draw the same top 10, each entry a link to its concept.
  await p.getByRole('button', { name: 'Embed this chart: Top 10 Conditions by Descending Participant Counts' }).click();
  const element = await p.locator('#snippet-element').inputValue();
  const iframe = await p.locator('#snippet-iframe').inputValue();
  assert.match(element, /<cohortlens-chart [^>]*statistic="topConcepts"/);
  assert.match(element, /<cohortlens-chart [^>]*domain="condition"/);
  assert.match(iframe, /embed\.html\?element=chart&amp;[^"]*statistic=topConcepts/);
  assert.match(iframe, /embed\.html\?element=chart&amp;[^"]*domain=condition/);
  await p.keyboard.press('Escape');
  assert.deepEqual(p.requests.filter((u) => u.includes('/api/v1/')), [], 'the Data Browser reads public data only');
  assert.deepEqual(p.errors, []);
  await p.close();
  writeFileSync(join(f.pages, 'top.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Top conditions</title><link rel="icon" href="data:,"></head><body><h1>Conditions</h1>\n${element}\n${iframe}\n</body></html>`);
  const guide = await open(`${f.origin.url}top.html`);
  await guide.frameLocator('iframe').locator('cohortlens-chart').waitFor({ timeout: 60_000 });
  const pasted = await settled(guide);
  assert.equal(pasted.length, 2);
  for (const s of pasted) assert.ok(s.state === 'ready' && s.inked > 2000, JSON.stringify(s));
  const [inPage, inFrame] = [await chartTable(guide, 'cohortlens-chart'), await chartTable(guide.frames()[1], 'cohortlens-chart')];
  assert.deepEqual(inPage.rows, table.rows, 'the pasted chart is the one on the Data Browser page');
  assert.deepEqual(inFrame.rows, table.rows, 'the iframe draws what the element draws');
  const links = await guide.locator('cohortlens-chart').evaluate((e) => [...e.shadowRoot.querySelectorAll('.sr a')]
    .map((a) => [a.getAttribute('href'), a.target]));
  assert.deepEqual(links, expected.map((c) => [`${f.server.url}browser.html#concept/${c.conceptId}`, '_blank']));
  assert.deepEqual(guide.requests.filter((u) => u.includes('/api/v1/')), [], 'an embed never requests /api/v1/…');
  assert.deepEqual(guide.errors, []);
  assert.deepEqual(await axeViolations(guide), []);
  await guide.close();
});

test('the COPE survey shows its version table above its questions, with no participant count from 1 to 19', async () => {
  const p = await open(`${f.server.url}browser.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  const published = await (await fetch(`${f.server.url}api/public/v1/surveys/1333342/versions`)).json();
  assert.equal(published.rows.length, 6, 'the synthetic COPE survey has six versions with participants');
  const cope = p.locator('#survey-list details', { hasText: '(COPE)' });
  await cope.locator('summary').click();
  const table = cope.locator('table.survey-versions');
  await table.locator('tbody tr').first().waitFor({ timeout: 60_000 });
  assert.match(await table.locator('caption').textContent(), /COPE\) Survey: survey versions$/);
  assert.deepEqual(await table.locator('thead th[scope="col"]').allTextContents(), ['Survey version', 'Participants', 'Questions']);
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), published.rows.map((r) => r.labels[0]));
  assert.equal(await table.locator('tbody th[scope="row"]').count(), 6);
  // Participants are disclosed counts (0 or from 20); the number of questions (3401) is shown
  // exactly, as the Data Browser shows it: it counts questions, not persons.
  for (const [, participants] of rows) {
    const n = Number(participants.replaceAll(',', ''));
    assert.ok(participants === '≤ 20' || n === 0 || n >= 20, `a count from 1 to 19 in the version table: ${participants}`);
  }
  assert.deepEqual(rows.map((r) => r[2]), published.rows.map((r) => r.labels[1]));
  const [tableTop, questionTop] = [await table.boundingBox(), await cope.locator('section.question').first().boundingBox()];
  assert.ok(tableTop.y < questionTop.y, 'the version table comes before the questions');
  assert.deepEqual(await axeViolations(p), []);
  assert.deepEqual(p.errors, []);
  await p.close();
});
