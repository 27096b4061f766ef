//! `cohortlens count` on a generated dataset: its exact counts agree with counts computed here
//! by scanning the Parquet files' Arrow arrays directly (simple definitions only; the DuckDB
//! oracle compares the rest), the disclosed count follows the All of Us rule, and a bad
//! definition or file exits 2.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cohortlens"))
}

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("cohortlens runs");
    assert!(out.status.code().is_some(), "killed by a signal: {out:?}");
    out
}

fn read(dir: &Path, table: &str) -> Vec<RecordBatch> {
    let file = File::open(dir.join(format!("{table}.parquet"))).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(Result::unwrap).collect()
}

fn i64s(batch: &RecordBatch, column: &str) -> Vec<Option<i64>> {
    batch.column_by_name(column).unwrap().as_primitive::<Int64Type>().iter().collect()
}

fn i32s(batch: &RecordBatch, column: &str) -> Vec<Option<i32>> {
    batch.column_by_name(column).unwrap().as_primitive::<Int32Type>().iter().collect()
}

/// Distinct persons (of `person`) of the rows of `table` that `keep(batch, row)` accepts.
fn persons_where(
    dir: &Path,
    table: &str,
    persons: &HashSet<i64>,
    keep: impl Fn(&RecordBatch, usize) -> bool,
) -> usize {
    let mut found = HashSet::new();
    for batch in read(dir, table) {
        let ids = i64s(&batch, "person_id");
        for (row, id) in ids.iter().enumerate() {
            if let Some(id) = id.filter(|id| persons.contains(id))
                && keep(&batch, row)
            {
                found.insert(id);
            }
        }
    }
    found.len()
}

struct Dataset(PathBuf);

impl Drop for Dataset {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn counts_of_a_generated_dataset_match_a_direct_scan() {
    let base = std::env::temp_dir().join(format!("cl-count-{}", std::process::id()));
    let _cleanup = Dataset(base.clone());
    let data = base.join("ds");
    let out = run(&["generate", "--persons", "3000", "--seed", "11", "--out", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let persons: HashSet<i64> =
        read(&data, "person").iter().flat_map(|b| i64s(b, "person_id")).flatten().collect();
    let concept_is = |column: &'static str, concept: i32| {
        move |b: &RecordBatch, r: usize| {
            b.column_by_name(column).unwrap().as_primitive::<Int32Type>().value(r) == concept
        }
    };
    let t2dm =
        persons_where(&data, "condition_occurrence", &persons, concept_is("condition_concept_id", 201826));
    let high_a1c = persons_where(&data, "measurement", &persons, |b, r| {
        let values = b.column_by_name("value_as_number").unwrap().as_primitive::<Float64Type>();
        concept_is("measurement_concept_id", 3004410)(b, r) && values.is_valid(r) && values.value(r) > 7.0
    });
    let women: usize = read(&data, "person")
        .iter()
        .map(|b| i32s(b, "gender_concept_id").iter().filter(|g| **g == Some(8532)).count())
        .sum();
    let dead = persons_where(&data, "death", &persons, |_, _| true);
    assert!(t2dm > 20 && high_a1c > 20 && women > 20, "the dataset is big enough: {t2dm} {high_a1c} {women}");

    let condition = |id: i32| json!({"id": "c", "type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": id, "standard": true}]});
    let a1c = json!({"id": "m", "type": "MEASUREMENT", "searchParameters": [{"domain": "MEASUREMENT", "conceptId": 3004410, "standard": true,
        "attributes": [{"name": "NUM", "operator": "GREATER_THAN", "operands": ["7"]}]}]});
    let woman = json!({"id": "w", "type": "PERSON", "searchParameters": [{"domain": "PERSON", "type": "GENDER", "conceptId": 8532}]});
    let deceased =
        json!({"id": "d", "type": "PERSON", "searchParameters": [{"domain": "PERSON", "type": "DECEASED"}]});
    let definitions = json!([
        {"includes": [{"id": 1, "items": [condition(201826)]}]},
        {"includes": [{"id": 1, "items": [a1c]}]},
        {"includes": [{"id": "g", "items": [woman]}]},
        {"excludes": [{"id": "x", "items": [deceased]}]},
        {"includes": [{"id": 1, "items": [condition(123)]}]},
    ]);
    let file = base.join("definitions.json");
    std::fs::write(&file, definitions.to_string()).unwrap();
    let out =
        run(&["count", "--data", data.to_str().unwrap(), "--definition", file.to_str().unwrap(), "--raw"]);
    assert_eq!(out.status.code(), Some(2), "an invalid definition makes the exit code 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "includes[0].items[0].searchParameters[0].conceptId: concept 123 is not in this dataset"
        ),
        "{stderr}"
    );
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    let expected = [t2dm, high_a1c, women, dead];
    for (line, want) in lines.iter().zip(expected) {
        let want = want as u64;
        assert_eq!(line["raw"]["total"], json!(want), "{line}");
        let shown = if want == 0 { 0 } else { want.div_ceil(20).max(1) * 20 };
        assert_eq!(line["shown"], json!(shown), "{line}");
        assert_eq!(line["policy"], "aou");
    }
    assert_eq!(lines[0]["raw"]["includes"][0]["id"], 1);
    assert_eq!(lines[0]["raw"]["includes"][0]["items"][0], json!({"id": "c", "count": t2dm}));
    assert_eq!(lines[3]["raw"]["excludes"][0]["count"], json!(dead));
    assert!(lines[4]["errors"][0].as_str().unwrap().contains("concept 123"), "{}", lines[4]);

    // Without --raw, only the disclosed count.
    std::fs::write(&file, json!({"includes": [{"items": [condition(201826)]}]}).to_string()).unwrap();
    let out = run(&["count", "--data", data.to_str().unwrap(), "--definition", file.to_str().unwrap()]);
    assert!(out.status.success());
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line.as_object().unwrap().keys().collect::<Vec<_>>(), ["label", "policy", "shown"]);

    // A file that is not JSON, or not there.
    std::fs::write(&file, "{\"includes\": [").unwrap();
    let out = run(&["count", "--data", data.to_str().unwrap(), "--definition", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
    let missing = base.join("missing.json");
    let out = run(&["count", "--data", data.to_str().unwrap(), "--definition", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the definition file"));
}
