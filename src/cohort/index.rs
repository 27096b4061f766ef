//! The cohort index, built once per store: every event table as compact columns (dense person
//! ordinal, concept, source concept, date in days, visit key, and the value columns the
//! criteria need), its rows grouped by concept so that a concept set finds its rows without a
//! scan, plus source-concept (and survey-answer) buckets; and the per-person attributes (date
//! of birth, demographics, death, consent date, observation periods, Fitbit, data filters).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::date::{Birth, Calendar, parse_date};
use super::{CohortError, Dense};
use crate::columns::{self, NULL_I32};
use crate::privacy::PersonKeys;
use crate::store::{Store, Table};

/// A hasher for integer keys (ids), much faster than SipHash and good enough for ids.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u32 as u64);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// A hash map keyed by ids.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// "No visit" as a visit key.
pub(crate) const NO_VISIT: u32 = u32::MAX;
/// "Not a person of `person`" as a person ordinal.
const NO_PERSON: u32 = u32::MAX;

/// `measurement_type_concept_id` of physical measurements.
const PHYSICAL_EXAM: i32 = 44_818_701;
/// `observation_type_concept_id` of survey (consent) rows.
const SURVEY_TYPE: i32 = 45_905_771;

/// The event tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tab {
    Condition,
    Procedure,
    Drug,
    Measurement,
    Observation,
    Device,
    Visit,
    Death,
}

/// Where a table keeps its person, concepts, date and visit.
struct TabSpec {
    table: &'static str,
    concept: &'static str,
    source: &'static str,
    date: &'static str,
    visit: Option<&'static str>,
}

impl Tab {
    /// Every event table, in index order.
    pub(crate) const ALL: [Tab; 8] = [
        Tab::Condition,
        Tab::Procedure,
        Tab::Drug,
        Tab::Measurement,
        Tab::Observation,
        Tab::Device,
        Tab::Visit,
        Tab::Death,
    ];

    /// The table's name, e.g. `condition_occurrence`.
    pub(crate) fn table(self) -> &'static str {
        self.spec().table
    }

    fn spec(self) -> TabSpec {
        let s = |table, concept, source, date, visit| TabSpec { table, concept, source, date, visit };
        match self {
            Tab::Condition => s(
                "condition_occurrence",
                "condition_concept_id",
                "condition_source_concept_id",
                "condition_start_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Procedure => s(
                "procedure_occurrence",
                "procedure_concept_id",
                "procedure_source_concept_id",
                "procedure_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Drug => s(
                "drug_exposure",
                "drug_concept_id",
                "drug_source_concept_id",
                "drug_exposure_start_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Measurement => s(
                "measurement",
                "measurement_concept_id",
                "measurement_source_concept_id",
                "measurement_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Observation => s(
                "observation",
                "observation_concept_id",
                "observation_source_concept_id",
                "observation_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Device => s(
                "device_exposure",
                "device_concept_id",
                "device_source_concept_id",
                "device_exposure_start_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Visit => s(
                "visit_occurrence",
                "visit_concept_id",
                "visit_source_concept_id",
                "visit_start_date",
                Some("visit_occurrence_id"),
            ),
            Tab::Death => s("death", "cause_concept_id", "cause_source_concept_id", "death_date", None),
        }
    }
}

/// Whether the index (or the vocabulary) reads `column` of `table`: a loader may skip the rest.
pub(crate) fn uses_column(table: &str, column: &str) -> bool {
    let extra: &[&str] = match table {
        "concept" => &[
            "concept_id",
            "concept_name",
            "domain_id",
            "vocabulary_id",
            "concept_class_id",
            "standard_concept",
            "concept_code",
        ],
        "concept_ancestor" => &["ancestor_concept_id", "descendant_concept_id", "min_levels_of_separation"],
        "person" => &[
            "person_id",
            "year_of_birth",
            "month_of_birth",
            "day_of_birth",
            "birth_datetime",
            "gender_concept_id",
            "sex_at_birth_concept_id",
            "race_concept_id",
            "ethnicity_concept_id",
        ],
        "observation_period" => {
            &["person_id", "observation_period_start_date", "observation_period_end_date"]
        }
        "activity_summary" => &["person_id", "steps"],
        "heart_rate_summary" => &["person_id"],
        "measurement" => {
            &["value_as_number", "value_as_concept_id", "measurement_type_concept_id", "unit_concept_id"]
        }
        "observation" => &["value_source_concept_id", "observation_type_concept_id"],
        "visit_occurrence" => &["visit_concept_id"],
        _ => &[],
    };
    extra.contains(&column)
        || Tab::ALL.iter().map(|t| t.spec()).any(|s| {
            s.table == table
                && (["person_id", s.concept, s.source, s.date].contains(&column) || s.visit == Some(column))
        })
}

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
    fn new(keys: &[i32], keep: impl Fn(usize) -> bool, nulls: bool) -> Sorted {
        // Each distinct key gets a dense slot, so the second pass needs no hashing.
        let mut slots: IdMap<i32, u32> = IdMap::default();
        let mut counts: Vec<u32> = Vec::new();
        let mut nulls_count = 0u32;
        let slot_of: Vec<u32> = keys
            .iter()
            .enumerate()
            .map(|(row, &k)| {
                if !keep(row) || (k == NULL_I32 && !nulls) {
                    return u32::MAX;
                }
                if k == NULL_I32 {
                    nulls_count += 1;
                    return u32::MAX - 1;
                }
                let next = counts.len() as u32;
                let slot = *slots.entry(k).or_insert(next);
                if slot == next {
                    counts.push(0);
                }
                counts[slot as usize] += 1;
                slot
            })
            .collect();
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
        let dest = slot_of
            .iter()
            .map(|&slot| match slot {
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
            })
            .collect();
        Sorted { ranges, dest, len: (at + nulls_count) as usize }
    }

    /// `values` in sorted order (rows left out dropped). Writing each row to its place reads
    /// `values` once in order and keeps one open cache line per key: much faster than gathering.
    fn scatter<T: Copy + Default>(&self, values: &[T]) -> Vec<T> {
        if values.is_empty() {
            return Vec::new();
        }
        let mut out = vec![T::default(); self.len];
        for (&d, &v) in self.dest.iter().zip(values) {
            if let Some(slot) = out.get_mut(d as usize) {
                *slot = v;
            }
        }
        out
    }
}

/// Rows grouped by a concept column: the rows of concept `c` are `order[ranges[c]]` (or the
/// range itself when the table is sorted by that column and `order` is empty).
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    ranges: IdMap<i32, (u32, u32)>,
    order: Vec<u32>,
}

impl Buckets {
    /// Rows of a table sorted by `keys`, null keys left out.
    fn new(keys: &[i32]) -> Buckets {
        let sorted = Sorted::new(keys, |_| true, false);
        let mut order = vec![0u32; sorted.len];
        for (row, &d) in sorted.dest.iter().enumerate() {
            if let Some(slot) = order.get_mut(d as usize) {
                *slot = row as u32;
            }
        }
        Buckets { ranges: sorted.ranges, order }
    }

    /// The rows of concept `c`.
    pub(crate) fn rows(&self, c: i32) -> Rows<'_> {
        match self.ranges.get(&c) {
            None => Rows::Range(0..0),
            Some(&(a, b)) if self.order.is_empty() => Rows::Range(a..b),
            Some(&(a, b)) => Rows::List(&self.order[a as usize..b as usize]),
        }
    }
}

/// A set of row numbers.
pub(crate) enum Rows<'a> {
    Range(std::ops::Range<u32>),
    List(&'a [u32]),
}

impl Rows<'_> {
    /// Calls `f` with each row.
    #[inline]
    pub(crate) fn each(&self, mut f: impl FnMut(usize)) {
        match self {
            Rows::Range(r) => r.clone().for_each(|i| f(i as usize)),
            Rows::List(l) => l.iter().for_each(|&i| f(i as usize)),
        }
    }
}

/// One event table, rows of known persons only, sorted by standard concept.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// Person ordinal.
    pub person: Vec<u32>,
    /// Event date, days since 1970-01-01.
    pub date: Vec<i32>,
    /// Standard concept.
    pub concept: Vec<i32>,
    /// Source concept (empty when all null; read with [`Events::source`]).
    pub source: Vec<i32>,
    /// Visit key ([`NO_VISIT`] for none; empty when all none; read with [`Events::visit`]).
    pub visit: Vec<u32>,
    /// `value_as_number` (measurement only; NaN for null).
    pub value: Vec<f64>,
    /// `value_as_concept_id` (measurement only; empty when all null).
    pub value_concept: Vec<i32>,
    /// `unit_concept_id` (measurement only; empty when all null; read with [`Events::unit`]).
    pub unit: Vec<i32>,
    /// `value_source_concept_id` (observation only; empty when all null).
    pub value_source: Vec<i32>,
    /// Rows by standard concept.
    pub by_concept: Buckets,
    /// Rows by source concept.
    pub by_source: Buckets,
    /// Rows by `value_source_concept_id` (observation only).
    pub by_value_source: Buckets,
}

/// `values`, or nothing when every value is null (the column then reads as null).
fn unless_all_null(values: Vec<i32>) -> Vec<i32> {
    if values.iter().all(|&v| v == NULL_I32) { Vec::new() } else { values }
}

impl Events {
    /// Source concept of row `r`.
    #[inline]
    pub(crate) fn source(&self, r: usize) -> i32 {
        self.source.get(r).copied().unwrap_or(NULL_I32)
    }

    /// Visit key of row `r`.
    #[inline]
    pub(crate) fn visit(&self, r: usize) -> u32 {
        self.visit.get(r).copied().unwrap_or(NO_VISIT)
    }

    /// `value_as_number` of row `r` (NaN for null).
    #[inline]
    pub(crate) fn value(&self, r: usize) -> f64 {
        self.value.get(r).copied().unwrap_or(f64::NAN)
    }

    /// `unit_concept_id` of row `r`.
    #[inline]
    pub(crate) fn unit(&self, r: usize) -> i32 {
        self.unit.get(r).copied().unwrap_or(NULL_I32)
    }

    /// Number of rows kept (those of persons in `person`).
    pub(crate) fn len(&self) -> usize {
        self.person.len()
    }
}

/// Per-person attributes, indexed by person ordinal.
#[derive(Debug, Default)]
pub(crate) struct Persons {
    /// `person_id` of each ordinal.
    pub ids: Vec<i64>,
    /// Cell-key perturbation key of each ordinal.
    pub keys: PersonKeys,
    pub birth: Vec<Option<Birth>>,
    pub gender: Vec<i32>,
    pub sex: Vec<i32>,
    pub race: Vec<i32>,
    pub ethnicity: Vec<i32>,
    /// Earliest survey-type observation date ([`NULL_I32`] if none).
    pub consent: Vec<i32>,
    /// Observation periods of person `p`: `periods[period_start[p]..period_start[p + 1]]`.
    pub period_start: Vec<u32>,
    pub periods: Vec<(i32, i32)>,
    pub deceased: Dense,
    pub ehr: Dense,
    pub physical: Dense,
    pub fitbit: Dense,
    /// Mean daily steps (NaN if none).
    pub steps: Vec<f64>,
    /// Age at the reference date ([`NULL_I32`] without a birth date).
    pub age_now: Vec<i32>,
    /// Age at the consent date ([`NULL_I32`] without one).
    pub age_at_consent: Vec<i32>,
}

impl Persons {
    /// Number of persons.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether `date` lies in one of the person's observation periods.
    #[inline]
    pub(crate) fn observed(&self, p: u32, date: i32) -> bool {
        let (a, b) = (self.period_start[p as usize] as usize, self.period_start[p as usize + 1] as usize);
        self.periods[a..b].iter().any(|&(s, e)| s <= date && date <= e)
    }
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

/// Everything a cohort is evaluated on.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub persons: Persons,
    /// The event tables, in [`Tab::ALL`] order (empty when the store lacks the table).
    pub events: Vec<Events>,
    /// Visit concept of each visit key ([`NULL_I32`] for ids absent from `visit_occurrence`).
    pub visit_concept: Vec<i32>,
    /// Person sets of demographic concepts (gender, sex at birth, race, ethnicity).
    pub demographics: IdMap<i32, Dense>,
    /// Civil dates of the span of event dates, for ages at events.
    pub calendar: Calendar,
}

impl Index {
    /// The events of a table.
    pub(crate) fn events(&self, t: Tab) -> &Events {
        &self.events[t as usize]
    }

    /// Builds the index. `reference_date` (`YYYY-MM-DD`) defaults to the latest event date.
    pub(crate) fn build(store: &Store, reference_date: Option<&str>) -> Result<Index, CohortError> {
        let mut index = Index::default();
        let person_map = match store.table("person") {
            Some(t) => index.read_persons(t)?,
            None => Ordinals::new(&[], NULL_ID),
        };
        let n = index.persons.len();
        let p = &mut index.persons;
        for dense in [&mut p.deceased, &mut p.ehr, &mut p.physical, &mut p.fitbit] {
            *dense = Dense::new(n);
        }
        p.consent = vec![NULL_I32; n];
        p.steps = vec![f64::NAN; n];
        let persons_of = |t: &Table| -> Result<Vec<u32>, CohortError> {
            let ids = columns::i64s(t, "person_id", true, NULL_ID)?;
            Ok(ids.iter().map(|&id| person_map.get(id).unwrap_or(NO_PERSON)).collect())
        };
        // Visits first: their ids become visit keys, which the other tables refer to.
        let mut visit_keys = VisitKeys::default();
        if let Some(t) = store.table("visit_occurrence") {
            let ids = columns::i64s(t, "visit_occurrence_id", true, NULL_ID)?;
            visit_keys.ordinals = Some(Ordinals::new(&ids, NULL_ID));
            index.visit_concept = columns::i32s(t, "visit_concept_id", true)?;
            visit_keys.next = index.visit_concept.len() as u32;
        }
        let (mut earliest, mut latest) = (i32::MAX, NULL_I32);
        for tab in Tab::ALL {
            let events = match store.table(tab.spec().table) {
                Some(t) => index.read_events(tab, t, persons_of(t)?, &mut visit_keys)?,
                None => Events::default(),
            };
            for &d in events.date.iter().filter(|&&d| d != NULL_I32) {
                (earliest, latest) = (earliest.min(d), latest.max(d));
            }
            index.events.push(events);
        }
        index.visit_concept.resize(visit_keys.next as usize, NULL_I32);
        if let Some(t) = store.table("observation_period") {
            index.read_periods(t, persons_of(t)?)?;
        } else {
            index.persons.period_start = vec![0; n + 1];
        }
        for name in ["activity_summary", "heart_rate_summary"] {
            if let Some(t) = store.table(name) {
                let persons = persons_of(t)?;
                for &p in persons.iter().filter(|&&p| p != NO_PERSON) {
                    index.persons.fitbit.insert(p);
                }
                if name == "activity_summary" {
                    index.read_steps(t, &persons)?;
                }
            }
        }
        index.calendar = Calendar::new(earliest, latest);
        let reference = match reference_date {
            Some(s) => parse_date(s).ok_or_else(|| CohortError::ReferenceDate(s.to_owned()))?,
            None => latest,
        };
        let p = &mut index.persons;
        let age = |birth: Option<Birth>, on: i32| match birth {
            Some(b) if on != NULL_I32 => b.age_on(on),
            _ => NULL_I32,
        };
        p.age_now = p.birth.iter().map(|&b| age(b, reference)).collect();
        p.age_at_consent = p.birth.iter().zip(&p.consent).map(|(&b, &c)| age(b, c)).collect();
        Ok(index)
    }

    fn read_persons(&mut self, t: &Table) -> Result<Ordinals, CohortError> {
        let ids = columns::i64s(t, "person_id", true, NULL_ID)?;
        let map = Ordinals::new(&ids, NULL_ID);
        // Keep each person once (the first row of a repeated id), in table order.
        let keep: Vec<usize> = (0..ids.len()).filter(|&i| map.get(ids[i]) == Some(i as u32)).collect();
        let pick = |v: Vec<i32>| -> Vec<i32> { keep.iter().map(|&i| v[i]).collect() };
        let years = columns::i32s(t, "year_of_birth", true)?;
        let months = columns::i32s(t, "month_of_birth", false)?;
        let days = columns::i32s(t, "day_of_birth", false)?;
        let birth_datetime = columns::days(t, "birth_datetime", false)?;
        let some = |v: i32| (v != NULL_I32).then_some(v);
        let p = &mut self.persons;
        p.birth = keep
            .iter()
            .map(|&i| match (some(birth_datetime[i]), some(years[i])) {
                (Some(d), _) => Some(Birth::from_days(d)),
                (None, Some(y)) => Some(Birth::from_parts(y, some(months[i]), some(days[i]))),
                (None, None) => None,
            })
            .collect();
        p.gender = pick(columns::i32s(t, "gender_concept_id", true)?);
        p.sex = pick(columns::i32s(t, "sex_at_birth_concept_id", false)?);
        p.race = pick(columns::i32s(t, "race_concept_id", true)?);
        p.ethnicity = pick(columns::i32s(t, "ethnicity_concept_id", true)?);
        p.ids = keep.iter().map(|&i| ids[i]).collect();
        p.keys = PersonKeys::new(&p.ids);
        let n = p.ids.len();
        for column in [&p.gender, &p.sex, &p.race, &p.ethnicity] {
            for (person, &c) in column.iter().enumerate() {
                if c != NULL_I32 {
                    self.demographics.entry(c).or_insert_with(|| Dense::new(n)).insert(person as u32);
                }
            }
        }
        // Ordinals now count kept rows only: rebuild the map over the kept ids.
        Ok(Ordinals::new(&p.ids, NULL_ID))
    }

    fn read_events(
        &mut self,
        tab: Tab,
        t: &Table,
        persons: Vec<u32>,
        visits: &mut VisitKeys,
    ) -> Result<Events, CohortError> {
        let spec = tab.spec();
        let concept = columns::i32s(t, spec.concept, tab != Tab::Death)?;
        let source = columns::i32s(t, spec.source, false)?;
        let date = columns::days(t, spec.date, true)?;
        let visit: Vec<u32> = match spec.visit {
            Some(column) => {
                let ids = columns::i64s(t, column, tab == Tab::Visit, NULL_ID)?;
                ids.iter().map(|&id| visits.key(id)).collect()
            }
            None => vec![NO_VISIT; t.rows()],
        };
        let (mut value, mut value_concept, mut value_source, mut unit) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let p = &mut self.persons;
        match tab {
            Tab::Measurement => {
                value = columns::f64s(t, "value_as_number", false)?;
                value_concept = columns::i32s(t, "value_as_concept_id", false)?;
                unit = columns::i32s(t, "unit_concept_id", false)?;
                let types = columns::i32s(t, "measurement_type_concept_id", false)?;
                for (&person, &ty) in persons.iter().zip(&types) {
                    if person != NO_PERSON && ty != NULL_I32 {
                        let set = if ty == PHYSICAL_EXAM { &mut p.physical } else { &mut p.ehr };
                        set.insert(person);
                    }
                }
            }
            Tab::Observation => {
                value_source = columns::i32s(t, "value_source_concept_id", false)?;
                let types = columns::i32s(t, "observation_type_concept_id", false)?;
                for ((&person, &ty), &d) in persons.iter().zip(&types).zip(&date) {
                    if person == NO_PERSON || ty == NULL_I32 {
                        continue;
                    }
                    if ty != SURVEY_TYPE {
                        p.ehr.insert(person);
                    } else if d != NULL_I32 {
                        let c = &mut p.consent[person as usize];
                        if *c == NULL_I32 || d < *c {
                            *c = d;
                        }
                    }
                }
            }
            Tab::Death => persons.iter().filter(|&&x| x != NO_PERSON).for_each(|&x| p.deceased.insert(x)),
            _ => persons.iter().filter(|&&x| x != NO_PERSON).for_each(|&x| p.ehr.insert(x)),
        }
        // Keep the rows of known persons, sorted by standard concept.
        let sorted = Sorted::new(&concept, |r| persons[r] != NO_PERSON, true);
        let source = unless_all_null(sorted.scatter(&source));
        let value_source = unless_all_null(sorted.scatter(&value_source));
        let visit = if visit.iter().all(|&v| v == NO_VISIT) { Vec::new() } else { sorted.scatter(&visit) };
        let (by_source, by_value_source) = (Buckets::new(&source), Buckets::new(&value_source));
        Ok(Events {
            person: sorted.scatter(&persons),
            date: sorted.scatter(&date),
            concept: sorted.scatter(&concept),
            source,
            visit,
            value: Some(sorted.scatter(&value)).filter(|v| v.iter().any(|x| !x.is_nan())).unwrap_or_default(),
            value_concept: unless_all_null(sorted.scatter(&value_concept)),
            unit: unless_all_null(sorted.scatter(&unit)),
            value_source,
            by_concept: Buckets { ranges: sorted.ranges, order: Vec::new() },
            by_source,
            by_value_source,
        })
    }

    fn read_periods(&mut self, t: &Table, persons: Vec<u32>) -> Result<(), CohortError> {
        let starts = columns::days(t, "observation_period_start_date", true)?;
        let ends = columns::days(t, "observation_period_end_date", true)?;
        let n = self.persons.len();
        let mut count = vec![0u32; n + 1];
        let valid = |i: usize| persons[i] != NO_PERSON && starts[i] != NULL_I32 && ends[i] != NULL_I32;
        for i in (0..persons.len()).filter(|&i| valid(i)) {
            count[persons[i] as usize + 1] += 1;
        }
        for p in 0..n {
            count[p + 1] += count[p];
        }
        let mut next = count.clone();
        let mut periods = vec![(0, 0); count[n] as usize];
        for i in (0..persons.len()).filter(|&i| valid(i)) {
            let slot = &mut next[persons[i] as usize];
            periods[*slot as usize] = (starts[i], ends[i]);
            *slot += 1;
        }
        self.persons.period_start = count;
        self.persons.periods = periods;
        Ok(())
    }

    fn read_steps(&mut self, t: &Table, persons: &[u32]) -> Result<(), CohortError> {
        let steps = columns::f64s(t, "steps", true)?;
        let n = self.persons.len();
        let (mut sum, mut days) = (vec![0.0f64; n], vec![0u32; n]);
        for (&p, &s) in persons.iter().zip(&steps) {
            if p != NO_PERSON && !s.is_nan() {
                sum[p as usize] += s;
                days[p as usize] += 1;
            }
        }
        for (p, mean) in self.persons.steps.iter_mut().enumerate() {
            if days[p] > 0 {
                *mean = sum[p] / f64::from(days[p]);
            }
        }
        Ok(())
    }

    /// Persons with at least one row of any of `concepts` in any concept column (standard,
    /// source, survey answer) or as a demographic concept.
    pub(crate) fn concept_persons(&self, concepts: &[i32]) -> Dense {
        let mut out = Dense::new(self.persons.len());
        for &c in concepts {
            for events in &self.events {
                for buckets in [&events.by_concept, &events.by_source, &events.by_value_source] {
                    buckets.rows(c).each(|r| out.insert(events.person[r]));
                }
            }
            if let Some(d) = self.demographics.get(&c) {
                out.union_with(d);
            }
        }
        out
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
