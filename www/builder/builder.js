// The visual Cohort Builder, shaped like the All of Us Workbench's: include and exclude groups
// of criteria, temporal groups, modifiers, data filters, live disclosed counts per item, group
// and total, and a JSON tab with exactly the request the Workbench would send.
//
//   const b = createCohortBuilder({lens, definition, onChange});
//   container.append(b.element); b.definition; b.definition = request; b.destroy();
//
// The request object itself is the form's state: what the JSON tab shows is what the form
// holds, and a pasted request comes back unchanged. All engine work goes through `lens`
// (asynchronous, in a worker); previews are debounced and a stale answer never overwrites a
// newer one.
import { addCriteria } from './criteria.js';
import { countBadge, debounce, h, policyWords } from './dom.js';
import { editModifiers } from './modifiers.js';
import {
  DOMAIN_TITLES, MENTIONS, OPERATOR_WORDS, PERSON_TYPE_TITLES, TIMES, emptyRequest, modifierKinds, newGroup, newItem,
  parseRequest, setTemporal, temporalAllowed,
} from './model.js';

const DATA_FILTERS = [
  ['HAS_EHR_DATA', 'Only participants with electronic health record data'],
  ['HAS_PHYSICAL_MEASUREMENT_DATA', 'Only participants with physical measurements'],
];
const ROLE_WORDS = { includes: 'Include participants', excludes: 'Exclude participants' };
const PREVIEW_DELAY_MS = 300;
/** Item domains whose panel can add further concepts to an existing item. */
const EXTENDABLE = new Set(['CONDITION', 'PROCEDURE', 'DRUG', 'MEASUREMENT', 'VISIT', 'OBSERVATION', 'DEVICE', 'SURVEY', 'PHYSICAL_MEASUREMENT']);

let instances = 0;

/**
 * Creates a builder. `lens`: `{policy, mode, preview, count, searchConcepts}`; `definition`: a
 * Workbench request to start from; `onChange(definition)` is called after every edit;
 * `jsonTab: false` leaves out the builder's own JSON tab (for a host that shows the request).
 */
export function createCohortBuilder({ lens, definition, onChange, jsonTab = true } = {}) {
  const uid = `cb${++instances}`;
  const stylesheet = new URL('./builder.css', import.meta.url).href;
  if (![...document.styleSheets].some((s) => s.href === stylesheet) && !document.querySelector(`link[href="${stylesheet}"]`)) {
    document.head.append(h('link', { rel: 'stylesheet', href: stylesheet }));
  }
  let request = definition ? structuredClone(definition) : emptyRequest();
  let seq = 0;
  let destroyed = false;
  /** Counts and errors of the last preview, by group and item object. */
  let counts = new WeakMap();
  let errors = new Map();
  let total = null;
  const visitNames = new Map();

  const totalCount = h('div', { class: 'cb-total-count', 'aria-live': 'polite', 'aria-atomic': 'true', id: `${uid}-total` });
  const running = h('span', { class: 'cb-running', hidden: true }, h('span', { class: 'cb-spinner', 'aria-hidden': 'true' }), 'Counting…');
  const totalBox = h('section', { class: 'cb-total', 'aria-label': 'Total count' },
    h('div', { class: 'cb-total-line' }, h('span', { class: 'cb-total-label' }, 'Total count'), totalCount, running),
    h('p', { class: 'cb-policy' }, policyWords(lens.policy)));
  const topErrors = h('div', { class: 'cb-error', role: 'alert', hidden: true });
  const columns = h('div', { class: 'cb-columns' });
  const filters = h('fieldset', { class: 'cb-filters' }, h('legend', {}, 'Data filters'));
  const buildPanel = h('div', { class: 'cb-tabpanel', role: 'tabpanel', id: `${uid}-build`, 'aria-labelledby': `${uid}-tab-build` },
    columns, filters);

  const jsonText = h('textarea', { class: 'cb-json', id: `${uid}-json-text`, spellcheck: 'false', rows: '18' });
  const jsonStatus = h('p', { class: 'cb-hint', role: 'status' });
  const jsonPanel = h('div', { class: 'cb-tabpanel', role: 'tabpanel', id: `${uid}-json`, 'aria-labelledby': `${uid}-tab-json`, hidden: true },
    h('label', { for: jsonText.id }, 'The request the All of Us Workbench sends for this cohort. Paste a Workbench request here and choose “Load into the builder” to edit it visually.'),
    jsonText,
    h('div', { class: 'cb-actions' },
      h('button', { type: 'button', class: 'cb-primary', onclick: loadJson }, 'Load into the builder'),
      h('button', { type: 'button', class: 'cb-secondary', onclick: copyJson }, 'Copy'),
      h('button', { type: 'button', class: 'cb-secondary', onclick: () => { jsonText.value = pretty(); jsonStatus.textContent = 'Reset to the builder’s request.'; } }, 'Reset')),
    jsonStatus);

  const tabs = [['build', 'Build'], ['json', 'JSON']].map(([key, label], i) => h('button', {
    type: 'button', role: 'tab', id: `${uid}-tab-${key}`, 'aria-controls': `${uid}-${key}`, 'aria-selected': String(i === 0),
    tabindex: i === 0 ? '0' : '-1', onclick: () => selectTab(key),
  }, label));
  const tablist = h('div', { class: 'cb-tabs', role: 'tablist', 'aria-label': 'Cohort Builder views' }, tabs);
  tablist.addEventListener('keydown', (e) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
    const i = tabs.indexOf(document.activeElement);
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : (i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
    tabs[next].focus();
    tabs[next].click();
    e.preventDefault();
  });

  // Without its own JSON tab (the notebook's Cohort cell has one) the form is all there is.
  const element = jsonTab
    ? h('section', { class: 'cb', 'aria-label': 'Cohort Builder' }, tablist, totalBox, topErrors, buildPanel, jsonPanel)
    : h('section', { class: 'cb', 'aria-label': 'Cohort Builder' }, totalBox, topErrors, buildPanel);
  if (!jsonTab) {
    buildPanel.removeAttribute('role');
    buildPanel.removeAttribute('aria-labelledby');
  }

  function selectTab(key) {
    for (const t of tabs) {
      const on = t.id === `${uid}-tab-${key}`;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    buildPanel.hidden = key !== 'build';
    jsonPanel.hidden = key !== 'json';
    if (key === 'json') {
      jsonText.value = pretty();
      jsonStatus.textContent = '';
    }
  }

  const pretty = () => JSON.stringify(request, null, 2);

  function loadJson() {
    try {
      request = parseRequest(jsonText.value);
      counts = new WeakMap();
      errors = new Map();
      render();
      changed();
      jsonStatus.textContent = 'Loaded: the Build tab now shows this request.';
    } catch (e) {
      jsonStatus.textContent = e.message;
    }
  }

  async function copyJson() {
    try {
      await navigator.clipboard.writeText(pretty());
      jsonStatus.textContent = 'Copied to the clipboard.';
    } catch {
      jsonText.select();
      jsonStatus.textContent = 'Select all and copy (the browser did not allow copying).';
    }
  }

  /** After every edit: tell the host, then count again (debounced). */
  function changed() {
    onChange?.(request);
    running.hidden = false;
    schedule();
  }

  const schedule = debounce(preview, PREVIEW_DELAY_MS);

  async function preview() {
    const mine = ++seq;
    if (!request.includes?.length && !request.excludes?.length) {
      total = null;
      errors = new Map();
      paintCounts('Add criteria to see how many participants match.');
      return;
    }
    running.hidden = false;
    // The time from the debounce firing to the count on screen, as a User Timing measure
    // ("cohortlens:preview"; read by bench/notebook.mjs).
    const started = performance.now();
    try {
      // Server mode answers the total only: group and item counts are computed in the browser.
      const result = lens.mode === 'server'
        ? { total: await lens.count(request), includes: [], excludes: [] }
        : await lens.preview(request);
      if (mine !== seq || destroyed) return;
      counts = new WeakMap();
      errors = new Map();
      for (const role of ['includes', 'excludes']) {
        (request[role] ?? []).forEach((group, g) => {
          const got = result[role]?.[g];
          if (!got) return;
          counts.set(group, got.count);
          group.items.forEach((item, i) => { if (got.items?.[i]) counts.set(item, got.items[i].count); });
        });
      }
      total = result.total;
      paintCounts();
      performance.clearMeasures('cohortlens:preview'); // only the latest is kept
      performance.measure('cohortlens:preview', { start: started, end: performance.now() });
    } catch (e) {
      if (mine !== seq || destroyed) return;
      counts = new WeakMap();
      total = null;
      errors = placeErrors(e);
      paintCounts();
    } finally {
      if (mine === seq) running.hidden = true;
    }
  }

  /** Errors by where they belong: `includes[0].items[1]`, `includes[0]` or the whole request. */
  function placeErrors(e) {
    const placed = new Map();
    const list = e.errors?.length ? e.errors : [{ path: '', message: e.message }];
    for (const { path, message } of list) {
      const m = /^(includes|excludes)\[(\d+)\](?:\.items\[(\d+)\])?/.exec(path ?? '');
      const group = m && request[m[1]]?.[Number(m[2])];
      const item = group && m[3] !== undefined ? group.items[Number(m[3])] : null;
      const key = item ?? group ?? 'top';
      const where = m ? path.slice(m[0].length).replace(/^\./, '') : path;
      placed.set(key, [...(placed.get(key) ?? []), where ? `${message} (at ${where})` : message]);
    }
    return placed;
  }

  /** Writes counts and errors into the rendered form without rebuilding it. */
  function paintCounts(message) {
    if (message) totalCount.replaceChildren(h('span', { class: 'cb-hint' }, message));
    else if (total) totalCount.replaceChildren(countBadge(total));
    else if (errors.size) totalCount.replaceChildren(h('span', { class: 'cb-hint' }, 'No count: fix the problems shown below.'));
    else totalCount.replaceChildren(h('span', { class: 'cb-hint' }, 'Counting…'));
    for (const el of element.querySelectorAll('[data-count-of]')) {
      const owner = owners.get(el);
      el.replaceChildren(counts.has(owner) ? countBadge(counts.get(owner)) : h('span', { class: 'cb-count cb-count-none' }, '—'));
    }
    for (const el of element.querySelectorAll('[data-errors-of]')) {
      const owner = owners.get(el);
      const list = errors.get(owner) ?? [];
      el.hidden = list.length === 0;
      el.replaceChildren(...list.map((m) => h('p', {}, m)));
    }
    const top = errors.get('top') ?? [];
    topErrors.hidden = top.length === 0;
    topErrors.replaceChildren(...top.map((m) => h('p', {}, m)));
  }

  /** Which group or item each count and error element shows. */
  let owners = new WeakMap();
  const countSlot = (owner) => { const el = h('span', { 'data-count-of': '' }); owners.set(el, owner); return el; };
  const errorSlot = (owner) => { const el = h('div', { class: 'cb-error', role: 'alert', 'data-errors-of': '', hidden: true }); owners.set(el, owner); return el; };

  /** Rebuilds the form from the request; focus goes to `focusKey` when given. */
  function render(focusKey) {
    owners = new WeakMap();
    const groupNumber = { includes: 0, excludes: (request.includes ?? []).length };
    columns.replaceChildren(...['includes', 'excludes'].map((role) => {
      const groups = request[role] ?? [];
      return h('section', { class: `cb-role cb-${role}`, 'aria-labelledby': `${uid}-${role}-title` },
        h('h2', { id: `${uid}-${role}-title` }, ROLE_WORDS[role]),
        h('p', { class: 'cb-hint' }, role === 'includes'
          ? 'Participants must match every group. Within a group, any one criterion is enough.'
          : 'Participants who match any of these groups are removed.'),
        groups.map((group, g) => [g > 0 ? h('div', { class: 'cb-and', 'aria-hidden': 'true' }, role === 'includes' ? 'AND' : 'OR') : null,
          groupCard(role, group, g, ++groupNumber[role])]),
        h('button', { type: 'button', class: 'cb-add cb-add-group', 'data-focus': `${role}-new`, onclick: () => add(role, null) },
          groups.length ? `+ Add another ${role === 'includes' ? 'include' : 'exclude'} group` : `+ Add criteria to ${role === 'includes' ? 'include' : 'exclude'}`));
    }));
    filters.replaceChildren(h('legend', {}, 'Data filters'), ...DATA_FILTERS.map(([name, label]) => {
      const box = h('input', { type: 'checkbox', id: `${uid}-filter-${name}`, checked: (request.dataFilters ?? []).includes(name) });
      box.addEventListener('change', () => {
        const set = (request.dataFilters ?? []).filter((f) => f !== name);
        if (box.checked) set.push(name);
        request.dataFilters = set;
        changed();
      });
      return h('label', { class: 'cb-check', for: box.id }, box, ` ${label}`);
    }));
    paintCounts(!request.includes?.length && !request.excludes?.length ? 'Add criteria to see how many participants match.' : undefined);
    if (focusKey) (element.querySelector(`[data-focus="${focusKey}"]`) ?? element.querySelector(`[data-focus="${focusKey.split(':')[0]}-new"]`))?.focus();
  }

  function groupCard(role, group, g, number) {
    const key = `${role}:${g}`;
    const name = group.name || `Group ${number}`;
    const canTemporal = temporalAllowed(group);
    const toggle = h('input', { type: 'checkbox', role: 'switch', id: `${uid}-temporal-${key}`, checked: !!group.temporal, 'aria-checked': String(!!group.temporal),
      disabled: !group.temporal && !canTemporal, 'aria-describedby': canTemporal ? null : `${uid}-temporal-why-${key}` });
    toggle.addEventListener('change', () => {
      request[role][g] = setTemporal(group, toggle.checked);
      render(`${key}:temporal`);
      changed();
    });
    toggle.dataset.focus = `${key}:temporal`;
    const body = [];
    if (group.temporal) {
      const mention = select(MENTIONS, group.mention ?? 'ANY_MENTION', `${name}: which mention of the first criteria`);
      mention.addEventListener('change', () => { group.mention = mention.value; changed(); });
      const time = select(TIMES, group.time ?? 'DURING_SAME_ENCOUNTER_AS', `${name}: time relation`);
      const days = h('input', { type: 'number', min: '0', step: '1', class: 'cb-num', value: String(group.timeValue ?? ''), 'aria-label': `${name}: X, the number of days`,
        hidden: group.time === 'DURING_SAME_ENCOUNTER_AS' });
      time.addEventListener('change', () => { group.time = time.value; days.hidden = time.value === 'DURING_SAME_ENCOUNTER_AS'; changed(); });
      days.addEventListener('input', () => { group.timeValue = days.value === '' ? null : parseInt(days.value, 10); changed(); });
      body.push(h('div', { class: 'cb-temporal-row' }, mention),
        itemList(role, group, g, 0), addButton(role, g, 0, 'Add criteria'),
        h('div', { class: 'cb-temporal-row' }, time, days, h('span', { class: 'cb-hint' }, days.hidden ? '' : 'days')),
        itemList(role, group, g, 1), addButton(role, g, 1, 'Add criteria'));
    } else {
      body.push(itemList(role, group, g), addButton(role, g, undefined, 'Add criteria to this group'));
    }
    return h('article', { class: `cb-group${group.temporal ? ' cb-temporal' : ''}`, 'aria-label': `${ROLE_WORDS[role]}: ${name}` },
      h('header', { class: 'cb-group-head' },
        h('h3', {}, name),
        h('button', { type: 'button', class: 'cb-secondary cb-small', 'aria-label': `Delete ${name}`, onclick: () => {
          request[role].splice(g, 1);
          render(`${role}-new`);
          changed();
        } }, 'Delete group')),
      errorSlot(group),
      body,
      h('footer', { class: 'cb-group-foot' },
        h('label', { class: 'cb-switch', for: toggle.id }, toggle, ' Temporal'),
        canTemporal ? null : h('span', { class: 'cb-hint', id: `${uid}-temporal-why-${key}` }, 'Temporal needs events: not demographics, surveys, physical measurements, Fitbit or “number of occurrence dates”.'),
        h('span', { class: 'cb-group-count' }, 'Group count: ', countSlot(group))));
  }

  function select(options, value, label) {
    const s = h('select', { 'aria-label': label }, options.map(([v, t]) => h('option', { value: v }, t)));
    s.value = value;
    return s;
  }

  function itemList(role, group, g, side) {
    const items = group.items.map((item, i) => [item, i]).filter(([item]) => side === undefined || (item.temporalGroup ?? 0) === side);
    if (!items.length) return h('p', { class: 'cb-hint cb-empty' }, side === 1 ? 'Add the criteria the first ones are related to.' : 'No criteria yet.');
    return h('ul', { class: 'cb-items' }, items.map(([item, i], n) => [
      n > 0 ? h('li', { class: 'cb-or', 'aria-hidden': 'true' }, 'OR') : null,
      itemCard(role, group, g, item, i)]));
  }

  function itemTitle(item) {
    const first = item.searchParameters[0];
    if (item.name) return item.name;
    if (first?.type === 'DECEASED' || first?.type === 'HAS_EHR_DATA' || (item.type ?? '').startsWith('FITBIT')) return first?.name ?? DOMAIN_TITLES[item.type];
    return item.type === 'PERSON' ? PERSON_TYPE_TITLES[first?.type] ?? 'Demographics' : DOMAIN_TITLES[item.type] ?? item.type;
  }

  function itemCard(role, group, g, item, i) {
    const key = `${role}:${g}:${i}`;
    const title = itemTitle(item);
    const kinds = modifierKinds(item.type, group.temporal);
    return h('li', { class: 'cb-item' },
      h('div', { class: 'cb-item-head' },
        h('h4', { tabindex: '-1', 'data-focus': `${key}:title` }, title),
        h('span', { class: 'cb-item-count' }, countSlot(item))),
      h('ul', { class: 'cb-params' }, item.searchParameters.map((p, k) => h('li', {},
        h('span', {}, paramText(p)),
        item.searchParameters.length > 1 ? h('button', { type: 'button', class: 'cb-icon', 'aria-label': `Remove ${p.name || 'this concept'}`, onclick: () => {
          item.searchParameters.splice(k, 1);
          render(`${key}:delete`);
          changed();
        } }, '×') : null))),
      item.modifiers?.length ? h('p', { class: 'cb-mods' }, h('strong', {}, 'Modifiers: '), h('span', { class: 'cb-mods-text' }, item.modifiers.map(modifierText).join('; '))) : null,
      errorSlot(item),
      h('div', { class: 'cb-item-actions' },
        EXTENDABLE.has(item.type) ? h('button', { type: 'button', class: 'cb-secondary cb-small', 'data-focus': `${key}:more`, 'aria-label': `Add more to ${title}`,
          onclick: () => addCriteria({ lens, temporal: !!group.temporal, domain: item.type, title: `Add more to ${title}`, onAdd(_type, params) {
            const have = new Set(item.searchParameters.map((p) => p.parameterId));
            item.searchParameters.push(...params.filter((p) => !have.has(p.parameterId)));
            render(`${key}:more`);
            changed();
          } }) }, 'Add more') : null,
        kinds.length ? h('button', { type: 'button', class: 'cb-secondary cb-small', 'data-focus': `${key}:modifiers`, 'aria-label': `${item.modifiers?.length ? 'Edit modifiers' : 'Add modifiers'} of ${title}`,
          onclick: () => editModifiers({ lens, item, role, temporal: group.temporal, onApply: (modifiers) => {
            item.modifiers = modifiers;
            render(`${key}:modifiers`);
            changed();
          } }) }, item.modifiers?.length ? 'Edit modifiers' : 'Add modifiers') : null,
        h('button', { type: 'button', class: 'cb-secondary cb-small', 'data-focus': `${key}:delete`, 'aria-label': `Delete ${title}`, onclick: () => {
          group.items.splice(i, 1);
          if (!group.items.length) request[role].splice(g, 1);
          render(group.items.length ? `${role}:${g}:add` : `${role}-new`);
          changed();
        } }, 'Delete')));
  }

  function paramText(p) {
    const parts = [p.name || DOMAIN_TITLES[p.domain] || p.domain];
    if (p.conceptId !== undefined && p.domain !== 'PERSON' && p.domain !== 'SURVEY') parts.push(`(${p.type} · id ${p.conceptId})`);
    if (p.group || p.ancestorData) parts.push('and its descendants');
    if (p.domain === 'PERSON' || p.domain === 'PHYSICAL_MEASUREMENT' || p.domain === 'SURVEY') return parts.join(' ');
    for (const a of p.attributes ?? []) {
      if (a.name === 'NUM') parts.push(`value ${OPERATOR_WORDS[a.operator] ?? a.operator} ${a.operands.join(' and ')}`);
    }
    return parts.join(' ');
  }

  function modifierText(m) {
    const name = { AGE_AT_EVENT: 'Age at event', EVENT_DATE: 'Event date', NUM_OF_OCCURRENCES: 'Number of occurrence dates', ENCOUNTERS: 'During visit type', CATI: 'CATI' }[m.name] ?? m.name;
    if (m.name === 'NUM_OF_OCCURRENCES') return `${name}: ${m.operands[0]} or more`;
    if (m.name === 'ENCOUNTERS') return `${name}: ${m.operands.map(visitName).join(', ')}`;
    return `${name} ${OPERATOR_WORDS[m.operator] ?? m.operator} ${m.operands.join(' and ')}`;
  }

  /** A visit concept's name once looked up (the form is drawn again then), else its id. */
  function visitName(id) {
    const key = Number(id);
    if (!visitNames.has(key)) {
      visitNames.set(key, `visit concept ${id}`);
      lens.searchConcepts(String(id), { limit: 5 }).then((hits) => {
        const hit = hits.find((c) => c.conceptId === key);
        if (!hit || destroyed) return;
        visitNames.set(key, hit.name);
        for (const el of element.querySelectorAll('.cb-mods-text')) el.textContent = el.textContent.replace(`visit concept ${id}`, hit.name);
      }).catch(() => {});
    }
    return visitNames.get(key);
  }

  function addButton(role, g, side, label) {
    return h('button', { type: 'button', class: 'cb-add', 'data-focus': `${role}:${g}${side === 1 ? ':add1' : ':add'}`,
      onclick: () => add(role, g, side) }, `+ ${label}`);
  }

  /** Opens "Add criteria" for group `g` of `role` (a new group when `g` is null). */
  function add(role, g, side) {
    const group = g === null ? null : request[role][g];
    addCriteria({
      lens,
      temporal: !!group?.temporal,
      title: group ? `Add criteria to ${group.name || 'this group'}` : `Add criteria to ${role === 'includes' ? 'include' : 'exclude'}`,
      onAdd(type, params) {
        const item = newItem(type, params, group?.temporal ? side ?? 0 : undefined);
        if (group) {
          group.items.push(item);
          render(`${role}:${g}:${group.items.length - 1}:title`);
        } else {
          request[role] = [...(request[role] ?? []), newGroup(role, [item])];
          render(`${role}:${request[role].length - 1}:0:title`);
        }
        changed();
      },
    });
  }

  render();
  schedule();

  return {
    element,
    get definition() { return structuredClone(request); },
    set definition(value) {
      request = value ? structuredClone(value) : emptyRequest();
      counts = new WeakMap();
      errors = new Map();
      render();
      if (!jsonPanel.hidden) jsonText.value = pretty();
      schedule();
    },
    destroy() {
      destroyed = true;
      schedule.cancel();
      element.remove();
    },
  };
}

