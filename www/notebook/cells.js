// The kinds of cell: Markdown, Cohort, Chart, Table and Code. Each kind knows its blank data,
// how to mount its inputs, what it runs (the runtime inputs it names and an async function of
// them) and how to save itself. Counts are shown only as the engine disclosed them.
import { Inspector, parse, walkFull } from '../vendor/runtime.js';
import { createEditor, focusWhenReady } from './editor.js';
import { renderMarkdownInSteps } from './markdown.js';
import { CHART_PRESETS, TABLE_PRESETS } from './presets.js';

const AsyncFunction = (async () => {}).constructor;

/** Resolves in a later task, letting the browser paint and handle input in between. */
function nextTask() {
  return globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => { setTimeout(resolve, 0); });
}

/** The policy's name and rule, as shown beside every count. */
const POLICY_TEXT = {
  aou: 'All of Us policy: counts rounded up to the nearest 20, 1–20 shown as “≤ 20”',
  suppress: 'suppress policy: counts of 1–20 withheld (“≤ 20”), others exact',
  perturbed: 'perturbed policy: noise of up to ±10, then rounded up to 20',
};

export function policyNote(policy) {
  const p = document.createElement('p');
  p.className = 'policy-note';
  p.textContent = `Counts under the ${POLICY_TEXT[policy] ?? policy}.`;
  return p;
}

/** A disclosed count as an element (its label: "1,360", "≤ 20"). */
export function countElement(disclosed) {
  const span = document.createElement('span');
  span.className = 'count';
  span.dataset.policy = disclosed.policy;
  // The label as disclosed ("1360", "≤ 20", "suppressed"), with thousands separators.
  span.textContent = /^\d+$/.test(disclosed.label) ? new Intl.NumberFormat('en-US').format(Number(disclosed.label)) : disclosed.label;
  return span;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

/** A JSON editor of `get()` that calls `set(value)` for each edit that parses. */
async function jsonEditor(cell, parent, { label, get, set }) {
  const problem = el('p', { className: 'json-problem' });
  problem.setAttribute('aria-live', 'polite');
  const holder = el('div', { className: 'editor' });
  parent.append(holder, problem);
  const editor = await createEditor(holder, {
    doc: JSON.stringify(get(), null, 2),
    language: 'json',
    label,
    onRun: () => cell.notebook.run(cell),
    onChange: (text) => {
      try {
        set(JSON.parse(text));
        problem.textContent = '';
      } catch (e) {
        problem.textContent = `Not valid JSON yet: ${e.message}`;
      }
    },
  });
  return editor;
}

/** Calls `make()` the first time `details` opens. */
function lazyEditor(details, make) {
  const open = () => {
    if (!details.open) return;
    details.removeEventListener('toggle', open);
    make();
  };
  details.addEventListener('toggle', open);
}

/** A <select> of the notebook's cohort cells, kept current as cells are added and renamed. */
function cohortPicker(cell) {
  const select = el('select', { className: 'cohort-picker' });
  const fill = () => {
    const names = cell.notebook.cellsOf('cohort').map((c) => c.data.name).filter(Boolean);
    const current = cell.data.cohort ?? '';
    select.replaceChildren(el('option', { value: '', textContent: '— none (a concept in the spec) —' }),
      ...names.map((n) => el('option', { value: n, textContent: n })));
    if (current && !names.includes(current)) select.append(el('option', { value: current, textContent: `${current} (no such cell)` }));
    select.value = current;
  };
  fill();
  select.addEventListener('change', () => {
    cell.data.cohort = select.value || undefined;
    cell.notebook.run(cell);
  });
  cell.fillPicker = fill;
  return el('label', { className: 'field inline' }, 'Cohort ', select);
}

/** A <select> of presets that fills the cell's spec (or request) JSON. */
function presetPicker(cell, presets, apply) {
  const select = el('select', {},
    el('option', { value: '', textContent: 'Choose a preset…' }),
    ...presets.map((p, i) => el('option', { value: String(i), textContent: p.label })));
  select.addEventListener('change', () => {
    if (select.value === '') return;
    apply(structuredClone(presets[Number(select.value)].value));
    select.value = '';
  });
  return el('label', { className: 'field inline' }, 'Preset ', select);
}

/** The names a Code cell's source mentions that are defined elsewhere (cells, `lens`, `open`, `check`). */
function cellInputs(source, known) {
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true });
  const names = new Set();
  walkFull(ast, (node) => {
    if (node.type === 'Identifier' && known.has(node.name)) names.add(node.name);
  });
  return { ast, inputs: [...names].sort() };
}

/** The function body of a Code cell: its last expression statement becomes the value. */
function codeBody(source, ast) {
  const last = ast.body.at(-1);
  if (!last || last.type !== 'ExpressionStatement') return source;
  return `${source.slice(0, last.start)}return (${source.slice(last.expression.start, last.expression.end)});${source.slice(last.end)}`;
}

/** A temporal group in words: "first mention, within 30 days of". */
function temporalText(group) {
  const mention = { ANY_MENTION: 'any mention', FIRST_MENTION: 'first mention', LAST_MENTION: 'last mention' }[group.mention] ?? 'any mention';
  const n = group.timeValue ?? 0;
  const time = {
    DURING_SAME_ENCOUNTER_AS: 'during the same visit as',
    X_DAYS_BEFORE: `${n} or more days before`,
    X_DAYS_AFTER: `${n} or more days after`,
    WITHIN_X_DAYS_OF: `within ${n} days of`,
  }[group.time] ?? group.time;
  return `temporal: the ${mention} of its first items, ${time} its second`;
}

function groupLabel(group, n, key) {
  return `${key === 'includes' ? 'Include' : 'Exclude'} group ${n + 1}`;
}

function itemLabel(item) {
  const names = (item.searchParameters ?? []).map((p) => p.name ?? (p.conceptId ? `concept ${p.conceptId}` : p.type ?? item.type));
  const label = names.length ? names.join(', ') : item.type ?? `item ${item.id}`;
  const mods = (item.modifiers ?? []).length ? ` (+${item.modifiers.length} modifier${item.modifiers.length > 1 ? 's' : ''})` : '';
  return `${(item.type ?? '').toLowerCase().replace(/_/g, ' ')}: ${label}${mods}`;
}

/** The Cohort Builder preview as a table: the total, each group and each item, disclosed. */
export function previewElement(definition, preview, policy) {
  const table = el('table', { className: 'preview' });
  table.append(el('caption', { textContent: 'Persons per group and criterion' }));
  const body = el('tbody');
  for (const key of ['includes', 'excludes']) {
    (preview[key] ?? []).forEach((group, g) => {
      const def = definition[key]?.[g] ?? {};
      const temporal = def.temporal ? ` — ${temporalText(def)}` : '';
      body.append(el('tr', { className: `group ${key}` },
        el('th', { scope: 'row', textContent: groupLabel(def, g, key) + temporal }),
        el('td', { className: 'num' }, countElement(group.count))));
      (group.items ?? []).forEach((item, i) => {
        body.append(el('tr', { className: 'item' },
          el('th', { scope: 'row', textContent: itemLabel(def.items?.[i] ?? {}) }),
          el('td', { className: 'num' }, countElement(item.count))));
      });
    });
  }
  table.append(body);
  const total = el('p', { className: 'total' }, 'Persons in the cohort: ', el('strong', {}, countElement(preview.total)));
  if (!body.children.length) return el('div', { className: 'cohort-result' }, total, policyNote(policy));
  return el('div', { className: 'cohort-result' }, total, table, policyNote(policy));
}

/** A disclosed statistics table as an HTML table, its policy named. */
export function statTableElement(t) {
  const table = el('table', { className: 'stat' });
  table.append(el('caption', { textContent: t.title }));
  const head = el('tr', {}, ...t.dimensions.map((d) => el('th', { scope: 'col', textContent: d })),
    el('th', { scope: 'col', className: 'num', textContent: 'Persons' }),
    el('th', { scope: 'col', className: 'num', textContent: '%' }));
  const body = el('tbody', {}, ...t.rows.map((r) => el('tr', {},
    ...r.labels.map((l, i) => el(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : undefined, textContent: l })),
    el('td', { className: 'num' }, countElement(r.count)),
    el('td', { className: 'num', textContent: r.percent === null || r.percent === undefined ? '' : `${r.percent.toFixed(1)}%` }))));
  table.append(el('thead', {}, head), body);
  const total = el('p', { className: 'total' }, 'Persons in scope: ', countElement(t.total));
  return el('div', { className: 'table-result' }, table, total, policyNote(t.policy));
}

function downloadButton(text, make, filename, type) {
  const b = el('button', { type: 'button', className: 'download', textContent: text });
  b.addEventListener('click', async () => {
    const a = el('a', { href: URL.createObjectURL(new Blob([await make()], { type })), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
  });
  return b;
}

/** The review charts of a cohort, as the Workbench's cohort review shows them. */
export const REVIEW_CHARTS = [
  { kind: 'bar', data: { kind: 'sexAtBirth' } },
  { kind: 'bar', data: { kind: 'race' } },
  { kind: 'bar', data: { kind: 'ethnicity' } },
  { kind: 'groupedBar', data: { kind: 'ageBySex', bands: 'dataBrowser' } },
  { kind: 'bar', data: { kind: 'topConcepts', domain: 'CONDITION', limit: 10 } },
];

/**
 * "Review this cohort": demographics, age × sex and top conditions, drawn in the worker from
 * the statistics the engine disclosed, the first time the section is opened.
 */
function reviewElement(lens, definition) {
  const grid = el('div', { className: 'review-charts' });
  const details = el('details', { className: 'cohort-review' },
    el('summary', { textContent: 'Review charts: demographics, age × sex, top conditions' }), grid);
  const draw = async () => {
    if (!details.open) return;
    details.removeEventListener('toggle', draw);
    grid.setAttribute('aria-busy', 'true');
    // Every figure takes its place first, so each canvas is measured at its final width.
    const figures = REVIEW_CHARTS.map(() => el('figure', { className: 'chart-result' }, el('canvas', { className: 'chart' })));
    grid.append(...figures);
    // Server mode holds no event in the browser: the top conditions need full mode.
    const charts = REVIEW_CHARTS.filter((spec) => lens.mode !== 'server' || spec.data.kind !== 'topConcepts');
    figures.splice(charts.length).forEach((f) => f.remove());
    for (const [i, spec] of charts.entries()) {
      try {
        const data = await lens.statistics(definition, spec.data);
        await lens.chart(figures[i].firstChild, { ...spec, data });
      } catch (e) {
        figures[i].replaceChildren(el('p', { className: 'cell-error', textContent: `This chart could not be drawn: ${e.message}` }));
      }
    }
    grid.removeAttribute('aria-busy');
  };
  details.addEventListener('toggle', draw);
  return details;
}

let builderLoading = null;

/** The visual Cohort Builder (www/builder/), with its style sheet, loaded once. */
function builderModule() {
  builderLoading ??= import('../builder/builder.js').then((module) => {
    const link = el('link', { rel: 'stylesheet', href: new URL('../builder/builder.css', import.meta.url).href });
    document.head.append(link);
    return module;
  });
  return builderLoading;
}

/** The scope of a chart or table: the named cohort's definition, or the spec's own concept. */
function scope(cell, cohort) {
  return cell.data.cohort ? { cohort } : {};
}

const markdown = {
  label: 'Text',
  named: false,
  blank: () => ({ kind: 'markdown', source: 'Write here: **bold**, _italic_, lists, [links](https://www.researchallofus.org/).' }),
  save: (cell) => ({ kind: 'markdown', source: cell.data.source }),
  mount(cell) {
    cell.el.classList.add('reading');
    const edit = el('button', { type: 'button', className: 'edit', textContent: 'Edit' });
    edit.setAttribute('aria-label', 'Edit this text');
    edit.addEventListener('click', () => this.toggle(cell));
    cell.runButton.before(edit);
    cell.editButton = edit;
    cell.runButton.hidden = true;
  },
  async toggle(cell) {
    // "Done" pressed while CodeMirror still loads (first use): close the editor once it is there.
    if (cell.opening) await cell.opening;
    if (cell.editor) {
      this.commit(cell);
      cell.editor.destroy();
      cell.editor = null;
      cell.input.replaceChildren();
      cell.el.classList.add('reading');
      cell.editButton.textContent = 'Edit';
      cell.editButton.setAttribute('aria-label', 'Edit this text');
      cell.runButton.hidden = true;
      cell.notebook.define(cell);
      cell.notebook.changed();
      cell.editButton.focus();
      return;
    }
    cell.el.classList.remove('reading');
    cell.editButton.textContent = 'Done';
    cell.editButton.setAttribute('aria-label', 'Done editing this text');
    cell.runButton.hidden = false;
    cell.opening = focusWhenReady(createEditor(cell.input, {
      doc: cell.data.source,
      language: 'text',
      label: 'Markdown text',
      onChange: (t) => { cell.data.source = t; cell.notebook.changed(); },
      onRun: () => this.toggle(cell),
    }));
    cell.editor = await cell.opening;
    cell.opening = null;
  },
  commit(cell) {
    if (cell.editor) cell.data.source = cell.editor.text;
  },
  focus(cell) {
    this.toggle(cell);
    return true;
  },
  definition: (cell) => ({
    inputs: [],
    // Each text renders in tasks of its own: the runtime computes every cell in one frame.
    run: async () => ({ display: await renderMarkdownInSteps(cell.data.source, nextTask) }),
  }),
  unmount: (cell) => cell.editor?.destroy(),
};

const cohort = {
  label: 'Cohort',
  named: true,
  blank: (nb) => ({
    kind: 'cohort',
    name: nb.freshName('cohort'),
    definition: { includes: [{ id: 'include-1', items: [{ id: 'item-1', type: 'PERSON', searchParameters: [{ name: 'Age 18–65', domain: 'PERSON', type: 'AGE', attributes: [{ name: 'AGE', operator: 'BETWEEN', operands: ['18', '65'] }] }] }] }], excludes: [] },
  }),
  save: (cell) => ({ kind: 'cohort', name: cell.data.name, definition: cell.data.definition }),
  mount(cell) {
    const tabs = el('div', { className: 'tabs', role: 'tablist' });
    const builderTab = el('button', { type: 'button', role: 'tab', textContent: 'Builder', id: `tab-b-${cell.id}` });
    const jsonTab = el('button', { type: 'button', role: 'tab', textContent: 'JSON', id: `tab-j-${cell.id}` });
    const builderPanel = el('div', { role: 'tabpanel', className: 'builder-panel' });
    const jsonPanel = el('div', { role: 'tabpanel', className: 'json-panel' });
    builderPanel.setAttribute('aria-labelledby', builderTab.id);
    jsonPanel.setAttribute('aria-labelledby', jsonTab.id);
    tabs.append(builderTab, jsonTab);
    cell.input.append(tabs, builderPanel, jsonPanel);
    const select = (which) => {
      for (const [tab, panel, on] of [[builderTab, builderPanel, which === 'builder'], [jsonTab, jsonPanel, which === 'json']]) {
        tab.setAttribute('aria-selected', String(on));
        tab.tabIndex = on ? 0 : -1;
        panel.hidden = !on;
      }
      if (which !== 'json') return;
      if (cell.jsonEditor) cell.jsonEditor.text = JSON.stringify(cell.data.definition, null, 2);
      // The editor (and CodeMirror) is loaded when the JSON tab is first opened.
      cell.jsonEditorMaking ??= jsonEditor(cell, jsonPanel, { label: `Cohort definition (JSON) of ${cell.data.name ?? 'this cell'}`, get: () => cell.data.definition, set: fromJson })
        .then((editor) => { cell.jsonEditor = editor; });
    };
    builderTab.addEventListener('click', () => select('builder'));
    jsonTab.addEventListener('click', () => select('json'));
    tabs.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const next = document.activeElement === builderTab ? jsonTab : builderTab;
      next.focus();
      next.click();
    });
    const update = (definition) => {
      cell.data.definition = definition;
      clearTimeout(cell.debounce);
      cell.debounce = setTimeout(() => cell.notebook.run(cell), 300);
    };
    const fromJson = (definition) => {
      update(definition);
      if (cell.builder) cell.builder.definition = definition;
    };
    cell.selectTab = select;
    cell.builderPanel = builderPanel;
    cell.update = update;
    select('builder');
    builderPanel.replaceChildren(el('p', { className: 'hint', textContent: 'The builder opens when the dataset has loaded.' }));
    builderModule().then((module) => {
      cell.builderModule = module;
      this.lensChanged(cell, cell.notebook.lens);
    }, (e) => {
      builderPanel.replaceChildren(el('p', { className: 'cell-error', textContent: `The visual builder could not load (${e.message}); edit the definition in the JSON tab.` }));
    });
  },
  /** The visual builder works on a loaded lens: it is made again for each new one. */
  async lensChanged(cell, lens) {
    if (!cell.builderModule) return;
    cell.builder?.destroy();
    cell.builder = null;
    const mine = (cell.builderFor = {});
    if (!lens) {
      cell.builderPanel.replaceChildren(el('p', { className: 'hint', textContent: 'The builder opens when the dataset has loaded.' }));
      return;
    }
    // Each cell's builder is made in a task of its own, not in the one that hands out the lens.
    await nextTask();
    if (cell.builderFor !== mine || !cell.el.isConnected) return;
    cell.builder = cell.builderModule.createCohortBuilder({
      lens,
      definition: cell.data.definition,
      // The cell's own JSON tab shows the new definition when it is selected.
      onChange: (d) => cell.update(d),
      jsonTab: false,
    });
    cell.builderPanel.replaceChildren(cell.builder.element);
  },
  definition: (cell) => ({
    inputs: ['lens'],
    run: async (lens) => {
      const definition = cell.data.definition;
      // Server mode answers the total only: group and criterion counts are computed in the browser.
      const preview = lens.mode === 'server'
        ? { total: await lens.count(definition), includes: [], excludes: [] }
        : await lens.preview(definition);
      const display = previewElement(definition, preview, lens.policy);
      display.append(reviewElement(lens, definition));
      return { value: definition, display };
    },
  }),
  unmount: (cell) => { cell.builder?.destroy(); cell.jsonEditor?.destroy(); clearTimeout(cell.debounce); },
};

const chart = {
  label: 'Chart',
  named: true,
  blank: (nb) => ({ kind: 'chart', name: nb.freshName('chart'), cohort: nb.cellsOf('cohort').at(-1)?.data.name, spec: structuredClone(CHART_PRESETS[0].value) }),
  save: (cell) => ({ kind: 'chart', name: cell.data.name, cohort: cell.data.cohort, spec: cell.data.spec }),
  mount(cell) {
    const controls = el('div', { className: 'controls' }, cohortPicker(cell), presetPicker(cell, CHART_PRESETS, (spec) => {
      cell.data.spec = spec;
      if (cell.jsonEditor) cell.jsonEditor.text = JSON.stringify(spec, null, 2);
      cell.notebook.run(cell);
    }));
    const details = el('details', { className: 'spec' }, el('summary', { textContent: 'Chart spec (JSON)' }));
    cell.input.append(controls, details);
    // The editor is made when the spec is first opened (most readers never open it).
    lazyEditor(details, () => jsonEditor(cell, details, {
      label: 'Chart spec (JSON)',
      get: () => cell.data.spec,
      set: (spec) => { cell.data.spec = spec; clearTimeout(cell.debounce); cell.debounce = setTimeout(() => cell.notebook.run(cell), 400); },
    }).then((e) => { cell.jsonEditor = e; }));
  },
  namesChanged: (cell) => cell.fillPicker?.(),
  definition: (cell) => ({
    inputs: cell.data.cohort ? ['lens', cell.data.cohort] : ['lens'],
    run: async (lens, cohortDefinition) => {
      const spec = { ...cell.data.spec, ...scope(cell, cohortDefinition) };
      const canvas = el('canvas', { className: 'chart' });
      const figure = el('figure', { className: 'chart-result' }, canvas);
      cell.output.replaceChildren(figure);
      const summary = await lens.chart(canvas, spec);
      // The count column is the last, or the one before a "Percent" column.
      const countColumn = summary.columns.length - (summary.columns.at(-1) === 'Percent' ? 2 : 1);
      const table = el('table', { className: 'chart-data' },
        el('caption', { textContent: `Data of the chart “${summary.title}”` }),
        el('thead', {}, el('tr', {}, ...summary.columns.map((c, i) => el('th', { scope: 'col', textContent: c, className: i >= countColumn ? 'num' : '' })))),
        el('tbody', {}, ...summary.rows.map((r) => el('tr', {}, ...r.map((v, i) => (i === 0
          ? el('th', { scope: 'row', textContent: v })
          : i === countColumn
            ? el('td', { className: 'num' }, el('span', { className: 'count', textContent: v }))
            : el('td', { className: i > countColumn ? 'num' : '', textContent: v })))))));
      figure.append(
        el('div', { className: 'chart-actions' },
          downloadButton('Download SVG', () => lens.chartSvg(spec), `${cell.data.name ?? 'chart'}.svg`, 'image/svg+xml')),
        el('details', { className: 'chart-table' }, el('summary', { textContent: 'Data table' }), table,
          el('p', { className: 'policy-note', textContent: summary.footnote })));
      return { value: summary, display: figure };
    },
  }),
  unmount: (cell) => { cell.jsonEditor?.destroy(); clearTimeout(cell.debounce); },
};

const table = {
  label: 'Table',
  named: true,
  blank: (nb) => ({ kind: 'table', name: nb.freshName('table'), cohort: nb.cellsOf('cohort').at(-1)?.data.name, request: structuredClone(TABLE_PRESETS[0].value) }),
  save: (cell) => ({ kind: 'table', name: cell.data.name, cohort: cell.data.cohort, request: cell.data.request, conceptId: cell.data.conceptId }),
  mount(cell) {
    const controls = el('div', { className: 'controls' }, cohortPicker(cell), presetPicker(cell, TABLE_PRESETS, (request) => {
      cell.data.request = request;
      if (cell.jsonEditor) cell.jsonEditor.text = JSON.stringify(request, null, 2);
      cell.notebook.run(cell);
    }));
    const details = el('details', { className: 'spec' }, el('summary', { textContent: 'Statistics request (JSON)' }));
    cell.input.append(controls, details);
    lazyEditor(details, () => jsonEditor(cell, details, {
      label: 'Statistics request (JSON)',
      get: () => cell.data.request,
      set: (r) => { cell.data.request = r; clearTimeout(cell.debounce); cell.debounce = setTimeout(() => cell.notebook.run(cell), 400); },
    }).then((e) => { cell.jsonEditor = e; }));
  },
  namesChanged: (cell) => cell.fillPicker?.(),
  definition: (cell) => ({
    inputs: cell.data.cohort ? ['lens', cell.data.cohort] : ['lens'],
    run: async (lens, cohortDefinition) => {
      const { request, conceptId } = cell.data;
      let result;
      if (cell.data.cohort) result = await lens.statistics(cohortDefinition, request);
      else if (conceptId) result = await lens.conceptStatistics(conceptId, request);
      else throw new Error('choose a cohort above (or set "conceptId" in the saved cell) to say whose statistics these are');
      const csv = () => (cell.data.cohort ? lens.statistics(cohortDefinition, request, 'csv') : lens.conceptStatistics(conceptId, request, 'csv'));
      const display = el('div', {}, statTableElement(result),
        el('div', { className: 'chart-actions' }, downloadButton('Download CSV', csv, `${cell.data.name ?? 'table'}.csv`, 'text/csv')));
      return { value: result, display };
    },
  }),
  unmount: (cell) => { cell.jsonEditor?.destroy(); clearTimeout(cell.debounce); },
};

const code = {
  label: 'Code',
  named: true,
  blank: () => ({ kind: 'code', source: '// JavaScript: lens and the other cells are in scope; await works here.\nawait lens.tables()' }),
  save: (cell) => ({ kind: 'code', name: cell.data.name, source: cell.data.source, collapsed: cell.data.collapsed || undefined }),
  mount(cell) {
    const holder = el('div', { className: 'editor' });
    if (cell.data.collapsed) {
      // A tutorial's helper code: its result matters, its code only to the curious.
      const details = el('details', { className: 'code' }, el('summary', { textContent: 'Show the code' }), holder);
      details.addEventListener('toggle', () => { cell.data.collapsed = !details.open || undefined; cell.notebook.changed(); });
      cell.input.append(details);
    } else {
      cell.input.append(holder);
    }
    cell.ready = createEditor(holder, {
      doc: cell.data.source,
      language: 'javascript',
      label: `JavaScript of the cell ${cell.data.name ?? ''}`.trim(),
      onChange: (t) => { cell.data.source = t; cell.notebook.changed(); },
      onRun: () => cell.notebook.run(cell),
    }).then((e) => (cell.editor = e));
  },
  commit(cell) {
    if (cell.editor) cell.data.source = cell.editor.text;
  },
  focus(cell) {
    focusWhenReady(cell.ready);
    return true;
  },
  show(cell, display) {
    if (display instanceof Node) {
      cell.output.replaceChildren(display);
    } else {
      const div = el('div', { className: 'inspect' });
      new Inspector(div).fulfilled(display.value);
      cell.output.replaceChildren(div);
    }
    return true;
  },
  definition(cell) {
    const known = new Set([...cell.notebook.names(cell), 'lens', 'open', 'check']);
    let parsed;
    try {
      parsed = cellInputs(cell.data.source, known);
    } catch (e) {
      const error = new SyntaxError(`${e.message} — fix the JavaScript, then press Shift+Enter`);
      return { inputs: [], run: async () => { throw error; } };
    }
    const { ast, inputs } = parsed;
    const body = codeBody(cell.data.source, ast);
    return {
      inputs,
      run: async (...args) => {
        const f = new AsyncFunction(...inputs, body);
        const value = await f(...args.slice(0, inputs.length));
        return { value, display: value instanceof Node ? value : { value } };
      },
    };
  },
  unmount: (cell) => cell.editor?.destroy(),
};

/** Every kind by its name in the document. */
export const KINDS_BY_NAME = { markdown, cohort, chart, table, code };
