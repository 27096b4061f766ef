//! The engine: the one facade over the stages. An [`Engine`] holds a dataset's vocabulary and
//! cohort index (built by an [`EngineBuilder`] as the tables stream in) and answers every
//! question — cohorts, concept search, statistics, charts — with counts disclosed under a
//! [`Policy`]; every failure is an [`EngineError`] whose [`code`](EngineError::code) JavaScript
//! sees as `error.code`.

pub mod load;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::Value;

use crate::cdm;
use crate::chart::{Chart, ChartError, ChartSpec, Data, Source, SourceScope};
use crate::cohort::{Cohort, CohortDefinition, ValidationError};
use crate::columns::ColumnError;
use crate::index::{Index, IndexBuilder, IndexError};
use crate::privacy::{Disclosed, DisclosedTable, Policy, TallyTable};
use crate::stats::{self, Scope, StatError, StatRequest};
use crate::store::{Store, Table};
use crate::vocab::{Concept, ConceptHit, ConceptQuery, Vocab, VocabError};

/// Why the engine could not be built or could not answer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EngineError {
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
    /// A chart spec is malformed or its drawing failed.
    #[error(transparent)]
    Chart(ChartError),
    /// Memory ran out while the index was built.
    #[error(
        "the dataset needs more memory than the browser gives WebAssembly (4 GiB); load fewer tables or a smaller dataset"
    )]
    OutOfMemory,
    /// An option of `Lens.open` is wrong (the message says which and what it takes).
    #[error("{0}")]
    InvalidOption(String),
    /// A table asked for is not in the dataset.
    #[error("{0}")]
    UnknownTable(String),
    /// The server asks for an access token.
    #[error("{0}")]
    Unauthorized(String),
    /// The token does not allow the request.
    #[error("{0}")]
    Forbidden(String),
    /// The server answered with another HTTP error.
    #[error("{0}")]
    Http(String),
    /// In server mode the browser holds no event: the question needs the event tables (the
    /// message says what was asked and what to do).
    #[error("{0}")]
    ServerMode(String),
    /// The server could not compute a cohort (its SQL cannot express the definition).
    #[error("{0}")]
    NotExpressible(String),
    /// The server's answer does not fit the dataset the browser loaded.
    #[error("{0}")]
    DatasetMismatch(String),
}

impl EngineError {
    /// Stable machine-readable code, surfaced to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Invalid(_) => "invalid_definition",
            EngineError::Column(_) => "bad_column",
            EngineError::Vocab(VocabError::UnknownDomain(_)) => "invalid_option",
            EngineError::Vocab(_) => "bad_column",
            EngineError::ReferenceDate(_) => "bad_reference_date",
            EngineError::UnknownConcept(_) => "unknown_concept",
            EngineError::Statistic(_) => "invalid_statistic",
            EngineError::Chart(e) => e.code(),
            EngineError::OutOfMemory => "out_of_memory",
            EngineError::InvalidOption(_) => "invalid_option",
            EngineError::UnknownTable(_) => "unknown_table",
            EngineError::Unauthorized(_) => "unauthorized",
            EngineError::Forbidden(_) => "forbidden",
            EngineError::Http(_) => "http",
            EngineError::ServerMode(_) => "server_mode",
            EngineError::NotExpressible(_) => "not_expressible",
            EngineError::DatasetMismatch(_) => "dataset_mismatch",
        }
    }
}

impl From<Vec<ValidationError>> for EngineError {
    fn from(errors: Vec<ValidationError>) -> Self {
        EngineError::Invalid(errors)
    }
}

impl From<ValidationError> for EngineError {
    fn from(error: ValidationError) -> Self {
        EngineError::Invalid(vec![error])
    }
}

impl From<IndexError> for EngineError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Column(e) => EngineError::Column(e),
            IndexError::ReferenceDate(d) => EngineError::ReferenceDate(d),
            IndexError::OutOfMemory => EngineError::OutOfMemory,
        }
    }
}

impl From<StatError> for EngineError {
    fn from(error: StatError) -> Self {
        match error {
            StatError::UnknownConcept(id) => EngineError::UnknownConcept(id),
            StatError::Statistic(m) => EngineError::Statistic(m),
        }
    }
}

impl From<ChartError> for EngineError {
    fn from(error: ChartError) -> Self {
        EngineError::Chart(error)
    }
}

/// A dataset ready for questions: its vocabulary and its cohort index.
#[derive(Debug)]
pub struct Engine {
    vocab: Vocab,
    index: Index,
    /// Built for server mode ([`Engine::into_server_mode`]): no event tables were loaded.
    server_mode: bool,
}

/// The refusal of a question that needs the event tables, in server mode.
fn needs_events(what: &str) -> EngineError {
    EngineError::ServerMode(format!(
        "{what} needs the event tables, which stay on the server in server mode; open the dataset with \
         mode: 'full' to ask it in the browser"
    ))
}

impl Engine {
    /// Builds the vocabulary and the index from the store's tables (absent tables are empty),
    /// through an [`EngineBuilder`] fed in [`cdm::load_order`]. `reference_date` (`YYYY-MM-DD`,
    /// the dataset's CDR date) is where current ages are computed; without it, the latest
    /// event date.
    pub fn build(store: &Store, reference_date: Option<&str>) -> Result<Engine, EngineError> {
        let mut names: Vec<&str> = store.tables().map(Table::name).collect();
        cdm::load_order(&mut names);
        let mut builder = EngineBuilder::new(names.iter().copied(), reference_date);
        for t in names.iter().filter_map(|n| store.table(n)) {
            builder.begin_table(t.name(), Some(t.rows()))?;
            builder.push(t.batches().to_vec())?;
            builder.end_table(t.schema())?;
        }
        builder.finish()
    }

    /// The same engine in server mode: it was built from the person and vocabulary tables only
    /// (docs/scaling.md, "Server mode"), so it evaluates no definition itself and refuses every
    /// question that reads events; cohorts come from the server ([`Engine::cohort_of_persons`]).
    pub fn into_server_mode(self) -> Engine {
        Engine { server_mode: true, ..self }
    }

    /// Whether this engine is in server mode.
    pub fn server_mode(&self) -> bool {
        self.server_mode
    }

    /// The dataset's vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The cohort index (for the native tests).
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    /// Checks a definition without evaluating it: every problem, with its JSON path.
    pub fn validate(&self, definition: &CohortDefinition) -> Result<(), Vec<ValidationError>> {
        crate::cohort::plan(definition, &self.vocab).map(|_| ())
    }

    /// Validates and evaluates a definition.
    pub fn cohort(&self, definition: &CohortDefinition) -> Result<Cohort, EngineError> {
        let plan = crate::cohort::plan(definition, &self.vocab)?;
        if self.server_mode {
            return Err(needs_events("evaluating a cohort in the browser"));
        }
        Ok(crate::cohort::evaluate(&self.index, &plan))
    }

    /// The cohort of the persons with these `person_id`s (a server-mode answer): its count and
    /// the statistics of its persons, without group or item counts. Fails on an id the
    /// `person` table lacks (the server and the browser read different data).
    pub fn cohort_of_persons(&self, person_ids: &[i64]) -> Result<Cohort, EngineError> {
        let persons = &self.index.persons;
        let ordinals: std::collections::HashMap<i64, u32> =
            persons.ids.iter().enumerate().map(|(p, &id)| (id, p as u32)).collect();
        let mut set = roaring::RoaringBitmap::new();
        for id in person_ids {
            let p = ordinals.get(id).ok_or_else(|| {
                EngineError::DatasetMismatch(format!(
                    "the server answered with person {id}, who is not in the person table loaded; the \
                     server's data changed since the page loaded it: reload the page"
                ))
            })?;
            set.insert(*p);
        }
        Ok(Cohort::of_persons(set, &persons.keys))
    }

    /// Searches concepts (see [`Vocab::search`]): best matches first, then most persons by the
    /// disclosed count (so the order reveals nothing the numbers do not), each hit with its
    /// disclosed person counts.
    pub fn search_concepts(
        &self,
        query: &ConceptQuery,
        policy: Policy,
    ) -> Result<Vec<ConceptHit>, EngineError> {
        if self.server_mode {
            return Err(needs_events("searching concepts with their person counts"));
        }
        let persons = |concepts: &[i32]| policy.disclose(self.index.concept_tally(concepts));
        let mut found: Vec<(u8, Disclosed, &Concept)> =
            self.vocab.search(query)?.into_iter().map(|(rank, c)| (rank, persons(&[c.id]), c)).collect();
        found.sort_by(|a, b| {
            (a.0, a.1.rank_key(), &a.2.name, a.2.id).cmp(&(b.0, b.1.rank_key(), &b.2.name, b.2.id))
        });
        Ok(found
            .into_iter()
            .take(query.limit())
            .map(|(_, count, c)| {
                let mut all = vec![c.id];
                all.extend_from_slice(self.vocab.descendants(c.id));
                self.vocab.hit(c, count, persons(&all))
            })
            .collect())
    }

    /// The raw statistics table `request` asks for, over the persons of `scope` (native
    /// callers disclose it; see [`Engine::disclosed_statistics`]). Fails on an unknown concept,
    /// an unknown domain, a bad limit, or age at event for a cohort.
    pub fn statistics(&self, scope: &Scope<'_>, request: &StatRequest) -> Result<TallyTable, EngineError> {
        self.can_compute(scope, request)?;
        Ok(stats::compute(&self.vocab, &self.index, scope, request)?)
    }

    /// Whether this engine holds what `request` over `scope` reads (a server-mode engine
    /// holds no event rows).
    fn can_compute(&self, scope: &Scope<'_>, request: &StatRequest) -> Result<(), EngineError> {
        if self.server_mode && (matches!(scope, Scope::Concept(_)) || !request.reads_persons_only()) {
            return Err(needs_events("this statistic"));
        }
        Ok(())
    }

    /// The concepts the Data Browser lists in `domain` (those with participants in the whole
    /// dataset), by id: the concept pages a publisher enumerates.
    pub fn data_browser_concepts(&self, domain: stats::EhrDomain) -> Vec<stats::DataBrowserConcept> {
        stats::concepts_with_participants(&self.vocab, &self.index, domain)
    }

    /// The statistics table `request` asks for over `scope`, disclosed under `policy`.
    pub fn disclosed_statistics(
        &self,
        scope: &Scope<'_>,
        request: &StatRequest,
        policy: Policy,
    ) -> Result<DisclosedTable, EngineError> {
        Ok(policy.disclose_table(&self.statistics(scope, request)?))
    }

    /// The tables of several requests over one scope, disclosed under `policy`, in order. What
    /// they share is computed once: a publisher asking for every concept page of a domain
    /// reads the domain's rows once, not once per page.
    pub fn disclosed_statistics_all(
        &self,
        scope: &Scope<'_>,
        requests: &[StatRequest],
        policy: Policy,
    ) -> Result<Vec<DisclosedTable>, EngineError> {
        for request in requests {
            self.can_compute(scope, request)?;
        }
        let tables = stats::compute_all(&self.vocab, &self.index, scope, requests)?;
        Ok(tables.iter().map(|table| policy.disclose_table(table)).collect())
    }

    /// The chart `spec` asks for: its data computed over its scope and disclosed under
    /// `policy`, or the disclosed result it carries.
    pub fn chart(&self, spec: &ChartSpec, policy: Policy) -> Result<Chart, EngineError> {
        let data = match spec.source()? {
            Source::Disclosed(data) => data,
            Source::Preview(definition) => Data::Preview(self.cohort_of(&definition)?.preview(policy)),
            Source::Statistics(request, SourceScope::Cohort(definition)) => {
                let cohort = self.cohort_of(&definition)?;
                Data::Table(self.disclosed_statistics(&Scope::Cohort(&cohort), &request, policy)?)
            }
            Source::Statistics(request, SourceScope::Concept(concept)) => {
                Data::Table(self.disclosed_statistics(&Scope::Concept(concept), &request, policy)?)
            }
            Source::Statistics(request, SourceScope::Dataset) => {
                Data::Table(self.disclosed_statistics(&Scope::Dataset, &request, policy)?)
            }
        };
        Ok(spec.chart(data)?)
    }

    /// The cohort of a definition given as JSON.
    fn cohort_of(&self, definition: &Value) -> Result<Cohort, EngineError> {
        self.cohort(&CohortDefinition::from_value(definition.clone())?)
    }
}

/// Builds an [`Engine`] from tables fed record batch by record batch as they arrive (the
/// browser streams each table into it and drops every batch once absorbed; natively
/// [`Engine::build`] feeds it a [`Store`]). Per table: [`begin_table`](Self::begin_table),
/// any number of [`push`](Self::push)es, [`end_table`](Self::end_table); then
/// [`finish`](Self::finish). Tables are best fed in [`cdm::load_order`]; a table fed before one
/// it refers to is held until that one has ended.
///
/// A table whose columns the index cannot read makes [`finish`](Self::finish) fail, after
/// which the rest is ignored (the caller may go on loading); only running out of memory fails
/// a call at once ([`EngineError::OutOfMemory`]).
pub struct EngineBuilder {
    vocab: Vocab,
    index: IndexBuilder,
    reference_date: Option<String>,
    /// Whether the current table goes to the vocabulary.
    vocabulary: Option<String>,
    /// The first error met: the engine will not be built.
    error: Option<EngineError>,
}

impl EngineBuilder {
    /// A builder that will be fed `tables` (see [`Engine::build`] for `reference_date`).
    pub fn new<'a>(tables: impl IntoIterator<Item = &'a str>, reference_date: Option<&str>) -> EngineBuilder {
        EngineBuilder {
            vocab: Vocab::default(),
            index: IndexBuilder::new(tables),
            reference_date: reference_date.map(str::to_owned),
            vocabulary: None,
            error: None,
        }
    }

    /// Keeps the first data error; returns an out-of-memory error at once.
    fn check(&mut self, result: Result<(), EngineError>) -> Result<(), EngineError> {
        match result {
            Err(EngineError::OutOfMemory) => Err(EngineError::OutOfMemory),
            Err(e) => {
                self.error.get_or_insert(e);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    /// Starts table `name`, of `rows` rows if known (the index reserves exactly that room).
    pub fn begin_table(&mut self, name: &str, rows: Option<usize>) -> Result<(), EngineError> {
        self.vocabulary = Vocab::reads(name).then(|| name.to_owned());
        if self.error.is_some() || self.vocabulary.is_some() {
            return Ok(());
        }
        let result = self.index.begin(name, rows).map_err(EngineError::from);
        self.check(result)
    }

    /// Absorbs record batches of the current table; they may be dropped afterwards.
    pub fn push(&mut self, batches: Vec<RecordBatch>) -> Result<(), EngineError> {
        if self.error.is_some() || batches.is_empty() {
            return Ok(());
        }
        let result = match &self.vocabulary {
            Some(name) => {
                let piece = Table::new(name.clone(), batches[0].schema(), batches);
                self.vocab.absorb(&piece).map_err(EngineError::from)
            }
            None => self.index.push(batches).map_err(EngineError::from),
        };
        self.check(result)
    }

    /// Ends the current table, whose stream had `schema`.
    pub fn end_table(&mut self, schema: &SchemaRef) -> Result<(), EngineError> {
        if self.error.is_some() {
            return Ok(());
        }
        let result = match self.vocabulary.take() {
            // The columns of a table without rows are checked too.
            Some(name) => {
                self.vocab.absorb(&Table::new(name, schema.clone(), Vec::new())).map_err(EngineError::from)
            }
            None => self.index.end(schema).map_err(EngineError::from),
        };
        self.check(result)
    }

    /// The engine, or the first error met.
    pub fn finish(mut self) -> Result<Engine, EngineError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.vocab.finish();
        let mut index = self.index.finish(self.reference_date.as_deref())?;
        index.set_vocabulary_flags(&self.vocab);
        Ok(Engine { vocab: self.vocab, index, server_mode: false })
    }
}
