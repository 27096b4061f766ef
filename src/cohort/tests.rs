//! Unit tests of the cohort engine on a small hand-built store: every domain, modifier and
//! temporal option, excludes, data filters, observation periods, ages, validation paths.

use cohortlens_fixture::Fixture;
use serde_json::{Value, json};

use super::*;
use crate::cdm::{EventTable, load_order};
use crate::date::{Birth, days_from_civil};
use crate::engine::{Engine, EngineBuilder, EngineError};
use crate::store::{Store, Table};
use crate::vocab::ConceptQuery;

/// A column of a test table.
enum Col {
    I64(Vec<Option<i64>>),
    I32(Vec<Option<i32>>),
    Date(Vec<Option<&'static str>>),
    Micros(Vec<Option<&'static str>>),
    F64(Vec<Option<f64>>),
    Str(Vec<Option<&'static str>>),
}

/// A table of the fixture, in two record batches (to exercise reading across batches).
fn table(name: &str, columns: Vec<(&str, Col)>) -> Table {
    let fixture = columns.into_iter().fold(Fixture::new(name), |f, (column, values)| match values {
        Col::I64(v) => f.ids(column, v),
        Col::I32(v) => f.ints(column, v),
        Col::Date(v) => f.dates(column, v),
        Col::Micros(v) => f.datetimes(column, v),
        Col::F64(v) => f.floats(column, v),
        Col::Str(v) => f.texts(column, v),
    });
    let batches = fixture.batches(2);
    Table::new(name.to_owned(), batches[0].schema(), batches)
}

/// One event row of the fixture.
#[derive(Clone, Copy, Default)]
struct Ev {
    person: i64,
    concept: i32,
    source: Option<i32>,
    date: &'static str,
    visit: Option<i64>,
    value: Option<f64>,
    value_concept: Option<i32>,
    value_source: Option<i32>,
    kind: Option<i32>,
}

fn ev(person: i64, concept: i32, date: &'static str) -> Ev {
    Ev { person, concept, date, ..Ev::default() }
}

/// An event table (`prefix` e.g. `condition`) from rows.
fn events(
    name: &str,
    concept: &str,
    source: &str,
    date: &str,
    rows: &[Ev],
    extra: Vec<(&str, Col)>,
) -> Table {
    let mut cols = vec![
        ("person_id", Col::I64(rows.iter().map(|r| Some(r.person)).collect())),
        (concept, Col::I32(rows.iter().map(|r| Some(r.concept)).collect())),
        (source, Col::I32(rows.iter().map(|r| r.source).collect())),
        (date, Col::Date(rows.iter().map(|r| Some(r.date)).collect())),
        ("visit_occurrence_id", Col::I64(rows.iter().map(|r| r.visit).collect())),
    ];
    cols.extend(extra);
    table(name, cols)
}

// Concepts of the fixture.
const DM: i32 = 201820;
const T2DM: i32 = 201826;
const T2DM_COMPLICATION: i32 = 4_000_001;
const E11_9: i32 = 45_000_001;
const METFORMIN: i32 = 1_503_297;
const METFORMIN_500: i32 = 40_163_924;
const HBA1C: i32 = 3_004_410;
const CULTURE: i32 = 3_000_001;
const POSITIVE: i32 = 4_181_412;
const HEIGHT: i32 = 903_124;
const LIFESTYLE: i32 = 1_585_855;
const SMOKED: i32 = 1_585_857;
const YES: i32 = 1_585_858;
const NO: i32 = 1_585_859;
const INPATIENT: i32 = 9201;
const OUTPATIENT: i32 = 9202;
const ER: i32 = 9203;
const PROCEDURE: i32 = 4_000_100;
const DEVICE: i32 = 4_000_200;
const OBSERVATION: i32 = 4_000_300;
const CAUSE: i32 = 4_000_400;
const MALE: i32 = 8507;
const FEMALE: i32 = 8532;
const SEX_MALE: i32 = 45_880_669;
const SEX_FEMALE: i32 = 45_878_463;
const WHITE: i32 = 8527;
const BLACK: i32 = 8516;
const HISPANIC: i32 = 38_003_563;
const NOT_HISPANIC: i32 = 38_003_564;
const LAB: i32 = 44_818_702;
const EHR_OBS: i32 = 38_000_280;
const PM_TYPE: i32 = 44_818_701;
const SURVEY_TYPE: i32 = 45_905_771;

/// The `concept_class_id` of a fixture concept.
fn class_of(id: i32) -> &'static str {
    match id {
        METFORMIN => "Ingredient",
        METFORMIN_500 => "Clinical Drug",
        903_118 | 903_115 | HEIGHT => "Clinical Observation",
        LIFESTYLE => "Module",
        SMOKED => "Question",
        YES | NO => "Answer",
        _ => "Clinical Finding",
    }
}

/// The fixture:
/// - P1 (1980-06-15, male): T2DM 2020-06-14 (age 39, visit 101 outpatient, source E11.9) and
///   2020-06-15 (age 40, visit 102 inpatient); HbA1c 8.1 2020-07-01 (visit 102); metformin
///   500 mg 2020-08-01; observation period 2019-01-01..2020-06-14.
/// - P2 (1990, no month/day, female): T2DM with complication 2021-01-01 (no visit); HbA1c 6.0
///   2021-02-01; metformin 2020-12-01; survey "smoked: yes" 2018-05-05 (consent); BP 150/95
///   2018-05-05.
/// - P3 (birth_datetime 2000-02-29): survey "smoked: no" 2019-01-01; BP 150/80 2019-01-01 and a
///   diastolic 95 on 2019-02-02; height 170; Fitbit steps 10000 and 12000. No EHR data.
/// - P4 (1950-10-01, black, hispanic): T2DM 2019-01-01 (visit 401 ER), 2019-02-01 (visit 402
///   outpatient), 2019-03-01 (visit 999, not in visit_occurrence); culture positive
///   2019-01-01; died 2022-03-03 of CAUSE; heart rate summary.
/// - P5 (1933-10-02): no events.
/// - P6 (1970, month 13, day 5): procedure, device, observation, visit 601; died 2021-01-01
///   with no cause.
/// - Rows of person 999 (not in `person`) everywhere.
fn store() -> Store {
    let mut s = Store::default();
    let concepts: &[(i32, &str, &str, &str, &str)] = &[
        (DM, "Diabetes mellitus", "Condition", "SNOMED", "73211009"),
        (T2DM, "Type 2 diabetes mellitus", "Condition", "SNOMED", "44054006"),
        (T2DM_COMPLICATION, "Type 2 diabetes mellitus with complication", "Condition", "SNOMED", "443238003"),
        (E11_9, "Type 2 diabetes mellitus without complications", "Condition", "ICD10CM", "E11.9"),
        (METFORMIN, "metformin", "Drug", "RxNorm", "6809"),
        (METFORMIN_500, "metformin hydrochloride 500 MG Oral Tablet", "Drug", "RxNorm", "861007"),
        (HBA1C, "Hemoglobin A1c/Hemoglobin.total in Blood", "Measurement", "LOINC", "4548-4"),
        (CULTURE, "Bacteria identified in Blood by Culture", "Measurement", "LOINC", "600-7"),
        (POSITIVE, "Positive", "Meas Value", "SNOMED", "10828004"),
        (903_118, "Computed systolic blood pressure", "Measurement", "PPI", "blood-pressure-systolic-mean"),
        (903_115, "Computed diastolic blood pressure", "Measurement", "PPI", "blood-pressure-diastolic-mean"),
        (HEIGHT, "Height", "Measurement", "PPI", "height"),
        (LIFESTYLE, "Lifestyle", "Observation", "PPI", "lifestyle"),
        (SMOKED, "Smoking: 100 Cigs Lifetime", "Observation", "PPI", "Smoking_100CigsLifetime"),
        (YES, "Yes", "Observation", "PPI", "100CigsLifetime_Yes"),
        (NO, "No", "Observation", "PPI", "100CigsLifetime_No"),
        (INPATIENT, "Inpatient Visit", "Visit", "Visit", "IP"),
        (OUTPATIENT, "Outpatient Visit", "Visit", "Visit", "OP"),
        (ER, "Emergency Room Visit", "Visit", "Visit", "ER"),
        (PROCEDURE, "Appendectomy", "Procedure", "SNOMED", "80146002"),
        (DEVICE, "Insulin pump", "Device", "SNOMED", "69805005"),
        (OBSERVATION, "Tobacco user", "Observation", "SNOMED", "110483000"),
        (CAUSE, "Myocardial infarction", "Condition", "SNOMED", "22298006"),
        (MALE, "MALE", "Gender", "Gender", "M"),
        (FEMALE, "FEMALE", "Gender", "Gender", "F"),
    ];
    s.insert(table(
        "concept",
        vec![
            ("concept_id", Col::I32(concepts.iter().map(|c| Some(c.0)).collect())),
            ("concept_name", Col::Str(concepts.iter().map(|c| Some(c.1)).collect())),
            ("domain_id", Col::Str(concepts.iter().map(|c| Some(c.2)).collect())),
            ("vocabulary_id", Col::Str(concepts.iter().map(|c| Some(c.3)).collect())),
            ("concept_class_id", Col::Str(concepts.iter().map(|c| Some(class_of(c.0))).collect())),
            (
                "standard_concept",
                Col::Str(concepts.iter().map(|c| (c.3 != "ICD10CM").then_some("S")).collect()),
            ),
            ("concept_code", Col::Str(concepts.iter().map(|c| Some(c.4)).collect())),
        ],
    ));
    let ancestors: &[(i32, i32, i32)] = &[
        (DM, DM, 0),
        (DM, T2DM, 1),
        (DM, T2DM_COMPLICATION, 2),
        (T2DM, T2DM_COMPLICATION, 1),
        (METFORMIN, METFORMIN, 0),
        (METFORMIN, METFORMIN_500, 1),
        (1_586_134, SMOKED, 1),
        (LIFESTYLE, SMOKED, 1),
    ];
    s.insert(table(
        "concept_ancestor",
        vec![
            ("ancestor_concept_id", Col::I32(ancestors.iter().map(|a| Some(a.0)).collect())),
            ("descendant_concept_id", Col::I32(ancestors.iter().map(|a| Some(a.1)).collect())),
            ("min_levels_of_separation", Col::I32(ancestors.iter().map(|a| Some(a.2)).collect())),
            ("max_levels_of_separation", Col::I32(ancestors.iter().map(|a| Some(a.2)).collect())),
        ],
    ));
    s.insert(table(
        "person",
        vec![
            ("person_id", Col::I64(vec![Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)])),
            (
                "gender_concept_id",
                Col::I32(vec![Some(MALE), Some(FEMALE), Some(FEMALE), Some(MALE), Some(FEMALE), Some(MALE)]),
            ),
            (
                "year_of_birth",
                Col::I32(vec![Some(1980), Some(1990), Some(1999), Some(1950), Some(1933), Some(1970)]),
            ),
            ("month_of_birth", Col::I32(vec![Some(6), None, Some(1), Some(10), Some(10), Some(13)])),
            ("day_of_birth", Col::I32(vec![Some(15), None, Some(1), Some(1), Some(2), Some(5)])),
            ("birth_datetime", Col::Micros(vec![None, None, Some("2000-02-29"), None, None, None])),
            (
                "race_concept_id",
                Col::I32(vec![Some(WHITE), Some(WHITE), Some(WHITE), Some(BLACK), Some(WHITE), Some(WHITE)]),
            ),
            (
                "ethnicity_concept_id",
                Col::I32(vec![
                    Some(NOT_HISPANIC),
                    Some(NOT_HISPANIC),
                    Some(NOT_HISPANIC),
                    Some(HISPANIC),
                    Some(NOT_HISPANIC),
                    Some(NOT_HISPANIC),
                ]),
            ),
            (
                "sex_at_birth_concept_id",
                Col::I32(vec![
                    Some(SEX_MALE),
                    Some(SEX_FEMALE),
                    Some(SEX_FEMALE),
                    Some(SEX_MALE),
                    None,
                    Some(SEX_MALE),
                ]),
            ),
        ],
    ));
    s.insert(table(
        "observation_period",
        vec![
            ("observation_period_id", Col::I64(vec![Some(1), Some(2), Some(3)])),
            ("person_id", Col::I64(vec![Some(1), Some(4), Some(4)])),
            (
                "observation_period_start_date",
                Col::Date(vec![Some("2019-01-01"), Some("2018-01-01"), Some("2019-02-01")]),
            ),
            (
                "observation_period_end_date",
                Col::Date(vec![Some("2020-06-14"), Some("2018-12-31"), Some("2019-02-01")]),
            ),
        ],
    ));
    let visits: &[(i64, i64, i32, &str)] = &[
        (101, 1, OUTPATIENT, "2020-06-14"),
        (102, 1, INPATIENT, "2020-06-15"),
        (401, 4, ER, "2019-01-01"),
        (402, 4, OUTPATIENT, "2019-02-01"),
        (601, 6, OUTPATIENT, "2020-01-01"),
        (9001, 999, OUTPATIENT, "2020-01-01"),
    ];
    s.insert(table(
        "visit_occurrence",
        vec![
            ("visit_occurrence_id", Col::I64(visits.iter().map(|v| Some(v.0)).collect())),
            ("person_id", Col::I64(visits.iter().map(|v| Some(v.1)).collect())),
            ("visit_concept_id", Col::I32(visits.iter().map(|v| Some(v.2)).collect())),
            ("visit_start_date", Col::Date(visits.iter().map(|v| Some(v.3)).collect())),
        ],
    ));
    let conditions = [
        Ev { source: Some(E11_9), visit: Some(101), ..ev(1, T2DM, "2020-06-14") },
        Ev { visit: Some(102), ..ev(1, T2DM, "2020-06-15") },
        ev(2, T2DM_COMPLICATION, "2021-01-01"),
        Ev { visit: Some(401), ..ev(4, T2DM, "2019-01-01") },
        Ev { visit: Some(402), ..ev(4, T2DM, "2019-02-01") },
        Ev { visit: Some(999), ..ev(4, T2DM, "2019-03-01") },
        ev(999, T2DM, "2019-03-01"),
    ];
    s.insert(events(
        "condition_occurrence",
        "condition_concept_id",
        "condition_source_concept_id",
        "condition_start_date",
        &conditions,
        vec![],
    ));
    let drugs = [
        ev(1, METFORMIN_500, "2020-08-01"),
        ev(2, METFORMIN, "2020-12-01"),
        ev(999, METFORMIN, "2020-12-01"),
    ];
    s.insert(events(
        "drug_exposure",
        "drug_concept_id",
        "drug_source_concept_id",
        "drug_exposure_start_date",
        &drugs,
        vec![],
    ));
    let measurements = [
        Ev { value: Some(8.1), visit: Some(102), kind: Some(LAB), ..ev(1, HBA1C, "2020-06-15") },
        Ev { value: Some(6.0), kind: Some(LAB), ..ev(2, HBA1C, "2021-01-01") },
        Ev { value: Some(150.0), source: Some(903_118), kind: Some(PM_TYPE), ..ev(2, 903_118, "2018-05-05") },
        Ev { value: Some(95.0), source: Some(903_115), kind: Some(PM_TYPE), ..ev(2, 903_115, "2018-05-05") },
        Ev { value: Some(150.0), source: Some(903_118), kind: Some(PM_TYPE), ..ev(3, 903_118, "2019-01-01") },
        Ev { value: Some(80.0), source: Some(903_115), kind: Some(PM_TYPE), ..ev(3, 903_115, "2019-01-01") },
        Ev { value: Some(95.0), source: Some(903_115), kind: Some(PM_TYPE), ..ev(3, 903_115, "2019-02-02") },
        Ev { value: Some(170.0), source: Some(HEIGHT), kind: Some(PM_TYPE), ..ev(3, HEIGHT, "2019-01-01") },
        Ev { value_concept: Some(POSITIVE), kind: Some(LAB), ..ev(4, CULTURE, "2019-01-01") },
        Ev { value: Some(9.9), kind: Some(LAB), ..ev(999, HBA1C, "2021-02-01") },
    ];
    s.insert(events(
        "measurement",
        "measurement_concept_id",
        "measurement_source_concept_id",
        "measurement_date",
        &measurements,
        vec![
            ("value_as_number", Col::F64(measurements.iter().map(|m| m.value).collect())),
            ("value_as_concept_id", Col::I32(measurements.iter().map(|m| m.value_concept).collect())),
            ("measurement_type_concept_id", Col::I32(measurements.iter().map(|m| m.kind).collect())),
            ("measurement_datetime", Col::Micros(measurements.iter().map(|m| Some(m.date)).collect())),
        ],
    ));
    let observations = [
        Ev {
            source: Some(SMOKED),
            value_source: Some(YES),
            kind: Some(SURVEY_TYPE),
            ..ev(2, 0, "2018-05-05")
        },
        Ev {
            source: Some(SMOKED),
            value_source: Some(NO),
            kind: Some(SURVEY_TYPE),
            ..ev(3, 0, "2019-01-01")
        },
        Ev { kind: Some(EHR_OBS), ..ev(6, OBSERVATION, "2020-01-01") },
        Ev { source: Some(1_585_482), kind: Some(SURVEY_TYPE), ..ev(2, 0, "2018-05-05") },
    ];
    s.insert(events(
        "observation",
        "observation_concept_id",
        "observation_source_concept_id",
        "observation_date",
        &observations,
        vec![
            ("value_source_concept_id", Col::I32(observations.iter().map(|o| o.value_source).collect())),
            ("observation_type_concept_id", Col::I32(observations.iter().map(|o| o.kind).collect())),
        ],
    ));
    s.insert(events(
        "procedure_occurrence",
        "procedure_concept_id",
        "procedure_source_concept_id",
        "procedure_date",
        &[Ev { visit: Some(601), ..ev(6, PROCEDURE, "2020-01-01") }],
        vec![],
    ));
    s.insert(events(
        "device_exposure",
        "device_concept_id",
        "device_source_concept_id",
        "device_exposure_start_date",
        &[ev(6, DEVICE, "2020-01-01")],
        vec![],
    ));
    s.insert(table(
        "death",
        vec![
            ("person_id", Col::I64(vec![Some(4), Some(6), Some(999)])),
            ("death_date", Col::Date(vec![Some("2022-03-03"), Some("2021-01-01"), Some("2021-01-01")])),
            ("cause_concept_id", Col::I32(vec![Some(CAUSE), None, Some(CAUSE)])),
        ],
    ));
    s.insert(table(
        "activity_summary",
        vec![
            ("person_id", Col::I64(vec![Some(3), Some(3), Some(999)])),
            ("date", Col::Date(vec![Some("2020-01-01"), Some("2020-01-02"), Some("2020-01-02")])),
            ("steps", Col::I64(vec![Some(10_000), Some(12_000), Some(50_000)])),
        ],
    ));
    s.insert(table(
        "heart_rate_summary",
        vec![
            ("person_id", Col::I64(vec![Some(4)])),
            ("date", Col::Date(vec![Some("2020-01-01")])),
            ("zone_name", Col::Str(vec![Some("Cardio")])),
        ],
    ));
    s
}

fn engine() -> Engine {
    Engine::build(&store(), Some("2023-10-01")).unwrap()
}

/// The person ids of the cohort of `definition`.
fn ids(e: &Engine, definition: Value) -> Vec<i64> {
    let d = CohortDefinition::from_value(definition).unwrap();
    let cohort = e.cohort(&d).unwrap_or_else(|err| panic!("{err}"));
    cohort.persons().iter().map(|p| e.index().persons.ids[p as usize]).collect()
}

/// A definition with one include group of one item with one parameter.
fn one(item: Value) -> Value {
    json!({"includes": [{"id": "g", "items": [item]}]})
}

/// An item of `domain` with one parameter.
/// (Event parameters are standard unless `standard` is given, as the UI sends them.)
fn item(domain: &str, parameter: Value) -> Value {
    let mut p = parameter;
    p["domain"] = json!(domain);
    let standard =
        ["CONDITION", "PROCEDURE", "DRUG", "MEASUREMENT", "OBSERVATION", "DEVICE", "VISIT", "DEATH"];
    if standard.contains(&domain) && p.get("standard").is_none() {
        p["standard"] = json!(true);
    }
    json!({"id": "i", "type": domain, "searchParameters": [p]})
}

fn with_modifiers(mut item: Value, modifiers: Value) -> Value {
    item["modifiers"] = modifiers;
    item
}

fn errors(e: &Engine, definition: Value) -> Vec<String> {
    let d = match CohortDefinition::from_value(definition) {
        Ok(d) => d,
        Err(error) => return vec![error.to_string()],
    };
    match e.cohort(&d) {
        Err(EngineError::Invalid(list)) => list.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("not a validation error: {other}"),
        Ok(_) => Vec::new(),
    }
}

#[test]
fn condition_standard_source_and_descendants() {
    let e = engine();
    assert_eq!(
        ids(&e, one(item("CONDITION", json!({"conceptId": T2DM})))),
        [1, 4],
        "person 999 is not in person"
    );
    assert_eq!(ids(&e, one(item("CONDITION", json!({"conceptId": T2DM, "group": true})))), [1, 2, 4]);
    assert_eq!(ids(&e, one(item("CONDITION", json!({"conceptId": DM, "group": true})))), [1, 2, 4]);
    // Only `group` expands a condition (SGIQB.addParamValueAndFormat).
    assert_eq!(
        ids(&e, one(item("CONDITION", json!({"conceptId": DM, "ancestorData": true})))),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&e, one(item("CONDITION", json!({"conceptId": DM})))), Vec::<i64>::new());
    assert_eq!(ids(&e, one(item("CONDITION", json!({"conceptId": E11_9, "standard": false})))), [1]);
    assert_eq!(ids(&e, one(item("CONDITION", json!({"conceptId": E11_9})))), Vec::<i64>::new());
}

#[test]
fn drug_procedure_device_observation_visit_domains() {
    let e = engine();
    // An ingredient rolls up to its drugs whatever ancestorData says; a clinical drug is no
    // node of the drug tree and a source drug parameter finds nothing (SGIQB.DRUG_SQL).
    assert_eq!(ids(&e, one(item("DRUG", json!({"conceptId": METFORMIN})))), [1, 2]);
    assert_eq!(ids(&e, one(item("DRUG", json!({"conceptId": METFORMIN, "ancestorData": true})))), [1, 2]);
    assert_eq!(ids(&e, one(item("DRUG", json!({"conceptId": METFORMIN_500})))), Vec::<i64>::new());
    assert_eq!(
        ids(&e, one(item("DRUG", json!({"conceptId": METFORMIN, "standard": false})))),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&e, one(item("PROCEDURE", json!({"conceptId": PROCEDURE})))), [6]);
    assert_eq!(ids(&e, one(item("DEVICE", json!({"conceptId": DEVICE})))), [6]);
    assert_eq!(ids(&e, one(item("OBSERVATION", json!({"conceptId": OBSERVATION})))), [6]);
    assert_eq!(ids(&e, one(item("VISIT", json!({"conceptId": OUTPATIENT})))), [1, 4, 6]);
    assert_eq!(ids(&e, one(item("VISIT", json!({"conceptId": ER})))), [4]);
}

#[test]
fn death_with_and_without_cause() {
    let e = engine();
    assert_eq!(ids(&e, one(item("DEATH", json!({})))), [4, 6]);
    assert_eq!(ids(&e, one(item("DEATH", json!({"conceptId": 0})))), [4, 6]);
    assert_eq!(ids(&e, one(item("DEATH", json!({"conceptId": CAUSE})))), [4]);
    assert_eq!(ids(&e, one(item("PERSON", json!({"type": "DECEASED"})))), [4, 6]);
}

#[test]
fn measurement_attributes() {
    let e = engine();
    let num = |op: &str, operands: Value| {
        one(item(
            "MEASUREMENT",
            json!({"conceptId": HBA1C, "attributes": [{"name": "NUM", "operator": op, "operands": operands}]}),
        ))
    };
    assert_eq!(ids(&e, one(item("MEASUREMENT", json!({"conceptId": HBA1C})))), [1, 2]);
    assert_eq!(ids(&e, num("GREATER_THAN", json!(["7"]))), [1]);
    assert_eq!(ids(&e, num("LESS_THAN_OR_EQUAL_TO", json!(["6"]))), [2]);
    assert_eq!(ids(&e, num("BETWEEN", json!(["6", "8.1"]))), [1, 2], "BETWEEN is inclusive");
    assert_eq!(ids(&e, num("BETWEEN", json!(["8.1", "6"]))), Vec::<i64>::new());
    assert_eq!(ids(&e, num("IN", json!(["6.0", "7"]))), [2]);
    assert_eq!(ids(&e, num("NOT_EQUAL", json!(["6"]))), [1]);
    assert_eq!(ids(&e, num("EQUAL", json!(["8.1"]))), [1]);
    let cat = |operands: Value| {
        one(item(
            "MEASUREMENT",
            json!({"conceptId": CULTURE, "attributes": [{"name": "CAT", "operator": "IN", "operands": operands}]}),
        ))
    };
    assert_eq!(ids(&e, cat(json!([POSITIVE.to_string()]))), [4]);
    assert_eq!(ids(&e, cat(json!(["9189"]))), Vec::<i64>::new());
    // A NULL value never satisfies an operator, not even NOT_EQUAL.
    let culture_num = one(item(
        "MEASUREMENT",
        json!({"conceptId": CULTURE, "attributes": [{"name": "NUM", "operator": "NOT_EQUAL", "operands": ["1"]}]}),
    ));
    assert_eq!(ids(&e, culture_num), Vec::<i64>::new());
    let any = one(item("MEASUREMENT", json!({"conceptId": CULTURE, "attributes": [{"name": "ANY"}]})));
    assert_eq!(ids(&e, any), [4]);
    // The first NUM counts, later ones are ignored (SGIQB.processAttributeSql).
    let both = one(item(
        "MEASUREMENT",
        json!({"conceptId": HBA1C, "attributes": [
            {"name": "NUM", "operator": "GREATER_THAN", "operands": ["5"]},
            {"name": "NUM", "operator": "LESS_THAN", "operands": ["7"]}]}),
    ));
    assert_eq!(ids(&e, both), [1, 2]);
    // NUM or CAT.
    let either = |concept: i32| {
        one(item(
            "MEASUREMENT",
            json!({"conceptId": concept, "attributes": [
                {"name": "NUM", "operator": "GREATER_THAN", "operands": ["7"]},
                {"name": "CAT", "operator": "IN", "operands": [POSITIVE.to_string()]}]}),
        ))
    };
    assert_eq!(ids(&e, either(HBA1C)), [1]);
    assert_eq!(ids(&e, either(CULTURE)), [4]);
}

#[test]
fn physical_measurements_and_blood_pressure() {
    let e = engine();
    let height = one(item(
        "PHYSICAL_MEASUREMENT",
        json!({"conceptId": HEIGHT, "subtype": "HEIGHT", "attributes": [{"name": "NUM", "operator": "GREATER_THAN", "operands": ["160"]}]}),
    ));
    assert_eq!(ids(&e, height), [3]);
    // Blood pressure as the UI sends it: no subtype, attributes carrying the concepts.
    let bp = |sys: &str, dia: &str| {
        one(item(
            "PHYSICAL_MEASUREMENT",
            json!({"conceptId": 903118, "attributes": [
                {"name": "NUM", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": [sys], "conceptId": 903118},
                {"name": "NUM", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": [dia], "conceptId": 903115}]}),
        ))
    };
    // P3's diastolic 95 is on another date than the systolic 150.
    assert_eq!(ids(&e, bp("140", "90")), [2]);
    assert_eq!(ids(&e, bp("140", "80")), [2, 3]);
    assert_eq!(ids(&e, bp("151", "0")), Vec::<i64>::new());
    let occurrences = with_modifiers(
        item(
            "PHYSICAL_MEASUREMENT",
            json!({"subtype": "BP", "attributes": [{"name": "ANY", "conceptId": 903118}, {"name": "ANY", "conceptId": 903115}]}),
        ),
        json!([{"name": "NUM_OF_OCCURRENCES", "operator": "EQUAL", "operands": ["1"]}]),
    );
    assert_eq!(ids(&e, one(occurrences)), [2, 3]);
}

#[test]
fn surveys_by_module_question_and_answer() {
    let e = engine();
    assert_eq!(
        ids(&e, one(item("SURVEY", json!({"conceptId": LIFESTYLE, "subtype": "SURVEY", "group": true})))),
        [2, 3]
    );
    assert_eq!(ids(&e, one(item("SURVEY", json!({"conceptId": SMOKED, "subtype": "QUESTION"})))), [2, 3]);
    let answer = |subtype: &str, answers: Value| {
        one(item(
            "SURVEY",
            json!({"conceptId": SMOKED, "subtype": subtype, "attributes": [{"name": "CAT", "operator": "IN", "operands": answers}]}),
        ))
    };
    assert_eq!(ids(&e, answer("ANSWER", json!([YES.to_string()]))), [2]);
    assert_eq!(ids(&e, answer("QUESTION", json!([NO.to_string()]))), [3], "QUESTION with CAT acts as ANSWER");
    assert_eq!(ids(&e, answer("ANSWER", json!([YES.to_string(), NO.to_string()]))), [2, 3]);
    // Survey answers are source concepts: a standard survey parameter finds nothing.
    assert_eq!(
        ids(&e, one(item("SURVEY", json!({"conceptId": SMOKED, "subtype": "QUESTION", "standard": true})))),
        Vec::<i64>::new()
    );
}

#[test]
fn person_demographics_ages_and_fitbit() {
    let e = engine();
    let age = |name: &str, op: &str, operands: Value| {
        one(item(
            "PERSON",
            json!({"type": "AGE", "attributes": [{"name": name, "operator": op, "operands": operands}]}),
        ))
    };
    // Ages at the CDR date, the latest event 2021-01-01 (deaths aside): P1 40, P2 31, P3 20
    // (born 2000-02-29 by birth_datetime), P5 87; P4 and P6 are deceased and never match.
    assert_eq!(ids(&e, age("AGE_AT_CDR", "EQUAL", json!(["20"]))), [3]);
    assert_eq!(ids(&e, age("AGE_AT_CDR", "BETWEEN", json!(["31", "87"]))), [1, 2, 5]);
    assert_eq!(ids(&e, age("AGE_AT_CDR", "IN", json!(["31", "40"]))), [1, 2]);
    // AGE is at today's date, the deceased excluded.
    assert_eq!(ids(&e, age("AGE", "GREATER_THAN", json!(["0"]))), [1, 2, 3, 5]);
    assert_eq!(ids(&e, age("AGE", "GREATER_THAN", json!(["200"]))), Vec::<i64>::new());
    // Consent: P2's Consent PII answer 2018-05-05 (age 28); P3's first answer below The
    // Basics, 2019-01-01 (age 18).
    assert_eq!(ids(&e, age("AGE_AT_CONSENT", "LESS_THAN", json!(["30"]))), [2, 3]);
    assert_eq!(ids(&e, age("AGE_AT_CONSENT", "EQUAL", json!(["18"]))), [3]);
    let demo = |kind: &str, id: i32| one(item("PERSON", json!({"type": kind, "conceptId": id})));
    assert_eq!(ids(&e, demo("GENDER", FEMALE)), [2, 3, 5]);
    assert_eq!(ids(&e, demo("SEX", SEX_MALE)), [1, 4, 6]);
    assert_eq!(ids(&e, demo("RACE", BLACK)), [4]);
    assert_eq!(ids(&e, demo("ETHNICITY", HISPANIC)), [4]);
    assert_eq!(ids(&e, one(item("FITBIT", json!({})))), [3, 4]);
    assert_eq!(ids(&e, one(item("FITBIT_HEART_RATE_SUMMARY", json!({})))), [4]);
    assert_eq!(ids(&e, one(item("FITBIT_ACTIVITY", json!({})))), [3]);
    assert_eq!(ids(&e, one(item("FITBIT_SLEEP_LEVEL", json!({})))), Vec::<i64>::new());
    let steps = |op: &str, n: &str| {
        one(item("FITBIT", json!({"attributes": [{"name": "NUM", "operator": op, "operands": [n]}]})))
    };
    assert_eq!(ids(&e, steps("EQUAL", "11000")), [3], "mean of 10000 and 12000");
    assert_eq!(ids(&e, steps("GREATER_THAN", "11000")), Vec::<i64>::new());
}

#[test]
fn age_at_event_counts_birthdays() {
    let e = engine();
    let at = |op: &str, operands: Value| {
        one(with_modifiers(
            item("CONDITION", json!({"conceptId": T2DM})),
            json!([{"name": "AGE_AT_EVENT", "operator": op, "operands": operands}]),
        ))
    };
    // P1 is 39 on 2020-06-14 and 40 on 2020-06-15 (birthday); P4 is 68 in 2019.
    assert_eq!(ids(&e, at("GREATER_THAN_OR_EQUAL_TO", json!(["40"]))), [1, 4]);
    assert_eq!(ids(&e, at("EQUAL", json!(["39"]))), [1]);
    assert_eq!(ids(&e, at("BETWEEN", json!(["41", "67"]))), Vec::<i64>::new());
    assert_eq!(ids(&e, at("EQUAL", json!(["68"]))), [4]);
}

#[test]
fn event_date_encounters_and_occurrences() {
    let e = engine();
    let t2dm = || item("CONDITION", json!({"conceptId": T2DM}));
    let run = |mods: Value| ids(&e, one(with_modifiers(t2dm(), mods)));
    assert_eq!(
        run(json!([{"name": "EVENT_DATE", "operator": "GREATER_THAN", "operands": ["2020-06-14"]}])),
        [1]
    );
    assert_eq!(
        run(json!([{"name": "EVENT_DATE", "operator": "BETWEEN", "operands": ["2019-01-01", "2019-12-31"]}])),
        [4]
    );
    assert_eq!(
        run(json!([{"name": "ENCOUNTERS", "operator": "IN", "operands": [INPATIENT.to_string()]}])),
        [1]
    );
    assert_eq!(run(json!([{"name": "ENCOUNTERS", "operator": "EQUAL", "operands": [ER.to_string()]}])), [4]);
    assert_eq!(
        run(json!([{"name": "ENCOUNTERS", "operator": "IN", "operands": ["9999"]}])),
        Vec::<i64>::new()
    );
    let n = |op: &str, k: &str| json!({"name": "NUM_OF_OCCURRENCES", "operator": op, "operands": [k]});
    assert_eq!(run(json!([n("GREATER_THAN_OR_EQUAL_TO", "3")])), [4]);
    assert_eq!(run(json!([n("EQUAL", "2")])), [1]);
    // Occurrences count after the other modifiers; ENCOUNTERS binds its first operand only.
    let encounters = json!({"name": "ENCOUNTERS", "operator": "IN", "operands": ["9202", "9201"]});
    assert_eq!(run(json!([n("GREATER_THAN_OR_EQUAL_TO", "2"), encounters.clone()])), Vec::<i64>::new());
    assert_eq!(run(json!([encounters, n("EQUAL", "1")])), [1, 4]);
    // Counted per concept: P2's T2DM-with-complication and P1's T2DM are separate concepts.
    let grouped =
        with_modifiers(item("CONDITION", json!({"conceptId": DM, "group": true})), json!([n("EQUAL", "1")]));
    assert_eq!(ids(&e, one(grouped)), [2]);
    // An occurrence is a distinct (date, concept): a row selected by two parameters is one.
    let twice = json!({"id": 1, "type": "CONDITION", "searchParameters": [
        {"domain": "CONDITION", "conceptId": T2DM, "standard": true},
        {"domain": "CONDITION", "conceptId": DM, "group": true, "standard": true}],
        "modifiers": [n("EQUAL", "2")]});
    assert_eq!(ids(&e, one(twice)), [1]);
    // A row matched on its standard and on its source concept counts for each concept: P1's
    // E11.9 once (P1's T2DM twice, P4's three times).
    let both_columns = |op: &str, k: &str| {
        json!({"id": 1, "type": "CONDITION", "searchParameters": [
            {"domain": "CONDITION", "conceptId": T2DM, "standard": true},
            {"domain": "CONDITION", "conceptId": E11_9, "standard": false}],
            "modifiers": [n(op, k)]})
    };
    assert_eq!(ids(&e, one(both_columns("EQUAL", "1"))), [1]);
    assert_eq!(ids(&e, one(both_columns("GREATER_THAN_OR_EQUAL_TO", "2"))), [1, 4]);
    assert_eq!(ids(&e, one(both_columns("EQUAL", "3"))), [4]);
}

#[test]
fn observation_period_restriction() {
    let e = engine();
    let mut d = one(item("CONDITION", json!({"conceptId": T2DM})));
    d["restrictToObservationPeriod"] = json!(true);
    // P1: 2020-06-14 is the period's last day (inclusive). P4: 2019-02-01 is a one-day period.
    assert_eq!(ids(&e, d.clone()), [1, 4]);
    let mut later = one(with_modifiers(
        item("CONDITION", json!({"conceptId": T2DM})),
        json!([{"name": "EVENT_DATE", "operator": "GREATER_THAN", "operands": ["2020-06-14"]}]),
    ));
    later["restrictToObservationPeriod"] = json!(true);
    assert_eq!(ids(&e, later), Vec::<i64>::new());
    let mut p4 = one(with_modifiers(
        item("CONDITION", json!({"conceptId": T2DM})),
        json!([{"name": "EVENT_DATE", "operator": "NOT_EQUAL", "operands": ["2019-02-01"]}]),
    ));
    p4["restrictToObservationPeriod"] = json!(true);
    assert_eq!(ids(&e, p4), [1]);
    // Person-level criteria are unaffected.
    let mut demo = one(item("PERSON", json!({"type": "GENDER", "conceptId": FEMALE})));
    demo["restrictToObservationPeriod"] = json!(true);
    assert_eq!(ids(&e, demo), [2, 3, 5]);
}

fn temporal(mention: &str, time: &str, days: i64, a: Value, b: Value) -> Value {
    let mut a = a;
    let mut b = b;
    a["temporalGroup"] = json!(0);
    b["temporalGroup"] = json!(1);
    json!({"includes": [{"id": "t", "temporal": true, "mention": mention, "time": time, "timeValue": days, "items": [a, b]}]})
}

#[test]
fn temporal_groups() {
    let e = engine();
    let dm = || item("CONDITION", json!({"conceptId": DM, "group": true}));
    let met = || item("DRUG", json!({"conceptId": METFORMIN, "ancestorData": true}));
    // P1: T2DM 2020-06-14/15, metformin 2020-08-01 (47 days later). P2: metformin 2020-12-01,
    // T2DM 2021-01-01 (31 days later).
    assert_eq!(ids(&e, temporal("ANY_MENTION", "X_DAYS_BEFORE", 47, dm(), met())), [1]);
    assert_eq!(ids(&e, temporal("ANY_MENTION", "X_DAYS_BEFORE", 48, dm(), met())), [1]);
    assert_eq!(ids(&e, temporal("ANY_MENTION", "X_DAYS_BEFORE", 49, dm(), met())), Vec::<i64>::new());
    assert_eq!(ids(&e, temporal("LAST_MENTION", "X_DAYS_BEFORE", 48, dm(), met())), Vec::<i64>::new());
    assert_eq!(ids(&e, temporal("FIRST_MENTION", "X_DAYS_BEFORE", 48, dm(), met())), [1]);
    assert_eq!(ids(&e, temporal("ANY_MENTION", "X_DAYS_AFTER", 31, dm(), met())), [2]);
    assert_eq!(ids(&e, temporal("ANY_MENTION", "X_DAYS_AFTER", 32, dm(), met())), Vec::<i64>::new());
    assert_eq!(ids(&e, temporal("ANY_MENTION", "WITHIN_X_DAYS_OF", 31, dm(), met())), [2]);
    assert_eq!(ids(&e, temporal("ANY_MENTION", "WITHIN_X_DAYS_OF", 47, dm(), met())), [1, 2]);
    assert_eq!(ids(&e, temporal("LAST_MENTION", "WITHIN_X_DAYS_OF", 47, dm(), met())), [1, 2]);
    assert_eq!(ids(&e, temporal("LAST_MENTION", "WITHIN_X_DAYS_OF", 46, dm(), met())), [2]);
    // Same encounter, same date: P1's HbA1c shares visit 102 with the 2020-06-15 T2DM only;
    // P2's HbA1c and T2DM with complication have no visit and the same date.
    let a1c = || item("MEASUREMENT", json!({"conceptId": HBA1C}));
    assert_eq!(ids(&e, temporal("ANY_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, dm(), a1c())), [1, 2]);
    assert_eq!(ids(&e, temporal("LAST_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, dm(), a1c())), [1, 2]);
    assert_eq!(ids(&e, temporal("FIRST_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, dm(), a1c())), [2]);
    // NUM_OF_OCCURRENCES is not applied in a temporal group.
    let thrice =
        with_modifiers(dm(), json!([{"name": "NUM_OF_OCCURRENCES", "operator": "EQUAL", "operands": ["3"]}]));
    assert_eq!(ids(&e, temporal("ANY_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, thrice, a1c())), [1, 2]);
    // Modifiers apply to each set before relating them.
    let late_dm = with_modifiers(
        dm(),
        json!([{"name": "EVENT_DATE", "operator": "GREATER_THAN", "operands": ["2020-06-14"]}]),
    );
    assert_eq!(ids(&e, temporal("FIRST_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, late_dm, a1c())), [1, 2]);
    // Per-item counts are the items' own persons.
    let d = CohortDefinition::from_value(temporal("ANY_MENTION", "X_DAYS_BEFORE", 47, dm(), met())).unwrap();
    let raw = e.cohort(&d).unwrap().raw();
    assert_eq!(raw.includes[0].count, 1);
    assert_eq!(raw.includes[0].items.iter().map(|i| i.count).collect::<Vec<_>>(), [3, 2]);
}

#[test]
fn includes_intersect_excludes_subtract_and_excludes_alone_include() {
    let e = engine();
    let group = |id: &str, item: Value| json!({"id": id, "items": [item]});
    let dm = || item("CONDITION", json!({"conceptId": DM, "group": true}));
    let female = || item("PERSON", json!({"type": "GENDER", "conceptId": FEMALE}));
    let dead = || item("PERSON", json!({"type": "DECEASED"}));
    assert_eq!(ids(&e, json!({"includes": [group("a", dm()), group("b", female())]})), [2]);
    assert_eq!(ids(&e, json!({"includes": [group("a", dm())], "excludes": [group("x", dead())]})), [1, 2]);
    assert_eq!(ids(&e, json!({"excludes": [group("x", dead())]})), [4, 6]);
    assert_eq!(ids(&e, json!({"excludes": [group("x", dead()), group("y", dm())]})), [4]);
    // Items of a group are OR.
    let either = json!({"includes": [{"id": "g", "items": [female(), dead()]}]});
    assert_eq!(ids(&e, either.clone()), [2, 3, 4, 5, 6]);
    let d = CohortDefinition::from_value(
        json!({"includes": [group("a", dm()), {"id": 7, "items": [female(), dead()]}],
        "excludes": [group("x", dead())]}),
    )
    .unwrap();
    let cohort = e.cohort(&d).unwrap();
    let raw = cohort.raw();
    assert_eq!(raw.total, 1);
    assert_eq!((raw.includes[0].count, raw.includes[1].count, raw.excludes[0].count), (3, 5, 2));
    assert_eq!(raw.includes[1].id, json!(7));
    assert_eq!(raw.includes[1].items.iter().map(|i| i.count).collect::<Vec<_>>(), [3, 2]);
    let preview = serde_json::to_value(cohort.preview(Policy::Aou)).unwrap();
    assert_eq!(preview["total"], json!({"value": 20, "label": "≤ 20", "policy": "aou"}));
    assert_eq!(preview["includes"][1]["items"][0]["count"]["label"], json!("≤ 20"));
    assert_eq!(preview["includes"][1]["id"], json!(7));
    assert_eq!(cohort.count(Policy::Aou).value(), Some(20));
}

#[test]
fn data_filters() {
    let e = engine();
    let everyone = json!({"id": "g", "items": [
        item("PERSON", json!({"type": "GENDER", "conceptId": FEMALE})),
        item("PERSON", json!({"type": "GENDER", "conceptId": MALE}))]});
    assert_eq!(ids(&e, json!({"includes": [everyone.clone()]})), [1, 2, 3, 4, 5, 6]);
    // P3 has only survey and physical-measurement rows; P5 has nothing.
    assert_eq!(
        ids(&e, json!({"includes": [everyone.clone()], "dataFilters": ["HAS_EHR_DATA"]})),
        [1, 2, 4, 6]
    );
    assert_eq!(
        ids(&e, json!({"includes": [everyone.clone()], "dataFilters": ["HAS_PHYSICAL_MEASUREMENT_DATA"]})),
        [2, 3]
    );
    // Filters are cb_search_person column names, in the lower case the UI sends.
    assert_eq!(
        ids(&e, json!({"includes": [everyone.clone()], "dataFilters": ["has_ehr_data"]})),
        [1, 2, 4, 6]
    );
    assert_eq!(ids(&e, json!({"includes": [everyone.clone()], "dataFilters": ["has_fitbit"]})), [3, 4]);
    assert_eq!(
        ids(
            &e,
            json!({"includes": [everyone], "dataFilters": ["HAS_EHR_DATA", "HAS_PHYSICAL_MEASUREMENT_DATA"]})
        ),
        [2]
    );
}

#[test]
fn reference_date_defaults_to_the_latest_event() {
    let e = Engine::build(&store(), None).unwrap();
    // The latest event is P4's death, 2022-03-03: P4 (born 1950-10-01) is then 71.
    assert_eq!(e.index().persons.age_now[3], 71);
    assert_eq!(e.index().calendar.age(Birth::from_parts(2000, None, None), days_from_civil(2022, 3, 3)), 22);
    assert!(matches!(Engine::build(&store(), Some("2023-02-30")), Err(EngineError::ReferenceDate(_))));
}

/// Feeds `store`'s tables to an [`EngineBuilder`] in the order of `names`, each batch cut
/// into batches of one row (and an empty push).
fn streamed(store: &Store, names: &[&str]) -> Engine {
    let mut b = EngineBuilder::new(names.iter().copied(), Some("2023-10-01"));
    for t in names.iter().filter_map(|n| store.table(n)) {
        b.begin_table(t.name(), None).unwrap();
        b.push(Vec::new()).unwrap();
        for batch in t.batches() {
            for row in 0..batch.num_rows() {
                b.push(vec![batch.slice(row, 1)]).unwrap();
            }
        }
        b.end_table(t.schema()).unwrap();
    }
    b.finish().unwrap()
}

#[test]
fn streaming_in_any_order_builds_the_same_index() {
    let s = store();
    let whole = format!("{:?}", engine().index());
    let mut names: Vec<&str> = s.tables().map(Table::name).collect();
    load_order(&mut names);
    assert_eq!(
        &names[..5],
        ["concept", "concept_ancestor", "person", "observation_period", "visit_occurrence"]
    );
    assert_eq!(format!("{:?}", streamed(&s, &names).index()), whole, "load order, one row per batch");
    // Backwards, every table comes before `person` and `visit_occurrence` and waits for them.
    names.reverse();
    assert_eq!(format!("{:?}", streamed(&s, &names).index()), whole, "reverse order");
    // A table announced but never fed is not waited for.
    let mut b = EngineBuilder::new(["person", "visit_occurrence", "condition_occurrence"], None);
    let t = s.table("condition_occurrence").unwrap();
    b.begin_table(t.name(), Some(t.rows())).unwrap();
    b.push(t.batches().to_vec()).unwrap();
    b.end_table(t.schema()).unwrap();
    let e = b.finish().unwrap();
    assert_eq!((e.index().persons.len(), e.index().events(EventTable::Condition).len()), (0, 0));
}

#[test]
fn a_table_missing_a_column_fails_the_build_whatever_the_order() {
    let s = store();
    let broken = table("measurement", vec![("person_id", Col::I64(vec![Some(1)]))]);
    for order in [["person", "measurement"], ["measurement", "person"]] {
        let mut b = EngineBuilder::new(order, None);
        for name in order {
            let t = if name == "measurement" { &broken } else { s.table(name).unwrap() };
            b.begin_table(name, None).unwrap();
            b.push(t.batches().to_vec()).unwrap();
            b.end_table(t.schema()).unwrap();
        }
        let err = b.finish().unwrap_err();
        assert!(err.to_string().contains("measurement_concept_id"), "{order:?}: {err}");
    }
}

#[test]
fn a_store_without_tables_evaluates_to_nobody() {
    let e = Engine::build(&Store::default(), Some("2023-10-01")).unwrap();
    let d = CohortDefinition::from_value(
        json!({"includes": [{"items": [item("PERSON", json!({"type": "DECEASED"}))]}]}),
    )
    .unwrap();
    assert_eq!(e.cohort(&d).unwrap().raw().total, 0);
}

#[test]
fn every_validation_problem_is_reported_with_its_path() {
    let e = engine();
    let definition = json!({
        "includes": [
            {"id": 1, "items": [
                {"type": "CONDITON", "searchParameters": [{"conceptId": T2DM}]},
                {"type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "type": "SNOMEDX", "conceptId": 123}]},
                {"type": "MEASUREMENT", "searchParameters": [{"domain": "MEASUREMENT", "conceptId": HBA1C, "attributes": [
                    {"name": "NUMB", "operator": "EQUAL", "operands": ["1"]},
                    {"name": "NUM", "operator": "ABOUT", "operands": ["1"]},
                    {"name": "NUM", "operator": "BETWEEN", "operands": ["1"]},
                    {"name": "NUM", "operator": "EQUAL", "operands": ["seven"]},
                    {"name": "CAT", "operator": "IN", "operands": ["positive"]}]}],
                 "modifiers": [
                    {"name": "AGE_AT", "operator": "EQUAL", "operands": ["1"]},
                    {"name": "AGE_AT_EVENT", "operator": "GREATER_THAN", "operands": ["forty"]},
                    {"name": "NUM_OF_OCCURRENCES", "operator": "GREATER_THAN", "operands": ["2", "3"]},
                    {"name": "EVENT_DATE", "operator": "GREATER_THAN", "operands": ["2020-02-30"]},
                    {"name": "ENCOUNTERS", "operator": "IN", "operands": ["outpatient"]}]},
                {"type": "PHYSICAL_MEASUREMENT", "searchParameters": [{"domain": "PHYSICAL_MEASUREMENT", "subtype": "BPX", "conceptId": HEIGHT}]},
                {"type": "PERSON", "searchParameters": [{"domain": "PERSON", "type": "AGE", "attributes": [
                    {"name": "AGE", "operator": "GREATER_THAN", "operands": ["old"]}]}],
                 "modifiers": [{"name": "AGE_AT_EVENT", "operator": "EQUAL", "operands": ["1"]}]},
                {"type": "DRUG", "searchParameters": []},
                {"type": "DEATH", "searchParameters": [{"domain": "DEATH", "conceptId": 0}]},
                {"type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": 0}]},
                {"type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": "abc"}]}
            ]},
            {"id": 2, "items": []},
            {"id": 3, "temporal": true, "mention": "SOME_MENTION", "time": "X_DAYS_SOON", "items": [
                {"type": "CONDITION", "temporalGroup": 0, "searchParameters": [{"domain": "CONDITION", "conceptId": T2DM}]}]},
            {"id": 4, "temporal": true, "mention": "ANY_MENTION", "time": "X_DAYS_BEFORE", "timeValue": "soon", "items": [
                {"type": "CONDITION", "temporalGroup": 0, "searchParameters": [{"domain": "CONDITION", "conceptId": T2DM}]},
                {"type": "PERSON", "temporalGroup": 1, "searchParameters": [{"domain": "PERSON", "type": "DECEASED"}]}]}
        ],
        "dataFilters": ["HAS_DNA"]
    });
    let got = errors(&e, definition);
    let expected = [
        "includes[0].items[0].type: unknown domain \"CONDITON\"",
        "includes[0].items[1].searchParameters[0].type: unknown type \"SNOMEDX\"",
        "includes[0].items[1].searchParameters[0].conceptId: concept 123 is not in this dataset",
        "includes[0].items[2].searchParameters[0].attributes[0].name: attribute \"NUMB\" does not apply here",
        "includes[0].items[2].searchParameters[0].attributes[1].operator: the operator \"ABOUT\" is unknown",
        "includes[0].items[2].searchParameters[0].attributes[2].operands: BETWEEN takes exactly 2 operands",
        "includes[0].items[2].searchParameters[0].attributes[3].operands[0]: \"seven\" is not a number",
        "includes[0].items[2].searchParameters[0].attributes[4].operands[0]: \"positive\" is not a concept id",
        "includes[0].items[2].modifiers[0].name: unknown modifier \"AGE_AT\"",
        "includes[0].items[2].modifiers[1].operands[0]: \"forty\" is not a number",
        "includes[0].items[2].modifiers[2].operands: GREATER_THAN takes exactly 1 operand",
        "includes[0].items[2].modifiers[3].operands[0]: \"2020-02-30\" is not a YYYY-MM-DD date",
        "includes[0].items[2].modifiers[4].operands[0]: \"outpatient\" is not a concept id",
        "includes[0].items[3].searchParameters[0].subtype: unknown subtype \"BPX\"",
        "includes[0].items[4].searchParameters[0].attributes[0].operands[0]: \"old\" is not a number",
        "includes[0].items[5].searchParameters: the item has no parameters",
        "includes[0].items[7].searchParameters[0].conceptId: concept 0 is not in this dataset",
        "includes[0].items[8].searchParameters[0].conceptId: \"abc\" is not a concept id",
        "includes[1].items: the group has no items",
        "includes[2].mention: the mention \"SOME_MENTION\" is unknown",
        "includes[2].time: the time \"X_DAYS_SOON\" is unknown",
        "includes[2].items: a temporal group needs at least one item with temporalGroup 0 and one with temporalGroup 1",
        "includes[3].timeValue: \"soon\" is not a number of days",
        "includes[3].items[1]: person-level",
        "dataFilters[0]: unknown data filter \"HAS_DNA\"",
    ];
    for want in expected {
        assert!(got.iter().any(|g| g.starts_with(want)), "missing {want:?} in {got:#?}");
    }
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    // Every message says what to do after a semicolon.
    assert!(got.iter().all(|g| g.contains("; ")), "{got:#?}");
}

#[test]
fn temporal_validation_and_empty_definitions() {
    let e = engine();
    let t2dm = || item("CONDITION", json!({"conceptId": T2DM}));
    let only_a = json!({"includes": [{"temporal": true, "mention": "ANY_MENTION", "time": "WITHIN_X_DAYS_OF", "timeValue": 5,
        "items": [t2dm()]}]});
    assert_eq!(errors(&e, only_a).len(), 1);
    let person =
        temporal("ANY_MENTION", "X_DAYS_AFTER", 1, t2dm(), item("PERSON", json!({"type": "DECEASED"})));
    assert!(errors(&e, person)[0].starts_with("includes[0].items[1]: person-level"));
    let death = temporal("ANY_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, t2dm(), item("DEATH", json!({})));
    assert!(errors(&e, death).is_empty(), "events without a visit share a missing one");
    let genome = one(item("WHOLE_GENOME_VARIANT", json!({})));
    assert!(
        errors(&e, genome)[0]
            .starts_with("includes[0].items[0].type: WHOLE_GENOME_VARIANT criteria need genomic")
    );
    let negative = temporal("ANY_MENTION", "X_DAYS_AFTER", -1, t2dm(), t2dm());
    assert!(errors(&e, negative)[0].starts_with("includes[0].timeValue: -1 days is negative"));
    let missing = json!({"includes": [{"temporal": true, "items": [t2dm()]}]});
    let got = errors(&e, missing);
    assert!(got.iter().any(|g| g.starts_with("includes[0].mention: the mention is missing")), "{got:?}");
    assert!(got.iter().any(|g| g.starts_with("includes[0].time: the time is missing")), "{got:?}");
    assert!(errors(&e, json!({}))[0].starts_with("includes: the definition has no include or exclude group"));
    assert!(errors(&e, json!({"includes": [], "excludes": []}))[0].starts_with("includes: "));
    // Shape errors name their path too.
    assert!(
        errors(&e, json!({"includes": [{"items": [{"searchParameters": "x"}]}]}))[0]
            .starts_with("includes[0].items[0].searchParameters: invalid type")
    );
    assert!(errors(&e, json!([1]))[0].starts_with("definition: invalid type"));
    let parsed = CohortDefinition::from_json("{\"includes\": [").unwrap_err();
    assert!(parsed.to_string().starts_with("definition: "), "{parsed}");
}

#[test]
fn defaults_nulls_and_unknown_fields() {
    let e = engine();
    let d = json!({"includes": [{"id": null, "items": [{"id": "x", "type": "CONDITION", "name": "ignored", "modifiers": null,
        "searchParameters": [{"parameterId": "p", "name": "E11.9", "value": "E11.9", "conceptId": "45000001", "standard": null,
            "group": null, "attributes": null}]}], "temporal": null, "mention": null, "time": null, "timeValue": null}],
        "excludes": null, "dataFilters": null, "extra": {"anything": [1, 2]}});
    // `standard` missing or null is false (the API's default): the source column.
    assert_eq!(ids(&e, d), [1]);
    // Numeric operands are accepted as numbers as well as strings.
    let numeric = one(item(
        "MEASUREMENT",
        json!({"conceptId": HBA1C, "attributes": [{"name": "NUM", "operator": "GREATER_THAN", "operands": [7]}]}),
    ));
    assert_eq!(ids(&e, numeric), [1]);
}

/// Raw person counts straight from the index, for concept search.
struct Counts<'a>(&'a Engine);

impl Counts<'_> {
    fn persons(&self, concepts: &[i32]) -> u64 {
        self.0.index().concept_tally(concepts).raw()
    }
}

#[test]
fn concept_search_by_words_code_id_and_domain() {
    let e = engine();
    let search = |query: &str, domain: Option<&str>| -> Vec<i32> {
        let q = ConceptQuery { query: query.into(), domain: domain.map(Into::into), limit: None };
        e.search_concepts(&q, Policy::Aou).unwrap().iter().map(|h| h.concept_id).collect()
    };
    assert_eq!(search("type 2 DIABETES", None), [T2DM, T2DM_COMPLICATION, E11_9]);
    assert_eq!(search("diabetes complication", None), [T2DM_COMPLICATION, E11_9]);
    assert_eq!(search("e11.9", None), [E11_9]);
    assert_eq!(search("E11", None), [E11_9]);
    assert_eq!(search(&T2DM.to_string(), None), [T2DM]);
    assert_eq!(search("metformin", Some("DRUG")), [METFORMIN, METFORMIN_500]);
    assert_eq!(search("metformin", Some("CONDITION")), Vec::<i32>::new());
    assert_eq!(search("smoking", Some("SURVEY")), [SMOKED]);
    assert_eq!(search("blood pressure", Some("PHYSICAL_MEASUREMENT")), [903_115, 903_118]);
    assert_eq!(search("hemoglobin", Some("Measurement")), [HBA1C]);
    assert!(matches!(
        e.search_concepts(
            &ConceptQuery { query: "x".into(), domain: Some("CONDITION!".into()), limit: None },
            Policy::Aou
        ),
        Err(EngineError::Vocab(crate::vocab::VocabError::UnknownDomain(_)))
    ));
    let q =
        ConceptQuery { query: "diabetes mellitus".into(), domain: Some("CONDITION".into()), limit: Some(1) };
    let hits = e.search_concepts(&q, Policy::Aou).unwrap();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.concept_id, T2DM, "the most persons first among name matches");
    assert_eq!(hit.parents.iter().map(|p| p.concept_id).collect::<Vec<_>>(), [DM]);
    assert_eq!(
        hit.children.iter().map(|c| (c.concept_id, c.name.as_str())).collect::<Vec<_>>(),
        [(T2DM_COMPLICATION, "Type 2 diabetes mellitus with complication")]
    );
    assert_eq!(hit.count.label(), "≤ 20");
    let json = serde_json::to_value(hit).unwrap();
    assert_eq!(json["countWithDescendants"], json!({"value": 20, "label": "≤ 20", "policy": "aou"}));
    // The raw counts behind them: persons of the concept itself, in any column.
    let counts = Counts(&e);
    assert_eq!(counts.persons(&[T2DM]), 2);
    assert_eq!(counts.persons(&[E11_9]), 1);
    assert_eq!(counts.persons(&[T2DM, T2DM_COMPLICATION]), 3);
    assert_eq!(counts.persons(&[YES]), 1, "survey answers count");
    assert_eq!(counts.persons(&[FEMALE]), 3, "demographic concepts count");
    assert_eq!(counts.persons(&[DM]), 0);
}
