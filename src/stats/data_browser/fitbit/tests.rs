//! The Fitbit tiles on a small hand-checked dataset.

use std::sync::Arc;

use arrow_array::TimestampMicrosecondArray;
use cohortlens_fixture::{Fixture, day};
use serde_json::json;

use crate::engine::Engine;
use crate::privacy::{PercentOf, TallyTable};
use crate::stats::Scope;
use crate::store::{Store, Table};

fn table(fixture: Fixture) -> Table {
    let batch = fixture.batch();
    Table::new(fixture.name().to_owned(), batch.schema(), vec![batch])
}

/// Persons: 1 female born 1990-06-15, 2 male born 2000-01-01, 3 with gender 0 born 1950-03-01.
/// `heart_rate_summary`: 1 on 2019-06-14 (age 28: the day before the birthday) and 2021-01-01.
/// `activity_summary`: 1 on 2020-06-15 (30), 2 on 2021-03-03 (21), 3 on 2020-02-29 (70: in a
/// leap year 29 February is the 60th day, as 1 March 1950 is).
/// `heart_rate_intraday`: 3 at 2018-12-31 23:59 (the day counts: 2018, age 68).
/// `steps_intraday`: 1 at 2022-01-01 01:00. `sleep_daily_summary`: 2 on 2021-03-02, the day
/// before their activity. No `sleep_level`.
fn engine() -> Engine {
    let mut store = Store::default();
    store.insert(table(
        Fixture::new("concept")
            .ints("concept_id", [Some(8_507), Some(8_532)])
            .texts("concept_name", ["MALE", "FEMALE"])
            .texts("domain_id", ["Gender"; 2])
            .texts("vocabulary_id", ["Gender"; 2])
            .texts("concept_class_id", ["Gender"; 2])
            .texts("concept_code", ["M", "F"]),
    ));
    store.insert(table(
        Fixture::new("person")
            .ids("person_id", [1, 2, 3])
            .ints("year_of_birth", [Some(1990), Some(2000), Some(1950)])
            .ints("month_of_birth", [Some(6), Some(1), Some(3)])
            .ints("day_of_birth", [Some(15), Some(1), Some(1)])
            .ints("gender_concept_id", [Some(8_532), Some(8_507), Some(0)])
            .ints("race_concept_id", [Some(0); 3])
            .ints("ethnicity_concept_id", [Some(0); 3]),
    ));
    store.insert(table(
        Fixture::new("heart_rate_summary")
            .ids("person_id", [1, 1])
            .days("date", [day("2019-06-14"), day("2021-01-01")])
            .texts("zone_name", ["Cardio"; 2]),
    ));
    store.insert(table(
        Fixture::new("activity_summary")
            .ids("person_id", [1, 2, 3])
            .days("date", [day("2020-06-15"), day("2021-03-03"), day("2020-02-29")])
            .ids("steps", [1000, 1000, 1000]),
    ));
    let late = i64::from(day("2018-12-31")) * 86_400_000_000 + (23 * 60 + 59) * 60_000_000;
    store.insert(table(
        Fixture::new("heart_rate_intraday")
            .ids("person_id", [3])
            .column("datetime", Arc::new(TimestampMicrosecondArray::from(vec![late]))),
    ));
    store.insert(table(
        Fixture::new("steps_intraday").ids("person_id", [1]).datetimes("datetime", ["2022-01-01"]),
    ));
    store.insert(table(
        Fixture::new("sleep_daily_summary").ids("person_id", [2]).days("sleep_date", [day("2021-03-02")]),
    ));
    Engine::build(&store, Some("2024-06-30")).unwrap()
}

fn stat(request: serde_json::Value) -> TallyTable {
    engine().statistics(&Scope::Dataset, &serde_json::from_value(request).unwrap()).unwrap()
}

fn raw(t: &TallyTable) -> Vec<(Vec<&str>, u64)> {
    t.rows.iter().map(|r| (r.labels.iter().map(String::as_str).collect(), r.tally.raw())).collect()
}

fn tile(tile: &str, breakdown: &str) -> TallyTable {
    stat(json!({"kind": "dataBrowser", "chart": "fitbit", "tile": tile, "breakdown": breakdown}))
}

#[test]
fn tiles_count_the_participants_of_each_table() {
    let t = stat(json!({"kind": "dataBrowser", "chart": "fitbitTiles"}));
    assert_eq!(
        raw(&t),
        [
            (vec!["Any Fitbit Data"], 3),
            (vec!["Heart Rate (Summary)"], 1),
            (vec!["Heart rate (minute-level)"], 1),
            (vec!["Activity intraday steps (minute-level)"], 1),
            (vec!["Activity daily summary"], 3),
            (vec!["Sleep Daily Summary"], 1),
            (vec!["Sleep Level (Sequence by level)"], 0),
        ]
    );
}

#[test]
fn years_are_a_running_total_of_first_records() {
    // Any: person 3 first in 2018 (intraday), 1 in 2019, 2 in 2021 (sleep, then activity).
    assert_eq!(raw(&tile("any", "year")), [(vec!["2018"], 1), (vec!["2019"], 2), (vec!["2021"], 3)]);
    assert_eq!(raw(&tile("heartRateIntraday", "year")), [(vec!["2018"], 1)]);
    assert_eq!(raw(&tile("stepsIntraday", "year")), [(vec!["2022"], 1)]);
    assert_eq!(raw(&tile("sleepDailySummary", "year")), [(vec!["2021"], 1)]);
    assert_eq!(tile("sleepLevel", "year").total.raw(), 0);
    assert_eq!(raw(&tile("activitySummary", "year")), [(vec!["2020"], 2), (vec!["2021"], 3)]);
    assert_eq!(tile("heartRateSummary", "year").total.raw(), 1);
}

#[test]
fn ages_are_at_the_first_record_in_completed_years() {
    // Any: person 3 is 68 at their first record, the minute-level heart rate of 2018-12-31.
    assert_eq!(raw(&tile("any", "age")), [(vec!["18-29"], 2), (vec!["60-69"], 1)]);
    assert_eq!(raw(&tile("heartRateIntraday", "age")), [(vec!["60-69"], 1)]);
    // Activity: person 1 is 30 on the birthday itself.
    assert_eq!(
        raw(&tile("activitySummary", "age")),
        [(vec!["18-29"], 1), (vec!["30-39"], 1), (vec!["70-79"], 1)]
    );
    let t = tile("any", "ageSex");
    assert_eq!(
        raw(&t),
        [
            (vec!["18-29", "Male"], 1),
            (vec!["18-29", "Female"], 1),
            (vec!["18-29", "Other"], 0),
            (vec!["60-69", "Male"], 0),
            (vec!["60-69", "Female"], 0),
            (vec!["60-69", "Other"], 1),
        ]
    );
    assert_eq!(t.percent_of, PercentOf::Group);
    assert_eq!(raw(&tile("any", "sex")), [(vec!["Female"], 1), (vec!["Male"], 1), (vec!["Other"], 1)]);
}
