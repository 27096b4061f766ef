// The modifiers of one item (modifier-page.tsx): age at event, event date, number of occurrence
// dates and visit type, each "Any" by default, with a live count of the item as modified.
import { countBadge, debounce, h, openDialog } from './dom.js';
import { modifierKinds } from './model.js';

const KINDS = {
  AGE_AT_EVENT: { label: 'Age at event', type: 'number', options: [['GREATER_THAN_OR_EQUAL_TO', 'Greater than or equal to'], ['LESS_THAN_OR_EQUAL_TO', 'Less than or equal to'], ['BETWEEN', 'Between']] },
  EVENT_DATE: { label: 'Event date', type: 'date', options: [['LESS_THAN_OR_EQUAL_TO', 'Is on or before'], ['GREATER_THAN_OR_EQUAL_TO', 'Is on or after'], ['BETWEEN', 'Is between']] },
  NUM_OF_OCCURRENCES: { label: 'Number of occurrence dates', type: 'number', options: [['GREATER_THAN_OR_EQUAL_TO', 'N or more']] },
  ENCOUNTERS: { label: 'During visit type', type: null, options: [] },
};

/** How the Workbench checks each value (modifier-page.tsx validatorFuncs). */
function problem(name, value) {
  if (value === '') return `${KINDS[name].label}: enter a value.`;
  if (name === 'AGE_AT_EVENT' && !(Number.isInteger(Number(value)) && value >= 0 && value <= 120)) return 'Age at event must be a whole number from 0 to 120.';
  if (name === 'NUM_OF_OCCURRENCES' && !(Number.isInteger(Number(value)) && value >= 1 && value <= 99)) return 'Number of occurrence dates must be a whole number from 1 to 99.';
  if (name === 'EVENT_DATE' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'Dates must be in the form YYYY-MM-DD.';
  return null;
}

/**
 * Opens the modifiers of `item` (in group `group` of `role`); `onApply(modifiers)` receives the
 * list as the Workbench builds it (getModifiersFromForm).
 */
export function editModifiers({ lens, item, role, temporal, onApply }) {
  const rows = [];
  const count = h('output', { class: 'cb-preview', 'aria-live': 'polite' });
  const errors = h('div', { class: 'cb-error', role: 'alert', hidden: true });
  const visits = lens.searchConcepts('', { domain: 'VISIT', limit: 50 }).catch(() => []);
  for (const name of modifierKinds(item.type, temporal)) {
    const spec = KINDS[name];
    const existing = (item.modifiers ?? []).find((m) => m.name === name);
    const operator = h('select', { 'aria-label': `${spec.label}: condition` }, h('option', { value: '' }, 'Any'),
      spec.options.map(([v, t]) => h('option', { value: v }, t)));
    const inputs = spec.type ? [0, 1].map((i) => h('input', { type: spec.type, class: spec.type === 'number' ? 'cb-num' : 'cb-date',
      'aria-label': `${spec.label}: ${i ? 'upper value' : 'value'}`, min: spec.type === 'number' ? '0' : null, hidden: true })) : [];
    if (name === 'ENCOUNTERS') {
      visits.then((hits) => {
        for (const v of hits) if (v.count?.label !== '0') operator.append(h('option', { value: String(v.conceptId) }, v.name));
        if (existing) operator.value = String(existing.operands[0]);
      });
    }
    const sync = () => inputs.forEach((input, i) => { input.hidden = !operator.value || (i === 1 && operator.value !== 'BETWEEN'); });
    if (existing && name !== 'ENCOUNTERS') {
      operator.value = existing.operator;
      existing.operands.forEach((v, i) => { inputs[i].value = String(v); });
    }
    sync();
    operator.addEventListener('change', () => { sync(); update(); });
    inputs.forEach((input) => input.addEventListener('input', () => update()));
    rows.push({ name, operator, inputs });
  }

  /** The modifiers in the Workbench's form; throws the first problem. */
  function read() {
    const out = [];
    for (const { name, operator, inputs } of rows) {
      if (!operator.value) continue;
      if (name === 'ENCOUNTERS') {
        out.push({ name, operator: 'IN', operands: [operator.value] });
        continue;
      }
      const used = operator.value === 'BETWEEN' ? inputs : inputs.slice(0, 1);
      for (const input of used) {
        const p = problem(name, input.value);
        if (p) throw new Error(p);
      }
      // Number inputs give numbers (inputs.tsx NumberInput), dates strings.
      const operands = used.map((input) => (KINDS[name].type === 'number' ? Number(input.value) : input.value));
      out.push({ name, operator: operator.value, operands });
    }
    return out;
  }

  let seq = 0;
  const update = debounce(async () => {
    const mine = ++seq;
    let modifiers;
    try {
      modifiers = read();
      errors.hidden = true;
    } catch (e) {
      errors.textContent = e.message;
      errors.hidden = false;
      count.replaceChildren();
      return;
    }
    count.replaceChildren('Counting…');
    const request = { includes: [], excludes: [], dataFilters: [] };
    request[role] = [{ id: 'modifiers', items: [{ ...item, temporalGroup: undefined, modifiers }], temporal: false }];
    try {
      const n = await lens.count(request);
      if (mine === seq) count.replaceChildren('This criterion with these modifiers: ', countBadge(n));
    } catch (e) {
      if (mine === seq) count.replaceChildren(`Could not count: ${e.message}`);
    }
  }, 300);

  const form = h('form', { class: 'cb-modifiers' },
    h('p', { class: 'cb-hint' }, 'Modifiers are optional and apply to every concept of this criterion.'),
    rows.map(({ name, operator, inputs }) => h('fieldset', { class: 'cb-modifier' }, h('legend', {}, KINDS[name].label),
      h('div', { class: 'cb-field-row' }, operator, inputs[0], inputs[1] ? h('span', {}, '') : null, inputs[1]),
      name === 'EVENT_DATE' ? h('p', { class: 'cb-hint' }, 'Dates are shifted by up to a year per participant to protect privacy.') : null)),
    errors, count,
    h('div', { class: 'cb-actions' }, h('button', { type: 'submit', class: 'cb-primary' }, 'Apply modifiers'),
      h('button', { type: 'button', class: 'cb-secondary', onclick: () => dialog.close() }, 'Cancel')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      const modifiers = read();
      dialog.close();
      onApply(modifiers);
    } catch (err) {
      errors.textContent = err.message;
      errors.hidden = false;
      errors.focus();
    }
  });
  const dialog = openDialog('Modifiers', form);
  update();
}
