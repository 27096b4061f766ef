//! The standard OMOP concepts the importer may add to a source vocabulary: demographic
//! (gender, race, ethnicity), visit and type concepts that person and event rows refer to but
//! that a trimmed `concept` table (Eunomia's, for one) leaves out. Names, domains, vocabularies,
//! classes and codes are those of the OHDSI standardized vocabularies (2019 release, which
//! Eunomia's data uses; type concepts then had the code "OMOP generated").

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::ArrowError;
use cohortlens::cdm;

/// One concept row of the built-in table.
#[derive(Clone, Copy, Debug)]
pub struct Concept {
    /// `concept_id`.
    pub id: i32,
    /// `concept_name`.
    pub name: &'static str,
    domain: &'static str,
    vocabulary: &'static str,
    class: &'static str,
    standard: Option<&'static str>,
    code: &'static str,
}

const fn c(
    id: i32,
    name: &'static str,
    domain: &'static str,
    vocabulary: &'static str,
    class: &'static str,
    standard: Option<&'static str>,
    code: &'static str,
) -> Concept {
    Concept { id, name, domain, vocabulary, class, standard, code }
}

const S: Option<&str> = Some("S");
const TYPE: &str = "Type Concept";
const GENERATED: &str = "OMOP generated";

/// The concepts the importer knows, by id.
pub const BUILT_IN: &[Concept] = &[
    c(0, "No matching concept", "Metadata", "None", "Undefined", None, "No matching concept"),
    c(8507, "MALE", "Gender", "Gender", "Gender", S, "M"),
    c(8532, "FEMALE", "Gender", "Gender", "Gender", S, "F"),
    c(8657, "American Indian or Alaska Native", "Race", "Race", "Race", S, "1"),
    c(8515, "Asian", "Race", "Race", "Race", S, "2"),
    c(8516, "Black or African American", "Race", "Race", "Race", S, "3"),
    c(8557, "Native Hawaiian or Other Pacific Islander", "Race", "Race", "Race", S, "4"),
    c(8527, "White", "Race", "Race", "Race", S, "5"),
    c(38003563, "Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity", S, "Hispanic"),
    c(38003564, "Not Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity", S, "Not Hispanic"),
    c(9201, "Inpatient Visit", "Visit", "Visit", "Visit", S, "IP"),
    c(9202, "Outpatient Visit", "Visit", "Visit", "Visit", S, "OP"),
    c(9203, "Emergency Room Visit", "Visit", "Visit", "Visit", S, "ER"),
    c(262, "Emergency Room and Inpatient Visit", "Visit", "Visit", "Visit", S, "ERIP"),
    c(44818517, "Visit derived from encounter on claim", TYPE, "Visit Type", "Visit Type", S, GENERATED),
    c(44818518, "Visit derived from EHR record", TYPE, "Visit Type", "Visit Type", S, GENERATED),
    c(44818519, "Clinical Study visit", TYPE, "Visit Type", "Visit Type", S, GENERATED),
    c(
        44814722,
        "Period while enrolled in insurance",
        TYPE,
        "Obs Period Type",
        "Obs Period Type",
        S,
        GENERATED,
    ),
    c(44814723, "Period while enrolled in study", TYPE, "Obs Period Type", "Obs Period Type", S, GENERATED),
    c(
        44814724,
        "Period covering healthcare encounters",
        TYPE,
        "Obs Period Type",
        "Obs Period Type",
        S,
        GENERATED,
    ),
    c(44814725, "Period inferred by algorithm", TYPE, "Obs Period Type", "Obs Period Type", S, GENERATED),
    c(32020, "EHR encounter diagnosis", TYPE, "Condition Type", "Condition Type", S, GENERATED),
    c(38000175, "Prescription dispensed in pharmacy", TYPE, "Drug Type", "Drug Type", S, GENERATED),
    c(38000177, "Prescription written", TYPE, "Drug Type", "Drug Type", S, GENERATED),
    c(581452, "Dispensed in Outpatient office", TYPE, "Drug Type", "Drug Type", S, GENERATED),
    c(38000275, "EHR order list entry", TYPE, "Procedure Type", "Procedure Type", S, GENERATED),
    c(5001, "Test ordered through EHR", TYPE, "Meas Type", "Meas Type", S, GENERATED),
    c(44818702, "Lab result", TYPE, "Meas Type", "Meas Type", S, GENERATED),
    c(38000276, "Problem list from EHR", TYPE, "Observation Type", "Observation Type", S, GENERATED),
    c(38000280, "Observation recorded from EHR", TYPE, "Observation Type", "Observation Type", S, GENERATED),
    c(38003565, "Payer enrollment status \"Deceased\"", TYPE, "Death Type", "Death Type", S, GENERATED),
    c(32810, "Claim", TYPE, TYPE, TYPE, S, GENERATED),
    c(32817, "EHR", TYPE, TYPE, TYPE, S, GENERATED),
];

/// The built-in concept with this id, if there is one.
pub fn built_in(id: i32) -> Option<&'static Concept> {
    BUILT_IN.iter().find(|c| c.id == id)
}

/// Whether the importer checks that the concepts in this column exist in `concept`: the
/// demographic and visit concepts, and every `*_type_concept_id`.
pub fn is_checked_column(table: &str, column: &str) -> bool {
    column.ends_with("_type_concept_id")
        || matches!(
            (table, column),
            (
                "person",
                "gender_concept_id" | "race_concept_id" | "ethnicity_concept_id" | "sex_at_birth_concept_id"
            ) | ("visit_occurrence", "visit_concept_id")
        )
}

/// `valid_start_date` and `valid_end_date` of the vocabulary: 1970-01-01 and 2099-12-31.
const VALID_DAYS: (i32, i32) = (0, 47_481);

/// The given concepts as a batch of the `concept` table.
pub fn batch(concepts: &[&Concept]) -> Result<RecordBatch, ArrowError> {
    let spec = cdm::table("concept")
        .ok_or_else(|| ArrowError::SchemaError("the data contract has no concept table".into()))?;
    let text = |f: fn(&Concept) -> Option<&'static str>| -> ArrayRef {
        Arc::new(concepts.iter().map(|c| f(c)).collect::<StringArray>())
    };
    let n = concepts.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(concepts.iter().map(|c| c.id).collect::<Int32Array>()),
        text(|c| Some(c.name)),
        text(|c| Some(c.domain)),
        text(|c| Some(c.vocabulary)),
        text(|c| Some(c.class)),
        text(|c| c.standard),
        text(|c| Some(c.code)),
        Arc::new(Date32Array::from(vec![VALID_DAYS.0; n])),
        Arc::new(Date32Array::from(vec![VALID_DAYS.1; n])),
        text(|_| None),
    ];
    RecordBatch::try_new(spec.schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Date32Type;
    use chrono::NaiveDate;

    #[test]
    fn built_in_concepts_are_unique_and_make_a_valid_concept_batch() {
        let mut ids: Vec<_> = BUILT_IN.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), BUILT_IN.len());
        let all: Vec<_> = BUILT_IN.iter().collect();
        assert_eq!(batch(&all).unwrap().num_rows(), BUILT_IN.len());
        assert_eq!(built_in(8507).map(|c| c.name), Some("MALE"));
        let end = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
        assert_eq!(Date32Type::from_naive_date(end), VALID_DAYS.1);
    }

    #[test]
    fn checked_columns() {
        assert!(is_checked_column("person", "race_concept_id"));
        assert!(is_checked_column("drug_exposure", "drug_type_concept_id"));
        assert!(!is_checked_column("condition_occurrence", "condition_concept_id"));
    }
}
