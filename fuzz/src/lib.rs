//! What the fuzz targets share: a small engine (a dozen persons with conditions, drugs,
//! measurements, survey answers and Fitbit days, over a vocabulary with a hierarchy) built
//! once, that definitions, statistics and charts are checked against.

use std::sync::{Arc, OnceLock};

use arrow_array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use cohortlens::cdm::{self, ColumnType, TableSpec};
use cohortlens::engine::Engine;
use cohortlens::store::{Store, Table};

/// Persons in the small engine.
const PERSONS: i64 = 12;

/// Event rows per event table.
const EVENTS: usize = 40;

/// The vocabulary: id, name, domain, vocabulary, class.
const CONCEPTS: &[(i32, &str, &str, &str, &str)] = &[
    (8507, "MALE", "Gender", "Gender", "Gender"),
    (8532, "FEMALE", "Gender", "Gender", "Gender"),
    (8527, "White", "Race", "Race", "Race"),
    (8516, "Black or African American", "Race", "Race", "Race"),
    (38003564, "Not Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity"),
    (201820, "Diabetes mellitus", "Condition", "SNOMED", "Clinical Finding"),
    (201826, "Type 2 diabetes mellitus", "Condition", "SNOMED", "Clinical Finding"),
    (1503297, "metformin", "Drug", "RxNorm", "Ingredient"),
    (3004410, "Hemoglobin A1c", "Measurement", "LOINC", "Lab Test"),
    (903118, "Systolic blood pressure", "Measurement", "PPI", "Clinical Observation"),
    (4013886, "Appendectomy", "Procedure", "SNOMED", "Procedure"),
    (1585838, "Gender identity question", "Observation", "PPI", "Question"),
    (1585839, "Woman", "Observation", "PPI", "Answer"),
    (1586134, "The Basics", "Observation", "PPI", "Module"),
    (9202, "Outpatient Visit", "Visit", "Visit", "Visit"),
    (44818517, "EHR record", "Type Concept", "Type Concept", "Type Concept"),
    (4180628, "Device", "Device", "SNOMED", "Physical Object"),
];

/// (ancestor, descendant, levels).
const ANCESTORS: &[(i32, i32, i32)] =
    &[(201820, 201820, 0), (201826, 201826, 0), (201820, 201826, 1), (1586134, 1585838, 1)];

/// The concepts an event table's concept columns take, by table.
fn concepts_of(table: &str) -> &'static [i32] {
    match table {
        "condition_occurrence" => &[201826, 201820],
        "drug_exposure" => &[1503297],
        "measurement" => &[3004410, 903118],
        "procedure_occurrence" => &[4013886],
        "observation" => &[1585838],
        "device_exposure" => &[4180628],
        "visit_occurrence" => &[9202],
        _ => &[201826],
    }
}

fn day(i: usize) -> i32 {
    // 2000-01-01 plus a spread of days.
    10_957 + (i as i32 * 97) % 8_000
}

/// A column of `rows` values for an event or period table, by type and name.
fn column(spec: &TableSpec, name: &str, ty: ColumnType, rows: usize) -> ArrayRef {
    let person = |i: usize| (i as i64 % PERSONS) + 1;
    match ty {
        ColumnType::Id | ColumnType::Count => Arc::new(Int64Array::from_iter_values((0..rows).map(|i| {
            if name == "person_id" {
                person(i)
            } else if name.contains("visit") {
                person(i)
            } else {
                i as i64 + 1
            }
        }))),
        ColumnType::Int => {
            let concepts = concepts_of(spec.name);
            Arc::new(Int32Array::from_iter_values((0..rows).map(|i| match name {
                n if n.ends_with("type_concept_id") => 44818517,
                "value_source_concept_id" | "value_as_concept_id" => 1585839,
                n if n.ends_with("concept_id") => concepts[i % concepts.len()],
                "steps" => 3_000 + (i as i32 * 911) % 9_000,
                _ => i as i32 % 30,
            })))
        }
        ColumnType::Float => {
            Arc::new(Float64Array::from_iter_values((0..rows).map(|i| 4.0 + (i % 9) as f64 * 0.7)))
        }
        ColumnType::Text => Arc::new(StringArray::from_iter_values((0..rows).map(|i| format!("v{}", i % 3)))),
        ColumnType::Date => Arc::new(Date32Array::from_iter_values(
            (0..rows).map(|i| if name.contains("end") { day(i) + 30 } else { day(i) }),
        )),
        ColumnType::Datetime => Arc::new(TimestampMicrosecondArray::from_iter_values(
            (0..rows).map(|i| i64::from(day(i)) * 86_400_000_000),
        )),
    }
}

fn table(spec: &TableSpec, columns: Vec<ArrayRef>) -> Table {
    let schema = spec.schema();
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("fixture matches the CDM schema");
    Table::new(spec.name.to_owned(), schema, vec![batch])
}

fn build() -> Engine {
    let mut store = Store::default();
    for spec in cdm::TABLES {
        let columns: Vec<ArrayRef> = match spec.name {
            "concept" => spec
                .columns
                .iter()
                .map(|c| -> ArrayRef {
                    match c.name {
                        "concept_id" => Arc::new(Int32Array::from_iter_values(CONCEPTS.iter().map(|c| c.0))),
                        "concept_name" => {
                            Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|c| c.1)))
                        }
                        "domain_id" => Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|c| c.2))),
                        "vocabulary_id" => {
                            Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|c| c.3)))
                        }
                        "concept_class_id" => {
                            Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|c| c.4)))
                        }
                        "standard_concept" => {
                            Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|_| "S")))
                        }
                        "concept_code" => {
                            Arc::new(StringArray::from_iter_values(CONCEPTS.iter().map(|c| c.0.to_string())))
                        }
                        _ => arrow_array::new_null_array(&c.ty.data_type(), CONCEPTS.len()),
                    }
                })
                .collect(),
            "concept_ancestor" => vec![
                Arc::new(Int32Array::from_iter_values(ANCESTORS.iter().map(|a| a.0))),
                Arc::new(Int32Array::from_iter_values(ANCESTORS.iter().map(|a| a.1))),
                Arc::new(Int32Array::from_iter_values(ANCESTORS.iter().map(|a| a.2))),
                Arc::new(Int32Array::from_iter_values(ANCESTORS.iter().map(|a| a.2))),
            ],
            "person" => spec
                .columns
                .iter()
                .map(|c| -> ArrayRef {
                    let n = PERSONS as usize;
                    match c.name {
                        "person_id" => Arc::new(Int64Array::from_iter_values(1..=PERSONS)),
                        "gender_concept_id" | "sex_at_birth_concept_id" => {
                            Arc::new(Int32Array::from_iter_values((0..n).map(|i| [8507, 8532][i % 2])))
                        }
                        "race_concept_id" => {
                            Arc::new(Int32Array::from_iter_values((0..n).map(|i| [8527, 8516][i % 2])))
                        }
                        "ethnicity_concept_id" => {
                            Arc::new(Int32Array::from_iter_values((0..n).map(|_| 38003564)))
                        }
                        "year_of_birth" => {
                            Arc::new(Int32Array::from_iter_values((0..n).map(|i| 1930 + i as i32 * 6)))
                        }
                        _ => arrow_array::new_null_array(&c.ty.data_type(), n),
                    }
                })
                .collect(),
            "death" => spec.columns.iter().map(|c| column(spec, c.name, c.ty, 2)).collect(),
            _ => spec.columns.iter().map(|c| column(spec, c.name, c.ty, EVENTS)).collect(),
        };
        store.insert(table(spec, columns));
    }
    Engine::build(&store, Some("2023-10-01")).expect("the small engine builds")
}

/// The small engine, built on first use.
pub fn small_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(build)
}
