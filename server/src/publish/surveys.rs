//! The survey explorer's and the Fitbit tiles' published tables (docs/public.md): the surveys
//! and their questions (listed in the manifest), each question's answers alone and by sex, age,
//! age + sex and state (and by survey version for the questions of a survey with versions, COPE,
//! which also has its version table),
//! and every Fitbit tile by year, sex, age and age + sex — the `dataBrowser`
//! charts over the whole dataset, disclosed under [`POLICY`].

use cohortlens::engine::Engine;
use cohortlens::privacy::{Disclosed, DisclosedTable};
use cohortlens::stats::{
    DataBrowserRequest, FitbitBreakdown, FitbitTile, Scope, StatRequest, SurveyBreakdown, has_survey_versions,
};
use serde::{Deserialize, Serialize};

use super::{POLICY, PublicTable, PublishError};

/// The statistics of every question page: (API name, breakdown).
pub const QUESTION_STATISTICS: [(&str, Option<SurveyBreakdown>); 5] = [
    ("answers", None),
    ("answersBySex", Some(SurveyBreakdown::Sex)),
    ("answersByAge", Some(SurveyBreakdown::Age)),
    ("answersByAgeSex", Some(SurveyBreakdown::AgeSex)),
    ("answersByState", Some(SurveyBreakdown::State)),
];

/// The statistic of the questions of a survey with versions only: (API name, breakdown).
pub const VERSION_STATISTIC: (&str, SurveyBreakdown) = ("answersByVersion", SurveyBreakdown::Version);

/// The statistic of a survey with versions (COPE), next to its `questions`: its version table.
pub const SURVEY_VERSIONS: &str = "versions";

/// The breakdowns of every Fitbit tile: (API name, breakdown).
pub const FITBIT_STATISTICS: [(&str, FitbitBreakdown); 4] = [
    ("year", FitbitBreakdown::Year),
    ("sex", FitbitBreakdown::Sex),
    ("age", FitbitBreakdown::Age),
    ("ageSex", FitbitBreakdown::AgeSex),
];

/// A survey as the survey explorer lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicSurvey {
    /// The survey's concept (class `Module`).
    pub concept_id: i32,
    /// Its name.
    pub name: String,
    /// Participants who took it, disclosed.
    pub participants: Disclosed,
    /// Its questions with participants, each with a question page.
    pub questions: Vec<PublicQuestion>,
}

/// A survey question with a page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicQuestion {
    /// The question's concept.
    pub concept_id: i32,
    /// Its name.
    pub name: String,
    /// Participants who answered it, disclosed.
    pub participants: Disclosed,
}

/// The name of a Fitbit tile in the API.
pub fn tile_name(tile: FitbitTile) -> &'static str {
    match tile {
        FitbitTile::Any => "any",
        FitbitTile::HeartRateSummary => "heartRateSummary",
        FitbitTile::HeartRateIntraday => "heartRateIntraday",
        FitbitTile::StepsIntraday => "stepsIntraday",
        FitbitTile::ActivitySummary => "activitySummary",
        FitbitTile::SleepDailySummary => "sleepDailySummary",
        FitbitTile::SleepLevel => "sleepLevel",
    }
}

/// The listed rows of a disclosed (name, id) table as (id, name, participants).
fn listed(table: &DisclosedTable) -> Vec<(i32, String, Disclosed)> {
    (table.rows.iter())
        .filter_map(|r| Some((r.labels.get(1)?.parse().ok()?, r.labels.first()?.clone(), r.count.clone())))
        .collect()
}

/// Every survey, question and Fitbit table, and the surveys as listed.
pub(super) fn compute(engine: &Engine) -> Result<(Vec<PublicSurvey>, Vec<PublicTable>), PublishError> {
    let disclose = |request: DataBrowserRequest| {
        engine.disclosed_statistics(&Scope::Dataset, &StatRequest::DataBrowser(request), POLICY)
    };
    let table = |scope: &str, id: Option<i32>, statistic: &str, table: DisclosedTable| PublicTable {
        scope: scope.into(),
        id,
        statistic: statistic.into(),
        table,
    };
    let mut tables = Vec::new();
    let all = disclose(DataBrowserRequest::Surveys)?;
    let mut surveys = Vec::new();
    for (survey_concept_id, name, participants) in listed(&all) {
        let questions = disclose(DataBrowserRequest::SurveyQuestions { survey_concept_id })?;
        // Every question page of the survey in one batch, so what they share is read once.
        let mut listed_questions = Vec::new();
        let (mut pages, mut requests) = (Vec::new(), Vec::new());
        for (question_concept_id, name, participants) in listed(&questions) {
            let versioned = has_survey_versions(survey_concept_id).then_some(VERSION_STATISTIC);
            let statistics = QUESTION_STATISTICS.into_iter().chain(versioned.map(|(n, b)| (n, Some(b))));
            for (statistic, breakdown) in statistics {
                pages.push((question_concept_id, statistic));
                let request = DataBrowserRequest::SurveyAnswers { question_concept_id, breakdown };
                requests.push(StatRequest::DataBrowser(request));
            }
            listed_questions.push(PublicQuestion { concept_id: question_concept_id, name, participants });
        }
        let answers = engine.disclosed_statistics_all(&Scope::Dataset, &requests, POLICY)?;
        for ((question_concept_id, statistic), answers) in pages.into_iter().zip(answers) {
            tables.push(table("question", Some(question_concept_id), statistic, answers));
        }
        tables.push(table("survey", Some(survey_concept_id), "questions", questions));
        if has_survey_versions(survey_concept_id) {
            let versions = disclose(DataBrowserRequest::SurveyVersions { survey_concept_id })?;
            tables.push(table("survey", Some(survey_concept_id), SURVEY_VERSIONS, versions));
        }
        surveys.push(PublicSurvey {
            concept_id: survey_concept_id,
            name,
            participants,
            questions: listed_questions,
        });
    }
    tables.push(table("surveys", None, "surveys", all));
    tables.push(table("fitbit", None, "tiles", disclose(DataBrowserRequest::FitbitTiles)?));
    for tile in FitbitTile::ALL {
        for (statistic, breakdown) in FITBIT_STATISTICS {
            let t = disclose(DataBrowserRequest::Fitbit { tile, breakdown })?;
            tables.push(table("fitbit", None, &format!("{}/{statistic}", tile_name(tile)), t));
        }
    }
    Ok((surveys, tables))
}
