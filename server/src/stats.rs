//! `cohortlens stats`: the operator's statistics. Loads a dataset, takes the persons of a cohort
//! definition, of a concept or of the whole dataset, computes one statistics request or a JSON array of them and
//! prints one JSON line per request — the table disclosed under a policy and, with `--raw`, its
//! exact cells.

use std::path::PathBuf;
use std::process::ExitCode;

use cohortlens::cohort::CohortDefinition;
use cohortlens::engine::{Engine, EngineError};
use cohortlens::index;
use cohortlens::privacy::TallyTable;
use cohortlens::privacy::{DisclosedTable, Policy};
use cohortlens::stats::{Scope, StatRequest};
use serde::Serialize;
use serde_json::Value;

use crate::load;

/// `cohortlens stats` options.
pub struct Options {
    /// Dataset directory.
    pub data: PathBuf,
    /// File with one cohort definition (the scope), unless `concept` is given.
    pub definition: Option<PathBuf>,
    /// A concept whose persons are the scope, unless `definition` is given.
    pub concept: Option<i32>,
    /// The scope is every person of the dataset.
    pub dataset: bool,
    /// One statistics request or a JSON array of them.
    pub stat: String,
    /// The disclosure policy name.
    pub policy: String,
    /// Also print the exact cells.
    pub raw: bool,
}

/// Why the command could not run.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The options are wrong (scope, requests, policy).
    #[error("{0}")]
    Usage(String),
    /// The dataset cannot be loaded.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// The dataset cannot be indexed, or the cohort definition is invalid.
    #[error(transparent)]
    Cohort(#[from] EngineError),
}

impl StatsError {
    /// The process exit code: 2 for wrong options or an invalid definition, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            StatsError::Usage(_) | StatsError::Cohort(EngineError::Invalid(_)) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// One output line: the disclosed table, and the raw cells on request.
#[derive(Serialize)]
struct Line {
    #[serde(flatten)]
    table: DisclosedTable,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<RawTable>,
}

/// A table's exact cells (native only).
#[derive(Serialize)]
struct RawTable {
    rows: Vec<RawRow>,
    total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    remainder: Option<String>,
}

/// One exact cell.
#[derive(Serialize)]
struct RawRow {
    labels: Vec<String>,
    count: u64,
    /// The row's own denominator (tables of row percents).
    #[serde(skip_serializing_if = "Option::is_none")]
    of: Option<u64>,
}

impl RawTable {
    fn of(t: &TallyTable) -> RawTable {
        RawTable {
            rows: t
                .rows
                .iter()
                .map(|r| RawRow { labels: r.labels.clone(), count: r.tally.raw(), of: r.of.map(|o| o.raw()) })
                .collect(),
            total: t.total.raw(),
            remainder: t.remainder.clone(),
        }
    }
}

/// Runs the command; exit code 2 when some request failed.
pub fn run(options: &Options) -> Result<ExitCode, StatsError> {
    let policy = Policy::from_name(&options.policy).map_err(|e| StatsError::Usage(e.to_string()))?;
    let json: Value = serde_json::from_str(&options.stat).map_err(|e| {
        StatsError::Usage(format!(
            "--stat is not valid JSON ({e}); give one request such as '{{\"kind\": \"race\"}}' or an array of them"
        ))
    })?;
    let requests = match json {
        Value::Array(list) => list,
        one => vec![one],
    };
    let definition = match (&options.definition, options.concept) {
        (Some(path), None) if !options.dataset => {
            let bad = |detail: String| StatsError::Usage(format!("{}: {detail}", path.display()));
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("cannot read the definition file ({e}); check the path")))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                bad(format!("not valid JSON ({e}); the file must hold one definition object"))
            })?;
            Some(CohortDefinition::from_value(value).map_err(EngineError::from)?)
        }
        (None, Some(_)) if !options.dataset => None,
        (None, None) if options.dataset => None,
        _ => {
            return Err(StatsError::Usage(
                "give the scope as one of --definition FILE, --concept ID or --dataset".into(),
            ));
        }
    };
    let (store, manifest) = load::load(&options.data, Some(&index::uses_column))?;
    let engine = Engine::build(&store, Some(&manifest.reference_date))?;
    let cohort = definition.map(|d| engine.cohort(&d)).transpose()?;
    let scope = match (&cohort, options.concept) {
        (Some(c), _) => Scope::Cohort(c),
        (None, Some(id)) => Scope::Concept(id),
        (None, None) => Scope::Dataset,
    };
    let mut failed = false;
    for (i, value) in requests.into_iter().enumerate() {
        let result = serde_json::from_value::<StatRequest>(value)
            .map_err(|e| format!("not a statistics request ({e}); see StatRequest for the kinds and fields"))
            .and_then(|request| engine.statistics(&scope, &request).map_err(|e| e.to_string()))
            // A ranking's rows in the order the policy shows them, raw cells in step.
            .map(|table| policy.ranked(&table));
        let line = match result {
            Ok(table) => serde_json::to_string(&Line {
                table: policy.disclose_table(&table),
                raw: options.raw.then(|| RawTable::of(&table)),
            }),
            Err(error) => {
                failed = true;
                eprintln!("request {i}: {error}");
                serde_json::to_string(&serde_json::json!({ "errors": [error] }))
            }
        };
        println!(
            "{}",
            line.unwrap_or_else(|e| format!("{{\"errors\": [\"cannot write the result: {e}\"]}}"))
        );
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
