// The visual Cohort Builder (www/builder.html, www/builder/) through the release wasm build on a
// real server: a cohort built by clicking counts what `cohortlens count` counts for the request
// the JSON tab shows; Workbench requests pasted into the JSON tab come back unchanged; the
// keyboard alone builds a cohort; axe-core finds no serious or critical violation; no count from
// 1 to 19 reaches the DOM; no console error. The pages are served under the Content-Security-Policy
// the server is to send. Screenshots at 1280 and 390 px go to test-output/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, page, screenshotPath, servedDataset } from './harness.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'self'; " +
  "form-action 'self'; object-src 'none'";
const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

const f = servedDataset(10_000);

/** The builder page at `width` px, served with the CSP; console errors go to `errors`. */
async function openBuilder(errors, width = 1280, query = '') {
  const p = await page(f.chromium, errors);
  await p.setViewportSize({ width, height: 900 });
  await p.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = response.headers();
    if ((headers['content-type'] ?? '').includes('text/html')) headers['content-security-policy'] = CSP;
    await route.fulfill({ response, headers });
  });
  p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  await p.goto(`${f.server.url}builder.html${query}`);
  await p.waitForSelector('.cb', { timeout: 120_000 });
  return p;
}

/** Waits until no preview is running or pending, then returns the total count's text. */
async function settledTotal(p) {
  await p.waitForTimeout(400); // the preview debounce
  await p.waitForFunction(() => document.querySelector('.cb-running')?.hidden, null, { timeout: 60_000 });
  return (await p.locator('.cb-total-count').innerText()).trim();
}

/** The request the JSON tab shows. */
async function jsonTab(p) {
  await p.getByRole('tab', { name: 'JSON' }).click();
  const text = await p.locator('.cb-json').inputValue();
  await p.getByRole('tab', { name: 'Build' }).click();
  return text;
}

/** `cohortlens count` on `definition` over the served dataset: {shown, label, policy}. */
function engineCount(definition) {
  const dir = mkdtempSync(join(tmpdir(), 'cohortlens-builder-'));
  try {
    const file = join(dir, 'definition.json');
    writeFileSync(file, JSON.stringify(definition));
    const out = execFileSync(BIN, ['count', '--data', f.dataset.out, '--definition', file], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every count shown is 0, "≤ 20" or above 20; no "N participants" with N from 1 to 19 anywhere
 * (a number after a hyphen is part of a name, as in "COVID-19 Participant Experience"). */
async function assertNoSmallCounts(p) {
  const found = await p.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('[data-count]')) {
      const text = el.firstChild?.textContent?.trim() ?? '';
      const n = Number(text.replace(/,/g, ''));
      if (!(text === '0' || text === '≤ 20' || text === '—' || (Number.isInteger(n) && n > 20))) bad.push(text);
    }
    const body = document.body.innerText;
    for (const m of body.matchAll(/(?<![\d.,≤-])\b([1-9]|1\d)\s+(participants?|persons?|people)\b/gi)) bad.push(m[0]);
    return bad;
  });
  assert.deepEqual(found, [], `counts from 1 to 19 (or malformed counts) in the DOM: ${found.join(', ')}`);
}

/** axe-core's serious and critical violations on the page as it is. */
async function axeViolations(p) {
  await p.evaluate(AXE);
  const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
}

/** Opens "Add criteria" from `button`, picks `domain` and selects the search hit named `name`. */
async function addConcept(p, button, domain, search, name, vocabulary) {
  await button.click();
  const dialog = p.locator('dialog[open]');
  await dialog.getByRole('button', { name: new RegExp(`^${domain}`) }).click();
  await dialog.getByRole('searchbox').fill(search);
  await dialog.getByRole('status').filter({ hasText: `“${search}”` }).waitFor();
  const row = dialog.locator('.cb-concept')
    .filter({ has: p.locator('.cb-concept-name', { hasText: new RegExp(`^${name}$`, 'i') }) })
    .filter({ has: p.locator('.cb-meta', { hasText: new RegExp(`^${vocabulary} `) }) }).first();
  await row.getByRole('button', { name: /^Select / }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('a cohort built by clicking counts what cohortlens count counts for its JSON', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  // Type 2 diabetes by its ICD10CM code, with its descendants (E11.9, E11.65…)…
  await addConcept(p, p.getByRole('button', { name: '+ Add criteria to include' }), 'Conditions', 'E11', 'Type 2 diabetes mellitus', 'ICD10CM');
  // …aged 40 to 65…
  await p.getByRole('button', { name: '+ Add another include group' }).click();
  let dialog = p.locator('dialog[open]');
  await dialog.getByRole('button', { name: /^Demographics/ }).click();
  await dialog.getByRole('button', { name: 'Age', exact: true }).click();
  await dialog.getByLabel('Youngest age').fill('40');
  await dialog.getByLabel('Oldest age').fill('65');
  await dialog.locator('.cb-preview .cb-count').waitFor();
  await dialog.getByRole('button', { name: 'Add age range to cohort' }).click();
  // …minus insulin.
  await addConcept(p, p.getByRole('button', { name: '+ Add criteria to exclude' }), 'Drugs', 'insulin', 'insulin glargine', 'RxNorm');
  const total = await settledTotal(p);

  const request = JSON.parse(await jsonTab(p));
  assert.equal(request.includes.length, 2);
  assert.equal(request.excludes.length, 1);
  const [t2dm] = request.includes[0].items[0].searchParameters;
  assert.deepEqual(Object.keys(t2dm), ['parameterId', 'name', 'domain', 'type', 'group', 'attributes', 'ancestorData', 'standard', 'conceptId']);
  assert.deepEqual([t2dm.type, t2dm.standard, t2dm.name], ['ICD10CM', false, 'Type 2 diabetes mellitus']);
  assert.equal(t2dm.parameterId, `param${t2dm.conceptId}E11false`);
  assert.equal(t2dm.group, true, 'include descendants sets group');
  assert.deepEqual(request.includes[1].items[0].searchParameters[0].attributes, [{ name: 'AGE', operator: 'BETWEEN', operands: ['40', '65'] }]);
  assert.equal(request.excludes[0].items[0].searchParameters[0].ancestorData, true, 'a drug rolls up to its products');

  const engine = engineCount(request);
  assert.ok(engine.label, `cohortlens count rejected the builder's request: ${JSON.stringify(engine)}`);
  const shown = total.replace(/\s*participants$/, '').replace(/,/g, '');
  assert.equal(shown, engine.label, `the page shows ${total}, cohortlens count ${engine.label}`);
  assert.notEqual(engine.label, '0', 'the cohort is not empty');

  // Each group and item shows a count too, and the policy is named.
  assert.equal(await p.locator('.cb-group-count .cb-count').count(), 3);
  assert.equal(await p.locator('.cb-item-count .cb-count').count(), 3);
  assert.match(await p.locator('.cb-policy').innerText(), /All of Us dissemination policy/);
  await assertNoSmallCounts(p);
  await p.screenshot({ path: screenshotPath('builder-1280'), fullPage: true });
  await p.setViewportSize({ width: 390, height: 844 });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 390 px wide`);
  await p.screenshot({ path: screenshotPath('builder-390'), fullPage: true });
  assert.deepEqual(errors, []);
  await p.close();
});

test('the concept search shows the hierarchy with disclosed counts and adds a lab value range', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  await p.getByRole('button', { name: '+ Add criteria to include' }).click();
  const dialog = p.locator('dialog[open]');
  await dialog.getByRole('button', { name: /^Conditions/ }).click();
  await dialog.getByRole('searchbox').fill('201826');
  await dialog.getByRole('status').filter({ hasText: '“201826”' }).waitFor();
  await dialog.getByRole('button', { name: 'Browse the hierarchy of Type 2 diabetes mellitus', exact: true }).click();
  await dialog.getByRole('status').filter({ hasText: 'Hierarchy of Type 2 diabetes mellitus' }).waitFor();
  const parents = await dialog.locator('.cb-tree > ul').first().locator('.cb-concept-name').allInnerTexts();
  assert.ok(parents.some((n) => /diabetes mellitus/i.test(n)), `parents of type 2 diabetes: ${parents}`);
  assert.ok(await dialog.locator('.cb-tree [data-count]').count() > 2, 'counts beside the concepts');
  await assertNoSmallCounts(p);
  await p.setViewportSize({ width: 390, height: 844 });
  await p.screenshot({ path: screenshotPath('builder-hierarchy-390') });
  await p.setViewportSize({ width: 1280, height: 900 });
  await p.screenshot({ path: screenshotPath('builder-hierarchy-1280') });
  assert.deepEqual(await axeViolations(p), []);

  // Labs: HbA1c at least 6.5 %.
  await dialog.getByRole('button', { name: '← All domains' }).click();
  await dialog.getByRole('button', { name: /^Labs and measurements/ }).click();
  await dialog.getByRole('searchbox').fill('4548-4');
  await dialog.getByRole('status').filter({ hasText: '“4548-4”' }).waitFor();
  const row = dialog.locator('.cb-concept').first();
  await row.locator('summary').click();
  await row.getByRole('combobox').selectOption('GREATER_THAN_OR_EQUAL_TO');
  await row.getByRole('spinbutton').first().fill('6.5');
  await row.getByRole('button', { name: 'Select with this value' }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await settledTotal(p);
  const request = JSON.parse(await jsonTab(p));
  const lab = request.includes[0].items[0].searchParameters[0];
  assert.equal(lab.domain, 'MEASUREMENT');
  assert.deepEqual(lab.attributes, [{ name: 'NUM', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [6.5] }]);
  assert.equal((await p.locator('.cb-total-count').innerText()).replace(/\D/g, ''), engineCount(request).label.replace(/\D/g, ''));

  // "Add more" puts a second concept into the same item: glucose, any value.
  await p.getByRole('button', { name: 'Add more to Labs and Measurements' }).click();
  await dialog.getByRole('searchbox').fill('glucose');
  await dialog.getByRole('status').filter({ hasText: '“glucose”' }).waitFor();
  await dialog.locator('.cb-concept').first().getByRole('button', { name: /^Select / }).first().click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await settledTotal(p);
  const extended = JSON.parse(await jsonTab(p));
  assert.equal(extended.includes[0].items.length, 1);
  assert.equal(extended.includes[0].items[0].searchParameters.length, 2);
  assert.deepEqual(extended.includes[0].items[0].searchParameters[1].attributes, []);
  assert.equal((await p.locator('.cb-total-count').innerText()).replace(/\D/g, ''), engineCount(extended).label.replace(/\D/g, ''));
  assert.deepEqual(errors, []);
  await p.close();
});

test('a lab with categorical answers picks its value concepts (CAT), counted as cohortlens count counts', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  await p.getByRole('button', { name: '+ Add criteria to include' }).click();
  const dialog = p.locator('dialog[open]');
  await dialog.getByRole('button', { name: /^Labs and measurements/ }).click();
  await dialog.getByRole('searchbox').fill('94500-6');
  await dialog.getByRole('status').filter({ hasText: '“94500-6”' }).waitFor();
  const row = dialog.locator('.cb-concept').first();
  assert.match(await row.locator('.cb-concept-name').innerText(), /SARS-CoV-2/);
  await row.locator('summary', { hasText: 'Value' }).click();
  // The answers some participant has, each with a disclosed count (as the Workbench's
  // "Categorical Values" with their counts).
  const categories = row.locator('.cb-categorical:not([hidden])');
  await categories.getByRole('checkbox').first().waitFor();
  const answers = await categories.locator('label').allInnerTexts();
  assert.deepEqual(answers.map((a) => a.trim()).sort(), ['Negative', 'Positive']);
  assert.equal(await categories.locator('[data-count]').count(), 2);
  await assertNoSmallCounts(p);
  await p.screenshot({ path: screenshotPath('builder-categorical-1280') });
  assert.deepEqual(await axeViolations(p), []);
  await p.setViewportSize({ width: 390, height: 844 });
  const overflow = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.ok(overflow <= 0, `the dialog scrolls sideways by ${overflow} px at 390 px`);
  await row.scrollIntoViewIfNeeded();
  await p.screenshot({ path: screenshotPath('builder-categorical-390') });
  await p.setViewportSize({ width: 1280, height: 900 });
  await categories.getByLabel('Positive').check();
  await row.getByRole('button', { name: 'Select with this value' }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  const total = await settledTotal(p);
  const request = JSON.parse(await jsonTab(p));
  const lab = request.includes[0].items[0].searchParameters[0];
  // attributes-page.tsx paramWithAttributes: the parameter with a CAT attribute of the value
  // concept ids as strings, its id the concept and the value concepts, its name the answers.
  assert.deepEqual(lab, {
    parameterId: `param${lab.conceptId}45884084`,
    name: `${lab.name.replace(/ \(Positive\)$/, '')} (Positive)`,
    domain: 'MEASUREMENT', type: 'LOINC', group: false,
    attributes: [{ name: 'CAT', operator: 'IN', operands: ['45884084'] }],
    ancestorData: false, standard: true, conceptId: 706163,
  });
  assert.match(lab.name, /^SARS-CoV-2 .* \(Positive\)$/);
  const engine = engineCount(request);
  assert.notEqual(engine.label, '0', 'some participants tested positive');
  assert.equal(total.replace(/\s*participants$/, '').replace(/,/g, ''), engine.label);

  // A value range and an answer together: NUM or CAT, as the Workbench combines them.
  await p.getByRole('button', { name: 'Add more to Labs and Measurements' }).click();
  await dialog.getByRole('searchbox').fill('94500-6');
  await dialog.getByRole('status').filter({ hasText: '“94500-6”' }).waitFor();
  const again = dialog.locator('.cb-concept').first();
  await again.locator('summary', { hasText: 'Value' }).click();
  await again.locator('.cb-categorical:not([hidden])').getByLabel('Negative').check();
  await again.getByRole('combobox').selectOption('GREATER_THAN_OR_EQUAL_TO');
  await again.getByRole('spinbutton').first().fill('1');
  await again.getByRole('button', { name: 'Select with this value' }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  const both = await settledTotal(p);
  const extended = JSON.parse(await jsonTab(p));
  const second = extended.includes[0].items[0].searchParameters[1];
  assert.deepEqual(second.attributes, [{ name: 'NUM', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [1] }, { name: 'CAT', operator: 'IN', operands: ['45878583'] }]);
  assert.equal(second.parameterId, 'param7061630245878583');
  assert.match(second.name, /\(>= 1, Negative\)$/);
  assert.equal(both.replace(/\s*participants$/, '').replace(/,/g, ''), engineCount(extended).label);
  assert.deepEqual(errors, []);
  await p.close();
});

test('procedures, visits, a survey answer, blood pressure, Fitbit and a data filter added by clicking count as cohortlens count', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  const dialog = p.locator('dialog[open]');
  const domain = async (opener, name) => {
    await opener.click();
    await dialog.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  };
  const firstHit = async (search) => {
    await dialog.getByRole('searchbox').fill(search);
    await dialog.getByRole('status').filter({ hasText: `“${search}”` }).waitFor();
    await dialog.locator('.cb-concept').first().getByRole('button', { name: /^Select / }).click();
    await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
    await dialog.waitFor({ state: 'detached' });
  };
  const toGroup = p.getByRole('button', { name: '+ Add criteria to this group' });
  await domain(p.getByRole('button', { name: '+ Add criteria to include' }), 'Procedures');
  await firstHit('colonoscopy');
  await domain(toGroup, 'Visits');
  await firstHit('emergency');
  // A survey answer: Lifestyle, its first question, its first answer.
  await domain(toGroup, 'Surveys');
  await dialog.locator('summary', { hasText: 'Questions of Lifestyle' }).click();
  await dialog.locator('.cb-question summary').first().click();
  await dialog.locator('.cb-questions .cb-option').first().getByRole('button', { name: /^Select / }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await dialog.waitFor({ state: 'detached' });
  // Blood pressure, the Hypertensive category.
  await domain(toGroup, 'Physical measurements');
  await dialog.getByRole('button', { name: 'Hypertensive', exact: true }).click();
  await dialog.getByRole('button', { name: 'Select blood pressure with these values' }).click();
  await dialog.getByRole('button', { name: /^Add 1 selected/ }).click();
  await dialog.waitFor({ state: 'detached' });
  // Fitbit flags are added at once.
  await domain(toGroup, 'Fitbit');
  await dialog.getByRole('button', { name: /^Has Any Fitbit Data/ }).click();
  await dialog.waitFor({ state: 'detached' });
  await settledTotal(p);

  const request = JSON.parse(await jsonTab(p));
  const items = request.includes[0].items;
  assert.deepEqual(items.map((it) => it.type), ['PROCEDURE', 'VISIT', 'SURVEY', 'PHYSICAL_MEASUREMENT', 'FITBIT']);
  // CPT4 codes are source concepts in the Workbench's criteria (OMOP marks them standard).
  assert.deepEqual([items[0].searchParameters[0].type, items[0].searchParameters[0].standard], ['CPT4', false]);
  assert.equal(items[2].searchParameters[0].subtype, 'ANSWER');
  assert.deepEqual(items[3].searchParameters[0].attributes.map((a) => [a.conceptId, a.operator, a.operands.map(Number)]),
    [[903118, 'GREATER_THAN_OR_EQUAL_TO', [140]], [903115, 'GREATER_THAN_OR_EQUAL_TO', [90]]]);
  // Each item's count is the count of a cohort of that item alone.
  const shown = await p.locator('.cb-item-count').allInnerTexts();
  items.forEach((item, i) => {
    const alone = { includes: [{ id: 'alone', items: [item], temporal: false }], excludes: [], dataFilters: [] };
    const label = engineCount(alone).label;
    assert.notEqual(label, '0', `the ${item.type} item matches someone`);
    assert.equal(shown[i].replace(/\s*participants$/, '').replace(/,/g, '').trim(), label, `the ${item.type} item`);
  });
  // A data filter; the total counts as cohortlens count does.
  await p.getByLabel('Only participants with electronic health record data').check();
  const total = await settledTotal(p);
  const filtered = JSON.parse(await jsonTab(p));
  assert.deepEqual(filtered.dataFilters, ['HAS_EHR_DATA']);
  assert.equal(total.replace(/\s*participants$/, '').replace(/,/g, ''), engineCount(filtered).label);
  await assertNoSmallCounts(p);
  await p.screenshot({ path: screenshotPath('builder-domains-1280'), fullPage: true });
  assert.deepEqual(errors, []);
  await p.close();
});

test('a temporal group built by clicking (first atrial fibrillation within 30 days of warfarin) counts as cohortlens count', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  await addConcept(p, p.getByRole('button', { name: '+ Add criteria to include' }), 'Conditions', 'atrial fibrillation', 'Atrial fibrillation', 'SNOMED');
  await p.getByRole('switch', { name: 'Temporal' }).check();
  await p.getByLabel(/which mention/).selectOption('FIRST_MENTION');
  await p.getByLabel(/time relation/).selectOption('WITHIN_X_DAYS_OF');
  await p.getByLabel(/number of days/).fill('30');
  // The second side of the group: what the first criteria are related to.
  await addConcept(p, p.locator('[data-focus="includes:0:add1"]'), 'Drugs', 'warfarin', 'warfarin', 'RxNorm');
  const total = await settledTotal(p);
  const request = JSON.parse(await jsonTab(p));
  const [group] = request.includes;
  assert.deepEqual([group.temporal, group.mention, group.time, group.timeValue], [true, 'FIRST_MENTION', 'WITHIN_X_DAYS_OF', 30]);
  assert.deepEqual(group.items.map((it) => [it.type, it.temporalGroup]), [['CONDITION', 0], ['DRUG', 1]]);
  const engine = engineCount(request);
  assert.notEqual(engine.label, '0', 'some first atrial fibrillation is within 30 days of warfarin');
  assert.equal(total.replace(/\s*participants$/, '').replace(/,/g, ''), engine.label);
  await assertNoSmallCounts(p);
  assert.deepEqual(errors, []);
  await p.close();
});

// Requests exactly as the Workbench UI sends them (utils.ts mapRequest; ids from generateId).
const WORKBENCH_REQUESTS = {
  'condition by ICD10CM code with descendants': {
    includes: [{ id: 'includes_0x7kq2m9b', items: [{ id: 'items_5hd81ztc3', type: 'CONDITION', searchParameters: [{ parameterId: 'param2100001501E11false', name: 'Type 2 diabetes mellitus', domain: 'CONDITION', type: 'ICD10CM', group: true, attributes: [], ancestorData: false, standard: false, conceptId: 2100001501 }], modifiers: [] }], temporal: false }],
    excludes: [], dataFilters: [],
  },
  'drug by ingredient with modifiers': {
    includes: [{ id: 'includes_a1b2c3d4e', items: [{ id: 'items_f5g6h7i8j', type: 'DRUG', searchParameters: [{ parameterId: 'param1502905274783true', name: 'insulin glargine', domain: 'DRUG', type: 'RXNORM', group: false, attributes: [], ancestorData: true, standard: true, conceptId: 1502905 }], modifiers: [{ name: 'AGE_AT_EVENT', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [40] }, { name: 'NUM_OF_OCCURRENCES', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [2] }, { name: 'ENCOUNTERS', operator: 'IN', operands: ['9202'] }] }], temporal: false }],
    excludes: [], dataFilters: [],
  },
  'physical measurement with a value range, and blood pressure': {
    includes: [{ id: 'includes_pm0000001', items: [{ id: 'items_pm0000002', type: 'PHYSICAL_MEASUREMENT', searchParameters: [{ parameterId: 'param90312102', name: 'Weight (>= 100 kg)', domain: 'PHYSICAL_MEASUREMENT', type: 'PPI', group: false, attributes: [{ name: 'NUM', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [100] }], ancestorData: false, standard: false, conceptId: 903121 }], modifiers: [] }, { id: 'items_bp0000003', type: 'PHYSICAL_MEASUREMENT', searchParameters: [{ parameterId: 'param3279990202', name: 'Hypertensive (Systolic >= 140 / Diastolic >= 90)', domain: 'PHYSICAL_MEASUREMENT', type: 'PPI', group: false, attributes: [{ conceptId: 903118, name: 'NUM', operands: ['140'], operator: 'GREATER_THAN_OR_EQUAL_TO' }, { conceptId: 903115, name: 'NUM', operands: ['90'], operator: 'GREATER_THAN_OR_EQUAL_TO' }], ancestorData: false, standard: false }], modifiers: [] }], temporal: false }],
    excludes: [], dataFilters: [],
  },
  'lab with a value range or a categorical answer': {
    includes: [{ id: 'includes_lb0000001', items: [{ id: 'items_lb0000002', type: 'MEASUREMENT', searchParameters: [{ parameterId: 'param70616345884084', name: 'SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection (Positive)', domain: 'MEASUREMENT', type: 'LOINC', group: false, attributes: [{ name: 'CAT', operator: 'IN', operands: ['45884084'] }], ancestorData: false, standard: true, conceptId: 706163 }, { parameterId: 'param30044100245884084', name: 'Hemoglobin A1c/Hemoglobin.total in Blood (>= 6.5, Positive)', domain: 'MEASUREMENT', type: 'LOINC', group: false, attributes: [{ name: 'NUM', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [6.5] }, { name: 'CAT', operator: 'IN', operands: ['45884084'] }], ancestorData: false, standard: true, conceptId: 3004410 }], modifiers: [] }], temporal: false }],
    excludes: [], dataFilters: [],
  },
  'survey answer': {
    includes: [{ id: 'includes_sv0000001', items: [{ id: 'items_sv0000002', type: 'SURVEY', searchParameters: [{ parameterId: 'param1585857', name: 'Smoking: 100 Cigs Lifetime - Yes', domain: 'SURVEY', type: 'PPI', group: false, attributes: [{ name: 'CAT', operator: 'IN', operands: ['1585858'] }], ancestorData: false, standard: false, conceptId: 1585857, subtype: 'ANSWER' }], modifiers: [] }], temporal: false }],
    excludes: [], dataFilters: [],
  },
  'demographics, deceased and Fitbit': {
    includes: [
      { id: 'includes_dm0000001', items: [{ id: 'items_dm0000002', type: 'PERSON', searchParameters: [{ parameterId: 'AGE-40-65', name: 'Current Age In Range 40 - 65', domain: 'PERSON', type: 'AGE', group: false, attributes: [{ name: 'AGE', operator: 'BETWEEN', operands: ['40', '65'] }], ancestorData: false, standard: true }], modifiers: [] }], temporal: false },
      { id: 'includes_dm0000003', items: [{ id: 'items_dm0000004', type: 'PERSON', searchParameters: [{ parameterId: 'param8532', name: 'Gender Identity - FEMALE', domain: 'PERSON', type: 'GENDER', group: false, attributes: [], ancestorData: false, standard: true, conceptId: 8532 }, { parameterId: 'param8507', name: 'Gender Identity - MALE', domain: 'PERSON', type: 'GENDER', group: false, attributes: [], ancestorData: false, standard: true, conceptId: 8507 }], modifiers: [] }, { id: 'items_fb0000005', type: 'FITBIT', searchParameters: [{ parameterId: '', name: 'Has Any Fitbit Data', domain: 'FITBIT', type: 'PPI', group: false, attributes: [] }], modifiers: [] }], temporal: false },
    ],
    excludes: [{ id: 'excludes_dm0000006', items: [{ id: 'items_dm0000007', type: 'PERSON', searchParameters: [{ parameterId: '', name: 'Deceased', domain: 'PERSON', type: 'DECEASED', group: false, attributes: [] }], modifiers: [] }], temporal: false, name: 'Not deceased' }],
    dataFilters: [],
  },
  'temporal group': {
    includes: [{ id: 'includes_tp0000001', items: [{ id: 'items_tp0000002', type: 'CONDITION', searchParameters: [{ parameterId: 'param20182644054006true', name: 'Type 2 diabetes mellitus', domain: 'CONDITION', type: 'SNOMED', group: true, attributes: [], ancestorData: false, standard: true, conceptId: 201826 }], modifiers: [], temporalGroup: 0 }, { id: 'items_tp0000003', type: 'DRUG', searchParameters: [{ parameterId: 'param1502905274783true', name: 'insulin glargine', domain: 'DRUG', type: 'RXNORM', group: false, attributes: [], ancestorData: true, standard: true, conceptId: 1502905 }], modifiers: [{ name: 'EVENT_DATE', operator: 'BETWEEN', operands: ['2015-01-01', '2020-12-31'] }], temporalGroup: 1 }], temporal: true, mention: 'FIRST_MENTION', time: 'WITHIN_X_DAYS_OF', timeValue: 30 }],
    excludes: [], dataFilters: ['HAS_EHR_DATA'],
  },
};

test('Workbench requests pasted into the JSON tab come back unchanged through the visual form', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  for (const [name, request] of Object.entries(WORKBENCH_REQUESTS)) {
    const text = JSON.stringify(request, null, 2);
    await p.getByRole('tab', { name: 'JSON' }).click();
    await p.locator('.cb-json').fill(text);
    await p.getByRole('button', { name: 'Load into the builder' }).click();
    await p.getByRole('tab', { name: 'Build' }).click();
    // The form shows every group, item and parameter of the request.
    const groups = request.includes.length + request.excludes.length;
    const items = [...request.includes, ...request.excludes].flatMap((g) => g.items);
    assert.equal(await p.locator('.cb-group').count(), groups, `${name}: groups shown`);
    assert.equal(await p.locator('.cb-item').count(), items.length, `${name}: items shown`);
    const shown = await p.locator('.cb-params').allInnerTexts();
    for (const param of items.flatMap((it) => it.searchParameters)) {
      assert.ok(shown.some((t) => t.includes(param.name)), `${name}: ${param.name} is shown`);
    }
    await settledTotal(p);
    await assertNoSmallCounts(p);
    assert.equal(await jsonTab(p), text, `${name}: the request comes back unchanged`);
    if (name === 'drug by ingredient with modifiers') {
      await p.locator('.cb-mods-text', { hasText: 'Outpatient Visit' }).waitFor();
      assert.match(await p.locator('.cb-mods-text').innerText(), /Age at event ≥ 40; Number of occurrence dates: 2 or more; During visit type: Outpatient Visit/);
    }
    if (name === 'temporal group') {
      assert.equal(await p.getByLabel(/which mention/).inputValue(), 'FIRST_MENTION');
      assert.equal(await p.getByLabel(/time relation/).inputValue(), 'WITHIN_X_DAYS_OF');
      assert.equal(await p.getByLabel(/number of days/).inputValue(), '30');
      assert.ok(await p.getByLabel('Only participants with electronic health record data').isChecked());
      await p.screenshot({ path: screenshotPath('builder-temporal-1280'), fullPage: true });
    }
  }
  assert.deepEqual(await axeViolations(p), []);
  // Invalid JSON is refused with a message, and the form keeps what it had.
  await p.getByRole('tab', { name: 'JSON' }).click();
  await p.locator('.cb-json').fill('{"includes": [');
  await p.getByRole('button', { name: 'Load into the builder' }).click();
  assert.match(await p.locator('.cb-tabpanel:not([hidden]) [role="status"]').innerText(), /not valid JSON/);
  assert.deepEqual(errors, []);
  await p.close();
});

test('an invalid definition shows its errors at the item they concern', async () => {
  const errors = [];
  const request = structuredClone(WORKBENCH_REQUESTS['drug by ingredient with modifiers']);
  request.includes[0].items[0].searchParameters[0].conceptId = 999999999;
  const p = await openBuilder(errors, 1280, `#${encodeURIComponent(JSON.stringify(request))}`);
  await settledTotal(p);
  const itemError = p.locator('.cb-item [data-errors-of]');
  await itemError.waitFor();
  assert.match(await itemError.innerText(), /999999999 is not in this dataset/);
  assert.match(await p.locator('.cb-total-count').innerText(), /fix the problems/);
  assert.deepEqual(errors, []);
  await p.close();
});

/** Presses Tab until the focused element satisfies `matches` (at most 300 presses). */
async function tabTo(p, matches, what) {
  for (let i = 0; i < 300; i++) {
    await p.keyboard.press('Tab');
    if (await p.evaluate(matches)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

test('the keyboard alone builds a cohort, and dialogs trap and return focus', async () => {
  const errors = [];
  const p = await openBuilder(errors);
  const focusedText = () => p.evaluate(() => document.activeElement?.textContent?.trim());
  await tabTo(p, () => document.activeElement?.textContent === '+ Add criteria to include', 'Add criteria');
  await p.keyboard.press('Enter');
  // Focus is inside the dialog; Escape closes it and focus comes back.
  assert.ok(await p.evaluate(() => document.querySelector('dialog[open]')?.contains(document.activeElement)));
  await p.keyboard.press('Escape');
  assert.equal(await p.locator('dialog').count(), 0);
  assert.equal(await focusedText(), '+ Add criteria to include');
  await p.keyboard.press('Enter');
  await tabTo(p, () => document.activeElement?.dataset?.domain === 'CONDITION', 'Conditions');
  await p.keyboard.press('Enter');
  assert.equal(await p.evaluate(() => document.activeElement?.type), 'search');
  await p.keyboard.type('Type 2 diabetes mellitus');
  await p.keyboard.press('Enter');
  await p.locator('dialog[open] .cb-concept').first().waitFor();
  await tabTo(p, () => document.activeElement?.getAttribute('aria-label')?.startsWith('Select Type 2 diabetes mellitus (SNOMED'), 'Select');
  await p.keyboard.press('Space');
  await tabTo(p, () => /^Add 1 selected/.test(document.activeElement?.textContent ?? ''), 'Add to cohort');
  await p.keyboard.press('Enter');
  assert.equal(await p.locator('dialog').count(), 0);
  // Modifiers: age at event 50 or more, by keyboard.
  await tabTo(p, () => document.activeElement?.textContent === 'Add modifiers', 'Add modifiers');
  await p.keyboard.press('Enter');
  const onAge = () => document.activeElement?.getAttribute('aria-label') === 'Age at event: condition';
  if (!(await p.evaluate(onAge))) await tabTo(p, onAge, 'age condition');
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('Tab');
  await p.keyboard.type('50');
  await tabTo(p, () => document.activeElement?.textContent === 'Apply modifiers', 'Apply');
  await p.keyboard.press('Enter');
  assert.equal(await p.locator('dialog').count(), 0);
  const total = await settledTotal(p);
  const request = JSON.parse(await p.evaluate(() => JSON.stringify(window.cohortBuilder.definition)));
  assert.deepEqual(request.includes[0].items[0].modifiers, [{ name: 'AGE_AT_EVENT', operator: 'GREATER_THAN_OR_EQUAL_TO', operands: [50] }]);
  assert.equal(total.replace(/\s*participants$/, '').replace(/,/g, ''), engineCount(request).label);
  // The tabs work with the arrow keys.
  await p.getByRole('tab', { name: 'Build' }).focus();
  await p.keyboard.press('ArrowRight');
  assert.equal(await p.getByRole('tab', { name: 'JSON' }).getAttribute('aria-selected'), 'true');
  assert.ok(await p.locator('.cb-json').isVisible());
  // Focus is always visible.
  const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  assert.deepEqual(errors, []);
  await p.close();
});

test('the add-criteria dialogs pass axe at 390 px and stack without sideways scrolling', async () => {
  const errors = [];
  const p = await openBuilder(errors, 390);
  assert.deepEqual(await axeViolations(p), []);
  for (const domain of ['Demographics', 'Surveys', 'Physical measurements']) {
    await p.getByRole('button', { name: '+ Add criteria to include' }).click();
    const dialog = p.locator('dialog[open]');
    await dialog.getByRole('button', { name: new RegExp(`^${domain}`) }).click();
    if (domain === 'Demographics') {
      await dialog.getByRole('button', { name: 'Race' }).click();
      await dialog.locator('.cb-option').first().waitFor();
    }
    if (domain === 'Surveys') {
      await dialog.locator('summary', { hasText: 'Questions of Lifestyle' }).click();
      await dialog.locator('.cb-question summary').first().click();
      await dialog.locator('.cb-questions .cb-option').first().waitFor();
    }
    if (domain === 'Physical measurements') await dialog.getByText('Blood pressure', { exact: true }).waitFor();
    await assertNoSmallCounts(p);
    const overflow = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
    assert.ok(overflow <= 0, `${domain}: the dialog scrolls sideways by ${overflow} px`);
    await p.screenshot({ path: screenshotPath(`builder-${domain.split(' ')[0].toLowerCase()}-390`) });
    assert.deepEqual(await axeViolations(p), [], domain);
    await p.keyboard.press('Escape');
  }
  assert.deepEqual(errors, []);
  await p.close();
});
