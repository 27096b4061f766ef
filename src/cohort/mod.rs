//! Cohorts: All of Us Cohort Builder definitions ([`definition`]) checked against the
//! vocabulary into a plan (`validate` the structure, `checks` each domain's parameters, `plan`
//! the result) and evaluated on the index (`eval`), with the semantics of
//! docs/cohort-semantics.md. A [`Cohort`] holds the person set (crate-internal) and the
//! per-group and per-item counts, which leave only as [`Disclosed`] values — raw counts exist
//! only natively.

mod checks;
pub mod definition;
mod eval;
pub(crate) mod plan;
mod validate;

// The tests read raw counts, which exist only natively.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use std::fmt;

use roaring::RoaringBitmap;
use serde::Serialize;
use serde_json::Value;

use crate::index::Index;
use crate::privacy::{Disclosed, Policy, Tally};
use crate::vocab::Vocab;

pub use definition::CohortDefinition;
pub(crate) use plan::Plan;

/// One problem of a definition: where (a JSON path) and what is wrong and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// JSON path, e.g. `includes[0].items[1].searchParameters[0].conceptId`.
    pub path: String,
    /// What is wrong; what to do.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Checks `definition` against the vocabulary: its plan, or every problem with its JSON path.
pub(crate) fn plan(definition: &CohortDefinition, vocab: &Vocab) -> Result<Plan, Vec<ValidationError>> {
    validate::validate(definition, vocab)
}

/// Evaluates a checked plan on the index.
pub(crate) fn evaluate(index: &Index, plan: &Plan) -> Cohort {
    eval::evaluate(index, plan)
}

/// The count of one group, with its items' counts (before intersection).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupCount {
    id: Value,
    count: Tally,
    items: Vec<ItemCount>,
}

/// The count of one item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ItemCount {
    id: Value,
    count: Tally,
}

/// An evaluated cohort: its persons and its counts.
#[derive(Clone, Debug)]
pub struct Cohort {
    persons: RoaringBitmap,
    total: Tally,
    includes: Vec<GroupCount>,
    excludes: Vec<GroupCount>,
}

impl Cohort {
    /// The cohort of a person set computed elsewhere (server mode): no group or item counts.
    pub(crate) fn of_persons(persons: RoaringBitmap, keys: &crate::privacy::PersonKeys) -> Cohort {
        let total = Tally::of(persons.iter(), keys);
        Cohort { persons, total, includes: Vec::new(), excludes: Vec::new() }
    }

    /// The cohort's persons as ordinals of the `person` table (never leaves the crate).
    pub(crate) fn persons(&self) -> &RoaringBitmap {
        &self.persons
    }

    /// The number of persons, disclosed.
    pub fn count(&self, policy: Policy) -> Disclosed {
        policy.disclose(self.total)
    }

    /// The counts the builder previews: the total and each group's and item's, disclosed.
    pub fn preview(&self, policy: Policy) -> Preview {
        let groups = |gs: &[GroupCount]| -> Vec<GroupPreview> {
            gs.iter()
                .map(|g| GroupPreview {
                    id: g.id.clone(),
                    count: policy.disclose(g.count),
                    items: g
                        .items
                        .iter()
                        .map(|i| ItemPreview { id: i.id.clone(), count: policy.disclose(i.count) })
                        .collect(),
                })
                .collect()
        };
        Preview {
            total: self.count(policy),
            includes: groups(&self.includes),
            excludes: groups(&self.excludes),
        }
    }

    /// The exact counts (native only: raw counts never reach JavaScript).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn raw(&self) -> RawCounts {
        let groups = |gs: &[GroupCount]| -> Vec<RawGroup> {
            gs.iter()
                .map(|g| RawGroup {
                    id: g.id.clone(),
                    count: g.count.raw(),
                    items: g
                        .items
                        .iter()
                        .map(|i| RawItem { id: i.id.clone(), count: i.count.raw() })
                        .collect(),
                })
                .collect()
        };
        RawCounts {
            total: self.total.raw(),
            includes: groups(&self.includes),
            excludes: groups(&self.excludes),
        }
    }
}

/// The builder's live preview: disclosed counts of the cohort, its groups and their items.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Preview {
    /// The cohort.
    pub total: Disclosed,
    /// Include groups, in order.
    pub includes: Vec<GroupPreview>,
    /// Exclude groups, in order.
    pub excludes: Vec<GroupPreview>,
}

/// One group's disclosed count.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct GroupPreview {
    /// The group's `id` as given.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | number | null"))]
    pub id: Value,
    /// Its persons.
    pub count: Disclosed,
    /// Its items.
    pub items: Vec<ItemPreview>,
}

/// One item's disclosed count.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ItemPreview {
    /// The item's `id` as given.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | number | null"))]
    pub id: Value,
    /// Its persons.
    pub count: Disclosed,
}

/// Exact counts for the operator (native only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RawCounts {
    /// Persons in the cohort.
    pub total: u64,
    /// Include groups.
    pub includes: Vec<RawGroup>,
    /// Exclude groups.
    pub excludes: Vec<RawGroup>,
}

/// One group's exact count (native only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RawGroup {
    /// The group's `id` as given.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | number | null"))]
    pub id: Value,
    /// Its persons.
    pub count: u64,
    /// Its items.
    pub items: Vec<RawItem>,
}

/// One item's exact count (native only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RawItem {
    /// The item's `id` as given.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | number | null"))]
    pub id: Value,
    /// Its persons.
    pub count: u64,
}
