//! `cohortlens count`: the operator's cohort count. Loads a dataset, evaluates one definition
//! or a JSON array of definitions and prints one JSON line per definition — the disclosed count
//! and, with `--raw`, the exact counts of the cohort, its groups and their items.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use cohortlens::cohort::{CohortDefinition, RawCounts};
use cohortlens::engine::{Engine, EngineError};
use cohortlens::index;
use cohortlens::privacy::Policy;
use serde::Serialize;
use serde_json::Value;

use crate::load;

/// `cohortlens count` options.
pub struct Options {
    /// Dataset directory.
    pub data: PathBuf,
    /// File with one definition or an array of definitions.
    pub definition: PathBuf,
    /// Also print the exact counts.
    pub raw: bool,
    /// Print load, index and evaluation times on stderr.
    pub timing: bool,
}

/// Why the command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// The definition file cannot be read or is not JSON.
    #[error("{path}: {detail}")]
    Definition { path: PathBuf, detail: String },
    /// The dataset cannot be loaded.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// The dataset cannot be indexed.
    #[error(transparent)]
    Cohort(#[from] EngineError),
}

impl CountError {
    /// The process exit code: 2 for a bad definition file, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CountError::Definition { .. } => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// One output line.
#[derive(Serialize)]
struct Line {
    shown: Option<u64>,
    label: String,
    policy: Policy,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<RawCounts>,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// Runs the command; exit code 2 when some definition was invalid.
pub fn run(options: &Options) -> Result<ExitCode, CountError> {
    let bad = |detail: String| CountError::Definition { path: options.definition.clone(), detail };
    let text = std::fs::read_to_string(&options.definition)
        .map_err(|e| bad(format!("cannot read the definition file ({e}); check the path")))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        bad(format!("not valid JSON ({e}); the file must hold one definition object or an array of them"))
    })?;
    let definitions = match json {
        Value::Array(list) => list,
        one => vec![one],
    };
    let started = Instant::now();
    let (store, manifest) = load::load(&options.data, Some(&index::uses_column))?;
    let loaded = ms(started);
    let started = Instant::now();
    let engine = Engine::build(&store, Some(&manifest.reference_date))?;
    if options.timing {
        eprintln!("timing: load {loaded:.1} ms, index {:.1} ms", ms(started));
    }
    let mut invalid = false;
    for (i, value) in definitions.into_iter().enumerate() {
        let started = Instant::now();
        let result = CohortDefinition::from_value(value).map_err(EngineError::from).and_then(|d| {
            let cohort = engine.cohort(&d)?;
            if options.timing {
                let cold = ms(started);
                let mut runs: Vec<f64> = (0..21)
                    .map(|_| {
                        let t = Instant::now();
                        // Evaluation of a definition already validated cannot fail.
                        let _ = engine.cohort(&d);
                        ms(t)
                    })
                    .collect();
                runs.sort_by(f64::total_cmp);
                eprintln!(
                    "timing: definition {i}: first {cold:.2} ms, warm (21 runs) min {:.2} ms, median {:.2} ms",
                    runs[0], runs[10]
                );
            }
            Ok(cohort)
        });
        let line = match result {
            Ok(cohort) => {
                let shown = cohort.count(Policy::default());
                serde_json::to_string(&Line {
                    shown: shown.value(),
                    label: shown.label().to_owned(),
                    policy: shown.policy(),
                    raw: options.raw.then(|| cohort.raw()),
                })
            }
            Err(e) => {
                invalid = true;
                let errors: Vec<String> = match &e {
                    EngineError::Invalid(list) => list.iter().map(ToString::to_string).collect(),
                    other => vec![other.to_string()],
                };
                for error in &errors {
                    eprintln!("definition {i}: {error}");
                }
                serde_json::to_string(&serde_json::json!({ "errors": errors }))
            }
        };
        println!(
            "{}",
            line.unwrap_or_else(|e| format!("{{\"errors\": [\"cannot write the result: {e}\"]}}"))
        );
    }
    Ok(if invalid { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
