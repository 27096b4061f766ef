//! Attacks on the disclosure policies, run against the engine on a generated dataset; each test
//! prints its figures (`cargo test -p cohortlens-server --test attacks -- --nocapture`).
//!
//! The attacker sees only disclosed counts (and tables), and singles out a person through an
//! extra criterion: their mean daily Fitbit steps, a number that in practice belongs to one
//! person.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use arrow_array::RecordBatchReader;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use cohortlens::cohort::CohortDefinition;
use cohortlens::engine::Engine;
use cohortlens::privacy::{Disclosed, Policy};
use cohortlens::stats::{Scope, StatRequest};
use cohortlens::store::{Store, Table};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};

const PERSONS: &str = "4000";

/// The generated dataset, loaded once: the engine and each person's mean daily steps.
struct Dataset {
    engine: Engine,
    mean_steps: Vec<(i64, f64)>,
}

fn dataset() -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cl-attacks-{}", std::process::id()));
        let data = dir.join("data");
        let status = Command::new(env!("CARGO_BIN_EXE_cohortlens"))
            .args(["generate", "--persons", PERSONS, "--seed", "11", "--out"])
            .arg(&data)
            .status()
            .unwrap();
        assert!(status.success());
        let (store, reference_date) = load(&data);
        let engine = Engine::build(&store, Some(&reference_date)).unwrap();
        let mean_steps = mean_steps(&data);
        std::fs::remove_dir_all(&dir).unwrap();
        Dataset { engine, mean_steps }
    })
}

/// Reads the dataset's tables (the columns cohorts use) into a store; returns its reference date.
fn load(dir: &Path) -> (Store, String) {
    let manifest: Value = serde_json::from_reader(File::open(dir.join("manifest.json")).unwrap()).unwrap();
    let mut store = Store::default();
    for (name, entry) in manifest["tables"].as_object().unwrap() {
        let path: PathBuf = dir.join(entry["file"].as_str().unwrap());
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
        let keep = (0..builder.schema().fields().len())
            .filter(|&i| cohortlens::index::uses_column(name, builder.schema().field(i).name()));
        let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
        let reader = builder.with_projection(mask).build().unwrap();
        let schema = reader.schema();
        store.insert(Table::new(name.clone(), schema, reader.map(Result::unwrap).collect()));
    }
    (store, manifest["reference_date"].as_str().unwrap().to_owned())
}

/// Each Fitbit person's mean daily steps, for persons whose mean no one else shares.
fn mean_steps(dir: &Path) -> Vec<(i64, f64)> {
    let file = File::open(dir.join("activity_summary.parquet")).unwrap();
    let mut sums: HashMap<i64, (f64, u32)> = HashMap::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap() {
        let batch = batch.unwrap();
        let ids = batch.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
        let steps =
            arrow_cast::cast(batch.column_by_name("steps").unwrap(), &arrow_schema::DataType::Float64)
                .unwrap();
        for (id, s) in ids.iter().zip(steps.as_primitive::<Float64Type>().iter()) {
            if let (Some(id), Some(s)) = (id, s) {
                let e = sums.entry(id).or_default();
                e.0 += s;
                e.1 += 1;
            }
        }
    }
    let mut means: Vec<(i64, f64)> = sums.into_iter().map(|(id, (s, n))| (id, s / f64::from(n))).collect();
    means.sort_by(|a, b| a.1.total_cmp(&b.1));
    let distinct = |i: usize| {
        (i == 0 || means[i - 1].1 + 1e-3 < means[i].1)
            && means.get(i + 1).is_none_or(|n| means[i].1 + 1e-3 < n.1)
    };
    (0..means.len()).filter(|&i| distinct(i)).map(|i| means[i]).collect()
}

/// An item matching exactly the person with mean daily steps `mean`.
fn person_item(mean: f64) -> Value {
    json!({"type": "FITBIT", "searchParameters": [{"domain": "FITBIT", "type": "FITBIT", "attributes": [
        {"name": "NUM", "operator": "BETWEEN", "operands": [format!("{:.6}", mean - 1e-4), format!("{:.6}", mean + 1e-4)]}
    ]}]})
}

/// A condition item (with descendants), optionally at a minimum age at the event.
fn condition_item(concept: i64, min_age: u32) -> Value {
    json!({"type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": concept, "standard": true, "group": true}],
        "modifiers": [{"name": "AGE_AT_EVENT", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": [min_age.to_string()]}]})
}

fn count(definition: &Value, policy: Policy) -> Disclosed {
    let d = CohortDefinition::from_value(definition.clone()).unwrap();
    dataset().engine.cohort(&d).unwrap().count(policy)
}

fn raw(definition: &Value) -> u64 {
    let d = CohortDefinition::from_value(definition.clone()).unwrap();
    dataset().engine.cohort(&d).unwrap().raw().total
}

/// The cohort of `items` (OR), minus the persons of `removed` (each an item).
fn cohort(items: &[Value], removed: &[Value]) -> Value {
    let excludes: Vec<Value> = removed.iter().map(|i| json!({"items": [i]})).collect();
    json!({"includes": [{"items": items}], "excludes": excludes})
}

/// Base cohorts of many sizes: conditions (with descendants) at several minimum ages.
fn base_cohorts() -> Vec<Vec<Value>> {
    let conditions = [201826, 320128, 316139, 46271022, 201820, 316866];
    conditions.iter().flat_map(|&c| [18, 40, 55, 65].map(|age| vec![condition_item(c, age)])).collect()
}

/// One differencing trial: is the target in the cohort, and did the attacker conclude so?
struct Trial {
    member: bool,
    single: bool,
    padded: bool,
}

/// The differencing attack on one cohort and target: compare the cohort with the cohort minus
/// the target (single), and, to find the rounding boundary, the same after padding the cohort
/// with k = 0..19 known persons (padded). "Revealed" is any disclosed difference: only the
/// target's presence can make the two sets differ.
fn difference(items: &[Value], target: f64, fillers: &[f64], policy: Policy) -> (bool, bool) {
    let minus = [person_item(target)];
    let single = count(&cohort(items, &[]), policy) != count(&cohort(items, &minus), policy);
    let padded = (0..20).any(|k| {
        let mut padded: Vec<Value> = items.to_vec();
        padded.extend(fillers[..k].iter().map(|&m| person_item(m)));
        count(&cohort(&padded, &[]), policy) != count(&cohort(&padded, &minus), policy)
    });
    (single, padded)
}

fn trials(policy: Policy) -> Vec<Trial> {
    let people = &dataset().mean_steps;
    let mut out = Vec::new();
    for (c, items) in base_cohorts().iter().enumerate() {
        let in_cohort =
            |m: f64| raw(&json!({"includes": [{"items": items}, {"items": [person_item(m)]}]})) == 1;
        let (members, others): (Vec<f64>, Vec<f64>) =
            people.iter().map(|p| p.1).skip(c * 7 % 50).step_by(3).partition(|&m| in_cohort(m));
        let fillers = &others[others.len() - 20..];
        for (list, member) in [(&members, true), (&others, false)] {
            for &target in list.iter().take(8) {
                let (single, padded) = difference(items, target, fillers, policy);
                out.push(Trial { member, single, padded });
            }
        }
    }
    out
}

/// Share of members revealed, share of non-members wrongly flagged, for one attacker.
fn rates(trials: &[Trial], attacker: impl Fn(&Trial) -> bool) -> (f64, f64) {
    let share = |member: bool| {
        let group: Vec<&Trial> = trials.iter().filter(|t| t.member == member).collect();
        group.iter().filter(|t| attacker(t)).count() as f64 / group.len() as f64
    };
    (share(true), share(false))
}

#[test]
fn differencing_reveals_members_under_aou_and_what_perturbation_changes() {
    for policy in [Policy::Aou, Policy::Perturbed] {
        let trials = trials(policy);
        let members = trials.iter().filter(|t| t.member).count();
        assert!(members >= 40 && trials.len() - members >= 40, "too few trials: {members} members");
        let (single, single_false) = rates(&trials, |t| t.single);
        let (padded, padded_false) = rates(&trials, |t| t.padded);
        println!(
            "differencing under {}: {} trials ({members} members); one comparison reveals {:.0}% of \
             members, padded to the rounding boundary {:.0}%; non-members flagged {:.0}% / {:.0}%",
            policy.name(),
            trials.len(),
            single * 100.0,
            padded * 100.0,
            single_false * 100.0,
            padded_false * 100.0
        );
        // Equal sets always give equal answers: a difference is proof of membership.
        assert_eq!((single_false, padded_false), (0.0, 0.0));
        if policy == Policy::Aou {
            assert!(padded > 0.9, "the padded attack should find the boundary under aou: {padded}");
        }
    }
}

#[test]
fn averaging_a_thousand_rephrasings_yields_one_answer_under_perturbation() {
    // Type 2 diabetes or heart failure at 40 or older, phrased 1,000 ways: items reordered,
    // repeated, split across an extra group that every member satisfies, ids changed.
    let a = condition_item(201826, 40);
    let b = condition_item(316139, 40);
    let both = [a.clone(), b.clone()];
    let reference = raw(&cohort(&both, &[]));
    let mut answers: HashMap<Option<u64>, usize> = HashMap::new();
    let mut aou: HashMap<Option<u64>, usize> = HashMap::new();
    for k in 0..1000u32 {
        let mut items: Vec<Value> =
            if k % 2 == 0 { vec![a.clone(), b.clone()] } else { vec![b.clone(), a.clone()] };
        items.extend((0..k % 3).map(|_| a.clone()));
        for (i, item) in items.iter_mut().enumerate() {
            item["id"] = json!(format!("r{k}-{i}"));
        }
        let mut groups = vec![json!({"id": k, "items": items})];
        if k % 5 == 0 {
            // A redundant group: every member also has a condition among these.
            groups.push(json!({"items": [condition_item(201820, 18), condition_item(316139, 18)]}));
        }
        let definition = json!({"includes": groups, "excludes": []});
        assert_eq!(raw(&definition), reference, "rephrasing {k} changed the cohort");
        *answers.entry(count(&definition, Policy::Perturbed).value()).or_default() += 1;
        *aou.entry(count(&definition, Policy::Aou).value()).or_default() += 1;
    }
    println!(
        "averaging: 1000 rephrasings of one cohort → {} distinct perturbed answer(s) {:?} (aou: {:?})",
        answers.len(),
        answers.keys().collect::<Vec<_>>(),
        aou.keys().collect::<Vec<_>>()
    );
    assert_eq!(answers.len(), 1);
}

#[test]
fn padding_recovers_exact_counts_under_aou_but_only_at_chance_under_perturbation() {
    // The attacker adds k = 0..=20 known persons to a cohort and watches where the disclosed
    // count steps up: under rounding alone the step sits where n + k crosses a multiple of 20,
    // which gives n exactly.
    let people = &dataset().mean_steps;
    for policy in [Policy::Aou, Policy::Perturbed] {
        let (mut recovered, mut tried) = (0, 0);
        for items in base_cohorts() {
            let outside: Vec<f64> = people
                .iter()
                .map(|p| p.1)
                .filter(|&m| raw(&json!({"includes": [{"items": items}, {"items": [person_item(m)]}]})) == 0)
                .take(21)
                .collect();
            let shown = |k: usize| {
                let mut padded = items.clone();
                padded.extend(outside[..k].iter().map(|&m| person_item(m)));
                count(&cohort(&padded, &[]), policy).value().unwrap_or(0)
            };
            let n = raw(&cohort(&items, &[]));
            let first = shown(0);
            // The first k whose count exceeds the unpadded one: n + k = first + 1.
            let guess = (1..=20).find(|&k| shown(k) > first).map(|k| (first + 1).saturating_sub(k as u64));
            tried += 1;
            recovered += usize::from(guess == Some(n));
        }
        println!(
            "exact-count recovery by padding under {}: {recovered} of {tried} cohorts ({:.0}%; chance ≈ 5%)",
            policy.name(),
            recovered as f64 * 100.0 / tried as f64
        );
        if policy == Policy::Aou {
            assert_eq!(recovered, tried, "rounding alone leaks exact counts to a padding attacker");
        } else {
            assert!(
                recovered * 4 < tried,
                "perturbation should defeat exact-count recovery: {recovered}/{tried}"
            );
        }
    }
}

#[test]
fn margins_do_not_give_back_a_small_cell_under_suppress_or_perturbation() {
    // For every cell of 1–20 persons in a one-way table (sex at birth, gender, race, ethnicity,
    // age bands) of many cohorts, the attacker computes total − Σ other shown cells.
    let requests = [
        json!({"kind": "sexAtBirth"}),
        json!({"kind": "gender"}),
        json!({"kind": "race"}),
        json!({"kind": "ethnicity"}),
        json!({"kind": "age", "bands": "dataBrowser"}),
        json!({"kind": "age", "bands": "cohortBuilder"}),
    ];
    let engine = &dataset().engine;
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        let (mut small, mut recovered) = (0, 0);
        for items in base_cohorts() {
            let d = CohortDefinition::from_value(cohort(&items, &[])).unwrap();
            let c = engine.cohort(&d).unwrap();
            for request in &requests {
                let request: StatRequest = serde_json::from_value(request.clone()).unwrap();
                let table = engine.statistics(&Scope::Cohort(&c), &request).unwrap();
                let shown = policy.disclose_table(&table);
                for (i, row) in table.rows.iter().enumerate() {
                    let raw = row.tally.raw();
                    if !(1..=20).contains(&raw) {
                        continue;
                    }
                    small += 1;
                    let others: Option<u64> = shown
                        .rows
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, r)| r.count.value())
                        .sum();
                    let guess = shown.total.value().zip(others).map(|(t, o)| t.saturating_sub(o));
                    recovered += usize::from(guess == Some(raw));
                }
            }
        }
        println!(
            "margins under {}: {recovered} of {small} cells of 1–20 recovered as total − Σ others",
            policy.name()
        );
        assert!(small >= 50, "too few small cells to attack: {small}");
        if policy != Policy::Aou {
            assert!(recovered * 20 <= small, "{recovered} of {small} recovered under {}", policy.name());
        }
    }
}
