//! The index model: what a cohort is evaluated on — per-person attributes ([`Persons`]) and
//! each event table as compact columns ([`Events`]) with its rows bucketed by concept.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use roaring::RoaringBitmap;

use super::Dense;
use crate::cdm::concepts::{DIASTOLIC, SYSTOLIC};
use crate::cdm::{EventTable, FitbitTable};
use crate::columns::NULL_I32;
use crate::date::{Birth, Calendar};
use crate::privacy::{PersonKeys, Tally};

/// The persons with rows in one Fitbit table.
#[derive(Clone, Debug, Default)]
pub struct FitbitRows {
    /// Persons with a row.
    pub persons: RoaringBitmap,
    /// The first day of each person's rows ([`NULL_I32`] for none or none dated).
    pub first: Vec<i32>,
}

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
/// Rows grouped by a concept column: the rows of concept `c` are `order[ranges[c]]` (or the
/// range itself when the table is sorted by that column and `order` is empty).
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    pub(super) ranges: IdMap<i32, (u32, u32)>,
    pub(super) order: Vec<u32>,
}

impl Buckets {
    /// Every concept with rows.
    pub(crate) fn concepts(&self) -> impl Iterator<Item = i32> + '_ {
        self.ranges.keys().copied()
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
    /// The rows of each standard concept, `(concept, first row, end)`, in row order (rows are
    /// sorted by it, so it needs no column; rows after the last run have none). Read with
    /// [`Events::concept`].
    pub runs: Vec<(i32, u32, u32)>,
    /// Visit key ([`NO_VISIT`] for none; empty when all none; read with [`Events::visit`]).
    pub visit: Vec<u32>,
    /// `value_as_number` (measurement and observation; NaN for null).
    pub value: Numbers,
    /// `value_as_concept_id` (measurement only; empty when all null).
    pub value_concept: Vec<i32>,
    /// `unit_concept_id` (measurement only; empty when all null; read with [`Events::unit`]).
    pub unit: Vec<i32>,
    /// `value_source_concept_id` (observation only; empty when all null).
    pub value_source: Vec<i32>,
    /// `survey_version_concept_id` of the row in `observation_ext` (observation only; empty
    /// when no row has one).
    pub version: Vec<i32>,
    /// Rows by standard concept.
    pub by_concept: Buckets,
    /// Rows by source concept.
    pub by_source: Buckets,
    /// Rows by `value_source_concept_id` (observation only).
    pub by_value_source: Buckets,
    /// The blood-pressure readings paired by person and `measurement_datetime` (measurement
    /// only).
    pub blood_pressure: BloodPressure,
}

/// A blood-pressure row's moment when it has no `measurement_datetime` (it pairs with nothing).
pub(crate) const NO_MOMENT: u32 = u32::MAX;

/// The blood-pressure readings paired once, at load, as the search events pair them
/// (`build-search-all-events.sh`: a 903118 row and a 903115 row of the same person and
/// `measurement_datetime` are one reading): per concept column, the moments — distinct (person,
/// datetime) — numbered, and the moment of every systolic and diastolic row in the order of its
/// concept's bucket. A query then marks the moments whose readings pass and checks the other
/// side's rows against the marks: no hashing, sorting or searching per query.
#[derive(Debug, Default)]
pub(crate) struct BloodPressure {
    /// `[standard, source][systolic, diastolic]`: the moment of each row of that concept's
    /// bucket, in [`Rows::each`] order ([`NO_MOMENT`] without a datetime).
    moments: [[Vec<u32>; 2]; 2],
    /// Number of moments of the standard and of the source column.
    count: [usize; 2],
}

impl BloodPressure {
    /// Pairs the rows of 903118 and 903115 in `by_concept` and in `by_source`; `times` holds
    /// `(row, measurement_datetime in microseconds)` of the rows that have one, sorted by row.
    pub(crate) fn pair(
        by_concept: &Buckets,
        by_source: &Buckets,
        person: &[u32],
        times: &[(u32, i64)],
    ) -> Self {
        let time = |r: usize| {
            let i = times.binary_search_by_key(&(r as u32), |&(row, _)| row).ok()?;
            Some(times[i].1)
        };
        let mut out = BloodPressure::default();
        for (kind, buckets) in [by_concept, by_source].into_iter().enumerate() {
            let key = |r: usize| time(r).map(|t| (person[r], t));
            let mut keys: Vec<(u32, i64)> = Vec::new();
            for concept in [SYSTOLIC, DIASTOLIC] {
                buckets.rows(concept).each(|r| keys.extend(key(r)));
            }
            keys.sort_unstable();
            keys.dedup();
            for (side, concept) in [SYSTOLIC, DIASTOLIC].into_iter().enumerate() {
                let moments = &mut out.moments[kind][side];
                buckets.rows(concept).each(|r| {
                    let m = key(r).and_then(|k| keys.binary_search(&k).ok());
                    moments.push(m.map_or(NO_MOMENT, |m| m as u32));
                });
            }
            out.count[kind] = keys.len();
        }
        out
    }

    /// The moment of each row of the bucket of `concept` (903118 or 903115; another concept
    /// has none), standard or source column, in [`Rows::each`] order.
    pub(crate) fn moments(&self, source: bool, concept: i32) -> &[u32] {
        let side = match concept {
            SYSTOLIC => 0,
            DIASTOLIC => 1,
            _ => return &[],
        };
        &self.moments[usize::from(source)][side]
    }

    /// Number of moments of the standard or the source column.
    pub(crate) fn count(&self, source: bool) -> usize {
        self.count[usize::from(source)]
    }
}

/// A numeric column (`value_as_number`) in as little memory as holds it exactly: decimals of
/// up to six places (what labs and vitals are) as scaled `i32`s, anything else as `f64`.
#[derive(Debug, Default)]
pub(crate) enum Numbers {
    /// Every value null.
    #[default]
    Null,
    /// Value `r` is exactly `ints[r] / scale` (the `f64` nearest that decimal; `i32::MIN`:
    /// null).
    Decimal { scale: f64, ints: Vec<i32> },
    /// Values as they came (NaN: null).
    Float(Vec<f64>),
}

impl Numbers {
    /// Value `r` (NaN: null).
    #[inline]
    pub(crate) fn get(&self, r: usize) -> f64 {
        match self {
            Numbers::Null => f64::NAN,
            Numbers::Decimal { scale, ints } => match ints.get(r) {
                Some(&i) if i != i32::MIN => f64::from(i) / scale,
                _ => f64::NAN,
            },
            Numbers::Float(values) => values.get(r).copied().unwrap_or(f64::NAN),
        }
    }
}

impl Events {
    /// Standard concept of row `r` ([`NULL_I32`] for none).
    pub(crate) fn concept(&self, r: usize) -> i32 {
        let i = self.runs.partition_point(|&(_, _, end)| end as usize <= r);
        self.runs.get(i).filter(|&&(_, start, _)| start as usize <= r).map_or(NULL_I32, |&(c, _, _)| c)
    }

    /// Visit key of row `r`.
    #[inline]
    pub(crate) fn visit(&self, r: usize) -> u32 {
        self.visit.get(r).copied().unwrap_or(NO_VISIT)
    }

    /// `value_as_number` of row `r` (NaN for null).
    #[inline]
    pub(crate) fn value(&self, r: usize) -> f64 {
        self.value.get(r)
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
    /// Consent date ([`NULL_I32`] if none): the Consent PII answer, else the PII State answer,
    /// else the first answer to The Basics (set with the vocabulary, [`Index::set_vocabulary_flags`]).
    pub consent: Vec<i32>,
    /// Observation periods of person `p`: `periods[period_start[p]..period_start[p + 1]]`.
    pub period_start: Vec<u32>,
    pub periods: Vec<(i32, i32)>,
    pub deceased: Dense,
    pub ehr: Dense,
    /// `has_physical_measurement_data`: a PPI physical-measurement source concept.
    pub physical: Dense,
    /// `has_ppi_survey_data`: an answer below a PPI module.
    pub survey: Dense,
    /// Any Fitbit table.
    pub fitbit: Dense,
    /// A `heart_rate_summary` row.
    pub heart_rate: Dense,
    /// Mean daily steps (NaN if none).
    pub steps: Vec<f64>,
    /// Persons with an `activity_summary` row.
    pub activity: RoaringBitmap,
    /// Persons with an `activity_summary` row in each month (`year * 12 + month - 1`).
    pub activity_months: BTreeMap<i32, RoaringBitmap>,
    /// Per Fitbit table (indexed by `FitbitTable as usize`): the persons with a row, and the
    /// first day of each person's rows ([`NULL_I32`] for none or none dated).
    pub fitbit_tables: [FitbitRows; FitbitTable::ALL.len()],
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

/// Everything a cohort is evaluated on.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub persons: Persons,
    /// The event tables, in [`EventTable::ALL`] order (empty when the store lacks the table).
    pub events: Vec<Events>,
    /// Visit concept of each visit key ([`NULL_I32`] for ids absent from `visit_occurrence`).
    pub visit_concept: Vec<i32>,
    /// Person sets of demographic concepts (gender, sex at birth, race, ethnicity).
    pub demographics: IdMap<i32, Dense>,
    /// Civil dates of the span of event dates, for ages at events.
    pub calendar: Calendar,
    /// The CDR date: the latest date of the search events (every event table but `death`).
    pub cdr: i32,
    /// Visit keys below this are rows of `visit_occurrence`; the others are ids it lacks.
    pub known_visits: u32,
}

impl Index {
    /// The flags and dates the vocabulary defines (`build-cb-search-person.sh`):
    /// `has_physical_measurement_data` (a measurement whose source concept is a PPI
    /// physical measurement), `has_ppi_survey_data` (an observation whose source concept is
    /// below a PPI module), and the consent date (the Consent PII answer 1585482, else the PII
    /// State answer 1585249, else the first answer below The Basics 1586134) with the age then.
    pub(crate) fn set_vocabulary_flags(&mut self, vocab: &crate::vocab::Vocab) {
        let n = self.persons.len();
        let (mut physical, mut survey) = (Dense::new(n), Dense::new(n));
        let measurement = &self.events[EventTable::Measurement as usize];
        let observation = &self.events[EventTable::Observation as usize];
        for c in vocab.concepts() {
            if c.vocabulary != "PPI" {
                continue;
            }
            if c.class == "Clinical Observation" && c.domain == "Measurement" {
                measurement.by_source.rows(c.id).each(|r| physical.insert(measurement.person[r]));
            }
            if c.class == "Module" {
                for &q in vocab.descendants(c.id) {
                    observation.by_source.rows(q).each(|r| survey.insert(observation.person[r]));
                }
            }
        }
        let first = |concepts: &[i32]| {
            let mut out = vec![NULL_I32; n];
            for &c in concepts {
                observation.by_source.rows(c).each(|r| {
                    let (p, d) = (observation.person[r] as usize, observation.date[r]);
                    if d != NULL_I32 && (out[p] == NULL_I32 || d < out[p]) {
                        out[p] = d;
                    }
                });
            }
            out
        };
        let (consent, state, basics) =
            (first(&[1_585_482]), first(&[1_585_249]), first(vocab.descendants(1_586_134)));
        let p = &mut self.persons;
        p.consent = (0..n)
            .map(|i| {
                [consent[i], state[i], basics[i]].into_iter().find(|&d| d != NULL_I32).unwrap_or(NULL_I32)
            })
            .collect();
        p.age_at_consent = p
            .birth
            .iter()
            .zip(&p.consent)
            .map(|(&b, &c)| match b {
                Some(b) if c != NULL_I32 => b.age_on(c),
                _ => NULL_I32,
            })
            .collect();
        p.physical = physical;
        p.survey = survey;
    }

    /// The events of a table.
    pub(crate) fn events(&self, t: EventTable) -> &Events {
        &self.events[t as usize]
    }

    /// The tally of [`Index::concept_persons`].
    pub(crate) fn concept_tally(&self, concepts: &[i32]) -> Tally {
        Tally::of(self.concept_persons(concepts).ordinals(), &self.persons.keys)
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
