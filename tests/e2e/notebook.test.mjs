// The notebook page (www/index.html) on the release build and a real server with the default
// dataset (10,000 synthetic persons, seed 42): every tutorial runs top to bottom without an
// error, its counts and tables equal what `cohortlens count` / `cohortlens stats` print for the
// same definitions, and its check passes once the tutorial's solution is typed in; a cohort
// built with the keyboard only counts as `cohortlens count` does; save → open, share link and
// the report keep the outputs; axe-core finds no serious or critical violation; no count from 1
// to 19 reaches the DOM. Screenshots at 1280 and 390 px go to test-output/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, screenshotPath, servedDataset } from './harness.mjs';

const served = servedDataset(10_000);
const TUTORIALS = join(ROOT, 'www/tutorials');
const index = JSON.parse(readFileSync(join(TUTORIALS, 'index.json'), 'utf8'));
const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'cohortlens-notebook-'));

/** `cohortlens count` of each definition (the aou policy): one {shown, label, policy} each. */
function cliCounts(definitions) {
  const file = join(work, `defs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(definitions));
  const out = execFileSync(BIN, ['count', '--data', served.dataset.out, '--definition', file], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

/** `cohortlens stats` of a definition and one request. */
function cliStats(definition, request) {
  const file = join(work, `def-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(definition));
  const out = execFileSync(BIN, ['stats', '--data', served.dataset.out, '--definition', file, '--stat', JSON.stringify(request)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n')[0]);
}

async function newPage(errors, width = 1280) {
  const p = await served.chromium.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  return p;
}

/** Waits until the dataset is loaded and no cell is idle or running. */
async function settled(p) {
  await p.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
  await p.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#cells > li.cell')];
    return cells.length > 0 && cells.every((c) => c.dataset.status === 'done' || c.dataset.status === 'error');
  }, null, { timeout: 120_000 });
}

/** Every cell's status and visible error. */
async function cellErrors(p) {
  return p.$$eval('#cells > li.cell', (cells) => cells
    .filter((c) => c.dataset.status !== 'done')
    .map((c) => `${c.dataset.name ?? c.dataset.kind}: ${c.dataset.status} ${c.querySelector('.cell-error')?.textContent}`));
}

/** No element showing a count (`.count`: cohorts, tables, chart data tables) holds an integer from 1 to 19. */
async function smallCounts(p) {
  return p.$$eval('.count', (els) => els
    .map((e) => e.textContent.trim())
    .filter((t) => /^\d[\d,]*$/.test(t) && Number(t.replace(/,/g, '')) >= 1 && Number(t.replace(/,/g, '')) <= 19));
}

async function axeViolations(p) {
  await p.evaluate(AXE);
  const result = await p.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** The displayed total of a cohort cell and its table rows as [labels…, count]. */
async function outputs(p) {
  return p.$$eval('#cells > li.cell', (cells) => cells.map((c) => ({
    name: c.dataset.name ?? null,
    kind: c.dataset.kind,
    total: c.querySelector('.cohort-result .total .count')?.textContent ?? null,
    rows: [...c.querySelectorAll('table.stat tbody tr, table.preview tbody tr, table.chart-data tbody tr')]
      .map((r) => [...r.cells].map((x) => x.textContent.trim())),
    text: c.querySelector('.cell-output')?.innerText.trim() ?? '',
  })));
}

/** Replaces the text of the CodeMirror editor in `cell` (keyboard: select all, type). */
/**
 * In the Cohort cell `cell`, adds an include group with one condition found by `query`: the first
 * of the search's concepts that `pick` keeps; waits until the cell has run on it (two groups).
 */
async function addConditionGroup(p, cell, query, pick) {
  const name = await cell.getAttribute('data-name');
  await cell.locator('.cb').waitFor();
  await cell.getByRole('button', { name: '+ Add another include group' }).click();
  const dialog = p.locator('dialog[open]');
  await dialog.getByRole('button', { name: /^Conditions/ }).click();
  await dialog.getByRole('searchbox').fill(query);
  await dialog.getByRole('status').filter({ hasText: `“${query}”` }).waitFor();
  await pick(dialog.locator('.cb-concept')).first().getByRole('button', { name: /^Select / }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await dialog.waitFor({ state: 'detached' });
  await p.waitForFunction((n) => {
    const c = document.querySelector(`li[data-name="${n}"]`);
    return c.dataset.status === 'done' && c.querySelectorAll('table.preview tr.group').length === 2;
  }, name, { timeout: 60_000 });
}

async function typeInto(p, cellSelector, text) {
  const cell = p.locator(cellSelector);
  const jsonTab = cell.locator('[role=tab]', { hasText: 'JSON' });
  if (await jsonTab.count() && await jsonTab.isVisible()) await jsonTab.click();
  const content = cell.locator('.cm-content').first();
  await content.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.insertText(text);
}

/** Delays the page's editor module (CodeMirror, loaded on first use) by a second. */
async function slowEditorLoad(p) {
  await p.route('**/vendor/editor.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await route.continue();
  });
}

for (const tutorial of [{ file: 'welcome.json', title: 'Welcome' }, ...index.tutorials]) {
  test(`tutorial ${tutorial.file} runs, equals the engine's counts and its check passes`, async () => {
    const doc = JSON.parse(readFileSync(join(TUTORIALS, tutorial.file), 'utf8'));
    const errors = [];
    const p = await newPage(errors);
    await p.goto(`${served.server.url}#tutorial=${tutorial.file}`);
    await settled(p);
    assert.deepEqual(await cellErrors(p), [], 'cells in error');
    assert.equal(await p.inputValue('#notebook-title'), doc.title);

    const shown = await outputs(p);
    const cohorts = doc.cells.filter((c) => c.kind === 'cohort');
    const expected = cliCounts(cohorts.map((c) => c.definition));
    cohorts.forEach((c, i) => {
      const out = shown.find((o) => o.name === c.name);
      assert.equal(out.total.replace(/,/g, ''), expected[i].label.replace(/,/g, ''), `cohort ${c.name}`);
    });
    for (const t of doc.cells.filter((c) => c.kind === 'table')) {
      const want = cliStats(cohorts.find((c) => c.name === t.cohort).definition, t.request);
      const out = shown.find((o) => o.name === t.name);
      assert.deepEqual(out.rows.map((r) => [...r.slice(0, want.dimensions.length), r[want.dimensions.length]]),
        want.rows.map((r) => [...r.labels, /^\d+$/.test(r.count.label) ? Number(r.count.label).toLocaleString('en-US') : r.count.label]), `table ${t.name}`);
    }
    for (const ch of doc.cells.filter((c) => c.kind === 'chart')) {
      const canvas = p.locator(`li[data-name="${ch.name}"] canvas.chart`);
      assert.equal(await canvas.getAttribute('role'), 'img', `chart ${ch.name}`);
      assert.ok((await canvas.getAttribute('aria-label')).length > 10, `chart ${ch.name} has an accessible name`);
      assert.ok(shown.find((o) => o.name === ch.name).rows.length > 0, `chart ${ch.name} has a data table`);
    }
    assert.deepEqual(await smallCounts(p), [], 'a count from 1 to 19 in the DOM');

    if (doc.solution) {
      const check = doc.cells.find((c) => c.kind === 'code' && /check\(/.test(c.source));
      const checkCell = p.locator(`li[data-name="${check.name}"]`);
      assert.equal(await checkCell.locator('[data-check]').getAttribute('data-check'), 'fail', 'the check passes before the exercise');
      const sel = `li[data-name="${doc.solution.cell}"]`;
      await typeInto(p, sel, doc.solution.source ?? JSON.stringify(doc.solution.definition, null, 2));
      await p.keyboard.press('Shift+Enter');
      await p.waitForSelector(`li[data-name="${check.name}"] [data-check="pass"]`, { timeout: 30_000 });
      await settled(p);
      assert.deepEqual(await cellErrors(p), [], 'cells in error after the solution');
    }
    const slug = tutorial.file.replace('.json', '');
    await p.screenshot({ path: screenshotPath(`notebook-${slug}-1280`), fullPage: true });
    assert.deepEqual(errors, [], 'console errors');
    await p.close();
  });
}

test('the welcome page, the gallery and the chart page have no serious axe violation; screenshots at 1280 and 390 px', async () => {
  for (const width of [1280, 390]) {
    const errors = [];
    const p = await newPage(errors, width);
    await p.goto(served.server.url);
    await settled(p);
    assert.deepEqual(await axeViolations(p), [], `welcome at ${width}px`);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the ${width}px window`);
    await p.screenshot({ path: screenshotPath(`notebook-welcome-${width}`), fullPage: true });
    await p.click('#show-tutorials');
    await p.waitForSelector('#tutorial-list button');
    assert.deepEqual(await axeViolations(p), [], `gallery at ${width}px`);
    await p.screenshot({ path: screenshotPath(`notebook-gallery-${width}`) });
    await p.click('#tutorial-list button >> nth=0');
    await settled(p);
    assert.deepEqual(await axeViolations(p), [], `first tutorial at ${width}px`);
    await p.screenshot({ path: screenshotPath(`notebook-tutorial-${width}`), fullPage: true });
    assert.deepEqual(errors, [], 'console errors');
    await p.close();
  }
  const p = await newPage([], 1280);
  await p.goto(`${served.server.url}charts.html`);
  await p.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
  assert.deepEqual(await axeViolations(p), [], 'charts.html');
  await p.close();
});

test('keyboard only: add a cohort cell, type its definition, run it, run all', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(served.server.url);
  await settled(p);
  const tabTo = async (selector) => {
    for (let i = 0; i < 200; i++) {
      await p.keyboard.press('Tab');
      if (await p.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  await tabTo('[data-add="cohort"]');
  await p.keyboard.press('Enter');
  const cell = p.locator('#cells > li.cell').last();
  await p.waitForFunction(() => document.activeElement?.closest('#cells > li.cell:last-child'));
  const name = await cell.getAttribute('data-name');
  assert.match(name, /^cohort\d+$/);
  // The cell opens on its visual builder; the arrow keys move to its JSON tab.
  await tabTo('#cells > li.cell:last-child .tabs [role=tab][aria-selected="true"]');
  await p.keyboard.press('ArrowRight');
  await cell.locator('.json-panel .cm-content').waitFor();
  await tabTo('#cells > li.cell:last-child .cm-content');
  const definition = {
    includes: [
      { id: 'htn', items: [{ id: 'htn', type: 'CONDITION', searchParameters: [{ domain: 'CONDITION', conceptId: 320128, type: 'SNOMED', standard: true }] }] },
      { id: 'women', items: [{ id: 'f', type: 'PERSON', searchParameters: [{ domain: 'PERSON', type: 'SEX', conceptId: 45878463 }] }] },
    ],
    excludes: [{ id: 'dm', items: [{ id: 't2', type: 'CONDITION', searchParameters: [{ domain: 'CONDITION', conceptId: 201826, type: 'SNOMED', standard: true }] }] }],
  };
  await p.keyboard.press('Control+A');
  await p.keyboard.insertText(JSON.stringify(definition));
  await p.keyboard.press('Shift+Enter');
  const [want] = cliCounts([definition]);
  await p.waitForFunction(([n, label]) => document.querySelector(`li[data-name="${n}"] .cohort-result .total .count`)?.textContent.replace(/,/g, '') === label,
    [name, want.label.replace(/,/g, '')], { timeout: 30_000 });
  await tabTo('#run-all');
  await p.keyboard.press('Enter');
  await settled(p);
  assert.deepEqual(await cellErrors(p), []);
  assert.deepEqual(errors, []);
  await p.close();
});

test('a cohort built by clicking in a Cohort cell counts what cohortlens count counts for its JSON; its review charts draw', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(served.server.url);
  await settled(p);
  await p.click('[data-add="cohort"]');
  const cell = p.locator('#cells > li.cell').last();
  // Type 2 diabetes by its ICD10CM code, with its descendants, besides the blank cell's ages 18–65.
  await addConditionGroup(p, cell, 'E11', (concepts) => concepts
    .filter({ has: p.locator('.cb-concept-name', { hasText: /^Type 2 diabetes mellitus$/i }) })
    .filter({ has: p.locator('.cb-meta', { hasText: /^ICD10CM / }) }));
  const name = await cell.getAttribute('data-name');
  await cell.locator('.tabs [role=tab]', { hasText: 'JSON' }).click();
  // The editor's whole text (CodeMirror draws only the lines in view), through its public API.
  await cell.locator('.json-panel .cm-content').waitFor();
  const text = await cell.locator('.json-panel .cm-editor').evaluate(async (e) => {
    const { EditorView } = await import('/vendor/editor.js');
    return EditorView.findFromDOM(e).state.doc.toString();
  });
  const definition = JSON.parse(text);
  assert.equal(definition.includes.length, 2);
  assert.equal(definition.includes[1].items[0].searchParameters[0].type, 'ICD10CM');
  const [want] = cliCounts([definition]);
  assert.notEqual(want.label, '0', 'the cohort is not empty');
  const total = await cell.locator('.cohort-result .total .count').textContent();
  assert.equal(total.replace(/,/g, ''), want.label.replace(/,/g, ''), `the cell shows ${total}, cohortlens count ${want.label}`);
  assert.equal((await cell.locator('.cb-total-count').innerText()).replace(/,|\s*participants$/g, '').trim(), want.label.replace(/,/g, ''));

  // Review charts: demographics, age × sex and top conditions, drawn in the worker.
  await cell.locator('details.cohort-review > summary').click();
  await p.waitForFunction((n) => {
    const canvases = [...document.querySelectorAll(`li[data-name="${n}"] .review-charts canvas`)];
    return canvases.length === 5 && canvases.every((c) => c.getAttribute('role') === 'img');
  }, name, { timeout: 60_000 });
  const labels = await cell.locator('.review-charts canvas').evaluateAll((cs) => cs.map((c) => c.getAttribute('aria-label')));
  assert.ok(labels.some((l) => /sex/i.test(l)) && labels.some((l) => /race/i.test(l)) && labels.some((l) => /condition/i.test(l)), labels.join(' | '));
  assert.deepEqual(await cell.locator('.review-charts .cell-error').allTextContents(), []);
  await cell.screenshot({ path: screenshotPath('notebook-cohort-cell-1280') });
  assert.deepEqual(await smallCounts(p), []);
  assert.deepEqual(errors, []);
  await p.close();
});

test('save → open, the share link and the report keep the outputs', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(`${served.server.url}#tutorial=first-cohort.json`);
  await settled(p);
  const before = await outputs(p);

  const [saved] = await Promise.all([p.waitForEvent('download'), p.click('#save-notebook')]);
  const file = join(work, 'saved.json');
  await saved.saveAs(file);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.title, '1. Your first cohort');
  // Every cell, definitions and specs included, round-trips unchanged.
  assert.deepEqual(doc.cells, JSON.parse(readFileSync(join(TUTORIALS, 'first-cohort.json'), 'utf8')).cells);

  const fresh = await newPage(errors);
  await fresh.goto(served.server.url);
  await settled(fresh);
  await fresh.setInputFiles('#open-file', file);
  await fresh.waitForFunction(() => document.getElementById('notebook-title').value === '1. Your first cohort');
  await settled(fresh);
  assert.deepEqual(await outputs(fresh), before, 'outputs after save and open');
  await fresh.close();

  await p.click('#share-notebook');
  await p.waitForFunction(() => location.hash.startsWith('#nb='));
  const link = await p.evaluate(() => location.href);
  const shared = await newPage(errors);
  await shared.goto(link);
  await settled(shared);
  assert.deepEqual(await outputs(shared), before, 'outputs from the share link');
  await shared.close();

  // Autosave: a reload without a hash shows the same notebook.
  await p.goto(served.server.url);
  await settled(p);
  assert.equal(await p.inputValue('#notebook-title'), '1. Your first cohort');

  const [report] = await Promise.all([p.waitForEvent('download'), p.click('#export-report')]);
  const html = readFileSync(await report.path(), 'utf8');
  assert.doesNotMatch(html, /<script/i);
  // One section per cell, in order; each with outputs names the policy; the chart cell is an
  // SVG, and the cohort cell has its five review charts (sex, race, ethnicity, age × sex, top
  // conditions) as SVG too.
  const sections = [...html.matchAll(/<section>([\s\S]*?)<\/section>/g)].map((m) => m[1]);
  assert.deepEqual(sections.length, doc.cells.length, 'a section per cell');
  doc.cells.forEach((cell, i) => {
    const section = sections[i];
    const svgs = (section.match(/<svg[\s>]/g) ?? []).length;
    if (cell.kind !== 'markdown') assert.match(section, /Counts under the All of Us policy/, `${cell.name}: the policy is named`);
    if (cell.kind === 'chart') assert.equal(svgs, 1, `${cell.name}: the chart as SVG`);
    if (cell.kind === 'cohort') {
      assert.equal(svgs, 5, `${cell.name}: the five review charts as SVG`);
      const titles = [...section.matchAll(/<svg[^>]*>\s*<title>([^<]*)<\/title>/g)].map((m) => m[1]).join(' | ');
      for (const title of [/Sex assigned at birth/, /Race/, /Ethnicity/, /age by sex/i, /condition/i]) assert.match(titles, title, `${cell.name}: review charts ${titles}`);
    }
    if (cell.kind === 'table') assert.match(section, /<table class="stat">/, `${cell.name}: the table`);
  });
  // No count from 1 to 19 in the report's tables or charts.
  const small = [...html.matchAll(/<span class="count"[^>]*>(\d[\d,]*)<\/span>/g)].map((m) => Number(m[1].replace(/,/g, ''))).filter((n) => n >= 1 && n <= 19);
  assert.deepEqual(small, [], 'no count from 1 to 19 in the report');
  // How the report looks, at both widths (no script runs in it; it reads without the server).
  const view = await newPage(errors);
  await view.setContent(html);
  for (const width of [1280, 390]) {
    await view.setViewportSize({ width, height: 900 });
    const overflow = await view.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the report scrolls sideways by ${overflow} px at ${width} px`);
    await view.screenshot({ path: screenshotPath(`notebook-report-${width}`), fullPage: true });
  }
  await view.close();
  for (const c of before.filter((o) => o.total)) assert.ok(html.includes(c.total), `the report shows ${c.total}`);
  assert.deepEqual(errors, []);
  await p.close();
});

test('a Code cell sees lens and other cells, re-runs when they change, and shows errors under itself', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(served.server.url);
  await settled(p);
  // The editor loads on first use; slowed so that the name is typed before it arrives: it must
  // not take the focus (and the rest of the typing) away from the name field.
  await slowEditorLoad(p);
  await p.click('[data-add="code"]');
  const cell = p.locator('#cells > li.cell').last();
  await cell.locator('.cell-name').fill('doubled');
  await cell.locator('.cm-content').waitFor();
  assert.equal(await p.evaluate(() => document.activeElement?.className), 'cell-name', 'the name field keeps the focus');
  assert.equal(await cell.locator('.cell-name').inputValue(), 'doubled');
  await cell.locator('.cell-name').press('Tab');
  await typeInto(p, '#cells > li.cell:last-child', 'const c = await lens.count(diabetes);\nc.value * 2');
  await p.keyboard.press('Shift+Enter');
  const [want] = cliCounts([JSON.parse(readFileSync(join(TUTORIALS, 'welcome.json'), 'utf8')).cells[1].definition]);
  await p.waitForFunction((v) => document.querySelector('li[data-name="doubled"] .cell-output')?.textContent.includes(String(v)), want.shown * 2);
  // The rest of the client from a cell: concept search, concept statistics, CSV export, catalog.
  await typeInto(p, '#cells > li.cell:last-child', [
    "const hits = await lens.searchConcepts('diabetes', { domain: 'CONDITION', limit: 5 });",
    "const sex = await lens.conceptStatistics(201826, { kind: 'sexAtBirth' });",
    "const csv = await lens.statistics(diabetes, { kind: 'sexAtBirth' }, 'csv');",
    'const catalog = await lens.catalog();',
    "`${hits.some((h) => h.conceptId === 201826)}|${sex.policy}|${csv.split('\\n')[0]}|${catalog.dataset.referenceDate}`",
  ].join('\n'));
  await p.keyboard.press('Shift+Enter');
  await p.waitForFunction(() => /true\|aou\|/.test(document.querySelector('li[data-name="doubled"] .cell-output')?.textContent ?? ''));
  const shown = await p.locator('li[data-name="doubled"] .cell-output').textContent();
  const catalog = await (await fetch(new URL('api/v1/catalog', served.server.url))).json();
  assert.ok(shown.includes(catalog.dataset.referenceDate), shown);
  assert.match(shown, /true\|aou\|# cohortlens: Sex assigned at birth; policy: aou/, 'the CSV export names its policy');
  await typeInto(p, '#cells > li.cell:last-child', 'nosuchcell + 1');
  await p.keyboard.press('Shift+Enter');
  await p.waitForSelector('li[data-name="doubled"][data-status="error"]');
  assert.match(await p.locator('li[data-name="doubled"] .cell-error').textContent(), /nosuchcell is not defined/);
  await p.close();
});

test('a running cell shows it and can be cancelled; cells move, delete, and a text cell edits', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(served.server.url);
  await settled(p);
  await p.click('[data-add="code"]');
  await typeInto(p, '#cells > li.cell:last-child', 'await new Promise((resolve) => setTimeout(resolve, 60_000));\n1');
  await p.keyboard.press('Shift+Enter');
  const cell = p.locator('#cells > li.cell').last();
  await p.waitForSelector('#cells > li.cell:last-child[data-status="running"]');
  assert.equal(await cell.locator('.state').textContent(), 'Running…');
  await cell.getByRole('button', { name: 'Cancel this cell' }).click();
  await p.waitForSelector('#cells > li.cell:last-child[data-status="cancelled"]');
  assert.match(await cell.locator('.cell-error').textContent(), /Cancelled/);

  const order = () => p.$$eval('#cells > li.cell', (cells) => cells.map((c) => c.dataset.name ?? c.dataset.kind));
  const before = await order();
  await p.locator('li[data-name="ageSex"]').getByRole('button', { name: 'Move this cell up' }).click();
  const moved = await order();
  assert.deepEqual(moved.slice(0, 3), [before[0], before[2], before[1]]);
  await cell.getByRole('button', { name: 'Delete this cell' }).click();
  assert.equal((await order()).length, before.length - 1);

  const text = p.locator('#cells > li.cell[data-kind="markdown"]').first();
  await text.getByRole('button', { name: 'Edit this text' }).click();
  await p.keyboard.press('Control+A');
  await p.keyboard.insertText('# Changed\n\nA **new** first cell.');
  await text.getByRole('button', { name: 'Done editing this text' }).click();
  await p.waitForFunction(() => document.querySelector('#cells > li.cell .markdown h1')?.textContent === 'Changed');
  // The text cell's Markdown is sanitised: no script, no handler.
  await text.getByRole('button', { name: 'Edit this text' }).click();
  await p.keyboard.press('Control+A');
  await p.keyboard.insertText('<img src="data:," onerror="window.pwned=1"><script>window.pwned=2</script>Safe');
  await text.getByRole('button', { name: 'Done editing this text' }).click();
  await p.waitForFunction(() => document.querySelector('#cells > li.cell .markdown')?.textContent.includes('Safe'));
  assert.equal(await p.evaluate(() => window.pwned), undefined);
  assert.equal(await p.locator('#cells .markdown [onerror], #cells .markdown script').count(), 0);
  // Chromium reports the handler DOMPurify's parse met as blocked by the server's
  // Content-Security-Policy (defence in depth: it never runs, and the sanitised DOM has none).
  const blocked = /^Executing inline event handler violates the following Content Security Policy/;
  assert.ok(errors.some((e) => blocked.test(e)), 'the CSP blocked the handler');
  assert.deepEqual(errors.filter((e) => !blocked.test(e)), []);
  await p.close();
});

test('a Text cell whose Done is pressed while its editor still loads closes once the editor is there', async () => {
  const errors = [];
  const p = await newPage(errors);
  await p.goto(served.server.url);
  await settled(p);
  // Done is pressed before the editor has arrived.
  await slowEditorLoad(p);
  const text = p.locator('#cells > li.cell[data-kind="markdown"]').first();
  await text.getByRole('button', { name: 'Edit this text' }).click();
  await text.getByRole('button', { name: 'Done editing this text' }).click();
  await text.getByRole('button', { name: 'Edit this text' }).waitFor();
  assert.equal(await text.locator('.cm-editor').count(), 0, 'no editor left open');
  assert.ok(await text.evaluate((li) => li.classList.contains('reading')), 'the cell reads as text again');
  assert.deepEqual(errors, []);
  await p.close();
});

test('a newcomer picks a tutorial, runs it to the end, builds a cohort by clicking, charts it, saves and shares it; no engine work on the main thread', async () => {
  const errors = [];
  const p = await newPage(errors);
  // Every way to start WebAssembly, counted on the page's main thread (init scripts do not run in workers).
  await p.addInitScript(() => {
    globalThis.mainThreadWasm = [];
    for (const name of ['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming']) {
      const original = WebAssembly[name];
      WebAssembly[name] = function (...args) { globalThis.mainThreadWasm.push(name); return original.apply(this, args); };
    }
    const Module = WebAssembly.Module;
    WebAssembly.Module = function (...args) { globalThis.mainThreadWasm.push('Module'); return new Module(...args); };
  });
  await p.goto(served.server.url);
  await settled(p);
  await p.getByRole('button', { name: 'Tutorials' }).click();
  await p.locator('#tutorial-list button', { hasText: 'Your first cohort' }).click();
  await p.waitForFunction(() => document.getElementById('notebook-title').value === '1. Your first cohort');
  await p.getByRole('button', { name: 'Run all' }).click();
  await settled(p);
  assert.deepEqual(await cellErrors(p), [], 'the tutorial runs to the end');
  assert.ok(await p.locator('#cells [data-check]').count() > 0, 'its check answered');

  // Their own cohort, by clicking: the new cell's ages 18–65 and essential hypertension.
  await p.getByRole('button', { name: 'Cohort', exact: true }).click();
  const cell = p.locator('#cells > li.cell').last();
  await addConditionGroup(p, cell, 'essential hypertension',
    (concepts) => concepts.filter({ has: p.locator('.cb-meta', { hasText: /^SNOMED / }) }));
  const name = await cell.getAttribute('data-name');

  // …charted: a new Chart cell takes the last cohort and draws it.
  await p.getByRole('button', { name: 'Chart', exact: true }).click();
  const chart = p.locator('#cells > li.cell').last();
  assert.equal(await chart.locator('select.cohort-picker').inputValue(), name);
  await chart.locator('canvas.chart[role="img"]').waitFor({ timeout: 60_000 });
  await settled(p);
  assert.deepEqual(await cellErrors(p), []);
  const before = await outputs(p);

  // …saved: the file holds the clicked definition, and its count is what cohortlens count says.
  const [saved] = await Promise.all([p.waitForEvent('download'), p.click('#save-notebook')]);
  const doc = JSON.parse(readFileSync(await saved.path(), 'utf8'));
  const mine = doc.cells.find((c) => c.name === name);
  assert.equal(mine.definition.includes.length, 2);
  assert.deepEqual(doc.cells.at(-1), { ...doc.cells.at(-1), kind: 'chart', cohort: name });
  const [want] = cliCounts([mine.definition]);
  assert.equal(before.find((o) => o.name === name).total.replace(/,/g, ''), want.label.replace(/,/g, ''));

  // …shared: the link opens the same notebook with the same outputs.
  await p.click('#share-notebook');
  await p.waitForFunction(() => location.hash.startsWith('#nb='));
  const shared = await newPage(errors);
  await shared.goto(await p.evaluate(() => location.href));
  await settled(shared);
  assert.deepEqual(await outputs(shared), before, 'outputs from the share link');
  await shared.close();

  // The engine ran in the worker only.
  assert.deepEqual(await p.evaluate(() => globalThis.mainThreadWasm), [], 'WebAssembly started on the main thread');
  assert.ok(p.workers().some((w) => w.url().endsWith('/cohortlens/worker.js')), 'the engine worker runs');
  assert.deepEqual(await smallCounts(p), []);
  assert.deepEqual(errors, []);
  await p.close();
});

test('index.d.ts declares every export and every lens method of the client, with JSON shapes the wasm build generates', () => {
  const js = readFileSync(join(ROOT, 'www/cohortlens/index.js'), 'utf8');
  const dts = readFileSync(join(ROOT, 'www/cohortlens/index.d.ts'), 'utf8');
  const generated = readFileSync(join(ROOT, 'pkg/cohortlens.d.ts'), 'utf8');
  const exported = [...js.matchAll(/^export (?:async )?function (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(exported.sort(), ['fetchCatalog', 'open']);
  for (const name of exported) assert.match(dts, new RegExp(`^export function ${name}\\(`, 'm'), `export ${name}`);
  // The lens object's members, as index.js builds it.
  const body = js.slice(js.indexOf('const lens = {'), js.indexOf('return lens;'));
  const members = [...body.matchAll(/^ {4}(?:async )?(\w+)(?::|\()/gm)].map((m) => m[1]);
  const lensInterface = dts.slice(dts.indexOf('export interface Lens {'), dts.indexOf('\n}', dts.indexOf('export interface Lens {')));
  const declared = [...lensInterface.matchAll(/^ {2}(?:readonly )?(\w+)[(:]/gm)].map((m) => m[1]);
  assert.ok(members.length >= 12, `lens members found: ${members}`);
  assert.deepEqual([...new Set(members)].sort(), [...new Set(declared)].sort(), 'lens members and their declarations');
  // Every JSON shape it imports is generated from the Rust types.
  const imported = dts.slice(dts.indexOf('import type {') + 13, dts.indexOf("} from '../../pkg/cohortlens'")).split(',')
    .map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean);
  assert.ok(imported.length >= 10);
  for (const name of imported) assert.match(generated, new RegExp(`export (type|interface) ${name}\\b`), `${name} in pkg/cohortlens.d.ts`);
});
