//! The streaming index builder ([`IndexBuilder`]): fed table by table and record batch by
//! record batch as the tables arrive, it appends each batch's columns to compact per-table
//! vectors (the batch can then be dropped) and sorts and buckets an event table when it ends.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::model::{BloodPressure, Buckets, Events, IdMap, Index, NO_VISIT, Numbers};
use super::{Dense, IndexError};
use crate::cdm::concepts::{DIASTOLIC, PHYSICAL_EXAM, SURVEY_TYPE, SYSTOLIC};
use crate::cdm::{EventTable, FitbitTable};
use crate::columns::{self, NULL_I32};
use crate::date::{Birth, Calendar, month_of, parse_date};
use crate::privacy::PersonKeys;
use crate::store::Table;

/// "Not a person of `person`" as a person ordinal.
const NO_PERSON: u32 = u32::MAX;

/// A counting sort of rows by a key: each key's range of positions, and each row's position
/// (`u32::MAX` for rows left out).
struct Sorted {
    ranges: IdMap<i32, (u32, u32)>,
    dest: Vec<u32>,
    len: usize,
}

impl Sorted {
    /// Sorts the rows `keep` accepts by `keys` (stable); null keys go last when `nulls` is
    /// set and are left out otherwise. Null keys get no range.
    fn new(keys: &[i32], keep: impl Fn(usize) -> bool, nulls: bool) -> Result<Sorted, IndexError> {
        // Each distinct key gets a dense slot, so the second pass needs no hashing.
        let mut slots: IdMap<i32, u32> = IdMap::default();
        let mut counts: Vec<u32> = Vec::new();
        let mut nulls_count = 0u32;
        // Each row's slot, then (in place) its position.
        let mut dest = filled(keys.len(), 0u32)?;
        for (row, (&k, slot)) in keys.iter().zip(dest.iter_mut()).enumerate() {
            *slot = if !keep(row) || (k == NULL_I32 && !nulls) {
                u32::MAX
            } else if k == NULL_I32 {
                nulls_count += 1;
                u32::MAX - 1
            } else {
                let next = counts.len() as u32;
                let slot = *slots.entry(k).or_insert(next);
                if slot == next {
                    counts.push(0);
                }
                counts[slot as usize] += 1;
                slot
            };
        }
        let mut next = Vec::with_capacity(counts.len());
        let mut at = 0u32;
        for &n in &counts {
            next.push(at);
            at += n;
        }
        let ranges = slots
            .iter()
            .map(|(&k, &slot)| (k, (next[slot as usize], next[slot as usize] + counts[slot as usize])))
            .collect();
        let mut null_at = at;
        for d in &mut dest {
            *d = match *d {
                u32::MAX => u32::MAX,
                s if s == u32::MAX - 1 => {
                    null_at += 1;
                    null_at - 1
                }
                s => {
                    let pos = &mut next[s as usize];
                    *pos += 1;
                    *pos - 1
                }
            };
        }
        Ok(Sorted { ranges, dest, len: (at + nulls_count) as usize })
    }

    /// `values` in sorted order (rows left out dropped), `values` freed. Writing each row to
    /// its place reads `values` once in order and keeps one open cache line per key: much
    /// faster than gathering.
    fn scatter<T: Copy + Default>(&self, values: Vec<T>) -> Result<Vec<T>, IndexError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = filled(self.len, T::default())?;
        for (&d, &v) in self.dest.iter().zip(&values) {
            if let Some(slot) = out.get_mut(d as usize) {
                *slot = v;
            }
        }
        Ok(out)
    }
}

impl Buckets {
    /// Rows of a table sorted by `keys`, null keys left out.
    fn new(keys: &[i32]) -> Result<Buckets, IndexError> {
        let sorted = Sorted::new(keys, |_| true, false)?;
        let mut order = filled(sorted.len, 0u32)?;
        for (row, &d) in sorted.dest.iter().enumerate() {
            if let Some(slot) = order.get_mut(d as usize) {
                *slot = row as u32;
            }
        }
        Ok(Buckets { ranges: sorted.ranges, order })
    }
}

/// Places of decimals [`Numbers`] tries, and the scale of each.
const SCALES: [f64; 7] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0];

impl Numbers {
    /// The column of `values` (NaN: null).
    fn new(values: Vec<f64>) -> Result<Numbers, IndexError> {
        // The fewest places that hold every value exactly.
        let mut places = 0;
        let mut any = false;
        for &v in values.iter().filter(|v| !v.is_nan()) {
            any = true;
            while decimal(v, SCALES[places]).is_none() {
                places += 1;
                if places == SCALES.len() {
                    return Ok(Numbers::Float(values));
                }
            }
        }
        if !any {
            return Ok(Numbers::Null);
        }
        let scale = SCALES[places];
        let mut ints = filled(values.len(), i32::MIN)?;
        for (int, &v) in ints.iter_mut().zip(&values) {
            if !v.is_nan() {
                match decimal(v, scale) {
                    Some(i) => *int = i,
                    None => return Ok(Numbers::Float(values)),
                }
            }
        }
        Ok(Numbers::Decimal { scale, ints })
    }

    /// The column in `sorted`'s order.
    fn scatter(self, sorted: &Sorted) -> Result<Numbers, IndexError> {
        Ok(match self {
            Numbers::Null => Numbers::Null,
            Numbers::Decimal { scale, ints } => Numbers::Decimal { scale, ints: sorted.scatter(ints)? },
            Numbers::Float(values) => Numbers::Float(sorted.scatter(values)?),
        })
    }
}

/// `v` as an integer count of `1 / scale`, when that gives back exactly `v`.
fn decimal(v: f64, scale: f64) -> Option<i32> {
    let x = (v * scale).round();
    // Saturating (NaN: 0); `i32::MIN` means null.
    let i = x as i32;
    (i != i32::MIN && (f64::from(i) / scale).to_bits() == v.to_bits()).then_some(i)
}

/// `values`, or nothing when every value is null (the column then reads as null).
fn unless_all_null(values: Vec<i32>) -> Vec<i32> {
    if values.iter().all(|&v| v == NULL_I32) { Vec::new() } else { values }
}

/// Maps `person_id`s (or visit ids) to ordinals: a direct table when the ids are dense enough,
/// a hash map otherwise. The first occurrence of an id wins.
struct Ordinals {
    min: i64,
    direct: Vec<u32>,
    hashed: IdMap<i64, u32>,
}

impl Ordinals {
    fn new(ids: &[i64], null: i64) -> Ordinals {
        let present = ids.iter().copied().filter(|&i| i != null);
        let (min, max) = present.clone().fold((i64::MAX, i64::MIN), |(a, b), i| (a.min(i), b.max(i)));
        let span = max.checked_sub(min).and_then(|s| usize::try_from(s).ok()).and_then(|s| s.checked_add(1));
        let mut o = Ordinals { min, direct: Vec::new(), hashed: IdMap::default() };
        match span {
            Some(span) if span <= ids.len().saturating_mul(4) + 1024 => {
                o.direct = vec![u32::MAX; span];
                for (i, &id) in ids.iter().enumerate() {
                    if id != null {
                        let slot = &mut o.direct[(id - min) as usize];
                        if *slot == u32::MAX {
                            *slot = i as u32;
                        }
                    }
                }
            }
            _ => {
                for (i, &id) in ids.iter().enumerate() {
                    if id != null {
                        o.hashed.entry(id).or_insert(i as u32);
                    }
                }
            }
        }
        o
    }

    #[inline]
    fn get(&self, id: i64) -> Option<u32> {
        if self.direct.is_empty() {
            return self.hashed.get(&id).copied();
        }
        let at = id.checked_sub(self.min).and_then(|d| usize::try_from(d).ok())?;
        self.direct.get(at).copied().filter(|&o| o != u32::MAX)
    }
}

/// Null `*_id` values.
const NULL_ID: i64 = i64::MIN;

/// What the index takes from a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Person,
    Events(EventTable),
    Periods,
    /// A Fitbit table: who has Fitbit data, and when first.
    Fitbit(FitbitTable),
    /// `observation_ext`: the survey version of observation rows.
    ObservationExt,
    /// Nothing.
    Unused,
}

impl Role {
    fn of(table: &str) -> Role {
        match table {
            "person" => Role::Person,
            "observation_period" => Role::Periods,
            "observation_ext" => Role::ObservationExt,
            _ => match FitbitTable::of(table) {
                Some(fitbit) => Role::Fitbit(fitbit),
                None => EventTable::ALL
                    .into_iter()
                    .find(|t| t.table() == table)
                    .map_or(Role::Unused, Role::Events),
            },
        }
    }
}

/// What has been gathered of the table being absorbed.
enum Part {
    Person(PersonRows),
    Events(EventTable, EventRows),
    /// `(person, start, end)` of each valid period.
    Periods(Vec<(u32, i32, i32)>),
    Fitbit(FitbitTable),
    /// `observation_ext`: observation rows by `observation_id`, and their versions so far.
    ObservationExt(Ordinals, Vec<i32>),
    /// The table came before a table it refers to: its batches, held until that one has ended.
    Waiting(Vec<RecordBatch>),
    Unused,
}

/// The columns of `person` read so far, one entry per row.
#[derive(Default)]
struct PersonRows {
    ids: Vec<i64>,
    birth: Vec<Option<Birth>>,
    gender: Vec<i32>,
    sex: Vec<i32>,
    race: Vec<i32>,
    ethnicity: Vec<i32>,
}

impl PersonRows {
    fn absorb(&mut self, t: &Table) -> Result<(), IndexError> {
        columns::append_i64s(t, "person_id", true, NULL_ID, &mut self.ids)?;
        let years = columns::i32s(t, "year_of_birth", true)?;
        let months = columns::i32s(t, "month_of_birth", false)?;
        let days = columns::i32s(t, "day_of_birth", false)?;
        let birth_datetime = columns::days(t, "birth_datetime", false)?;
        let some = |v: i32| (v != NULL_I32).then_some(v);
        self.birth.extend((0..years.len()).map(|i| match (some(birth_datetime[i]), some(years[i])) {
            (Some(d), _) => Some(Birth::from_days(d)),
            (None, Some(y)) => Some(Birth::from_parts(y, some(months[i]), some(days[i]))),
            (None, None) => None,
        }));
        columns::append_i32s(t, "gender_concept_id", true, &mut self.gender)?;
        columns::append_i32s(t, "sex_at_birth_concept_id", false, &mut self.sex)?;
        columns::append_i32s(t, "race_concept_id", true, &mut self.race)?;
        columns::append_i32s(t, "ethnicity_concept_id", true, &mut self.ethnicity)?;
        Ok(())
    }
}

/// The columns of an event table read so far, in arrival order (empty when the table has no
/// such column).
#[derive(Default)]
struct EventRows {
    person: Vec<u32>,
    concept: Vec<i32>,
    source: Vec<i32>,
    date: Vec<i32>,
    visit: Vec<u32>,
    /// `visit_occurrence_id` of `visit_occurrence` itself: its keys are known at its end.
    visit_ids: Vec<i64>,
    value: Vec<f64>,
    value_concept: Vec<i32>,
    unit: Vec<i32>,
    value_source: Vec<i32>,
    /// `observation_id` of observation rows, kept only when `observation_ext` refers to them.
    ids: Vec<i64>,
    /// Arrival row and `measurement_datetime` of blood-pressure rows.
    bp_time: Vec<(u32, i64)>,
}

impl EventRows {
    /// Room for `rows` rows in the columns `tab` has, reserved exactly (an announced row count
    /// saves the growth of each vector and its slack).
    fn with_capacity(tab: EventTable, rows: usize) -> Result<EventRows, IndexError> {
        let mut r = EventRows::default();
        reserve(&mut r.person, rows)?;
        reserve(&mut r.concept, rows)?;
        reserve(&mut r.source, rows)?;
        reserve(&mut r.date, rows)?;
        match tab {
            EventTable::Visit => reserve(&mut r.visit_ids, rows)?,
            EventTable::Death => {}
            _ => reserve(&mut r.visit, rows)?,
        }
        match tab {
            EventTable::Measurement => {
                reserve(&mut r.value, rows)?;
                reserve(&mut r.value_concept, rows)?;
                reserve(&mut r.unit, rows)?;
            }
            EventTable::Observation => {
                reserve(&mut r.value, rows)?;
                reserve(&mut r.value_concept, rows)?;
                reserve(&mut r.value_source, rows)?;
            }
            _ => {}
        }
        Ok(r)
    }
}

/// Reserves room for `n` more values, or says that memory ran out (instead of aborting: in
/// wasm32 an abort is a trap that leaves `Lens.open` unsettled).
fn reserve<T>(v: &mut Vec<T>, n: usize) -> Result<(), IndexError> {
    v.try_reserve_exact(n).map_err(|_| IndexError::OutOfMemory)
}

/// `n` copies of `value`, or [`IndexError::OutOfMemory`].
fn filled<T: Clone>(n: usize, value: T) -> Result<Vec<T>, IndexError> {
    let mut v = Vec::new();
    reserve(&mut v, n)?;
    v.resize(n, value);
    Ok(v)
}

/// The index under construction, fed table by table and record batch by record batch as the
/// tables arrive (see `crate::engine::EngineBuilder`): each batch's columns are appended to compact
/// per-table vectors and the batch can be dropped; an event table is sorted and bucketed when
/// it ends. A table that comes before a table it refers to (`person`, `visit_occurrence`) is
/// held whole until that one has ended, so any order gives the same index.
pub(crate) struct IndexBuilder {
    index: Index,
    /// `person` is still to come: every other table waits for its ordinals.
    person_pending: bool,
    /// `visit_occurrence` is still to come: event tables wait for its visit keys.
    visits_pending: bool,
    /// `observation_ext` is among the tables: `observation` keeps its ids for it.
    versions_expected: bool,
    /// `observation` is still to come: `observation_ext` waits for its rows.
    observations_pending: bool,
    /// `observation_id` of each sorted observation row, until `observation_ext` has been read.
    observation_ids: Vec<i64>,
    person_map: Ordinals,
    visit_keys: VisitKeys,
    /// The table being absorbed, and what has been gathered of it.
    current: Option<(String, Part)>,
    /// Tables that came before a table they refer to.
    waiting: Vec<Table>,
    /// Every table begun so far (a repeated table is ignored).
    seen: Vec<String>,
    /// Sum and number of daily step counts of each person.
    steps: Vec<(f64, u32)>,
    /// Earliest and latest event date.
    span: (i32, i32),
}

impl IndexBuilder {
    /// A builder that will be fed `tables` (it waits for `person` and `visit_occurrence` only
    /// when they are among them).
    pub(crate) fn new<'a>(tables: impl IntoIterator<Item = &'a str>) -> IndexBuilder {
        let (mut person, mut visits, mut observations, mut versions) = (false, false, false, false);
        for t in tables {
            person |= t == "person";
            visits |= t == EventTable::Visit.table();
            observations |= t == EventTable::Observation.table();
            versions |= t == "observation_ext";
        }
        let mut b = IndexBuilder {
            index: Index {
                events: EventTable::ALL.iter().map(|_| Events::default()).collect(),
                cdr: NULL_I32,
                ..Index::default()
            },
            person_pending: true,
            visits_pending: visits,
            versions_expected: versions,
            observations_pending: observations && versions,
            observation_ids: Vec::new(),
            person_map: Ordinals::new(&[], NULL_ID),
            visit_keys: VisitKeys::default(),
            current: None,
            waiting: Vec::new(),
            seen: Vec::new(),
            steps: Vec::new(),
            span: (i32::MAX, NULL_I32),
        };
        if !person {
            b.set_persons(PersonRows::default());
        }
        b
    }

    /// Whether a table of this role can be absorbed now.
    fn ready(&self, role: Role) -> bool {
        match role {
            Role::Person | Role::Unused => true,
            Role::Events(EventTable::Visit) | Role::Periods | Role::Fitbit(_) => !self.person_pending,
            Role::Events(_) => !self.person_pending && !self.visits_pending,
            Role::ObservationExt => !self.observations_pending,
        }
    }

    /// The empty part of a table of this role, with room for `rows` rows.
    fn part(&mut self, role: Role, rows: usize) -> Result<Part, IndexError> {
        Ok(match role {
            Role::Person => {
                let mut r = PersonRows::default();
                reserve(&mut r.ids, rows)?;
                reserve(&mut r.birth, rows)?;
                for v in [&mut r.gender, &mut r.sex, &mut r.race, &mut r.ethnicity] {
                    reserve(v, rows)?;
                }
                Part::Person(r)
            }
            Role::Events(tab) => Part::Events(tab, EventRows::with_capacity(tab, rows)?),
            Role::Periods => Part::Periods(Vec::new()),
            Role::Fitbit(table) => {
                if table == FitbitTable::ActivitySummary && self.steps.is_empty() {
                    self.steps = filled(self.index.persons.len(), (0.0, 0))?;
                }
                Part::Fitbit(table)
            }
            Role::ObservationExt => {
                let ids = std::mem::take(&mut self.observation_ids);
                let rows = filled(ids.len(), NULL_I32)?;
                Part::ObservationExt(Ordinals::new(&ids, NULL_ID), rows)
            }
            Role::Unused => Part::Unused,
        })
    }

    /// Starts table `name`, of `rows` rows if known.
    pub(crate) fn begin(&mut self, name: &str, rows: Option<usize>) -> Result<(), IndexError> {
        let role = if self.seen.iter().any(|t| t == name) { Role::Unused } else { Role::of(name) };
        self.seen.push(name.to_owned());
        let part =
            if self.ready(role) { self.part(role, rows.unwrap_or(0))? } else { Part::Waiting(Vec::new()) };
        self.current = Some((name.to_owned(), part));
        Ok(())
    }

    /// Absorbs record batches of the current table (all of its schema).
    pub(crate) fn push(&mut self, batches: Vec<RecordBatch>) -> Result<(), IndexError> {
        let Some((name, mut part)) = self.current.take() else { return Ok(()) };
        let result = match &mut part {
            Part::Waiting(held) => {
                held.extend(batches);
                Ok(())
            }
            _ => match batches.first() {
                Some(b) => {
                    let piece = Table::new(name.clone(), b.schema(), batches);
                    self.absorb(&mut part, &piece)
                }
                None => Ok(()),
            },
        };
        self.current = Some((name, part));
        result
    }

    /// Ends the current table, whose stream had `schema`.
    pub(crate) fn end(&mut self, schema: &SchemaRef) -> Result<(), IndexError> {
        let Some((name, mut part)) = self.current.take() else { return Ok(()) };
        if let Part::Waiting(batches) = part {
            self.waiting.push(Table::new(name, schema.clone(), batches));
            return Ok(());
        }
        // The columns of a table without rows are checked too.
        self.absorb(&mut part, &Table::new(name, schema.clone(), Vec::new()))?;
        self.complete(part)
    }

    /// Appends what the index reads of `t` (some batches of the current table).
    fn absorb(&mut self, part: &mut Part, t: &Table) -> Result<(), IndexError> {
        match part {
            Part::Person(rows) => rows.absorb(t),
            Part::Events(tab, rows) => self.absorb_events(*tab, rows, t),
            Part::Periods(periods) => {
                let persons = self.persons_of(t)?;
                let starts = columns::days(t, "observation_period_start_date", true)?;
                let ends = columns::days(t, "observation_period_end_date", true)?;
                for ((&p, &s), &e) in persons.iter().zip(&starts).zip(&ends) {
                    if p != NO_PERSON && s != NULL_I32 && e != NULL_I32 {
                        periods.push((p, s, e));
                    }
                }
                Ok(())
            }
            Part::Fitbit(table) => {
                let persons = self.persons_of(t)?;
                let p = &mut self.index.persons;
                for &person in persons.iter().filter(|&&x| x != NO_PERSON) {
                    p.fitbit.insert(person);
                    if *table == FitbitTable::HeartRateSummary {
                        p.heart_rate.insert(person);
                    }
                }
                let dates = columns::days(t, table.date_column(), true)?;
                let rows = &mut p.fitbit_tables[*table as usize];
                // A person's rows usually follow one another: the bitmaps are told each run
                // of them once (an insert searches the bitmap).
                let mut last = NO_PERSON;
                for (&person, &d) in persons.iter().zip(&dates).filter(|&(&x, _)| x != NO_PERSON) {
                    if person != last {
                        rows.persons.insert(person);
                        last = person;
                    }
                    let f = &mut rows.first[person as usize];
                    if d != NULL_I32 && (*f == NULL_I32 || d < *f) {
                        *f = d;
                    }
                }
                if *table == FitbitTable::ActivitySummary {
                    // This batch's rows add to the months earlier batches began.
                    let p = &mut self.index.persons;
                    let (mut last, mut last_month) = (NO_PERSON, (NO_PERSON, NULL_I32));
                    for (&person, &d) in persons.iter().zip(&dates).filter(|&(&x, _)| x != NO_PERSON) {
                        if person != last {
                            p.activity.insert(person);
                            last = person;
                        }
                        if d != NULL_I32 {
                            let month = (person, month_of(d));
                            if month != last_month {
                                last_month = month;
                                p.activity_months.entry(month.1).or_default().insert(person);
                            }
                        }
                    }
                    let steps = columns::f64s(t, "steps", true)?;
                    for (&p, &s) in persons.iter().zip(&steps) {
                        if p != NO_PERSON && !s.is_nan() {
                            let (sum, days) = &mut self.steps[p as usize];
                            *sum += s;
                            *days += 1;
                        }
                    }
                }
                Ok(())
            }
            Part::ObservationExt(rows, versions) => {
                let ids = columns::i64s(t, "observation_id", true, NULL_ID)?;
                let found = columns::i32s(t, "survey_version_concept_id", false)?;
                for (&id, &v) in ids.iter().zip(&found) {
                    if let Some(row) = rows.get(id) {
                        versions[row as usize] = v;
                    }
                }
                Ok(())
            }
            Part::Waiting(_) | Part::Unused => Ok(()),
        }
    }

    /// Person ordinals of the rows of `t` ([`NO_PERSON`] for ids absent from `person`).
    fn persons_of(&self, t: &Table) -> Result<Vec<u32>, IndexError> {
        let ids = columns::i64s(t, "person_id", true, NULL_ID)?;
        Ok(ids.iter().map(|&id| self.person_map.get(id).unwrap_or(NO_PERSON)).collect())
    }

    fn absorb_events(&mut self, tab: EventTable, rows: &mut EventRows, t: &Table) -> Result<(), IndexError> {
        let spec = tab.columns();
        let persons = self.persons_of(t)?;
        let first = rows.date.len();
        columns::append_i32s(t, spec.concept, tab != EventTable::Death, &mut rows.concept)?;
        columns::append_i32s(t, spec.source, false, &mut rows.source)?;
        columns::append_days(t, spec.date, true, &mut rows.date)?;
        if let Some(column) = spec.visit {
            if tab == EventTable::Visit {
                columns::append_i64s(t, column, true, NULL_ID, &mut rows.visit_ids)?;
            } else {
                let ids = columns::i64s(t, column, false, NULL_ID)?;
                rows.visit.extend(ids.iter().map(|&id| self.visit_keys.key(id)));
            }
        }
        let p = &mut self.index.persons;
        match tab {
            EventTable::Measurement => {
                columns::append_f64s(t, "value_as_number", false, &mut rows.value)?;
                columns::append_i32s(t, "value_as_concept_id", false, &mut rows.value_concept)?;
                columns::append_i32s(t, "unit_concept_id", false, &mut rows.unit)?;
                let types = columns::i32s(t, "measurement_type_concept_id", false)?;
                for (&person, &ty) in persons.iter().zip(&types) {
                    if person != NO_PERSON && ty != NULL_I32 && ty != PHYSICAL_EXAM {
                        p.ehr.insert(person);
                    }
                }
                let bp = |c: i32| c == SYSTOLIC || c == DIASTOLIC;
                let times = columns::micros(t, "measurement_datetime", false)?;
                for (i, &time) in times.iter().enumerate() {
                    let row = first + i;
                    let source = rows.source.get(row).copied().unwrap_or(NULL_I32);
                    if time != i64::MIN && (bp(rows.concept[row]) || bp(source)) {
                        rows.bp_time.push((row as u32, time));
                    }
                }
            }
            EventTable::Observation => {
                if self.versions_expected {
                    columns::append_i64s(t, "observation_id", true, NULL_ID, &mut rows.ids)?;
                }
                columns::append_f64s(t, "value_as_number", false, &mut rows.value)?;
                columns::append_i32s(t, "value_as_concept_id", false, &mut rows.value_concept)?;
                columns::append_i32s(t, "value_source_concept_id", false, &mut rows.value_source)?;
                let types = columns::i32s(t, "observation_type_concept_id", false)?;
                for (&person, &ty) in persons.iter().zip(&types) {
                    if person != NO_PERSON && ty != NULL_I32 && ty != SURVEY_TYPE {
                        p.ehr.insert(person);
                    }
                }
            }
            EventTable::Death => {
                persons.iter().filter(|&&x| x != NO_PERSON).for_each(|&x| p.deceased.insert(x))
            }
            _ => persons.iter().filter(|&&x| x != NO_PERSON).for_each(|&x| p.ehr.insert(x)),
        }
        rows.person.extend_from_slice(&persons);
        Ok(())
    }

    /// Finishes what a table's end completes; `person` and `visit_occurrence` release the
    /// tables waiting for them.
    fn complete(&mut self, part: Part) -> Result<(), IndexError> {
        match part {
            Part::Person(rows) => {
                self.set_persons(rows);
                self.release_waiting()?;
            }
            Part::Events(tab, rows) => {
                self.index.events[tab as usize] = self.sort_events(tab, rows)?;
                if tab == EventTable::Visit {
                    self.visits_pending = false;
                    self.release_waiting()?;
                }
                if tab == EventTable::Observation && self.observations_pending {
                    self.observations_pending = false;
                    self.release_waiting()?;
                }
            }
            Part::ObservationExt(_, versions) => {
                let events = &mut self.index.events[EventTable::Observation as usize];
                events.version = unless_all_null(versions);
            }
            Part::Periods(periods) => self.set_periods(periods)?,
            Part::Fitbit(_) | Part::Waiting(_) | Part::Unused => {}
        }
        Ok(())
    }

    /// Absorbs the waiting tables that can be now, batch by batch, each batch dropped once read.
    fn release_waiting(&mut self) -> Result<(), IndexError> {
        for table in std::mem::take(&mut self.waiting) {
            let role = Role::of(table.name());
            if !self.ready(role) {
                self.waiting.push(table);
                continue;
            }
            let rows = table.rows();
            let (name, schema, batches) = table.into_parts();
            let mut part = self.part(role, rows)?;
            for batch in batches {
                self.absorb(&mut part, &Table::new(name.clone(), schema.clone(), vec![batch]))?;
            }
            self.absorb(&mut part, &Table::new(name, schema, Vec::new()))?;
            self.complete(part)?;
        }
        Ok(())
    }

    /// The persons: each `person_id` once (its first row), in table order.
    fn set_persons(&mut self, rows: PersonRows) {
        let PersonRows { ids, birth, gender, sex, race, ethnicity } = rows;
        let map = Ordinals::new(&ids, NULL_ID);
        // Keep each person once (the first row of a repeated id), in table order.
        let keep: Vec<usize> = (0..ids.len()).filter(|&i| map.get(ids[i]) == Some(i as u32)).collect();
        let pick = |v: Vec<i32>| -> Vec<i32> { keep.iter().map(|&i| v[i]).collect() };
        let p = &mut self.index.persons;
        p.birth = keep.iter().map(|&i| birth[i]).collect();
        p.gender = pick(gender);
        p.sex = pick(sex);
        p.race = pick(race);
        p.ethnicity = pick(ethnicity);
        p.ids = keep.iter().map(|&i| ids[i]).collect();
        p.keys = PersonKeys::new(&p.ids);
        let n = p.ids.len();
        for column in [&p.gender, &p.sex, &p.race, &p.ethnicity] {
            for (person, &c) in column.iter().enumerate() {
                if c != NULL_I32 {
                    self.index.demographics.entry(c).or_insert_with(|| Dense::new(n)).insert(person as u32);
                }
            }
        }
        for dense in
            [&mut p.deceased, &mut p.ehr, &mut p.physical, &mut p.survey, &mut p.fitbit, &mut p.heart_rate]
        {
            *dense = Dense::new(n);
        }
        p.consent = vec![NULL_I32; n];
        p.steps = vec![f64::NAN; n];
        for rows in &mut p.fitbit_tables {
            rows.first = vec![NULL_I32; n];
        }
        // Ordinals count kept rows only: the map over the kept ids.
        self.person_map = Ordinals::new(&p.ids, NULL_ID);
        self.person_pending = false;
    }

    /// Each person's observation periods, in table order.
    fn set_periods(&mut self, rows: Vec<(u32, i32, i32)>) -> Result<(), IndexError> {
        let n = self.index.persons.len();
        let mut count = vec![0u32; n + 1];
        for &(p, _, _) in &rows {
            count[p as usize + 1] += 1;
        }
        for p in 0..n {
            count[p + 1] += count[p];
        }
        let mut next = count.clone();
        let mut periods = filled(rows.len(), (0, 0))?;
        for (p, s, e) in rows {
            let slot = &mut next[p as usize];
            periods[*slot as usize] = (s, e);
            *slot += 1;
        }
        self.index.persons.period_start = count;
        self.index.persons.periods = periods;
        Ok(())
    }

    /// An event table's rows of known persons, sorted by standard concept, with its buckets.
    fn sort_events(&mut self, tab: EventTable, rows: EventRows) -> Result<Events, IndexError> {
        let EventRows {
            person,
            concept,
            source,
            date,
            mut visit,
            visit_ids,
            value,
            value_concept,
            unit,
            value_source,
            ids,
            bp_time,
        } = rows;
        if tab == EventTable::Visit {
            // The visits' ids become visit keys (their row numbers), which the other tables
            // refer to.
            let ordinals = Ordinals::new(&visit_ids, NULL_ID);
            visit = filled(visit_ids.len(), NO_VISIT)?;
            for (key, &id) in visit.iter_mut().zip(&visit_ids) {
                *key = ordinals.get(id).unwrap_or(NO_VISIT);
            }
            self.index.known_visits = visit_ids.len() as u32;
            drop(visit_ids);
            self.index.visit_concept = concept.clone();
            self.visit_keys.next = concept.len() as u32;
            self.visit_keys.ordinals = Some(ordinals);
        }
        for (&p, &d) in person.iter().zip(&date) {
            if p != NO_PERSON && d != NULL_I32 {
                self.span = (self.span.0.min(d), self.span.1.max(d));
                if tab != EventTable::Death {
                    self.index.cdr = self.index.cdr.max(d);
                }
            }
        }
        // Keep the rows of known persons, sorted by standard concept. Each column is dropped
        // once sorted, so that at most one column exists twice.
        let sorted = Sorted::new(&concept, |r| person[r] != NO_PERSON, true)?;
        drop(concept);
        let person = sorted.scatter(person)?;
        let date = sorted.scatter(date)?;
        // Source concepts are only looked up (a bucket's rows all have its concept): the
        // buckets, no column.
        let by_source = Buckets::new(&unless_all_null(sorted.scatter(source)?))?;
        let visit = if visit.iter().all(|&v| v == NO_VISIT) { Vec::new() } else { sorted.scatter(visit)? };
        let value = Numbers::new(value)?.scatter(&sorted)?;
        let value_concept = unless_all_null(sorted.scatter(value_concept)?);
        let unit = unless_all_null(sorted.scatter(unit)?);
        let value_source = unless_all_null(sorted.scatter(value_source)?);
        if tab == EventTable::Observation && self.versions_expected {
            self.observation_ids = sorted.scatter(ids)?;
        }
        let mut runs: Vec<(i32, u32, u32)> = sorted.ranges.iter().map(|(&c, &(a, b))| (c, a, b)).collect();
        runs.sort_unstable_by_key(|&(_, start, _)| start);
        let by_concept = Buckets { ranges: sorted.ranges, order: Vec::new() };
        let mut bp_time: Vec<(u32, i64)> = bp_time
            .into_iter()
            .filter_map(|(row, time)| {
                sorted.dest.get(row as usize).filter(|&&d| d != u32::MAX).map(|&d| (d, time))
            })
            .collect();
        bp_time.sort_unstable();
        let blood_pressure = BloodPressure::pair(&by_concept, &by_source, &person, &bp_time);
        Ok(Events {
            runs,
            by_source,
            by_value_source: Buckets::new(&value_source)?,
            person,
            date,
            visit,
            value,
            value_concept,
            unit,
            value_source,
            version: Vec::new(),
            by_concept,
            blood_pressure,
        })
    }

    /// The index. `reference_date` (`YYYY-MM-DD`) defaults to the latest event date. Tables
    /// still waiting are absorbed first (what they wait for is not coming).
    pub(crate) fn finish(mut self, reference_date: Option<&str>) -> Result<Index, IndexError> {
        self.current = None;
        if self.person_pending {
            self.set_persons(PersonRows::default());
        }
        self.visits_pending = false;
        self.observations_pending = false;
        self.release_waiting()?;
        let mut index = self.index;
        let n = index.persons.len();
        index.visit_concept.resize(self.visit_keys.next as usize, NULL_I32);
        if index.persons.period_start.is_empty() {
            index.persons.period_start = vec![0; n + 1];
        }
        for (mean, &(sum, days)) in index.persons.steps.iter_mut().zip(&self.steps) {
            if days > 0 {
                *mean = sum / f64::from(days);
            }
        }
        let (earliest, latest) = self.span;
        index.calendar = Calendar::new(earliest, latest);
        let reference = match reference_date {
            Some(s) => parse_date(s).ok_or_else(|| IndexError::ReferenceDate(s.to_owned()))?,
            None => latest,
        };
        let p = &mut index.persons;
        let age = |birth: Option<Birth>, on: i32| match birth {
            Some(b) if on != NULL_I32 => b.age_on(on),
            _ => NULL_I32,
        };
        p.age_now = p.birth.iter().map(|&b| age(b, reference)).collect();
        p.age_at_consent = vec![NULL_I32; p.birth.len()];
        Ok(index)
    }
}

/// Interns visit ids as keys: ids of `visit_occurrence` are their row numbers there, other
/// ids get keys after those.
#[derive(Default)]
struct VisitKeys {
    ordinals: Option<Ordinals>,
    others: IdMap<i64, u32>,
    next: u32,
}

impl VisitKeys {
    fn key(&mut self, id: i64) -> u32 {
        if id == NULL_ID {
            return NO_VISIT;
        }
        if let Some(k) = self.ordinals.as_ref().and_then(|o| o.get(id)) {
            return k;
        }
        let next = &mut self.next;
        *self.others.entry(id).or_insert_with(|| {
            let k = *next;
            *next += 1;
            k
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_every_value_exactly_in_the_fewest_decimal_places() {
        let round_to = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
        let decimals: Vec<f64> = (0..10_000)
            .map(|i| if i % 7 == 0 { f64::NAN } else { round_to(f64::from(i) * 0.731 - 2_000.0, 2) })
            .chain([0.1, 0.2, 0.3, 5.7, 6.1, -0.5, 123_456.78, 21_474.83])
            .collect();
        let numbers = Numbers::new(decimals.clone()).unwrap();
        assert!(matches!(numbers, Numbers::Decimal { scale, .. } if scale == 100.0), "{numbers:?}");
        for (r, v) in decimals.iter().enumerate() {
            assert_eq!(numbers.get(r).to_bits(), v.to_bits(), "row {r}: {v}");
        }
        // Whole numbers take no places; nothing but nulls is Null.
        assert!(
            matches!(Numbers::new(vec![1.0, 120.0, f64::NAN]).unwrap(), Numbers::Decimal { scale, .. } if scale == 1.0)
        );
        assert!(matches!(Numbers::new(vec![f64::NAN; 3]).unwrap(), Numbers::Null));
        assert!(matches!(Numbers::new(Vec::new()).unwrap(), Numbers::Null));
        // Anything a scaled i32 cannot give back exactly stays f64: thirds, huge values, -0.
        for odd in [1.0 / 3.0, 3e9, 1e-9, f64::INFINITY, -0.0, 0.1 + 0.2] {
            let values = vec![1.5, odd, f64::NAN];
            let numbers = Numbers::new(values.clone()).unwrap();
            assert!(matches!(numbers, Numbers::Float(_)), "{odd}");
            assert_eq!(numbers.get(1).to_bits(), odd.to_bits());
        }
    }
}
