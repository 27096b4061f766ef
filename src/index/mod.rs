//! The cohort index, built as the tables stream in (`IndexBuilder`): every event table as
//! compact columns (dense `u32` person ordinal, `i32` date in days, visit key, and the value
//! columns the criteria need, `value_as_number` as scaled decimals when exact), its rows sorted
//! by standard concept so that a concept set finds its rows without a scan (the sort order
//! stands for the concept column), plus source-concept (and survey-answer) buckets; and the
//! per-person attributes (date of birth, demographics, death, consent date, observation
//! periods, Fitbit, data filters).
//!
//! `model.rs` is what cohorts and statistics read, `builder.rs` builds it as the tables stream
//! in, `dense.rs` holds the evaluator's dense person sets.

mod builder;
mod dense;
mod model;

pub(crate) use builder::IndexBuilder;
pub(crate) use dense::Dense;
pub(crate) use model::{Events, Index, NO_MOMENT, NO_VISIT};

use crate::cdm::EventTable;
use crate::columns::ColumnError;

/// Why the index could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IndexError {
    /// A table the index reads lacks a column or has the wrong type.
    #[error(transparent)]
    Column(#[from] ColumnError),
    /// The dataset's reference date is not a date.
    #[error("the dataset's reference date {0:?} is not a YYYY-MM-DD date; fix referenceDate in the manifest")]
    ReferenceDate(String),
    /// Memory ran out while the index was built.
    #[error(
        "the dataset needs more memory than the browser gives WebAssembly (4 GiB); load fewer tables or a smaller dataset"
    )]
    OutOfMemory,
}

/// Whether cohorts, concept search and statistics read `column` of `table` (the index or the
/// vocabulary): a loader may skip the others.
pub fn uses_column(table: &str, column: &str) -> bool {
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
        "concept_relationship" => &["concept_id_1", "concept_id_2", "relationship_id"],
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
        "activity_summary" => &["person_id", "date", "steps"],
        "heart_rate_summary" => &["person_id", "date"],
        "heart_rate_intraday" | "steps_intraday" => &["person_id", "datetime"],
        "sleep_daily_summary" | "sleep_level" => &["person_id", "sleep_date"],
        "measurement" => &[
            "value_as_number",
            "value_as_concept_id",
            "measurement_type_concept_id",
            "unit_concept_id",
            "measurement_datetime",
        ],
        "observation" => &[
            "observation_id",
            "value_source_concept_id",
            "observation_type_concept_id",
            "value_as_number",
            "value_as_concept_id",
        ],
        "visit_occurrence" => &["visit_concept_id"],
        "observation_ext" => &["observation_id", "survey_version_concept_id"],
        _ => &[],
    };
    extra.contains(&column)
        || EventTable::ALL.iter().map(|t| t.columns()).any(|s| {
            s.table == table
                && (["person_id", s.concept, s.source, s.date].contains(&column) || s.visit == Some(column))
        })
}
