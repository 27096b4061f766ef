//! The survey charts (`generate-survey-counts.sh`): the surveys and their participants (analysis
//! 3000, stratum 3 `Survey`), a survey's questions, and a question's answers (3110) by sex
//! (3111 over 3320), by age at the survey (3112 over 3321), by age + sex (3115) and by state
//! (3118) and by survey version (3113 over 3400, the COPE surveys only); answers are concepts or
//! numbers (the script's `value_as_number` queries).
//!
//! The survey tree comes from the vocabulary, not from the Data Browser's `survey_metadata`
//! table: a survey is a concept of class `Module`, its questions the concepts of class
//! `Question` among its descendants (`concept_ancestor`). Every question is counted as a main
//! question (`sub = 0`). The deviations are in docs/statistics.md.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::values::bq_string;
use super::{age_label, sex_label};
use crate::cdm::EventTable;
use crate::columns::NULL_I32;
use crate::index::Events;
use crate::privacy::{PercentOf, Tally, TallyRow, TallyTable};
use crate::stats::{StatError, Stats, distinct};

/// The Personal and Family Health History survey, which the script's `survey_metadata_wo_pfhh`
/// leaves out (the Data Browser counts it by another script).
const PFHH: i32 = 43529712;
/// The Basics race and ethnicity question, which the script counts by its own category rule.
const RACE_QUESTION: i32 = 1586140;
/// The questions a survey's participant count leaves out (analysis 3000).
const NOT_IN_SURVEY_COUNT: [i32; 3] = [40766240, 43528428, 1585389];
/// "PMI: Skip", left out of a question's participants (analyses 3320, 3321).
const SKIP: i32 = 903096;
/// The question, old answer and new answer of the one answer the script rewrites when it makes
/// `survey_observation`.
const REWRITTEN: (i32, i32, i32) = (1585729, 1585730, 903626);

/// The surveys with versions (`observation_ext.survey_version_concept_id`), each with its
/// versions as the script numbers them ("1", "2", …) and the Data Browser names them, in that
/// order: COPE (1333342) and COPE Minute (765936). A versioned survey's rows count only with one
/// of its versions.
const VERSIONS: [(i32, &[(i32, &str)]); 2] = [
    (
        1333342,
        &[
            (2100000002, "May 2020"),
            (2100000003, "June 2020"),
            (2100000004, "July 2020"),
            (2100000005, "November 2020"),
            (2100000006, "December 2020"),
            (2100000007, "February 2021"),
        ],
    ),
    (
        765936,
        &[
            (905047, "Summer 2021"),
            (905055, "Fall 2021"),
            (765936, "Winter 2021"),
            (1741006, "New Year 2022"),
        ],
    ),
];

/// Whether `survey` has versions (`observation_ext`): then its questions have answers by
/// version ([`SurveyBreakdown::Version`]).
pub fn has_survey_versions(survey: i32) -> bool {
    survey_versions(survey).is_some()
}

/// The versions of `survey`, if it has versions.
fn survey_versions(survey: i32) -> Option<&'static [(i32, &'static str)]> {
    VERSIONS.iter().find(|(s, _)| *s == survey).map(|(_, v)| *v)
}

/// What a survey question's answers are broken down by
/// (`{"kind": "dataBrowser", "chart": "surveyAnswers", "breakdown": "sex"}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum SurveyBreakdown {
    /// By `gender_concept_id` (analysis 3111), each cell a whole percent of the question's
    /// participants of that sex (3320).
    Sex,
    /// By age group at the answer (analysis 3112: a participant in every group they answered
    /// in), each cell a whole percent of the question's participants at that age (3321).
    Age,
    /// By age group at the answer × Male, Female, Other (analysis 3115), each cell a percent
    /// (one decimal) of the answer's age group.
    AgeSex,
    /// By the state of the participant's PII State answers (analysis 3118: a participant in
    /// every state answered), each cell a percent (one decimal) of the answer's states, as the
    /// Data Browser's heat map shows it.
    State,
    /// By survey version (analysis 3113: the COPE surveys' questions only, answers that are
    /// concepts), each cell a whole percent of that version's participants (3400: a row of any
    /// question with that version).
    Version,
}

impl Stats<'_> {
    /// The surveys of the vocabulary (class `Module`, PFHH left out), by id.
    fn db_surveys(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = (self.vocab.concepts().iter())
            .filter(|c| c.class.eq_ignore_ascii_case("Module") && c.id != PFHH)
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The questions of a survey: its descendants of class `Question`, by id.
    fn db_questions(&self, survey: i32) -> Vec<i32> {
        let mut ids: Vec<i32> = (self.vocab.descendants(survey).iter().copied())
            .filter(|&q| q != survey)
            .filter(|&q| self.vocab.concept(q).is_some_and(|c| c.class.eq_ignore_ascii_case("Question")))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The answer (`value_source_concept_id`) of row `r` of `question`, as `survey_observation`
    /// holds it (one answer rewritten).
    fn db_answer(obs: &Events, question: i32, r: usize) -> i32 {
        match obs.value_source.get(r).copied().unwrap_or(NULL_I32) {
            a if (question, a) == (REWRITTEN.0, REWRITTEN.1) => REWRITTEN.2,
            a => a,
        }
    }

    /// The `survey_version_concept_id` of observation row `r` (NULL without one).
    fn db_version(obs: &Events, r: usize) -> i32 {
        obs.version.get(r).copied().unwrap_or(NULL_I32)
    }

    /// The persons in scope who took a survey (analysis 3000): a row of one of its questions
    /// (but three) with an answer above 0 — and, for a survey with versions, one of its versions.
    fn db_survey_persons(&self, survey: i32) -> Vec<u32> {
        let obs = self.index.events(EventTable::Observation);
        let versions = survey_versions(survey);
        let versioned =
            |r: usize| versions.is_none_or(|v| v.iter().any(|&(c, _)| c == Self::db_version(obs, r)));
        let mut persons = Vec::new();
        for q in self.db_questions(survey) {
            if q <= 0 || NOT_IN_SURVEY_COUNT.contains(&q) {
                continue;
            }
            obs.by_source.rows(q).each(|r| {
                let p = obs.person[r];
                if Self::db_answer(obs, q, r) > 0 && versioned(r) && self.member.contains(p) {
                    persons.push(p);
                }
            });
        }
        distinct(persons)
    }

    /// The rows of a question that count it answered (analyses 3320, 3321): an answer that is
    /// not NULL and not "PMI: Skip".
    fn db_question_rows(&self, question: i32) -> Vec<usize> {
        let obs = self.index.events(EventTable::Observation);
        let mut rows = Vec::new();
        if question > 0 {
            obs.by_source.rows(question).each(|r| {
                let a = Self::db_answer(obs, question, r);
                if a != NULL_I32 && a != SKIP && self.member.contains(obs.person[r]) {
                    rows.push(r);
                }
            });
        }
        rows
    }

    /// A question's answers in scope, each with its rows: the answers that are concepts
    /// (`value_source_concept_id` above 0 and in the vocabulary; analysis 3110's first query),
    /// labelled by name, by id; then the numeric answers (`value_as_number >= 0` with no answer
    /// concept, 0 or NULL; the `value_as_number` queries of 3110, 3111, 3112, 3115, 3118),
    /// labelled by the number as BigQuery's `CAST(FLOAT64 AS STRING)` writes it (the script's
    /// group by the number), by value.
    fn db_answer_rows(&self, obs: &Events, question: i32) -> Vec<(String, Vec<usize>)> {
        let mut concepts: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        // Numbers by value (-0 as 0: one label "0"), each written out once.
        let mut numbers: HashMap<u64, (f64, Vec<usize>)> = HashMap::new();
        if question > 0 {
            obs.by_source.rows(question).each(|r| {
                if !self.member.contains(obs.person[r]) {
                    return;
                }
                match (Self::db_answer(obs, question, r), obs.value(r)) {
                    (a, _) if a > 0 && self.vocab.concept(a).is_some() => {
                        concepts.entry(a).or_default().push(r)
                    }
                    (0 | NULL_I32, x) if x >= 0.0 => {
                        let x = if x == 0.0 { 0.0 } else { x };
                        numbers.entry(x.to_bits()).or_insert((x, Vec::new())).1.push(r)
                    }
                    _ => {}
                }
            });
        }
        let mut numbers: Vec<(f64, Vec<usize>)> = numbers.into_values().collect();
        numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
        let name = |a: i32| self.vocab.concept(a).map_or_else(String::new, |c| c.name.clone());
        (concepts.into_iter().map(|(a, rows)| (name(a), rows)))
            .chain(numbers.into_iter().map(|(x, rows)| (bq_string(x), rows)))
            .collect()
    }

    /// The participants in scope of each version of `versions` (analysis 3400: persons with a
    /// row of that version), in that order.
    fn db_version_persons(&self, obs: &Events, versions: &[(i32, &str)]) -> Vec<Vec<u32>> {
        let mut persons = vec![Vec::new(); versions.len()];
        for (r, &v) in obs.version.iter().enumerate() {
            if let Some(i) = versions.iter().position(|&(c, _)| c == v)
                && self.member.contains(obs.person[r])
            {
                persons[i].push(obs.person[r]);
            }
        }
        persons.into_iter().map(distinct).collect()
    }

    /// A question's answers by survey version (analysis 3113): per answer concept (by id), the
    /// persons in scope with that answer in each version, as labelled rows over the version's
    /// participants (3400).
    fn db_answers_by_version(&self, obs: &Events, question: i32) -> Result<Vec<TallyRow>, StatError> {
        let versions = (self.db_surveys().into_iter())
            .filter(|&s| self.db_questions(s).contains(&question))
            .find_map(survey_versions)
            .ok_or_else(|| {
                StatError::Statistic(format!(
                    "question {question} is under no survey with versions (COPE 1333342, COPE Minute \
                     765936); answers by survey version exist only for their questions"
                ))
            })?;
        let mut by_answer: BTreeMap<i32, Vec<Vec<u32>>> = BTreeMap::new();
        obs.by_source.rows(question).each(|r| {
            let a = Self::db_answer(obs, question, r);
            let version = versions.iter().position(|&(c, _)| c == Self::db_version(obs, r));
            if let Some(i) = version
                && a > 0
                && self.vocab.concept(a).is_some()
                && self.member.contains(obs.person[r])
            {
                by_answer.entry(a).or_insert_with(|| vec![Vec::new(); versions.len()])[i].push(obs.person[r]);
            }
        });
        let of = self.db_version_persons(obs, versions);
        let mut rows = Vec::new();
        for (a, groups) in by_answer {
            let name = self.vocab.concept(a).map_or_else(String::new, |c| c.name.clone());
            for ((group, &(_, version)), of) in groups.into_iter().zip(versions).zip(&of) {
                if !group.is_empty() {
                    rows.push(TallyRow {
                        labels: vec![name.clone(), version.to_owned()],
                        tally: self.tally(distinct(group)),
                        of: Some(self.tally(of.iter().copied())),
                    });
                }
            }
        }
        Ok(rows)
    }

    /// A survey's version table (analyses 3400 and 3401, as the COPE survey pages show it):
    /// per version with participants in scope, in the survey's order (the UI's by date), the
    /// participants and the number of questions (the survey's questions with a row of that
    /// version: distinct `observation_source_concept_id`) as a plain label: not a count of persons, shown exactly.
    pub(super) fn db_survey_versions(&self, survey: i32) -> Result<TallyTable, StatError> {
        let hint = "list the surveys with {\"kind\": \"dataBrowser\", \"chart\": \"surveys\"}";
        self.db_check_class(survey, "Module", hint)?;
        let versions = survey_versions(survey).ok_or_else(|| {
            StatError::Statistic(format!(
                "survey {survey} has no versions; only COPE (1333342) and COPE Minute (765936) have a \
                 survey version table"
            ))
        })?;
        let obs = self.index.events(EventTable::Observation);
        let mut questions = vec![Vec::new(); versions.len()];
        for q in self.db_questions(survey) {
            obs.by_source.rows(q).each(|r| {
                let version = versions.iter().position(|&(c, _)| c == Self::db_version(obs, r));
                if let Some(i) = version
                    && self.member.contains(obs.person[r])
                {
                    questions[i].push(q);
                }
            });
        }
        let persons = self.db_version_persons(obs, versions);
        let rows = (versions.iter().zip(persons).zip(questions))
            .filter(|((_, persons), _)| !persons.is_empty())
            .map(|((&(_, label), persons), mut questions)| {
                questions.sort_unstable();
                questions.dedup();
                TallyRow::new(vec![label.to_owned(), questions.len().to_string()], self.tally(persons))
            })
            .collect();
        let name = self.vocab.concept(survey).map_or_else(String::new, |c| c.name.clone());
        Ok(self.table(
            "data_browser_survey_versions",
            format!("{name}: survey versions"),
            &["Survey version", "Questions"],
            rows,
            self.tally(self.db_survey_persons(survey)),
        ))
    }

    /// Survey or question `id` checked: in the vocabulary and of the class.
    fn db_check_class(&self, id: i32, class: &str, hint: &str) -> Result<(), StatError> {
        let c = self.vocab.concept(id).ok_or(StatError::UnknownConcept(id))?;
        if c.class.eq_ignore_ascii_case(class) {
            Ok(())
        } else {
            Err(StatError::Statistic(format!(
                "concept {id} is of class {:?}, not a survey {}; {hint}",
                c.class,
                class.to_lowercase()
            )))
        }
    }

    pub(super) fn db_survey_list(&self) -> TallyTable {
        let rows = (self.db_surveys().into_iter())
            .filter_map(|s| {
                let persons = self.db_survey_persons(s);
                let name = self.vocab.concept(s)?.name.clone();
                (!persons.is_empty()).then(|| TallyRow::new(vec![name, s.to_string()], self.tally(persons)))
            })
            .collect();
        self.table(
            "data_browser_surveys",
            "Surveys".to_owned(),
            &["Survey", "Survey ID"],
            rows,
            self.tally(&self.persons),
        )
    }

    pub(super) fn db_survey_questions(&self, survey: i32) -> Result<TallyTable, StatError> {
        let hint = "list the surveys with {\"kind\": \"dataBrowser\", \"chart\": \"surveys\"}";
        self.db_check_class(survey, "Module", hint)?;
        let obs = self.index.events(EventTable::Observation);
        let rows = (self.db_questions(survey).into_iter())
            .filter(|&q| q != RACE_QUESTION)
            .filter_map(|q| {
                let persons = distinct(self.db_question_rows(q).into_iter().map(|r| obs.person[r]).collect());
                let name = self.vocab.concept(q)?.name.clone();
                (!persons.is_empty()).then(|| TallyRow::new(vec![name, q.to_string()], self.tally(persons)))
            })
            .collect();
        let name = self.vocab.concept(survey).map_or_else(String::new, |c| c.name.clone());
        Ok(self.table(
            "data_browser_survey_questions",
            format!("{name}: questions"),
            &["Question", "Question ID"],
            rows,
            self.tally(self.db_survey_persons(survey)),
        ))
    }

    pub(super) fn db_survey_answers(
        &self,
        question: i32,
        breakdown: Option<SurveyBreakdown>,
    ) -> Result<TallyTable, StatError> {
        let hint = "list a survey's questions with {\"kind\": \"dataBrowser\", \"chart\": \
                    \"surveyQuestions\", \"surveyConceptId\": …}";
        self.db_check_class(question, "Question", hint)?;
        if !self.db_surveys().iter().any(|&s| self.db_questions(s).contains(&question)) {
            return Err(StatError::Statistic(format!(
                "question {question} is under no survey (a concept of class Module, PFHH left out) in \
                 concept_ancestor; {hint}"
            )));
        }
        if question == RACE_QUESTION {
            return Err(StatError::Statistic(format!(
                "question {RACE_QUESTION} (race and ethnicity) is counted by the Data Browser's own \
                 category rule, which cohortlens does not compute as a survey answer"
            )));
        }
        let obs = self.index.events(EventTable::Observation);
        let answered = self.db_question_rows(question);
        let answers = self.db_answer_rows(obs, question);
        let persons_of = |rows: &[usize]| distinct(rows.iter().map(|&r| obs.person[r]).collect());
        let total = self.tally(persons_of(&answered));
        let title = self.vocab.concept(question).map_or_else(String::new, |c| c.name.clone());
        let table = match breakdown {
            None => {
                let rows = (answers.iter())
                    .map(|(a, rows)| TallyRow::new(vec![a.clone()], self.tally(persons_of(rows))))
                    .collect();
                let table = self.table("data_browser_survey_answers", title, &["Answer"], rows, total);
                TallyTable { percent_of: PercentOf::Answered, ..table }
            }
            Some(SurveyBreakdown::Sex) => {
                let of = self.db_by_sex(&persons_of(&answered));
                let mut out = Vec::new();
                for (a, rows) in &answers {
                    let mut by_sex: Vec<(String, TallyRow)> = (self.db_by_sex(&persons_of(rows)).into_iter())
                        .map(|(g, group)| {
                            let label = if g == NULL_I32 {
                                "Not recorded".to_owned()
                            } else {
                                sex_label(self.vocab, g)
                            };
                            let of =
                                of.get(&g).map_or_else(Tally::default, |d| self.tally(d.iter().copied()));
                            let row = TallyRow {
                                labels: vec![a.clone(), label.clone()],
                                tally: self.tally(group),
                                of: Some(of),
                            };
                            (label, row)
                        })
                        .collect();
                    by_sex.sort_by(|x, y| x.0.cmp(&y.0));
                    out.extend(by_sex.into_iter().map(|(_, r)| r));
                }
                let table = self.table(
                    "data_browser_survey_answers_sex",
                    format!("{title} by sex assigned at birth"),
                    &["Answer", "Sex assigned at birth"],
                    out,
                    total,
                );
                TallyTable { percent_of: PercentOf::Row, ..table }
            }
            Some(SurveyBreakdown::Age) => {
                let of = self.db_by_stratum_at_rows(obs, answered.iter().copied());
                let mut out = Vec::new();
                for (a, rows) in &answers {
                    for (s, group) in self.db_by_stratum_at_rows(obs, rows.iter().copied()) {
                        let Some(age) = age_label(s) else { continue };
                        let of = of.get(&s).map_or_else(Tally::default, |d| self.tally(d.iter().copied()));
                        out.push(TallyRow {
                            labels: vec![a.clone(), age.to_owned()],
                            tally: self.tally(group),
                            of: Some(of),
                        });
                    }
                }
                let table = self.table(
                    "data_browser_survey_answers_age",
                    format!("{title} by age when the survey was taken"),
                    &["Answer", "Age"],
                    out,
                    total,
                );
                TallyTable { percent_of: PercentOf::Row, ..table }
            }
            Some(SurveyBreakdown::AgeSex) => {
                let mut out = Vec::new();
                for (a, rows) in &answers {
                    for (s, persons) in self.db_by_stratum_at_rows(obs, rows.iter().copied()) {
                        let Some(age) = age_label(s) else { continue };
                        let by_sex = self.db_by_sex(&persons);
                        for (sex, gender) in [("Male", 8507), ("Female", 8532), ("Other", 0)] {
                            let group = by_sex.get(&gender).map_or(&[][..], Vec::as_slice);
                            out.push(TallyRow::new(
                                vec![a.clone(), age.to_owned(), sex.to_owned()],
                                self.tally(group.iter().copied()),
                            ));
                        }
                    }
                }
                let table = self.table(
                    "data_browser_survey_answers_age_sex",
                    format!("{title} by age when the survey was taken and sex"),
                    &["Answer", "Age", "Sex assigned at birth"],
                    out,
                    total,
                );
                TallyTable { percent_of: PercentOf::Group, ..table }
            }
            Some(SurveyBreakdown::State) => {
                let mut out = Vec::new();
                for (a, rows) in &answers {
                    for (state, group) in self.db_by_state(&persons_of(rows)) {
                        out.push(TallyRow::new(vec![a.clone(), state], self.tally(group)));
                    }
                }
                let table = self.table(
                    "data_browser_survey_answers_state",
                    format!("{title} by state"),
                    &["Answer", "State"],
                    out,
                    total,
                );
                TallyTable { percent_of: PercentOf::Group, ..table }
            }
            Some(SurveyBreakdown::Version) => {
                let rows = self.db_answers_by_version(obs, question)?;
                let table = self.table(
                    "data_browser_survey_answers_version",
                    format!("{title} by survey version"),
                    &["Answer", "Survey version"],
                    rows,
                    total,
                );
                TallyTable { percent_of: PercentOf::Row, ..table }
            }
        };
        Ok(table)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
