//! Native dataset loading: a dataset directory's Parquet files read into the core [`Store`]
//! (the same `Table`s the browser builds from Arrow streams), tables in parallel, optionally
//! only the columns a caller needs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::thread;

use arrow_array::RecordBatchReader;
use cohortlens::store::{Store, Table};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::dataset::{self, DatasetError, Manifest};

/// Rows per record batch read.
const BATCH_ROWS: usize = 65_536;

/// Which columns of which table to load: `wanted(table, column)`.
pub type Wanted<'a> = Option<&'a (dyn Fn(&str, &str) -> bool + Sync)>;

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory is not a dataset.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A table file cannot be read.
    #[error("{path}: {detail}; regenerate or re-import the dataset")]
    Table { path: PathBuf, detail: String },
}

/// Loads every table of the dataset at `dir`, keeping the columns `wanted(table, column)`
/// accepts (all columns when `wanted` is `None`).
pub fn load(dir: &Path, wanted: Wanted<'_>) -> Result<(Store, Manifest), LoadError> {
    let manifest = dataset::read_manifest(dir)?;
    let tables: Vec<Result<Table, LoadError>> = thread::scope(|scope| {
        let handles: Vec<_> = manifest
            .tables
            .iter()
            .map(|(name, entry)| {
                let path = dir.join(&entry.file);
                scope.spawn(move || read_table(name, &path, wanted))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(LoadError::Table { path: dir.to_owned(), detail: "a table reader failed".into() })
                })
            })
            .collect()
    });
    let mut store = Store::default();
    for table in tables {
        store.insert(table?);
    }
    Ok((store, manifest))
}

/// Reads one table file, keeping the columns `wanted(table, column)` accepts.
pub fn read_table(name: &str, path: &Path, wanted: Wanted<'_>) -> Result<Table, LoadError> {
    let fail = |detail: String| LoadError::Table { path: path.to_owned(), detail };
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(e.to_string()))?;
    if let Some(wanted) = wanted {
        let keep: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| wanted(name, f.name()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
        builder = builder.with_projection(mask);
    }
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| fail(e.to_string()))?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| fail(e.to_string()))?;
    Ok(Table::new(name.to_owned(), schema, batches))
}
