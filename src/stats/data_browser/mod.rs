//! The `dataBrowser` family: the statistics the public *All of Us* Data Browser shows, computed
//! its way — the count queries of `public-api/db-cdr/generate-cdr/run-achilles-queries.sh` (and
//! its siblings for measurements, surveys and Fitbit), labelled, ordered and given percentages
//! as the `chart-*-react.component.tsx` files draw them. Every rule and the query it follows are
//! in docs/statistics.md.
//!
//! One file per family: `ehr` (domain and concept counts, Sex, Age, Age + Sex), `location`
//! (participants by state), `sources` (the source concepts of a standard concept), `values`
//! (a measurement's values by unit and sex), `race_ethnicity` (the combined race/ethnicity of The
//! Basics answers), `surveys` (the surveys, their questions and their answers by sex, age and
//! age + sex), `fitbit` (the Fitbit tiles).
//!
//! Each result is a raw [`TallyTable`] disclosed by the policy like every other statistic; the
//! Data Browser's own rounding is the `aou` policy.

mod ehr;
mod fitbit;
mod location;
mod race_ethnicity;
mod sources;
mod surveys;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
mod values;

pub(crate) use ehr::DomainView;
pub use fitbit::{FitbitBreakdown, FitbitTile};
pub(crate) use location::Locations;
use serde::{Deserialize, Serialize};
pub use surveys::{SurveyBreakdown, has_survey_versions};

use super::{StatError, Stats};
use crate::cdm::EventTable;
use crate::index::Index;
use crate::privacy::TallyTable;
use crate::vocab::Vocab;

/// A Data Browser statistic: `{"kind": "dataBrowser", "chart": …, …}` as a [`StatRequest`]
/// (fields in camelCase). Computed over the persons of the scope; the Data Browser's own scope
/// is the whole dataset ([`Scope::Dataset`](super::Scope::Dataset)).
///
/// [`StatRequest`]: super::StatRequest
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "chart", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum DataBrowserRequest {
    /// Participants with a record in each EHR domain (analysis 3000, the domain's own row),
    /// then "Physical Measurements" and "Fitbit"; the total is the dataset (analysis 1). Rows
    /// in that fixed order.
    Domains,
    /// Every concept of the domain with participants (analysis 3000): a standard concept with
    /// rows in its table, or a source concept whose id is no standard concept of the table;
    /// counted exactly (no descendants). Labels: name and id; ranked by the disclosed counts.
    Concepts {
        /// The domain.
        domain: EhrDomain,
    },
    /// Participants with the concept by `gender_concept_id` (analysis 3101, labelled as the
    /// Data Browser does: Male, Female, Other, …), each row a whole percent of the domain's
    /// participants of that sex (analysis 3300).
    Sex {
        /// The domain whose table is read.
        domain: EhrDomain,
        /// The concept (standard, or an unmapped source concept).
        concept_id: i32,
    },
    /// Participants with the concept by age group at its first occurrence (analysis 3102: age
    /// `CEIL(days / 365.25)`, groups 18-29, 30-39, …, 80-89, 89+), each row a whole percent
    /// of the domain's participants with a record at that age (analysis 3301).
    Age {
        /// The domain whose table is read.
        domain: EhrDomain,
        /// The concept.
        concept_id: i32,
    },
    /// Participants with the concept by age group at each record × Male, Female, Other
    /// (analysis 3105; a participant counts in every age group they have a record in), each
    /// cell a percent (one decimal) of its age group's disclosed sum.
    AgeSex {
        /// The domain whose table is read.
        domain: EhrDomain,
        /// The concept.
        concept_id: i32,
    },
    /// Participants with the concept by the state of their answer to the PII State question
    /// (analysis 3108: a participant counts in each state they answered), states by name; the
    /// total is the participants with the concept.
    Location {
        /// The domain whose table is read.
        domain: EhrDomain,
        /// The concept.
        concept_id: i32,
    },
    /// The concepts with a `Maps to` row of `concept_relationship` to the concept (itself
    /// included) and participants as a source concept in their domain's table (analysis 3000
    /// `source_count_value`), labelled "name (VOCABULARY-CODE)"; the 10 with the largest
    /// disclosed counts, by name among equal counts. Needs a `concept_relationship` table.
    Sources {
        /// The standard concept.
        concept_id: i32,
    },
    /// The surveys (concepts of class `Module`) with participants (analysis 3000, `Survey`):
    /// persons with an answer above 0 to one of their questions; labels name and id, by id.
    Surveys,
    /// The questions of a survey (its descendants of class `Question`; not the race and
    /// ethnicity question 1586140) with participants: the persons with an answer that is not
    /// NULL nor "PMI: Skip" (analyses 3320, 3321), by id; the total is the survey's participants.
    SurveyQuestions {
        /// The survey (a `Module` concept).
        survey_concept_id: i32,
    },
    /// The version table of a survey with versions (COPE 1333342, COPE Minute 765936; any
    /// other survey: an error): per version with participants, in order, labels the version's
    /// name and its number of questions (analysis 3401: distinct questions with a row of that
    /// version, a plain number shown exactly, not a count of persons); the count is the
    /// version's participants (analysis 3400); the total is the survey's participants.
    SurveyVersions {
        /// The survey (a `Module` concept).
        survey_concept_id: i32,
    },
    /// A question's answers (analysis 3110: persons by `value_source_concept_id` above 0, then
    /// by `value_as_number` for rows with no answer concept, labelled as BigQuery writes the
    /// number), each a percent (two decimals) of the question's participants (the total); with
    /// a breakdown, every answer by sex, age at the answer, age + sex or state (analyses 3111,
    /// 3112, 3115, 3118, with the denominators 3320 and 3321).
    SurveyAnswers {
        /// The question (`observation_source_concept_id`).
        question_concept_id: i32,
        /// The breakdown; none for the answers alone.
        #[serde(default)]
        breakdown: Option<SurveyBreakdown>,
    },
    /// The Fitbit tiles ("Any Fitbit Data", then one per Fitbit table read) with their
    /// participants (`generate-fitbit-data-counts.sh`).
    FitbitTiles,
    /// A Fitbit tile's participants by year of their first row (a running total), sex, age at
    /// their first row (completed years) or age + sex (analyses 3107, 3101, 3102, 3105).
    Fitbit {
        /// The tile.
        tile: FitbitTile,
        /// The breakdown.
        breakdown: FitbitBreakdown,
    },
    /// A measurement concept's participants by unit, sex and value bin (analyses 1815 and
    /// 1900 of `run-measurement-queries.sh`: bins between the Tukey fences as the script rounds
    /// them, labelled as BigQuery writes numbers, open end bins "< lo" and ">= hi"), and by
    /// value concept under "No unit". A row's unit is its `unit_concept_id`, "No unit" when 0.
    Values {
        /// The measurement concept (standard, or an unmapped source concept).
        concept_id: i32,
    },
    /// Participants by their answers to The Basics race/ethnicity question (1586140; analysis
    /// 3110 of `generate-survey-counts.sh`, labels renamed by `make-bq-data.sh`): one answer →
    /// that group (Black, White, Hispanic, Asian, or the answer's name), an answer of Middle
    /// Eastern or North African, None of these, Native Hawaiian or other Pacific Islander or
    /// Other → "Other", several answers → "More than one". Ranked by disclosed count; each row
    /// a percent (two decimals) of the participants who answered the question (the total).
    RaceEthnicity,
}

/// The Data Browser's EHR domains (`DOMAINS` of `run-achilles-queries.sh`; JSON in lower case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum EhrDomain {
    /// `condition_occurrence`, domain `Condition`.
    Condition,
    /// `drug_exposure`, domain `Drug`.
    Drug,
    /// `procedure_occurrence`, domain `Procedure`.
    Procedure,
    /// `observation`, domain `Observation`.
    Observation,
    /// `measurement`, domain `Measurement`.
    Measurement,
}

impl EhrDomain {
    /// Every domain, in the script's order.
    pub const ALL: [EhrDomain; 5] = [
        EhrDomain::Condition,
        EhrDomain::Drug,
        EhrDomain::Procedure,
        EhrDomain::Observation,
        EhrDomain::Measurement,
    ];

    /// The `domain_id` a concept must have to count in the domain (the query's `stratum_3`).
    pub fn domain_id(self) -> &'static str {
        match self {
            EhrDomain::Condition => "Condition",
            EhrDomain::Drug => "Drug",
            EhrDomain::Procedure => "Procedure",
            EhrDomain::Observation => "Observation",
            EhrDomain::Measurement => "Measurement",
        }
    }

    /// The event table the domain's counts read.
    pub fn table(self) -> EventTable {
        match self {
            EhrDomain::Condition => EventTable::Condition,
            EhrDomain::Drug => EventTable::Drug,
            EhrDomain::Procedure => EventTable::Procedure,
            EhrDomain::Observation => EventTable::Observation,
            EhrDomain::Measurement => EventTable::Measurement,
        }
    }

    /// The concept the domain's concept list leaves out (`exclude_concept_id`: 19, the
    /// Condition domain concept itself).
    fn excluded(self) -> Option<i32> {
        (self == EhrDomain::Condition).then_some(19)
    }
}

/// A concept the Data Browser lists in a domain (one with participants), for a publisher to
/// enumerate its pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataBrowserConcept {
    /// `concept_id`.
    pub concept_id: i32,
    /// `concept_name`.
    pub name: String,
    /// `vocabulary_id`.
    pub vocabulary: String,
    /// `concept_code`.
    pub code: String,
    /// Whether it is counted as a standard concept (`false`: an unmapped source concept).
    pub standard: bool,
}

/// The concepts the Data Browser lists in `domain` over the whole dataset, by id.
pub(crate) fn concepts_with_participants(
    vocab: &Vocab,
    index: &Index,
    domain: EhrDomain,
) -> Vec<DataBrowserConcept> {
    ehr::EhrTable::new(vocab, index, domain)
        .listed()
        .into_iter()
        .filter_map(|(id, standard)| {
            let c = vocab.concept(id)?;
            Some(DataBrowserConcept {
                concept_id: id,
                name: c.name.clone(),
                vocabulary: c.vocabulary.clone(),
                code: c.code.clone(),
                standard,
            })
        })
        .collect()
}

impl Stats<'_> {
    /// The raw table of a Data Browser statistic over the scope.
    pub(super) fn data_browser(&self, request: &DataBrowserRequest) -> Result<TallyTable, StatError> {
        match request {
            DataBrowserRequest::Domains => Ok(self.db_domains()),
            DataBrowserRequest::Concepts { domain } => Ok(self.db_concepts(*domain)),
            DataBrowserRequest::Sex { domain, concept_id } => self.db_sex(*domain, *concept_id),
            DataBrowserRequest::Age { domain, concept_id } => self.db_age(*domain, *concept_id),
            DataBrowserRequest::AgeSex { domain, concept_id } => self.db_age_sex(*domain, *concept_id),
            DataBrowserRequest::Location { domain, concept_id } => self.db_location(*domain, *concept_id),
            DataBrowserRequest::Sources { concept_id } => self.db_sources(*concept_id),
            DataBrowserRequest::Surveys => Ok(self.db_survey_list()),
            DataBrowserRequest::SurveyQuestions { survey_concept_id } => {
                self.db_survey_questions(*survey_concept_id)
            }
            DataBrowserRequest::SurveyVersions { survey_concept_id } => {
                self.db_survey_versions(*survey_concept_id)
            }
            DataBrowserRequest::SurveyAnswers { question_concept_id, breakdown } => {
                self.db_survey_answers(*question_concept_id, *breakdown)
            }
            DataBrowserRequest::FitbitTiles => Ok(self.db_fitbit_tiles()),
            DataBrowserRequest::Fitbit { tile, breakdown } => Ok(self.db_fitbit(*tile, *breakdown)),
            DataBrowserRequest::Values { concept_id } => self.db_values(*concept_id),
            DataBrowserRequest::RaceEthnicity => self.db_race_ethnicity(),
        }
    }
}

/// `CEIL(days / 365.25)`: the Data Browser's age in years after `days` days (exact, in whole
/// quarter days).
pub(crate) fn age_years(days: i32) -> i32 {
    let quarters = 4 * i64::from(days);
    (-(-quarters).div_euclid(1461)) as i32
}

/// The Data Browser's age stratum of an age: 0 under 18, 2 for 18–29, the decade 3–8 for
/// 30–89, 9 over 89.
pub(crate) fn age_stratum(age: i32) -> u8 {
    match age {
        a if a < 18 => 0,
        18..=29 => 2,
        a if a > 89 => 9,
        a => (a / 10) as u8,
    }
}

/// The label of an age stratum (`AGE_STRATUM_MAP`), none for stratum 0 (the Data Browser has
/// no name for it).
pub(crate) fn age_label(stratum: u8) -> Option<&'static str> {
    Some(match stratum {
        2 => "18-29",
        3 => "30-39",
        4 => "40-49",
        5 => "50-59",
        6 => "60-69",
        7 => "70-79",
        8 => "80-89",
        9 => "89+",
        _ => return None,
    })
}

/// The label of a `gender_concept_id` (`GENDER_STRATUM_MAP`); other ids by concept name.
pub(crate) fn sex_label(vocab: &Vocab, gender: i32) -> String {
    match gender {
        8507 => "Male".to_owned(),
        8532 => "Female".to_owned(),
        8521 | 0 => "Other".to_owned(),
        8551 => "Unknown".to_owned(),
        8570 => "Ambiguous".to_owned(),
        1_585_849 => "None of these describe me".to_owned(),
        1_585_848 => "Intersex".to_owned(),
        g => super::concept_label(vocab, g).1,
    }
}

#[cfg(test)]
mod strata_tests {
    use super::*;

    #[test]
    fn ages_round_up_and_fall_in_the_data_browser_strata() {
        assert_eq!(age_years(0), 0);
        assert_eq!(age_years(1), 1, "one day old is in the first year: CEIL rounds up");
        assert_eq!(age_years(365), 1);
        assert_eq!(age_years(366), 2);
        assert_eq!(age_years(1461 * 5), 20, "20 × 365.25 days is exactly 20");
        assert_eq!(age_years(1461 * 5 + 1), 21);
        assert_eq!(age_years(-1), 0);
        assert_eq!(age_years(-366), -1);
        let strata: Vec<u8> = [17, 18, 29, 30, 39, 89, 90, -3].map(age_stratum).to_vec();
        assert_eq!(strata, [0, 2, 2, 3, 3, 8, 9, 0]);
        assert_eq!(age_label(9), Some("89+"));
        assert_eq!(age_label(0), None);
    }
}
