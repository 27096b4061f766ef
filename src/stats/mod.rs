//! Statistics of a cohort or a concept — the Data Browser's and the Cohort Builder's tables
//! (demographics, ages, Age × Sex, top concepts, value histograms, survey answers, Fitbit,
//! record sources) — as raw [`TallyTable`]s of [`Tally`] cells. They leave the crate only through
//! [`Policy::disclose_table`](crate::privacy::Policy::disclose_table).
//!
//! Every cell counts distinct persons of the scope. Categorical rows are ordered by label (known
//! concepts first, then "No matching concept", "Not recorded" and concepts missing from the
//! vocabulary), never by raw count, so the order reveals nothing the disclosed numbers do not;
//! the top concepts are a ranking ([`TallyTable::rank`]) that the policy orders by the
//! disclosed counts.
//! The rules of each table are on [`StatRequest`] and in docs/statistics.md.
//!
//! One file per family: `demographics` (sex, gender, race, ethnicity, ages), `concepts` (top
//! concepts, measurement values, record sources), `survey`, `fitbit`; `bins` the histogram bins;
//! `data_browser` the public Data Browser's own statistics, computed its way.

mod bins;
mod concepts;
mod data_browser;
mod demographics;
mod fitbit;
mod survey;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use std::cell::OnceCell;
use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use serde::Deserialize;

pub(crate) use data_browser::concepts_with_participants;
pub use data_browser::{
    DataBrowserConcept, DataBrowserRequest, EhrDomain, FitbitBreakdown, FitbitTile, SurveyBreakdown,
    has_survey_versions,
};

use crate::cohort::Cohort;
use crate::columns::NULL_I32;
use crate::index::{Dense, Index};
use crate::privacy::{PercentOf, Tally, TallyRow, TallyTable};
use crate::vocab::Vocab;

/// Whose statistics.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// The persons of a cohort.
    Cohort(&'a Cohort),
    /// The persons with a record of the concept or of one of its descendants, in any concept
    /// column (standard, source, survey answer) or as a demographic concept — the persons the
    /// Data Browser counts for a concept.
    Concept(i32),
    /// Every person of the dataset: the population the Data Browser's statistics describe.
    Dataset,
}

/// Which statistic to compute (JSON: `{"kind": "age", "bands": "dataBrowser", "at": "now"}`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum StatRequest {
    /// Persons by `sex_at_birth_concept_id`; by `gender_concept_id`, titled "Gender", in a
    /// dataset that records no sex at birth (an OMOP export without All of Us's column).
    SexAtBirth,
    /// Persons by `gender_concept_id`.
    Gender,
    /// Persons by `race_concept_id`.
    Race,
    /// Persons by `ethnicity_concept_id`.
    Ethnicity,
    /// Persons by age band, plus "Under 18" and "Unknown" (no date of birth or no event date)
    /// rows when not empty: the rows partition the scope.
    Age {
        /// The bands.
        bands: AgeBands,
        /// Age now (at the dataset's reference date) or at the concept's first occurrence.
        #[serde(default)]
        at: AgeAt,
    },
    /// Persons by age band × sex at birth (every combination, zeros included); × gender, so
    /// labelled, in a dataset that records no sex at birth (as [`StatRequest::SexAtBirth`]).
    AgeBySex {
        /// The bands.
        bands: AgeBands,
        /// As for [`StatRequest::Age`].
        #[serde(default)]
        at: AgeAt,
    },
    /// Persons by age band × `gender_concept_id` (every combination, zeros included).
    AgeByGender {
        /// The bands.
        bands: AgeBands,
        /// As for [`StatRequest::Age`].
        #[serde(default)]
        at: AgeAt,
    },
    /// The `limit` standard concepts of a domain with most persons in scope, ranked by their
    /// disclosed counts under the policy, then by name (the raw table holds every concept with
    /// persons in scope, by name); the total is the scope.
    TopConcepts {
        /// CONDITION, DRUG, PROCEDURE, MEASUREMENT, OBSERVATION, DEVICE, VISIT or
        /// PHYSICAL_MEASUREMENT.
        domain: String,
        /// Most rows, 1–1,000.
        limit: usize,
    },
    /// Histogram of `value_as_number` of a measurement (and its descendants) per unit; a person
    /// counts in every bin one of their values falls in; the total is the persons in scope with
    /// a value.
    MeasurementValues {
        /// The measurement concept.
        concept_id: i32,
    },
    /// Persons by answer (`value_source_concept_id`) to a survey question; the total is the
    /// persons in scope who took the question's survey, and "Did not answer" is the rest.
    SurveyAnswers {
        /// The question concept (`observation_source_concept_id`).
        question_concept_id: i32,
    },
    /// Persons with Fitbit data by mean daily steps.
    FitbitSteps,
    /// Persons with an `activity_summary` row per calendar month ("2021-03"), every month from
    /// the scope's first to its last (zeros included); the total is the scope's persons with
    /// any `activity_summary` row.
    FitbitMonthly,
    /// Persons in scope with a record of the concept (or a descendant), per table.
    RecordSources {
        /// The concept.
        concept_id: i32,
    },
    /// A statistic of the public Data Browser, computed its way:
    /// `{"kind": "dataBrowser", "chart": "age", "domain": "condition", "conceptId": 201826}`
    /// ([`DataBrowserRequest`]).
    DataBrowser(DataBrowserRequest),
}

/// Age bands: the Data Browser's or the Cohort Builder's.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum AgeBands {
    /// 18–29, 30–39, …, 80–89, 90+ (the Data Browser's "89+" means over 89).
    DataBrowser,
    /// 18–44, 45–64, 65+.
    CohortBuilder,
}

/// When ages are taken.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum AgeAt {
    /// At the dataset's reference date.
    #[default]
    Now,
    /// At the first occurrence of the scope's concept (concept scopes only).
    Event,
}

impl StatRequest {
    /// Whether the statistic reads only the `person` table (and the vocabulary), so that server
    /// mode, which loads no event, computes it as the full mode does.
    pub fn reads_persons_only(&self) -> bool {
        match self {
            StatRequest::SexAtBirth | StatRequest::Gender | StatRequest::Race | StatRequest::Ethnicity => {
                true
            }
            StatRequest::Age { at, .. }
            | StatRequest::AgeBySex { at, .. }
            | StatRequest::AgeByGender { at, .. } => *at == AgeAt::Now,
            _ => false,
        }
    }
}

impl AgeBands {
    /// Each band's lowest age and label; a band ends where the next begins.
    fn bands(self) -> &'static [(i32, &'static str)] {
        match self {
            AgeBands::DataBrowser => &[
                (18, "18–29"),
                (30, "30–39"),
                (40, "40–49"),
                (50, "50–59"),
                (60, "60–69"),
                (70, "70–79"),
                (80, "80–89"),
                (90, "90+"),
            ],
            AgeBands::CohortBuilder => &[(18, "18–44"), (45, "45–64"), (65, "65+")],
        }
    }
}

/// Why a statistic could not be computed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StatError {
    /// A statistic names a concept the vocabulary lacks.
    #[error("concept {0} is not in the dataset's vocabulary; search concepts to find its id")]
    UnknownConcept(i32),
    /// A statistic cannot be computed as asked (the message says what to ask instead).
    #[error("{0}")]
    Statistic(String),
}

/// The raw statistics table `request` asks for, over the persons of `scope`. Fails on an
/// unknown concept, an unknown domain, a bad limit, or age at event for a cohort.
pub(crate) fn compute(
    vocab: &Vocab,
    index: &Index,
    scope: &Scope<'_>,
    request: &StatRequest,
) -> Result<TallyTable, StatError> {
    Stats::new(vocab, index, scope)?.compute(request)
}

/// The raw tables of several requests over one scope, in order: what every request of a
/// domain's Data Browser charts shares (the domain's rows, its participants) is computed once.
pub(crate) fn compute_all(
    vocab: &Vocab,
    index: &Index,
    scope: &Scope<'_>,
    requests: &[StatRequest],
) -> Result<Vec<TallyTable>, StatError> {
    let s = Stats::new(vocab, index, scope)?;
    requests.iter().map(|request| s.compute(request)).collect()
}

/// A row label and whether it names no known concept (such rows sort last).
type Label = (bool, String);

/// The label of a concept value: its name, or what its absence means.
fn concept_label(vocab: &Vocab, c: i32) -> Label {
    match c {
        NULL_I32 => (true, "Not recorded".to_owned()),
        0 => (true, "No matching concept".to_owned()),
        _ => match vocab.concept(c) {
            Some(concept) => (false, concept.name.clone()),
            None => (true, format!("Concept {c} (not in the vocabulary)")),
        },
    }
}

/// The label of a unit concept: its UCUM code (e.g. `mg/dL`) when it has one, else its name.
fn unit_label(vocab: &Vocab, u: i32) -> Label {
    match vocab.concept(u) {
        _ if u == NULL_I32 || u == 0 => (true, "No unit".to_owned()),
        Some(c) if c.domain == "Unit" && !c.code.is_empty() => (false, c.code.clone()),
        _ => concept_label(vocab, u),
    }
}

/// A concept and its descendants, sorted; an error when the vocabulary lacks it.
fn concept_set(vocab: &Vocab, id: i32) -> Result<Vec<i32>, StatError> {
    vocab.concept(id).ok_or(StatError::UnknownConcept(id))?;
    let mut set = vec![id];
    set.extend_from_slice(vocab.descendants(id));
    set.sort_unstable();
    set.dedup();
    Ok(set)
}

/// Sorted, deduplicated person ordinals.
fn distinct(mut persons: Vec<u32>) -> Vec<u32> {
    persons.sort_unstable();
    persons.dedup();
    persons
}

/// The statistics of one scope.
struct Stats<'a> {
    vocab: &'a Vocab,
    index: &'a Index,
    /// The scope's persons.
    persons: RoaringBitmap,
    /// The same set, for membership tests in row scans.
    member: Dense,
    /// The concept set of a concept scope.
    concepts: Option<Vec<i32>>,
    /// Each EHR domain's Data Browser view and its participants in scope, built when first
    /// asked for (by [`EhrDomain`] order).
    ehr: [OnceCell<data_browser::DomainView<'a>>; 5],
    /// Each person's states (the Data Browser's Location charts), built when first asked for.
    locations: OnceCell<data_browser::Locations>,
}

impl<'a> Stats<'a> {
    fn new(vocab: &'a Vocab, index: &'a Index, scope: &Scope<'_>) -> Result<Stats<'a>, StatError> {
        let (persons, concepts) = match scope {
            Scope::Cohort(cohort) => (cohort.persons().clone(), None),
            Scope::Concept(id) => {
                let set = concept_set(vocab, *id)?;
                (index.concept_persons(&set).to_roaring(), Some(set))
            }
            Scope::Dataset => ((0..index.persons.len() as u32).collect(), None),
        };
        let mut member = Dense::new(index.persons.len());
        persons.iter().for_each(|p| member.insert(p));
        Ok(Stats {
            vocab,
            index,
            persons,
            member,
            concepts,
            ehr: Default::default(),
            locations: OnceCell::new(),
        })
    }

    /// The raw table of `request` over this scope.
    fn compute(&self, request: &StatRequest) -> Result<TallyTable, StatError> {
        let persons = &self.index.persons;
        Ok(match request {
            StatRequest::SexAtBirth if !self.records_sex_at_birth() => {
                self.demographic("gender", "Gender", &persons.gender)
            }
            StatRequest::SexAtBirth => {
                self.demographic("sex_at_birth", "Sex assigned at birth", &persons.sex)
            }
            StatRequest::Gender => self.demographic("gender", "Gender identity", &persons.gender),
            StatRequest::Race => self.demographic("race", "Race", &persons.race),
            StatRequest::Ethnicity => self.demographic("ethnicity", "Ethnicity", &persons.ethnicity),
            StatRequest::Age { bands, at } => self.age(*bands, *at)?,
            StatRequest::AgeBySex { bands, at } if self.records_sex_at_birth() => {
                self.age_by_sex(*bands, *at)?
            }
            StatRequest::AgeBySex { bands, at } | StatRequest::AgeByGender { bands, at } => {
                self.age_by_gender(*bands, *at)?
            }
            StatRequest::TopConcepts { domain, limit } => self.top_concepts(domain, *limit)?,
            StatRequest::MeasurementValues { concept_id } => self.measurement_values(*concept_id)?,
            StatRequest::SurveyAnswers { question_concept_id } => {
                self.survey_answers(*question_concept_id)?
            }
            StatRequest::FitbitSteps => self.fitbit_steps(),
            StatRequest::FitbitMonthly => self.fitbit_monthly(),
            StatRequest::RecordSources { concept_id } => self.record_sources(*concept_id)?,
            StatRequest::DataBrowser(request) => self.data_browser(request)?,
        })
    }

    fn tally(&self, persons: impl IntoIterator<Item = u32>) -> Tally {
        Tally::of(persons, &self.index.persons.keys)
    }

    fn table(
        &self,
        name: &str,
        title: String,
        dimensions: &[&str],
        rows: Vec<TallyRow>,
        total: Tally,
    ) -> TallyTable {
        TallyTable {
            name: name.to_owned(),
            title,
            dimensions: dimensions.iter().map(|d| (*d).to_owned()).collect(),
            rows,
            total,
            remainder: None,
            rank: None,
            percent_of: PercentOf::Total,
        }
    }

    /// Rows of persons grouped by label, known concepts first, each group by name.
    fn grouped(&self, groups: BTreeMap<Label, Vec<u32>>) -> Vec<TallyRow> {
        groups
            .into_iter()
            .map(|((_, label), persons)| TallyRow {
                labels: vec![label],
                tally: self.tally(distinct(persons)),
                of: None,
            })
            .collect()
    }
}
