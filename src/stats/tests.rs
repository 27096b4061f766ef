//! Tests of the statistics on a small hand-checked dataset.

use cohortlens_fixture::Fixture;
use serde_json::json;

use super::*;
use crate::cohort::CohortDefinition;
use crate::engine::{Engine, EngineBuilder, EngineError};
use crate::store::{Store, Table};

const T2DM: i32 = 201_826;
const DM: i32 = 201_820;
const HBA1C: i32 = 3_004_410;
const PERCENT: i32 = 8_554;
const MODULE: i32 = 1_585_710;
const HEALTH: i32 = 1_585_711;
const GOOD: i32 = 1_585_712;
const POOR: i32 = 1_585_713;
const FEMALE: i32 = 8_532;
const MALE: i32 = 8_507;

/// A fixture as a store table (shared with the Data Browser tests).
pub(super) fn table(fixture: Fixture) -> Table {
    let batch = fixture.batch();
    Table::new(fixture.name().to_owned(), batch.schema(), vec![batch])
}

/// A `concept` table of (id, name, domain, vocabulary, class, code) rows.
pub(super) fn concept_table<const N: usize>(concepts: [(i32, &str, &str, &str, &str, &str); N]) -> Table {
    table(
        Fixture::new("concept")
            .ints("concept_id", concepts.map(|c| Some(c.0)))
            .texts("concept_name", concepts.map(|c| c.1))
            .texts("domain_id", concepts.map(|c| c.2))
            .texts("vocabulary_id", concepts.map(|c| c.3))
            .texts("concept_class_id", concepts.map(|c| c.4))
            .texts("concept_code", concepts.map(|c| c.5)),
    )
}

/// Five persons: 1 female born 1950, 2 male born 2000, 3 female without a birth year,
/// 4 with sex concept 0 born 2010 (under 18), 5 male born 1930. Persons 1, 2, 3 have type 2
/// diabetes (a descendant of diabetes); 1 and 2 have HbA1c values; 1 and 2 took the survey
/// whose question 1 answered.
fn engine() -> Engine {
    Engine::build(&store(), Some("2024-06-30")).unwrap()
}

/// The tables of [`engine`].
fn store() -> Store {
    let mut store = Store::default();
    let concepts = [
        (T2DM, "Type 2 diabetes", "Condition", "SNOMED", "Clinical Finding", ""),
        (DM, "Diabetes", "Condition", "SNOMED", "Clinical Finding", ""),
        (HBA1C, "HbA1c", "Measurement", "LOINC", "Lab Test", ""),
        (PERCENT, "percent", "Unit", "UCUM", "Unit", "%"),
        (MODULE, "Overall Health", "Observation", "PPI", "Module", ""),
        (HEALTH, "General Health", "Observation", "PPI", "Question", ""),
        (1_585_714, "Other question", "Observation", "PPI", "Question", ""),
        (GOOD, "Good", "Observation", "PPI", "Answer", ""),
        (POOR, "Poor", "Observation", "PPI", "Answer", ""),
        (FEMALE, "Female", "Gender", "Gender", "Gender", "F"),
        (MALE, "Male", "Gender", "Gender", "Gender", "M"),
    ];
    store.insert(concept_table(concepts));
    let ancestry = [(DM, T2DM, 1), (MODULE, HEALTH, 1), (MODULE, 1_585_714, 1)];
    store.insert(table(
        Fixture::new("concept_ancestor")
            .ints("ancestor_concept_id", ancestry.map(|a| Some(a.0)))
            .ints("descendant_concept_id", ancestry.map(|a| Some(a.1)))
            .ints("min_levels_of_separation", ancestry.map(|a| Some(a.2))),
    ));
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3, 4, 5])
            .ints("year_of_birth", [Some(1950), Some(2000), None, Some(2010), Some(1930)])
            .ints("gender_concept_id", [Some(FEMALE), Some(MALE), Some(FEMALE), Some(0), Some(MALE)])
            .ints("sex_at_birth_concept_id", [Some(FEMALE), Some(MALE), Some(FEMALE), Some(0), None])
            .ints("race_concept_id", [Some(0); 5])
            .ints("ethnicity_concept_id", [Some(0); 5]),
    ));
    // 2020-01-01 is day 18262.
    store.insert(table(
        Fixture::new("condition_occurrence")
            .ids("person_id", [1, 1, 2, 3])
            .ints("condition_concept_id", [Some(T2DM), Some(T2DM), Some(T2DM), Some(T2DM)])
            .days("condition_start_date", [18_262, 3_000, 18_262, 18_262]),
    ));
    store.insert(table(
        Fixture::new("measurement")
            .ids("person_id", [1, 1, 2, 2])
            .ints("measurement_concept_id", [Some(HBA1C); 4])
            .days("measurement_date", [18_262; 4])
            .floats("value_as_number", [Some(6.1), Some(6.2), Some(9.0), None])
            .ints("unit_concept_id", [Some(PERCENT); 4]),
    ));
    store.insert(table(
        Fixture::new("observation")
            .ids("person_id", [1, 2])
            .ints("observation_concept_id", [Some(HEALTH), Some(1_585_714)])
            .ints("observation_source_concept_id", [Some(HEALTH), Some(1_585_714)])
            .days("observation_date", [18_262; 2])
            .ints("value_source_concept_id", [Some(GOOD), Some(POOR)])
            .ints("observation_type_concept_id", [Some(45_905_771); 2]),
    ));
    store
}

/// [`engine`] with Fitbit data, `activity_summary` streamed in two record batches as the
/// browser does: person 1 on 2020-01-20 and 2020-03-10; person 2 on 2019-12-15, twice in
/// 2020-03 and once without a date; person 3 only without a date; person 4 only in
/// `heart_rate_summary`; unknown person 999 in 2019-11.
fn fitbit_engine() -> Engine {
    let store = store();
    let fitbit = ["activity_summary", "heart_rate_summary"];
    let mut builder = EngineBuilder::new(store.tables().map(Table::name).chain(fitbit), Some("2024-06-30"));
    for t in store.tables() {
        builder.begin_table(t.name(), Some(t.rows())).unwrap();
        builder.push(t.batches().to_vec()).unwrap();
        builder.end_table(t.schema()).unwrap();
    }
    let first = table(
        Fixture::new("activity_summary")
            .ids("person_id", [1, 2, 999])
            .days("date", [Some(18_281), Some(18_245), Some(18_215)])
            .ids("steps", [4_000, 9_000, 1]),
    );
    let second = table(
        Fixture::new("activity_summary")
            .ids("person_id", [1, 2, 2, 2, 3])
            .days("date", [Some(18_331), Some(18_331), Some(18_352), None, None])
            .ids("steps", [6_000, 9_000, 9_000, 9_000, 100]),
    );
    builder.begin_table("activity_summary", None).unwrap();
    builder.push(first.batches().to_vec()).unwrap();
    builder.push(second.batches().to_vec()).unwrap();
    builder.end_table(first.schema()).unwrap();
    let heart = table(Fixture::new("heart_rate_summary").ids("person_id", [4]).days("date", [18_262]));
    builder.begin_table("heart_rate_summary", None).unwrap();
    builder.push(heart.batches().to_vec()).unwrap();
    builder.end_table(heart.schema()).unwrap();
    builder.finish().unwrap()
}

fn cohort(engine: &Engine, concept: i32) -> Cohort {
    let definition = CohortDefinition::from_value(json!({"includes": [{"id": 1, "items": [{"id": 1,
        "type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": concept, "standard": true}]}]}]}))
    .unwrap();
    engine.cohort(&definition).unwrap()
}

/// A cohort of no one: a condition item whose events all fall before the date it asks for.
fn nobody(engine: &Engine) -> Cohort {
    let definition = CohortDefinition::from_value(json!({"includes": [{"id": 1, "items": [{"id": 1,
        "type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": T2DM, "standard": true}],
        "modifiers": [{"name": "EVENT_DATE", "operator": "GREATER_THAN", "operands": ["2999-01-01"]}]}]}]}))
    .unwrap();
    engine.cohort(&definition).unwrap()
}

fn raw(t: &TallyTable) -> Vec<(Vec<&str>, u64)> {
    t.rows.iter().map(|r| (r.labels.iter().map(String::as_str).collect(), r.tally.raw())).collect()
}

fn stat(engine: &Engine, scope: Scope<'_>, request: serde_json::Value) -> Result<TallyTable, EngineError> {
    engine.statistics(&scope, &serde_json::from_value(request).unwrap())
}

#[test]
fn an_empty_cohort_has_empty_tables() {
    let engine = engine();
    let empty = nobody(&engine);
    let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "race"})).unwrap();
    assert_eq!((t.rows.len(), t.total.raw()), (0, 0));
    let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "age", "bands": "cohortBuilder"})).unwrap();
    assert_eq!(raw(&t), vec![(vec!["18–44"], 0), (vec!["45–64"], 0), (vec!["65+"], 0)]);
    let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "fitbitSteps"})).unwrap();
    assert!(t.rows.iter().all(|r| r.tally.raw() == 0) && t.total.raw() == 0);
}

#[test]
fn ages_partition_the_scope_with_under_18_and_unknown_rows() {
    let engine = engine();
    let t = stat(&engine, Scope::Concept(DM), json!({"kind": "age", "bands": "cohortBuilder"})).unwrap();
    // Persons 1 (74), 2 (24), 3 (no birth year).
    assert_eq!(raw(&t), vec![(vec!["18–44"], 1), (vec!["45–64"], 0), (vec!["65+"], 1), (vec!["Unknown"], 1)]);
    // Male and "No matching concept" persons 4 (14) and 5 (94) have no condition: scope by gender.
    let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "age", "bands": "dataBrowser"})).unwrap();
    assert_eq!(t.rows.last().map(|r| (r.labels[0].as_str(), r.tally.raw())), Some(("90+", 1)));
    let t = stat(&engine, Scope::Concept(T2DM), json!({"kind": "sexAtBirth"})).unwrap();
    assert_eq!(raw(&t), vec![(vec!["Female"], 2), (vec!["Male"], 1)]);
    let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "sexAtBirth"})).unwrap();
    assert_eq!(raw(&t), vec![(vec!["Male"], 1), (vec!["Not recorded"], 1)]);
    let t =
        stat(&engine, Scope::Concept(MALE), json!({"kind": "ageBySex", "bands": "cohortBuilder"})).unwrap();
    assert_eq!(t.rows.len(), 3 * 2);
    assert_eq!(t.rows.iter().map(|r| r.tally.raw()).sum::<u64>(), t.total.raw());
}

#[test]
fn age_at_event_is_at_the_first_occurrence_and_needs_a_concept() {
    let engine = engine();
    // Person 1's first T2DM is day 3000 (1978), aged 28; person 2 is 20 on 2020-01-01;
    // person 3 has no birth year.
    let request = json!({"kind": "age", "bands": "cohortBuilder", "at": "event"});
    let t = stat(&engine, Scope::Concept(T2DM), request).unwrap();
    assert_eq!(raw(&t), vec![(vec!["18–44"], 2), (vec!["45–64"], 0), (vec!["65+"], 0), (vec!["Unknown"], 1)]);
    let c = cohort(&engine, T2DM);
    let e = stat(&engine, Scope::Cohort(&c), json!({"kind": "age", "bands": "dataBrowser", "at": "event"}))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_statistic");
    assert!(e.to_string().contains("\"now\""), "{e}");
}

#[test]
fn unknown_concepts_domains_and_limits_are_errors() {
    let engine = engine();
    let e = stat(&engine, Scope::Concept(42), json!({"kind": "race"})).unwrap_err();
    assert_eq!((e.code(), e.to_string().contains("42")), ("unknown_concept", true));
    let c = cohort(&engine, T2DM);
    for request in [
        json!({"kind": "measurementValues", "conceptId": 42}),
        json!({"kind": "surveyAnswers", "questionConceptId": 42}),
        json!({"kind": "recordSources", "conceptId": 42}),
    ] {
        assert_eq!(stat(&engine, Scope::Cohort(&c), request).unwrap_err(), EngineError::UnknownConcept(42));
    }
    let e = stat(&engine, Scope::Cohort(&c), json!({"kind": "topConcepts", "domain": "X", "limit": 3}));
    assert!(e.unwrap_err().to_string().contains("CONDITION"));
    let e = stat(&engine, Scope::Cohort(&c), json!({"kind": "topConcepts", "domain": "DRUG", "limit": 0}));
    assert!(e.unwrap_err().to_string().contains("1 to 1000"));
}

#[test]
fn top_concepts_values_surveys_and_sources() {
    let engine = engine();
    let c = cohort(&engine, T2DM);
    let t =
        stat(&engine, Scope::Cohort(&c), json!({"kind": "topConcepts", "domain": "CONDITION", "limit": 5}))
            .unwrap();
    assert_eq!(raw(&t), vec![(vec!["Type 2 diabetes"], 3)]);
    let t =
        stat(&engine, Scope::Cohort(&c), json!({"kind": "measurementValues", "conceptId": HBA1C})).unwrap();
    assert_eq!(t.total.raw(), 2, "person 2's null value is not counted, their 9.0 is");
    let counted: Vec<_> = raw(&t).into_iter().filter(|(_, n)| *n > 0).collect();
    assert!(counted.iter().all(|(labels, _)| labels[0] == "%"), "{counted:?}");
    // Person 1's 6.1 and 6.2 fall in two bins: they count in both.
    let cells: Vec<(&str, u64)> = counted.iter().map(|(labels, n)| (labels[1], *n)).collect();
    assert_eq!(cells, vec![("6.0–6.2", 1), ("6.2–6.4", 1), ("9.0–9.2", 1)]);
    let t = stat(&engine, Scope::Cohort(&c), json!({"kind": "surveyAnswers", "questionConceptId": HEALTH}))
        .unwrap();
    // Persons 1 and 2 took the survey; 1 answered "Good".
    assert_eq!((raw(&t), t.total.raw()), (vec![(vec!["Good"], 1)], 2));
    assert_eq!(t.remainder.as_deref(), Some("Did not answer"));
    let t =
        stat(&engine, Scope::Concept(FEMALE), json!({"kind": "recordSources", "conceptId": T2DM})).unwrap();
    assert_eq!(raw(&t), vec![(vec!["condition_occurrence"], 2)]);
}

#[test]
fn fitbit_months_count_persons_with_activity_from_the_first_month_to_the_last() {
    let (engine, plain) = (fitbit_engine(), engine());
    // Persons 1, 2 and 3 (diabetes); every batch's rows count, months without data are zeros.
    let t = stat(&engine, Scope::Concept(DM), json!({"kind": "fitbitMonthly"})).unwrap();
    assert_eq!(
        raw(&t),
        vec![(vec!["2019-12"], 1), (vec!["2020-01"], 1), (vec!["2020-02"], 0), (vec!["2020-03"], 2)]
    );
    assert_eq!((t.name.as_str(), t.dimensions.as_slice()), ("fitbit_monthly", &["Month".to_owned()][..]));
    assert_eq!(t.total.raw(), 3, "person 3's undated row counts in the total only");
    // Persons 2 and 5 (male); person 4's heart rate alone is no activity.
    let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "fitbitMonthly"})).unwrap();
    assert_eq!(
        raw(&t),
        vec![(vec!["2019-12"], 1), (vec!["2020-01"], 0), (vec!["2020-02"], 0), (vec!["2020-03"], 1)]
    );
    let t = stat(&engine, Scope::Concept(FEMALE), json!({"kind": "fitbitMonthly"})).unwrap();
    assert_eq!(
        (raw(&t), t.total.raw()),
        (vec![(vec!["2020-01"], 1), (vec!["2020-02"], 0), (vec!["2020-03"], 1)], 2)
    );
    let t = stat(&engine, Scope::Concept(DM), json!({"kind": "fitbitSteps"})).unwrap();
    assert_eq!(t.total.raw(), 3);
    // No activity in scope: no months.
    let empty = nobody(&engine);
    let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "fitbitMonthly"})).unwrap();
    assert_eq!((t.rows.len(), t.total.raw()), (0, 0));
    let t = stat(&plain, Scope::Concept(DM), json!({"kind": "fitbitMonthly"})).unwrap();
    assert_eq!((t.rows.len(), t.total.raw()), (0, 0), "a dataset without Fitbit has no months");
}

#[test]
fn without_sex_at_birth_the_sex_tables_fall_back_to_gender_so_labelled() {
    // The same persons with gender only, as an OMOP export without All of Us's column has.
    let mut store = store();
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3, 4, 5])
            .ints("year_of_birth", [Some(1950), Some(2000), None, Some(2010), Some(1930)])
            .ints("gender_concept_id", [Some(FEMALE), Some(MALE), Some(FEMALE), Some(0), Some(MALE)])
            .ints("race_concept_id", [Some(0); 5])
            .ints("ethnicity_concept_id", [Some(0); 5]),
    ));
    let omop = Engine::build(&store, Some("2024-06-30")).unwrap();
    let t = stat(&omop, Scope::Concept(T2DM), json!({"kind": "sexAtBirth"})).unwrap();
    assert_eq!(
        (t.name.as_str(), t.title.as_str(), t.dimensions.clone()),
        ("gender", "Gender", vec!["Gender".to_owned()])
    );
    assert_eq!(raw(&t), vec![(vec!["Female"], 2), (vec!["Male"], 1)]);
    let request = json!({"kind": "ageBySex", "bands": "cohortBuilder"});
    let t = stat(&omop, Scope::Concept(MALE), request).unwrap();
    assert_eq!((t.name.as_str(), t.title.as_str()), ("age_by_gender", "Current age by gender"));
    assert_eq!(t.dimensions, vec!["Age", "Gender"]);
    // Person 2 (24, male) and person 5 (94, male): no "Not recorded" column.
    assert_eq!(
        raw(&t),
        vec![(vec!["18–44", "Male"], 1), (vec!["45–64", "Male"], 0), (vec!["65+", "Male"], 1)]
    );

    // With sex at birth recorded, ageBySex stays by sex at birth and ageByGender is offered.
    let aou = engine();
    let by_sex =
        stat(&aou, Scope::Concept(MALE), json!({"kind": "ageBySex", "bands": "cohortBuilder"})).unwrap();
    assert_eq!(
        (by_sex.name.as_str(), by_sex.dimensions[1].as_str()),
        ("age_by_sex", "Sex assigned at birth")
    );
    assert!(raw(&by_sex).contains(&(vec!["65+", "Not recorded"], 1)));
    let by_gender =
        stat(&aou, Scope::Concept(MALE), json!({"kind": "ageByGender", "bands": "cohortBuilder"})).unwrap();
    assert_eq!(raw(&by_gender), raw(&t));
    let t = stat(&aou, Scope::Concept(T2DM), json!({"kind": "sexAtBirth"})).unwrap();
    assert_eq!((t.name.as_str(), t.title.as_str()), ("sex_at_birth", "Sex assigned at birth"));
}

/// Server mode: an engine of the vocabulary and `person` only gives a person set's count and
/// statistics of persons exactly as the full engine gives the same cohort, and refuses the rest.
#[test]
fn server_mode_answers_statistics_of_persons_as_full_mode_and_refuses_events() {
    let full = engine();
    let mut persons_only = Store::default();
    for t in store().tables().filter(|t| matches!(t.name(), "concept" | "concept_ancestor" | "person")) {
        persons_only.insert(Table::new(t.name().to_owned(), t.schema().clone(), t.batches().to_vec()));
    }
    let server = Engine::build(&persons_only, Some("2024-06-30")).unwrap().into_server_mode();
    assert!(server.server_mode() && !full.server_mode());
    let diabetic = cohort(&full, T2DM);
    let from_server = server.cohort_of_persons(&[1, 2, 3]).unwrap();
    assert_eq!(from_server.raw().total, diabetic.raw().total);
    for request in [
        json!({"kind": "sexAtBirth"}),
        json!({"kind": "gender"}),
        json!({"kind": "race"}),
        json!({"kind": "ethnicity"}),
        json!({"kind": "age", "bands": "dataBrowser"}),
        json!({"kind": "ageBySex", "bands": "cohortBuilder"}),
        json!({"kind": "ageByGender", "bands": "dataBrowser"}),
    ] {
        let want = stat(&full, Scope::Cohort(&diabetic), request.clone()).unwrap();
        let got = stat(&server, Scope::Cohort(&from_server), request.clone()).unwrap();
        assert_eq!(raw(&got), raw(&want), "{request}");
        assert_eq!(got.total.raw(), want.total.raw(), "{request}");
        // Equal person sets have equal cell keys: perturbation agrees too.
        assert_eq!(got, want, "{request}");
    }
    let refused = |r: Result<TallyTable, EngineError>| r.unwrap_err().code();
    assert_eq!(
        refused(stat(
            &server,
            Scope::Cohort(&from_server),
            json!({"kind": "topConcepts", "domain": "CONDITION", "limit": 5})
        )),
        "server_mode"
    );
    assert_eq!(
        refused(stat(
            &server,
            Scope::Cohort(&from_server),
            json!({"kind": "age", "bands": "dataBrowser", "at": "event"})
        )),
        "server_mode"
    );
    assert_eq!(refused(stat(&server, Scope::Concept(T2DM), json!({"kind": "gender"}))), "server_mode");
    let definition = CohortDefinition::from_value(json!({"includes": [{"id": 1, "items": [{"id": 1,
        "type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": T2DM, "standard": true}]}]}]}))
    .unwrap();
    let e = server.cohort(&definition).unwrap_err();
    assert_eq!(e.code(), "server_mode");
    assert!(e.to_string().contains("mode: 'full'"), "{e}");
    let search = crate::vocab::ConceptQuery { query: "diabetes".into(), ..Default::default() };
    assert_eq!(
        server.search_concepts(&search, crate::privacy::Policy::Aou).unwrap_err().code(),
        "server_mode"
    );
    // An id the person table lacks: the server read other data.
    let e = server.cohort_of_persons(&[1, 99]).unwrap_err();
    assert_eq!(e.code(), "dataset_mismatch");
    assert!(e.to_string().contains("person 99"), "{e}");
}
