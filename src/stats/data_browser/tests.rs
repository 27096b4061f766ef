//! The Data Browser statistics on a small hand-checked dataset (reference date 2024-06-30).

use cohortlens_fixture::Fixture;
use serde_json::json;

use crate::engine::{Engine, EngineError};
use crate::privacy::{PercentOf, Policy, TallyTable};
use crate::stats::tests::{concept_table, table};
use crate::stats::{EhrDomain, Scope, StatRequest};
use crate::store::Store;

const T2DM: i32 = 201_826;
const E11: i32 = 45_576_876;
const E10: i32 = 45_533_017;

/// Persons: 1 female born 1950-01-01, 2 male born 2000-06-15, 3 female born 1990-01-01,
/// 4 with gender 0 born 1970-01-01, 5 with gender 8551 (Unknown) born 1930-01-01.
/// Conditions (person, standard, source, date): 1 T2DM/E11 2019-12-31 (10956 + 14610 days:
/// CEIL(25566 / 365.25) = 70, where completed years are 69), 1 T2DM 1980-01-01 (30),
/// 2 T2DM 2020-01-01 (CEIL(7139 / 365.25) = 20), 3 0/E10 2015-06-01 (26), 4 T2DM 2021-01-01
/// (52), 5 0/E10 2010-01-01 (exactly 80). PII State answers: 1 NY and MA, 2 NY, 3 ZZ (a
/// code without a name). `Maps to`: E11 and E10 (written "MAPS TO") to T2DM, T2DM to itself.
fn engine() -> Engine {
    let mut store = store();
    store.insert(table(
        Fixture::new("concept_relationship")
            .ints("concept_id_1", [Some(E11), Some(E10), Some(T2DM), Some(E11)])
            .ints("concept_id_2", [Some(T2DM), Some(T2DM), Some(T2DM), Some(E10)])
            .texts("relationship_id", ["Maps to", "MAPS TO", "Maps to", "Is a"]),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

/// The dataset of [`engine`] without `concept_relationship`.
fn store() -> Store {
    let mut store = Store::default();
    let finding = |id, name, domain, vocabulary| (id, name, domain, vocabulary, "Clinical Finding", "x");
    store.insert(concept_table([
        finding(T2DM, "Type 2 diabetes mellitus", "Condition", "SNOMED"),
        finding(E11, "Type 2 diabetes mellitus (ICD-10 E11)", "Condition", "ICD10CM"),
        finding(E10, "Type 1 diabetes mellitus (ICD-10 E10)", "Condition", "ICD10CM"),
        finding(8_507, "MALE", "Gender", "Gender"),
        finding(8_532, "FEMALE", "Gender", "Gender"),
        finding(1_585_249, "State of residence", "Observation", "PPI"),
        finding(1_585_297, "PII State: NY", "Observation", "PPI"),
        finding(1_585_266, "PII State: MA", "Observation", "PPI"),
        finding(1_585_999, "PII State: ZZ", "Observation", "PPI"),
    ]));
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
        Fixture::new("condition_occurrence")
            .ids("person_id", [1, 1, 2, 3, 4, 5])
            .ints("condition_concept_id", [Some(T2DM), Some(T2DM), Some(T2DM), Some(0), Some(T2DM), Some(0)])
            .ints("condition_source_concept_id", [Some(E11), None, None, Some(E10), None, Some(E10)])
            .days("condition_start_date", [18_261, 3_652, 18_262, 16_587, 18_628, 14_610]),
    ));
    store.insert(table(
        Fixture::new("observation")
            .ids("person_id", [1, 1, 2, 3])
            .ints("observation_concept_id", [Some(0); 4])
            .ints("observation_source_concept_id", [Some(1_585_249); 4])
            .ints(
                "value_source_concept_id",
                [Some(1_585_297), Some(1_585_266), Some(1_585_297), Some(1_585_999)],
            )
            .days("observation_date", [18_262; 4]),
    ));
    store
}

/// A dataset-scope statistic of `engine` (also used by the survey tests).
pub(super) fn stat(engine: &Engine, request: serde_json::Value) -> Result<TallyTable, EngineError> {
    engine.statistics(&Scope::Dataset, &serde_json::from_value(request).unwrap())
}

/// Rows as (labels, raw count, raw denominator).
pub(super) fn raw(t: &TallyTable) -> Vec<(Vec<&str>, u64, Option<u64>)> {
    t.rows
        .iter()
        .map(|r| (r.labels.iter().map(String::as_str).collect(), r.tally.raw(), r.of.map(|o| o.raw())))
        .collect()
}

#[test]
fn domains_count_every_participant_with_a_record() {
    let t = stat(&engine(), json!({"kind": "dataBrowser", "chart": "domains"})).unwrap();
    let rows: Vec<(&str, u64)> = t.rows.iter().map(|r| (r.labels[0].as_str(), r.tally.raw())).collect();
    assert_eq!(
        rows,
        [
            ("Condition", 5),
            ("Drug", 0),
            ("Procedure", 0),
            ("Observation", 3),
            ("Measurement", 0),
            ("Physical Measurements", 0),
            ("Fitbit", 0)
        ]
    );
    assert_eq!(t.total.raw(), 5);
}

#[test]
fn concepts_are_exact_and_list_unmapped_source_concepts() {
    let engine = engine();
    let t =
        stat(&engine, json!({"kind": "dataBrowser", "chart": "concepts", "domain": "condition"})).unwrap();
    assert_eq!(
        raw(&t),
        [
            (vec!["Type 1 diabetes mellitus (ICD-10 E10)", "45533017"], 2, None),
            (vec!["Type 2 diabetes mellitus", "201826"], 3, None),
            (vec!["Type 2 diabetes mellitus (ICD-10 E11)", "45576876"], 1, None),
        ]
    );
    assert_eq!(t.rank, Some(3), "the policy orders the list by disclosed counts");
    let listed: Vec<(i32, bool)> = engine
        .data_browser_concepts(EhrDomain::Condition)
        .iter()
        .map(|c| (c.concept_id, c.standard))
        .collect();
    assert_eq!(listed, [(T2DM, true), (E10, false), (E11, false)], "by id");
    assert!(engine.data_browser_concepts(EhrDomain::Drug).is_empty(), "no concept without participants");
}

#[test]
fn sex_shares_are_of_the_domain_participants_of_that_sex() {
    let engine = engine();
    let t = stat(
        &engine,
        json!({"kind": "dataBrowser", "chart": "sex", "domain": "condition", "conceptId": T2DM}),
    )
    .unwrap();
    assert_eq!(
        raw(&t),
        [(vec!["Female"], 1, Some(2)), (vec!["Male"], 1, Some(1)), (vec!["Other"], 1, Some(1))]
    );
    assert_eq!((t.total.raw(), t.percent_of), (3, PercentOf::Row));
    let shown = Policy::Suppress.disclose_table(&t);
    assert!(shown.rows.iter().all(|r| r.percent.is_none()), "withheld cells give no percent");
}

#[test]
fn age_is_at_first_occurrence_rounded_up_and_age_sex_is_per_record() {
    let engine = engine();
    let ask = |chart: &str, concept: i32| {
        stat(
            &engine,
            json!({"kind": "dataBrowser", "chart": chart, "domain": "condition", "conceptId": concept}),
        )
        .unwrap()
    };
    let age = ask("age", T2DM);
    // Person 1's first record is at 30 (not their 70 of 2019); the domain's participants by
    // age at each record are 18-29: 2, 2; 30-39: 1; 50-59: 4.
    assert_eq!(
        raw(&age),
        [(vec!["18-29"], 1, Some(2)), (vec!["30-39"], 1, Some(1)), (vec!["50-59"], 1, Some(1))]
    );
    assert_eq!(raw(&ask("age", E10)), [(vec!["18-29"], 1, Some(2)), (vec!["80-89"], 1, Some(1))]);
    let age_sex = ask("ageSex", T2DM);
    let cells: Vec<(Vec<&str>, u64)> = raw(&age_sex).into_iter().map(|(l, n, _)| (l, n)).collect();
    let expected = [
        (["18-29", "Male"], 1),
        (["18-29", "Female"], 0),
        (["18-29", "Other"], 0),
        (["30-39", "Male"], 0),
        (["30-39", "Female"], 1),
        (["30-39", "Other"], 0),
        (["50-59", "Male"], 0),
        (["50-59", "Female"], 0),
        (["50-59", "Other"], 1),
        (["70-79", "Male"], 0),
        (["70-79", "Female"], 1),
        (["70-79", "Other"], 0),
    ];
    assert_eq!(cells, expected.map(|(l, n)| (l.to_vec(), n)));
    assert_eq!(age_sex.percent_of, PercentOf::Group);
    let shown = Policy::Aou.disclose_table(&age_sex);
    assert_eq!(shown.rows[0].percent, Some(100.0), "20 of a group of 20");
    assert_eq!(shown.rows[1].percent, Some(0.0));
}

#[test]
fn a_concept_outside_the_domain_is_a_clear_error() {
    let engine = engine();
    let e =
        stat(&engine, json!({"kind": "dataBrowser", "chart": "age", "domain": "drug", "conceptId": T2DM}))
            .unwrap_err();
    assert!(e.to_string().contains("no records in the Data Browser's Drug domain"), "{e}");
    let e =
        stat(&engine, json!({"kind": "dataBrowser", "chart": "sex", "domain": "condition", "conceptId": 7}))
            .unwrap_err();
    assert_eq!(e, EngineError::UnknownConcept(7));
}

#[test]
fn location_counts_a_participant_in_each_state_answered() {
    let t = stat(
        &engine(),
        json!({"kind": "dataBrowser", "chart": "location", "domain": "condition", "conceptId": T2DM}),
    )
    .unwrap();
    assert_eq!(raw(&t), [(vec!["Massachusetts"], 1, None), (vec!["New York"], 2, None)]);
    assert_eq!(t.total.raw(), 3, "person 4 has no state and still counts in the total");
    let t = stat(
        &engine(),
        json!({"kind": "dataBrowser", "chart": "location", "domain": "condition", "conceptId": E10}),
    )
    .unwrap();
    assert_eq!(raw(&t), [(vec!["us-zz"], 1, None)], "an unknown code keeps its code");
}

#[test]
fn sources_are_the_concepts_mapped_to_the_concept_with_source_participants() {
    let t = stat(&engine(), json!({"kind": "dataBrowser", "chart": "sources", "conceptId": T2DM})).unwrap();
    // T2DM maps to itself but no row has it as source concept: not listed; "Is a" is no mapping.
    assert_eq!(
        raw(&t),
        [
            (vec!["Type 1 diabetes mellitus (ICD-10 E10) (ICD10CM-x)"], 2, None),
            (vec!["Type 2 diabetes mellitus (ICD-10 E11) (ICD10CM-x)"], 1, None),
        ]
    );
    assert_eq!((t.total.raw(), t.rank), (3, Some(10)));
    let none = stat(&engine(), json!({"kind": "dataBrowser", "chart": "sources", "conceptId": E10})).unwrap();
    assert!(none.rows.is_empty(), "nothing maps to E10");
    let bare = Engine::build(&store(), Some("2024-06-30")).unwrap();
    let err = stat(&bare, json!({"kind": "dataBrowser", "chart": "sources", "conceptId": T2DM})).unwrap_err();
    assert!(err.to_string().contains("no concept_relationship table"), "{err}");
}

#[test]
fn values_are_binned_between_the_fences_shared_by_every_sex_of_a_unit() {
    const HBA1C: i32 = 3_004_410;
    const PERCENT: i32 = 8_554;
    const POSITIVE: i32 = 45_884_084;
    let mut store = store();
    let finding = |id, name, domain, vocabulary| (id, name, domain, vocabulary, "Clinical Finding", "x");
    store.insert(concept_table([
        finding(T2DM, "Type 2 diabetes mellitus", "Condition", "SNOMED"),
        finding(HBA1C, "Hemoglobin A1c", "Measurement", "LOINC"),
        finding(PERCENT, "percent", "Unit", "UCUM"),
        finding(POSITIVE, "Positive", "Meas Value", "LOINC"),
    ]));
    // Percent: Female 5, 6 (person 1) and 9 (3); Male 7 (2); gender 0: 6 (4); Unknown 100
    // (5). No unit: person 1's 3 (Female), person 2's Positive (Male).
    let unit = Some(PERCENT);
    store.insert(table(
        Fixture::new("measurement")
            .ids("person_id", [1, 1, 3, 2, 4, 5, 1, 2])
            .ints("measurement_concept_id", [Some(HBA1C); 8])
            .days("measurement_date", [18_262; 8])
            .floats(
                "value_as_number",
                [Some(5.0), Some(6.0), Some(9.0), Some(7.0), Some(6.0), Some(100.0), Some(3.0), None],
            )
            .ints("unit_concept_id", [unit, unit, unit, unit, unit, unit, Some(0), None])
            .ints("value_as_concept_id", [None, None, None, None, None, None, Some(0), Some(POSITIVE)]),
    ));
    let engine = Engine::build(&store, Some("2024-06-30")).unwrap();
    let t = stat(&engine, json!({"kind": "dataBrowser", "chart": "values", "conceptId": HBA1C})).unwrap();
    // Fences per sex: Female 5 and 9, Male, Other 7 and 6 (p10 and p90), Unknown 100 (a
    // multiple of 10); shared 5 and 100; width (100 − 5) / 11 = 8.6 → 9 → ROUND(9 / 5)·5 = 10;
    // bins from 5 to 105. No unit: one value, width 0, the bin "3 - 3".
    assert_eq!(
        raw(&t),
        [
            (vec!["No unit", "Female", "3 - 3"], 1, None),
            (vec!["No unit", "Male", "Positive"], 1, None),
            (vec!["percent", "Female", "5 - 15"], 2, None),
            (vec!["percent", "Male", "5 - 15"], 1, None),
            (vec!["percent", "Other", "5 - 15"], 1, None),
            (vec!["percent", "Unknown", "95 - 105"], 1, None),
        ]
    );
    assert_eq!(t.total.raw(), 5);
    let e = stat(&engine, json!({"kind": "dataBrowser", "chart": "values", "conceptId": T2DM})).unwrap_err();
    assert!(e.to_string().contains("no records in the Data Browser's Measurement domain"), "{e}");
}

/// Race/ethnicity answers (person, answer): 1 Black; 2 White and Hispanic (several); 3 MENA
/// (Other); 4 None of these (Other); 5 Asian twice (one distinct answer); 6 PMI Prefer not to
/// answer (its own name); 7 White and a null answer (single: the null row counts under Other);
/// 8 only a null answer (no answer counted: "More than one", as the query's `else` gives).
fn race_engine() -> Engine {
    let mut store = Store::default();
    let ppi = |id, name| (id, name, "Observation", "PPI", "Answer", "x");
    store.insert(concept_table([
        ppi(1_586_140, "Race: What Race Ethnicity"),
        ppi(1_586_143, "Black, African American, or African"),
        ppi(1_586_146, "White"),
        ppi(1_586_147, "Hispanic, Latino, or Spanish"),
        ppi(1_586_144, "Middle Eastern or North African"),
        ppi(1_586_148, "None of these fully describe me"),
        ppi(1_586_142, "Asian"),
        ppi(903_079, "PMI: Prefer Not To Answer"),
    ]));
    let ids = [1, 2, 3, 4, 5, 6, 7, 8];
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", ids)
            .ints("year_of_birth", [Some(1980); 8])
            .ints("gender_concept_id", [Some(8_532); 8])
            .ints("race_concept_id", [Some(0); 8])
            .ints("ethnicity_concept_id", [Some(0); 8]),
    ));
    let answers = [
        (1, Some(1_586_143)),
        (2, Some(1_586_146)),
        (2, Some(1_586_147)),
        (3, Some(1_586_144)),
        (4, Some(1_586_148)),
        (5, Some(1_586_142)),
        (5, Some(1_586_142)),
        (6, Some(903_079)),
        (7, Some(1_586_146)),
        (7, None),
        (8, None),
    ];
    store.insert(table(
        Fixture::new("observation")
            .ids("person_id", answers.map(|(p, _)| p))
            .ints("observation_concept_id", [Some(0); 11])
            .ints("observation_source_concept_id", [Some(1_586_140); 11])
            .ints("value_source_concept_id", answers.map(|(_, a)| a))
            .days("observation_date", [18_262; 11]),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

#[test]
fn race_ethnicity_groups_answerers_as_the_data_browser_does() {
    let t = stat(&race_engine(), json!({"kind": "dataBrowser", "chart": "raceEthnicity"})).unwrap();
    assert_eq!(
        raw(&t),
        [
            (vec!["Asian"], 1, None),
            (vec!["Black"], 1, None),
            (vec!["More than one"], 2, None),
            (vec!["Other"], 3, None),
            (vec!["PMI: Prefer Not To Answer"], 1, None),
            (vec!["White"], 1, None),
        ]
    );
    assert_eq!((t.total.raw(), t.percent_of), (8, PercentOf::Answered));
    let shown = Policy::Aou.disclose_table(&t);
    assert_eq!(shown.rows[0].count.value(), Some(20), "every cell is rounded up to 20");
    assert_eq!(shown.rows[0].percent, Some(100.0), "20 of a disclosed total of 20");
}

#[test]
fn a_batch_of_statistics_answers_as_each_alone() {
    let engine = engine();
    let chart = |chart: &str, domain: &str, concept: i32| json!({"kind": "dataBrowser", "chart": chart, "domain": domain, "conceptId": concept});
    let requests: Vec<StatRequest> = [
        json!({"kind": "dataBrowser", "chart": "domains"}),
        json!({"kind": "dataBrowser", "chart": "concepts", "domain": "observation"}),
        chart("sex", "condition", T2DM),
        chart("age", "condition", T2DM),
        chart("ageSex", "condition", E10),
        chart("location", "condition", E11),
        chart("location", "condition", T2DM),
        json!({"kind": "dataBrowser", "chart": "concepts", "domain": "condition"}),
        chart("sex", "condition", E10),
        json!({"kind": "dataBrowser", "chart": "sources", "conceptId": T2DM}),
    ]
    .into_iter()
    .map(|r| serde_json::from_value(r).unwrap())
    .collect();
    for scope in [Scope::Dataset, Scope::Concept(E10)] {
        let batch = engine.disclosed_statistics_all(&scope, &requests, Policy::Suppress).unwrap();
        let alone: Vec<_> = (requests.iter())
            .map(|r| engine.disclosed_statistics(&scope, r, Policy::Suppress).unwrap())
            .collect();
        assert_eq!(batch, alone);
    }
    let mut bad = requests;
    bad.push(serde_json::from_value(chart("sex", "condition", 7)).unwrap());
    let e = engine.disclosed_statistics_all(&Scope::Dataset, &bad, Policy::Suppress).unwrap_err();
    assert_eq!(e, EngineError::UnknownConcept(7), "a batch fails as its first failing request");
}
