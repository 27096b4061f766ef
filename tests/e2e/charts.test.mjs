// The chart gallery (www/charts.html) on the release build: every chart kind is drawn by the
// engine's worker on a real canvas with ink in it (read back as the worker's PNG of it), has an accessible name and a data table, is sharp at devicePixelRatio 2,
// redraws on resize, reads at 320 px, downloads as SVG and PNG, and logs no console error, under
// each policy. Screenshots go to test-output/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { screenshotPath, servedDataset } from './harness.mjs';

const KINDS = ['sex', 'gender', 'race', 'ethnicity', 'age', 'age-sex-grouped', 'age-sex-stacked', 'age-at-event',
  'hba1c', 'general-health', 'education', 'top-conditions', 'fitbit-steps', 'fitbit-monthly', 'preview'];

const served = servedDataset(10000);

/** A page of the given size and pixel density that records console and page errors. */
async function open(errors, { width = 1000, height = 900, scale = 1, policy = 'aou' } = {}) {
  const p = await served.chromium.newPage({ viewport: { width, height }, deviceScaleFactor: scale, acceptDownloads: true });
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(`${served.server.url}charts.html?policy=${policy}`);
  await p.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
  assert.equal(await p.getAttribute('body', 'data-state'), 'ready', await p.locator('#error').textContent());
  return p;
}

/** Per chart: state, canvas and CSS sizes, inked pixels by colour, accessible name, table rows. */
function inspect(p) {
  return p.evaluate(() => Promise.all([...document.querySelectorAll('figure.chart')].map(async (fig) => {
    const canvas = fig.querySelector('canvas');
    // The canvas belongs to the engine's worker: its picture comes back from there as a PNG.
    const bitmap = await createImageBitmap(await window.chartGallery.image(fig.id.replace(/^chart-/, '')));
    const copy = new OffscreenCanvas(bitmap.width, bitmap.height);
    copy.getContext('2d').drawImage(bitmap, 0, 0);
    const { data } = copy.getContext('2d').getImageData(0, 0, bitmap.width, bitmap.height);
    let ink = 0;
    let palette = 0;
    const okabeIto = ['0,114,178', '230,159,0', '0,158,115', '213,94,0', '204,121,167'];
    for (let i = 0; i < data.length; i += 16) {
      const rgb = `${data[i]},${data[i + 1]},${data[i + 2]}`;
      if (rgb !== '255,255,255') ink++;
      if (okabeIto.includes(rgb)) palette++;
    }
    return {
      id: fig.id.replace(/^chart-/, ''),
      state: fig.dataset.state,
      error: fig.querySelector('.error')?.textContent ?? null,
      backing: [bitmap.width, bitmap.height],
      css: [canvas.clientWidth, canvas.clientHeight],
      ink,
      palette,
      role: canvas.getAttribute('role'),
      label: canvas.getAttribute('aria-label'),
      rows: [...fig.querySelectorAll('.data tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
      footnote: fig.querySelector('.data .footnote')?.textContent ?? '',
    };
  })));
}

function checkCharts(charts, scale) {
  assert.deepEqual(charts.map((c) => c.id), KINDS);
  for (const c of charts) {
    assert.equal(c.state, 'drawn', `${c.id}: ${c.error}`);
    assert.deepEqual(c.backing, c.css.map((v) => Math.round(v * scale)), `${c.id}: backing store at devicePixelRatio`);
    assert.ok(c.ink > 500 && c.palette > 20, `${c.id}: the canvas is (nearly) blank: ${c.ink} inked, ${c.palette} bar samples`);
    assert.equal(c.role, 'img', c.id);
    assert.match(c.label, /^(Bar chart|Horizontal bar chart|Grouped bar chart|Stacked bar chart|Histogram|Line chart): /, c.id);
    assert.ok(c.rows.length >= 2, `${c.id}: the data table is empty`);
    assert.ok(c.footnote.length > 20, `${c.id}: no footnote`);
    // No count from 1 to 19 in any table cell.
    for (const row of c.rows) {
      for (const cell of row.slice(1)) assert.ok(!/^(1[0-9]|[1-9])$/.test(cell.replace(/,/g, '')), `${c.id}: ${row}`);
    }
  }
}

test('every chart kind draws with ink, a name and a data table at 1000 px, no console errors', async () => {
  const errors = [];
  const p = await open(errors);
  const charts = await inspect(p);
  checkCharts(charts, 1);
  const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
  assert.match(byId.sex.footnote, /Counts are rounded up to the nearest 20/);
  assert.match(byId['top-conditions'].label, /^Horizontal bar chart/);
  assert.match(byId['general-health'].rows[0].at(-1), /%$/, 'survey answers carry percentages');
  assert.match(byId.preview.rows[0][0], /^Cohort$/);
  assert.match(byId['fitbit-monthly'].label, /^Line chart: /);
  assert.ok(byId['fitbit-monthly'].rows.length > 12, 'a year or more of months');
  assert.ok(byId['fitbit-monthly'].rows.slice(0, -1).every((r) => /^\d{4}-\d{2}$/.test(r[0])), 'month labels');
  await p.screenshot({ path: screenshotPath('charts-1000'), fullPage: true });
  for (const id of KINDS) await p.locator(`#chart-${id}`).screenshot({ path: screenshotPath(`chart-${id}`) });
  assert.deepEqual(errors, []);
  await p.close();
});

test('at 320 px and devicePixelRatio 2 the charts are sharp and fit the width', async () => {
  const errors = [];
  const p = await open(errors, { width: 320, height: 700, scale: 2 });
  const charts = await inspect(p);
  checkCharts(charts, 2);
  for (const c of charts) assert.ok(c.css[0] <= 320 && c.css[0] >= 250, `${c.id}: ${c.css}`);
  assert.equal(await p.evaluate(() => document.documentElement.scrollWidth), 320, 'nothing overflows sideways');
  await p.screenshot({ path: screenshotPath('charts-320'), fullPage: true });
  for (const id of ['race', 'age-sex-grouped', 'hba1c', 'education', 'top-conditions', 'fitbit-monthly', 'preview']) {
    await p.locator(`#chart-${id}`).screenshot({ path: screenshotPath(`chart-320-${id}`) });
  }
  assert.deepEqual(errors, []);
  await p.close();
});

test('charts redraw when the window is resized', async () => {
  const errors = [];
  const p = await open(errors);
  const before = (await inspect(p))[0].backing[0];
  await p.setViewportSize({ width: 360, height: 900 });
  await p.waitForFunction((old) => document.querySelector('figure.chart canvas').clientWidth < old, before);
  await p.waitForFunction(() => [...document.querySelectorAll('figure.chart')].every((f) => f.dataset.state === 'drawn'));
  const charts = await inspect(p);
  checkCharts(charts, 1);
  assert.ok(charts[0].css[0] < before, `${charts[0].css} after resize from ${before}`);
  assert.deepEqual(errors, []);
  await p.close();
});

test('downloads: the SVG is the chart with its name and title, the PNG is an image', async () => {
  const errors = [];
  const p = await open(errors);
  const fig = p.locator('#chart-age-sex-grouped');
  const [svgDownload] = await Promise.all([p.waitForEvent('download'), fig.getByRole('button', { name: 'Download SVG' }).click()]);
  assert.equal(svgDownload.suggestedFilename(), 'age-sex-grouped.svg');
  const svg = await readFile(await svgDownload.path(), 'utf8');
  assert.match(svg, /^<svg [^>]*role="img" aria-label="Grouped bar chart: /);
  assert.match(svg, /<title>Current age by sex assigned at birth<\/title>/);
  assert.ok((svg.match(/<rect /g) ?? []).length > 20, 'the SVG has the bars');
  const [pngDownload] = await Promise.all([p.waitForEvent('download'), fig.getByRole('button', { name: 'Download PNG' }).click()]);
  assert.equal(pngDownload.suggestedFilename(), 'age-sex-grouped.png');
  const png = await readFile(await pngDownload.path());
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  // "Show data" reveals the table to sighted readers too.
  const table = fig.locator('.data');
  assert.match(await table.getAttribute('class'), /sr-only/);
  await fig.getByRole('button', { name: 'Show data' }).click();
  assert.doesNotMatch(await table.getAttribute('class'), /sr-only/);
  assert.equal(await fig.getByRole('button', { name: 'Hide data' }).getAttribute('aria-expanded'), 'true');
  await fig.screenshot({ path: screenshotPath('chart-with-table') });
  assert.deepEqual(errors, []);
  await p.close();
});

for (const policy of ['suppress', 'perturbed']) {
  test(`under ${policy}, every chart draws and names its policy`, async () => {
    const errors = [];
    const p = await open(errors, { policy });
    const charts = await inspect(p);
    checkCharts(charts, 1);
    const rule = policy === 'suppress' ? /Counts of 1–20 are withheld/ : /random noise/;
    for (const c of charts) assert.match(c.footnote, rule, c.id);
    if (policy === 'suppress') {
      const withheld = charts.flatMap((c) => c.rows).filter((r) => r.includes('≤ 20') || r.includes('suppressed'));
      assert.ok(withheld.length > 0, 'some cell is withheld');
    }
    await p.screenshot({ path: screenshotPath(`charts-${policy}`), fullPage: true });
    assert.deepEqual(errors, []);
    await p.close();
  });
}

test('screenshots at 1280 and 390 px; nothing overflows sideways at 390 px', async () => {
  const errors = [];
  const p = await open(errors, { width: 1280 });
  await p.screenshot({ path: screenshotPath('charts-1280'), fullPage: true });
  await p.setViewportSize({ width: 390, height: 900 });
  await p.waitForFunction(() => [...document.querySelectorAll('figure.chart canvas')].every((c) => c.clientWidth <= 390));
  await p.waitForFunction(() => [...document.querySelectorAll('figure.chart')].every((f) => f.dataset.state === 'drawn'));
  assert.equal(await p.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing overflows sideways');
  checkCharts(await inspect(p), 1);
  await p.screenshot({ path: screenshotPath('charts-390'), fullPage: true });
  assert.deepEqual(errors, []);
  await p.close();
});
