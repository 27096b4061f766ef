//! The cohort engine: All of Us Cohort Builder definitions ([`definition`]) checked against the
//! dataset (validation with JSON paths) and evaluated on an index of person bitmaps built once
//! per store, with the semantics of docs/cohort-semantics.md. A [`Cohort`] holds the person set
//! (crate-internal) and the per-group and per-item counts, which leave only as
//! [`Disclosed`](crate::privacy::Disclosed) values — raw counts exist only natively.

pub mod definition;

mod date;
mod eval;
mod index;
mod validate;

// The tests read raw counts, which exist only natively.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use std::fmt;

use roaring::RoaringBitmap;
use serde::Serialize;
use serde_json::Value;

use crate::columns::ColumnError;
use crate::privacy::{Disclosed, Policy, Tally};
use crate::store::{Store, Table};
use crate::vocab::{ConceptHit, ConceptQuery, PersonCounts, Vocab, VocabError};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

pub use definition::CohortDefinition;
pub(crate) use index::{Index, Tab};

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

/// Why a cohort could not be built or evaluated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CohortError {
    /// The definition has problems (every one of them).
    #[error("the cohort definition is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))]
    Invalid(Vec<ValidationError>),
    /// A table the index reads lacks a column or has the wrong type.
    #[error(transparent)]
    Column(#[from] ColumnError),
    /// The vocabulary could not be built or searched.
    #[error(transparent)]
    Vocab(#[from] VocabError),
    /// The dataset's reference date is not a date.
    #[error("the dataset's reference date {0:?} is not a YYYY-MM-DD date; fix referenceDate in the manifest")]
    ReferenceDate(String),
    /// A statistic names a concept the vocabulary lacks.
    #[error("concept {0} is not in the dataset's vocabulary; search concepts to find its id")]
    UnknownConcept(i32),
    /// A statistic cannot be computed as asked (the message says what to ask instead).
    #[error("{0}")]
    Statistic(String),
    /// Memory ran out while the index was built.
    #[error(
        "the dataset needs more memory than the browser gives WebAssembly (4 GiB); load fewer tables or a smaller dataset"
    )]
    OutOfMemory,
}

impl CohortError {
    /// Stable machine-readable code, surfaced to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            CohortError::Invalid(_) => "invalid_definition",
            CohortError::Column(_) => "bad_column",
            CohortError::Vocab(VocabError::UnknownDomain(_)) => "invalid_option",
            CohortError::Vocab(_) => "bad_column",
            CohortError::ReferenceDate(_) => "bad_reference_date",
            CohortError::UnknownConcept(_) => "unknown_concept",
            CohortError::Statistic(_) => "invalid_statistic",
            CohortError::OutOfMemory => "out_of_memory",
        }
    }
}

impl From<Vec<ValidationError>> for CohortError {
    fn from(errors: Vec<ValidationError>) -> Self {
        CohortError::Invalid(errors)
    }
}

impl From<ValidationError> for CohortError {
    fn from(error: ValidationError) -> Self {
        CohortError::Invalid(vec![error])
    }
}

/// A dataset ready for cohort queries: its vocabulary and its cohort index.
#[derive(Debug)]
pub struct Engine {
    vocab: Vocab,
    index: index::Index,
}

impl Engine {
    /// Builds the vocabulary and the index from the store's tables (absent tables are empty),
    /// through an [`EngineBuilder`] fed in [`load_order`]. `reference_date` (`YYYY-MM-DD`,
    /// the dataset's CDR date) is where current ages are computed; without it, the latest
    /// event date.
    pub fn build(store: &Store, reference_date: Option<&str>) -> Result<Engine, CohortError> {
        let mut names: Vec<&str> = store.tables().map(Table::name).collect();
        load_order(&mut names);
        let mut builder = EngineBuilder::new(names.iter().copied(), reference_date);
        for t in names.iter().filter_map(|n| store.table(n)) {
            builder.begin_table(t.name(), Some(t.rows()))?;
            builder.push(t.batches().to_vec())?;
            builder.end_table(t.schema())?;
        }
        builder.finish()
    }

    /// The dataset's vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The cohort index (for the statistics).
    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    /// Checks a definition without evaluating it: every problem, with its JSON path.
    pub fn validate(&self, definition: &CohortDefinition) -> Result<(), Vec<ValidationError>> {
        validate::validate(definition, &self.vocab).map(|_| ())
    }

    /// Validates and evaluates a definition.
    pub fn cohort(&self, definition: &CohortDefinition) -> Result<Cohort, CohortError> {
        let plan = validate::validate(definition, &self.vocab)?;
        Ok(eval::evaluate(&self.index, &plan))
    }

    /// Searches concepts (see [`Vocab::search`]), with disclosed person counts.
    pub fn search_concepts(
        &self,
        query: &ConceptQuery,
        policy: Policy,
    ) -> Result<Vec<ConceptHit>, CohortError> {
        Ok(self.vocab.search(query, &self.index, policy)?)
    }
}

/// Builds an [`Engine`] from tables fed record batch by record batch as they arrive (the
/// browser streams each table into it and drops every batch once absorbed; natively
/// [`Engine::build`] feeds it a [`Store`]). Per table: [`begin_table`](Self::begin_table),
/// any number of [`push`](Self::push)es, [`end_table`](Self::end_table); then
/// [`finish`](Self::finish). Tables are best fed in [`load_order`]; a table fed before one it
/// refers to is held until that one has ended.
///
/// A table whose columns the index cannot read makes [`finish`](Self::finish) fail, after
/// which the rest is ignored (the caller may go on loading); only running out of memory fails
/// a call at once ([`CohortError::OutOfMemory`]).
pub struct EngineBuilder {
    vocab: Vocab,
    index: index::IndexBuilder,
    reference_date: Option<String>,
    /// Whether the current table goes to the vocabulary.
    vocabulary: Option<String>,
    /// The first error met: the engine will not be built.
    error: Option<CohortError>,
}

impl EngineBuilder {
    /// A builder that will be fed `tables` (see [`Engine::build`] for `reference_date`).
    pub fn new<'a>(tables: impl IntoIterator<Item = &'a str>, reference_date: Option<&str>) -> EngineBuilder {
        EngineBuilder {
            vocab: Vocab::default(),
            index: index::IndexBuilder::new(tables),
            reference_date: reference_date.map(str::to_owned),
            vocabulary: None,
            error: None,
        }
    }

    /// Keeps the first data error; returns an out-of-memory error at once.
    fn check(&mut self, result: Result<(), CohortError>) -> Result<(), CohortError> {
        match result {
            Err(CohortError::OutOfMemory) => Err(CohortError::OutOfMemory),
            Err(e) => {
                self.error.get_or_insert(e);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    /// Starts table `name`, of `rows` rows if known (the index reserves exactly that room).
    pub fn begin_table(&mut self, name: &str, rows: Option<usize>) -> Result<(), CohortError> {
        self.vocabulary = Vocab::reads(name).then(|| name.to_owned());
        if self.error.is_some() || self.vocabulary.is_some() {
            return Ok(());
        }
        let result = self.index.begin(name, rows);
        self.check(result)
    }

    /// Absorbs record batches of the current table; they may be dropped afterwards.
    pub fn push(&mut self, batches: Vec<RecordBatch>) -> Result<(), CohortError> {
        if self.error.is_some() || batches.is_empty() {
            return Ok(());
        }
        let result = match &self.vocabulary {
            Some(name) => {
                let piece = Table::new(name.clone(), batches[0].schema(), batches);
                self.vocab.absorb(&piece).map_err(CohortError::from)
            }
            None => self.index.push(batches),
        };
        self.check(result)
    }

    /// Ends the current table, whose stream had `schema`.
    pub fn end_table(&mut self, schema: &SchemaRef) -> Result<(), CohortError> {
        if self.error.is_some() {
            return Ok(());
        }
        let result = match self.vocabulary.take() {
            // The columns of a table without rows are checked too.
            Some(name) => {
                self.vocab.absorb(&Table::new(name, schema.clone(), Vec::new())).map_err(Into::into)
            }
            None => self.index.end(schema),
        };
        self.check(result)
    }

    /// The engine, or the first error met.
    pub fn finish(mut self) -> Result<Engine, CohortError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.vocab.finish();
        Ok(Engine { vocab: self.vocab, index: self.index.finish(self.reference_date.as_deref())? })
    }
}

/// Sorts table names into the order an [`EngineBuilder`] absorbs best: vocabulary, `person`,
/// `observation_period`, `visit_occurrence`, the event tables largest first, Fitbit, the rest
/// (stable otherwise).
pub fn load_order<S: AsRef<str>>(tables: &mut [S]) {
    tables.sort_by_key(|t| index::load_rank(t.as_ref()));
}

/// Whether cohorts, concept search and statistics read `column` of `table` (a loader may skip
/// the others).
pub fn uses_column(table: &str, column: &str) -> bool {
    index::uses_column(table, column)
}

impl PersonCounts for index::Index {
    fn persons(&self, concepts: &[i32]) -> Tally {
        Tally::of(self.concept_persons(concepts).ordinals(), &self.persons.keys)
    }
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
pub struct GroupPreview {
    /// The group's `id` as given.
    pub id: Value,
    /// Its persons.
    pub count: Disclosed,
    /// Its items.
    pub items: Vec<ItemPreview>,
}

/// One item's disclosed count.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ItemPreview {
    /// The item's `id` as given.
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
    pub id: Value,
    /// Its persons.
    pub count: u64,
}

/// A dense person set (one bit per person ordinal): the evaluator's scratch sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dense {
    words: Vec<u64>,
}

impl Dense {
    /// The empty set over `n` persons.
    pub(crate) fn new(n: usize) -> Dense {
        Dense { words: vec![0; n.div_ceil(64)] }
    }

    /// Adds person `p` (ignored when out of range).
    #[inline]
    pub(crate) fn insert(&mut self, p: u32) {
        if let Some(w) = self.words.get_mut(p as usize / 64) {
            *w |= 1 << (p % 64);
        }
    }

    /// Whether person `p` is in the set.
    #[inline]
    pub(crate) fn contains(&self, p: u32) -> bool {
        self.words.get(p as usize / 64).is_some_and(|w| w >> (p % 64) & 1 == 1)
    }

    /// Adds every person of `other`.
    pub(crate) fn union_with(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    /// Keeps the persons also in `other`.
    pub(crate) fn intersect_with(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    /// Removes the persons of `other`.
    pub(crate) fn subtract(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= !b);
    }

    /// The persons in the set, in ordinal order.
    pub(crate) fn ordinals(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    i as u32 * 64 + b
                })
            })
        })
    }

    /// The set as a roaring bitmap.
    pub(crate) fn to_roaring(&self) -> RoaringBitmap {
        let bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        RoaringBitmap::from_lsb0_bytes(0, &bytes)
    }
}
