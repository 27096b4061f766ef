//! The data contract: the OMOP CDM v5.4 tables (plus the All of Us Fitbit tables and
//! `observation_ext`, the survey version of each survey answer) that a
//! cohortlens dataset holds, with their column names, Arrow types and access tiers.
//!
//! The generator writes exactly these schemas, the importer coerces real data to them, the
//! server reports them in its catalog and the browser store expects them.

pub mod catalog;
pub mod concepts;
mod domain;
mod fitbit;

pub use domain::{Domain, EventColumns, EventTable};
pub use fitbit::FitbitTable;

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, TimeUnit};
use serde::{Deserialize, Serialize};

/// Who may read a table (docs/architecture.md, "Tiers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Anyone: vocabulary tables only; person-level data never.
    Public,
    /// Registered researchers: row-level, de-identified tables.
    Registered,
    /// Registered plus the data marked controlled.
    Controlled,
}

/// The Arrow type of one CDM column, kept small so the table list below reads like the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Row identifiers and person ids (`bigint`).
    Id,
    /// Concept ids and small integers (`integer`).
    Int,
    /// Large counts such as Fitbit steps (`bigint`).
    Count,
    /// `float`.
    Float,
    /// `varchar`.
    Text,
    /// `date`.
    Date,
    /// `datetime`, microseconds, no time zone.
    Datetime,
}

impl ColumnType {
    /// The Arrow type a column of this kind has in every cohortlens dataset.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Id | ColumnType::Count => DataType::Int64,
            ColumnType::Int => DataType::Int32,
            ColumnType::Float => DataType::Float64,
            ColumnType::Text => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }
}

/// One column of a CDM table.
#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    /// Lower-case CDM column name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether an imported table must have it (it is never null in generated data).
    pub required: bool,
}

/// One table of the data contract.
#[derive(Clone, Copy, Debug)]
pub struct TableSpec {
    /// Lower-case table name; the Parquet file is `{name}.parquet`.
    pub name: &'static str,
    /// Whether an imported dataset must have it.
    pub required: bool,
    /// The lowest tier that may read it.
    pub tier: Tier,
    /// Its columns, in file order.
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The Arrow schema of this table (required columns are non-nullable).
    pub fn schema(&self) -> Arc<Schema> {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.ty.data_type(), !c.required))
                .collect::<Vec<_>>(),
        ))
    }

    /// The column of that name, if the table has it.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Where `table` comes in the load order of [`TABLES`] (tables outside the contract last).
pub fn load_rank(table: &str) -> usize {
    TABLES.iter().position(|t| t.name == table).unwrap_or(TABLES.len())
}

/// Sorts table names into the load order (stable for tables outside the contract).
pub fn load_order<S: AsRef<str>>(tables: &mut [S]) {
    tables.sort_by_key(|t| load_rank(t.as_ref()));
}

/// The table of that (lower-case) name, if it is part of the contract.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

const fn req(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec { name, ty, required: true }
}

const fn opt(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec { name, ty, required: false }
}

use ColumnType::{Count, Date, Datetime, Float, Id, Int, Text};

/// Every table of a cohortlens dataset, in the one load order: the vocabulary, then `person`
/// (every other table refers to its ordinals), `observation_period`, `visit_occurrence` (the
/// event tables refer to its visit keys), the event tables largest first (a table's sort at its
/// end needs the most memory, best while little else is held; `observation_ext` right after
/// `observation`, whose rows it refers to), the Fitbit tables.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "concept",
        required: true,
        tier: Tier::Public,
        columns: &[
            req("concept_id", Int),
            req("concept_name", Text),
            req("domain_id", Text),
            req("vocabulary_id", Text),
            req("concept_class_id", Text),
            opt("standard_concept", Text),
            req("concept_code", Text),
            opt("valid_start_date", Date),
            opt("valid_end_date", Date),
            opt("invalid_reason", Text),
        ],
    },
    TableSpec {
        name: "concept_ancestor",
        required: true,
        tier: Tier::Public,
        columns: &[
            req("ancestor_concept_id", Int),
            req("descendant_concept_id", Int),
            req("min_levels_of_separation", Int),
            req("max_levels_of_separation", Int),
        ],
    },
    TableSpec {
        name: "concept_relationship",
        required: false,
        tier: Tier::Public,
        columns: &[
            req("concept_id_1", Int),
            req("concept_id_2", Int),
            req("relationship_id", Text),
            opt("valid_start_date", Date),
            opt("valid_end_date", Date),
            opt("invalid_reason", Text),
        ],
    },
    TableSpec {
        name: "person",
        required: true,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("gender_concept_id", Int),
            req("year_of_birth", Int),
            opt("month_of_birth", Int),
            opt("day_of_birth", Int),
            opt("birth_datetime", Datetime),
            req("race_concept_id", Int),
            req("ethnicity_concept_id", Int),
            // All of Us extension: sex assigned at birth, from The Basics survey.
            opt("sex_at_birth_concept_id", Int),
            opt("person_source_value", Text),
            opt("gender_source_value", Text),
            opt("gender_source_concept_id", Int),
            opt("race_source_value", Text),
            opt("race_source_concept_id", Int),
            opt("ethnicity_source_value", Text),
            opt("ethnicity_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "observation_period",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("observation_period_id", Id),
            req("person_id", Id),
            req("observation_period_start_date", Date),
            req("observation_period_end_date", Date),
            opt("period_type_concept_id", Int),
        ],
    },
    TableSpec {
        name: "visit_occurrence",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("visit_occurrence_id", Id),
            req("person_id", Id),
            req("visit_concept_id", Int),
            req("visit_start_date", Date),
            opt("visit_start_datetime", Datetime),
            opt("visit_end_date", Date),
            opt("visit_end_datetime", Datetime),
            opt("visit_type_concept_id", Int),
            opt("visit_source_value", Text),
            opt("visit_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "measurement",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("measurement_id", Id),
            req("person_id", Id),
            req("measurement_concept_id", Int),
            req("measurement_date", Date),
            opt("measurement_datetime", Datetime),
            opt("measurement_type_concept_id", Int),
            opt("operator_concept_id", Int),
            opt("value_as_number", Float),
            opt("value_as_concept_id", Int),
            opt("unit_concept_id", Int),
            opt("range_low", Float),
            opt("range_high", Float),
            opt("visit_occurrence_id", Id),
            opt("measurement_source_value", Text),
            opt("measurement_source_concept_id", Int),
            opt("unit_source_value", Text),
            opt("value_source_value", Text),
        ],
    },
    TableSpec {
        name: "observation",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("observation_id", Id),
            req("person_id", Id),
            req("observation_concept_id", Int),
            req("observation_date", Date),
            opt("observation_datetime", Datetime),
            opt("observation_type_concept_id", Int),
            opt("value_as_number", Float),
            opt("value_as_string", Text),
            opt("value_as_concept_id", Int),
            opt("qualifier_concept_id", Int),
            opt("unit_concept_id", Int),
            opt("visit_occurrence_id", Id),
            opt("observation_source_value", Text),
            opt("observation_source_concept_id", Int),
            // All of Us: the survey answer's source concept sits here.
            opt("value_source_concept_id", Int),
            opt("value_source_value", Text),
        ],
    },
    // All of Us extension: the survey version of a survey answer (read after `observation`).
    TableSpec {
        name: "observation_ext",
        required: false,
        tier: Tier::Registered,
        columns: &[req("observation_id", Id), opt("survey_version_concept_id", Int)],
    },
    TableSpec {
        name: "drug_exposure",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("drug_exposure_id", Id),
            req("person_id", Id),
            req("drug_concept_id", Int),
            req("drug_exposure_start_date", Date),
            opt("drug_exposure_start_datetime", Datetime),
            opt("drug_exposure_end_date", Date),
            opt("drug_exposure_end_datetime", Datetime),
            opt("verbatim_end_date", Date),
            opt("drug_type_concept_id", Int),
            opt("stop_reason", Text),
            opt("refills", Int),
            opt("quantity", Float),
            opt("days_supply", Int),
            opt("sig", Text),
            opt("route_concept_id", Int),
            opt("visit_occurrence_id", Id),
            opt("drug_source_value", Text),
            opt("drug_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "condition_occurrence",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("condition_occurrence_id", Id),
            req("person_id", Id),
            req("condition_concept_id", Int),
            req("condition_start_date", Date),
            opt("condition_start_datetime", Datetime),
            opt("condition_end_date", Date),
            opt("condition_end_datetime", Datetime),
            opt("condition_type_concept_id", Int),
            opt("condition_status_concept_id", Int),
            opt("stop_reason", Text),
            opt("visit_occurrence_id", Id),
            opt("condition_source_value", Text),
            opt("condition_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "procedure_occurrence",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("procedure_occurrence_id", Id),
            req("person_id", Id),
            req("procedure_concept_id", Int),
            req("procedure_date", Date),
            opt("procedure_datetime", Datetime),
            opt("procedure_end_date", Date),
            opt("procedure_type_concept_id", Int),
            opt("modifier_concept_id", Int),
            opt("quantity", Int),
            opt("visit_occurrence_id", Id),
            opt("procedure_source_value", Text),
            opt("procedure_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "device_exposure",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("device_exposure_id", Id),
            req("person_id", Id),
            req("device_concept_id", Int),
            req("device_exposure_start_date", Date),
            opt("device_exposure_start_datetime", Datetime),
            opt("device_exposure_end_date", Date),
            opt("device_type_concept_id", Int),
            opt("quantity", Int),
            opt("visit_occurrence_id", Id),
            opt("device_source_value", Text),
            opt("device_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "death",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("death_date", Date),
            opt("death_datetime", Datetime),
            opt("death_type_concept_id", Int),
            opt("cause_concept_id", Int),
            opt("cause_source_value", Text),
            opt("cause_source_concept_id", Int),
        ],
    },
    TableSpec {
        name: "activity_summary",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("date", Date),
            req("steps", Count),
            opt("calories_out", Float),
            opt("sedentary_minutes", Int),
            opt("lightly_active_minutes", Int),
            opt("fairly_active_minutes", Int),
            opt("very_active_minutes", Int),
        ],
    },
    TableSpec {
        name: "heart_rate_summary",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("date", Date),
            req("zone_name", Text),
            opt("min_heart_rate", Int),
            opt("max_heart_rate", Int),
            opt("minute_in_zone", Int),
            opt("calorie_count", Float),
        ],
    },
    TableSpec {
        name: "heart_rate_intraday",
        required: false,
        tier: Tier::Registered,
        columns: &[req("person_id", Id), req("datetime", Datetime), opt("heart_rate_value", Int)],
    },
    TableSpec {
        name: "steps_intraday",
        required: false,
        tier: Tier::Registered,
        columns: &[req("person_id", Id), req("datetime", Datetime), opt("steps", Count)],
    },
    TableSpec {
        name: "sleep_daily_summary",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("sleep_date", Date),
            opt("is_main_sleep", Text),
            opt("minute_in_bed", Int),
            opt("minute_asleep", Int),
            opt("minute_awake", Int),
        ],
    },
    TableSpec {
        name: "sleep_level",
        required: false,
        tier: Tier::Registered,
        columns: &[
            req("person_id", Id),
            req("sleep_date", Date),
            opt("is_main_sleep", Text),
            opt("level", Text),
            opt("start_datetime", Datetime),
            opt("duration_in_min", Int),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_and_columns_are_unique_and_lower_case() {
        let mut names: Vec<_> = TABLES.iter().map(|t| t.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        for t in TABLES {
            let mut cols: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            assert!(
                cols.iter()
                    .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'))
            );
            cols.sort();
            cols.dedup();
            assert_eq!(cols.len(), t.columns.len(), "duplicate column in {}", t.name);
            assert!(t.schema().fields().len() == t.columns.len());
        }
    }

    #[test]
    fn fitbit_tables_are_optional_contract_tables_dated_by_a_required_column() {
        for f in FitbitTable::ALL {
            let t = table(f.table()).expect("a contract table");
            assert!(!t.required, "{} must be optional: imported datasets may lack it", t.name);
            let date = t.column(f.date_column()).expect("the date column");
            assert!(date.required && matches!(date.ty, ColumnType::Date | ColumnType::Datetime));
            assert_eq!(FitbitTable::of(t.name), Some(f));
        }
    }

    #[test]
    fn observation_ext_is_optional_and_loaded_after_observation() {
        let t = table("observation_ext").expect("a contract table");
        assert!(!t.required && t.tier == Tier::Registered);
        assert!(t.column("observation_id").is_some_and(|c| c.required));
        assert!(t.column("survey_version_concept_id").is_some_and(|c| !c.required));
        assert!(load_rank("observation") < load_rank("observation_ext"));
    }

    #[test]
    fn person_level_tables_are_never_public() {
        for t in TABLES {
            if t.column("person_id").is_some() {
                assert_ne!(t.tier, Tier::Public, "{} holds person rows", t.name);
            }
        }
        assert!(table("person").is_some_and(|t| t.required));
        assert!(table("no_such_table").is_none());
    }
}
