// The Cohort Builder's request, built exactly as the All of Us Workbench UI builds it
// (ui/src/app/pages/data/cohort/: utils.ts mapRequest/mapGroup/mapGroupItem/mapParameter,
// cohort-search.tsx, list-search.tsx, attributes-page.tsx, demographics.tsx, modifier-page.tsx):
// the same keys in the same order, the same ids, names and value types.

/** Domains whose items are person-level (no events, so no modifiers and no temporal use). */
export const PERSON_LEVEL = new Set(['PERSON', 'FITBIT', 'FITBIT_ACTIVITY', 'FITBIT_HEART_RATE_SUMMARY',
  'FITBIT_HEART_RATE_LEVEL', 'FITBIT_INTRADAY_STEPS', 'FITBIT_SLEEP_DAILY_SUMMARY', 'FITBIT_SLEEP_LEVEL',
  'FITBIT_PLUS_DEVICE', 'FITBIT_DEVICE']);

/** What the Workbench calls each domain (utils.ts domainToTitle). */
export const DOMAIN_TITLES = {
  PERSON: 'Demographics', CONDITION: 'Conditions', PROCEDURE: 'Procedures', DRUG: 'Drugs',
  MEASUREMENT: 'Labs and Measurements', PHYSICAL_MEASUREMENT: 'Physical Measurements',
  SURVEY: 'Surveys', VISIT: 'Visits', OBSERVATION: 'Observations', DEVICE: 'Devices',
  FITBIT: 'Fitbit', FITBIT_ACTIVITY: 'Fitbit Activity Summary',
  FITBIT_HEART_RATE_SUMMARY: 'Fitbit Heart Rate Summary', DEATH: 'Death',
};

/** Person criteria types as the Workbench titles them (utils.ts typeToTitle). */
export const PERSON_TYPE_TITLES = {
  AGE: 'Age', DECEASED: 'Deceased', ETHNICITY: 'Ethnicity', GENDER: 'Gender Identity',
  RACE: 'Race', SEX: 'Sex Assigned at Birth', HAS_EHR_DATA: 'Has EHR Data',
};

export const OPERATOR_WORDS = {
  EQUAL: '=', NOT_EQUAL: '≠', LESS_THAN: '<', GREATER_THAN: '>', LESS_THAN_OR_EQUAL_TO: '≤',
  GREATER_THAN_OR_EQUAL_TO: '≥', BETWEEN: 'between', IN: 'in',
};

export const MENTIONS = [
  ['ANY_MENTION', 'Any mention of'], ['FIRST_MENTION', 'First mention of'], ['LAST_MENTION', 'Last mention of'],
];
export const TIMES = [
  ['DURING_SAME_ENCOUNTER_AS', 'During same encounter as'], ['X_DAYS_AFTER', 'X or more days after'],
  ['X_DAYS_BEFORE', 'X or more days before'], ['WITHIN_X_DAYS_OF', 'On or within X days of'],
];

/** `prefix_` and nine base-36 characters, unique on this page (utils.ts generateId). */
const used = new Set();
export function generateId(prefix) {
  let id;
  do id = `${prefix}_${Math.random().toString(36).slice(2, 11).padEnd(9, '0')}`; while (used.has(id));
  used.add(id);
  return id;
}

/** An empty request (search-state.service.ts initSearchRequest). */
export const emptyRequest = () => ({ includes: [], excludes: [], dataFilters: [] });

/**
 * A search parameter in mapParameter's key order: parameterId, name, domain, type, group,
 * attributes, ancestorData, standard, then conceptId when there is one and subtype for surveys.
 * Fields the Workbench leaves undefined (e.g. `standard` of Deceased) are left out.
 */
export function parameter({ parameterId, name, domain, type, group = false, attributes = [], ancestorData,
  standard, conceptId, subtype }) {
  const p = { parameterId, name, domain, type, group, attributes };
  if (ancestorData !== undefined) p.ancestorData = ancestorData;
  if (standard !== undefined) p.standard = standard;
  if (conceptId !== null && conceptId !== undefined) p.conceptId = conceptId;
  if (domain === 'SURVEY') p.subtype = subtype;
  return p;
}

/**
 * Vocabularies whose codes the Workbench's criteria trees hold as source codes even where OMOP
 * marks them standard: their events are source events only (docs/cohort-semantics.md), so a
 * parameter naming one says `standard: false`, as the Workbench's does.
 */
const SOURCE_VOCABULARIES = new Set(['CPT4', 'ICD9PROC', 'ICD10PCS']);

/** Whether the Workbench treats the concept of a search hit as standard (its `is_standard`). */
export function isStandard(hit) {
  return hit.standard && !SOURCE_VOCABULARIES.has(hit.vocabulary.toUpperCase());
}

/** A concept picked from a search or the hierarchy (list-search.tsx selectItem, getParamId). */
export function conceptParameter(hit, domain, descendants) {
  const hasChildren = hit.children?.length > 0;
  const standard = isStandard(hit);
  return parameter({
    parameterId: `param${hit.conceptId}${hit.code}${standard}`,
    name: hit.name,
    domain,
    type: hit.vocabulary.toUpperCase(),
    group: descendants && hasChildren,
    // Every drug criterion carries ancestor data (build-cb-criteria-drug.sh has_ancestor_data = 1).
    ancestorData: domain === 'DRUG' ? descendants : false,
    standard,
    conceptId: hit.conceptId,
  });
}

/** A NUM attribute as attributes-page.tsx makes it (operands as typed: numbers). */
export function numAttribute(operator, operands, conceptId) {
  const a = { name: 'NUM', operator, operands };
  if (conceptId !== undefined) a.conceptId = conceptId;
  return a;
}

const OPERATOR_CODES = { ANY: 'Any', EQUAL: '01', GREATER_THAN_OR_EQUAL_TO: '02', LESS_THAN_OR_EQUAL_TO: '03', BETWEEN: '04' };
const OPERATOR_DISPLAY = { EQUAL: '= ', GREATER_THAN_OR_EQUAL_TO: '>= ', LESS_THAN_OR_EQUAL_TO: '<= ', BETWEEN: '' };

/**
 * A measurement or physical measurement with a value range, or any value (`range` null), and for
 * a lab with categorical answers the value concepts picked (`categories`: `[{conceptId, name}]`,
 * a `CAT` attribute with the `value_as_concept_id`s, combined with the range by OR)
 * (attributes-page.tsx paramWithAttributes, paramId and getParamName).
 */
export function valueParameter(hit, domain, range, unit, categories = []) {
  const operator = range?.operator;
  const code = operator ? OPERATOR_CODES[operator] : categories.length ? '' : 'Any';
  const shown = [];
  if (operator) shown.push(OPERATOR_DISPLAY[operator] + range.operands.map((v) => Number(v).toLocaleString('en-US')).join('-'));
  shown.push(...categories.map((c) => c.name));
  const attributes = operator ? [numAttribute(operator, range.operands)] : [];
  if (categories.length) attributes.push({ name: 'CAT', operator: 'IN', operands: categories.map((c) => String(c.conceptId)) });
  return parameter({
    // attributes-page.tsx paramId: the concept, the operator's code, the value concepts.
    parameterId: `param${hit.conceptId}${code}${categories.map((c) => c.conceptId).join('')}`,
    name: `${hit.name} (${shown.length ? shown.join(', ') + (operator && unit ? ` ${unit}` : '') : 'Any value'})`,
    domain,
    type: domain === 'PHYSICAL_MEASUREMENT' ? 'PPI' : hit.vocabulary.toUpperCase(),
    group: false,
    attributes,
    ancestorData: false,
    standard: domain !== 'PHYSICAL_MEASUREMENT' && isStandard(hit),
    conceptId: hit.conceptId,
  });
}

/** Systolic first: the Workbench's blood-pressure SQL relies on that order. */
export const SYSTOLIC = 903118;
export const DIASTOLIC = 903115;

/** Blood-pressure categories (constant.ts PREDEFINED_ATTRIBUTES). */
export const BP_PRESETS = {
  Hypotensive: [['LESS_THAN_OR_EQUAL_TO', ['90']], ['LESS_THAN_OR_EQUAL_TO', ['60']]],
  Normal: [['LESS_THAN_OR_EQUAL_TO', ['120']], ['LESS_THAN_OR_EQUAL_TO', ['80']]],
  'Pre-Hypertensive': [['BETWEEN', ['121', '139']], ['BETWEEN', ['81', '89']]],
  Hypertensive: [['GREATER_THAN_OR_EQUAL_TO', ['140']], ['GREATER_THAN_OR_EQUAL_TO', ['90']]],
};

/**
 * Blood pressure as the UI sends it: no conceptId, no subtype, two attributes carrying
 * 903118 / 903115 (`ANY` without an operator when both are any value).
 * `sides`: [[operator | 'ANY', operands], [operator | 'ANY', operands]].
 */
export function bloodPressureParameter(sides) {
  const names = ['Systolic', 'Diastolic'];
  const ids = [SYSTOLIC, DIASTOLIC];
  const any = sides.every(([op]) => op === 'ANY');
  const attributes = sides.map(([operator, operands], i) => (any || operator === 'ANY')
    ? { name: 'ANY', operands: [], conceptId: ids[i] }
    : numAttribute(operator, operands, ids[i]));
  const shown = any ? 'Any value' : sides.map(([operator, operands], i) => (operator === 'ANY' ? ''
    : `${names[i]} ${OPERATOR_DISPLAY[operator]}${operands.map((v) => Number(v).toLocaleString('en-US')).join('-')}`))
    .filter(Boolean).join(' / ');
  const code = any ? 'Any' : sides.map(([op]) => OPERATOR_CODES[op] ?? '').join('');
  return parameter({
    parameterId: `paramBP${code}`,
    name: `Blood Pressure (${shown})`,
    domain: 'PHYSICAL_MEASUREMENT',
    type: 'PPI',
    group: false,
    attributes,
    ancestorData: false,
    standard: false,
  });
}

/** A survey, a question (any answer) or one answer (tree-node.tsx select, mapParameter). */
export function surveyParameter(kind, { survey, question, answer }) {
  const base = { domain: 'SURVEY', type: 'PPI', ancestorData: false, standard: false };
  if (kind === 'SURVEY') {
    return parameter({ ...base, parameterId: `param${survey.conceptId}`, name: survey.name, group: true,
      conceptId: survey.conceptId, subtype: 'SURVEY' });
  }
  if (kind === 'QUESTION') {
    return parameter({ ...base, parameterId: `param${question.conceptId}`, name: question.name, group: true,
      conceptId: question.conceptId, subtype: 'QUESTION' });
  }
  return parameter({
    ...base,
    parameterId: `param${question.conceptId}${answer.conceptId}`,
    name: `${question.name} - ${answer.name}`,
    group: false,
    attributes: [{ name: 'CAT', operator: 'IN', operands: [String(answer.conceptId)] }],
    conceptId: question.conceptId,
    subtype: 'ANSWER',
  });
}

/** Age in a range (demographics.tsx addAgeSelection; the slider gives strings). */
export function ageParameter(ageType, min, max) {
  const label = { AGE: 'Current Age', AGE_AT_CONSENT: 'Age at Consent', AGE_AT_CDR: 'Age at CDR Date' }[ageType];
  return parameter({
    parameterId: `${ageType}-${min}-${max}`,
    name: `${label} In Range ${min} - ${max}`,
    domain: 'PERSON',
    type: 'AGE',
    group: false,
    attributes: [{ name: ageType, operator: 'BETWEEN', operands: [String(min), String(max)] }],
    ancestorData: false,
    standard: true,
  });
}

/** Gender, sex at birth, race or ethnicity (demographics.tsx loadNodesFromApi, selectOption). */
export function demographicParameter(type, conceptId, name) {
  return parameter({
    parameterId: `param${conceptId}`,
    name: `${PERSON_TYPE_TITLES[type]} - ${name}`,
    domain: 'PERSON',
    type,
    group: false,
    attributes: [],
    ancestorData: false,
    standard: true,
    conceptId,
  });
}

/** Deceased, Has EHR data and the Fitbit flags (cohort-search.tsx selectDeceased, selectFitbit). */
export function flagParameter(domain, type, name) {
  return parameter({ parameterId: '', name, domain, type, group: false, attributes: [] });
}

/** A new item (search-group.tsx initItem, then mapGroupItem). */
export function newItem(type, searchParameters, temporalGroup) {
  const item = { id: generateId('items'), type, searchParameters, modifiers: [] };
  if (temporalGroup !== undefined) item.temporalGroup = temporalGroup;
  return item;
}

/** A new non-temporal group (cohort-search.tsx initGroup, then mapGroup). */
export function newGroup(role, items) {
  return { id: generateId(role), items, temporal: false };
}

/** Turns a group temporal or back, in mapGroup's key order (ids, names and items kept). */
export function setTemporal(group, on) {
  const { id, items, temporal: _t, name, mention, time, timeValue, ...rest } = group;
  const out = { id, items, temporal: on };
  if (name !== undefined) out.name = name;
  if (on) Object.assign(out, { mention: mention ?? 'ANY_MENTION', time: time ?? 'DURING_SAME_ENCOUNTER_AS', timeValue: timeValue ?? 1 });
  Object.assign(out, rest);
  out.items = items.map((item) => {
    const { temporalGroup, ...keep } = item;
    return on ? { ...keep, temporalGroup: temporalGroup ?? 0 } : keep;
  });
  return out;
}

/** Whether the Workbench lets this group be temporal (search-group.tsx disableTemporal). */
export function temporalAllowed(group) {
  return group.items.every((it) => !PERSON_LEVEL.has(it.type) && !['PHYSICAL_MEASUREMENT', 'SURVEY'].includes(it.type)
    && !(it.modifiers ?? []).some((m) => m.name === 'NUM_OF_OCCURRENCES'));
}

/** Which modifiers an item of `domain` offers (modifier-page.tsx initModifiersForm). */
export function modifierKinds(domain, temporal) {
  if (PERSON_LEVEL.has(domain) || domain === 'PHYSICAL_MEASUREMENT') return [];
  const kinds = ['AGE_AT_EVENT'];
  if (domain !== 'SURVEY' && !temporal) kinds.push('NUM_OF_OCCURRENCES');
  kinds.push('EVENT_DATE');
  if (!['SURVEY', 'VISIT'].includes(domain)) kinds.push('ENCOUNTERS');
  return kinds;
}

/**
 * Checks that pasted text is a Workbench request the form can show; returns the object or
 * throws an Error saying what is wrong.
 */
export function parseRequest(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`This is not valid JSON (${e.message}). Paste the request exactly as the Workbench sent it.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('A cohort request is a JSON object such as {"includes": [], "excludes": [], "dataFilters": []}.');
  }
  for (const role of ['includes', 'excludes']) {
    if (value[role] === undefined) continue;
    if (!Array.isArray(value[role])) throw new Error(`"${role}" must be a list of groups.`);
    value[role].forEach((g, i) => {
      if (!g || typeof g !== 'object' || !Array.isArray(g.items)) throw new Error(`${role}[${i}] must be a group with a list of "items".`);
      g.items.forEach((it, j) => {
        if (!it || typeof it !== 'object' || !Array.isArray(it.searchParameters)) {
          throw new Error(`${role}[${i}].items[${j}] must be an item with a list of "searchParameters".`);
        }
      });
    });
  }
  if (value.dataFilters !== undefined && !Array.isArray(value.dataFilters)) throw new Error('"dataFilters" must be a list.');
  return value;
}
