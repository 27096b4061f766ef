//! The generator's rows and their Parquet files: one row struct per CDM table, a [`Chunk`] of
//! them for a run of persons, and [`Writers`], which turns each chunk into Arrow record
//! batches with the exact `cdm` schemas, assigns row ids in order and writes them.
//!
//! Rows refer to visits by their index within the chunk; the writer adds the number of visits
//! written before the chunk, so ids never depend on how persons were split into chunks.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, new_null_array,
};
use cohortlens::cdm::{self, TableSpec};

use super::vocab::{self, Ancestor, Concept};
use crate::dataset::{DatasetError, DatasetWriter, TableWriter};

/// A `person` row.
pub(super) struct PersonRow {
    pub person_id: i64,
    pub gender: i32,
    pub year: i32,
    pub month: i32,
    pub day: i32,
    pub birth_micros: i64,
    pub race: i32,
    pub ethnicity: i32,
    pub sex_at_birth: i32,
    pub gender_source: &'static str,
    pub gender_source_concept: i32,
    pub race_source: &'static str,
    pub race_source_concept: Option<i32>,
    pub ethnicity_source: &'static str,
    pub ethnicity_source_concept: Option<i32>,
}

/// An `observation_period` row (type EHR).
pub(super) struct PeriodRow {
    pub person_id: i64,
    pub start: i32,
    pub end: i32,
}

/// A `visit_occurrence` row (type EHR).
pub(super) struct VisitRow {
    pub person_id: i64,
    pub concept: i32,
    pub start: i32,
    pub start_micros: i64,
    pub end: i32,
    pub end_micros: i64,
    pub source: &'static str,
}

/// A `condition_occurrence` row (type EHR).
pub(super) struct ConditionRow {
    pub person_id: i64,
    pub concept: i32,
    pub start: i32,
    pub end: Option<i32>,
    pub visit: u32,
    pub source_value: &'static str,
    pub source_concept: i32,
}

/// A `drug_exposure` row (type EHR; the source concept is the drug itself).
pub(super) struct DrugRow {
    pub person_id: i64,
    pub concept: i32,
    pub start: i32,
    pub end: i32,
    pub refills: i32,
    pub quantity: f64,
    pub days_supply: i32,
    pub sig: &'static str,
    pub route: Option<i32>,
    pub visit: Option<u32>,
    pub source_value: &'static str,
}

/// A `procedure_occurrence` row (type EHR).
pub(super) struct ProcedureRow {
    pub person_id: i64,
    pub concept: i32,
    pub date: i32,
    pub micros: i64,
    pub visit: u32,
    pub source_value: &'static str,
}

/// A `measurement` row.
pub(super) struct MeasurementRow {
    pub person_id: i64,
    pub concept: i32,
    pub date: i32,
    pub micros: i64,
    pub type_concept: i32,
    pub value: Option<f64>,
    pub value_concept: Option<i32>,
    pub unit: Option<i32>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub visit: Option<u32>,
    pub source_value: &'static str,
    pub unit_source: Option<&'static str>,
    pub value_source: Option<&'static str>,
}

/// An `observation` row (a survey answer or an EHR observation).
pub(super) struct ObservationRow {
    pub person_id: i64,
    pub concept: i32,
    pub date: i32,
    pub micros: i64,
    pub type_concept: i32,
    pub value_number: Option<f64>,
    pub value_concept: Option<i32>,
    pub visit: Option<u32>,
    pub source_value: &'static str,
    pub value_source_value: Option<&'static str>,
}

/// A `device_exposure` row (type EHR).
pub(super) struct DeviceRow {
    pub person_id: i64,
    pub concept: i32,
    pub start: i32,
    pub end: Option<i32>,
    pub quantity: i32,
    pub visit: u32,
    pub source_value: &'static str,
}

/// A `death` row (type EHR).
pub(super) struct DeathRow {
    pub person_id: i64,
    pub date: i32,
    pub cause: Option<i32>,
}

/// An `activity_summary` row (Fitbit).
pub(super) struct ActivityRow {
    pub person_id: i64,
    pub date: i32,
    pub steps: i64,
    pub calories: f64,
    pub sedentary: i32,
    pub lightly: i32,
    pub fairly: i32,
    pub very: i32,
}

/// A `heart_rate_summary` row (Fitbit).
pub(super) struct HeartRateRow {
    pub person_id: i64,
    pub date: i32,
    pub zone: &'static str,
    pub min: i32,
    pub max: i32,
    pub minutes: i32,
    pub calories: f64,
}

/// A `heart_rate_intraday` row (Fitbit, minute level).
pub(super) struct HeartRateIntradayRow {
    pub person_id: i64,
    pub micros: i64,
    pub value: i32,
}

/// A `steps_intraday` row (Fitbit, minute level).
pub(super) struct StepsIntradayRow {
    pub person_id: i64,
    pub micros: i64,
    pub steps: i64,
}

/// A `sleep_daily_summary` row (Fitbit, one main sleep a night).
pub(super) struct SleepDailyRow {
    pub person_id: i64,
    pub date: i32,
    pub in_bed: i32,
    pub asleep: i32,
    pub awake: i32,
}

/// A `sleep_level` row (Fitbit): one stretch of a night at one level.
pub(super) struct SleepLevelRow {
    pub person_id: i64,
    pub date: i32,
    pub level: &'static str,
    pub start_micros: i64,
    pub minutes: i32,
}

/// The rows of a run of consecutive persons, in person order.
#[derive(Default)]
pub(super) struct Chunk {
    pub persons: Vec<PersonRow>,
    pub periods: Vec<PeriodRow>,
    pub visits: Vec<VisitRow>,
    pub conditions: Vec<ConditionRow>,
    pub drugs: Vec<DrugRow>,
    pub procedures: Vec<ProcedureRow>,
    pub measurements: Vec<MeasurementRow>,
    pub observations: Vec<ObservationRow>,
    /// The survey version of observation rows: (row of `observations`,
    /// `survey_version_concept_id`), in row order.
    pub observation_versions: Vec<(usize, i32)>,
    pub devices: Vec<DeviceRow>,
    pub deaths: Vec<DeathRow>,
    pub activity: Vec<ActivityRow>,
    pub heart_rate: Vec<HeartRateRow>,
    pub heart_rate_intraday: Vec<HeartRateIntradayRow>,
    pub steps_intraday: Vec<StepsIntradayRow>,
    pub sleep_daily: Vec<SleepDailyRow>,
    pub sleep_levels: Vec<SleepLevelRow>,
}

impl Chunk {
    /// Empties every table, keeping the allocated capacity for the next chunk.
    pub fn clear(&mut self) {
        self.persons.clear();
        self.periods.clear();
        self.visits.clear();
        self.conditions.clear();
        self.drugs.clear();
        self.procedures.clear();
        self.measurements.clear();
        self.observations.clear();
        self.observation_versions.clear();
        self.devices.clear();
        self.deaths.clear();
        self.activity.clear();
        self.heart_rate.clear();
        self.heart_rate_intraday.clear();
        self.steps_intraday.clear();
        self.sleep_daily.clear();
        self.sleep_levels.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// Column helpers.

fn ids(first: i64, n: usize) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(first..first + n as i64))
}

fn i64s(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn opt_i64s(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<Int64Array>())
}

fn i32s(values: impl Iterator<Item = i32>) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(values))
}

fn opt_i32s(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<Int32Array>())
}

fn f64s(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(values))
}

fn opt_f64s(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

fn dates(values: impl Iterator<Item = i32>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(values))
}

fn opt_dates(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<Date32Array>())
}

fn times(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from_iter_values(values))
}

fn strs<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn opt_strs<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// Puts named columns into the table's column order; columns not given are all null (only
/// optional ones may be left out).
fn assemble(spec: &'static TableSpec, rows: usize, given: Vec<(&'static str, ArrayRef)>) -> RecordBatch {
    debug_assert!(
        given.iter().all(|(name, _)| spec.column(name).is_some()),
        "unknown column in {}",
        spec.name
    );
    let columns = spec
        .columns
        .iter()
        .map(|c| match given.iter().find(|(name, _)| *name == c.name) {
            Some((_, array)) => array.clone(),
            None => {
                assert!(!c.required, "{}.{} is required but was not generated", spec.name, c.name);
                new_null_array(&c.ty.data_type(), rows)
            }
        })
        .collect();
    RecordBatch::try_new(spec.schema(), columns).expect("generated columns match the table schema")
}

fn spec(name: &str) -> &'static TableSpec {
    cdm::table(name).expect("the generator only writes contract tables")
}

// ---------------------------------------------------------------------------------------------
// Writers.

/// Row ids handed out so far, per table with an id column.
#[derive(Clone, Copy, Default)]
struct Counters {
    periods: i64,
    visits: i64,
    conditions: i64,
    drugs: i64,
    procedures: i64,
    measurements: i64,
    observations: i64,
    devices: i64,
}

/// One open Parquet writer per table of the contract.
pub(super) struct Writers {
    concept: TableWriter,
    concept_ancestor: TableWriter,
    concept_relationship: TableWriter,
    person: TableWriter,
    observation_period: TableWriter,
    visit_occurrence: TableWriter,
    condition_occurrence: TableWriter,
    drug_exposure: TableWriter,
    procedure_occurrence: TableWriter,
    measurement: TableWriter,
    observation: TableWriter,
    observation_ext: TableWriter,
    device_exposure: TableWriter,
    death: TableWriter,
    activity_summary: TableWriter,
    heart_rate_summary: TableWriter,
    heart_rate_intraday: TableWriter,
    steps_intraday: TableWriter,
    sleep_daily_summary: TableWriter,
    sleep_level: TableWriter,
    next: Counters,
}

impl Writers {
    /// Opens a writer for every table in `cdm::TABLES`.
    pub fn open(ds: &DatasetWriter) -> Result<Self, DatasetError> {
        let open = |name: &str| ds.table(spec(name));
        let writers = Self {
            concept: open("concept")?,
            concept_ancestor: open("concept_ancestor")?,
            concept_relationship: open("concept_relationship")?,
            person: open("person")?,
            observation_period: open("observation_period")?,
            visit_occurrence: open("visit_occurrence")?,
            condition_occurrence: open("condition_occurrence")?,
            drug_exposure: open("drug_exposure")?,
            procedure_occurrence: open("procedure_occurrence")?,
            measurement: open("measurement")?,
            observation: open("observation")?,
            observation_ext: open("observation_ext")?,
            device_exposure: open("device_exposure")?,
            death: open("death")?,
            activity_summary: open("activity_summary")?,
            heart_rate_summary: open("heart_rate_summary")?,
            heart_rate_intraday: open("heart_rate_intraday")?,
            steps_intraday: open("steps_intraday")?,
            sleep_daily_summary: open("sleep_daily_summary")?,
            sleep_level: open("sleep_level")?,
            next: Counters::default(),
        };
        Ok(writers)
    }

    /// Writes `concept`, `concept_ancestor` and `concept_relationship`.
    pub fn write_vocabulary(&mut self) -> Result<(), DatasetError> {
        let v = vocab::build();
        let rows = ancestors_batch(&vocab::ancestors(&v));
        self.concept.write(&concepts_batch(&v.concepts))?;
        self.concept_ancestor.write(&rows)?;
        self.concept_relationship.write(&maps_to_batch(&vocab::maps_to(&v)))
    }

    /// Writes one chunk of person rows, giving its rows the next ids. (Tables are written one
    /// after another: encoding them on per-chunk threads was barely faster on two cores and
    /// fragmented the allocator enough to double the peak memory.)
    pub fn write_chunk(&mut self, c: &Chunk) -> Result<(), DatasetError> {
        let first = self.next;
        let next = &mut self.next;
        next.periods += c.periods.len() as i64;
        next.visits += c.visits.len() as i64;
        next.conditions += c.conditions.len() as i64;
        next.drugs += c.drugs.len() as i64;
        next.procedures += c.procedures.len() as i64;
        next.measurements += c.measurements.len() as i64;
        next.observations += c.observations.len() as i64;
        next.devices += c.devices.len() as i64;
        let visits = VisitIds(first.visits + 1);
        self.person.write(&person_batch(&c.persons))?;
        self.observation_period.write(&period_batch(&c.periods, first.periods + 1))?;
        self.visit_occurrence.write(&visit_batch(&c.visits, first.visits + 1))?;
        self.condition_occurrence.write(&condition_batch(&c.conditions, first.conditions + 1, visits))?;
        self.drug_exposure.write(&drug_batch(&c.drugs, first.drugs + 1, visits))?;
        self.procedure_occurrence.write(&procedure_batch(&c.procedures, first.procedures + 1, visits))?;
        self.measurement.write(&measurement_batch(&c.measurements, first.measurements + 1, visits))?;
        self.observation.write(&observation_batch(&c.observations, first.observations + 1, visits))?;
        self.observation_ext
            .write(&observation_ext_batch(&c.observation_versions, first.observations + 1))?;
        self.device_exposure.write(&device_batch(&c.devices, first.devices + 1, visits))?;
        self.death.write(&death_batch(&c.deaths))?;
        self.activity_summary.write(&activity_batch(&c.activity))?;
        self.heart_rate_summary.write(&heart_rate_batch(&c.heart_rate))?;
        self.heart_rate_intraday.write(&heart_rate_intraday_batch(&c.heart_rate_intraday))?;
        self.steps_intraday.write(&steps_intraday_batch(&c.steps_intraday))?;
        self.sleep_daily_summary.write(&sleep_daily_batch(&c.sleep_daily))?;
        self.sleep_level.write(&sleep_level_batch(&c.sleep_levels))
    }

    /// Closes every file and records it in the dataset; returns (table, rows) in contract order.
    pub fn finish(self, ds: &mut DatasetWriter) -> Result<Vec<(&'static str, u64)>, DatasetError> {
        let all = [
            self.concept,
            self.concept_ancestor,
            self.concept_relationship,
            self.person,
            self.observation_period,
            self.visit_occurrence,
            self.condition_occurrence,
            self.drug_exposure,
            self.procedure_occurrence,
            self.measurement,
            self.observation,
            self.observation_ext,
            self.device_exposure,
            self.death,
            self.activity_summary,
            self.heart_rate_summary,
            self.heart_rate_intraday,
            self.steps_intraday,
            self.sleep_daily_summary,
            self.sleep_level,
        ];
        let mut counts = Vec::with_capacity(all.len());
        for w in all {
            let name = w.spec().name;
            counts.push((name, ds.add(w)?));
        }
        Ok(counts)
    }
}

/// Turns a chunk-local visit index into a `visit_occurrence_id`.
#[derive(Clone, Copy)]
struct VisitIds(i64);

impl VisitIds {
    fn id(self, local: u32) -> i64 {
        self.0 + i64::from(local)
    }
}

fn condition_batch(r: &[ConditionRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("condition_occurrence"),
        r.len(),
        vec![
            ("condition_occurrence_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("condition_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("condition_start_date", dates(r.iter().map(|x| x.start))),
            ("condition_end_date", opt_dates(r.iter().map(|x| x.end))),
            ("condition_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("visit_occurrence_id", i64s(r.iter().map(|x| visits.id(x.visit)))),
            ("condition_source_value", strs(r.iter().map(|x| x.source_value))),
            ("condition_source_concept_id", i32s(r.iter().map(|x| x.source_concept))),
        ],
    )
}

fn drug_batch(r: &[DrugRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("drug_exposure"),
        r.len(),
        vec![
            ("drug_exposure_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("drug_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("drug_exposure_start_date", dates(r.iter().map(|x| x.start))),
            ("drug_exposure_end_date", dates(r.iter().map(|x| x.end))),
            ("drug_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("refills", i32s(r.iter().map(|x| x.refills))),
            ("quantity", f64s(r.iter().map(|x| x.quantity))),
            ("days_supply", i32s(r.iter().map(|x| x.days_supply))),
            ("sig", strs(r.iter().map(|x| x.sig))),
            ("route_concept_id", opt_i32s(r.iter().map(|x| x.route))),
            ("visit_occurrence_id", opt_i64s(r.iter().map(|x| x.visit.map(|v| visits.id(v))))),
            ("drug_source_value", strs(r.iter().map(|x| x.source_value))),
            ("drug_source_concept_id", i32s(r.iter().map(|x| x.concept))),
        ],
    )
}

fn procedure_batch(r: &[ProcedureRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("procedure_occurrence"),
        r.len(),
        vec![
            ("procedure_occurrence_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("procedure_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("procedure_date", dates(r.iter().map(|x| x.date))),
            ("procedure_datetime", times(r.iter().map(|x| x.micros))),
            ("procedure_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("quantity", i32s(r.iter().map(|_| 1))),
            ("visit_occurrence_id", i64s(r.iter().map(|x| visits.id(x.visit)))),
            ("procedure_source_value", strs(r.iter().map(|x| x.source_value))),
            ("procedure_source_concept_id", i32s(r.iter().map(|x| x.concept))),
        ],
    )
}

fn measurement_batch(r: &[MeasurementRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("measurement"),
        r.len(),
        vec![
            ("measurement_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("measurement_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("measurement_date", dates(r.iter().map(|x| x.date))),
            ("measurement_datetime", times(r.iter().map(|x| x.micros))),
            ("measurement_type_concept_id", i32s(r.iter().map(|x| x.type_concept))),
            ("value_as_number", opt_f64s(r.iter().map(|x| x.value))),
            ("value_as_concept_id", opt_i32s(r.iter().map(|x| x.value_concept))),
            ("unit_concept_id", opt_i32s(r.iter().map(|x| x.unit))),
            ("range_low", opt_f64s(r.iter().map(|x| x.low))),
            ("range_high", opt_f64s(r.iter().map(|x| x.high))),
            ("visit_occurrence_id", opt_i64s(r.iter().map(|x| x.visit.map(|v| visits.id(v))))),
            ("measurement_source_value", strs(r.iter().map(|x| x.source_value))),
            ("measurement_source_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("unit_source_value", opt_strs(r.iter().map(|x| x.unit_source))),
            ("value_source_value", opt_strs(r.iter().map(|x| x.value_source))),
        ],
    )
}

fn observation_batch(r: &[ObservationRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("observation"),
        r.len(),
        vec![
            ("observation_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("observation_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("observation_date", dates(r.iter().map(|x| x.date))),
            ("observation_datetime", times(r.iter().map(|x| x.micros))),
            ("observation_type_concept_id", i32s(r.iter().map(|x| x.type_concept))),
            ("value_as_number", opt_f64s(r.iter().map(|x| x.value_number))),
            ("value_as_concept_id", opt_i32s(r.iter().map(|x| x.value_concept))),
            ("visit_occurrence_id", opt_i64s(r.iter().map(|x| x.visit.map(|v| visits.id(v))))),
            ("observation_source_value", strs(r.iter().map(|x| x.source_value))),
            ("observation_source_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("value_source_concept_id", opt_i32s(r.iter().map(|x| x.value_concept))),
            ("value_source_value", opt_strs(r.iter().map(|x| x.value_source_value))),
        ],
    )
}

/// `observation_ext` of the versioned rows; `first_id` is the chunk's first `observation_id`.
fn observation_ext_batch(r: &[(usize, i32)], first_id: i64) -> RecordBatch {
    assemble(
        spec("observation_ext"),
        r.len(),
        vec![
            ("observation_id", i64s(r.iter().map(|&(row, _)| first_id + row as i64))),
            ("survey_version_concept_id", i32s(r.iter().map(|&(_, v)| v))),
        ],
    )
}

fn device_batch(r: &[DeviceRow], first_id: i64, visits: VisitIds) -> RecordBatch {
    assemble(
        spec("device_exposure"),
        r.len(),
        vec![
            ("device_exposure_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("device_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("device_exposure_start_date", dates(r.iter().map(|x| x.start))),
            ("device_exposure_end_date", opt_dates(r.iter().map(|x| x.end))),
            ("device_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("quantity", i32s(r.iter().map(|x| x.quantity))),
            ("visit_occurrence_id", i64s(r.iter().map(|x| visits.id(x.visit)))),
            ("device_source_value", strs(r.iter().map(|x| x.source_value))),
            ("device_source_concept_id", i32s(r.iter().map(|x| x.concept))),
        ],
    )
}

fn death_batch(r: &[DeathRow]) -> RecordBatch {
    assemble(
        spec("death"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("death_date", dates(r.iter().map(|x| x.date))),
            ("death_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("cause_concept_id", opt_i32s(r.iter().map(|x| x.cause))),
        ],
    )
}

fn activity_batch(r: &[ActivityRow]) -> RecordBatch {
    assemble(
        spec("activity_summary"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("date", dates(r.iter().map(|x| x.date))),
            ("steps", i64s(r.iter().map(|x| x.steps))),
            ("calories_out", f64s(r.iter().map(|x| x.calories))),
            ("sedentary_minutes", i32s(r.iter().map(|x| x.sedentary))),
            ("lightly_active_minutes", i32s(r.iter().map(|x| x.lightly))),
            ("fairly_active_minutes", i32s(r.iter().map(|x| x.fairly))),
            ("very_active_minutes", i32s(r.iter().map(|x| x.very))),
        ],
    )
}

fn heart_rate_batch(r: &[HeartRateRow]) -> RecordBatch {
    assemble(
        spec("heart_rate_summary"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("date", dates(r.iter().map(|x| x.date))),
            ("zone_name", strs(r.iter().map(|x| x.zone))),
            ("min_heart_rate", i32s(r.iter().map(|x| x.min))),
            ("max_heart_rate", i32s(r.iter().map(|x| x.max))),
            ("minute_in_zone", i32s(r.iter().map(|x| x.minutes))),
            ("calorie_count", f64s(r.iter().map(|x| x.calories))),
        ],
    )
}

fn heart_rate_intraday_batch(r: &[HeartRateIntradayRow]) -> RecordBatch {
    assemble(
        spec("heart_rate_intraday"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("datetime", times(r.iter().map(|x| x.micros))),
            ("heart_rate_value", i32s(r.iter().map(|x| x.value))),
        ],
    )
}

fn steps_intraday_batch(r: &[StepsIntradayRow]) -> RecordBatch {
    assemble(
        spec("steps_intraday"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("datetime", times(r.iter().map(|x| x.micros))),
            ("steps", i64s(r.iter().map(|x| x.steps))),
        ],
    )
}

fn sleep_daily_batch(r: &[SleepDailyRow]) -> RecordBatch {
    assemble(
        spec("sleep_daily_summary"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("sleep_date", dates(r.iter().map(|x| x.date))),
            ("is_main_sleep", strs(r.iter().map(|_| "true"))),
            ("minute_in_bed", i32s(r.iter().map(|x| x.in_bed))),
            ("minute_asleep", i32s(r.iter().map(|x| x.asleep))),
            ("minute_awake", i32s(r.iter().map(|x| x.awake))),
        ],
    )
}

fn sleep_level_batch(r: &[SleepLevelRow]) -> RecordBatch {
    assemble(
        spec("sleep_level"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("sleep_date", dates(r.iter().map(|x| x.date))),
            ("is_main_sleep", strs(r.iter().map(|_| "true"))),
            ("level", strs(r.iter().map(|x| x.level))),
            ("start_datetime", times(r.iter().map(|x| x.start_micros))),
            ("duration_in_min", i32s(r.iter().map(|x| x.minutes))),
        ],
    )
}

fn concepts_batch(concepts: &[Concept]) -> RecordBatch {
    let r = concepts;
    assemble(
        spec("concept"),
        r.len(),
        vec![
            ("concept_id", i32s(r.iter().map(|c| c.id))),
            ("concept_name", strs(r.iter().map(|c| c.name.as_str()))),
            ("domain_id", strs(r.iter().map(|c| c.domain))),
            ("vocabulary_id", strs(r.iter().map(|c| c.vocabulary))),
            ("concept_class_id", strs(r.iter().map(|c| c.class))),
            ("standard_concept", opt_strs(r.iter().map(|c| c.standard))),
            ("concept_code", strs(r.iter().map(|c| c.code.as_str()))),
            ("valid_start_date", dates(r.iter().map(|_| VALID_START))),
            ("valid_end_date", dates(r.iter().map(|_| VALID_END))),
        ],
    )
}

/// 1970-01-01, the start of validity of every generated concept.
const VALID_START: i32 = 0;

/// 2099-12-31, the OMOP convention for "still valid".
const VALID_END: i32 = match chrono::NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d.to_epoch_days(),
    None => panic!("2099-12-31 is a date"),
};

fn ancestors_batch(rows: &[Ancestor]) -> RecordBatch {
    let r = rows;
    assemble(
        spec("concept_ancestor"),
        r.len(),
        vec![
            ("ancestor_concept_id", i32s(r.iter().map(|x| x.ancestor))),
            ("descendant_concept_id", i32s(r.iter().map(|x| x.descendant))),
            ("min_levels_of_separation", i32s(r.iter().map(|x| x.min_levels))),
            ("max_levels_of_separation", i32s(r.iter().map(|x| x.max_levels))),
        ],
    )
}

fn maps_to_batch(rows: &[(i32, i32)]) -> RecordBatch {
    assemble(
        spec("concept_relationship"),
        rows.len(),
        vec![
            ("concept_id_1", i32s(rows.iter().map(|r| r.0))),
            ("concept_id_2", i32s(rows.iter().map(|r| r.1))),
            ("relationship_id", strs(rows.iter().map(|_| "Maps to"))),
            ("valid_start_date", dates(rows.iter().map(|_| VALID_START))),
            ("valid_end_date", dates(rows.iter().map(|_| VALID_END))),
        ],
    )
}

fn person_batch(r: &[PersonRow]) -> RecordBatch {
    assemble(
        spec("person"),
        r.len(),
        vec![
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("gender_concept_id", i32s(r.iter().map(|x| x.gender))),
            ("year_of_birth", i32s(r.iter().map(|x| x.year))),
            ("month_of_birth", i32s(r.iter().map(|x| x.month))),
            ("day_of_birth", i32s(r.iter().map(|x| x.day))),
            ("birth_datetime", times(r.iter().map(|x| x.birth_micros))),
            ("race_concept_id", i32s(r.iter().map(|x| x.race))),
            ("ethnicity_concept_id", i32s(r.iter().map(|x| x.ethnicity))),
            ("sex_at_birth_concept_id", i32s(r.iter().map(|x| x.sex_at_birth))),
            ("gender_source_value", strs(r.iter().map(|x| x.gender_source))),
            ("gender_source_concept_id", i32s(r.iter().map(|x| x.gender_source_concept))),
            ("race_source_value", strs(r.iter().map(|x| x.race_source))),
            ("race_source_concept_id", opt_i32s(r.iter().map(|x| x.race_source_concept))),
            ("ethnicity_source_value", strs(r.iter().map(|x| x.ethnicity_source))),
            ("ethnicity_source_concept_id", opt_i32s(r.iter().map(|x| x.ethnicity_source_concept))),
        ],
    )
}

fn period_batch(r: &[PeriodRow], first_id: i64) -> RecordBatch {
    assemble(
        spec("observation_period"),
        r.len(),
        vec![
            ("observation_period_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("observation_period_start_date", dates(r.iter().map(|x| x.start))),
            ("observation_period_end_date", dates(r.iter().map(|x| x.end))),
            ("period_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
        ],
    )
}

fn visit_batch(r: &[VisitRow], first_id: i64) -> RecordBatch {
    assemble(
        spec("visit_occurrence"),
        r.len(),
        vec![
            ("visit_occurrence_id", ids(first_id, r.len())),
            ("person_id", i64s(r.iter().map(|x| x.person_id))),
            ("visit_concept_id", i32s(r.iter().map(|x| x.concept))),
            ("visit_start_date", dates(r.iter().map(|x| x.start))),
            ("visit_start_datetime", times(r.iter().map(|x| x.start_micros))),
            ("visit_end_date", dates(r.iter().map(|x| x.end))),
            ("visit_end_datetime", times(r.iter().map(|x| x.end_micros))),
            ("visit_type_concept_id", i32s(r.iter().map(|_| vocab::EHR))),
            ("visit_source_value", strs(r.iter().map(|x| x.source))),
            ("visit_source_concept_id", i32s(r.iter().map(|x| x.concept))),
        ],
    )
}
