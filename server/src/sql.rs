//! `cohortlens sql`: compiles a Cohort Builder definition into one SQL query over the OMOP
//! tables of a dataset (its Parquet files, one per table) that returns the cohort's
//! `person_id`s, validated against the dataset's vocabulary as the engine validates it
//! (docs/scaling.md, "SQL compilation").

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cohortlens::cohort::CohortDefinition;
use cohortlens::sql::{self, Dialect, SqlError, Tables};
use cohortlens::store::Store;
use cohortlens::vocab::Vocab;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::dataset::{self, DatasetError};
use crate::load::{self, LoadError};

/// `cohortlens sql` options.
pub struct Options {
    /// Dataset directory.
    pub data: PathBuf,
    /// File with one definition.
    pub definition: PathBuf,
    /// `datafusion`, `duckdb`, `spark` or `bigquery`.
    pub dialect: String,
}

/// Why the command could not run.
#[derive(Debug, thiserror::Error)]
pub enum SqlCommandError {
    /// The definition file cannot be read or is not a definition.
    #[error("{path}: {detail}")]
    Definition { path: PathBuf, detail: String },
    /// The definition is invalid or asks for what cohortlens cannot evaluate.
    #[error("{0}")]
    Compile(#[from] SqlError),
    /// No such dialect.
    #[error("unknown dialect {0:?}; use --dialect datafusion, duckdb, spark or bigquery")]
    Dialect(String),
    /// The dataset cannot be read.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A table cannot be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The vocabulary cannot be built.
    #[error("the dataset's vocabulary: {0}")]
    Vocab(String),
}

impl SqlCommandError {
    /// The process exit code: 2 for a bad definition or dialect, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            SqlCommandError::Definition { .. }
            | SqlCommandError::Compile(_)
            | SqlCommandError::Dialect(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// Prints the compiled query.
pub fn run(options: &Options) -> Result<(), SqlCommandError> {
    let dialect = Dialect::of_name(&options.dialect)
        .ok_or_else(|| SqlCommandError::Dialect(options.dialect.clone()))?;
    let bad = |detail: String| SqlCommandError::Definition { path: options.definition.clone(), detail };
    let text = std::fs::read_to_string(&options.definition)
        .map_err(|e| bad(format!("cannot read the definition file ({e}); check the path")))?;
    let definition = CohortDefinition::from_json(&text).map_err(|e| bad(e.to_string()))?;
    let (vocab, tables) = dataset_shape(&options.data)?;
    print!("{}", sql::compile(&definition, &vocab, &tables, dialect)?);
    Ok(())
}

/// The dataset's vocabulary and the columns of each of its tables (read from the Parquet
/// footers: no rows but the vocabulary's are read).
pub(crate) fn dataset_shape(dir: &Path) -> Result<(Vocab, Tables), SqlCommandError> {
    let manifest = dataset::read_manifest(dir)?;
    let mut tables = Tables::default();
    let mut store = Store::default();
    for (name, entry) in &manifest.tables {
        let path = dir.join(&entry.file);
        let fail = |detail: String| LoadError::Table { path: path.clone(), detail };
        let file = File::open(&path).map_err(|e| fail(e.to_string()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(e.to_string()))?;
        tables.insert(name, builder.schema().fields().iter().map(|f| f.name().clone()));
        if matches!(name.as_str(), "concept" | "concept_ancestor" | "concept_relationship") {
            store.insert(load::read_table(name, &path, Some(&cohortlens::index::uses_column))?);
        }
    }
    let vocab = Vocab::build(&store).map_err(|e| SqlCommandError::Vocab(e.to_string()))?;
    Ok((vocab, tables))
}
