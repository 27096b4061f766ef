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
    pub filters: Vec<DataFilter>,
    pub restrict: bool,
}

/// A `dataFilters` entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DataFilter {
    Ehr,
    PhysicalMeasurement,
}

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

/// Which events of set A a temporal group uses.
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

/// A checked item.
#[derive(Debug)]
pub(crate) struct ItemPlan {
    pub id: Value,
    pub criteria: Vec<Criterion>,
    pub mods: Modifiers,
    pub temporal_group: u8,
}

/// What one parameter selects.
#[derive(Debug)]
pub(crate) enum Criterion {
    /// Rows of `table` whose `column` concept is in `concepts` (sorted) and which satisfy
    /// every attribute; `visits` says whether the events carry the row's visit.
    Rows { table: EventTable, source: bool, concepts: Vec<i32>, attrs: Vec<RowAttr>, visits: bool },
    /// Every row of `table`.
    AllRows { table: EventTable },
    /// Systolic and diastolic rows satisfying their attributes on the same date.
    BloodPressure { systolic: Vec<RowAttr>, diastolic: Vec<RowAttr> },
    /// A person-level criterion.
    Person(PersonCriterion),
}

/// A condition on a row's value.
#[derive(Debug)]
pub(crate) enum RowAttr {
    /// `value_as_number` compared.
    Number(Cmp<f64>),
    /// `value_as_concept_id` among the (sorted) concepts.
    ValueConcept(Vec<i32>),
    /// `value_source_concept_id` among the (sorted) concepts.
    ValueSource(Vec<i32>),
}

/// A person-level criterion.
#[derive(Debug)]
pub(crate) enum PersonCriterion {
    Age(Vec<(AgeAt, Cmp<f64>)>),
    Gender(i32),
    Sex(i32),
    Race(i32),
    Ethnicity(i32),
    Deceased,
    /// Any Fitbit data; with comparisons, on the mean daily steps.
    Fitbit(Vec<Cmp<f64>>),
}

/// The date an age is computed at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AgeAt {
    Reference,
    Consent,
}

/// An item's modifiers, by kind (they apply in the spec's order whatever the list order).
#[derive(Debug, Default)]
pub(crate) struct Modifiers {
    pub age: Vec<Cmp<f64>>,
    pub date: Vec<Cmp<i32>>,
    pub encounters: Vec<Vec<i32>>,
    pub occurrences: Vec<Cmp<f64>>,
}

impl Modifiers {
    /// Whether any row-level modifier is present.
    pub fn filters_rows(&self) -> bool {
        !(self.age.is_empty() && self.date.is_empty() && self.encounters.is_empty())
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
