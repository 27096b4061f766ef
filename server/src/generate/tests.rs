//! Tests of the generator: determinism, schema and vocabulary consistency, and the clinical
//! relationships the tutorials rely on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use chrono::NaiveDate;
use cohortlens::cdm;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{GenerateError, Options, person, run};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cl-gen-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn generate(tmp: &TempDir, name: &str, persons: u64, seed: u64) -> PathBuf {
    let out = tmp.0.join(name);
    run(&Options { persons, seed, out: out.clone(), force: false, reference_date: None }).unwrap();
    out
}

fn read(dir: &Path, table: &str) -> Vec<RecordBatch> {
    let file = File::open(dir.join(format!("{table}.parquet"))).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(Result::unwrap).collect()
}

fn ints(batches: &[RecordBatch], column: &str) -> Vec<Option<i32>> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column).unwrap().as_primitive::<Int32Type>().iter().collect::<Vec<_>>()
        })
        .collect()
}

fn longs(batches: &[RecordBatch], column: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| b.column_by_name(column).unwrap().as_primitive::<Int64Type>().values().to_vec())
        .collect()
}

fn days(batches: &[RecordBatch], column: &str) -> Vec<Option<i32>> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column).unwrap().as_primitive::<Date32Type>().iter().collect::<Vec<_>>()
        })
        .collect()
}

fn texts(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(column).unwrap().as_string::<i32>();
            a.iter().map(|s| s.unwrap_or_default().to_owned()).collect::<Vec<_>>()
        })
        .collect()
}

fn floats(batches: &[RecordBatch], column: &str) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column).unwrap().as_primitive::<Float64Type>().iter().collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_differs() {
    let tmp = TempDir::new("determinism");
    let a = generate(&tmp, "a", 300, 7);
    let b = generate(&tmp, "b", 300, 7);
    let c = generate(&tmp, "c", 300, 8);
    let mut files = 0;
    for entry in fs::read_dir(&a).unwrap() {
        let name = entry.unwrap().file_name();
        let (x, y) = (fs::read(a.join(&name)).unwrap(), fs::read(b.join(&name)).unwrap());
        assert!(x == y, "{name:?} differs between two runs with the same seed");
        files += 1;
    }
    assert_eq!(files, cdm::TABLES.len() + 1, "one file per table plus manifest.json");
    assert_ne!(fs::read(a.join("person.parquet")).unwrap(), fs::read(c.join("person.parquet")).unwrap());
    // The vocabulary does not depend on the seed.
    assert_eq!(fs::read(a.join("concept.parquet")).unwrap(), fs::read(c.join("concept.parquet")).unwrap());
}

#[test]
fn persons_do_not_depend_on_chunking() {
    let (mut whole, mut tail) = (super::tables::Chunk::default(), super::tables::Chunk::default());
    person::generate_chunk(3, 0, 12, &mut whole);
    person::generate_chunk(3, 5, 7, &mut tail);
    let key = |c: &super::tables::Chunk| -> Vec<(i64, i32, i32, i32)> {
        c.persons.iter().map(|p| (p.person_id, p.year, p.race, p.gender)).collect()
    };
    assert_eq!(key(&whole)[5..], key(&tail)[..]);
    let conditions = |c: &super::tables::Chunk, from: i64| -> Vec<(i64, i32, i32)> {
        c.conditions
            .iter()
            .filter(|r| r.person_id > from)
            .map(|r| (r.person_id, r.concept, r.start))
            .collect()
    };
    assert_eq!(conditions(&whole, 5), conditions(&tail, 5));
}

#[test]
fn manifest_schemas_and_required_columns() {
    let tmp = TempDir::new("schema");
    let dir = generate(&tmp, "ds", 300, 11);
    let manifest = crate::dataset::read_manifest(&dir).unwrap();
    assert_eq!(manifest.name, "synthetic-300-seed11");
    assert_eq!(manifest.reference_date, "2023-10-01");
    assert_eq!(manifest.cdm_version, "5.4");
    assert!(manifest.date_shift_note.contains("synthetic"));
    for spec in cdm::TABLES {
        let entry =
            manifest.tables.get(spec.name).unwrap_or_else(|| panic!("{} missing from manifest", spec.name));
        let batches = read(&dir, spec.name);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(entry.rows, rows as u64, "{} row count", spec.name);
        assert!(rows > 0, "{} is empty", spec.name);
        for b in &batches {
            assert_eq!(b.schema().fields(), spec.schema().fields(), "{} schema", spec.name);
            for c in spec.columns.iter().filter(|c| c.required) {
                assert_eq!(
                    b.column_by_name(c.name).unwrap().null_count(),
                    0,
                    "{}.{} has nulls",
                    spec.name,
                    c.name
                );
            }
        }
    }
    assert_eq!(manifest.tables["person"].rows, 300);
}

#[test]
fn every_concept_id_is_in_concept() {
    let tmp = TempDir::new("concepts");
    let dir = generate(&tmp, "ds", 300, 5);
    let known: BTreeSet<i32> = ints(&read(&dir, "concept"), "concept_id").into_iter().flatten().collect();
    let mut checked = 0;
    for spec in cdm::TABLES {
        let batches = read(&dir, spec.name);
        for c in spec.columns.iter().filter(|c| c.name.ends_with("_concept_id")) {
            for id in ints(&batches, c.name).into_iter().flatten() {
                assert!(known.contains(&id), "{}.{} = {id} is not in concept", spec.name, c.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} concept ids checked");
}

#[test]
fn concept_ancestor_is_closed_and_has_self_rows() {
    let tmp = TempDir::new("ancestor");
    let dir = generate(&tmp, "ds", 20, 1);
    let concept = read(&dir, "concept");
    let ids = ints(&concept, "concept_id");
    let standard: Vec<Option<String>> = concept
        .iter()
        .flat_map(|b| {
            let s = b.column_by_name("standard_concept").unwrap().as_string::<i32>();
            s.iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>()
        })
        .collect();
    let anc = read(&dir, "concept_ancestor");
    let rows: Vec<(i32, i32, i32, i32)> = ints(&anc, "ancestor_concept_id")
        .into_iter()
        .zip(ints(&anc, "descendant_concept_id"))
        .zip(ints(&anc, "min_levels_of_separation").into_iter().zip(ints(&anc, "max_levels_of_separation")))
        .map(|((a, d), (mn, mx))| (a.unwrap(), d.unwrap(), mn.unwrap(), mx.unwrap()))
        .collect();
    let pairs: HashMap<(i32, i32), (i32, i32)> =
        rows.iter().map(|&(a, d, mn, mx)| ((a, d), (mn, mx))).collect();
    assert_eq!(pairs.len(), rows.len(), "duplicate ancestor rows");
    let known: BTreeSet<i32> = ids.iter().flatten().copied().collect();

    for (id, s) in ids.iter().zip(&standard) {
        if s.is_some() {
            let id = id.unwrap();
            assert_eq!(pairs.get(&(id, id)), Some(&(0, 0)), "standard concept {id} lacks its self row");
        }
    }
    let mut children: BTreeMap<i32, Vec<(i32, i32, i32)>> = BTreeMap::new();
    for &(a, d, mn, mx) in &rows {
        assert!(known.contains(&a) && known.contains(&d), "({a}, {d}) is outside concept");
        assert!(pairs.contains_key(&(a, a)) && pairs.contains_key(&(d, d)), "({a}, {d}) without self rows");
        if a == d {
            assert_eq!((mn, mx), (0, 0));
        } else {
            assert!(1 <= mn && mn <= mx, "({a}, {d}) has levels {mn}..{mx}");
            children.entry(a).or_default().push((d, mn, mx));
        }
    }
    // Transitivity: a → b → c implies a → c, within the level bounds of the two steps.
    for (&a, below) in &children {
        for &(b, mn1, mx1) in below {
            for &(c, mn2, mx2) in children.get(&b).map(Vec::as_slice).unwrap_or(&[]) {
                let &(mn, mx) =
                    pairs.get(&(a, c)).unwrap_or_else(|| panic!("{a} → {b} → {c} but not {a} → {c}"));
                assert!(
                    mn <= mn1 + mn2 && mx >= mx1 + mx2,
                    "levels of {a} → {c} ({mn}, {mx}) contradict the path via {b}"
                );
            }
        }
    }
    // Real multi-level paths exist: diabetes hierarchy and drug classes.
    assert_eq!(pairs.get(&(31821, 201826)), Some(&(2, 2)), "T2DM under Disorder of endocrine system");
    assert!(pairs.contains_key(&(1503297, 2_100_100_001)), "metformin above its clinical drug");
    assert!(pairs.contains_key(&(1586134, 1585838)), "The Basics above its gender question");
}

#[test]
fn ages_dates_and_deaths_are_plausible() {
    let tmp = TempDir::new("ages");
    let dir = generate(&tmp, "ds", 300, 9);
    let person = read(&dir, "person");
    let reference = NaiveDate::from_ymd_opt(2023, 10, 1).unwrap();
    let ids = longs(&person, "person_id");
    let (years, months, days_of) =
        (ints(&person, "year_of_birth"), ints(&person, "month_of_birth"), ints(&person, "day_of_birth"));
    let births: Vec<i64> = person
        .iter()
        .flat_map(|b| {
            b.column_by_name("birth_datetime")
                .unwrap()
                .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
                .values()
                .to_vec()
        })
        .collect();
    for i in 0..ids.len() {
        let born =
            NaiveDate::from_ymd_opt(years[i].unwrap(), months[i].unwrap() as u32, days_of[i].unwrap() as u32)
                .unwrap();
        assert_eq!(
            i64::from(born.to_epoch_days()) * 86_400_000_000,
            births[i],
            "birth_datetime matches year/month/day"
        );
        let age = reference.years_since(born).unwrap();
        assert!((18..=89).contains(&age), "person {} is {age}", ids[i]);
    }
    assert_eq!(ids, (1..=300).collect::<Vec<i64>>());

    let death = read(&dir, "death");
    let deaths: HashMap<i64, i32> = longs(&death, "person_id")
        .into_iter()
        .zip(days(&death, "death_date").into_iter().flatten())
        .collect();
    let limit = reference.to_epoch_days();
    for (table, column) in [
        ("visit_occurrence", "visit_start_date"),
        ("condition_occurrence", "condition_start_date"),
        ("drug_exposure", "drug_exposure_end_date"),
        ("measurement", "measurement_date"),
        ("observation", "observation_date"),
        ("activity_summary", "date"),
    ] {
        let batches = read(&dir, table);
        for (p, d) in longs(&batches, "person_id").into_iter().zip(days(&batches, column)) {
            let d = d.unwrap();
            assert!(d < limit, "{table}.{column} on or after the reference date");
            if let Some(&dead) = deaths.get(&p) {
                assert!(d <= dead, "{table}.{column} after person {p} died");
            }
        }
    }
    // EHR events fall inside the person's observation period.
    let periods = read(&dir, "observation_period");
    let span: HashMap<i64, (i32, i32)> = longs(&periods, "person_id")
        .into_iter()
        .zip(
            days(&periods, "observation_period_start_date")
                .into_iter()
                .zip(days(&periods, "observation_period_end_date")),
        )
        .map(|(p, (s, e))| (p, (s.unwrap(), e.unwrap())))
        .collect();
    let visits = read(&dir, "visit_occurrence");
    for (p, d) in longs(&visits, "person_id").into_iter().zip(days(&visits, "visit_start_date")) {
        let (s, e) = span[&p];
        assert!((s..=e).contains(&d.unwrap()), "visit of person {p} outside its observation period");
    }
    let with_ehr = span.len() as f64 / 300.0;
    assert!((0.7..0.9).contains(&with_ehr), "{with_ehr} of persons have EHR data");
}

#[test]
fn hba1c_is_higher_with_type_2_diabetes_and_blood_pressure_uses_pm_concepts() {
    let tmp = TempDir::new("clinical");
    let dir = generate(&tmp, "ds", 1500, 21);
    let conditions = read(&dir, "condition_occurrence");
    let t2dm: BTreeSet<i64> = longs(&conditions, "person_id")
        .into_iter()
        .zip(ints(&conditions, "condition_concept_id"))
        .filter(|(_, c)| *c == Some(201826))
        .map(|(p, _)| p)
        .collect();
    assert!(t2dm.len() > 50, "only {} persons with T2DM", t2dm.len());

    let m = read(&dir, "measurement");
    let (persons, concepts, values) =
        (longs(&m, "person_id"), ints(&m, "measurement_concept_id"), floats(&m, "value_as_number"));
    let types = ints(&m, "measurement_type_concept_id");
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut systolic: HashMap<i64, f64> = HashMap::new();
    let mut diastolic: HashMap<i64, f64> = HashMap::new();
    for i in 0..persons.len() {
        match concepts[i] {
            Some(3004410) => {
                let v = values[i].unwrap();
                if t2dm.contains(&persons[i]) { with.push(v) } else { without.push(v) }
            }
            Some(903118) => {
                assert_eq!(types[i], Some(44818701));
                systolic.insert(persons[i], values[i].unwrap());
            }
            Some(903115) => {
                assert_eq!(types[i], Some(44818701));
                diastolic.insert(persons[i], values[i].unwrap());
            }
            _ => {}
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(!with.is_empty() && !without.is_empty());
    assert!(
        mean(&with) > mean(&without) + 1.0,
        "HbA1c {} with T2DM vs {} without",
        mean(&with),
        mean(&without)
    );
    assert!(systolic.len() > 1000, "physical measurement blood pressure for most persons");
    assert_eq!(systolic.keys().collect::<BTreeSet<_>>(), diastolic.keys().collect::<BTreeSet<_>>());
    for (p, s) in &systolic {
        assert!(*s > diastolic[p], "systolic above diastolic for person {p}");
    }
    // BMI is weight / height² from the same physical measurement set.
    let mut pm: HashMap<(i64, i32), f64> = HashMap::new();
    for i in 0..persons.len() {
        if let Some(c @ (903133 | 903121 | 903124)) = concepts[i] {
            pm.insert((persons[i], c), values[i].unwrap());
        }
    }
    for (&(p, c), &bmi) in &pm {
        if c == 903124
            && let (Some(h), Some(w)) = (pm.get(&(p, 903133)), pm.get(&(p, 903121)))
        {
            assert!((w / (h / 100.0).powi(2) - bmi).abs() < 0.06, "BMI of person {p}");
        }
    }
}

#[test]
fn surveys_are_stored_the_all_of_us_way() {
    let tmp = TempDir::new("surveys");
    let dir = generate(&tmp, "ds", 300, 4);
    let o = read(&dir, "observation");
    let concept = ints(&o, "observation_concept_id");
    let source = ints(&o, "observation_source_concept_id");
    let value = ints(&o, "value_as_concept_id");
    let value_source = ints(&o, "value_source_concept_id");
    let types = ints(&o, "observation_type_concept_id");
    let survey_rows = types.iter().filter(|t| **t == Some(45905771)).count();
    assert!(survey_rows as f64 / 300.0 > 20.0, "{survey_rows} survey answers for 300 persons");
    for i in 0..concept.len() {
        assert_eq!(concept[i], source[i]);
        assert_eq!(value[i], value_source[i]);
    }
    let answered = |q: i32| concept.iter().filter(|c| **c == Some(q)).count();
    assert!(answered(1585838) == 300, "everyone answers gender identity in The Basics");
    assert!(answered(1585857) > 250, "most answer the Lifestyle smoking question");
    assert!(value.contains(&Some(903096)), "some questions are skipped");
    assert_eq!(answered(1585249), 300, "everyone answers PII State once");
    let states: BTreeSet<i32> = (concept.iter().zip(&value_source))
        .filter(|(c, _)| **c == Some(1585249))
        .filter_map(|(_, v)| *v)
        .collect();
    assert!(states.len() >= 8, "the states vary: {states:?}");
    let c = read(&dir, "concept");
    let (ids, names) = (ints(&c, "concept_id"), texts(&c, "concept_name"));
    for state in states {
        let name = &names[ids.iter().position(|&i| i == Some(state)).unwrap()];
        assert!(name.starts_with("PII State: ") && name.len() == 13, "{name}");
    }
}

#[test]
fn zero_persons_is_a_clear_error() {
    let tmp = TempDir::new("zero");
    let err = run(&Options { persons: 0, seed: 1, out: tmp.0.join("x"), force: false, reference_date: None })
        .unwrap_err();
    assert!(matches!(err, GenerateError::NoPersons));
    assert_eq!(err.to_string(), "--persons must be at least 1");
    assert!(!tmp.0.join("x").exists());
}

#[test]
fn reference_date_is_explicit_and_never_before_the_data_ends() {
    let tmp = TempDir::new("reference");
    for bad in ["2023-09-30", "2024-02-30", "yesterday"] {
        let o = Options {
            persons: 5,
            seed: 1,
            out: tmp.0.join("x"),
            force: false,
            reference_date: Some(bad.into()),
        };
        let err = run(&o).unwrap_err().to_string();
        assert!(
            err.contains(&format!("--reference-date {bad:?} must be a date")) && err.contains("2023-10-01"),
            "{err}"
        );
        assert!(!tmp.0.join("x").exists());
    }
    let o = Options {
        persons: 5,
        seed: 1,
        out: tmp.0.join("y"),
        force: false,
        reference_date: Some("2025-01-15".into()),
    };
    assert_eq!(run(&o).unwrap().reference_date, "2025-01-15");
    let manifest = std::fs::read_to_string(tmp.0.join("y/manifest.json")).unwrap();
    assert!(manifest.contains("2025-01-15"), "{manifest}");
}

/// SHA-256 of each table file `main`'s generator wrote for 300 persons with seed 42, before the
/// Fitbit detail tables existed. The detail tables draw from streams of their own, so these
/// files must stay byte-identical. (A deliberate change to a table's rows — or a `parquet`
/// release that encodes differently — changes its hash: recompute it with
/// `cohortlens generate --persons 300 --seed 42 --out d && sha256sum d/*.parquet`.) The COPE
/// survey (its own stream too) deliberately changed `observation` (its rows, and the ids of the
/// rows after them) and the vocabulary (`concept`, `concept_ancestor`, `concept_relationship`).
const MAIN_SEED_42_HASHES: [(&str, &str); 15] = [
    ("activity_summary", "33618034641e638f1ebfac5e67c8f8132d5b8a05d50a12522de052164272d171"),
    ("concept", "c854d347c9efbccb1f720c3b4fa0dd72210b89fa504b287e8e54f07eb5554619"),
    ("concept_ancestor", "ff8f8ec065f8670bebff015f693828bf2bf3593c7d829d9c22524067f2c9ff51"),
    ("concept_relationship", "f28cf38d451458a10594c986eec9d3109411ec7b4caa30bf9e317a11f7fcb745"),
    ("condition_occurrence", "357b4ea5e7e2afb33d0ac47037405b21b6d7521c6053de6e040535abc3069b6a"),
    ("death", "e2ab64754b6d8ea94f919c4cbd23541e74151065eb83b1ac34ec0467eb93b192"),
    ("device_exposure", "8376d5d55171c6bf4e2a8b091b6e77887fb7fe920946c6030031d6e8f80d26aa"),
    ("drug_exposure", "4fabc8de2b7636a19a291a841b270a2c026745f2c7932fbea8fd7585363f9cf2"),
    ("heart_rate_summary", "263b1cbb579c751e0cbe54b1a5e4c0ca7782ccd4f9598214923f5116785269c5"),
    ("measurement", "b26b793c6f2a148fc09e9588af1752043c26aceeadcb43a171c2e98bdffac9b6"),
    ("observation", "07e60b2e450da825fe31a3f59c33f9d5567d7bbddd91ee1df20ef259e397e19e"),
    ("observation_period", "c05dacdb8fcf2e8fa0d9e46f8d0f10f76f9b58d7c185d6a3804bf6e97309198a"),
    ("person", "8d9b73bf51f7a123d461d97a54cc470227a5898e4f0d6a65d1fd425ce1a49a6d"),
    ("procedure_occurrence", "3a55b8e28db392c4d6dd68bc8fb458d2cad43c85548c49dbf38f816460144ae0"),
    ("visit_occurrence", "ecb76db2f96f651a0eb1683ba93caa34d82acf9767e87e763adec5d0b912f562"),
];

#[test]
fn fitbit_detail_tables_leave_every_other_table_byte_identical() {
    use sha2::{Digest, Sha256};
    let tmp = TempDir::new("detail");
    let dir = generate(&tmp, "ds", 300, 42);
    for (table, hash) in MAIN_SEED_42_HASHES {
        let bytes = fs::read(dir.join(format!("{table}.parquet"))).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), hash, "{table}.parquet changed");
    }
    let detail = ["heart_rate_intraday", "steps_intraday", "sleep_daily_summary", "sleep_level"];
    for table in detail {
        assert!(!read(&dir, table).iter().all(|b| b.num_rows() == 0), "{table} is empty");
    }
}

#[test]
fn fitbit_detail_rows_are_on_the_persons_fitbit_days() {
    let tmp = TempDir::new("detail-days");
    let dir = generate(&tmp, "ds", 300, 7);
    let activity = read(&dir, "activity_summary");
    let fitbit_days: BTreeSet<(i64, i32)> = longs(&activity, "person_id")
        .into_iter()
        .zip(days(&activity, "date").into_iter().map(Option::unwrap))
        .collect();
    let day_of = |micros: i64| micros.div_euclid(86_400_000_000) as i32;
    let mut firsts = Vec::new();
    for (table, column) in [
        ("heart_rate_intraday", "datetime"),
        ("steps_intraday", "datetime"),
        ("sleep_daily_summary", "sleep_date"),
        ("sleep_level", "sleep_date"),
    ] {
        let batches = read(&dir, table);
        let persons = longs(&batches, "person_id");
        let dated: Vec<i32> = if column == "datetime" {
            batches
                .iter()
                .flat_map(|b| {
                    let a = b.column_by_name(column).unwrap();
                    let a = a.as_primitive::<arrow_array::types::TimestampMicrosecondType>();
                    a.values().iter().map(|&m| day_of(m)).collect::<Vec<_>>()
                })
                .collect()
        } else {
            days(&batches, column).into_iter().map(Option::unwrap).collect()
        };
        let mut first: BTreeMap<i64, i32> = BTreeMap::new();
        for (p, d) in persons.into_iter().zip(dated) {
            assert!(fitbit_days.contains(&(p, d)), "{table} row of person {p} on day {d} without Fitbit");
            let f = first.entry(p).or_insert(d);
            *f = (*f).min(d);
        }
        firsts.push(first);
    }
    let fitbit_persons: BTreeSet<i64> = fitbit_days.iter().map(|&(p, _)| p).collect();
    // Each table holds some but not all Fitbit participants, and its first days differ from
    // the first Fitbit day for some (so the tiles' first-record charts differ).
    let first_fitbit: BTreeMap<i64, i32> = fitbit_days.iter().rev().map(|&(p, d)| (p, d)).collect();
    for first in &firsts {
        assert!(!first.is_empty() && first.len() < fitbit_persons.len());
        assert!(first.iter().any(|(p, d)| first_fitbit[p] != *d));
    }
}

#[test]
fn observation_ext_versions_the_cope_rows_and_only_them() {
    let tmp = TempDir::new("cope");
    let dir = generate(&tmp, "ds", 300, 42);
    let observation = read(&dir, "observation");
    let ext = read(&dir, "observation_ext");
    let source: BTreeMap<i64, i32> = (longs(&observation, "observation_id").into_iter())
        .zip(ints(&observation, "observation_source_concept_id").into_iter().map(Option::unwrap))
        .collect();
    let cope = [1333102, 1332748, 1333105];
    let versioned: BTreeMap<i64, i32> = (longs(&ext, "observation_id").into_iter())
        .zip(ints(&ext, "survey_version_concept_id").into_iter().map(Option::unwrap))
        .collect();
    assert!(versioned.len() > 100, "only {} COPE rows", versioned.len());
    for (id, version) in &versioned {
        assert!(cope.contains(&source[id]), "observation {id} is not a COPE answer");
        assert!((2_100_000_002..=2_100_000_007).contains(version), "version {version}");
    }
    let cope_rows = source.values().filter(|q| cope.contains(q)).count();
    assert_eq!(cope_rows, versioned.len(), "every COPE row has a version");
    let versions: BTreeSet<i32> = versioned.values().copied().collect();
    assert_eq!(versions.len(), 6, "every version is taken");
}
