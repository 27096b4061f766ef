// Arquero in the page: the same Arrow IPC streams cohortlens fetched, as Arquero tables
// (aq.fromArrow), the cohort definitions of docs/cohort-semantics.md as Arquero verbs, and the
// statistics of docs/statistics.md. Expressions are built as Arquero expression strings (compiled
// by Arquero, with concept sets passed as parameters), not as escaped JS closures. Like the other
// engines, per-person birth dates and the data-filter person sets are built once at ingest.
// What is not implemented throws `Unsupported` (the benchmark reports it as n/a with the reason):
// observation periods, DEATH / FITBIT / DECEASED (their tables are not loaded), and
// NUM_OF_OCCURRENCES over several parameters of one item (needs row identity).
import { coldWarm, fetchArrow, tableOf } from './common.js';

export class Unsupported extends Error {}

const DAY = 86400000;
const EVENT = { // domain: [table, standard, source, date, visit]
  CONDITION: ['condition_occurrence', 'condition_concept_id', 'condition_source_concept_id', 'condition_start_date', 'visit_occurrence_id'],
  PROCEDURE: ['procedure_occurrence', 'procedure_concept_id', 'procedure_source_concept_id', 'procedure_date', 'visit_occurrence_id'],
  DRUG: ['drug_exposure', 'drug_concept_id', 'drug_source_concept_id', 'drug_exposure_start_date', 'visit_occurrence_id'],
  MEASUREMENT: ['measurement', 'measurement_concept_id', 'measurement_source_concept_id', 'measurement_date', 'visit_occurrence_id'],
  OBSERVATION: ['observation', 'observation_concept_id', 'observation_source_concept_id', 'observation_date', 'visit_occurrence_id'],
  DEVICE: ['device_exposure', 'device_concept_id', 'device_source_concept_id', 'device_exposure_start_date', 'visit_occurrence_id'],
  VISIT: ['visit_occurrence', 'visit_concept_id', 'visit_source_concept_id', 'visit_start_date', 'visit_occurrence_id'],
  PHYSICAL_MEASUREMENT: ['measurement', 'measurement_concept_id', 'measurement_concept_id', 'measurement_date', 'visit_occurrence_id'],
  SURVEY: ['observation', 'observation_source_concept_id', 'observation_source_concept_id', 'observation_date', null],
};
const OPS = { EQUAL: '===', NOT_EQUAL: '!==', LESS_THAN: '<', GREATER_THAN: '>', LESS_THAN_OR_EQUAL_TO: '<=', GREATER_THAN_OR_EQUAL_TO: '>=' };
const PHYSICAL_EXAM_TYPE = 44818701, SURVEY_TYPE = 45905771, SYSTOLIC = 903118, DIASTOLIC = 903115;

const num = (text) => {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`not a number: ${text}`);
  return String(v);
};
const dateMs = (text) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new Error(`not a date: ${text}`);
  return String(Date.parse(`${text}T00:00:00Z`));
};
/** An Arquero expression for `expr OPERATOR operands`; NULL never satisfies it. */
function compare(expr, operator, operands, literal = num) {
  const v = operands.map(literal);
  let test;
  if (OPS[operator]) test = `${expr} ${OPS[operator]} ${v[0]}`;
  else if (operator === 'IN') test = v.map((x) => `${expr} === ${x}`).join(' || ');
  else if (operator === 'BETWEEN') test = `${expr} >= ${v[0]} && ${expr} <= ${v[1]}`;
  else throw new Error(`unknown operator ${operator}`);
  return `(${expr} != null && (${test}))`;
}
/** Completed years from `birth` to `day` (both UTC-midnight milliseconds). */
const ageExpr = (birth, day) => `(${birth} == null || ${day} == null ? null : op.utcyear(${day}) - op.utcyear(${birth}) - `
  + `((op.utcmonth(${day}) < op.utcmonth(${birth}) || (op.utcmonth(${day}) === op.utcmonth(${birth}) && op.utcdate(${day}) < op.utcdate(${birth}))) ? 1 : 0))`;

export async function run({ assets, urls, named, stats, referenceDate, repeats }) {
  if (!globalThis.aq) await import(`${assets}/node_modules/arquero/dist/arquero.min.js`); // UMD: sets globalThis.aq
  const aq = globalThis.aq;
  const t = performance.now();
  let arrowBytes = 0;
  const T = {};
  for (const url of urls) {
    const bytes = await fetchArrow(url);
    arrowBytes += bytes.byteLength;
    T[tableOf(url)] = aq.fromArrow(bytes, { useDate: false }); // dates as UTC milliseconds
  }
  const cdr = Number(dateMs(referenceDate));
  // Once, as cohortlens's index: birth dates, the data filters' persons.
  T.birth = T.person.derive({
    birth: `d.birth_datetime != null ? op.floor(d.birth_datetime / ${DAY}) * ${DAY} : d.year_of_birth == null ? null : `
      + 'op.utcdatetime(d.year_of_birth, (d.month_of_birth == null ? 1 : d.month_of_birth) - 1, d.day_of_birth == null ? 1 : d.day_of_birth)',
  }).select('person_id', 'birth', 'sex_at_birth_concept_id');
  const ehr = ['visit_occurrence', 'condition_occurrence', 'drug_exposure', 'procedure_occurrence', 'device_exposure']
    .map((n) => T[n].select('person_id'));
  ehr.push(T.measurement.filter(`d.measurement_type_concept_id !== ${PHYSICAL_EXAM_TYPE}`).select('person_id'));
  ehr.push(T.observation.filter(`d.observation_type_concept_id !== ${SURVEY_TYPE}`).select('person_id'));
  const filters = {
    HAS_EHR_DATA: ehr[0].concat(...ehr.slice(1)).dedupe('person_id'),
    HAS_PHYSICAL_MEASUREMENT_DATA: T.measurement.filter(`d.measurement_type_concept_id === ${PHYSICAL_EXAM_TYPE}`).select('person_id').dedupe(),
  };
  const ingestMs = performance.now() - t;

  const descendants = (c) => T.concept_ancestor.params({ c }).filter((d, $) => d.ancestor_concept_id === $.c).array('descendant_concept_id');
  const conceptSet = (p) => {
    const c = Number(p.conceptId);
    return new Set(p.group || p.ancestorData ? [c, ...descendants(c)] : [c]);
  };
  const valueConditions = (attributes = []) => attributes.map((a) => {
    if (a.name === 'NUM') return compare('d.value_as_number', a.operator, a.operands);
    if (a.name === 'CAT') return `(${a.operands.map((o) => `d.value_as_concept_id === ${num(o)}`).join(' || ')})`;
    if (a.name === 'ANY') return 'true';
    throw new Unsupported(`attribute ${a.name} on a measurement`);
  });
  const events = (table, date, conceptExpr, visit) => table.derive({
    event_date: `d.${date}`, concept_id: conceptExpr, visit_id: visit ? `d.${visit}` : '(null)',
  }).select('person_id', 'event_date', 'concept_id', 'visit_id');

  function eventParameter(domain, p) {
    const [table, standard, source, date, visit] = EVENT[domain] ?? [];
    if (!table) throw new Unsupported(`domain ${domain} (its table is not loaded)`);
    if (domain === 'PHYSICAL_MEASUREMENT' && p.subtype === 'BP') {
      const by = { [SYSTOLIC]: [], [DIASTOLIC]: [] };
      for (const a of p.attributes ?? []) by[Number(a.conceptId)].push(a);
      const side = (c) => T.measurement.filter([`d.measurement_concept_id === ${c}`, ...valueConditions(by[c])].join(' && '));
      const bp = side(SYSTOLIC).semijoin(side(DIASTOLIC), [['person_id', 'measurement_date'], ['person_id', 'measurement_date']]);
      return events(bp, 'measurement_date', String(SYSTOLIC), 'visit_occurrence_id');
    }
    if (domain === 'SURVEY') {
      const c = Number(p.conceptId);
      let rows;
      if (p.subtype === 'SURVEY') {
        rows = T.observation.params({ ids: new Set(descendants(c)) }).filter((d, $) => op.has($.ids, d.observation_source_concept_id));
      } else if (p.subtype === 'QUESTION' || p.subtype === 'ANSWER') {
        const answers = (p.attributes ?? []).filter((a) => a.name === 'CAT')
          .map((a) => `(${a.operands.map((o) => `d.value_source_concept_id === ${num(o)}`).join(' || ')})`);
        rows = T.observation.filter([`d.observation_source_concept_id === ${c}`, ...answers].join(' && '));
      } else throw new Unsupported(`survey subtype ${p.subtype}`);
      return events(rows, 'observation_date', 'd.observation_source_concept_id', null);
    }
    const column = p.standard === false ? source : standard;
    const conditions = [`op.has($.ids, d.${column})`];
    if (domain === 'MEASUREMENT' || domain === 'PHYSICAL_MEASUREMENT') conditions.push(...valueConditions(p.attributes));
    const rows = T[table].params({ ids: conceptSet(p) }).filter(`(d, $) => ${conditions.join(' && ')}`);
    return events(rows, date, `d.${column}`, visit);
  }

  function personParameter(domain, p) {
    if (domain === 'FITBIT') throw new Unsupported('FITBIT (activity_summary is not loaded)');
    const columns = { GENDER: 'gender_concept_id', SEX: 'sex_at_birth_concept_id', RACE: 'race_concept_id', ETHNICITY: 'ethnicity_concept_id' };
    if (columns[p.type]) return T.person.filter(`d.${columns[p.type]} === ${num(p.conceptId)}`).select('person_id');
    if (p.type === 'AGE') {
      let table = T.birth;
      const conditions = (p.attributes ?? []).map((a) => {
        // The Workbench's AGE: completed years today (UTC), the deceased left out (below).
        if (a.name === 'AGE') return compare(ageExpr('d.birth', String(Math.floor(Date.now() / DAY) * DAY)), a.operator, a.operands);
        if (a.name === 'AGE_AT_CONSENT') {
          if (!table.columnNames().includes('consent')) {
            table = table.join_left(T.observation.filter(`d.observation_type_concept_id === ${SURVEY_TYPE}`)
              .groupby('person_id').rollup({ consent: 'op.min(d.observation_date)' }), 'person_id');
          }
          return compare(ageExpr('d.birth', 'd.consent'), a.operator, a.operands);
        }
        throw new Unsupported(`attribute ${a.name} on AGE`);
      });
      if ((p.attributes ?? []).some((a) => a.name === 'AGE')) {
        if (!T.death) throw new Unsupported('AGE without the death table');
        table = table.antijoin(T.death, 'person_id');
      }
      return table.filter(conditions.join(' && ') || 'true').select('person_id');
    }
    throw new Unsupported(`PERSON type ${p.type}`);
  }

  function modifiers(ev, mods, nParams) {
    for (const name of ['AGE_AT_EVENT', 'EVENT_DATE', 'ENCOUNTERS', 'NUM_OF_OCCURRENCES']) {
      for (const m of mods.filter((x) => x.name === name)) {
        if (name === 'AGE_AT_EVENT') {
          ev = ev.join(T.birth.select('person_id', 'birth'), 'person_id')
            .filter(compare(ageExpr('d.birth', 'd.event_date'), m.operator, m.operands)).select('person_id', 'event_date', 'concept_id', 'visit_id');
        } else if (name === 'EVENT_DATE') {
          ev = ev.filter(compare('d.event_date', m.operator, m.operands, dateMs));
        } else if (name === 'ENCOUNTERS') {
          const visits = T.visit_occurrence.filter(compare('d.visit_concept_id', 'IN', m.operands)).select({ visit_occurrence_id: 'visit_id' });
          ev = ev.semijoin(visits, 'visit_id');
        } else {
          // Each row one event: true with one parameter; several could match one row twice.
          if (nParams > 1) throw new Unsupported('NUM_OF_OCCURRENCES over several parameters (needs row identity)');
          const pairs = ev.groupby('person_id', 'concept_id').count({ as: 'n' }).filter(compare('d.n', m.operator, m.operands));
          ev = ev.semijoin(pairs, [['person_id', 'concept_id'], ['person_id', 'concept_id']]);
        }
      }
    }
    return ev;
  }

  function item(it) {
    const params = it.searchParameters ?? [];
    const domain = params[0]?.domain ?? it.type;
    if (domain === 'PERSON' || domain === 'FITBIT') {
      const persons = params.map((p) => personParameter(domain, p));
      return { persons: persons[0].concat(...persons.slice(1)).dedupe('person_id') };
    }
    const parts = params.map((p) => eventParameter(domain, p));
    const ev = modifiers(parts[0].concat(...parts.slice(1)), it.modifiers ?? [], params.length);
    return { events: ev, persons: ev.select('person_id').dedupe() };
  }

  function group(g) {
    const results = g.items.map((it) => ({ it, ...item(it) }));
    if (!g.temporal) return results[0].persons.concat(...results.slice(1).map((r) => r.persons)).dedupe();
    const cols = g.time === 'DURING_SAME_ENCOUNTER_AS' ? ['person_id', 'visit_id'] : ['person_id', 'event_date'];
    const set = (which) => {
      const members = results.filter((r) => Number(r.it.temporalGroup ?? 0) === which);
      if (!members.length || members.some((r) => !r.events)) throw new Error('temporal group needs event items');
      const all = members.map((r) => r.events);
      return all[0].concat(...all.slice(1));
    };
    let a = set(0);
    if (g.mention === 'FIRST_MENTION') a = a.groupby('person_id').filter('d.event_date === op.min(d.event_date)').ungroup();
    else if (g.mention === 'LAST_MENTION') a = a.groupby('person_id').filter('d.event_date === op.max(d.event_date)').ungroup();
    a = a.select(cols).dedupe();
    const b = set(1).select(cols).dedupe();
    const x = Number(num(g.timeValue ?? 0)) * DAY;
    const relation = {
      DURING_SAME_ENCOUNTER_AS: null,
      X_DAYS_BEFORE: `d.event_date_2 - d.event_date_1 >= ${x}`,
      X_DAYS_AFTER: `d.event_date_1 - d.event_date_2 >= ${x}`,
      WITHIN_X_DAYS_OF: `op.abs(d.event_date_1 - d.event_date_2) <= ${x}`,
    }[g.time];
    if (relation === undefined) throw new Unsupported(`time ${g.time}`);
    const joined = relation === null
      ? a.filter('d.visit_id != null').semijoin(b, [['person_id', 'visit_id'], ['person_id', 'visit_id']])
      : a.join(b, 'person_id').filter(relation); // a's person_id is kept as person_id
    return joined.select('person_id').dedupe();
  }

  function cohort(def) {
    if (def.restrictToObservationPeriod) throw new Unsupported('restrictToObservationPeriod (observation_period is not loaded)');
    const includes = (def.includes ?? []).map(group);
    const excludes = (def.excludes ?? []).map(group);
    let persons = T.person.select('person_id');
    for (const g of includes.length ? includes : excludes) persons = persons.semijoin(g, 'person_id');
    for (const g of includes.length ? excludes : []) persons = persons.antijoin(g, 'person_id');
    for (const f of def.dataFilters ?? []) persons = persons.semijoin(filters[f], 'person_id');
    return persons;
  }

  // -- statistics (docs/statistics.md)
  const concepts = () => new Map(T.concept.objects().map((c) => [c.concept_id, c]));
  const labelOf = (map, c) => (c == null ? [true, 'Not recorded'] : c === 0 ? [true, 'No matching concept']
    : map.has(c) ? [false, map.get(c).concept_name] : [true, `Concept ${c} (not in the vocabulary)`]);
  const byLabel = ([u1, l1], [u2, l2]) => (u1 - u2) || (l1 < l2 ? -1 : l1 > l2 ? 1 : 0);
  const BANDS = [[18, '18–29'], [30, '30–39'], [40, '40–49'], [50, '50–59'], [60, '60–69'], [70, '70–79'], [80, '80–89'], [90, '90+']];

  function ageBySex(scope) {
    const map = concepts();
    const band = `d.age == null ? 'Unknown' : d.age < 18 ? 'Under 18' : ${BANDS.slice(1).map(([low], i) => `d.age < ${low} ? '${BANDS[i][1]}' : `).join('')}'90+'`;
    const cells = T.birth.semijoin(scope, 'person_id').derive({ age: ageExpr('d.birth', String(cdr)) }).derive({ band })
      .groupby('band', 'sex_at_birth_concept_id').count({ as: 'n' }).objects();
    const counts = new Map(), sexes = new Map(), present = new Set();
    for (const { band: b, sex_at_birth_concept_id: s, n } of cells) {
      const label = labelOf(map, s);
      sexes.set(label[1], label);
      present.add(b);
      counts.set(`${b}\u0000${label[1]}`, (counts.get(`${b}\u0000${label[1]}`) ?? 0) + n);
    }
    const ages = [...(present.has('Under 18') ? ['Under 18'] : []), ...BANDS.map(([, lb]) => lb), ...(present.has('Unknown') ? ['Unknown'] : [])];
    const sexList = [...sexes.values()].sort(byLabel);
    return {
      rows: ages.flatMap((a) => sexList.map(([, s]) => ({ labels: [a, s], count: counts.get(`${a}\u0000${s}`) ?? 0 }))),
      total: scope.numRows(),
    };
  }

  function topConditions(scope, limit) {
    const map = concepts();
    const found = T.condition_occurrence.semijoin(scope, 'person_id').filter('d.condition_concept_id != null && d.condition_concept_id !== 0')
      .groupby('condition_concept_id').rollup({ n: 'op.distinct(d.person_id)' }).objects();
    const ranked = found.map(({ condition_concept_id: c, n }) => ({ key: -Math.ceil(n / 20), label: labelOf(map, c), c, n }))
      .sort((x, y) => (x.key - y.key) || byLabel(x.label, y.label) || (x.c - y.c));
    return { rows: ranked.slice(0, limit).map((r) => ({ labels: [r.label[1]], count: r.n })), total: scope.numRows() };
  }

  const CANDIDATES = [];
  for (let e = -9; e <= 15; e++) {
    for (const m of [1, 2, 2.5, 5]) {
      const decimals = Math.max(0, -e + (m === 2.5 ? 1 : 0));
      CANDIDATES.push([Math.round(m * 10 ** (e + decimals)), decimals]);
    }
  }
  function bins(sorted) {
    const k = Math.floor((sorted.length - 1) / 100);
    const lo = sorted[k], hi = sorted[sorted.length - 1 - k];
    const target = hi > lo ? (hi - lo) / 15 : Math.max(Math.abs(lo), 1) / 10;
    const [units, decimals] = CANDIDATES.find(([u, d]) => u / 10 ** d >= target) ?? CANDIDATES[CANDIDATES.length - 1];
    const edge = (j) => (j * units) / 10 ** decimals;
    const binOf = (v) => {
      let j = Math.floor((v * 10 ** decimals) / units);
      while (edge(j) > v) j--;
      while (edge(j + 1) <= v) j++;
      return j;
    };
    return { edge, binOf, decimals, first: binOf(lo), last: binOf(hi) };
  }

  function measurementValues(scope, concept) {
    const map = concepts();
    const m = T.measurement.params({ ids: new Set([concept, ...descendants(concept)]) })
      .filter('(d, $) => op.has($.ids, d.measurement_concept_id) && d.value_as_number != null && op.is_finite(d.value_as_number)')
      .select('unit_concept_id', 'person_id', 'value_as_number');
    const perUnit = m.groupby('unit_concept_id').rollup({ vs: 'op.array_agg(d.value_as_number)' }).objects();
    const unitLabel = (u) => (u == null || u === 0 ? [true, 'No unit']
      : map.get(u)?.domain_id === 'Unit' && map.get(u)?.concept_code ? [false, map.get(u).concept_code] : labelOf(map, u));
    const units = perUnit.map(({ unit_concept_id: u, vs }) => ({ u, label: unitLabel(u), bins: bins(Float64Array.from(vs).sort()) }))
      .sort((x, y) => byLabel(x.label, y.label) || ((x.u ?? -2147483648) - (y.u ?? -2147483648)));
    const inScope = m.semijoin(scope, 'person_id');
    const unitCol = inScope.array('unit_concept_id'), personCol = inScope.array('person_id'), valueCol = inScope.array('value_as_number');
    const rows = [];
    for (const { u, label, bins: b } of units) {
      const slots = new Map();
      for (let i = 0; i < valueCol.length; i++) {
        if (unitCol[i] !== u) continue;
        const j = b.binOf(valueCol[i]);
        const slot = j < b.first ? 'below' : j > b.last ? 'above' : j;
        if (!slots.has(slot)) slots.set(slot, new Set());
        slots.get(slot).add(personCol[i]);
      }
      if (!slots.size) continue;
      const f = (x) => x.toFixed(b.decimals);
      if (slots.has('below')) rows.push({ labels: [label[1], `< ${f(b.edge(b.first))}`], count: slots.get('below').size });
      for (let j = b.first; j <= b.last; j++) rows.push({ labels: [label[1], `${f(b.edge(j))}–${f(b.edge(j + 1))}`], count: slots.get(j)?.size ?? 0 });
      if (slots.has('above')) rows.push({ labels: [label[1], `≥ ${f(b.edge(b.last + 1))}`], count: slots.get('above').size });
    }
    return { rows, total: new Set(personCol).size };
  }

  const statistic = (scope, request) => {
    if (request.kind === 'ageBySex' && request.bands === 'dataBrowser' && (request.at ?? 'now') === 'now') return ageBySex(scope);
    if (request.kind === 'topConcepts' && request.domain === 'CONDITION') return topConditions(scope, request.limit);
    if (request.kind === 'measurementValues') return measurementValues(scope, Number(request.conceptId));
    throw new Unsupported(`statistic ${JSON.stringify(request)}`);
  };

  const counts = [];
  for (const { name, definition } of named) {
    try {
      const r = await coldWarm(() => cohort(definition).numRows(), repeats);
      counts.push({ name, raw: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      counts.push({ name, unsupported: e.message });
    }
  }
  const statistics = [];
  for (const { name, request } of stats) {
    try {
      const r = await coldWarm(() => statistic(cohort(named[0].definition), request), repeats);
      statistics.push({ name, table: r.value, coldMs: r.coldMs, warmMs: r.warmMs });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      statistics.push({ name, unsupported: e.message });
    }
  }
  return { ingestMs, arrowBytes, counts, statistics };
}
