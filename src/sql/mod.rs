//! SQL compilation (natively only): a Cohort Builder definition, checked by the same
//! validation as the engine ([`crate::cohort`]), compiled into one SQL query over the plain
//! OMOP tables of a dataset that returns the cohort's `person_id`s with the engine's semantics
//! (docs/cohort-semantics.md; docs/scaling.md, "SQL compilation").
//!
//! The query derives from the OMOP tables what the engine's index derives at load: ages from
//! `person` ([`criteria`]), blood-pressure pairs by `measurement_datetime`, the "has data"
//! flags, the CDR and consent dates. Concept sets are those validation resolved against the
//! dataset's vocabulary (descendants, the drug roll-up, the tables each concept makes events
//! in), written out as lists. Items, modifiers and groups, temporal ones included, are in
//! [`groups`]; what differs between SQL engines is in [`dialect`].

mod criteria;
mod dialect;
mod groups;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use dialect::Dialect;

use crate::cohort::{CohortDefinition, ValidationError};
use crate::vocab::Vocab;

/// The tables a dataset holds and their columns: the compiled query reads only these (a
/// table or column the dataset lacks has no rows or only nulls, as in the engine).
#[derive(Clone, Debug, Default)]
pub struct Tables {
    columns: BTreeMap<String, BTreeSet<String>>,
}

impl Tables {
    /// Records `table` (lower case, as datasets name them) with its column names.
    pub fn insert(&mut self, table: &str, columns: impl IntoIterator<Item = String>) {
        self.columns.entry(table.to_owned()).or_default().extend(columns);
    }

    /// Whether the dataset has `table`.
    pub fn has(&self, table: &str) -> bool {
        self.columns.contains_key(table)
    }

    /// Whether the dataset's `table` has `column`.
    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.columns.get(table).is_some_and(|c| c.contains(column))
    }
}

/// Why a definition was not compiled.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlError {
    /// The definition is invalid, or asks for what cohortlens cannot evaluate: the engine's
    /// own errors, each with its JSON path.
    Invalid(Vec<ValidationError>),
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlError::Invalid(errors) => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "{}", lines.join("\n"))
            }
        }
    }
}

impl std::error::Error for SqlError {}

/// Compiles `definition` into one `SELECT` of the cohort's `person_id`s (each once) over the
/// dataset's `tables`, after validating it against its vocabulary as the engine does.
pub fn compile(
    definition: &CohortDefinition,
    vocab: &Vocab,
    tables: &Tables,
    dialect: Dialect,
) -> Result<String, SqlError> {
    let plan = crate::cohort::plan(definition, vocab).map_err(SqlError::Invalid)?;
    Ok(groups::Compiler::new(vocab, tables, dialect).definition(&plan))
}
