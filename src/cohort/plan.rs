//! The checked plan of a cohort definition: what validation ([`super::validate`]) produces and
//! the evaluator runs — groups, items, criteria, modifiers and comparisons, all resolved
//! against the vocabulary (concept sets expanded, operands parsed).

use serde_json::Value;

use crate::cdm::EventTable;

/// A checked definition.
#[derive(Debug)]
pub(crate) struct Plan {
    pub includes: Vec<GroupPlan>,
    pub excludes: Vec<GroupPlan>,
    /// `dataFilters`: the persons of each flag.
    pub filters: Vec<Flag>,
    pub restrict: bool,
}

/// A `cb_search_person` flag (docs/cohort-semantics.md, "Person items"): a data filter or a
/// "has data" item.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Flag {
    /// `has_ehr_data`.
    Ehr,
    /// `has_physical_measurement_data`: a PPI physical-measurement source concept.
    PhysicalMeasurement,
    /// `has_ppi_survey_data`: an answer below a PPI module.
    Survey,
    /// `has_fitbit`: any Fitbit table.
    Fitbit,
    /// `has_fitbit_activity_summary`.
    FitbitActivity,
    /// `has_fitbit_heart_rate_summary`.
    FitbitHeartRateSummary,
    /// A flag of a table the CDM here does not define (intraday and sleep data, Fitbit devices,
    /// the WEAR study): no one has it.
    Absent,
}

impl Flag {
    /// The flag of a `dataFilters` entry (a `cb_search_person` column name, any case).
    pub(super) fn of_column(name: &str) -> Option<Flag> {
        Some(match name.to_ascii_lowercase().as_str() {
            "has_ehr_data" => Flag::Ehr,
            "has_physical_measurement_data" => Flag::PhysicalMeasurement,
            "has_ppi_survey_data" => Flag::Survey,
            "has_fitbit" | "has_fitbit_plus_device_information" => Flag::Fitbit,
            "has_fitbit_activity_summary" => Flag::FitbitActivity,
            "has_fitbit_heart_rate_summary" => Flag::FitbitHeartRateSummary,
            "has_fitbit_heart_rate_level"
            | "has_fitbit_heart_rate_intraday"
            | "has_fitbit_steps_intraday"
            | "has_fitbit_sleep_daily_summary"
            | "has_fitbit_sleep_level"
            | "has_fitbit_device_information"
            | "has_wear_consent" => Flag::Absent,
            _ => return None,
        })
    }
}

pub(super) const FLAGS: &str = "has_ehr_data, has_physical_measurement_data, has_ppi_survey_data, has_fitbit, has_fitbit_activity_summary or has_fitbit_heart_rate_summary";

/// A checked group.
#[derive(Debug)]
pub(crate) struct GroupPlan {
    pub id: Value,
    pub items: Vec<ItemPlan>,
    pub temporal: Option<TemporalPlan>,
}

/// How a temporal group relates its two sets of events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TemporalPlan {
    pub mention: Mention,
    pub time: Time,
    pub days: f64,
}

/// Which events of each side of a temporal group are related, per part of an item.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mention {
    Any,
    First,
    Last,
}

/// The relation between an A event and a B event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Time {
    SameEncounter,
    DaysBefore,
    DaysAfter,
    Within,
}

/// A checked item: its criteria, each with the number of the part (as the Workbench splits
/// an item: each parameter with attributes, the standard ones, the source ones) it belongs to.
#[derive(Debug)]
pub(crate) struct ItemPlan {
    pub id: Value,
    pub criteria: Vec<(u16, Criterion)>,
    pub mods: Modifiers,
    pub temporal_group: u8,
}

/// What one part of an item selects.
#[derive(Debug)]
pub(crate) enum Criterion {
    /// Rows of `table` whose standard (or `source`) concept is in `concepts` (sorted) and which
    /// satisfy every attribute; `visits` says whether the events carry the row's visit.
    Rows { table: EventTable, source: bool, concepts: Vec<i32>, attrs: Vec<RowAttr>, visits: bool },
    /// Every row of `table`.
    AllRows { table: EventTable },
    /// Blood-pressure measurement rows (903118 or 903115 in the standard or `source` column)
    /// whose reading of the same person and datetime passes: the systolic value its
    /// comparison, the diastolic value its.
    BloodPressure { source: bool, systolic: Option<Cmp<f64>>, diastolic: Option<Cmp<f64>> },
    /// A person-level criterion.
    Person(PersonCriterion),
}

/// A condition on a row's value.
#[derive(Clone, Debug)]
pub(crate) enum RowAttr {
    /// `value_as_number` compared.
    Number(Cmp<f64>),
    /// `value_as_concept_id` among the (sorted) concepts.
    ValueConcept(Vec<i32>),
    /// `value_source_concept_id` among the (sorted) concepts.
    ValueSource(Vec<i32>),
    /// `value_as_number` compared, or the value concept (`value_source_concept_id` when
    /// `source`) among the (sorted) concepts.
    NumberOr { number: Cmp<f64>, concepts: Vec<i32>, source: bool },
    /// `value_as_number` not null.
    HasNumber,
}

/// A person-level criterion.
#[derive(Debug)]
pub(crate) enum PersonCriterion {
    /// Any of the ages (each a parameter's attribute).
    Age(Vec<(AgeAt, Cmp<f64>)>),
    Gender(i32),
    Sex(i32),
    Race(i32),
    Ethnicity(i32),
    Deceased,
    Flag(Flag),
    /// Extension: mean daily steps compared.
    Steps(Vec<Cmp<f64>>),
}

/// The date an age is computed at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AgeAt {
    /// Today (deceased persons excluded).
    Today,
    /// The CDR date, the latest event (deceased persons excluded).
    Cdr,
    /// The consent date.
    Consent,
}

/// An item's modifiers, the first of each name (they apply in the spec's order whatever the
/// list order).
#[derive(Debug, Default)]
pub(crate) struct Modifiers {
    pub age: Option<Cmp<f64>>,
    pub date: Option<Cmp<i32>>,
    /// The visit concept the first ENCOUNTERS operand names.
    pub encounter: Option<i32>,
    pub occurrences: Option<Cmp<f64>>,
}

impl Modifiers {
    /// Whether any row-level modifier is present.
    pub fn filters_rows(&self) -> bool {
        self.age.is_some() || self.date.is_some() || self.encounter.is_some()
    }
}

/// An operator with its operands.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cmp<T> {
    Eq(T),
    Ne(T),
    Lt(T),
    Gt(T),
    Le(T),
    Ge(T),
    In(Vec<T>),
    Between(T, T),
}

impl<T: PartialOrd + Copy> Cmp<T> {
    /// Whether `x` satisfies the comparison (callers never pass a null).
    pub fn test(&self, x: T) -> bool {
        match self {
            Cmp::Eq(v) => x == *v,
            Cmp::Ne(v) => x != *v,
            Cmp::Lt(v) => x < *v,
            Cmp::Gt(v) => x > *v,
            Cmp::Le(v) => x <= *v,
            Cmp::Ge(v) => x >= *v,
            Cmp::In(vs) => vs.contains(&x),
            Cmp::Between(lo, hi) => x >= *lo && x <= *hi,
        }
    }

    /// The operands, in order.
    pub(super) fn values(&self) -> Vec<T> {
        match self {
            Cmp::Eq(v) | Cmp::Ne(v) | Cmp::Lt(v) | Cmp::Gt(v) | Cmp::Le(v) | Cmp::Ge(v) => vec![*v],
            Cmp::In(vs) => vs.clone(),
            Cmp::Between(lo, hi) => vec![*lo, *hi],
        }
    }
}
