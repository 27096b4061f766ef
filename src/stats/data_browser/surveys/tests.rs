//! The survey charts on a small hand-checked dataset.

use cohortlens_fixture::Fixture;
use serde_json::json;

use crate::engine::Engine;
use crate::privacy::{PercentOf, Policy, Tally};
use crate::stats::data_browser::tests::{raw, stat};
use crate::stats::tests::{concept_table, table};
use crate::store::{Store, Table};

const SURVEY: i32 = 100;
const SMOKE: i32 = 101;
const EXERCISE: i32 = 102;
const PFHH_QUESTION: i32 = 103;
const PFHH: i32 = 43_529_712;
const YES: i32 = 201;
const NO: i32 = 202;
const SKIP: i32 = 903_096;

/// A `concept` table of PPI (id, name, class) rows.
fn ppi_concepts<const N: usize>(concepts: [(i32, &str, &str); N]) -> Table {
    concept_table(concepts.map(|(id, name, class)| (id, name, "Observation", "PPI", class, "x")))
}

/// A `concept_ancestor` table of (ancestor, descendant, levels) rows.
fn ancestors<const N: usize>(ancestry: [(i32, i32, i32); N]) -> Table {
    table(
        Fixture::new("concept_ancestor")
            .ints("ancestor_concept_id", ancestry.map(|a| Some(a.0)))
            .ints("descendant_concept_id", ancestry.map(|a| Some(a.1)))
            .ints("min_levels_of_separation", ancestry.map(|a| Some(a.2)))
            .ints("max_levels_of_separation", ancestry.map(|a| Some(a.2))),
    )
}

/// Persons: 1 female born 1950-01-01, 2 male born 2000-06-15, 3 female born 1990-01-01, 4 with
/// gender 0 born 1970-01-01, 5 with gender 8551 born 1930-01-01. Survey 100 (Lifestyle) has
/// questions 101 (Smoke) and 102 (Exercise); PFHH has 103. Rows of 101 (person, answer, date):
/// 1 Yes 2020-01-01 (age CEIL(25567 / 365.25) = 70), 1 No 1980-01-01 (30), 2 Yes 2020-01-01
/// (20), 3 Skip 2020-01-01 (30), 4 answer 999 (no concept) 2020-01-01 (50), 5 no answer. Row
/// of 102: 5 Yes 2010-01-01 (exactly 80). Row of 103: 1 Yes.
fn engine() -> Engine {
    let mut store = Store::default();
    let concepts = [
        (SURVEY, "Lifestyle", "Module"),
        (SMOKE, "Smoke", "Question"),
        (EXERCISE, "Exercise", "Question"),
        (PFHH_QUESTION, "Family history", "Question"),
        (PFHH, "Personal and Family Health History", "Module"),
        (YES, "Yes", "Answer"),
        (NO, "No", "Answer"),
        (SKIP, "PMI: Skip", "Answer"),
        (8_507, "MALE", "Gender"),
        (8_532, "FEMALE", "Gender"),
    ];
    store.insert(ppi_concepts(concepts));
    let ancestry = [(SURVEY, SURVEY, 0), (SURVEY, SMOKE, 1), (SURVEY, EXERCISE, 1), (PFHH, PFHH_QUESTION, 1)];
    store.insert(ancestors(ancestry));
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3, 4, 5])
            .ints("year_of_birth", [Some(1950), Some(2000), Some(1990), Some(1970), Some(1930)])
            .ints("month_of_birth", [Some(1), Some(6), Some(1), Some(1), Some(1)])
            .ints("day_of_birth", [Some(1), Some(15), Some(1), Some(1), Some(1)])
            .ints("gender_concept_id", [Some(8_532), Some(8_507), Some(8_532), Some(0), Some(8_551)])
            .ints("race_concept_id", [Some(0); 5])
            .ints("ethnicity_concept_id", [Some(0); 5]),
    ));
    store.insert(table(
        Fixture::new("observation")
            .ids("person_id", [1, 1, 2, 3, 4, 5, 5, 1])
            .ints("observation_concept_id", [Some(0); 8])
            .ints(
                "observation_source_concept_id",
                [SMOKE, SMOKE, SMOKE, SMOKE, SMOKE, SMOKE, EXERCISE, PFHH_QUESTION].map(Some),
            )
            .ints(
                "value_source_concept_id",
                [Some(YES), Some(NO), Some(YES), Some(SKIP), Some(999), None, Some(YES), Some(YES)],
            )
            .days("observation_date", [18_262, 3_652, 18_262, 18_262, 18_262, 18_262, 14_610, 18_262]),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

#[test]
fn surveys_count_everyone_with_an_answer_and_leave_pfhh_out() {
    let t = stat(&engine(), json!({"kind": "dataBrowser", "chart": "surveys"})).unwrap();
    // Person 4's answer 999 is above 0 (no concept needed); person 5 answered Exercise.
    assert_eq!(raw(&t), [(vec!["Lifestyle", "100"], 5, None)]);
    assert_eq!(t.total.raw(), 5);
}

#[test]
fn questions_count_their_participants_without_skips() {
    let t = stat(
        &engine(),
        json!({"kind": "dataBrowser", "chart": "surveyQuestions", "surveyConceptId": SURVEY}),
    )
    .unwrap();
    // Smoke: 1, 2 and 4 (3 skipped, 5 gave no answer).
    assert_eq!(raw(&t), [(vec!["Smoke", "101"], 3, None), (vec!["Exercise", "102"], 1, None)]);
    assert_eq!(t.total.raw(), 5, "the survey's participants");
}

#[test]
fn answers_are_shares_of_the_question_participants_to_two_decimals() {
    let t =
        stat(&engine(), json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE}))
            .unwrap();
    assert_eq!(raw(&t), [(vec!["Yes"], 2, None), (vec!["No"], 1, None), (vec!["PMI: Skip"], 1, None)]);
    assert_eq!((t.total.raw(), t.percent_of, t.remainder.clone()), (3, PercentOf::Answered, None));
    let shown = Policy::Suppress.disclose_table(&t);
    assert!(shown.rows.iter().all(|r| r.percent.is_none()), "withheld cells give no percent");
    let mut big = t.clone();
    big.total = Tally::new(60, 1);
    big.rows[0].tally = Tally::new(40, 2);
    let shown = Policy::Aou.disclose_table(&big);
    assert_eq!(shown.rows[0].percent, Some(66.67), "40 of 60");
    assert_eq!(shown.rows[1].percent, Some(33.33), "20 (1 shown as 20) of 60");
}

#[test]
fn answers_by_sex_are_shares_of_the_question_participants_of_that_sex() {
    let request = json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE, "breakdown": "sex"});
    let t = stat(&engine(), request).unwrap();
    assert_eq!(
        raw(&t),
        [
            (vec!["Yes", "Female"], 1, Some(1)),
            (vec!["Yes", "Male"], 1, Some(1)),
            (vec!["No", "Female"], 1, Some(1)),
            (vec!["PMI: Skip", "Female"], 1, Some(1)),
        ]
    );
    assert_eq!(t.percent_of, PercentOf::Row);
}

#[test]
fn answers_by_age_count_the_age_at_each_answer() {
    let request = json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE, "breakdown": "age"});
    let t = stat(&engine(), request).unwrap();
    assert_eq!(
        raw(&t),
        [
            (vec!["Yes", "18-29"], 1, Some(1)),
            (vec!["Yes", "70-79"], 1, Some(1)),
            (vec!["No", "30-39"], 1, Some(1)),
            (vec!["PMI: Skip", "30-39"], 1, Some(1)),
        ]
    );
    let t = stat(
        &engine(),
        json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": EXERCISE, "breakdown": "age"}),
    )
    .unwrap();
    assert_eq!(raw(&t), [(vec!["Yes", "80-89"], 1, Some(1))], "exactly 80 years is 80");
}

#[test]
fn answers_by_age_and_sex_show_every_sex_and_group_percents_by_answer_and_age() {
    let request = json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE, "breakdown": "ageSex"});
    let t = stat(&engine(), request).unwrap();
    let rows = raw(&t);
    assert_eq!(rows.len(), 4 * 3);
    assert_eq!(rows[0], (vec!["Yes", "18-29", "Male"], 1, None));
    assert_eq!(rows[1], (vec!["Yes", "18-29", "Female"], 0, None));
    assert_eq!(rows[4], (vec!["Yes", "70-79", "Female"], 1, None));
    assert_eq!(rows[10], (vec!["PMI: Skip", "30-39", "Female"], 1, None));
    assert_eq!(t.percent_of, PercentOf::Group);
    let shown = Policy::Aou.disclose_table(&t);
    let percents: Vec<Option<f64>> = shown.rows.iter().map(|r| r.percent).collect();
    assert_eq!(&percents[..3], [Some(100.0), Some(0.0), Some(0.0)], "each (answer, age) is its own group");
}

#[test]
fn bad_survey_requests_say_what_to_ask() {
    let e = engine();
    let err = stat(&e, json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SURVEY}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a survey question") && err.contains("surveyQuestions"), "{err}");
    let err = stat(&e, json!({"kind": "dataBrowser", "chart": "surveyQuestions", "surveyConceptId": SMOKE}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a survey module") && err.contains("\"surveys\""), "{err}");
    let err = stat(&e, json!({"kind": "dataBrowser", "chart": "surveyQuestions", "surveyConceptId": 7}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("concept 7 is not in the dataset's vocabulary"), "{err}");
    let bad = serde_json::from_value::<crate::stats::StatRequest>(
        json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE, "breakdown": "race"}),
    );
    assert!(bad.is_err(), "an unknown breakdown is refused");
}

const PAIN: i32 = 104;
const PII_STATE: i32 = 1_585_249;

/// Survey 100 with question 104 (Pain) answered by numbers: person 1 7.0 (no answer concept),
/// 2 2.5 (answer concept 0), 3 -1 (not an answer), 4 7.0, 5 NaN, 6 7.0 with answer Yes (an
/// answer concept: counted as Yes). PII State: 1 "NY", 2 "CA" and "NY", 4 an answer without
/// "PII State: ", 6 "ZZ" (a code the map does not name).
fn numeric_engine() -> Engine {
    let mut store = Store::default();
    let concepts = [
        (SURVEY, "Lifestyle", "Module"),
        (PAIN, "Pain", "Question"),
        (PII_STATE, "PII State", "Question"),
        (YES, "Yes", "Answer"),
        (301, "PII State: NY", "Answer"),
        (302, "PII State: CA", "Answer"),
        (303, "Somewhere", "Answer"),
        (304, "PII State: ZZ", "Answer"),
    ];
    store.insert(ppi_concepts(concepts));
    let ancestry = [(SURVEY, SURVEY, 0), (SURVEY, PAIN, 1)];
    store.insert(ancestors(ancestry));
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3, 4, 5, 6])
            .ints("year_of_birth", [Some(1950); 6])
            .ints("month_of_birth", [Some(1); 6])
            .ints("day_of_birth", [Some(1); 6])
            .ints(
                "gender_concept_id",
                [Some(8_532), Some(8_507), Some(8_532), Some(0), Some(8_507), Some(8_507)],
            )
            .ints("race_concept_id", [Some(0); 6])
            .ints("ethnicity_concept_id", [Some(0); 6]),
    ));
    let rows = [
        (1, PAIN, None, Some(7.0)),
        (2, PAIN, Some(0), Some(2.5)),
        (3, PAIN, None, Some(-1.0)),
        (4, PAIN, None, Some(7.0)),
        (5, PAIN, None, Some(f64::NAN)),
        (6, PAIN, Some(YES), Some(7.0)),
        (1, PII_STATE, Some(301), None),
        (2, PII_STATE, Some(302), None),
        (2, PII_STATE, Some(301), None),
        (4, PII_STATE, Some(303), None),
        (6, PII_STATE, Some(304), None),
    ];
    store.insert(table(
        Fixture::new("observation")
            .ids("person_id", rows.map(|r| r.0))
            .ints("observation_concept_id", rows.map(|_| Some(0)))
            .ints("observation_source_concept_id", rows.map(|r| Some(r.1)))
            .ints("value_source_concept_id", rows.map(|r| r.2))
            .floats("value_as_number", rows.map(|r| r.3))
            .days("observation_date", rows.map(|_| Some(18_262))),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

#[test]
fn numeric_answers_are_labelled_as_bigquery_writes_numbers_after_the_concept_answers() {
    let e = numeric_engine();
    let answers = |breakdown: serde_json::Value| {
        stat(
            &e,
            json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": PAIN, "breakdown": breakdown}),
        )
        .unwrap()
    };
    let t = answers(json!(null));
    // -1 and NaN are not >= 0; person 6's 7.0 has an answer concept, so it counts as Yes.
    assert_eq!(raw(&t), [(vec!["Yes"], 1, None), (vec!["2.5"], 1, None), (vec!["7"], 2, None)]);
    // Participants: 2 (answer 0) and 6 (Yes); a NULL answer is not `!= 903096`.
    assert_eq!(t.total.raw(), 2);
    let by_sex = answers(json!("sex"));
    assert_eq!(
        raw(&by_sex),
        [
            (vec!["Yes", "Male"], 1, Some(2)),
            (vec!["2.5", "Male"], 1, Some(2)),
            (vec!["7", "Female"], 1, Some(0)),
            (vec!["7", "Other"], 1, Some(0)),
        ]
    );
    let by_age = answers(json!("age"));
    assert_eq!(raw(&by_age).iter().map(|r| r.0[0]).collect::<Vec<_>>(), ["Yes", "2.5", "7"]);
    assert_eq!(raw(&answers(json!("ageSex"))).len(), 3 * 3);
}

#[test]
fn answers_by_state_count_every_state_answered_and_are_shares_of_the_answer() {
    let t = stat(
        &numeric_engine(),
        json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": PAIN, "breakdown": "state"}),
    )
    .unwrap();
    // Person 4 answered no state; person 6's "us-zz" is not in the map: shown as its code.
    assert_eq!(
        raw(&t),
        [
            (vec!["Yes", "us-zz"], 1, None),
            (vec!["2.5", "California"], 1, None),
            (vec!["2.5", "New York"], 1, None),
            (vec!["7", "New York"], 1, None),
        ]
    );
    assert_eq!(
        (t.dimensions.clone(), t.percent_of),
        (vec!["Answer".to_owned(), "State".to_owned()], PercentOf::Group)
    );
    let shown = Policy::Aou.disclose_table(&t);
    let percents: Vec<Option<f64>> = shown.rows.iter().map(|r| r.percent).collect();
    assert_eq!(percents, [Some(100.0), Some(50.0), Some(50.0), Some(100.0)], "of the answer's states");
}

const COPE: i32 = 1_333_342;
const STRESS: i32 = 1_333_102;
const AT_HOME: i32 = 1_332_748;
const MAY_2020: i32 = 2_100_000_002;
const JUNE_2020: i32 = 2_100_000_003;

/// COPE (1333342) with questions Stress and At home, and Lifestyle (100) with Smoke. Rows
/// (observation_id, person, question, answer), versions from `observation_ext`: 1 p1 Stress Yes
/// May, 2 p1 Stress No June, 3 p2 Stress Yes May, 4 p3 Stress Yes version 999 (not COPE's),
/// 5 p4 Stress Yes no version, 6 p4 At home Yes June, 7 p5 Smoke Yes. `observation_ext` is
/// given before `observation` and names an id (99) no row has.
fn cope_engine() -> Engine {
    let mut store = Store::default();
    let concepts = [
        (COPE, "COPE", "Module"),
        (STRESS, "Stress", "Question"),
        (AT_HOME, "At home", "Question"),
        (SURVEY, "Lifestyle", "Module"),
        (SMOKE, "Smoke", "Question"),
        (YES, "Yes", "Answer"),
        (NO, "No", "Answer"),
    ];
    store.insert(ppi_concepts(concepts));
    let ancestry = [(COPE, STRESS, 1), (COPE, AT_HOME, 1), (SURVEY, SMOKE, 1)];
    store.insert(ancestors(ancestry));
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3, 4, 5])
            .ints("year_of_birth", [Some(1950); 5])
            .ints("gender_concept_id", [Some(8_532); 5])
            .ints("race_concept_id", [Some(0); 5])
            .ints("ethnicity_concept_id", [Some(0); 5]),
    ));
    store.insert(table(Fixture::new("observation_ext").ids("observation_id", [1, 2, 3, 4, 6, 99]).ints(
        "survey_version_concept_id",
        [MAY_2020, JUNE_2020, MAY_2020, 999, JUNE_2020, MAY_2020].map(Some),
    )));
    store.insert(table(
        Fixture::new("observation")
            .ids("observation_id", [1, 2, 3, 4, 5, 6, 7])
            .ids("person_id", [1, 1, 2, 3, 4, 4, 5])
            .ints("observation_concept_id", [Some(0); 7])
            .ints(
                "observation_source_concept_id",
                [STRESS, STRESS, STRESS, STRESS, STRESS, AT_HOME, SMOKE].map(Some),
            )
            .ints("value_source_concept_id", [YES, NO, YES, YES, YES, YES, YES].map(Some))
            .days("observation_date", [Some(18_262); 7]),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

#[test]
fn answers_by_version_are_shares_of_the_version_participants() {
    let e = cope_engine();
    let t = stat(
        &e,
        json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": STRESS, "breakdown": "version"}),
    )
    .unwrap();
    // May: persons 1 and 2; June: persons 1 and 4 (At home counts too); 999 and no version: none.
    assert_eq!(raw(&t), [(vec!["Yes", "May 2020"], 2, Some(2)), (vec!["No", "June 2020"], 1, Some(2))]);
    assert_eq!(
        (t.dimensions.clone(), t.percent_of),
        (vec!["Answer".into(), "Survey version".into()], PercentOf::Row)
    );
    let not_versioned = stat(
        &e,
        json!({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": SMOKE, "breakdown": "version"}),
    )
    .unwrap_err();
    assert!(not_versioned.to_string().contains("no survey with versions"), "{not_versioned}");
}

#[test]
fn a_versioned_survey_counts_only_rows_with_one_of_its_versions() {
    let t = stat(&cope_engine(), json!({"kind": "dataBrowser", "chart": "surveys"})).unwrap();
    // COPE: persons 1, 2 and 4 (3's version is not COPE's, 4's Stress row has none).
    assert_eq!(raw(&t), [(vec!["Lifestyle", "100"], 1, None), (vec!["COPE", "1333342"], 3, None)]);
}

#[test]
fn the_version_table_counts_each_version_participants_and_its_questions() {
    let e = cope_engine();
    let t =
        stat(&e, json!({"kind": "dataBrowser", "chart": "surveyVersions", "surveyConceptId": COPE})).unwrap();
    // May: persons 1 and 2, Stress only; June: persons 1 and 4, Stress and At home; the other
    // versions have no rows and are not shown (the Data Browser has no 3400 row for them).
    assert_eq!(raw(&t), [(vec!["May 2020", "1"], 2, None), (vec!["June 2020", "2"], 2, None)]);
    assert_eq!(t.dimensions, ["Survey version", "Questions"]);
    assert_eq!(t.total.raw(), 3, "the survey's participants (persons 1, 2 and 4)");
    let no_versions =
        stat(&e, json!({"kind": "dataBrowser", "chart": "surveyVersions", "surveyConceptId": SURVEY}))
            .unwrap_err();
    assert!(no_versions.to_string().contains("survey 100 has no versions"), "{no_versions}");
    let question =
        stat(&e, json!({"kind": "dataBrowser", "chart": "surveyVersions", "surveyConceptId": STRESS}))
            .unwrap_err();
    assert!(question.to_string().contains("not a survey module"), "{question}");
}
