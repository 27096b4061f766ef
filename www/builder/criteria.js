// "Add criteria": the dialog that picks a domain, then concepts (search and hierarchy), values,
// survey answers, demographics or Fitbit, and hands back the parameters of one new item — the
// Workbench's criteria menu, list search, tree, attributes page and demographics page.
import { countBadge, debounce, h, openDialog } from './dom.js';
import {
  BP_PRESETS, DIASTOLIC, DOMAIN_TITLES, SYSTOLIC, ageParameter, bloodPressureParameter, conceptParameter,
  demographicParameter, flagParameter, isStandard, surveyParameter, valueParameter,
} from './model.js';

/** The criteria menu (build-cb-criteria-menu.sh): program data, then EHR domains. */
const MENU = [
  ['Program data', [
    ['PERSON', 'Demographics', 'Age, sex at birth, gender identity, race, ethnicity, deceased'],
    ['SURVEY', 'Surveys', 'Answers to The Basics, Lifestyle, Overall Health…'],
    ['PHYSICAL_MEASUREMENT', 'Physical measurements', 'Blood pressure, height, weight, BMI…'],
    ['FITBIT', 'Fitbit', 'Participants who shared Fitbit data'],
  ]],
  ['Electronic health records', [
    ['CONDITION', 'Conditions', 'Diagnoses, e.g. type 2 diabetes (SNOMED, ICD10CM)'],
    ['PROCEDURE', 'Procedures', 'Surgeries, tests and other procedures'],
    ['DRUG', 'Drugs', 'Medications by ingredient or product'],
    ['MEASUREMENT', 'Labs and measurements', 'Lab tests, optionally with a value range'],
    ['VISIT', 'Visits', 'Inpatient, outpatient, emergency room…'],
    ['OBSERVATION', 'Observations', 'Other clinical observations'],
    ['DEVICE', 'Devices', 'Medical devices'],
  ]],
];

const OPERATORS = [
  ['GREATER_THAN_OR_EQUAL_TO', 'at least (≥)'], ['LESS_THAN_OR_EQUAL_TO', 'at most (≤)'],
  ['EQUAL', 'equal to (=)'], ['BETWEEN', 'between'],
];

const PM_UNITS = { 903133: 'cm', 903121: 'kg', 903124: 'kg/m²', 903135: 'cm', 903136: 'cm', 903126: 'beats/min' };

/**
 * Opens the dialog. `onAdd(type, searchParameters)` receives the new item's domain and
 * parameters; `temporal` hides what temporal groups cannot hold.
 */
export function addCriteria({ lens, temporal, onAdd, title = 'Add criteria', domain: only }) {
  let dialog;
  const menu = h('div', { class: 'cb-menu' }, MENU.map(([heading, entries]) => {
    const shown = entries.filter(([d]) => !temporal || !['PERSON', 'SURVEY', 'PHYSICAL_MEASUREMENT', 'FITBIT'].includes(d));
    if (!shown.length) return null;
    return h('section', {}, h('h3', {}, heading), h('ul', { class: 'cb-menu-list' }, shown.map(([domain, label, hint]) =>
      h('li', {}, h('button', { type: 'button', class: 'cb-menu-item', 'data-domain': domain, onclick: () => open(domain, label) },
        h('span', { class: 'cb-menu-label' }, label), h('span', { class: 'cb-hint' }, hint))))));
  }));
  dialog = openDialog(title, menu, { wide: true });
  if (only) open(only, MENU.flatMap(([, entries]) => entries).find(([d]) => d === only)?.[1] ?? only, true);

  function finish(type, params) {
    dialog.close();
    onAdd(type, params);
  }

  function open(domain, label, alone = false) {
    const back = alone ? h('span', {}) : h('button', { type: 'button', class: 'cb-link', onclick: () => { dialog.setBody(menu); menu.querySelector(`[data-domain="${domain}"]`).focus(); } }, '← All domains');
    const panel = domain === 'PERSON' ? demographicsPanel(lens, finish)
      : domain === 'SURVEY' ? surveyPanel(lens, finish)
        : domain === 'PHYSICAL_MEASUREMENT' ? physicalPanel(lens, finish)
          : domain === 'FITBIT' ? fitbitPanel(finish)
            : conceptPanel(lens, domain, label, finish);
    dialog.setBody(h('div', {}, back, panel));
    (panel.querySelector('input, select, button') ?? dialog.dialog.querySelector('.cb-close')).focus();
  }
}

/** The "selected criteria" list with its Add button (the Workbench's selection list). */
function selectionList(type, finish) {
  const selected = [];
  const list = h('ul', { class: 'cb-selected-list' });
  const add = h('button', { type: 'button', class: 'cb-primary', disabled: true, onclick: () => finish(type, selected.slice()) }, 'Add to cohort');
  const status = h('p', { class: 'cb-hint', 'aria-live': 'polite' }, 'Nothing selected yet.');
  function render() {
    list.replaceChildren(...selected.map((p, i) => h('li', {}, h('span', {}, p.name),
      h('button', { type: 'button', class: 'cb-icon', 'aria-label': `Remove ${p.name} from the selection`, onclick: () => { selected.splice(i, 1); render(); } }, '×'))));
    add.disabled = selected.length === 0;
    add.textContent = selected.length ? `Add ${selected.length} selected to cohort` : 'Add to cohort';
    status.textContent = selected.length ? `${selected.length} selected.` : 'Nothing selected yet.';
    element.dispatchEvent(new Event('change'));
  }
  const element = h('section', { class: 'cb-selection', 'aria-label': 'Selected criteria' }, h('h3', {}, 'Selected'), status, list, add);
  return {
    element,
    has: (id) => selected.some((p) => p.parameterId === id),
    toggle(param) {
      const i = selected.findIndex((p) => p.parameterId === param.parameterId);
      if (i >= 0) selected.splice(i, 1); else selected.push(param);
      render();
      return i < 0;
    },
  };
}

/** A select button whose pressed state follows the selection. */
function selectButton(selection, makeParam, label) {
  const param = makeParam();
  // The pressed state shows as a check mark (CSS) and aria-pressed; the text stays "Select".
  const button = h('button', { type: 'button', class: 'cb-select', 'aria-pressed': String(selection.has(param.parameterId)),
    'aria-label': `Select ${label}` }, 'Select');
  const show = (on) => button.setAttribute('aria-pressed', String(on));
  button.addEventListener('click', () => show(selection.toggle(makeParam())));
  // A removal from the selected list unpresses the button.
  selection.element.addEventListener('change', () => { if (button.isConnected) show(selection.has(param.parameterId)); });
  return button;
}

/** Operator and value inputs; `read()` gives `{operator, operands}` or null for any value. */
function rangeInputs(label, { numbers = true, anyLabel = 'Any value', step = 'any' } = {}) {
  const operator = h('select', { 'aria-label': `${label}: condition` },
    h('option', { value: 'ANY' }, anyLabel), OPERATORS.map(([v, t]) => h('option', { value: v }, t)));
  const low = h('input', { type: 'number', step, 'aria-label': `${label}: value`, class: 'cb-num', hidden: true });
  const high = h('input', { type: 'number', step, 'aria-label': `${label}: upper value`, class: 'cb-num', hidden: true });
  const and = h('span', { hidden: true }, 'and');
  operator.addEventListener('change', () => {
    low.hidden = operator.value === 'ANY';
    high.hidden = and.hidden = operator.value !== 'BETWEEN';
  });
  const value = (input) => (numbers ? Number(input.value) : input.value);
  return {
    element: h('span', { class: 'cb-range' }, operator, low, and, high),
    operator, low, high,
    read() {
      if (operator.value === 'ANY') return null;
      const inputs = operator.value === 'BETWEEN' ? [low, high] : [low];
      if (inputs.some((i) => i.value === '' || !i.checkValidity())) throw new Error(`${label}: enter ${inputs.length === 2 ? 'both values' : 'a value'}.`);
      return { operator: operator.value, operands: inputs.map(value) };
    },
    set(op, operands) {
      operator.value = op;
      operator.dispatchEvent(new Event('change'));
      [low.value, high.value] = [operands[0] ?? '', operands[1] ?? ''];
    },
  };
}

/** Looks one concept up by id, with its counts and hierarchy. */
async function conceptById(lens, id) {
  const hits = await lens.searchConcepts(String(id), { limit: 5 });
  return hits.find((c) => c.conceptId === id) ?? null;
}

/**
 * The categorical answers of a lab (attributes-page.tsx "Categorical Values"): the value concepts
 * (domain "Meas Value") that some participant has as this lab's `value_as_concept_id`, each with
 * its disclosed count, as checkboxes; loaded when first asked for. `checked()` gives the ticked
 * ones as `[{conceptId, name}]`.
 */
function categoricalValues(lens, hit) {
  const list = h('ul', { class: 'cb-options cb-categories' });
  const element = h('fieldset', { class: 'cb-categorical', hidden: true },
    h('legend', {}, 'Or any of these answers (categorical values)'), list);
  const boxes = [];
  let loading = null;
  return {
    element,
    load() {
      loading ??= (async () => {
        const values = await lens.searchConcepts('', { domain: 'Meas Value', limit: 100 });
        const counts = await countEach(lens, 'MEASUREMENT', values.map((v) => valueParameter(hit, 'MEASUREMENT', null, undefined, [v])));
        const shown = values.map((v, i) => [v, counts[i]]).filter(([, n]) => n && n.label !== '0');
        list.replaceChildren(...shown.map(([v, n]) => {
          const box = h('input', { type: 'checkbox', id: `cb-cat-${hit.conceptId}-${v.conceptId}` });
          boxes.push([box, { conceptId: v.conceptId, name: v.name }]);
          return h('li', { class: 'cb-option' }, h('label', { for: box.id }, box, ` ${v.name}`), countBadge(n));
        }));
        element.hidden = shown.length === 0;
      })().catch((e) => {
        list.replaceChildren(h('li', { class: 'cb-error' }, `Could not load the categorical values: ${e.message}`));
        element.hidden = false;
      });
      return loading;
    },
    checked: () => boxes.filter(([box]) => box.checked).map(([, v]) => v),
  };
}

/** Concept search by words, code or id with the hierarchy to browse (list-search.tsx, tree.tsx). */
function conceptPanel(lens, domain, label, finish) {
  const selection = selectionList(domain, finish);
  const query = h('input', { type: 'search', class: 'cb-search', 'aria-label': `Search ${label.toLowerCase()} by name, code or concept id`,
    placeholder: 'Name, code or concept id, e.g. diabetes or E11' });
  const descendants = h('input', { type: 'checkbox', checked: true, id: `cb-desc-${domain}` });
  const status = h('p', { class: 'cb-hint', role: 'status' });
  const results = h('div', { class: 'cb-results' });
  let seq = 0;

  const row = (hit) => {
    const what = `${hit.name} (${hit.vocabulary} ${hit.code})`;
    const actions = h('div', { class: 'cb-row-actions' },
      selectButton(selection, () => conceptParameter(hit, domain, descendants.checked), what),
      h('button', { type: 'button', class: 'cb-secondary', 'aria-label': `Browse the hierarchy of ${hit.name}`, onclick: () => browse(hit.conceptId) }, 'Hierarchy'));
    const li = h('li', { class: 'cb-concept' },
      h('div', { class: 'cb-concept-main' },
        h('span', { class: 'cb-concept-name' }, hit.name),
        h('span', { class: 'cb-meta' }, `${hit.vocabulary} ${hit.code} · ${isStandard(hit) ? 'standard' : 'source'} · id ${hit.conceptId}`)),
      h('div', { class: 'cb-concept-counts' },
        h('span', {}, countBadge(hit.count), ' with this concept'),
        hit.children?.length ? h('span', {}, countBadge(hit.countWithDescendants), ' with it or a descendant') : null),
      actions);
    if (domain === 'MEASUREMENT') {
      const range = rangeInputs(`Value of ${hit.name}`, { anyLabel: 'Any number' });
      const categories = categoricalValues(lens, hit);
      const error = h('p', { class: 'cb-error', role: 'alert', hidden: true });
      const details = h('details', { class: 'cb-value' }, h('summary', {}, 'Value'),
        h('div', { class: 'cb-value-form' }, range.element, categories.element,
          h('button', { type: 'button', class: 'cb-secondary', onclick: () => {
            try {
              error.hidden = true;
              selection.toggle(valueParameter(hit, 'MEASUREMENT', range.read(), undefined, categories.checked()));
            } catch (e) { error.textContent = e.message; error.hidden = false; }
          } }, 'Select with this value'), error));
      details.addEventListener('toggle', () => { if (details.open) categories.load(); });
      actions.append(details);
    }
    return li;
  };

  let searched = null;
  async function search({ force = false } = {}) {
    const text = query.value.trim();
    if (text === searched && !force) return;
    searched = text;
    const mine = ++seq;
    status.textContent = 'Searching…';
    try {
      const hits = await lens.searchConcepts(text, { domain, limit: 30 });
      if (mine !== seq) return;
      // Said of the text searched, not of what the box holds now (typing may have gone on).
      status.textContent = hits.length
        ? `${hits.length === 30 ? 'The first 30' : hits.length} ${hits.length === 1 ? 'concept' : 'concepts'}${text ? ` matching “${text}”` : ', most frequent first'}.`
        : `No ${label.toLowerCase()} match “${text}”. Try other words or a code.`;
      results.replaceChildren(h('ul', { class: 'cb-concepts', 'aria-label': 'Search results' }, hits.map(row)));
    } catch (e) {
      if (mine === seq) status.textContent = `The search failed: ${e.message}`;
    }
  }

  async function browse(id) {
    typed.cancel(); // a search still waiting for typing to pause must not replace the hierarchy
    const mine = ++seq;
    searched = null;
    status.textContent = 'Loading the hierarchy…';
    const focus = await conceptById(lens, id);
    if (mine !== seq || !focus) return;
    const related = async (refs) => (await Promise.all(refs.slice(0, 40).map((r) => conceptById(lens, r.conceptId)))).filter(Boolean);
    const [parents, children] = await Promise.all([related(focus.parents), related(focus.children)]);
    if (mine !== seq) return;
    status.textContent = `Hierarchy of ${focus.name}: ${parents.length} ${parents.length === 1 ? 'parent' : 'parents'}, ${children.length} ${children.length === 1 ? 'child' : 'children'}.`;
    results.replaceChildren(h('div', { class: 'cb-tree' },
      h('button', { type: 'button', class: 'cb-link', onclick: () => search({ force: true }) }, '← Back to search results'),
      h('h4', {}, 'Parents'), parents.length ? h('ul', { class: 'cb-concepts' }, parents.map(row)) : h('p', { class: 'cb-hint' }, 'None: this is a top concept.'),
      h('h4', {}, 'This concept'), h('ul', { class: 'cb-concepts cb-focus' }, row(focus)),
      h('h4', {}, 'Children'), children.length ? h('ul', { class: 'cb-concepts cb-children' }, children.map(row)) : h('p', { class: 'cb-hint' }, 'None: no concept lies below this one.')));
    results.querySelector('.cb-focus button')?.focus();
  }

  const typed = debounce(search, 250);
  query.addEventListener('input', typed);
  query.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    typed.cancel();
    search();
  });
  search();
  return h('div', { class: 'cb-panel' },
    h('h3', {}, label),
    h('div', { class: 'cb-search-row' }, query,
      h('label', { class: 'cb-check', for: descendants.id }, descendants, ' Include descendants')),
    h('p', { class: 'cb-hint' }, 'Selecting a concept with “Include descendants” also finds every concept below it in the hierarchy.'),
    status, results, selection.element);
}

/** Persons of each parameter as one disclosed count per item, in one engine call. */
async function countEach(lens, type, params) {
  if (!params.length) return [];
  const preview = await lens.preview({
    includes: [{ id: 'counts', items: params.map((p, i) => ({ id: `c${i}`, type, searchParameters: [p], modifiers: [] })), temporal: false }],
    excludes: [], dataFilters: [],
  });
  return preview.includes[0].items.map((it) => it.count);
}

const SEX_AT_BIRTH = [45880669, 45878463, 1585848, 903096, 1177221];

/** Demographics (demographics.tsx): age range, sex at birth, gender, race, ethnicity, deceased. */
function demographicsPanel(lens, finish) {
  const body = h('div', {});
  const tabs = [['AGE', 'Age'], ['SEX', 'Sex assigned at birth'], ['GENDER', 'Gender identity'], ['RACE', 'Race'], ['ETHNICITY', 'Ethnicity'], ['DECEASED', 'Deceased']];
  const choose = (type) => {
    for (const b of nav.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.type === type));
    body.replaceChildren(type === 'AGE' ? agePanel(lens, finish) : type === 'DECEASED' ? deceasedPanel(finish) : listPanel(type));
  };
  const nav = h('div', { class: 'cb-chips', role: 'group', 'aria-label': 'Demographic' }, tabs.map(([type, label]) =>
    h('button', { type: 'button', class: 'cb-chip', 'data-type': type, 'aria-pressed': 'false', onclick: () => choose(type) }, label)));

  function listPanel(type) {
    const selection = selectionList('PERSON', finish);
    const list = h('ul', { class: 'cb-options' }, h('li', { class: 'cb-hint' }, 'Loading…'));
    (async () => {
      let options;
      if (type === 'SEX') {
        options = (await Promise.all(SEX_AT_BIRTH.map((id) => conceptById(lens, id)))).filter(Boolean);
      } else {
        const domain = { GENDER: 'Gender', RACE: 'Race', ETHNICITY: 'Ethnicity' }[type];
        options = (await lens.searchConcepts('', { domain: 'PERSON', limit: 200 })).filter((c) => c.domain === domain);
        if (type === 'RACE') {
          // All of Us stores "more than one population", "none indicated" and "prefer not to answer" as race too.
          options.push(...(await Promise.all([2000000008, 45882607, 1177221].map((id) => conceptById(lens, id)))).filter(Boolean));
        }
      }
      const params = options.map((c) => demographicParameter(type, c.conceptId, c.name));
      const counts = await countEach(lens, 'PERSON', params);
      const shown = options.map((c, i) => [c, params[i], counts[i]]).filter(([, , n]) => n?.label !== '0');
      list.replaceChildren(...shown.map(([c, p, n]) => h('li', { class: 'cb-option' },
        h('span', { class: 'cb-concept-name' }, c.name), h('span', {}, countBadge(n)), selectButton(selection, () => p, p.name))));
    })().catch((e) => list.replaceChildren(h('li', { class: 'cb-error' }, `Could not load the options: ${e.message}`)));
    return h('div', {}, list, selection.element);
  }
  choose('AGE');
  return h('div', { class: 'cb-panel' }, h('h3', {}, 'Demographics'), nav, body);
}

function agePanel(lens, finish) {
  const kind = h('select', { 'aria-label': 'Which age' },
    h('option', { value: 'AGE' }, 'Current age'), h('option', { value: 'AGE_AT_CONSENT' }, 'Age at consent'), h('option', { value: 'AGE_AT_CDR' }, 'Age at CDR date'));
  const min = h('input', { type: 'number', min: '0', max: '120', step: '1', value: '18', class: 'cb-num', 'aria-label': 'Youngest age' });
  const max = h('input', { type: 'number', min: '0', max: '120', step: '1', value: '120', class: 'cb-num', 'aria-label': 'Oldest age' });
  const count = h('output', { class: 'cb-preview', 'aria-live': 'polite' });
  const error = h('p', { class: 'cb-error', role: 'alert', hidden: true });
  let seq = 0;
  const valid = () => min.value !== '' && max.value !== '' && min.checkValidity() && max.checkValidity() && Number(min.value) <= Number(max.value);
  const param = () => ageParameter(kind.value, min.value, max.value);
  const update = debounce(async () => {
    const mine = ++seq;
    error.hidden = valid();
    error.textContent = 'Give whole ages from 0 to 120, the youngest first.';
    if (!valid()) { count.replaceChildren(); return; }
    count.replaceChildren('Counting…');
    try {
      const n = await lens.count({ includes: [{ id: 'age', items: [{ id: 'age', type: 'PERSON', searchParameters: [param()], modifiers: [] }], temporal: false }], excludes: [], dataFilters: [] });
      if (mine === seq) count.replaceChildren(countBadge(n), ' in this range');
    } catch (e) { if (mine === seq) count.replaceChildren(`Could not count: ${e.message}`); }
  }, 300);
  for (const el of [kind, min, max]) el.addEventListener('input', update);
  update();
  return h('div', { class: 'cb-age' },
    h('div', { class: 'cb-field-row' }, h('label', {}, 'Age ', kind), h('label', {}, 'from ', min), h('label', {}, 'to ', max)),
    error, count,
    h('button', { type: 'button', class: 'cb-primary', onclick: () => { if (valid()) finish('PERSON', [param()]); else error.hidden = false; } }, 'Add age range to cohort'));
}

function deceasedPanel(finish) {
  return h('div', {}, h('p', {}, 'Participants with a recorded death.'),
    h('button', { type: 'button', class: 'cb-primary', onclick: () => finish('PERSON', [flagParameter('PERSON', 'DECEASED', 'Deceased')]) }, 'Add “Deceased” to cohort'));
}

/** Surveys → questions → answers (tree-node.tsx); a survey or a question means any answer. */
function surveyPanel(lens, finish) {
  const selection = selectionList('SURVEY', finish);
  const tree = h('div', { class: 'cb-survey-tree' }, h('p', { class: 'cb-hint' }, 'Loading surveys…'));
  (async () => {
    const all = await lens.searchConcepts('', { domain: 'SURVEY', limit: 1000 });
    const surveys = all.filter((c) => c.conceptClass === 'Module');
    const answers = all.filter((c) => c.conceptClass === 'Answer');
    const byId = new Map(all.map((c) => [c.conceptId, c]));
    const surveyCounts = await countEach(lens, 'SURVEY', surveys.map((survey) => surveyParameter('SURVEY', { survey })));
    tree.replaceChildren(h('ul', { class: 'cb-concepts' }, surveys.map((survey, s) => {
      const questions = h('ul', { class: 'cb-questions' });
      const details = h('details', {}, h('summary', {}, `Questions of ${survey.name}`), questions);
      details.addEventListener('toggle', async () => {
        if (!details.open || questions.childElementCount) return;
        questions.append(h('li', { class: 'cb-hint' }, 'Loading questions…'));
        const list = survey.children.map((ref) => byId.get(ref.conceptId) ?? { ...ref, code: '' });
        const counts = await countEach(lens, 'SURVEY', list.map((question) => surveyParameter('QUESTION', { question })));
        questions.replaceChildren(...list.map((question, q) => questionRow(question, counts[q])));
      });
      return h('li', { class: 'cb-concept' },
        h('div', { class: 'cb-concept-main' }, h('span', { class: 'cb-concept-name' }, survey.name), h('span', { class: 'cb-meta' }, 'Any answer to any question of this survey')),
        h('div', { class: 'cb-concept-counts' }, countBadge(surveyCounts[s])),
        selectButton(selection, () => surveyParameter('SURVEY', { survey }), `all of ${survey.name}`), details);
    })));

    function questionRow(question, count) {
      const list = h('ul', { class: 'cb-options' });
      const details = h('details', {}, h('summary', {}, 'Answers'), list);
      details.addEventListener('toggle', async () => {
        if (!details.open || list.childElementCount) return;
        list.append(h('li', { class: 'cb-hint' }, 'Loading answers…'));
        // Answer codes carry the question's short code (codebook style), e.g. 100CigsLifetime_Yes.
        const short = `${question.code.split('_').slice(1).join('_')}_`.toLowerCase();
        const mine = answers.filter((a) => a.code.toLowerCase().includes(short) || ['PMI_Skip', 'PMI_PreferNotToAnswer', 'PMI_DontKnow'].includes(a.code));
        const params = mine.map((answer) => surveyParameter('ANSWER', { question, answer }));
        const counts = await countEach(lens, 'SURVEY', params);
        const shown = mine.map((a, i) => [a, params[i], counts[i]]).filter(([, , n]) => n?.label !== '0');
        list.replaceChildren(...shown.map(([a, p, n]) => h('li', { class: 'cb-option' },
          h('span', { class: 'cb-concept-name' }, a.name), countBadge(n), selectButton(selection, () => p, p.name))));
        if (!shown.length) list.replaceChildren(h('li', { class: 'cb-hint' }, 'No participant answered this question.'));
      });
      return h('li', { class: 'cb-question' },
        h('span', { class: 'cb-concept-name' }, question.name),
        countBadge(count),
        selectButton(selection, () => surveyParameter('QUESTION', { question }), `any answer to ${question.name}`), details);
    }
  })().catch((e) => tree.replaceChildren(h('p', { class: 'cb-error' }, `Could not load the surveys: ${e.message}`)));
  return h('div', { class: 'cb-panel' }, h('h3', {}, 'Surveys'),
    h('p', { class: 'cb-hint' }, 'Select a whole survey, a question (any answer) or single answers. “PMI: Skip” means the participant saw the question and skipped it.'),
    tree, selection.element);
}

/** Physical measurements with a value range (attributes-page.tsx), blood pressure as two values. */
function physicalPanel(lens, finish) {
  const selection = selectionList('PHYSICAL_MEASUREMENT', finish);
  const list = h('ul', { class: 'cb-concepts' }, h('li', { class: 'cb-hint' }, 'Loading…'));
  (async () => {
    const all = await lens.searchConcepts('', { domain: 'PHYSICAL_MEASUREMENT', limit: 100 });
    const rows = [];
    if (all.some((c) => c.conceptId === SYSTOLIC) && all.some((c) => c.conceptId === DIASTOLIC)) rows.push(bloodPressureRow());
    const others = all.filter((c) => c.conceptId !== SYSTOLIC && c.conceptId !== DIASTOLIC);
    const counts = await countEach(lens, 'PHYSICAL_MEASUREMENT', others.map((c) => valueParameter(c, 'PHYSICAL_MEASUREMENT', null)));
    others.forEach((c, i) => rows.push(measurementRow(c, counts[i])));
    list.replaceChildren(...rows);
  })().catch((e) => list.replaceChildren(h('li', { class: 'cb-error' }, `Could not load the measurements: ${e.message}`)));

  function measurementRow(hit, count) {
    const unit = PM_UNITS[hit.conceptId];
    const range = rangeInputs(hit.name);
    const error = h('p', { class: 'cb-error', role: 'alert', hidden: true });
    return h('li', { class: 'cb-concept' },
      h('div', { class: 'cb-concept-main' }, h('span', { class: 'cb-concept-name' }, hit.name), h('span', { class: 'cb-meta' }, unit ? `in ${unit}` : hit.code)),
      h('div', { class: 'cb-concept-counts' }, countBadge(count)),
      h('div', { class: 'cb-value-form' }, range.element, h('button', { type: 'button', class: 'cb-secondary', 'aria-label': `Select ${hit.name} with this value`, onclick: () => {
        try {
          error.hidden = true;
          const r = range.read();
          if (r?.operands.some((v) => v < 0)) throw new Error('Values cannot be negative.');
          selection.toggle(valueParameter(hit, 'PHYSICAL_MEASUREMENT', r, unit));
        } catch (e) { error.textContent = e.message; error.hidden = false; }
      } }, 'Select'), error));
  }

  function bloodPressureRow() {
    const systolic = rangeInputs('Systolic (mmHg)');
    const diastolic = rangeInputs('Diastolic (mmHg)');
    const error = h('p', { class: 'cb-error', role: 'alert', hidden: true });
    const presets = h('div', { class: 'cb-chips', role: 'group', 'aria-label': 'Blood pressure category' }, Object.entries(BP_PRESETS).map(([name, [s, d]]) =>
      h('button', { type: 'button', class: 'cb-chip', onclick: () => { systolic.set(...s); diastolic.set(...d); } }, name)));
    return h('li', { class: 'cb-concept' },
      h('div', { class: 'cb-concept-main' }, h('span', { class: 'cb-concept-name' }, 'Blood pressure'), h('span', { class: 'cb-meta' }, 'systolic and diastolic measured the same day, in mmHg')),
      presets,
      h('div', { class: 'cb-value-form' }, h('span', { class: 'cb-bp' }, h('span', {}, 'Systolic'), systolic.element), h('span', { class: 'cb-bp' }, h('span', {}, 'Diastolic'), diastolic.element),
        h('button', { type: 'button', class: 'cb-secondary', 'aria-label': 'Select blood pressure with these values', onclick: () => {
          try {
            error.hidden = true;
            const sides = [systolic.read(), diastolic.read()].map((r) => (r ? [r.operator, r.operands] : ['ANY', []]));
            if (sides.some(([op]) => op === 'ANY') && !sides.every(([op]) => op === 'ANY')) {
              throw new Error('Give both a systolic and a diastolic condition, or neither (any value).');
            }
            selection.toggle(bloodPressureParameter(sides));
          } catch (e) { error.textContent = e.message; error.hidden = false; }
        } }, 'Select'), error));
  }
  return h('div', { class: 'cb-panel' }, h('h3', {}, 'Physical measurements'),
    h('p', { class: 'cb-hint' }, 'Measured at enrollment. Choose “Any value” or a range, then Select.'), list, selection.element);
}

/** Fitbit flags (cohort-search.tsx selectFitbit): added at once, as the Workbench does. */
function fitbitPanel(finish) {
  const flags = [['FITBIT', 'Has Any Fitbit Data'], ['FITBIT_ACTIVITY', 'Fitbit Activity Summary'], ['FITBIT_HEART_RATE_SUMMARY', 'Fitbit Heart Rate Summary']];
  return h('div', { class: 'cb-panel' }, h('h3', {}, 'Fitbit'), h('p', { class: 'cb-hint' }, 'Participants who shared data from a Fitbit device.'),
    h('ul', { class: 'cb-menu-list' }, flags.map(([domain, name]) => h('li', {},
      h('button', { type: 'button', class: 'cb-menu-item', onclick: () => finish(domain, [flagParameter(domain, 'PPI', name)]) },
        h('span', { class: 'cb-menu-label' }, name), h('span', { class: 'cb-hint' }, DOMAIN_TITLES[domain]))))));
}

